/*
 * coord.c - the two-phase commit decision log and the recovery thread
 * (see coord.h).
 */
#include "router/coord.h"

#include <errno.h>
#include <fcntl.h>
#include <postgresql/libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fault.h"
#include "common/log.h"

/* A commit decision without its closing record. */
typedef struct Open {
	char gid[64];
	char shards[512]; /* shard indices, comma-separated */
	int64_t commit_ts;  /* the participants' common commit time; 0 none */
} Open;

/* A commit decision on its way to the log, then back to its waiter. */
typedef struct Decision {
	struct Decision *next;
	Open rec;
	void *waiter; /* NULL once forgotten */
	bool ok;      /* logged durably */
} Decision;

struct RtCoord {
	char *data_dir, *router_id, *user, *database; /* owned */
	int64_t abandon_us, interval_us;
	const VscSchema *vschema;
	char prefix[64]; /* "dosql_<router id>_" */
	char path[4096];
	int64_t started_us; /* gids from before are an earlier run's */
	pthread_mutex_t lock; /* protects fd, open[], last_us, vschema */
	int fd;
	int nopen, capopen;
	Open *open;
	int nabandoned;
	struct Abandoned {
		char gid[64];
	} abandoned[64]; /* gids to roll back now; the oldest is dropped when full */
	int64_t last_us;
	pthread_t thread;
	bool thread_started, stopping;
	pthread_cond_t wake;
	/* the log's writer: decisions queued for it, and those it finished
	 * (protected by lock); it writes a byte to notify[1] after each batch */
	Decision *queue, **queue_tail, *done, **done_tail;
	pthread_cond_t queued;
	pthread_t writer;
	bool writer_started;
	int notify[2];
	_Atomic uint64_t recovered_commit, recovered_rollback; /* prepared gids recovery finished */
};

static int64_t now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int find_open(RtCoord *c, const char *gid)
{
	for (int i = 0; i < c->nopen; i++)
		if (strcmp(c->open[i].gid, gid) == 0)
			return i;
	return -1;
}

/* Room for n more open decisions. */
static bool reserve_open(RtCoord *c, int n)
{
	if (c->nopen + n <= c->capopen)
		return true;
	int cap = c->capopen ? c->capopen : 16;
	while (cap < c->nopen + n)
		cap *= 2;
	Open *o = realloc(c->open, sizeof(*o) * (size_t)cap);
	if (!o)
		return false;
	c->open = o;
	c->capopen = cap;
	return true;
}

static bool add_open(RtCoord *c, const char *gid, const char *shards, int64_t commit_ts)
{
	if (find_open(c, gid) >= 0)
		return true;
	if (!reserve_open(c, 1))
		return false;
	snprintf(c->open[c->nopen].gid, sizeof(c->open[0].gid), "%s", gid);
	snprintf(c->open[c->nopen].shards, sizeof(c->open[0].shards), "%s", shards);
	c->open[c->nopen].commit_ts = commit_ts;
	c->nopen++;
	return true;
}

static void remove_open(RtCoord *c, const char *gid)
{
	int i = find_open(c, gid);
	if (i >= 0)
		c->open[i] = c->open[--c->nopen];
}

/* The creation time in a gid of this router, or -1 when it is not one. */
static int64_t gid_time(const RtCoord *c, const char *gid)
{
	size_t n = strlen(c->prefix);
	if (strncmp(gid, c->prefix, n) != 0 || !gid[n])
		return -1;
	char *end;
	errno = 0;
	long long us = strtoll(gid + n, &end, 10);
	return *end || errno ? -1 : (int64_t)us;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* ------------------------------------------------------------ the log */

/* Read the log: open decisions into c->open.  A torn last line (a crash
 * while appending) is ignored; so is a line that does not parse. */
static bool load(RtCoord *c)
{
	FILE *f = fopen(c->path, "r");
	if (!f)
		return errno == ENOENT;
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			break; /* torn */
		line[n - 1] = 0;
		char gid[64], shards[512];
		long long ts = 0;
		if (sscanf(line, "C %63s %511s %lld", gid, shards, &ts) >= 2)
			add_open(c, gid, shards, ts);
		else if (sscanf(line, "D %63s", gid) == 1)
			remove_open(c, gid);
		else
			log_warning(NULL, "%s:%d: not a coordinator record, ignored", c->path, lineno);
	}
	fclose(f);
	return true;
}

