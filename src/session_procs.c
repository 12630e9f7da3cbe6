// SPDX-License-Identifier: MIT
/* What the session does when the BPF program announces a process: its /proc snapshot (the
 * process table), its mappings described to the walker with their unwind tables (loaded through
 * the sampler as they are built), and its language runtime (CPython) registered for the BPF
 * runtime walkers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>

#include "cli.h"
#include "elf/elf_file.h"
#include "hotspot/hs_procs.h"
#include "kube.h"
#include "php/php_procs.h"
#include "ruby/rb_procs.h"
#include "runtime/runtimes.h"
#include "session_internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "v8/v8_procs.h"

/* -v names each binary whose table was refused (unwind_loader.h). */
static void on_unwind_refused(const char *name, enum unwind_refusal why, uint64_t bytes,
			      uint32_t uid, void *ctx)
{
	(void)ctx;
	/* a table over the per-binary cap is not built to the end: its size is a lower bound */
	log_debug("unwind table of %s refused: %s%.1f MiB, over the %s%s (file owner uid %u); "
		  "frame pointers there",
		  name ? name : "?", why == UNWIND_REFUSED_BINARY ? "at least " : "",
		  bytes / 1048576.0,
		  why == UNWIND_REFUSED_MEMORY ? "--unwind-memory bound" : unwind_refusal_str(why),
		  why == UNWIND_REFUSED_MEMORY ? "" : " cap", uid);
}

static int unwind_table_add(void *ctx, uint32_t slot, const void *elems, uint32_t nr,
			    size_t *ret_bytes)
{
	struct session *s = ctx;
	int err = sampler__add_unwind_table(s->sampler, slot, elems, nr, ret_bytes);

	if (err)
		log_debug("unwind table of %u elements not loaded: %s", nr, strerror(-err));
	return err;
}

static void unwind_table_del(void *ctx, uint32_t id, uint32_t nr)
{
	struct session *s = ctx;

	sampler__delete_unwind_table(s->sampler, id, nr);
}

static int unwind_publish(void *ctx, uint32_t tgid, const struct flamed_unwind_proc *p)
{
	struct session *s = ctx;

	return sampler__set_unwind_proc(s->sampler, tgid, p);
}

/* Describe a process's executable mappings to the BPF walker, loading their unwind tables. */
static void load_unwind(struct session *s, const struct proc_entry *e, bool after_remap)
{
	uint64_t t0 = mono_ns();
	size_t n = 0;
	int err;

	if (!s->unwind || !e->maps)
		return;
	for (size_t i = 0; i < e->maps->nr && n < FLAMED_UNWIND_MAX_MAPPINGS; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];
		struct unwind_loader_mapping *um = &s->umaps[n++];
		int fd;

		*um = (struct unwind_loader_mapping){
			.start = m->start, .end = m->end, .fd = -1, .name = f ? f->path : NULL
		};
		/* the file's ELF headers only (shared with the symbolizer), no symbol table */
		if (!f || elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					      m->prot_exec, &um->load_bias))
			continue;
		symbolizer__prefetch(s->sym, e->tgid, f); /* debuginfod, while it runs */
		/* held (not closed by the table's fd budget) until the description is made */
		fd = proc_file__hold(f);
		if (fd >= 0)
			um->fd = fd;
	}
	/* a process whose code keeps escaping the snapshot (JIT) may ask again only in a second;
	 * a fresh one soon, as the dynamic loader maps its libraries right after exec */
	after_remap = after_remap && e->image_refreshes >= PROC_TABLE_FRESH_REREADS;
	err = unwind_loader__describe(s->unwind, e->tgid, e->aspace, s->umaps, n,
				      mono_ns() + (after_remap ? 1000000000ULL : 5000000ULL),
				      s->uproc);
	for (size_t i = 0; i < n; i++) /* umaps[i] is maps[i]'s */
		if (s->umaps[i].fd >= 0)
			proc_file__release(e->files[i]);
	if (!err)
		err = sampler__set_unwind_proc(s->sampler, e->tgid, s->uproc);
	for (uint32_t i = 0; !err && i < s->uproc->nr && log_get_level() >= LOG_DEBUG; i++)
		log_debug("unwind %u: %llx-%llx table %d, %u pages", e->tgid,
			  (unsigned long long)s->uproc->m[i].start,
			  (unsigned long long)s->uproc->m[i].end, (int)s->uproc->m[i].table,
			  s->uproc->m[i].pages);
	if (err)
		log_debug("no unwind tables for %u: %s", e->tgid, strerror(-err));
	log_debug("unwind %u: described in %.2f ms", e->tgid, (mono_ns() - t0) / 1e6);
}

