/*
 * store.c - the warehouse's files in a local directory, and the dispatch
 * of s3:// locations to the S3 backend (store_s3.c); see store.h.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lake/store_s3.h"

bool store_is_s3(const char *loc) { return strncmp(loc, "s3://", 5) == 0; }

char *store_uri(const char *loc)
{
	if (store_is_s3(loc) || strncmp(loc, "file://", 7) == 0)
		return strdup(loc);
	size_t n = strlen(loc);
	char *u = malloc(n + 8);
	if (u) {
		memcpy(u, "file://", 7);
		memcpy(u + 7, loc, n + 1);
	}
	return u;
}

const char *store_loc(const char *uri) { return strncmp(uri, "file://", 7) == 0 ? uri + 7 : uri; }

bool store_mkdirs(const char *path)
{
	if (store_is_s3(path))
		return true;
	char *p = strdup(path);
	bool ok = p != NULL;
	for (char *s = p ? p + 1 : NULL; ok && s && *s; s++)
		if (*s == '/') {
			*s = 0;
			ok = mkdir(p, 0755) == 0 || errno == EEXIST;
			*s = '/';
		}
	ok = ok && (mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
	return ok;
}

bool store_sync_dir(const char *dir)
{
	if (store_is_s3(dir))
		return true;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/* The parent directory of path (a new string). */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash != path ? strndup(path, (size_t)(slash - path)) : strdup(slash ? "/" : ".");
}

/* Writes data to path through a temporary file (named for this process
 * and this write: two threads may write one path at once), fsynced; with exclusive,
 * fails (EEXIST) when path exists, so two writers cannot both make it
 * (and fsyncs the directory); without it, replaces path. */
static bool local_write(const char *path, const void *data, size_t len, bool exclusive, char *err, size_t errlen)
{
	static atomic_ulong writes;
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%lu", path, (int)getpid(), atomic_fetch_add(&writes, 1));
	int fd = n > 0 && (size_t)n < sizeof(tmp) ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		ok = w > 0;
		off += ok ? (size_t)w : 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (ok)
		ok = exclusive ? link(tmp, path) == 0 : rename(tmp, path) == 0;
	int saved = errno;
	if (fd >= 0 && (exclusive || !ok))
		unlink(tmp);
	if (ok && exclusive) {
		char *dir = parent_dir(path);
		ok = dir && store_sync_dir(dir);
		free(dir);
		saved = errno;
	}
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
	errno = saved;
	return ok;
}

bool store_put(const char *loc, const void *data, size_t len, char *err, size_t errlen)
{
	if (store_is_s3(loc))
		return s3_put(loc, data, len, false, err, errlen) == STORE_OK;
	return local_write(loc, data, len, false, err, errlen);
}

/* The whole local file path in out. */
static bool read_local(const char *path, Buf *out, bool *missing, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*missing = fd < 0 && errno == ENOENT;
	struct stat st;
	bool ok = fd >= 0 && fstat(fd, &st) == 0 && buf_reserve(out, (size_t)st.st_size + 1);
	while (ok) {
		ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
		if (r == 0)
			break;
		ok = r > 0 && (out->len += (size_t)r, out->len < out->cap || buf_reserve(out, 65536));
	}
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

bool store_put_file(const char *loc, const char *path, char *err, size_t errlen)
{
	if (!store_is_s3(loc)) {
		if (strcmp(loc, path) == 0)
			return true;
		if (rename(path, loc) == 0)
			return true;
		if (errno != EXDEV) {
			snprintf(err, errlen, "%s: %s", loc, strerror(errno));
			return false;
		}
		/* another filesystem: copied */
		Buf b;
		buf_init(&b);
		bool missing;
		bool ok = read_local(path, &b, &missing, err, errlen) && local_write(loc, b.data, b.len, false, err, errlen);
		buf_cleanup(&b);
		return ok;
	}
	return s3_put_file(loc, path, err, errlen);
}

StoreResult store_put_if_absent(const char *loc, const void *data, size_t len, char *err, size_t errlen)
{
	if (store_is_s3(loc))
		return s3_put(loc, data, len, true, err, errlen);
	if (local_write(loc, data, len, true, err, errlen))
		return STORE_OK;
	return errno == EEXIST ? STORE_EXISTS : STORE_ERROR;
}

StoreResult store_get(const char *loc, Buf *out, char *err, size_t errlen)
{
	if (store_is_s3(loc))
		return s3_get(loc, out, err, errlen);
	bool missing = false;
	if (read_local(loc, out, &missing, err, errlen))
		return STORE_OK;
	return missing ? STORE_MISSING : STORE_ERROR;
}

bool store_delete(const char *loc)
{
	if (store_is_s3(loc))
		return s3_delete(loc);
	return unlink(loc) == 0 || errno == ENOENT;
}

bool store_list(const char *dir, StoreListFn fn, void *arg, char *err, size_t errlen)
{
	if (store_is_s3(dir))
		return s3_list(dir, fn, arg, err, errlen);
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return true;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fn(arg, de->d_name);
	closedir(d);
	return true;
}
