// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/builder.h"
#include "collect/collector.h"
#include "k8s/pod_cache.h"
#include "proc/proc_table.h"
#include "profile/profile.h"
#include "runtime/runtimes.h"
#include "symbolize/demangle.h"
#include "symbolize/symbolizer.h"
#include "util/clock.h"
#include "util/hashmap.h"

/* Cache keys: a location is per (owner, address, return-address adjustment), where owner is the
 * process entry for user addresses and NULL for kernel ones; a mapping is per (process entry,
 * mapping start, file offset, inode). */
struct loc_key {
	const void *owner;
	uint64_t addr;
	uint64_t adjust;
};

struct map_key {
	const void *owner;
	uint64_t start;
	uint64_t pgoff;
	uint64_t inode;
};

/* Sample labels: pid, comm, thread, thread_name, container_id, the pod's four, its labels. */
#define MAX_LABELS   (9 + K8S_MAX_KEYS)
#define KEY_ATTR_MAX (16 + K8S_KEY_MAX) /* "k8s.pod.label." + a label key */

/* One user frame of a sample, leaf first: a native address, or a runtime's frame record in the
 * place the walker put it. */
struct user_frame {
	uint64_t v;
	const uint64_t *rec; /* a runtime frame record (words_per_frame words), or NULL */
	bool exact;	     /* a native leaf sampled in user mode: v is the pc itself */
	bool orphan;	     /* runtime frames of a process whose runtime flamed no longer knows */
};

/* One profile being built, with the caches of its ids (ids are per profile). */
struct builder {
	const struct collector *c;
	struct proc_table *pt;
	struct symbolizer *sym;
	struct profile *p;
	struct hashmap locs;  /* struct loc_key * -> location id */
	struct hashmap maps;  /* struct map_key * -> mapping id */
	struct hashmap funcs; /* "symbol\1file\1line" (heap copy) -> function id */
	uint64_t kernel_mapping;
	uint64_t rt_mapping[FLAMED_RT_KINDS]; /* by enum flamed_runtime */
	uint64_t no_user_stack_fn;
	struct hashmap bpf_ips;	   /* kernel address -> 1: in flamed's own off-CPU program */
	uint64_t *ids;		   /* scratch: location ids of one sample (shared) */
	struct user_frame *plan;   /* scratch: user frames of one sample (shared) */
	uint64_t *words;	   /* scratch: runtime words of one sample (shared) */
	struct runtimes *rt;	   /* may be NULL */
	bool off_cpu;		   /* the profile has the off_cpu sample type */
	struct build_stats *stats; /* shared by every series (a discard copy for BUILD_SET_PODS
				    * series when the base set counts) */
	char series[FLAMED_COMM_LEN + 1];
	char *key; /* in the build's by_key map: set, name, pod uid, container */
	unsigned int set;
	struct build_pod *pod; /* BUILD_SET_PODS: the pod container, or NULL */
};

/* A whole build: the series (one, or one per process name) and what they share. */
struct build {
	const struct collector *c;
	struct proc_table *pt;
	struct symbolizer *sym;
	const struct build_opts *opts;
	struct builder **series;
	size_t nr_series;
	struct hashmap by_key; /* series key (borrowed from the builder) -> index + 1 */
	uint64_t *ids;
	struct user_frame *plan;
	uint64_t *words;
	uint64_t calls; /* samples added, for the yield cadence */
	unsigned int sets;
	struct build_stats stats;
	struct build_stats discard; /* a sample's second series counts nothing */
};

static uint64_t hash_loc(uintptr_t k, void *ctx)
{
	(void)ctx;
	return hash_bytes((const void *)k, sizeof(struct loc_key), 1);
}

static bool equal_loc(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return memcmp((const void *)a, (const void *)b, sizeof(struct loc_key)) == 0;
}

static uint64_t hash_map(uintptr_t k, void *ctx)
{
	(void)ctx;
	return hash_bytes((const void *)k, sizeof(struct map_key), 2);
}

static bool equal_map(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return memcmp((const void *)a, (const void *)b, sizeof(struct map_key)) == 0;
}

/* Remember id under a heap copy of key. */
static int cache_put(struct hashmap *h, const void *key, size_t key_sz, uint64_t id)
{
	void *k = malloc(key_sz);

	if (!k)
		return -ENOMEM;
	memcpy(k, key, key_sz);
	if (hashmap__set(h, (uintptr_t)k, id)) {
		free(k);
		return -ENOMEM;
	}
	return 0;
}

