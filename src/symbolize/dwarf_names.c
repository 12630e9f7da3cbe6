// SPDX-License-Identifier: MIT
/* C++ names rebuilt from DIEs, spelled as libiberty's demangler spells a symbol ("unsigned long",
 * "char const*", "std::vector<int, std::allocator<int> >"), so an inline frame and the same
 * function's out-of-line frame carry one name and merge in every output.
 *
 * libdw has no parent links: dwarf_getscopes_die walks the unit from its root for every DIE,
 * which for one name with STL parameters is a dozen walks of a unit of 100k DIEs. Instead each
 * unit's declarations (namespaces, classes and what they hold, not function bodies) are walked
 * once into a sorted table of (DIE, parent), and every name built is cached per DIE. */
#include <dwarf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/dwarf_names.h"
#include "util/hashmap.h"

#define MAX_HOPS    8		   /* abstract origin / specification / typedef chains */
#define MAX_DEPTH   64		   /* recursion: nested types and template arguments */
#define MAX_SCOPES  16		   /* enclosing namespaces and classes of one name */
#define MAX_NEST    32		   /* namespace/class nesting the table walk follows */
#define MAX_PARAMS  64		   /* parameters of one function */
#define MAX_ENTRIES (1u << 19)	   /* scope table entries of one unit (4 MiB) */
#define NOT_SPELLED ((uintptr_t)1) /* cached: this DIE's name cannot be built */

/* A declaration and the nearest namespace, class, struct or union holding it; unit-relative
 * offsets (dwarf_cuoffset), parent 0 = the unit itself. */
struct scope_entry {
	uint32_t off, parent;
};

struct unit_scopes {
	struct scope_entry *e; /* sorted by off */
	size_t n;
	Dwarf_Off unit_off; /* dwarf_dieoffset of the unit DIE, minus its cuoffset: the base */
	bool types_section; /* a DWARF 4 type unit: its DIEs are in .debug_types */
	struct hashmap
		names; /* unit-relative offset -> char * (functions, classes), or NOT_SPELLED */
};

struct dwarf_names {
	struct hashmap units; /* Dwarf_CU * -> struct unit_scopes * */
	size_t bytes;
};

struct name_buf {
	struct dwarf_names *dn;
	char *p;
	size_t size, len;
	bool bad;	/* too long, or something we cannot spell */
	bool no_params; /* the second try: scope::name only */
};