/* Start or stop the retry timer. */
static void rt_timer_arm(struct session *s, bool on)
{
	struct itimerspec t = { 0 };

	if (on) {
		t.it_value.tv_nsec = SESSION_RT_WAIT_TICK_MS * 1000000L;
		t.it_interval = t.it_value;
	}
	if (s->rt_timer_fd >= 0)
		timerfd_settime(s->rt_timer_fd, 0, &t, NULL);
}

/* A process whose runtime is still starting (a JVM before its code cache exists) is asked
 * again at the next drains: no event would bring it back. */
static void runtime_wait(struct session *s, const struct proc_entry *e)
{
	size_t i;

	for (i = 0; i < s->nr_rt_wait; i++)
		if (s->rt_wait[i].tgid == e->tgid && s->rt_wait[i].aspace == e->aspace)
			return;
	if (s->nr_rt_wait == SESSION_RT_WAIT)
		return;
	s->rt_wait[s->nr_rt_wait++] = (typeof(s->rt_wait[0])){
		.tgid = e->tgid, .aspace = e->aspace, .until_ns = mono_ns() + SESSION_RT_WAIT_NS
	};
	rt_timer_arm(s, true);
}

/* A process running a runtime flamed knows gets its runtime frames walked; one whose version
 * flamed does not know is said once per runtime file and profiled natively. */
static void load_runtime(struct session *s, struct proc_entry *e)
{
	const struct runtime_ops *ops;
	struct flamed_rt_proc rtp;
	struct runtime_detect what;
	bool was = runtimes__registered(s->rt, e->tgid);
	int err;

	err = runtimes__detect(s->rt, e, &rtp, &what, &ops);
	if (err == -EALREADY)
		return;
	if (err == -EAGAIN)
		runtime_wait(s, e);
	if (err == -ENOTSUP && what.first_report)
		log_warn("%s (pid %u) is %s, which flamed does not know (%s): its %s frames are "
			 "not shown, only native ones",
			 what.path, e->tgid, what.what, what.known, ops->language);
	if (err) {
		/* an exec into something else: the walker must not keep the old image's state */
		if (was && !runtimes__registered(s->rt, e->tgid))
			sampler__delete_rt_proc(s->sampler, e->tgid);
		return;
	}
	err = sampler__set_rt_proc(s->sampler, e->tgid, &rtp);
	if (err)
		log_debug("no %s frames for %u: %s", ops->language, e->tgid, strerror(-err));
	else
		log_debug("%s %u: %s in %s", ops->name, e->tgid, what.what, what.path);
}

void session__runtime_retry(struct session *s)
{
	size_t n = s->nr_rt_wait;
	typeof(s->rt_wait[0]) w[SESSION_RT_WAIT];
	uint64_t now = mono_ns();
	struct proc_entry *e;

	memcpy(w, s->rt_wait, n * sizeof(w[0]));
	s->nr_rt_wait = 0;
	for (size_t i = 0; i < n; i++) {
		e = proc_table__find(s->procs, w[i].tgid, w[i].aspace);
		if (!e || now > w[i].until_ns)
			continue;
		load_runtime(s, e);
		if (s->nr_rt_wait && s->rt_wait[s->nr_rt_wait - 1].tgid == w[i].tgid)
			s->rt_wait[s->nr_rt_wait - 1].until_ns = w[i].until_ns;
	}
	if (!s->nr_rt_wait)
		rt_timer_arm(s, false);
}