/* Rewrite the log with only the open decisions, atomically. */
static bool compact(RtCoord *c)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.new", c->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return false;
	Buf b;
	buf_init(&b);
	for (int i = 0; i < c->nopen; i++)
		buf_printf(&b, "C %s %s %lld\n", c->open[i].gid, c->open[i].shards, (long long)c->open[i].commit_ts);
	bool ok = !b.failed && write_all(fd, (const char *)b.data, b.len) && fsync(fd) == 0;
	buf_cleanup(&b);
	close(fd);
	if (ok && rename(tmp, c->path) == 0) {
		int dfd = open(c->data_dir, O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		return true;
	}
	unlink(tmp);
	return false;
}

int64_t rt_coord_tick(RtCoord *c)
{
	pthread_mutex_lock(&c->lock);
	int64_t us = now_us();
	if (us <= c->last_us)
		us = c->last_us + 1;
	c->last_us = us;
	pthread_mutex_unlock(&c->lock);
	return us;
}

void rt_coord_gid(RtCoord *c, char *gid, size_t n)
{
	snprintf(gid, n, "%s%lld", c->prefix, (long long)rt_coord_tick(c));
}

bool rt_coord_may_commit(RtCoord *c, const char *gid)
{
	int64_t t = gid_time(c, gid);
	return t >= 0 && now_us() - t < c->abandon_us / 2;
}

bool rt_coord_decide(RtCoord *c, const char *gid, const int *shards, int n, int64_t commit_ts, void *waiter)
{
	Decision *d = calloc(1, sizeof(*d));
	if (!d)
		return false;
	snprintf(d->rec.gid, sizeof(d->rec.gid), "%s", gid);
	size_t len = 0;
	for (int i = 0; i < n && len < sizeof(d->rec.shards); i++)
		len += (size_t)snprintf(d->rec.shards + len, sizeof(d->rec.shards) - len, "%s%d", i ? "," : "", shards[i]);
	d->rec.commit_ts = commit_ts;
	d->waiter = waiter;
	pthread_mutex_lock(&c->lock);
	*c->queue_tail = d;
	c->queue_tail = &d->next;
	pthread_cond_signal(&c->queued);
	pthread_mutex_unlock(&c->lock);
	return true;
}

static void abandon_locked(RtCoord *c, const char *gid)
{
	int max = (int)(sizeof(c->abandoned) / sizeof(c->abandoned[0]));
	if (c->nabandoned == max)
		memmove(&c->abandoned[0], &c->abandoned[1], sizeof(c->abandoned[0]) * (size_t)--c->nabandoned);
	snprintf(c->abandoned[c->nabandoned++].gid, sizeof(c->abandoned[0].gid), "%s", gid);
	pthread_cond_signal(&c->wake);
}

/* Append the batch's records and sync them (lock held, released while
 * syncing); each decision then knows whether it is logged.  A batch that
 * could not be written or synced in time is cut off the log again, so that no
 * record of a transaction about to be rolled back can be read later; if
 * even that fails, what the log holds is unknown and the router stops
 * (as PostgreSQL's PANIC). */