/* Function id of a symbol declared at (file, decl_line): its demangled name as the name (display,
 * when the symbolizer has it already; else demangled here), the symbol itself as system_name.
 * Cached by all three, so each name is demangled at most once per profile. */
static uint64_t function_id(struct builder *b, const char *symbol, const char *display,
			    const char *file, uint32_t decl_line)
{
	char key_buf[512], *key = key_buf, *readable;
	size_t need;
	uintptr_t id;

	need = (size_t)snprintf(key_buf, sizeof(key_buf), "%s%c%s%c%u", symbol, 1, file ? file : "",
				1, decl_line) +
	       1;
	if (need > sizeof(key_buf)) {
		key = malloc(need);
		if (!key)
			return 0;
		snprintf(key, need, "%s%c%s%c%u", symbol, 1, file ? file : "", 1, decl_line);
	}
	if (hashmap__find(&b->funcs, (uintptr_t)key, &id))
		goto out;
	readable = display ? NULL : demangle(symbol);
	id = profile__intern_function(b->p,
				      display	 ? display
				      : readable ? readable
						 : symbol,
				      symbol, file, decl_line);
	free(readable);
	if (id && cache_put(&b->funcs, key, need, id))
		id = 0;
out:
	if (key != key_buf)
		free(key);
	return id;
}

/* Function id of a kernel module's symbol: "nf_hook_slow [nf_conntrack]" as the name, so every
 * output says which module the code is in (perf shows the module as the frame's DSO), and the
 * bare symbol as system_name. */
static uint64_t module_function_id(struct builder *b, const char *symbol, const char *module)
{
	char name[512];
	uintptr_t id;

	snprintf(name, sizeof(name), "%s [%s]", symbol, module);
	if (hashmap__find(&b->funcs, (uintptr_t)name, &id)) /* no symbol has a space: no clash */
		return id;
	id = profile__intern_function(b->p, name, symbol, NULL, 0);
	if (id && cache_put(&b->funcs, name, strlen(name) + 1, id))
		return 0;
	return id;
}

/* A location of one Line naming symbol (of kernel module module, or NULL), or of none. */
static uint64_t add_named_location_in(struct builder *b, uint64_t mapping_id, uint64_t addr,
				      const char *name, const char *module)
{
	struct profile_line line = { 0 };

	if (name) {
		line.function_id = module ? module_function_id(b, name, module)
					  : function_id(b, name, NULL, NULL, 0);
		if (!line.function_id)
			return 0;
	}
	return profile__add_location(b->p, mapping_id, addr, &line, name ? 1 : 0);
}

static uint64_t add_named_location(struct builder *b, uint64_t mapping_id, uint64_t addr,
				   const char *name)
{
	return add_named_location_in(b, mapping_id, addr, name, NULL);
}

/* A location of several lines: frames inlined callees first, the physical function last (the
 * order pprof wants), frames without a name left out. */
static uint64_t add_frames_location(struct builder *b, uint64_t mapping_id, uint64_t addr,
				    const struct sym_frame *frames, size_t nr)
{
	struct profile_line lines[SYM_MAX_FRAMES];
	size_t n = 0;

	for (size_t i = 0; i < nr && i < SYM_MAX_FRAMES; i++) {
		if (!frames[i].name)
			continue;
		lines[n].function_id = function_id(b, frames[i].name, frames[i].display,
						   frames[i].decl_file, frames[i].decl_line);
		if (!lines[n].function_id)
			return 0;
		lines[n++].line = frames[i].line;
	}
	return profile__add_location(b->p, mapping_id, addr, lines, n);
}

/* What a location's frame counts as in build_stats. */
#define LOC_UNSYM    1u /* no function name in pprof */
#define LOC_BY_START 2u /* ... but named after its function's start in folded/SVG */

/* Location ids are cached as (id << 2 | LOC_* flags). */
static uint64_t cached_location(struct builder *b, const struct loc_key *key, unsigned *flags)
{
	uintptr_t v;

	if (!hashmap__find(&b->locs, (uintptr_t)key, &v))
		return 0;
	*flags = v & 3;
	return v >> 2;
}

