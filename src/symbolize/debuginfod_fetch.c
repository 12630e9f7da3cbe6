// SPDX-License-Identifier: MIT
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/debuginfod_fetch.h"
#include "util/hashmap.h"
#include "util/readfile.h"

enum fetch_state { FETCH_QUEUED, FETCH_DONE, FETCH_FAILED };

struct fetch {
	enum fetch_state state;
	char *path;	    /* FETCH_DONE */
	struct fetch *next; /* queue */
	char id[];
};

struct dfetch {
	pthread_t worker;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	bool stop;
	int busy;	    /* downloads in flight */
	struct hashmap ids; /* id string (in struct fetch) -> struct fetch * */
	struct fetch *head, *tail;
	struct dfetch_stats stats;
};

/* Space-separated contents of every /etc/debuginfod/ *.urls file, or NULL. */
static char *urls_from_etc(void)
{
	char *all = NULL;
	size_t len = 0;
	glob_t g;

	if (glob("/etc/debuginfod/*.urls", 0, NULL, &g))
		return NULL;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *buf, *grown;
		size_t n;

		if (read_path_all(g.gl_pathv[i], 4096, 64 * 1024, &buf, &n))
			continue;
		for (size_t j = 0; j < n; j++)
			if (buf[j] == '\n' || buf[j] == '\t')
				buf[j] = ' ';
		grown = realloc(all, len + n + 2);
		if (!grown) {
			free(buf);
			break;
		}
		all = grown;
		memcpy(all + len, buf, n);
		len += n;
		all[len++] = ' ';
		all[len] = '\0';
		free(buf);
	}
	globfree(&g);
	return all;
}

static void mkdir_p(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0700);
}

int dfetch__configure(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	const char *cache = getenv("DEBUGINFOD_CACHE_PATH");

	if (!urls || !*urls) {
		char *etc = urls_from_etc();

		if (!etc || !strspn(etc, " ") || strspn(etc, " ") == strlen(etc)) {
			free(etc);
			return -ENOENT;
		}
		setenv("DEBUGINFOD_URLS", etc, 1);
		free(etc);
	}
	if (!cache || !*cache) {
		setenv("DEBUGINFOD_CACHE_PATH", DFETCH_DEFAULT_CACHE, 1);
		cache = DFETCH_DEFAULT_CACHE;
	}
	mkdir_p(cache);
	return 0;
}

/* libdebuginfod calls this while downloading: a non-zero return aborts (flamed is stopping). */
static int progress(debuginfod_client *client, long a, long b)
{
	struct dfetch *d = debuginfod_get_user_data(client);

	(void)a, (void)b;
	return __atomic_load_n(&d->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static void *worker(void *arg)
{
	struct dfetch *d = arg;
	debuginfod_client *client = debuginfod_begin();

	if (client) {
		debuginfod_set_user_data(client, d);
		debuginfod_set_progressfn(client, progress);
	}
	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct fetch *f;
		char *path = NULL;
		int fd;

		while (!d->stop && !d->head)
			pthread_cond_wait(&d->wake, &d->lock);
		if (d->stop)
			break;
		f = d->head;
		d->head = f->next;
		if (!d->head)
			d->tail = NULL;
		d->busy++;
		pthread_mutex_unlock(&d->lock);
		/* the id string is immutable and the entry outlives the worker: safe unlocked */
		fd = client ? debuginfod_find_debuginfo(client, (const unsigned char *)f->id, 0,
							&path)
			    : -ENOSYS;
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&d->lock);
		d->busy--;
		if (fd >= 0 && path) {
			f->path = path;
			f->state = FETCH_DONE;
			d->stats.fetched++;
		} else {
			free(path);
			f->state = FETCH_FAILED;
			d->stats.failed++;
		}
		pthread_cond_broadcast(&d->idle);
	}
	pthread_mutex_unlock(&d->lock);
	if (client)
		debuginfod_end(client);
	return NULL;
}

struct dfetch *dfetch__new(void)
{
	struct dfetch *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	pthread_cond_init(&d->idle, NULL);
	hashmap__init(&d->ids, hashmap_hash_str, hashmap_equal_str, NULL);
	err = pthread_create(&d->worker, NULL, worker, d);
	if (err) {
		dfetch__free(d);
		errno = err;
		return NULL;
	}
	d->started = true;
	return d;
}

static bool valid_id(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n >= 2 && n <= 128 && !id[n] && n % 2 == 0;
}

int dfetch__get(struct dfetch *d, const char *build_id, char *path, size_t path_sz)
{
	struct fetch *f;
	uintptr_t v;
	int ret;

	if (!d || !build_id || !valid_id(build_id))
		return -ENOENT;
	pthread_mutex_lock(&d->lock);
	if (hashmap__find(&d->ids, (uintptr_t)build_id, &v)) {
		f = (struct fetch *)v;
		ret = f->state == FETCH_QUEUED ? -EAGAIN : f->state == FETCH_FAILED ? -ENOENT : 0;
		if (!ret)
			snprintf(path, path_sz, "%s", f->path);
		goto out;
	}
	if (d->ids.len >= DFETCH_MAX_IDS) {
		d->stats.refused++;
		ret = -ENOENT;
		goto out;
	}
	f = calloc(1, sizeof(*f) + strlen(build_id) + 1);
	if (!f) {
		ret = -ENOENT;
		goto out;
	}
	strcpy(f->id, build_id);
	if (hashmap__set(&d->ids, (uintptr_t)f->id, (uintptr_t)f)) {
		free(f);
		ret = -ENOENT;
		goto out;
	}
	if (d->tail)
		d->tail->next = f;
	else
		d->head = f;
	d->tail = f;
	d->stats.queued++;
	pthread_cond_signal(&d->wake);
	ret = -EAGAIN;
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int dfetch__drain(struct dfetch *d, int timeout_ms)
{
	struct timespec until;
	int ret = 0;

	if (!d)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while ((d->head || d->busy) && ret == 0)
		ret = pthread_cond_timedwait(&d->idle, &d->lock, &until);
	pthread_mutex_unlock(&d->lock);
	return ret ? -ETIMEDOUT : 0;
}

struct dfetch_stats dfetch__stats(struct dfetch *d)
{
	struct dfetch_stats st = { 0 };

	if (!d)
		return st;
	pthread_mutex_lock(&d->lock);
	st = d->stats;
	pthread_mutex_unlock(&d->lock);
	return st;
}

void dfetch__free(struct dfetch *d)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->lock);
		__atomic_store_n(&d->stop, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->worker, NULL);
	}
	hashmap__for_each (&d->ids, e) {
		struct fetch *f = (struct fetch *)e->value;

		free(f->path);
		free(f);
	}
	hashmap__clear(&d->ids);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->idle);
	free(d);
}
