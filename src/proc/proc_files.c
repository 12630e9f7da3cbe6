// SPDX-License-Identifier: MIT
/* The process table's mapped files (proc_files.h): one node per (dev, inode), opened verified and
 * non-blocking from where a process maps it, its fd within a budget (least recently used closed,
 * reopened from its last sighting when needed), opens rate-limited. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "proc/proc_files.h"
#include "proc/proc_root.h"
#include "util/clock.h"
#include "util/hashmap.h"

#define DELETED_SUFFIX " (deleted)"
#define FD_RESERVE     256 /* fds left to the sampler, outputs and the rest of flamed */
#define FD_BUDGET_MIN  16

struct file_node;

struct proc_files {
	struct hashmap files; /* (dev, inode) key struct -> struct file_node * */
	/* open fds nobody holds, most recently used first: the tail is closed when over budget */
	struct file_node *lru_head, *lru_tail;
	size_t fds_open; /* held or in the LRU */
	size_t fd_budget;
	uint64_t opens_window_ns; /* start of the current second of the file open rate */
	uint32_t window_opens;
	size_t nr_files;
	struct proc_table_stats *stats; /* the table's: files_* and fd counters (borrowed) */
};

struct file_key {
	uint64_t dev;
	uint64_t inode;
};

/* Files embed their key as their first member, so the map keys point into them. */
/* Where a file was last seen mapped, to open it again after the budget closed it. */
struct sighting {
	uint32_t tgid;
	uint64_t start, end;
	bool name_deleted; /* the maps line's name ended in " (deleted)" */
};

struct file_node {
	struct file_key key;
	struct proc_file f;
	struct sighting seen;
	struct file_node *prev, *next; /* LRU links while open and not held */
	uint32_t holds;
	bool lost;	     /* could not be opened where last seen */
	bool deferred;	     /* not opened yet: over the open rate when first seen */
	bool suffix_is_name; /* " (deleted)" ends the file's real name (it has links) */
};

static uint64_t hash_file_key(uintptr_t k, void *ctx)
{
	const struct file_key *fk = (const void *)k;

	(void)ctx;
	return hash_u64(fk->inode ^ hash_u64(fk->dev));
}

static bool equal_file_key(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct file_key *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->dev == y->dev && x->inode == y->inode;
}

static size_t budget_from_rlimit(void)
{
	struct rlimit rl;
	size_t lim;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	lim = (size_t)rl.rlim_cur;
	/* half of what is left after the reserve: the symbolizer's debug files and the unwind
	 * loader open files of their own */
	return lim > FD_RESERVE + 2 * FD_BUDGET_MIN ? (lim - FD_RESERVE) / 2 : FD_BUDGET_MIN;
}

struct proc_files *proc_files__new(struct proc_table_stats *stats)
{
	struct proc_files *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	hashmap__init(&c->files, hash_file_key, equal_file_key, NULL);
	c->stats = stats;
	proc_files__set_fd_budget(c, 0);
	return c;
}

/* --- the fd budget --- */

static void lru_unlink(struct proc_files *c, struct file_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else if (c->lru_head == n)
		c->lru_head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else if (c->lru_tail == n)
		c->lru_tail = n->prev;
	n->prev = n->next = NULL;
}

static void lru_push_head(struct proc_files *c, struct file_node *n)
{
	n->prev = NULL;
	n->next = c->lru_head;
	if (c->lru_head)
		c->lru_head->prev = n;
	c->lru_head = n;
	if (!c->lru_tail)
		c->lru_tail = n;
}

static void close_file(struct proc_files *c, struct file_node *n)
{
	lru_unlink(c, n);
	close(n->f.fd);
	n->f.fd = -1;
	c->fds_open--;
}

/* Close least recently used fds nobody holds until at most keep are open. */
static void trim_fds(struct proc_files *c, size_t keep)
{
	while (c->fds_open > keep && c->lru_tail) {
		close_file(c, c->lru_tail);
		c->stats->files_closed++;
	}
}

/* n just got fd: account it (held or as most recently used), then respect the budget. */
static void track_open(struct proc_files *c, struct file_node *n)
{
	c->fds_open++;
	if (c->fds_open > c->stats->fds_peak)
		c->stats->fds_peak = c->fds_open;
	if (!n->holds)
		lru_push_head(c, n);
	trim_fds(c, c->fd_budget);
}

void proc_files__set_fd_budget(struct proc_files *c, size_t budget)
{
	c->fd_budget = budget ? budget : budget_from_rlimit();
	c->stats->fd_budget = c->fd_budget;
	trim_fds(c, c->fd_budget);
}

