// SPDX-License-Identifier: MIT
/* DWARF fixture for test_dwarf_lines: outer() runs the always-inline helper mix() in its loop, so
 * mix exists only as an inlined subroutine. The test finds mix's line by the MIX-LINE marker. */
static inline __attribute__((always_inline)) unsigned mix(unsigned x, int r)
{
	return (x ^ (x >> 7)) * 2654435761u + (unsigned)r; /* MIX-LINE */
}

__attribute__((noinline)) unsigned outer(unsigned *cells, int n, int rounds)
{
	unsigned acc = 1;

	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			cells[i] = acc = mix(acc ^ cells[i], r);
	return acc;
}

int main(int argc, char **argv)
{
	static unsigned cells[64];

	(void)argv;
	return (int)(outer(cells, 64, argc) & 1);
}
