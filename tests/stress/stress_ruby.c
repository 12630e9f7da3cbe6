// SPDX-License-Identifier: MIT
/* A process that says it runs CRuby 3.1 and lies (tests/stress/test_ruby_forged.sh):
 *   stress_ruby garbage SECONDS  ruby_current_vm_ptr points at random bytes, changed every 20 ms
 *   stress_ruby image SECONDS    a VM whose thread list holds the program's own thread (found by
 *                                its pthread_self, as a real one), its execution context a VM
 *                                stack of 64 control frames rewritten every 20 ms with words
 *                                that look like Ruby's: pointers into a junk heap whose words
 *                                look like objects' flags (iseqs, method entries, strings,
 *                                arrays, classes), pointers or random bytes
 * Either way it spins in a recursion inside the forged library's rb_vm_exec (so that the BPF
 * walker and the readers of iseqs, method entries, classes and symbols run on it) and prints
 * "pid PID". */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ruby/rb_offsets.h"

static const struct rb_offsets table[] = {
#include "ruby/rb_offsets_table.h"
};

void stress_ruby_set(void *vm, void *cobject);
void stress_ruby_symbols(const void *src);
uint64_t rb_vm_exec(uint64_t (*fn)(int), int depth);

#define JUNK_LEN  (4u << 20)
#define STACK_LEN (64u << 10)
#define NR_CFP	  64

static uint8_t *junk, *stack;
static uint8_t vm[4096], ractor[4096], th[4096], ec[4096];
static volatile uint64_t sink;

static uint64_t rnd(void)
{
	static uint64_t s = 88172645463325252ULL;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static void put(uint8_t *base, uint32_t off, uint64_t v)
{
	memcpy(base + off, &v, sizeof(v));
}

/* A word a Ruby heap could hold: an aligned pointer into the junk (often), an object's flags
 * (an imemo of a kind the readers look for, a String with an embedded length, an Array, a
 * class), a small number or random bytes. */
static uint64_t rubyish(const struct rb_offsets *o)
{
	uint64_t r = rnd(), k = r >> 60;

	if (k < 6)
		return (uint64_t)(junk + 64 + (r % (JUNK_LEN - 128))) & ~7ULL;
	if (k < 8) {
		uint32_t kind = (r >> 8) % 3 == 0   ? o->imemo_iseq
				: (r >> 8) % 3 == 1 ? o->imemo_ment
						    : o->imemo_svar;

		return o->t_imemo | (uint64_t)kind << o->fl_ushift | (r & 0xffff0000ULL);
	}
	if (k < 10)
		return o->t_string | ((r >> 20) & o->str_len_mask) | (r & o->str_noembed);
	if (k < 11)
		return o->t_array | ((r >> 20) & o->ary_len_mask) | (r & o->ary_embed);
	if (k < 12)
		return o->t_class | (r & o->fl_singleton);
	if (k < 14)
		return r % 4096;
	return r;
}

static void fill(uint8_t *p, size_t len, const struct rb_offsets *o)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = o ? rubyish(o) : rnd();

		memcpy(p + i, &v, 8);
	}
}

/* image: a VM, a ractor, this thread and its execution context, as CRuby 3.1 lays them out */
static void forge_image(const struct rb_offsets *o)
{
	uint8_t *head = ractor + o->ractor_threads, *node = th + o->th_node;
	uint64_t cfp = (uint64_t)stack + STACK_LEN - NR_CFP * o->cfp_size;

	put(vm, o->vm_main_ractor, (uint64_t)ractor);
	put(head, 0, (uint64_t)node); /* a circular list of one */
	put(head, 8, (uint64_t)node);
	put(node, 0, (uint64_t)head);
	put(node, 8, (uint64_t)head);
	put(th, o->th_thread_id, (uint64_t)pthread_self());
	put(th, o->th_ec, (uint64_t)ec);
	put(ec, o->ec_vm_stack, (uint64_t)stack);
	put(ec, o->ec_vm_stack_size, STACK_LEN / 8);
	put(ec, o->ec_cfp, cfp);
}

static void scramble(int image, const struct rb_offsets *o)
{
	uint64_t syms[8];

	if (!image) {
		fill(junk, JUNK_LEN, NULL);
		stress_ruby_set(junk + (rnd() % JUNK_LEN), junk + (rnd() % JUNK_LEN));
		return;
	}
	fill(junk, JUNK_LEN, o);
	fill(stack + STACK_LEN - NR_CFP * o->cfp_size, NR_CFP * o->cfp_size, o);
	fill((uint8_t *)syms, sizeof(syms), o);
	stress_ruby_symbols(syms);
	stress_ruby_set(vm, junk + ((rnd() % JUNK_LEN) & ~7ULL));
}

__attribute__((noinline)) static uint64_t spin(int depth)
{
	uint64_t s = depth;

	if (depth > 0)
		return spin(depth - 1) + 1;
	for (int i = 0; i < 100000; i++)
		s = s * 6364136223846793005ULL + i;
	return s;
}

int main(int argc, char **argv)
{
	const struct rb_offsets *o = &table[0];
	int image = argc > 2 && !strcmp(argv[1], "image");
	double secs = argc > 2 ? atof(argv[2]) : 0;
	struct timespec t0, t;

	junk = malloc(JUNK_LEN);
	stack = calloc(1, STACK_LEN);
	if (!junk || !stack || secs <= 0)
		return 1;
	if (image)
		forge_image(o);
	scramble(image, o);
	printf("pid %d\n", getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int k = 0; k < 20; k++)
			sink += rb_vm_exec(spin, 30);
		scramble(image, o);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