/* A new file open within the rate (PROC_TABLE_OPENS_MAX a second): a process that maps new files
 * in a loop cannot make flamed open files in a loop. */
static bool open_allowed(struct proc_files *c)
{
	uint64_t now = mono_ns();

	if (now - c->opens_window_ns >= 1000000000ULL) {
		c->opens_window_ns = now;
		c->window_opens = 0;
	}
	if (c->window_opens >= PROC_TABLE_OPENS_MAX) {
		c->stats->opens_deferred++;
		return false;
	}
	c->window_opens++;
	return true;
}

/* --- opening a process's file --- */

/* O_PATH opens neither block (FIFOs, devices, leases) nor run a driver's open; the fd is only
 * read-opened once fstat shows the mapped regular file. */
static bool is_mapped_file(int fd, const struct file_key *key, struct stat *ret_st)
{
	return !fstat(fd, ret_st) && S_ISREG(ret_st->st_mode) && ret_st->st_dev == key->dev &&
	       ret_st->st_ino == key->inode;
}

/* Open the file mapped at [s->start, s->end) in process s->tgid, as key names it: through
 * map_files (the exact mapped file, even deleted or replaced on disk), else through the path
 * inside the process's root. Returns an O_RDONLY fd, -ESTALE when only another file was found
 * there (refused), or -errno. *ret_nlink gets the link count. */
static int open_mapped_file(const struct sighting *s, const char *path, const struct file_key *key,
			    nlink_t *ret_nlink)
{
	char buf[4096 + 64];
	const char *names[2] = { path, NULL };
	bool refused = false;
	struct stat st;
	int pfd, fd;

	snprintf(buf, sizeof(buf), "/proc/%u/map_files/%llx-%llx", s->tgid,
		 (unsigned long long)s->start, (unsigned long long)s->end);
	pfd = open(buf, O_PATH | O_CLOEXEC);
	if (pfd >= 0 && !is_mapped_file(pfd, key, &st)) {
		refused = true;
		close(pfd);
		pfd = -1;
	}
	/* the maps line's name: the file may still be there, under the name with the suffix if
	 * that was just its name */
	if (s->name_deleted && strlen(path) + sizeof(DELETED_SUFFIX) <= sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%s%s", path, DELETED_SUFFIX);
		names[1] = buf;
	}
	for (int i = 0; pfd < 0 && i < 2 && names[i] && names[i][0] == '/'; i++) {
		pfd = proc_root__open_path(s->tgid, names[i]);
		if (pfd >= 0 && !is_mapped_file(pfd, key, &st)) {
			refused = true;
			close(pfd);
			pfd = -1;
		}
	}
	if (pfd < 0)
		return refused ? -ESTALE : -ENOENT;
	/* reopen the very inode checked; O_NONBLOCK so that a lease cannot stall us */
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pfd);
	fd = open(buf, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && !is_mapped_file(fd, key, &st)) {
		close(fd);
		fd = -ESTALE;
	} else if (fd < 0) {
		fd = -errno;
	}
	close(pfd);
	*ret_nlink = st.st_nlink;
	return fd;
}

/* Open n from its last sighting, making room under the budget first. */
static int open_node(struct proc_files *c, struct file_node *n, nlink_t *ret_nlink)
{
	int fd;

	trim_fds(c, c->fd_budget ? c->fd_budget - 1 : 0);
	fd = open_mapped_file(&n->seen, n->f.path, &n->key, ret_nlink);
	if (fd == -EMFILE || fd == -ENFILE) {
		trim_fds(c, 0); /* out of fds despite the budget: give all unheld back, retry */
		fd = open_mapped_file(&n->seen, n->f.path, &n->key, ret_nlink);
	}
	return fd;
}

static struct file_node *node_of(const struct proc_file *f)
{
	return (struct file_node *)((char *)f - offsetof(struct file_node, f));
}

int proc_file__hold(const struct proc_file *f)
{
	struct proc_files *c;
	struct file_node *n;
	nlink_t nlink;
	int fd;

	if (!f)
		return -EINVAL;
	c = f->cache;
	if (!c)
		return f->fd >= 0 ? f->fd : -EBADF;
	n = node_of(f);
	if (n->f.fd >= 0) {
		if (!n->holds++)
			lru_unlink(c, n);
		return n->f.fd;
	}
	if (n->lost)
		return -ENOENT;
	if (n->deferred && !open_allowed(c))
		return -EAGAIN;
	fd = open_node(c, n, &nlink);
	if (fd < 0) {
		n->lost = true;
		c->stats->files_lost++;
		if (fd == -ESTALE)
			c->stats->files_refused++;
		return fd;
	}
	if (n->deferred)
		c->stats->files_open++;
	else
		c->stats->files_reopened++;
	n->deferred = false;
	n->f.fd = fd;
	n->holds++;
	track_open(c, n);
	return fd;
}

