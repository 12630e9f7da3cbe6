// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "proc/proc_table.h"
#include "util/hashmap.h"

struct proc_table {
	struct hashmap entries; /* (tgid, aspace) key struct -> struct proc_entry * */
	struct hashmap files;	/* (dev, inode) key struct -> struct proc_file * */
	struct proc_table_stats stats;
};

struct entry_key {
	uint64_t aspace;
	uint32_t tgid;
};

struct file_key {
	uint64_t dev;
	uint64_t inode;
};

/* Entries and files embed their key as the first members, so the map keys point into them. */
struct entry_node {
	struct entry_key key;
	struct proc_entry e;
};

struct file_node {
	struct file_key key;
	struct proc_file f;
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

struct proc_table *proc_table__new(void)
{
	struct proc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->entries, hash_entry_key, equal_entry_key, NULL);
	hashmap__init(&t->files, hash_file_key, equal_file_key, NULL);
	return t;
}

/* Open the file behind mapping m of process tgid: through map_files first (the exact mapped file,
 * even if deleted or replaced on disk), then through the process's root (containers), then the
 * path itself. */
static int open_mapped_file(uint32_t tgid, const struct proc_map *m)
{
	char path[4096 + 64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", tgid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (m->path[0] != '/')
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%u/root%s", tgid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static struct proc_file *pin_file(struct proc_table *t, uint32_t tgid, const struct proc_map *m)
{
	struct file_key key = { .dev = makedev(m->dev_major, m->dev_minor), .inode = m->inode };
	struct file_node *n;
	uintptr_t v;

	if (!m->inode || m->path[0] != '/')
		return NULL; /* anonymous, [vdso], JIT: nothing to open */
	if (hashmap__find(&t->files, (uintptr_t)&key, &v))
		return &((struct file_node *)v)->f;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = key;
	n->f.dev = key.dev;
	n->f.inode = key.inode;
	n->f.path = strdup(m->path);
	n->f.fd = open_mapped_file(tgid, m);
	if (!n->f.path || hashmap__set(&t->files, (uintptr_t)&n->key, (uintptr_t)n)) {
		if (n->f.fd >= 0)
			close(n->f.fd);
		free(n->f.path);
		free(n);
		return NULL;
	}
	if (n->f.fd < 0) {
		n->f.fd = -1;
		t->stats.files_failed++;
	} else {
		t->stats.files_open++;
	}
	return &n->f;
}

static void read_comm(uint32_t tgid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	f = fopen(path, "re");
	if (!f || !fgets(comm, len, f))
		snprintf(comm, len, "%s", "[unknown]");
	else
		comm[strcspn(comm, "\n")] = 0;
	if (f)
		fclose(f);
}

/* Start time of the process in clock ticks since boot (field 22 of /proc/PID/stat), 0 if unknown:
 * tells a re-read apart from a new process that reused the pid. */
static uint64_t read_start_time(uint32_t tgid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		/* fields after "(comm)" start at 3 (state); starttime is field 22 */
		if (sscanf(p + 1,
			   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			   "%*d %*d %llu",
			   &start) != 1)
			start = 0;
	}
	fclose(f);
	return start;
}

static bool overlaps_any(const struct proc_maps *maps, const struct proc_map *m)
{
	for (size_t i = 0; i < maps->nr; i++)
		if (maps->maps[i].start < m->end && maps->maps[i].end > m->start)
			return true;
	return false;
}

static int cmp_by_start(const void *a, const void *b, void *files)
{
	const struct proc_map *x = a, *y = b;

	(void)files;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Append the old mappings that fresh does not overlap (unmapped since, e.g. a dlclose'd library:
 * samples taken before may point there) to fresh, with their pinned files. 0 or -ENOMEM. */
static int keep_old_mappings(struct proc_maps *fresh, struct proc_file ***files,
			     const struct proc_maps *old, struct proc_file *const *old_files)
{
	size_t keep = 0, n = fresh->nr;
	struct proc_map *maps;
	struct proc_file **f;

	for (size_t i = 0; i < old->nr; i++)
		keep += !overlaps_any(fresh, &old->maps[i]);
	if (!keep)
		return 0;
	maps = realloc(fresh->maps, (n + keep) * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	fresh->maps = maps;
	f = realloc(*files, (n + keep) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	*files = f;
	for (size_t i = 0; i < old->nr; i++) {
		struct proc_map m = old->maps[i];

		if (overlaps_any(fresh, &m))
			continue;
		m.path = strdup(m.path);
		if (!m.path)
			return -ENOMEM;
		maps[fresh->nr] = m;
		f[fresh->nr++] = old_files[i];
	}
	/* sort maps and files together: sort an index, then permute */
	{
		struct {
			struct proc_map m;
			struct proc_file *f;
		} *tmp = calloc(fresh->nr, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		for (size_t i = 0; i < fresh->nr; i++) {
			tmp[i].m = maps[i];
			tmp[i].f = f[i];
		}
		qsort_r(tmp, fresh->nr, sizeof(*tmp), cmp_by_start, NULL);
		for (size_t i = 0; i < fresh->nr; i++) {
			maps[i] = tmp[i].m;
			f[i] = tmp[i].f;
		}
		free(tmp);
	}
	return 0;
}

/* (Re)take the maps snapshot of e and pin its files, keeping what an earlier snapshot saw unless
 * replace is set. */
static int snapshot(struct proc_table *t, struct proc_entry *e, bool replace)
{
	struct proc_maps *maps;
	struct proc_file **files;
	uint64_t start = read_start_time(e->tgid);
	int err;

	if (!start)
		return -ESRCH;
	if (e->start_time && start != e->start_time)
		return -ESRCH; /* the pid now belongs to another process */
	e->start_time = start;
	maps = proc_maps__read(e->tgid, true);
	if (!maps)
		return -errno;
	files = calloc(maps->nr ? maps->nr : 1, sizeof(*files));
	if (!files) {
		proc_maps__free(maps);
		return -ENOMEM;
	}
	for (size_t i = 0; i < maps->nr; i++)
		files[i] = pin_file(t, e->tgid, &maps->maps[i]);
	if (e->maps && !replace) {
		err = keep_old_mappings(maps, &files, e->maps, e->files);
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
	return 0;
}

int proc_table__refresh(struct proc_table *t, struct proc_entry *e, const char *comm, bool replace)
{
	int err;

	if (comm && comm[0])
		snprintf(e->comm, sizeof(e->comm), "%s", comm);
	t->stats.refreshes++;
	err = snapshot(t, e, replace);
	if (!err)
		e->snapshot_err = 0;
	return err;
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
	else
		read_comm(tgid, n->e.comm, sizeof(n->e.comm));
	if (hashmap__set(&t->entries, (uintptr_t)&n->key, (uintptr_t)n)) {
		free(n);
		errno = ENOMEM;
		return NULL;
	}
	t->stats.processes++;
	n->e.snapshot_err = snapshot(t, &n->e, true);
	if (n->e.snapshot_err)
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
		if (snapshot(t, e, false) == 0)
			m = proc_maps__find(e->maps, addr);
	}
	if (ret_file)
		*ret_file = m ? e->files[m - e->maps->maps] : NULL;
	return m;
}

struct proc_table_stats proc_table__stats(const struct proc_table *t)
{
	return t->stats;
}

void proc_table__free(struct proc_table *t)
{
	if (!t)
		return;
	hashmap__for_each (&t->entries, he) {
		struct entry_node *n = (void *)he->value;

		proc_maps__free(n->e.maps);
		free(n->e.files);
		free(n);
	}
	hashmap__for_each (&t->files, he) {
		struct file_node *n = (void *)he->value;

		if (n->f.fd >= 0)
			close(n->f.fd);
		free(n->f.path);
		free(n);
	}
	hashmap__clear(&t->entries);
	hashmap__clear(&t->files);
	free(t);
}