static void log_batch(RtCoord *c, Decision *batch)
{
	Buf b;
	buf_init(&b);
	int n = 0;
	for (Decision *d = batch; d; d = d->next, n++)
		buf_printf(&b, "C %s %s %lld\n", d->rec.gid, d->rec.shards, (long long)d->rec.commit_ts);
	int fd = c->fd; /* closed only after this thread ends */
	off_t before = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	/* room in open[] first: a logged decision must be listed */
	bool ok = !b.failed && before >= 0 && reserve_open(c, n) && write_all(fd, (const char *)b.data, b.len);
	buf_cleanup(&b);
	pthread_mutex_unlock(&c->lock);
	ok = ok && fdatasync(fd) == 0;
	int err = errno;
	if (ok && dosql_fault_error("router-decision-sync")) {
		ok = false;
		err = EIO;
	}
	/* a decision durable only once recovery may roll its gid back (the
	 * sync took half the abandon age) does not count */
	for (Decision *d = batch; ok && d; d = d->next)
		if (!rt_coord_may_commit(c, d->rec.gid)) {
			ok = false;
			err = ETIMEDOUT;
		}
	pthread_mutex_lock(&c->lock);
	if (!ok && before >= 0 && (ftruncate(fd, before) != 0 || fdatasync(fd) != 0)) {
		log_fatal(NULL, "cannot take failed commit decisions out of %s: %s", c->path, strerror(errno));
		abort();
	}
	for (Decision *d = batch; d; d = d->next) {
		d->ok = ok && add_open(c, d->rec.gid, d->rec.shards, d->rec.commit_ts);
		if (!d->ok) {
			log_error(NULL, "cannot log the commit decision of %s: %s", d->rec.gid, strerror(err));
			abandon_locked(c, d->rec.gid); /* recovery rolls it back */
		}
	}
}

static void *writer_thread(void *arg)
{
	RtCoord *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->queue && !c->stopping)
			pthread_cond_wait(&c->queued, &c->lock);
		if (!c->queue)
			break; /* stopping, with nothing left to log */
		Decision *batch = c->queue;
		c->queue = NULL;
		c->queue_tail = &c->queue;
		log_batch(c, batch);
		*c->done_tail = batch;
		while (*c->done_tail)
			c->done_tail = &(*c->done_tail)->next;
		pthread_mutex_unlock(&c->lock);
		/* a full pipe already has the loop's attention */
		ssize_t w = write(c->notify[1], "d", 1);
		(void)w;
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int rt_coord_notify_fd(RtCoord *c) { return c->notify[0]; }