void proc_file__release(const struct proc_file *f)
{
	struct file_node *n;

	if (!f || !f->cache)
		return;
	n = node_of(f);
	if (!n->holds || --n->holds || n->f.fd < 0)
		return;
	lru_push_head(f->cache, n);
	trim_fds(f->cache, f->cache->fd_budget);
}

/* The maps line of a file named "x (deleted)" reads like that of a deleted "x": once the
 * opened inode shows links, the suffix is known to be part of the name and is given back to m.
 * true when m was renamed. */
static bool fix_name(const struct file_node *n, struct proc_map *m)
{
	char *p;

	if (!m->is_deleted || !n->suffix_is_name ||
	    asprintf(&p, "%s%s", m->path, DELETED_SUFFIX) < 0)
		return false;
	free(m->path);
	m->path = p;
	m->is_deleted = false;
	return true;
}

/* n's path is now path (a copy; kept as it was when out of memory). */
static void set_path(struct file_node *n, const char *path)
{
	char *p = strdup(path);

	if (p) {
		free(n->f.path);
		n->f.path = p;
	}
}

/* Remember where n was last seen mapped: a live place to reopen it from if the budget closes it
 * (the process that first mapped it may be gone by then). */
static void see(struct file_node *n, const struct sighting *seen, const char *path)
{
	n->seen = *seen;
	if (strcmp(n->f.path, path)) /* another mount namespace */
		set_path(n, path);
}

/* Open n for mapping m (first sight, or a retry after it was not found or deferred): 0 and n
 * counted open, or -errno (-ESTALE: only another file was there). A " (deleted)" the opened
 * inode's links show to be part of the name is given back to m and n. */
static int node_try_open(struct proc_files *c, struct file_node *n, struct proc_map *m)
{
	nlink_t nlink = 0;
	int fd = open_node(c, n, &nlink);

	if (fd < 0)
		return fd;
	n->lost = false;
	n->deferred = false;
	n->f.fd = fd;
	c->stats->files_open++;
	track_open(c, n);
	n->suffix_is_name = m->is_deleted && nlink;
	if (fix_name(n, m))
		set_path(n, m->path);
	return 0;
}

struct proc_file *proc_files__get(struct proc_files *c, uint32_t tgid, struct proc_map *m)
{
	struct file_key key = { .dev = makedev(m->dev_major, m->dev_minor), .inode = m->inode };
	struct sighting seen = { tgid, m->start, m->end, m->is_deleted };
	struct file_node *n;
	uintptr_t v;
	int err;

	if (!m->inode || m->path[0] != '/')
		return NULL; /* anonymous, [vdso], JIT: nothing to open */
	if (hashmap__find(&c->files, (uintptr_t)&key, &v)) {
		n = (struct file_node *)v;
		fix_name(n, m);
		see(n, &seen, m->path);
		/* not found where it was seen before (a mapping that moved away, a FIFO at its
		 * path), or not tried yet (rate): this mapping of the same inode may lead to it */
		if (n->f.fd < 0 && (n->lost || n->deferred) && open_allowed(c))
			node_try_open(c, n, m);
		return &n->f;
	}
	if (c->nr_files >= PROC_TABLE_MAX_FILES) {
		c->stats->files_over_cap++;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = key;
	n->seen = seen;
	n->f.dev = key.dev;
	n->f.inode = key.inode;
	n->f.fd = -1;
	n->f.cache = c;
	n->f.path = strdup(m->path);
	if (!n->f.path || hashmap__set(&c->files, (uintptr_t)&n->key, (uintptr_t)n)) {
		free(n->f.path);
		free(n);
		return NULL;
	}
	c->nr_files++;
	if (!open_allowed(c)) {
		n->deferred = true; /* tried at its next sighting, or when needed */
		return &n->f;
	}
	err = node_try_open(c, n, m);
	if (err) {
		n->lost = true;
		if (err == -ESTALE)
			c->stats->files_refused++;
		else
			c->stats->files_failed++;
	}
	return &n->f;
}

void proc_files__free(struct proc_files *c)
{
	if (!c)
		return;
	hashmap__for_each (&c->files, he) {
		struct file_node *n = (void *)he->value;

		if (n->f.fd >= 0)
			close(n->f.fd);
		free(n->f.path);
		elf_file__free(n->f.elf);
		free(n);
	}
	hashmap__clear(&c->files);
	free(c);
}
