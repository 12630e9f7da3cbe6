// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "proc/proc_files.h"
#include "proc/proc_root.h"
#include "proc/proc_table.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/readfile.h"

struct proc_table {
	struct hashmap entries;	  /* (tgid, aspace) key struct -> struct proc_entry * */
	struct proc_files *files; /* the mapped files, shared by processes (proc_files.h) */
	uint64_t window_ns;	  /* start of the current second of the global re-read rate */
	uint32_t window_refreshes;
	/* processes that exited, for proc_table__reap: (tgid, reap call it was told in) */
	struct exited {
		uint32_t tgid;
		uint64_t seq;
	} * exited;
	size_t nr_exited, cap_exited;
	uint64_t reap_seq;
	struct proc_table_stats stats;
};

struct entry_key {
	uint64_t aspace;
	uint32_t tgid;
};

/* Entries embed their key as their first member, so the map keys point into them. */
struct entry_node {
	struct entry_key key;
	struct proc_entry e;
	bool gone; /* a sweep found the process dead: freed at the next one */
};

static uint64_t hash_entry_key(uintptr_t k, void *ctx)
{
	const struct entry_key *ek = (const void *)k;

	(void)ctx;
	return hash_u64(ek->aspace ^ hash_u64(ek->tgid));
}

static bool equal_entry_key(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct entry_key *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->tgid == y->tgid && x->aspace == y->aspace;
}

struct proc_table *proc_table__new(void)
{
	struct proc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->entries, hash_entry_key, equal_entry_key, NULL);
	t->files = proc_files__new(&t->stats);
	if (!t->files) {
		free(t);
		return NULL;
	}
	return t;
}

void proc_table__set_fd_budget(struct proc_table *t, size_t budget)
{
	proc_files__set_fd_budget(t->files, budget);
}

/* --- snapshots --- */

/* Keep the first cap mappings of fresh (the kernel lists them by address). */
static void cap_fresh(struct proc_maps *fresh, size_t cap, uint64_t *dropped)
{
	while (fresh->nr > cap) {
		free(fresh->maps[--fresh->nr].path);
		(*dropped)++;
	}
}

