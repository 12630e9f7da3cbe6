// SPDX-License-Identifier: MIT
// A C++ workload for DWARF checks: a class template's member in a namespace whose hot loop is an
// always-inline helper (so the helper exists only as an inline frame, never as a symbol) and a
// static one (internal linkage: GCC gives it no DW_AT_linkage_name, so flamed names it from its
// DIEs' scope), and a lambda, each burning about half of the CPU for the given seconds. Built -O2
// -g; the integration tests find the helpers' lines by the HOT-LINE markers below.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace geo {
static inline __attribute__((always_inline)) unsigned long twist(unsigned long x)
{
	return (x ^ (x >> 11)) * 0x9e3779b97f4a7c15ul; // HOT-LINE twist
}

__attribute__((always_inline)) inline unsigned mix(unsigned x, int r)
{
	return (x ^ (x >> 7)) * 2654435761u + (unsigned)r; // HOT-LINE mix
}

template <typename T> struct Grid {
	T cells[64];

	__attribute__((noinline)) T relax(int rounds)
	{
		T acc = 1;

		/* a serial chain: not vectorized, so the helper's instructions stay its own */
		for (int r = 0; r < rounds; r++)
			for (int i = 0; i < 64; i++)
				cells[i] = acc = mix(acc ^ cells[i], r) ^ (T)twist(acc);
		return acc;
	}
};
} // namespace geo

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	auto stop = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	static geo::Grid<unsigned> grid;
	volatile long sink = 0;
	auto spin = [&](int n) __attribute__((noinline)) {
		long acc = 0;

		for (int i = 0; i < n; i++)
			acc += (long)i * i ^ acc >> 3;
		return acc;
	};

	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	while (std::chrono::steady_clock::now() < stop) {
		sink = sink + grid.relax(3000);
		sink = sink + spin(128000);
	}
	return (int)(sink & 0);
}
