// SPDX-License-Identifier: MIT
/* /proc/kallsyms parser. ~200k lines on a real kernel, so it is one pass over the text, names
 * copied into one arena (sized from the input, so it never grows), one sort only when needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/kallsyms.h"
#include "util/readfile.h"
#include "util/hashmap.h"
#include "util/parse.h"

/* How far past the last symbol of a module (or of core text without _etext) an address still
 * belongs to it: larger than nearly every kernel function, small enough to reject wild addresses. */
#define KSYM_TAIL_SLACK	 (64 * 1024)
#define KSYM_MAX_NAME	 512 /* KSYM_NAME_LEN */
#define KSYM_READ_CHUNK	 (1024 * 1024)
#define KSYM_GLOBAL_FLAG (1u << 31)
#define KSYM_MODULE_MASK (KSYM_GLOBAL_FLAG - 1)

struct ksym {
	uint64_t addr;
	uint32_t name_off; /* into arena; grows with input order, so it doubles as a stable key */
	uint32_t module; /* 0 = core kernel, else 1 + index into modules; top bit: global symbol */
};

struct kallsyms {
	struct ksym *syms;
	size_t nr;
	uint32_t *modules; /* name offsets into arena */
	size_t nr_modules;
	char *arena;
	size_t arena_len;
	/* core kernel text bounds, 0 when unknown */
	uint64_t stext, etext, sinittext, einittext;
	uint64_t core_first, core_last; /* first/last core symbol, fallback bounds */
	bool has_core;
};

struct ksym_parser {
	struct kallsyms *ks;
	size_t syms_cap;
	size_t modules_cap;
	struct hashmap module_idx; /* arena offset of module name -> module number */
	uint32_t last_module;	   /* module lines come in runs: skip the hash lookup */
	bool saw_nonzero;
	size_t nr_zero;
};

static uint64_t module_hash(uintptr_t key, void *ctx)
{
	const char *s = ((struct kallsyms *)ctx)->arena + key;

	return hash_bytes(s, strlen(s), 0);
}

static bool module_equal(uintptr_t a, uintptr_t b, void *ctx)
{
	const char *arena = ((struct kallsyms *)ctx)->arena;

	return !strcmp(arena + a, arena + b);
}

static uint32_t arena_put(struct kallsyms *ks, const char *s, size_t len)
{
	uint32_t off = (uint32_t)ks->arena_len;

	memcpy(ks->arena + ks->arena_len, s, len);
	ks->arena[ks->arena_len + len] = '\0';
	ks->arena_len += len + 1;
	return off;
}

/* Returns the module number (>= 1) for name, adding it when new; 0 on allocation failure. */
static uint32_t module_intern(struct ksym_parser *p, const char *name, size_t len)
{
	struct kallsyms *ks = p->ks;
	uint32_t off, *tmp;
	uintptr_t found;

	if (p->last_module) {
		const char *last = ks->arena + ks->modules[p->last_module - 1];

		if (strlen(last) == len && !memcmp(last, name, len))
			return p->last_module;
	}
	/* append tentatively so the map can compare arena offsets; roll back if already known */
	off = arena_put(ks, name, len);
	if (hashmap__find(&p->module_idx, off, &found)) {
		ks->arena_len = off;
		p->last_module = (uint32_t)found;
		return p->last_module;
	}
	if (ks->nr_modules >= KSYM_MODULE_MASK - 1)
		return 0;
	if (ks->nr_modules == p->modules_cap) {
		size_t cap = p->modules_cap ? p->modules_cap * 2 : 16;

		tmp = reallocarray(ks->modules, cap, sizeof(*tmp));
		if (!tmp)
			return 0;
		ks->modules = tmp;
		p->modules_cap = cap;
	}
	if (hashmap__set(&p->module_idx, off, ks->nr_modules + 1))
		return 0;
	ks->modules[ks->nr_modules++] = off;
	p->last_module = (uint32_t)ks->nr_modules;
	return p->last_module;
}