struct runtimes *session__new_runtimes(const struct config *cfg)
{
	const struct runtime_ops *mods[5];
	size_t n = 0;

	if (!cfg->no_java)
		mods[n++] = &hs_runtime_ops;
	if (!cfg->no_python)
		mods[n++] = &py_runtime_ops;
	if (!cfg->no_php)
		mods[n++] = &php_runtime_ops;
	if (!cfg->no_ruby)
		mods[n++] = &rb_runtime_ops;
	if (!cfg->no_v8)
		mods[n++] = &v8_runtime_ops;
	return runtimes__new(mods, n);
}

static bool rt_alive(uint32_t tgid, uint64_t aspace, void *ctx)
{
	struct session *s = ctx;

	return proc_table__find(s->procs, tgid, aspace) != NULL;
}

static void rt_forget(uint32_t tgid, void *ctx)
{
	struct session *s = ctx;

	sampler__delete_rt_proc(s->sampler, tgid);
}

void session__on_proc_event(const struct flamed_proc_event *ev, void *ctx)
{
	struct session *s = ctx;
	char comm[FLAMED_COMM_LEN + 1];
	struct proc_entry *e;

	if (ev->type == FLAMED_EVENT_EXIT) {
		/* tables go now; the snapshot stays while a window holds samples of the process */
		if (s->unwind) {
			sampler__delete_unwind_proc(s->sampler, ev->tgid);
			unwind_loader__forget(s->unwind, ev->tgid);
		}
		sampler__delete_rt_proc(s->sampler, ev->tgid); /* what names its frames stays */
		proc_table__exited(s->procs, ev->tgid);
		return;
	}
	e = proc_table__find(s->procs, ev->tgid, ev->aspace);
	snprintf(comm, sizeof(comm), "%.*s", FLAMED_COMM_LEN, ev->comm);
	if (!e) {
		/* whole host: a process never sampled yet is read at its first sample (an exec
		 * storm costs no snapshots); a target is read at once, so that a compiler of a build
		 * has its tables (from the cache) before its first sample */
		if (ev->type == FLAMED_EVENT_EXEC && !s->cfg->cmd && !s->cfg->nr_pids)
			return;
		e = proc_table__add(s->procs, ev->tgid, ev->aspace, comm);
		if (!e) {
			s->oom = -ENOMEM;
			return;
		}
	} else if (ev->type == FLAMED_EVENT_EXEC || ev->type == FLAMED_EVENT_REMAP) {
		/* the exec finished after a sample announced it, or code outside the snapshot ran:
		 * read the maps again (and the final name) */
		bool exec = ev->type == FLAMED_EVENT_EXEC;

		proc_table__refresh(s->procs, e, exec ? comm : NULL, exec);
	} else {
		return;
	}
	load_unwind(s, e, ev->type == FLAMED_EVENT_REMAP);
	load_runtime(s, e);
	kube__on_container(s->kube, e->container_id);
}

void session__sweep_runtimes(struct session *s)
{
	runtimes__sweep(s->rt, rt_alive, rt_forget, s);
}

int session__start_unwind(struct session *s, uint64_t unwind_memory)
{
	struct unwind_loader_ops ops = {
		.table_add = unwind_table_add,
		.table_del = unwind_table_del,
		.publish = unwind_publish,
		.ctx = s,
	};

	if (s->cfg->unwind_mode == FLAMED_UNWIND_FP)
		return 0;
	s->unwind = unwind_loader__new(&ops, unwind_memory);
	if (s->unwind)
		unwind_loader__on_refused(s->unwind, on_unwind_refused, s);
	s->uproc = malloc(sizeof(*s->uproc));
	s->umaps = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*s->umaps));
	if (!s->unwind || !s->uproc || !s->umaps) {
		log_error("out of memory");
		return -ENOMEM;
	}
	return 0;
}