bool rt_coord_next_decided(RtCoord *c, void **waiter, bool *ok)
{
	char drain[64];
	while (read(c->notify[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&c->lock);
	Decision *d;
	while ((d = c->done) && !d->waiter) {
		c->done = d->next;
		free(d);
	}
	if (d) {
		c->done = d->next;
		*waiter = d->waiter;
		*ok = d->ok;
		free(d);
	}
	if (!c->done)
		c->done_tail = &c->done;
	pthread_mutex_unlock(&c->lock);
	return d != NULL;
}

void rt_coord_forget(RtCoord *c, const void *waiter)
{
	pthread_mutex_lock(&c->lock);
	for (Decision *d = c->queue; d; d = d->next)
		if (d->waiter == waiter)
			d->waiter = NULL;
	for (Decision *d = c->done; d; d = d->next)
		if (d->waiter == waiter)
			d->waiter = NULL;
	pthread_mutex_unlock(&c->lock);
}

void rt_coord_done(RtCoord *c, const char *gid)
{
	char line[80];
	int n = snprintf(line, sizeof(line), "D %s\n", gid);
	pthread_mutex_lock(&c->lock);
	if (find_open(c, gid) >= 0) {
		/* not synced: a lost closing record only makes recovery look again */
		if (c->fd >= 0)
			(void)write_all(c->fd, line, (size_t)n);
		remove_open(c, gid);
	}
	pthread_mutex_unlock(&c->lock);
}

void rt_coord_abandon(RtCoord *c, const char *gid)
{
	pthread_mutex_lock(&c->lock);
	abandon_locked(c, gid);
	pthread_mutex_unlock(&c->lock);
}

/* Whether gid was abandoned; forgets it once old enough for the age rule. */
static bool abandoned(RtCoord *c, const char *gid, bool old)
{
	bool found = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nabandoned; i++)
		if (strcmp(c->abandoned[i].gid, gid) == 0) {
			found = true;
			if (old)
				c->abandoned[i] = c->abandoned[--c->nabandoned];
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void rt_coord_foreach_open(RtCoord *c, void (*fn)(void *arg, const char *gid, const char *shards), void *arg)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nopen; i++)
		fn(arg, c->open[i].gid, c->open[i].shards);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------ recovery */

PGconn *rt_shard_connect(const VscShard *sh, const char *user, const char *database, const char *timeout,
			 const char *application_name, bool replication)
{
	char port[16];
	snprintf(port, sizeof(port), "%d", sh->port);
	const char *keys[] = {"host", "port", "user", "dbname", "connect_timeout", "application_name",
			      replication ? "replication" : NULL, NULL};
	const char *vals[] = {sh->host ? sh->host : sh->socket_dir, port, user, database, timeout, application_name,
			      "database", NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 0);
	if (pg && PQstatus(pg) == CONNECTION_OK)
		return pg;
	PQfinish(pg);
	return NULL;
}

/* Run a COMMIT/ROLLBACK PREPARED; true when the gid is resolved on that
 * shard (done now, or not prepared there any more). */
static bool resolve(PGconn *pg, const char *shard, const char *verb, const char *gid, int64_t commit_ts)
{
	char sql[200];
	if (commit_ts)
		snprintf(sql, sizeof(sql), "SET dosql.commit_ts = %lld; %s '%s'", (long long)commit_ts, verb, gid);
	else
		snprintf(sql, sizeof(sql), "%s '%s'", verb, gid);
	PGresult *r = PQexec(pg, sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || (state && strcmp(state, "42704") == 0);
	LogTag tag;
	log_tag_set(&tag, "coordinator shard \"%s\"", shard);
	tag.shard = shard;
	if (!ok)
		log_warning(&tag, "%s failed: %s", sql, PQerrorMessage(pg));
	else
		log_info(&tag, "%s", sql);
	PQclear(r);
	return ok;
}

static bool lists_shard(const char *shards, int shard)
{
	const char *p = shards;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			return false;
		if (v == shard)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

/* One pass: resolve this router's prepared transactions on every shard
 * that answers, and close decisions no shard still holds. */
static void recover_pass(RtCoord *c)
{
	pthread_mutex_lock(&c->lock);
	const VscSchema *vs = c->vschema; /* schemas replaced stay until exit */
	pthread_mutex_unlock(&c->lock);
	int nshards = vsc_shard_count(vs);
	bool *up = calloc((size_t)nshards, sizeof(bool));
	/* decisions still pending on some shard, by index into a snapshot */
	pthread_mutex_lock(&c->lock);
	int nsnap = c->nopen;
	Open *snap = nsnap ? malloc(sizeof(Open) * (size_t)nsnap) : NULL;
	if (snap)
		memcpy(snap, c->open, sizeof(Open) * (size_t)nsnap);
	else
		nsnap = 0;
	pthread_mutex_unlock(&c->lock);
	bool *pending = nsnap ? calloc((size_t)nsnap, sizeof(bool)) : NULL;
	int64_t now = now_us();
	for (int s = 0; up && s < nshards; s++) {
		PGconn *pg = rt_shard_connect(vsc_shard(vs, s), c->user, c->database, "2", "dosql coordinator", false);
		if (!pg)
			continue;
		PGresult *r = PQexec(pg, "SELECT gid FROM pg_prepared_xacts");
		up[s] = PQresultStatus(r) == PGRES_TUPLES_OK;
		for (int i = 0; up[s] && i < PQntuples(r); i++) {
			const char *gid = PQgetvalue(r, i, 0);
			int64_t t = gid_time(c, gid);
			if (t < 0)
				continue; /* not ours */
			bool earlier_run = t < c->started_us;
			int k = -1;
			for (int j = 0; j < nsnap; j++)
				if (strcmp(snap[j].gid, gid) == 0)
					k = j;
			if (k >= 0) {
				/* decided: commit, unless a live session may still be at it */
				bool act = earlier_run || now - t > 2000000;
				if (!act || !resolve(pg, vsc_shard(vs, s)->name, "COMMIT PREPARED", gid, snap[k].commit_ts))
					pending[k] = true;
				else
					c->recovered_commit++;
			} else if (abandoned(c, gid, now - t > c->abandon_us) || earlier_run || now - t > c->abandon_us) {
				if (resolve(pg, vsc_shard(vs, s)->name, "ROLLBACK PREPARED", gid, 0))
					c->recovered_rollback++;
			}
		}
		PQclear(r);
		PQfinish(pg);
	}
	for (int j = 0; up && j < nsnap; j++) {
		bool all_up = true;
		for (int s = 0; s < nshards; s++)
			if (lists_shard(snap[j].shards, s) && !up[s])
				all_up = false;
		if (all_up && !pending[j])
			rt_coord_done(c, snap[j].gid);
	}
	free(pending);
	free(snap);
	free(up);
}

static void *recovery_thread(void *arg)
{
	RtCoord *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = ts.tv_nsec + (c->interval_us % 1000000) * 1000;
		ts.tv_sec += c->interval_us / 1000000 + ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&c->wake, &c->lock, &ts);
		if (c->stopping)
			break;
		pthread_mutex_unlock(&c->lock);
		recover_pass(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

RtCoord *rt_coord_start(const RtCoordConfig *cfg)
{
	RtCoord *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	c->notify[0] = c->notify[1] = -1;
	c->queue_tail = &c->queue;
	c->done_tail = &c->done;
	c->data_dir = strdup(cfg->data_dir);
	c->router_id = strdup(cfg->router_id);
	c->user = strdup(cfg->shard_user);
	c->database = strdup(cfg->shard_database);
	c->abandon_us = cfg->abandon_us;
	c->interval_us = cfg->interval_us;
	c->vschema = cfg->vschema;
	c->started_us = now_us();
	c->last_us = c->started_us;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->queued, NULL);
	snprintf(c->prefix, sizeof(c->prefix), "dosql_%s_", cfg->router_id);
	snprintf(c->path, sizeof(c->path), "%s/coordinator.log", cfg->data_dir);
	if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "dosql: cannot create %s: %s\n", c->data_dir, strerror(errno));
		rt_coord_stop(c);
		return NULL;
	}
	if (!load(c) || !compact(c)) {
		fprintf(stderr, "dosql: cannot use the coordinator log %s: %s\n", c->path, strerror(errno));
		rt_coord_stop(c);
		return NULL;
	}
	c->fd = open(c->path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (c->fd < 0) {
		fprintf(stderr, "dosql: cannot open %s: %s\n", c->path, strerror(errno));
		rt_coord_stop(c);
		return NULL;
	}
	if (pipe2(c->notify, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    !(c->writer_started = pthread_create(&c->writer, NULL, writer_thread, c) == 0)) {
		fprintf(stderr, "dosql: cannot start the coordinator log's writer: %s\n", strerror(errno));
		rt_coord_stop(c);
		return NULL;
	}
	if (c->nopen)
		fprintf(stderr, "dosql: coordinator: %d commit decision%s to finish\n", c->nopen, c->nopen == 1 ? "" : "s");
	recover_pass(c);
	c->thread_started = pthread_create(&c->thread, NULL, recovery_thread, c) == 0;
	return c;
}

/* Tell a thread waiting on cond to stop, and wait for it. */
static void stop_thread(RtCoord *c, pthread_cond_t *cond, pthread_t thread)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(thread, NULL);
}

void rt_coord_stop(RtCoord *c)
{
	if (!c)
		return;
	if (c->thread_started)
		stop_thread(c, &c->wake, c->thread);
	if (c->writer_started)
		stop_thread(c, &c->queued, c->writer); /* what is queued is logged first */
	for (Decision *d = c->done, *next; d; d = next) {
		next = d->next;
		free(d);
	}
	for (int i = 0; i < 2; i++)
		if (c->notify[i] >= 0)
			close(c->notify[i]);
	if (c->fd >= 0)
		close(c->fd);
	pthread_cond_destroy(&c->queued);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->open);
	free(c->data_dir);
	free(c->router_id);
	free(c->user);
	free(c->database);
	free(c);
}

void rt_coord_recovered(RtCoord *c, uint64_t *committed, uint64_t *rolled_back)
{
	*committed = c->recovered_commit;
	*rolled_back = c->recovered_rollback;
}

void rt_coord_set_vschema(RtCoord *c, const VscSchema *vs)
{
	pthread_mutex_lock(&c->lock);
	c->vschema = vs;
	pthread_mutex_unlock(&c->lock);
}
