/*
 * durable.c - group commit: concurrent commits on a shard share one fsync.
 *
 * Connections run with synchronous = NORMAL, so SQLite's COMMIT writes the
 * transaction's frames to the WAL and releases the write lock without
 * syncing.  SQLite then calls the WAL hook of the committing connection,
 * still inside its COMMIT: the commit waits there until an fsync of the WAL
 * that started after its frames were written has completed, so a commit is
 * acknowledged only once it is durable.  One committer at a time syncs (the
 * leader), covering every commit written before it started; the others wait
 * for it, as PostgreSQL's WAL flush does.  The next writer does not wait for
 * the fsync of the previous one: the write lock is held while the frames are
 * written, not while they are synced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/session_int.h"

/* The default of SQLite's automatic checkpoint, which the WAL hook replaces. */
#define SHD_AUTOCHECKPOINT_FRAMES 1000

/* fsync of db's WAL (its own handle: every connection's frames are in the
 * same file, and an fsync covers all the file's written data) */
static int wal_sync(sqlite3 *db)
{
	sqlite3_file *f = NULL;
	int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
	if (rc != SQLITE_OK || !f || !f->pMethods)
		return rc != SQLITE_OK ? rc : SQLITE_ERROR;
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

void shd_durable_init(ShdServer *srv)
{
	pthread_mutex_init(&srv->sync_lock, NULL);
	pthread_cond_init(&srv->sync_done, NULL);
}

/* Wait until every commit written so far on this shard is in stable storage. */
static void group_sync(ShdServer *srv, sqlite3 *db)
{
	pthread_mutex_lock(&srv->sync_lock);
	uint64_t mine = ++srv->written;
	while (srv->synced < mine) {
		if (srv->syncing) {
			pthread_cond_wait(&srv->sync_done, &srv->sync_lock);
			continue;
		}
		srv->syncing = true;
		uint64_t target = srv->written;
		pthread_mutex_unlock(&srv->sync_lock);
		int rc = wal_sync(db);
		if (rc != SQLITE_OK) {
			/* as PostgreSQL's PANIC: what the kernel failed to write
			 * cannot be known, so nothing more is acknowledged */
			fprintf(stderr, "dosql-shard: PANIC: could not fsync the WAL of %s: %s\n", srv->db_path,
				sqlite3_errstr(rc));
			abort();
		}
		pthread_mutex_lock(&srv->sync_lock);
		srv->syncing = false;
		if (target > srv->synced)
			srv->synced = target;
		pthread_cond_broadcast(&srv->sync_done);
	}
	pthread_mutex_unlock(&srv->sync_lock);
}

/* SQLite's WAL hook: after a commit, its write lock released. */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	ShdServer *srv = arg;
	if (strcmp(name, "main") != 0)
		return SQLITE_OK;
	group_sync(srv, db);
	if (frames >= SHD_AUTOCHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

bool shd_durable_attach(ShdServer *srv, sqlite3 *db)
{
	if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		return false;
	sqlite3_wal_hook(db, wal_committed, srv);
	return true;
}