static void put_n(struct name_buf *b, const char *s, size_t n)
{
	if (!s || b->bad || b->len + n + 1 > b->size) {
		b->bad = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put(struct name_buf *b, const char *s)
{
	put_n(b, s, s ? strlen(s) : 0);
}

/* "> >" as the demangler writes nested template argument lists */
static void put_close(struct name_buf *b)
{
	put(b, b->len && b->p[b->len - 1] == '>' ? " >" : ">");
}

static bool ref_attr(Dwarf_Die *die, unsigned int name, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;

	return dwarf_attr(die, name, &attr) && dwarf_formref_die(&attr, ret);
}

/* The type a DIE refers to through DW_AT_type; false for none (void). */
static bool type_of(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;

	return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, ret);
}

void dwarf_names__decl(Dwarf_Die *die, Dwarf_Die *ret_decl)
{
	Dwarf_Die next;

	*ret_decl = *die;
	for (int i = 0; i < MAX_HOPS; i++) {
		if (!ref_attr(ret_decl, DW_AT_abstract_origin, &next) &&
		    !ref_attr(ret_decl, DW_AT_specification, &next))
			return;
		*ret_decl = next;
	}
}

const char *dwarf_names__linkage(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	return name;
}

const char *dwarf_names__plain(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static bool is_cplusplus(Dwarf_Die *die)
{
	Dwarf_Die cu;

	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return false;
	switch (dwarf_srclang(&cu)) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		return true;
	default:
		return false;
	}
}

static bool holds_declarations(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
	       tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct scope_entry *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void unit_scopes_free(struct unit_scopes *us)
{
	if (!us)
		return;
	hashmap__for_each (&us->names, e)
		if (e->value != NOT_SPELLED)
			free((void *)e->value);
	hashmap__clear(&us->names);
	free(us->e);
	free(us);
}

/* One walk of the unit's declarations: every namespace, class, struct, union, enum and function
 * declared at namespace or class level, with its parent. Function bodies are not entered. */
static int walk_unit(struct unit_scopes *us, Dwarf_Die *cu)
{
	struct {
		Dwarf_Die it;
		uint32_t parent;
		bool done;
	} st[MAX_NEST];
	size_t cap = 0;
	int sp = 0;

	if (dwarf_child(cu, &st[0].it) != 0)
		return 0;
	st[0].parent = 0;
	st[0].done = false;
	while (sp >= 0) {
		Dwarf_Die cur;
		Dwarf_Off rel;
		int tag;

		if (st[sp].done) {
			sp--;
			continue;
		}
		cur = st[sp].it;
		st[sp].done = dwarf_siblingof(&cur, &st[sp].it) != 0;
		tag = dwarf_tag(&cur);
		rel = dwarf_cuoffset(&cur);
		if (!holds_declarations(tag) && tag != DW_TAG_enumeration_type &&
		    tag != DW_TAG_subprogram)
			continue;
		if (rel > UINT32_MAX || us->n == MAX_ENTRIES)
			return -E2BIG;
		if (us->n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct scope_entry *t = reallocarray(us->e, ncap, sizeof(*t));

			if (!t)
				return -ENOMEM;
			us->e = t;
			cap = ncap;
		}
		us->e[us->n++] =
			(struct scope_entry){ .off = (uint32_t)rel, .parent = st[sp].parent };
		if (holds_declarations(tag) && sp + 1 < MAX_NEST &&
		    dwarf_child(&cur, &st[sp + 1].it) == 0) {
			sp++;
			st[sp].parent = (uint32_t)rel;
			st[sp].done = false;
		}
	}
	if (us->n)
		qsort(us->e, us->n, sizeof(*us->e), entry_cmp);
	return 0;
}

/* The scope table of die's unit, walked on first use. NULL when it cannot be had. */
static struct unit_scopes *unit_of(struct dwarf_names *dn, Dwarf_Die *die)
{
	struct unit_scopes *us;
	uint8_t unit_type = 0;
	Dwarf_Half version = 0;
	uintptr_t v;
	Dwarf_Die cu;

	if (hashmap__find(&dn->units, (uintptr_t)die->cu, &v))
		return (struct unit_scopes *)v;
	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return NULL;
	us = calloc(1, sizeof(*us));
	if (!us)
		return NULL;
	hashmap__init(&us->names, hashmap_hash_int, hashmap_equal_int, NULL);
	us->unit_off = dwarf_dieoffset(&cu) - dwarf_cuoffset(&cu);
	if (dwarf_cu_info(cu.cu, &version, &unit_type, NULL, NULL, NULL, NULL, NULL) == 0)
		us->types_section = version < 5 && unit_type == DW_UT_type;
	/* a unit too big for the table still gets one (empty): names without scope, not a walk
	 * per lookup */
	if (walk_unit(us, &cu)) {
		free(us->e);
		us->e = NULL;
		us->n = 0;
	}
	if (hashmap__set(&dn->units, (uintptr_t)die->cu, (uintptr_t)us)) {
		unit_scopes_free(us);
		return NULL;
	}
	dn->bytes += sizeof(*us) + us->n * sizeof(*us->e) + 3 * sizeof(uintptr_t);
	return us;
}

/* Parent of the DIE at unit-relative offset rel: true and *ret (0 = the unit) if the table has
 * it. */
static bool parent_of(const struct unit_scopes *us, uint32_t rel, uint32_t *ret)
{
	size_t lo = 0, hi = us->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (us->e[mid].off == rel) {
			*ret = us->e[mid].parent;
			return true;
		}
		if (us->e[mid].off < rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool die_at(const struct unit_scopes *us, Dwarf_Die *like, uint32_t rel, Dwarf_Die *ret)
{
	Dwarf *dw = dwarf_cu_getdwarf(like->cu);

	if (us->types_section)
		return dwarf_offdie_types(dw, us->unit_off + rel, ret) != NULL;
	return dwarf_offdie(dw, us->unit_off + rel, ret) != NULL;
}

/* GCC's base type names -> the demangler's */
static const char *base_name(const char *name)
{
	static const char *const map[][2] = {
		{ "long int", "long" },
		{ "long unsigned int", "unsigned long" },
		{ "short int", "short" },
		{ "short unsigned int", "unsigned short" },
		{ "long long int", "long long" },
		{ "long long unsigned int", "unsigned long long" },
		{ "__int128 unsigned", "unsigned __int128" },
		{ "_Bool", "bool" },
	};

	for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return name;
}

static void put_type(struct name_buf *b, Dwarf_Die *type, int depth);
static void put_params(struct name_buf *b, Dwarf_Die *fn, int depth, bool *ret_const);
static const char *qualified(struct dwarf_names *dn, Dwarf_Die *die, int depth, bool no_params);

static void put_type_of(struct name_buf *b, Dwarf_Die *die, int depth)
{
	Dwarf_Die t;

	if (type_of(die, &t))
		put_type(b, &t, depth);
	else
		put(b, "void");
}

/* A template value argument as the demangler prints small integers and bools ("3", "3u", "3l",
 * "true"); other kinds are not spelled. */
static void put_value_arg(struct name_buf *b, Dwarf_Die *param)
{
	Dwarf_Attribute attr;
	Dwarf_Word enc = 0, v;
	const char *tn, *suffix;
	char num[32];
	Dwarf_Die t;

	if (!dwarf_attr(param, DW_AT_const_value, &attr) || dwarf_formudata(&attr, &v) ||
	    !type_of(param, &t) || dwarf_tag(&t) != DW_TAG_base_type ||
	    dwarf_formudata(dwarf_attr(&t, DW_AT_encoding, &attr), &enc)) {
		b->bad = true;
		return;
	}
	if (enc == DW_ATE_boolean) {
		put(b, v ? "true" : "false");
		return;
	}
	tn = base_name(dwarf_diename(&t));
	if (!tn || !strcmp(tn, "int"))
		suffix = "";
	else if (!strcmp(tn, "unsigned int"))
		suffix = "u";
	else if (!strcmp(tn, "long"))
		suffix = "l";
	else if (!strcmp(tn, "unsigned long"))
		suffix = "ul";
	else {
		b->bad = true;
		return;
	}
	if (enc == DW_ATE_signed)
		snprintf(num, sizeof(num), "%lld%s", (long long)(int64_t)v, suffix);
	else
		snprintf(num, sizeof(num), "%llu%s", (unsigned long long)v, suffix);
	put(b, num);
}

/* One type in GCC's spelling of template arguments ("const std::basic_string<char>*",
 * "long unsigned int") re-spelled the demangler's way ("std::basic_string<char> const*",
 * "unsigned long"), advancing *s. False where the text is not that simple grammar (function
 * types, expressions): the caller keeps GCC's spelling. */
static bool respell_type(struct name_buf *b, const char **s, int depth)
{
	bool is_const = false;

	if (depth > MAX_DEPTH)
		return false;
	while (**s == ' ')
		(*s)++;
	if (!strncmp(*s, "const ", 6)) {
		is_const = true;
		*s += 6;
	}
	for (;;) { /* words, then template arguments, then perhaps ::more */
		const char *start = *s;
		char word[64];
		size_t n;

		while (**s && !strchr(",<>*&()[]", **s))
			(*s)++;
		n = (size_t)(*s - start);
		while (n && start[n - 1] == ' ')
			n--;
		if (n >= sizeof(word))
			put_n(b, start, n);
		else {
			memcpy(word, start, n);
			word[n] = '\0';
			put(b, base_name(word));
		}
		if (**s != '<')
			break;
		(*s)++;
		put(b, "<");
		for (bool first = true;; first = false) {
			while (**s == ' ')
				(*s)++;
			if (**s == '>')
				break;
			if (!first) {
				if (**s != ',')
					return false;
				(*s)++;
				put(b, ", ");
			}
			if (!respell_type(b, s, depth + 1))
				return false;
		}
		(*s)++;
		put_close(b);
		if (strncmp(*s, "::", 2))
			break;
	}
	if (is_const)
		put(b, " const");
	while (**s == '*' || **s == '&' || !strncmp(*s, " const", 6) || **s == ' ') {
		if (**s == ' ' && strncmp(*s, " const", 6))
			break;
		if (**s == ' ') {
			put(b, " const");
			*s += 6;
		} else {
			put_n(b, *s, 1);
			(*s)++;
		}
	}
	return !strchr("()[]", **s) || !**s;
}

static void put_gcc_name(struct name_buf *b, const char *name, int depth)
{
	struct name_buf tmp = *b;
	const char *s = name;

	if (respell_type(&tmp, &s, depth) && !*s && !tmp.bad) {
		*b = tmp;
		return;
	}
	b->p[b->len] = '\0';
	put(b, name);
}

/* name, or for a template instance whose DIE lists its arguments, the name before '<' and the
 * arguments spelled as types are (GCC writes "Grid<long unsigned int>" in DW_AT_name) */
static void put_template_name(struct name_buf *b, Dwarf_Die *die, const char *name, int depth)
{
	const char *lt = strchr(name, '<');
	Dwarf_Die child;
	bool any = false;
	int n = 0;

	if (!lt || !strncmp(name, "operator", 8)) {
		put(b, name);
		return;
	}
	if (dwarf_child(die, &child) != 0) {
		put_gcc_name(b, name, depth + 1); /* a declaration without its argument DIEs */
		return;
	}
	do {
		int tag = dwarf_tag(&child);

		if (tag != DW_TAG_template_type_parameter && tag != DW_TAG_template_value_parameter)
			continue;
		if (++n > MAX_PARAMS) {
			b->bad = true;
			return;
		}
		if (!any) {
			put_n(b, name, (size_t)(lt - name));
			put(b, "<");
		} else {
			put(b, ", ");
		}
		any = true;
		if (tag == DW_TAG_template_type_parameter)
			put_type_of(b, &child, depth + 1);
		else
			put_value_arg(b, &child);
	} while (!b->bad && dwarf_siblingof(&child, &child) == 0);
	if (any)
		put_close(b);
	else
		put_gcc_name(b, name, depth + 1); /* a declaration without its argument DIEs */
}

/* The enclosing namespaces and classes of die, outermost first, each followed by "::". */
static void put_scopes(struct name_buf *b, Dwarf_Die *die, int depth)
{
	struct unit_scopes *us = unit_of(b->dn, die);
	uint32_t chain[MAX_SCOPES], rel, p;
	int n = 0;

	if (!us || depth > MAX_DEPTH || dwarf_cuoffset(die) > UINT32_MAX) {
		b->bad = true;
		return;
	}
	rel = (uint32_t)dwarf_cuoffset(die);
	for (;;) {
		if (!parent_of(us, rel, &p)) {
			b->bad = true; /* not declared at namespace or class level */
			return;
		}
		if (!p)
			break;
		if (n == MAX_SCOPES) {
			b->bad = true;
			return;
		}
		chain[n++] = rel = p;
	}
	while (n-- > 0 && !b->bad) {
		Dwarf_Die s;
		const char *name;

		if (!die_at(us, die, chain[n], &s)) {
			b->bad = true;
			return;
		}
		name = dwarf_diename(&s);
		if (dwarf_tag(&s) == DW_TAG_namespace) {
			put(b, name ? name : "(anonymous namespace)");
		} else {
			/* a class: its own cached name would repeat its scopes, so only its
			 * template name here */
			if (!name) {
				b->bad = true; /* an unnamed class (a lambda's closure) */
				return;
			}
			put_template_name(b, &s, name, depth + 1);
		}
		put(b, "::");
	}
}

/* pointer or reference: "T*", "T const&", "ret (*)(args)" */
static void put_indirect(struct name_buf *b, Dwarf_Die *type, const char *op, int depth)
{
	Dwarf_Die target;

	if (!type_of(type, &target)) {
		put(b, "void");
		put(b, op);
		return;
	}
	if (dwarf_tag(&target) == DW_TAG_subroutine_type) {
		put_type_of(b, &target, depth + 1);
		put(b, " (");
		put(b, op);
		put(b, ")");
		put_params(b, &target, depth + 1, NULL);
		return;
	}
	put_type(b, &target, depth + 1);
	put(b, op);
}

static void put_type(struct name_buf *b, Dwarf_Die *type, int depth)
{
	Dwarf_Die t = *type;

	if (depth > MAX_DEPTH) {
		b->bad = true;
		return;
	}
	/* typedefs are gone from a mangled name: so from ours */
	for (int i = 0; dwarf_tag(&t) == DW_TAG_typedef; i++) {
		if (i == MAX_HOPS) {
			b->bad = true;
			return;
		}
		if (!type_of(&t, &t)) {
			put(b, "void");
			return;
		}
	}
	switch (dwarf_tag(&t)) {
	case DW_TAG_base_type:
	case DW_TAG_unspecified_type:
		put(b, base_name(dwarf_diename(&t)));
		break;
	case DW_TAG_const_type:
		put_type_of(b, &t, depth + 1);
		put(b, " const");
		break;
	case DW_TAG_volatile_type:
		put_type_of(b, &t, depth + 1);
		put(b, " volatile");
		break;
	case DW_TAG_pointer_type:
		put_indirect(b, &t, "*", depth);
		break;
	case DW_TAG_reference_type:
		put_indirect(b, &t, "&", depth);
		break;
	case DW_TAG_rvalue_reference_type:
		put_indirect(b, &t, "&&", depth);
		break;
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		put(b, qualified(b->dn, &t, depth + 1, false));
		break;
	default: /* arrays, member pointers, vendor types: not spelled */
		b->bad = true;
	}
}

/* "(int, char const*)" from fn's DW_TAG_formal_parameter children (the artificial `this`
 * skipped, telling through *ret_const whether it points to const), top-level cv-qualifiers
 * dropped as the mangling drops them. */
static void put_params(struct name_buf *b, Dwarf_Die *fn, int depth, bool *ret_const)
{
	Dwarf_Attribute attr;
	Dwarf_Die child, t;
	bool first = true;
	int n = 0;

	put(b, "(");
	if (dwarf_child(fn, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			bool artificial = false;

			if (++n > MAX_PARAMS) {
				b->bad = true;
				break;
			}
			if (tag == DW_TAG_unspecified_parameters) {
				put(b, first ? "..." : ", ...");
				first = false;
				continue;
			}
			if (tag != DW_TAG_formal_parameter)
				continue;
			dwarf_formflag(dwarf_attr(&child, DW_AT_artificial, &attr), &artificial);
			if (!type_of(&child, &t)) {
				b->bad = true;
				break;
			}
			if (artificial) {
				Dwarf_Die pointee;

				if (ret_const && dwarf_tag(&t) == DW_TAG_pointer_type &&
				    type_of(&t, &pointee) &&
				    dwarf_tag(&pointee) == DW_TAG_const_type)
					*ret_const = true;
				continue;
			}
			for (int i = 0; dwarf_tag(&t) == DW_TAG_const_type ||
					dwarf_tag(&t) == DW_TAG_volatile_type;
			     i++)
				if (i == MAX_HOPS || !type_of(&t, &t)) {
					b->bad = true;
					break;
				}
			if (!first)
				put(b, ", ");
			first = false;
			put_type(b, &t, depth + 1);
		} while (!b->bad && dwarf_siblingof(&child, &child) == 0);
	}
	put(b, ")");
}

/* A function: scope::name(params)[ const], the return type in front for a template instance as
 * the demangler prints those; a class, struct, union or enum: scope::Name<args>. */
static void put_decl(struct name_buf *b, Dwarf_Die *decl, int depth)
{
	const char *name = dwarf_diename(decl);
	bool is_const = false;

	if (!name) {
		b->bad = true;
		return;
	}
	if (dwarf_tag(decl) != DW_TAG_subprogram) {
		put_scopes(b, decl, depth + 1);
		put_template_name(b, decl, name, depth + 1);
		return;
	}
	if (b->no_params) {
		put_scopes(b, decl, depth + 1);
		put(b, name);
		return;
	}
	if (strchr(name, '<') && strncmp(name, "operator", 8)) {
		put_type_of(b, decl, depth + 1);
		put(b, " ");
	}
	put_scopes(b, decl, depth + 1);
	put_template_name(b, decl, name, depth + 1);
	put_params(b, decl, depth + 1, &is_const);
	if (is_const)
		put(b, " const");
}

/* The built name of die (a function declaration or a class), cached per DIE; NULL when it
 * cannot be built. A function's name is cached with its parameters; no_params (its fallback) is
 * not cached. */
static const char *qualified(struct dwarf_names *dn, Dwarf_Die *die, int depth, bool no_params)
{
	struct unit_scopes *us = unit_of(dn, die);
	struct name_buf b = { .dn = dn, .no_params = no_params };
	char buf[DWARF_NAME_MAX];
	uint64_t rel = dwarf_cuoffset(die);
	uintptr_t v;
	char *copy;

	if (!us || depth > MAX_DEPTH)
		return NULL;
	if (!no_params && hashmap__find(&us->names, (uintptr_t)rel, &v))
		return v == NOT_SPELLED ? NULL : (const char *)v;
	b.p = buf;
	b.size = sizeof(buf);
	put_decl(&b, die, depth);
	if (no_params)
		return b.bad ? NULL : strdup(buf); /* the caller's to free */
	copy = b.bad ? NULL : strdup(buf);
	if (hashmap__set(&us->names, (uintptr_t)rel, copy ? (uintptr_t)copy : NOT_SPELLED)) {
		free(copy);
		return NULL;
	}
	dn->bytes += (copy ? strlen(copy) + 1 : 0) + 3 * sizeof(uintptr_t);
	return copy;
}

struct dwarf_names *dwarf_names__new(void)
{
	struct dwarf_names *dn = calloc(1, sizeof(*dn));

	if (!dn)
		return NULL;
	hashmap__init(&dn->units, hashmap_hash_int, hashmap_equal_int, NULL);
	return dn;
}

const char *dwarf_names__qualified(struct dwarf_names *dn, Dwarf_Die *decl)
{
	struct unit_scopes *us;
	const char *name;
	char *short_name;
	uintptr_t key;

	if (!dn || !decl || dwarf_tag(decl) != DW_TAG_subprogram || !is_cplusplus(decl))
		return NULL;
	name = qualified(dn, decl, 0, false);
	if (name)
		return name;
	/* a parameter type we cannot spell: still the scope, which is what tells two functions
	 * of one name apart; cached under the DIE's offset with the top bit set */
	us = unit_of(dn, decl);
	if (!us)
		return NULL;
	key = (uintptr_t)dwarf_cuoffset(decl) | ((uintptr_t)1 << 63);
	if (hashmap__find(&us->names, key, (uintptr_t *)&name))
		return (uintptr_t)name == NOT_SPELLED ? NULL : name;
	short_name = (char *)qualified(dn, decl, 0, true);
	if (hashmap__set(&us->names, key, short_name ? (uintptr_t)short_name : NOT_SPELLED)) {
		free(short_name);
		return NULL;
	}
	dn->bytes += (short_name ? strlen(short_name) + 1 : 0) + 3 * sizeof(uintptr_t);
	return short_name;
}

size_t dwarf_names__mem_bytes(const struct dwarf_names *dn)
{
	return dn ? dn->bytes : 0;
}

void dwarf_names__free(struct dwarf_names *dn)
{
	if (!dn)
		return;
	hashmap__for_each (&dn->units, e)
		unit_scopes_free((struct unit_scopes *)e->value);
	hashmap__clear(&dn->units);
	free(dn);
}
