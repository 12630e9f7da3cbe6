// SPDX-License-Identifier: MIT
// A C++ workload for name checks: a member function of a class template in a namespace, and a
// lambda, each burning about half of the CPU for the given seconds. Their symbols are mangled
// (_ZN3geo4GridIiE5relaxEi, _ZZ4mainENKUliE_clEi); a profile must show them demangled.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace geo {
template <typename T> struct Grid {
	T cells[64];

	__attribute__((noinline)) T relax(int rounds)
	{
		T acc = 0;

		for (int r = 0; r < rounds; r++)
			for (int i = 0; i < 64; i++)
				acc += cells[i] = (cells[i] * 3 + r) & 0xffff;
		return acc;
	}
};
} // namespace geo

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	auto stop = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	static geo::Grid<int> grid;
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
		sink = sink + grid.relax(6000);
		sink = sink + spin(128000);
	}
	return (int)(sink & 0);
}
