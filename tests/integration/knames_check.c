// SPDX-License-Identifier: MIT
/* knames_check: names kernel addresses with the kernel's own lookup (src/symbolize/knames.c) and
 * with a parse of /proc/kallsyms (src/symbolize/kallsyms.c), and counts where they disagree.
 * Addresses: every STEP-th text symbol of /proc/kallsyms, at its start and a few bytes in, and
 * addresses no symbol covers. Prints one line of counts; exits 1 when the two disagree on more
 * than 0.1 % of the addresses (an alias at the same address counts as agreement). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/knames_prog.h"
#include "symbolize/kallsyms.h"
#include "symbolize/knames.h"
#include "util/hashmap.h"

#define STEP 7

struct sym {
	uint64_t addr;
	char type;
	char name[128];
};

/* Every name of the symbols at addr (aliases), "|"-separated. */
static struct hashmap aliases;

static void add_alias(uint64_t addr, const char *name)
{
	uintptr_t v = 0;
	char *s;

	if (hashmap__find(&aliases, addr, &v)) {
		size_t n = strlen((char *)v) + strlen(name) + 2;

		s = malloc(n);
		snprintf(s, n, "%s|%s", (char *)v, name);
		free((void *)v);
	} else {
		s = strdup(name);
	}
	hashmap__set(&aliases, addr, (uintptr_t)s);
}

static int is_alias(uint64_t addr, const char *name)
{
	uintptr_t v;
	const char *p;
	size_t n = strlen(name);

	if (!hashmap__find(&aliases, addr, &v))
		return 0;
	for (p = (const char *)v; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == '|' || !p[n]))
			return 1;
	return 0;
}

static int ask_kernel(void *ctx, uint64_t addr, const char **ret_text, size_t *ret_len)
{
	return knames_prog__run(ctx, addr, ret_text, ret_len);
}

int main(void)
{
	struct kallsyms *ks = kallsyms__load("/proc/kallsyms");
	struct knames_prog *prog = knames_prog__load();
	struct knames *kn = prog ? knames__new(ask_kernel, prog) : NULL;
	size_t nsyms = 0, cap = 1 << 18, asked = 0, agree = 0, differ = 0, both_none = 0;
	struct sym *syms = malloc(cap * sizeof(*syms));
	char line[512];
	FILE *f;

	if (!ks || !kn || !syms) {
		fprintf(stderr, "knames_check: %s: %s\n",
			!ks ? "/proc/kallsyms" : "knames_prog__load", strerror(errno));
		return 2;
	}
	hashmap__init(&aliases, hashmap_hash_int, hashmap_equal_int, NULL);
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f) && nsyms < cap) {
		struct sym *s = &syms[nsyms];
		unsigned long long a;

		if (sscanf(line, "%llx %c %127s", &a, &s->type, s->name) != 3)
			continue;
		s->addr = a;
		add_alias(s->addr, s->name);
		if (s->type == 't' || s->type == 'T')
			nsyms++;
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < nsyms; i += STEP) {
		static const uint64_t deltas[] = { 0, 1, 5 };

		for (size_t d = 0; d < 3; d++) {
			uint64_t addr = syms[i].addr + deltas[d], off;
			const char *kname, *kmod, *pname, *pmod = NULL;
			int r;

			/* stay inside the symbol: the next one may start right after */
			if (i + 1 < nsyms && syms[i + 1].addr <= addr && deltas[d])
				continue;
			r = knames__lookup(kn, addr, &kname, &kmod);
			if (r < 0) {
				fprintf(stderr, "knames_check: %#llx: %s\n",
					(unsigned long long)addr, strerror(-r));
				return 1;
			}
			asked++;
			pname = kallsyms__lookup(ks, addr, &off, &pmod);
			if (!r && !pname) {
				both_none++;
				continue;
			}
			if (r && pname && (!strcmp(kname, pname) || is_alias(addr - off, kname)) &&
			    !!kmod == !!pmod && (!kmod || !strcmp(kmod, pmod))) {
				agree++;
				continue;
			}
			if (differ++ < 10)
				printf("differ at %#llx: kernel '%s' [%s], kallsyms '%s' [%s]\n",
				       (unsigned long long)addr, r ? kname : "(none)",
				       r && kmod ? kmod : "", pname ? pname : "(none)",
				       pmod ? pmod : "");
		}
	}
	/* no symbol: below the kernel, and the top of the address space */
	for (uint64_t addr = 0x1000; addr < 0x10000; addr += 0x1000) {
		const char *kname, *kmod;

		if (knames__lookup(kn, addr, &kname, &kmod) != 0) {
			printf("a name for user address %#llx: %s\n", (unsigned long long)addr,
			       kname);
			return 1;
		}
	}
	printf("knames_check: %zu text symbols, %zu addresses asked: %zu agree, %zu differ, %zu "
	       "unnamed by both; %llu kernel runs\n",
	       nsyms, asked, agree, differ, both_none, (unsigned long long)knames__stats(kn).runs);
	knames__free(kn);
	knames_prog__free(prog);
	kallsyms__free(ks);
	return asked > 1000 && differ * 1000 <= asked ? 0 : 1;
}