static void note_core_bound(struct kallsyms *ks, const char *name, size_t len, uint64_t addr)
{
#define IS(lit) (len == sizeof(lit) - 1 && !memcmp(name, lit, sizeof(lit) - 1))
	if (IS("_stext"))
		ks->stext = addr;
	else if (IS("_etext"))
		ks->etext = addr;
	else if (IS("_sinittext"))
		ks->sinittext = addr;
	else if (IS("_einittext"))
		ks->einittext = addr;
#undef IS
}

/* One line: "<hex> <type> <name>[\t[<module>]]". Malformed or non-text lines are skipped (0);
 * only allocation failures are errors. */
static int parse_line(struct ksym_parser *p, const char *s, size_t len)
{
	struct kallsyms *ks = p->ks;
	size_t pos = 0, name_len, digits = 0;
	const char *name, *tab;
	uint32_t module = 0;
	uint64_t addr = 0;
	char type;
	int d;

	while (pos < len && (d = parse_hex_digit(s[pos])) >= 0) {
		if (++digits > 16)
			return 0;
		addr = (addr << 4) | (uint64_t)d;
		pos++;
	}
	if (!digits || len - pos < 4 || s[pos] != ' ' || s[pos + 2] != ' ')
		return 0;
	type = s[pos + 1];
	name = s + pos + 3;
	len -= pos + 3;

	tab = memchr(name, '\t', len);
	name_len = tab ? (size_t)(tab - name) : len;
	if (!name_len || name_len > KSYM_MAX_NAME || memchr(name, '\0', name_len) ||
	    memchr(name, ' ', name_len))
		return 0;

	if (addr && !tab)
		note_core_bound(ks, name, name_len, addr);
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	if (!addr) {
		/* kptr_restrict hides every address; a few genuine zeros are just dropped */
		p->nr_zero++;
		return 0;
	}
	p->saw_nonzero = true;

	if (tab) {
		const char *mod = tab + 1;
		size_t mod_len = len - name_len - 1;

		if (mod_len < 3 || mod[0] != '[' || mod[mod_len - 1] != ']')
			return 0;
		mod++;
		mod_len -= 2;
		if (memchr(mod, '\0', mod_len))
			return 0;
		module = module_intern(p, mod, mod_len);
		if (!module)
			return -ENOMEM;
	} else {
		if (!ks->has_core || addr < ks->core_first)
			ks->core_first = addr;
		if (!ks->has_core || addr > ks->core_last)
			ks->core_last = addr;
		ks->has_core = true;
	}

	if (ks->nr == p->syms_cap) {
		size_t cap = p->syms_cap ? p->syms_cap * 2 : 1024;
		struct ksym *tmp = reallocarray(ks->syms, cap, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		ks->syms = tmp;
		p->syms_cap = cap;
	}
	ks->syms[ks->nr++] = (struct ksym){
		.addr = addr,
		.name_off = arena_put(ks, name, name_len),
		.module = module | (type == 'T' || type == 'W' ? KSYM_GLOBAL_FLAG : 0),
	};
	return 0;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

/* Sort (stable: ties keep input order via name_off) and keep one name per address: the first
 * global one, else the first one. Aliases at one address would otherwise make lookups depend on
 * input order alone. */
static void sort_dedup(struct kallsyms *ks)
{
	size_t i, out = 0;
	bool is_sorted = true;

	for (i = 1; i < ks->nr && is_sorted; i++)
		if (ksym_cmp(&ks->syms[i - 1], &ks->syms[i]) > 0)
			is_sorted = false;
	if (!is_sorted)
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);

	for (i = 0; i < ks->nr; i++) {
		if (out && ks->syms[out - 1].addr == ks->syms[i].addr) {
			if (!(ks->syms[out - 1].module & KSYM_GLOBAL_FLAG) &&
			    (ks->syms[i].module & KSYM_GLOBAL_FLAG))
				ks->syms[out - 1] = ks->syms[i];
			continue;
		}
		ks->syms[out++] = ks->syms[i];
	}
	ks->nr = out;
}

static void shrink(struct kallsyms *ks)
{
	void *tmp;

	/* best effort: the arena was sized for the worst case */
	tmp = realloc(ks->arena, ks->arena_len ? ks->arena_len : 1);
	if (tmp)
		ks->arena = tmp;
	if (ks->nr) {
		tmp = reallocarray(ks->syms, ks->nr, sizeof(*ks->syms));
		if (tmp)
			ks->syms = tmp;
	}
}

struct kallsyms *kallsyms__parse(const char *text, size_t len)
{
	struct ksym_parser p = {};
	struct kallsyms *ks = NULL;
	size_t pos = 0;
	int err = 0;

	if (!text)
		len = 0;
	/* arena offsets are 32-bit; a real kallsyms is a few MiB */
	if (len >= UINT32_MAX) {
		err = -E2BIG;
		goto cleanup;
	}
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* every stored string (name or module, plus NUL) is shorter than its line: len + 1 bytes
	 * always suffice, so arena offsets stay valid and nothing reallocates while parsing */
	ks->arena = malloc(len + 1);
	if (!ks->arena) {
		err = -ENOMEM;
		goto cleanup;
	}
	p.ks = ks;
	hashmap__init(&p.module_idx, module_hash, module_equal, ks);

	while (pos < len) {
		const char *line = text + pos, *nl;
		size_t line_len;

		nl = memchr(line, '\n', len - pos);
		line_len = nl ? (size_t)(nl - line) : len - pos;
		pos += line_len + (nl ? 1 : 0);
		err = parse_line(&p, line, line_len);
		if (err)
			goto cleanup;
	}

	if (!ks->nr) {
		err = p.nr_zero && !p.saw_nonzero ? -EPERM : -EINVAL;
		goto cleanup;
	}
	sort_dedup(ks);
	shrink(ks);

cleanup:
	hashmap__clear(&p.module_idx);
	if (err) {
		kallsyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

struct kallsyms *kallsyms__load(const char *path)
{
	struct kallsyms *ks = NULL;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	err = read_path_all(path, KSYM_READ_CHUNK, SIZE_MAX, &buf, &len);
	if (!err) {
		ks = kallsyms__parse(buf, len);
		err = ks ? 0 : -errno;
	}
	free(buf);
	if (err) {
		errno = -err;
		return NULL;
	}
	return ks;
}

/* Which core text region addr is in: 1 main text, 2 init text, 0 none. */
static int core_region(const struct kallsyms *ks, uint64_t addr)
{
	uint64_t start = ks->stext ? ks->stext : ks->core_first;

	if (ks->sinittext && ks->einittext && addr >= ks->sinittext && addr < ks->einittext)
		return 2;
	if (addr < start)
		return 0;
	if (ks->etext)
		return addr < ks->etext;
	return addr < ks->core_last || addr - ks->core_last < KSYM_TAIL_SLACK;
}

const char *kallsyms__lookup(const struct kallsyms *ks, uint64_t addr, uint64_t *ret_offset,
			     const char **ret_module)
{
	size_t lo = 0, hi;
	const struct ksym *sym;
	uint32_t module;

	if (!ks || !ks->nr)
		return NULL;
	hi = ks->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	sym = &ks->syms[lo - 1];
	module = sym->module & KSYM_MODULE_MASK;

	if (!module) {
		/* the symbol and addr must share one region: nothing spans _etext */
		int region = core_region(ks, addr);

		if (!region || region != core_region(ks, sym->addr))
			return NULL;
	} else {
		bool next_same = lo < ks->nr && (ks->syms[lo].module & KSYM_MODULE_MASK) == module;

		/* the last symbol of a module has no known end: allow a bounded tail */
		if (!next_same && addr - sym->addr >= KSYM_TAIL_SLACK)
			return NULL;
	}
	if (ret_offset)
		*ret_offset = addr - sym->addr;
	if (ret_module)
		*ret_module = module ? ks->arena + ks->modules[module - 1] : NULL;
	return ks->arena + sym->name_off;
}

size_t kallsyms__count(const struct kallsyms *ks)
{
	return ks ? ks->nr : 0;
}

void kallsyms__free(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->modules);
	free(ks->arena);
	free(ks);
}