static uint64_t kernel_location(struct builder *b, uint64_t ip, bool is_leaf, unsigned *unsym)
{
	struct loc_key key = { .owner = NULL, .addr = ip, .adjust = !is_leaf };
	const char *name, *module = NULL;
	uint64_t id, t0;

	id = cached_location(b, &key, unsym);
	if (id)
		return id;
	if (!b->kernel_mapping) {
		struct profile_mapping m = {
			.memory_start = 0xffff800000000000ULL,
			.memory_limit = UINT64_MAX,
			.filename = "[kernel.kallsyms]",
			.has_functions = true,
		};

		b->kernel_mapping = profile__add_mapping(b->p, &m);
		if (!b->kernel_mapping)
			return 0;
	}
	t0 = thread_cpu_ns();
	name = symbolizer__kernel(b->sym, is_leaf ? ip : ip - 1, &module);
	b->stats->symbolize_ns += thread_cpu_ns() - t0;
	*unsym = name ? 0 : LOC_UNSYM;
	id = add_named_location_in(b, b->kernel_mapping, ip, name, module);
	if (id && !name)
		profile__clear_mapping_symbols(b->p, b->kernel_mapping);
	if (id && cache_put(&b->locs, &key, sizeof(key), id << 2 | *unsym))
		return 0;
	return id;
}

static uint64_t user_mapping(struct builder *b, struct proc_entry *e, const struct proc_map *m,
			     const struct proc_file *f)
{
	struct map_key key = {
		.owner = e, .start = m->start, .pgoff = m->pgoff, .inode = m->inode
	};
	struct profile_mapping pm = {
		.memory_start = m->start,
		.memory_limit = m->end,
		.file_offset = m->pgoff,
		.filename = m->path,
		.has_functions = true,
	};
	uintptr_t id;

	if (hashmap__find(&b->maps, (uintptr_t)&key, &id))
		return id;
	pm.build_id = symbolizer__build_id(b->sym, f);
	/* DWARF gives every frame of the file a file, a line and its inline callees */
	pm.has_filenames = pm.has_line_numbers = pm.has_inline_frames =
		f && symbolizer__has_lines(b->sym, e ? e->tgid : 0, f);
	id = profile__add_mapping(b->p, &pm);
	if (id && cache_put(&b->maps, &key, sizeof(key), id))
		return 0;
	return id;
}

/* A location without a name: its mapping no longer has functions (nor files, lines) for every
 * location (pprof readers that symbolize then try), and when the function around it is known from .eh_frame (a
 * stripped file), folded and SVG show "binary+0xSTART", one box per function. pprof keeps only the
 * address and the mapping's build-id: Parca symbolizes exactly the locations without Lines, so a
 * made-up Function would stop it (docs/DESIGN.md, stripped binaries). -ENOMEM or 0. */
static int synthetic_name(struct builder *b, uint64_t loc_id, uint64_t mapping_id,
			  const struct proc_map *m, uint64_t func_start)
{
	const char *base = m->path ? strrchr(m->path, '/') : NULL;
	char name[512];

	profile__clear_mapping_symbols(b->p, mapping_id);
	if (!func_start)
		return 0;
	base = base && base[1] ? base + 1 : m->path && m->path[0] ? m->path : "?";
	snprintf(name, sizeof(name), "%s+0x%llx", base, (unsigned long long)func_start);
	return profile__set_location_name(b->p, loc_id, name) ? -ENOMEM : 0;
}

static uint64_t user_location(struct builder *b, struct proc_entry *e, uint64_t ip, bool exact,
			      unsigned *unsym)
{
	struct loc_key key = { .owner = e, .addr = ip, .adjust = !exact };
	const struct proc_map *m = NULL;
	struct proc_file *f = NULL;
	uint64_t mapping_id = 0, id, t0;
	struct sym_user res = { 0 };
	const struct sym_frame *frames = NULL;
	size_t nr_frames = 0;

	id = cached_location(b, &key, unsym);
	if (id)
		return id;
	if (e)
		m = proc_table__lookup(b->pt, e, ip, &f);
	if (m) {
		t0 = thread_cpu_ns(); /* the mapping's build-id opens the file too */
		mapping_id = user_mapping(b, e, m, f);
		if (!mapping_id)
			return 0;
		/* a return address points after the call: look up the call itself */
		symbolizer__frames(b->sym, e->tgid, m, f, exact ? ip : ip - 1, &res, &frames,
				   &nr_frames);
		b->stats->symbolize_ns += thread_cpu_ns() - t0;
	}
	/* code outside any file (a JIT's): the names it wrote in its perf map, if any */
	if (!res.name && e && (!m || !f))
		res.name = proc_table__jit_name(b->pt, e, exact ? ip : ip - 1);
	*unsym = res.name ? 0 : LOC_UNSYM;
	if (nr_frames && res.name)
		id = add_frames_location(b, mapping_id, ip, frames, nr_frames);
	else
		id = add_named_location(b, mapping_id, ip, res.name);
	if (id && *unsym && mapping_id) {
		if (synthetic_name(b, id, mapping_id, m, res.func_start))
			return 0;
		*unsym |= res.func_start ? LOC_BY_START : 0;
	}
	if (id && cache_put(&b->locs, &key, sizeof(key), id << 2 | *unsym))
		return 0;
	return id;
}