/* Add to fresh the mappings of e's snapshot that are gone now, with their files. */
static int keep_old(struct proc_table *t, struct proc_maps *fresh, struct proc_file ***files,
		    const struct proc_entry *e)
{
	size_t n = fresh->nr, dropped = 0, *src = NULL;
	struct proc_file **f;
	int err;

	/* room for the largest result first: the merge itself cannot be undone */
	f = calloc(n + e->maps->nr + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	err = proc_maps__merge_old(fresh, e->maps, PROC_TABLE_MAX_MAPPINGS, &src, &dropped);
	t->stats.mappings_dropped += dropped;
	if (err || fresh->nr == n) {
		free(f);
		free(src);
		return err;
	}
	for (size_t i = 0; i < fresh->nr; i++)
		f[i] = src[i] < n ? (*files)[src[i]] : e->files[src[i] - n];
	free(*files);
	*files = f;
	free(src);
	return 0;
}

/* Executable memory that is not a file: what a JIT compiles into. */
static bool has_anon_exec(const struct proc_maps *maps)
{
	for (size_t i = 0; maps && i < maps->nr; i++) {
		const char *p = maps->maps[i].path;

		if (p[0] != '/' && strcmp(p, "[vdso]") && strcmp(p, "[vsyscall]"))
			return true;
	}
	return false;
}

/* The target of /proc/PID/exe, NULL when there is none (a kernel thread) or it cannot be read.
 * readlink only: the link is a name, never followed, and at most PATH_MAX long. The kernel's
 * " (deleted)" suffix is dropped, as the maps parser drops it from mapping paths. */
static char *read_exe(uint32_t tgid)
{
	static const char deleted[] = " (deleted)";
	char path[64], buf[PATH_MAX];
	size_t len;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	len = (size_t)n;
	if (len > sizeof(deleted) - 1 &&
	    !memcmp(buf + len - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1))
		len -= sizeof(deleted) - 1;
	buf[len] = '\0';
	return strdup(buf);
}

/* (Re)take the maps snapshot of e and open its files, keeping what an earlier snapshot saw unless
 * replace is set. When the pid now belongs to a process started later than e's, that is e only
 * if the caller knows (take_over: the sampler just saw (tgid, aspace) run). */
static int snapshot(struct proc_table *t, struct proc_entry *e, bool replace, bool take_over)
{
	struct proc_maps *maps;
	struct proc_file **files;
	struct proc_stat st;
	uint64_t start;
	char *exe;
	int err;

	err = proc_stat__read(e->tgid, &st);
	if (err == -EINVAL)
		t->stats.stat_bad++;
	if (err)
		return -ESRCH;
	if (e->start_time && st.start_time != e->start_time) {
		if (!take_over)
			return -ESRCH; /* the pid now belongs to another process */
		/* what was read before is another program's: none of it may be kept */
		t->stats.pid_reused++;
		replace = true;
		perf_map__free(e->jit);
		e->jit = NULL;
		e->jit_read_ns = 0;
		e->jit_size = 0;
		snprintf(e->comm, sizeof(e->comm), "%s", st.comm);
	}
	start = st.start_time;
	maps = proc_maps__read(e->tgid, true);
	if (!maps) {
		t->stats.maps_too_big += errno == EFBIG;
		return -errno;
	}
	exe = read_exe(e->tgid);
	/* the maps of the process whose start time was read, not of one that took the pid since */
	if (proc_stat__read(e->tgid, &st) || st.start_time != start) {
		proc_maps__free(maps);
		free(exe);
		return -ESRCH;
	}
	if (exe || replace) {
		free(e->exe);
		e->exe = exe;
	}
	e->start_time = start;
	cap_fresh(maps, PROC_TABLE_MAX_MAPPINGS, &t->stats.mappings_dropped);
	files = calloc(maps->nr ? maps->nr : 1, sizeof(*files));
	if (!files) {
		proc_maps__free(maps);
		return -ENOMEM;
	}
	for (size_t i = 0; i < maps->nr; i++)
		files[i] = proc_files__get(t->files, e->tgid, &maps->maps[i]);
	if (e->maps && !replace) {
		err = keep_old(t, maps, &files, e);
		if (err) {
			proc_maps__free(maps);
			free(files);
			return err;
		}
	}
	proc_maps__free(e->maps);
	free(e->files);
	e->maps = maps;
	e->files = files;
	e->jit_candidate = has_anon_exec(maps);
	return 0;
}

/* Event-driven re-reads: one per process per PROC_TABLE_REFRESH_NS once its image had
 * PROC_TABLE_FRESH_REREADS, PROC_TABLE_REFRESH_MAX per second in all. A process that keeps
 * changing its mappings cannot make flamed read them in a loop. */
static bool refresh_allowed(struct proc_table *t, struct proc_entry *e, uint64_t now)
{
	if (now - t->window_ns >= 1000000000ULL) {
		t->window_ns = now;
		t->window_refreshes = 0;
	}
	if (e->last_refresh_ns && now - e->last_refresh_ns < PROC_TABLE_REFRESH_NS &&
	    e->image_refreshes >= PROC_TABLE_FRESH_REREADS)
		return false;
	return t->window_refreshes < PROC_TABLE_REFRESH_MAX;
}

int proc_table__refresh(struct proc_table *t, struct proc_entry *e, const char *comm, bool replace)
{
	uint64_t now = mono_ns();
	int err;

	if (comm && comm[0])
		snprintf(e->comm, sizeof(e->comm), "%s", comm);
	/* an exec is a new image, read once per exec: not limited, but it uses up the rate */
	if (!refresh_allowed(t, e, now) && !replace) {
		t->stats.refreshes_throttled++;
		return -EAGAIN;
	}
	t->window_refreshes++;
	/* the re-read that follows an exec (the loader maps the libraries) is not held back */
	if (!replace)
		e->last_refresh_ns = now;
	e->image_refreshes = replace ? 0 : e->image_refreshes + 1;
	t->stats.refreshes++;
	err = snapshot(t, e, replace, true);
	if (!err)
		e->snapshot_err = 0;
	return err;
}

/* The container a process runs in, from its cgroup path ("" when none or unreadable). The file is
 * procfs text the kernel writes, but the path in it is named by whoever made the cgroup: bounded
 * read, strict parse (proc/cgroup.h). */
static void read_container_id(uint32_t tgid, char *ret_id)
{
	char path[64], *text = NULL;
	size_t len = 0;

	ret_id[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", tgid);
	if (read_path_all(path, 4096, 64 * 1024, &text, &len) == 0 &&
	    cgroup__container_id(text, len, ret_id))
		ret_id[0] = 0;
	free(text);
}

struct proc_entry *proc_table__add(struct proc_table *t, uint32_t tgid, uint64_t aspace,
				   const char *comm)
{
	struct entry_key key = { .aspace = aspace, .tgid = tgid };
	struct entry_node *n;
	uintptr_t v;

	if (hashmap__find(&t->entries, (uintptr_t)&key, &v))
		return &((struct entry_node *)v)->e;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = key;
	n->e.tgid = tgid;
	n->e.aspace = aspace;
	if (comm && comm[0])
		snprintf(n->e.comm, sizeof(n->e.comm), "%s", comm);
	else if (proc_comm__read(tgid, n->e.comm))
		n->e.comm[0] = 0; /* unknown: samples keep the name the kernel gave them */
	read_container_id(tgid, n->e.container_id);
	if (hashmap__set(&t->entries, (uintptr_t)&n->key, (uintptr_t)n)) {
		free(n);
		errno = ENOMEM;
		return NULL;
	}
	t->stats.processes++;
	n->e.snapshot_err = snapshot(t, &n->e, true, false);
	if (n->e.snapshot_err == -ESRCH)
		t->stats.vanished++;
	return &n->e;
}

struct proc_entry *proc_table__find(const struct proc_table *t, uint32_t tgid, uint64_t aspace)
{
	struct entry_key key = { .aspace = aspace, .tgid = tgid };
	uintptr_t v;

	if (!hashmap__find(&t->entries, (uintptr_t)&key, &v))
		return NULL;
	return &((struct entry_node *)v)->e;
}

const struct proc_map *proc_table__lookup(struct proc_table *t, struct proc_entry *e, uint64_t addr,
					  struct proc_file **ret_file)
{
	const struct proc_map *m = e->maps ? proc_maps__find(e->maps, addr) : NULL;

	if (!m && !e->refreshed && !e->snapshot_err) {
		/* a library loaded after the snapshot: read the maps again, once */
		e->refreshed = true;
		t->stats.refreshes++;
		if (snapshot(t, e, false, false) == 0)
			m = proc_maps__find(e->maps, addr);
	}
	if (ret_file)
		*ret_file = m ? e->files[m - e->maps->maps] : NULL;
	return m;
}

/* Is e's process still the one that ran? Its pid exists with the same start time. */
static bool entry_alive(const struct proc_entry *e)
{
	struct proc_stat st;
	int err = proc_stat__read(e->tgid, &st);

	if (err == -ESRCH)
		return false;
	if (err)
		return true; /* unreadable now: keep it, ask again next time */
	return !e->start_time || st.start_time == e->start_time;
}

static void entry_free(struct entry_node *n)
{
	perf_map__free(n->e.jit);
	proc_maps__free(n->e.maps);
	free(n->e.files);
	free(n->e.exe);
	free(n);
}

size_t proc_table__sweep(struct proc_table *t)
{
	struct entry_node **doomed = NULL;
	size_t nr = 0, cap = 0;

	hashmap__for_each (&t->entries, he) {
		struct entry_node *n = (void *)he->value;

		if (!n->gone) {
			n->gone = !entry_alive(&n->e);
			continue;
		}
		if (nr == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct entry_node **d = realloc(doomed, ncap * sizeof(*d));

			if (!d)
				break; /* the rest waits for the next sweep */
			doomed = d;
			cap = ncap;
		}
		doomed[nr++] = n;
	}
	for (size_t i = 0; i < nr; i++) {
		hashmap__delete(&t->entries, (uintptr_t)&doomed[i]->key, NULL);
		entry_free(doomed[i]);
	}
	free(doomed);
	t->stats.swept += nr;
	return nr;
}

/* (Re)read e's perf map. Keeps the old one when the new read fails (the process exited). */
static void read_jit_map(struct proc_table *t, struct proc_entry *e)
{
	struct perf_map *pm;
	char path[64], *text = NULL;
	uint32_t nspid;
	size_t len;
	uid_t uid;
	int err;

	err = proc_root__ids(e->tgid, &nspid, &uid);
	if (err)
		return;
	snprintf(path, sizeof(path), "/tmp/perf-%u.map", nspid);
	err = proc_root__read_owned(e->tgid, path, uid, PROC_TABLE_JIT_MAX_BYTES, &text, &len,
				    &e->jit_size);
	if (err == -EPERM || err == -EFBIG || err == -EINVAL)
		t->stats.jit_maps_refused++;
	if (err)
		return;
	pm = perf_map__parse(text, len, PROC_TABLE_JIT_MAX_ENTRIES);
	free(text);
	if (!pm)
		return;
	t->stats.jit_maps_read++;
	perf_map__free(e->jit);
	e->jit = pm;
}

const char *proc_table__jit_name(struct proc_table *t, struct proc_entry *e, uint64_t addr)
{
	const char *name = e->jit ? perf_map__lookup(e->jit, addr, NULL) : NULL;
	uint64_t now;

	if (name)
		return name;
	now = mono_ns();
	if (e->jit_read_ns && now - e->jit_read_ns < PROC_TABLE_JIT_REREAD_NS)
		return NULL;
	e->jit_read_ns = now;
	read_jit_map(t, e);
	return e->jit ? perf_map__lookup(e->jit, addr, NULL) : NULL;
}

void proc_table__poll_jit(struct proc_table *t)
{
	uint64_t now = mono_ns();

	hashmap__for_each (&t->entries, he) {
		struct entry_node *n = (void *)he->value;
		struct proc_entry *e = &n->e;

		if (n->gone || !e->jit_candidate ||
		    (e->jit_read_ns && now - e->jit_read_ns < PROC_TABLE_JIT_REREAD_NS))
			continue;
		e->jit_read_ns = now;
		read_jit_map(t, e);
	}
}

void proc_table__exited(struct proc_table *t, uint32_t tgid)
{
	if (t->nr_exited == t->cap_exited) {
		size_t cap = t->cap_exited ? t->cap_exited * 2 : 256;
		struct exited *n = realloc(t->exited, cap * sizeof(*n));

		if (!n)
			return; /* left to proc_table__sweep */
		t->exited = n;
		t->cap_exited = cap;
	}
	t->exited[t->nr_exited++] = (struct exited){ .tgid = tgid, .seq = t->reap_seq };
}

size_t proc_table__reap(struct proc_table *t, bool (*in_use)(uint32_t tgid, void *ctx), void *ctx)
{
	struct hashmap doomed_tgids;
	struct entry_node **doomed = NULL;
	size_t keep = 0, nr = 0, cap = 0;

	hashmap__init(&doomed_tgids, hashmap_hash_int, hashmap_equal_int, NULL);
	for (size_t i = 0; i < t->nr_exited; i++) {
		struct exited x = t->exited[i];

		if (x.seq == t->reap_seq) {
			t->exited[keep++] =
				x; /* told since the last reap: its last samples may still
						* be in the BPF maps until the next drain */
			continue;
		}
		/* a window still refers to it: freed by the sweep after that window is built */
		if (!in_use(x.tgid, ctx) && hashmap__set(&doomed_tgids, x.tgid, 1))
			t->exited[keep++] = x;
	}
	t->nr_exited = keep;
	t->reap_seq++;
	if (!doomed_tgids.len)
		goto cleanup;
	hashmap__for_each (&t->entries, he) {
		struct entry_node *n = (void *)he->value;

		if (!hashmap__find(&doomed_tgids, n->e.tgid, NULL))
			continue;
		if (nr == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct entry_node **d = realloc(doomed, ncap * sizeof(*d));

			if (!d)
				break;
			doomed = d;
			cap = ncap;
		}
		doomed[nr++] = n;
	}
	for (size_t i = 0; i < nr; i++) {
		hashmap__delete(&t->entries, (uintptr_t)&doomed[i]->key, NULL);
		entry_free(doomed[i]);
	}
	t->stats.swept += nr;
cleanup:
	hashmap__clear(&doomed_tgids);
	free(doomed);
	return nr;
}

struct proc_table_stats proc_table__stats(const struct proc_table *t)
{
	return t->stats;
}

void proc_table__free(struct proc_table *t)
{
	if (!t)
		return;
	hashmap__for_each (&t->entries, he)
		entry_free((void *)he->value);
	proc_files__free(t->files);
	hashmap__clear(&t->entries);
	free(t->exited);
	free(t);
}
