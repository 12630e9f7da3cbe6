// SPDX-License-Identifier: MIT
/* A process that says it is a JVM and lies (tests/stress/test_jvm_forged.sh):
 *   stress_jvm garbage SECONDS    the gHotSpotVM* variables of its libjvm.so point at random
 *                                 bytes, with random strides and offsets, changed every 20 ms
 *   stress_jvm image IMAGE SECONDS a real JVM's tables (IMAGE, from vmstructs_image.py), mapped
 *                                 where they were copied from, with its code cache and
 *                                 interpreter said to be the program's own code and stack, over
 *                                 a segment map of random bytes changed every 20 ms
 * Either way it spins in a recursion (so that it is sampled) and prints "pid PID". */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_BASE 0x10000000UL

extern uint64_t *const stress_jvm_vars[19];
static uint8_t *junk, *segmap;
static size_t junk_len = 4 << 20, segmap_len = 1 << 16;
static volatile uint64_t sink;

static uint64_t rnd(void)
{
	static uint64_t s = 88172645463325252ULL;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static void scramble(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = rnd();

		memcpy(p + i, &v, 8);
	}
}

/* garbage: the variables at random places of the junk, with random strides and offsets */
static void forge_garbage(void)
{
	scramble(junk, junk_len);
	for (int i = 0; i < 19; i++) {
		uint64_t r = rnd();

		if (i == 0 || i == 7 || i == 11 || i == 15)
			*stress_jvm_vars[i] = (uint64_t)(junk + (r % junk_len)); /* a table */
		else
			*stress_jvm_vars[i] = r % 4 ? r % 64 : r; /* mostly small, some huge */
	}
}

/* The offset (or static address) of TYPE::FIELD in the image's structs table. */
static uint64_t field(const char *type, const char *name, int address)
{
	uint64_t *w = (uint64_t *)IMAGE_BASE, base = w[0], stride = w[1];

	for (uint64_t e = base; *(uint64_t *)(e + w[2]); e += stride) {
		if (!strcmp((char *)*(uint64_t *)(e + w[2]), type) && *(uint64_t *)(e + w[3]) &&
		    !strcmp((char *)*(uint64_t *)(e + w[3]), name))
			return address ? e + w[6] : *(uint64_t *)(e + w[5]);
	}
	return 0;
}

static int forge_image(const char *path, uint64_t code_lo)
{
	static uint8_t heap[512], heaps_array[64], queue[64];
	static uint64_t heap_ptrs[1], heaps_var, queue_var;
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *img;
	uint64_t a;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	img = mmap((void *)IMAGE_BASE, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	close(fd);
	if (img != (void *)IMAGE_BASE)
		return -1;
	for (int i = 0; i < 19; i++)
		*stress_jvm_vars[i] = ((uint64_t *)img)[i];
	/* a code heap: the program's own code, a random segment map */
	memcpy(heap + field("CodeHeap", "_memory", 0) + field("VirtualSpace", "_low_boundary", 0),
	       &code_lo, 8);
	a = code_lo + (1 << 20);
	memcpy(heap + field("CodeHeap", "_memory", 0) + field("VirtualSpace", "_high_boundary", 0),
	       &a, 8);
	a = (uint64_t)segmap;
	memcpy(heap + field("CodeHeap", "_segmap", 0) + field("VirtualSpace", "_low_boundary", 0),
	       &a, 8);
	*(int32_t *)(heap + field("CodeHeap", "_log2_segment_size", 0)) = 4;
	heap_ptrs[0] = (uint64_t)heap;
	*(int32_t *)(heaps_array + field("GrowableArrayBase", "_len", 0)) = 1;
	a = (uint64_t)heap_ptrs;
	memcpy(heaps_array + field("GrowableArray<int>", "_data", 0), &a, 8);
	/* the static's entry holds the address of a variable that holds the array's address */
	heaps_var = (uint64_t)heaps_array;
	*(uint64_t *)field("CodeCache", "_heaps", 1) = (uint64_t)&heaps_var;
	/* the interpreter: the first 64 KiB of that code */
	memcpy(queue + field("StubQueue", "_stub_buffer", 0), &code_lo, 8);
	*(int32_t *)(queue + field("StubQueue", "_buffer_limit", 0)) = 1 << 16;
	queue_var = (uint64_t)queue;
	*(uint64_t *)field("AbstractInterpreter", "_code", 1) = (uint64_t)&queue_var;
	return 0;
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
	int image = argc > 3 && !strcmp(argv[1], "image");
	double secs = atof(argv[image ? 3 : 2]);
	struct timespec t0, t;

	junk = malloc(junk_len);
	segmap = malloc(segmap_len);
	if (!junk || !segmap)
		return 1;
	scramble(segmap, segmap_len);
	if (image && forge_image(argv[2], (uint64_t)&spin & ~0xffffUL)) {
		perror("image");
		return 1;
	}
	printf("pid %d\n", getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int k = 0; k < 20; k++)
			sink += spin(30);
		if (image)
			scramble(segmap, segmap_len);
		else
			forge_garbage();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return 0;
}