/* A runtime's frame record (ops: its module, NULL when the process's runtime is no longer known):
 * one location in the runtime's mapping, a Line per frame, inlined callees first. */
static uint64_t runtime_location(struct builder *b, struct proc_entry *e,
				 const struct flamed_count_key *k, const struct runtime_ops *ops,
				 const struct user_frame *uf, unsigned *unsym)
{
	struct loc_key key = { .owner = e, .addr = uf->orphan ? 0 : uf->rec[0], .adjust = 2 };
	struct runtime_frame fr[RUNTIME_MAX_FRAMES];
	struct profile_line lines[RUNTIME_MAX_FRAMES] = { 0 };
	enum flamed_runtime id = ops ? ops->id : FLAMED_RT_NONE;
	uint64_t *mapping = &b->rt_mapping[id < FLAMED_RT_KINDS ? id : FLAMED_RT_NONE];
	size_t nr = 0, named = 0;
	uint64_t loc;

	if (!uf->orphan && ops && ops->words_per_frame > 1)
		key.adjust = uf->rec[1] | 1ULL << 63; /* never a native adjustment (0, 1) */
	loc = cached_location(b, &key, unsym);
	if (loc)
		return loc;
	if (!*mapping) {
		struct profile_mapping m = {
			.filename = ops ? ops->mapping : "[runtime]",
			.has_functions = true,
			.has_filenames = true,
			.has_line_numbers = true,
			.has_inline_frames = true,
		};

		*mapping = profile__add_mapping(b->p, &m);
		if (!*mapping)
			return 0;
	}
	if (!uf->orphan)
		nr = runtimes__frames(b->rt, k->tgid, k->aspace, uf->rec, fr, RUNTIME_MAX_FRAMES);
	if (!nr) {
		fr[0] = (struct runtime_frame){ .name = ops ? ops->mapping : "[runtime]" };
		nr = 1;
	}
	for (size_t i = 0; i < nr; i++) {
		lines[i].function_id = profile__intern_function(
			b->p, fr[i].name, fr[i].system_name ? fr[i].system_name : fr[i].name,
			fr[i].file, fr[i].first_line);
		if (!lines[i].function_id)
			return 0;
		lines[i].line = fr[i].line;
		named += fr[i].named;
	}
	*unsym = named ? 0 : LOC_UNSYM;
	loc = profile__add_location(b->p, *mapping, 0, lines, nr);
	if (loc && cache_put(&b->locs, &key, sizeof(key), loc << 2 | *unsym))
		return 0;
	return loc;
}

/* The user frames of a sample, leaf first, into b->plan: native frames, and a runtime's frame
 * records where the walker's markers put them; records no marker placed (the walker's stack was
 * full) go on the root side. Returns the count; *ret_ops the process's runtime module. */
static size_t plan_user(struct builder *b, const struct flamed_count_key *k,
			const struct collector_stack *us, bool leaf_exact, uint64_t count,
			const struct runtime_ops **ret_ops)
{
	const struct runtime_ops *ops = NULL;
	uint32_t nr = us ? us->nr : 0, wpf = 1;
	size_t n = 0, nw = 0, wi = 0, end;
	bool missing = false;

	if (nr && (us->flags & FLAMED_STACK_RUNTIME)) {
		nr--; /* the last word links the runtime words */
		nw = collector__runtime_words(b->c, us, b->words, FLAMED_RT_MAX_WORDS, &missing);
		if (missing)
			b->stats->runtime_missing += count;
		ops = runtimes__ops(b->rt, k->tgid, k->aspace);
		wpf = ops ? ops->words_per_frame : 1;
	}
	*ret_ops = ops;
	for (uint32_t i = 0; i < nr; i++) {
		bool exact = i == 0 && leaf_exact;
		uint64_t ip = us->ips[i];

		if (!FLAMED_RT_IS_MARK(ip)) {
			b->plan[n++] = (struct user_frame){ .v = ip, .exact = exact };
			continue;
		}
		if (!ops) { /* its words cannot be read: one placeholder where they were */
			b->plan[n++] = (struct user_frame){ .orphan = true };
			continue;
		}
		end = wi + FLAMED_RT_MARK_WORDS(ip);
		for (end = end < nw ? end : nw; wi + wpf <= end; wi += wpf)
			b->plan[n++] = (struct user_frame){ .rec = &b->words[wi] };
		wi = end;
	}
	for (; ops && wi + wpf <= nw; wi += wpf)
		b->plan[n++] = (struct user_frame){ .rec = &b->words[wi] };
	return n;
}

/* Whether kernel address ip is in the code that ran the off-CPU program at the switch (the
 * program itself and the kernel's tracepoint dispatch): the first frames of every off-CPU kernel
 * stack, which say nothing of where the thread waited. */
static bool offcpu_program_frame(struct builder *b, uint64_t ip)
{
	static const char *const prefixes[] = { "bpf_prog_", "bpf_trace_run", "__bpf_trace_" };
	const char *name, *module = NULL;
	uintptr_t v;
	bool ours = false;

	if (hashmap__find(&b->bpf_ips, ip, &v))
		return v;
	name = symbolizer__kernel(b->sym, ip, &module);
	for (size_t i = 0; name && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		ours |= !strncmp(name, prefixes[i], strlen(prefixes[i]));
	hashmap__set(&b->bpf_ips, ip, ours); /* ENOMEM: looked up again next time */
	return ours;
}

/* Labels and resource attributes of a process in a pod container: its sample labels after
 * *nr_labels, its k8s.* attributes into attrs (PROFILE_MAX_PROCESS_ATTRS). */
static size_t pod_labels(const struct build_opts *o, const struct k8s_meta *m,
			 struct profile_label *labels, size_t *nr_labels,
			 struct profile_attr *attrs, char (*keys)[KEY_ATTR_MAX])
{
	size_t n = 0;

	labels[(*nr_labels)++] = (struct profile_label){ .key = "namespace", .str = m->namespace };
	labels[(*nr_labels)++] = (struct profile_label){ .key = "pod", .str = m->pod };
	labels[(*nr_labels)++] = (struct profile_label){ .key = "container", .str = m->container };
	if (m->node[0])
		labels[(*nr_labels)++] = (struct profile_label){ .key = "node", .str = m->node };
	/* the OpenTelemetry semantic conventions' names */
	attrs[n++] = (struct profile_attr){ "k8s.namespace.name", m->namespace };
	attrs[n++] = (struct profile_attr){ "k8s.pod.name", m->pod };
	attrs[n++] = (struct profile_attr){ "k8s.pod.uid", m->uid };
	attrs[n++] = (struct profile_attr){ "k8s.container.name", m->container };
	if (m->node[0])
		attrs[n++] = (struct profile_attr){ "k8s.node.name", m->node };
	for (size_t i = 0; i < o->nr_pod_labels; i++) {
		if (!m->values[i])
			continue;
		labels[(*nr_labels)++] =
			(struct profile_label){ .key = o->pod_label_names[i], .str = m->values[i] };
		if (n < PROFILE_MAX_PROCESS_ATTRS) {
			snprintf(keys[n], KEY_ATTR_MAX, "k8s.pod.label.%s", o->pod_label_keys[i]);
			attrs[n] = (struct profile_attr){ keys[n], m->values[i] };
			n++;
		}
	}
	return n;
}

static int add_sample(struct builder *b, const struct build_opts *o,
		      const struct flamed_count_key *k, struct proc_entry *e,
		      const struct k8s_meta *meta, uint64_t count, uint64_t offcpu_ns)
{
	const struct collector_stack *ks = collector__stack(b->c, k->kern_stack);
	const struct collector_stack *us = collector__stack(b->c, k->user_stack);
	char pid[16], tid[16], comm[FLAMED_COMM_LEN + 1], tcomm[FLAMED_COMM_LEN + 1];
	struct profile_label labels[MAX_LABELS];
	struct profile_attr attrs[PROFILE_MAX_PROCESS_ATTRS];
	char attr_keys[PROFILE_MAX_PROCESS_ATTRS][KEY_ATTR_MAX];
	const struct runtime_ops *ops;
	size_t nr_labels = 4, nr_attrs = 0;
	size_t n = 0, unsym_frames = 0, start_frames = 0, nu, kskip = 0;
	unsigned unsym;
	uint64_t id;
	int err;

	if ((k->kern_stack && !ks) || (k->user_stack && !us))
		b->stats->stacks_missing += count;
	/* an off-CPU kernel stack starts in the program that took it */
	while (offcpu_ns && !count && ks && kskip < ks->nr && kskip < 4 &&
	       offcpu_program_frame(b, ks->ips[kskip]))
		kskip++;
	/* ids are leaf first: kernel frames, then user frames. User frames are resolved first and
	 * outermost first, so the first mapping the profile gets is a program's own executable
	 * (pprof readers show mapping[0] as the main binary), not the kernel or a library. */
	n = ks ? ks->nr - kskip : 0;
	/* the user leaf is exact only when the sample hit user mode */
	nu = plan_user(b, k, us, !ks, count, &ops);
	for (size_t i = nu; i-- > 0;) {
		const struct user_frame *uf = &b->plan[i];

		if (uf->rec || uf->orphan) {
			id = runtime_location(b, e, k, ops, uf, &unsym);
			b->stats->runtime_frames[ops ? ops->id : FLAMED_RT_NONE] += count;
		} else {
			id = user_location(b, e, uf->v, uf->exact, &unsym);
		}
		if (!id)
			return -ENOMEM;
		unsym_frames += unsym & LOC_UNSYM;
		start_frames += !!(unsym & LOC_BY_START);
		b->ids[n + i] = id;
	}
	for (uint32_t i = kskip; ks && i < ks->nr; i++) {
		/* the leaf of a CPU sample's kernel stack is the interrupted pc itself */
		id = kernel_location(b, ks->ips[i], i == 0, &unsym);
		if (!id)
			return -ENOMEM;
		unsym_frames += unsym & LOC_UNSYM;
		b->ids[i - kskip] = id;
	}
	n += nu;
	b->stats->frames += n * count;
	b->stats->frames_unsymbolized += unsym_frames * count;
	b->stats->frames_by_start += start_frames * count;
	if (k->aspace && !us) {
		/* keep the sample, but say where its user part went */
		b->stats->no_user_stack += count;
		if (!b->no_user_stack_fn) {
			b->no_user_stack_fn = add_named_location(b, 0, 0, "[no user stack]");
			if (!b->no_user_stack_fn)
				return -ENOMEM;
		}
		b->ids[n++] = b->no_user_stack_fn;
	}
	snprintf(pid, sizeof(pid), "%u", k->tgid);
	snprintf(tid, sizeof(tid), "%u", k->tid);
	snprintf(tcomm, sizeof(tcomm), "%.*s", FLAMED_COMM_LEN, k->comm);
	snprintf(comm, sizeof(comm), "%s", e && e->comm[0] ? e->comm : tcomm);
	labels[0] = (struct profile_label){ .key = "pid", .str = pid };
	labels[1] = (struct profile_label){ .key = "comm", .str = comm };
	labels[2] = (struct profile_label){ .key = "thread", .str = tid };
	labels[3] = (struct profile_label){ .key = "thread_name", .str = tcomm };
	if (e && e->container_id[0])
		labels[nr_labels++] =
			(struct profile_label){ .key = "container_id", .str = e->container_id };
	if (meta) {
		nr_attrs = pod_labels(o, meta, labels, &nr_labels, attrs, attr_keys);
		b->stats->pod_samples += count;
	}
	if (e) {
		/* the process behind the pid label, for encoders with a resource per process, with
		 * its pod's k8s.* attributes */
		struct profile_process proc = {
			.executable_path = e->exe,
			.container_id = e->container_id[0] ? e->container_id : NULL,
			.attrs = attrs,
			.nr_attrs = nr_attrs,
		};

		err = profile__set_process(b->p, k->tgid, &proc);
		if (err)
			return err;
	}
	b->stats->samples += count;
	b->stats->offcpu_ns += offcpu_ns;
	if (b->off_cpu)
		err = profile__add_cpu_offcpu_sample(b->p, b->ids, n, (int64_t)count,
						     (int64_t)offcpu_ns, labels, nr_labels);
	else
		err = profile__add_cpu_sample(b->p, b->ids, n, (int64_t)count, labels, nr_labels);
	return err;
}

static void pod_free(struct build_pod *pod)
{
	free(pod); /* one allocation (pod_copy) */
}

/* A copy of meta's pod container, in one allocation. NULL on ENOMEM. */
static struct build_pod *pod_copy(const struct k8s_meta *m, size_t nr_values)
{
	const char *strs[] = { m->namespace, m->pod, m->container, m->node, m->uid };
	size_t size = sizeof(struct build_pod) + nr_values * sizeof(char *);
	const char **dst[5];
	struct build_pod *pod;
	char *cursor;

	for (size_t i = 0; i < 5; i++)
		size += strlen(strs[i]) + 1;
	for (size_t i = 0; i < nr_values; i++)
		size += m->values[i] ? strlen(m->values[i]) + 1 : 0;
	pod = calloc(1, size);
	if (!pod)
		return NULL;
	pod->values = (const char **)(pod + 1);
	cursor = (char *)(pod->values + nr_values);
	dst[0] = &pod->namespace;
	dst[1] = &pod->pod;
	dst[2] = &pod->container;
	dst[3] = &pod->node;
	dst[4] = &pod->uid;
	for (size_t i = 0; i < 5 + nr_values; i++) {
		const char *src = i < 5 ? strs[i] : m->values[i - 5];
		size_t n;

		if (!src)
			continue;
		n = strlen(src) + 1;
		memcpy(cursor, src, n);
		*(i < 5 ? dst[i] : &pod->values[i - 5]) = cursor;
		cursor += n;
	}
	return pod;
}

static void builder_free(struct builder *b)
{
	if (!b)
		return;
	profile__free(b->p);
	pod_free(b->pod);
	free(b->key);
	hashmap__for_each (&b->locs, e)
		free((void *)e->key);
	hashmap__for_each (&b->maps, e)
		free((void *)e->key);
	hashmap__for_each (&b->funcs, e)
		free((void *)e->key);
	hashmap__clear(&b->locs);
	hashmap__clear(&b->maps);
	hashmap__clear(&b->funcs);
	hashmap__clear(&b->bpf_ips);
	free(b);
}

static struct builder *builder_new(struct build *bd, const char *series, const char *key,
				   unsigned int set, const struct k8s_meta *meta)
{
	const struct build_opts *opts = bd->opts;
	struct builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	*b = (struct builder){
		.c = bd->c,
		.pt = bd->pt,
		.sym = bd->sym,
		.ids = bd->ids,
		.plan = bd->plan,
		.words = bd->words,
		.rt = opts->rt,
		/* a sample in two sets is counted by its base series */
		.stats = set == BUILD_SET_PODS && (bd->sets & BUILD_SET_BASE) ? &bd->discard
									      : &bd->stats,
		.set = set,
	};
	snprintf(b->series, sizeof(b->series), "%s", series);
	hashmap__init(&b->locs, hash_loc, equal_loc, NULL);
	hashmap__init(&b->maps, hash_map, equal_map, NULL);
	hashmap__init(&b->funcs, hashmap_hash_str, hashmap_equal_str, NULL);
	hashmap__init(&b->bpf_ips, hashmap_hash_int, hashmap_equal_int, NULL);
	b->off_cpu = opts->off_cpu;
	b->key = strdup(key);
	b->pod = meta ? pod_copy(meta, opts->nr_pod_labels) : NULL;
	b->p = b->off_cpu ? profile__new_cpu_offcpu(opts->freq_hz)
			  : profile__new_cpu(opts->freq_hz);
	if (!b->key || (meta && !b->pod) || !b->p)
		goto fail;
	profile__set_time(b->p, opts->time_nanos, opts->duration_nanos);
	for (size_t i = 0; opts->comments && opts->comments[i]; i++)
		if (profile__add_comment(b->p, opts->comments[i]))
			goto fail;
	return b;
fail:
	builder_free(b);
	return NULL;
}

/* The series of set a sample belongs to, created on first use: keyed by the process name (with
 * by_process) and, in BUILD_SET_PODS, by its pod container (meta, or none). */
static struct builder *series_for(struct build *bd, unsigned int set, const char *name,
				  const struct k8s_meta *meta)
{
	const char *series = bd->opts->by_process ? name : "";
	struct builder **grown, *b;
	char key[FLAMED_COMM_LEN + K8S_UID_MAX + K8S_LABEL_MAX + 8];
	uintptr_t idx;

	snprintf(key, sizeof(key), "%u\1%s\1%s\1%s", set, series,
		 set == BUILD_SET_PODS && meta ? meta->uid : "",
		 set == BUILD_SET_PODS && meta ? meta->container : "");
	if (hashmap__find(&bd->by_key, (uintptr_t)key, &idx))
		return bd->series[idx - 1];
	grown = realloc(bd->series, (bd->nr_series + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	bd->series = grown;
	b = builder_new(bd, series, key, set, set == BUILD_SET_PODS ? meta : NULL);
	if (!b)
		return NULL;
	bd->series[bd->nr_series++] = b;
	if (hashmap__set(&bd->by_key, (uintptr_t)b->key, bd->nr_series))
		return NULL; /* freed with the others */
	return b;
}

static int on_count(const struct flamed_count_key *k, uint64_t count, uint64_t offcpu_ns, void *ctx)
{
	struct build *bd = ctx;
	const struct build_opts *o = bd->opts;
	const struct k8s_meta *meta = NULL;
	struct proc_entry *e = NULL;
	char name[FLAMED_COMM_LEN + 1];
	int err = 0;

	/* nothing is held from the process table (or the pod cache) between two samples: the
	 * caller may drain and take process events here */
	if (o->yield && ++bd->calls % BUILD_YIELD_EVERY == 0)
		o->yield(o->yield_ctx);
	if (k->aspace) {
		e = proc_table__find(bd->pt, k->tgid, k->aspace);
		if (!e) /* its announcement was lost: try now */
			e = proc_table__add(bd->pt, k->tgid, k->aspace, NULL);
	}
	if (o->pods && e && e->container_id[0])
		meta = pod_cache__lookup(o->pods, e->container_id);
	if (o->only_selected && (!meta || !meta->selected)) {
		bd->stats.unselected += count;
		return 0;
	}
	if (e && e->comm[0])
		snprintf(name, sizeof(name), "%s", e->comm);
	else
		snprintf(name, sizeof(name), "%.*s", FLAMED_COMM_LEN, k->comm);
	if (!o->off_cpu)
		offcpu_ns = 0; /* nowhere to put it */
	if (!count && !offcpu_ns)
		return 0;
	for (unsigned int set = BUILD_SET_BASE; set <= BUILD_SET_PODS && !err; set <<= 1) {
		struct builder *b;

		if (!(bd->sets & set))
			continue;
		b = series_for(bd, set, name, meta);
		if (!b)
			return -ENOMEM;
		err = add_sample(b, o, k, e, meta, count, offcpu_ns);
	}
	return err;
}

int build_profiles(const struct collector *c, struct proc_table *pt, struct symbolizer *sym,
		   const struct build_opts *opts, struct build_series **ret_series, size_t *ret_nr,
		   struct build_stats *ret_stats)
{
	struct build bd = { .c = c, .pt = pt, .sym = sym, .opts = opts };
	struct build_series *out = NULL;
	size_t n = 0;
	int err;

	bd.sets = opts->sets ? opts->sets : BUILD_SET_BASE;
	hashmap__init(&bd.by_key, hashmap_hash_str, hashmap_equal_str, NULL);
	/* kernel + user frames + Python frames + the "[no user stack]" marker */
	/* kernel frames, user frames and runtime frame records, and [no user stack] */
	bd.ids = calloc(2 * FLAMED_MAX_FRAMES + FLAMED_RT_MAX_WORDS + 1, sizeof(*bd.ids));
	bd.plan = calloc(FLAMED_MAX_FRAMES + FLAMED_RT_MAX_WORDS, sizeof(*bd.plan));
	bd.words = calloc(FLAMED_RT_MAX_WORDS, sizeof(*bd.words));
	if (!bd.ids || !bd.plan || !bd.words) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* a window without samples still has its one series (per set) */
	for (unsigned int set = BUILD_SET_BASE; set <= BUILD_SET_PODS && !opts->by_process;
	     set <<= 1) {
		if ((bd.sets & set) && !series_for(&bd, set, "", NULL)) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = collector__for_each_count(c, on_count, &bd);
	if (err)
		goto cleanup;
	out = calloc(bd.nr_series ? bd.nr_series : 1, sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* the base set first */
	for (unsigned int set = BUILD_SET_BASE; set <= BUILD_SET_PODS; set <<= 1) {
		for (size_t i = 0; i < bd.nr_series; i++) {
			struct builder *b = bd.series[i];

			if (b->set != set)
				continue;
			snprintf(out[n].name, sizeof(out[n].name), "%s", b->series);
			out[n].profile = b->p;
			out[n].set = b->set;
			out[n].pod = b->pod;
			b->p = NULL;
			b->pod = NULL;
			n++;
		}
	}
	*ret_series = out;
	*ret_nr = n;
	if (ret_stats)
		*ret_stats = bd.stats;
cleanup:
	for (size_t i = 0; i < bd.nr_series; i++)
		builder_free(bd.series[i]);
	free(bd.series);
	hashmap__clear(&bd.by_key);
	free(bd.ids);
	free(bd.plan);
	free(bd.words);
	return err;
}

int build_profile(const struct collector *c, struct proc_table *pt, struct symbolizer *sym,
		  const struct build_opts *opts, struct profile **ret_profile,
		  struct build_stats *ret_stats)
{
	struct build_opts one = *opts;
	struct build_series *series;
	size_t nr;
	int err;

	one.by_process = false;
	one.sets = BUILD_SET_BASE;
	err = build_profiles(c, pt, sym, &one, &series, &nr, ret_stats);
	if (err)
		return err;
	*ret_profile = series[0].profile;
	free(series);
	return 0;
}

void build_series__free(struct build_series *series, size_t nr)
{
	for (size_t i = 0; series && i < nr; i++) {
		profile__free(series[i].profile);
		pod_free(series[i].pod);
	}
	free(series);
}
