// SPDX-License-Identifier: MIT
/* C++ names of inline frames (test_dwarf_lines): Grid<int>::relax inlines a static function and
 * an anonymous-namespace one (internal linkage: GCC gives them no DW_AT_linkage_name), a class
 * template member, a function template, a function taking a struct, a pointer and a typedef,
 * and a lambda. Built twice: -O2 with every helper inlined, and with -DFIXTURE_ORACLE where no
 * helper is inlined, so `nm -C` of that build says how each one's symbol demangles: the name the
 * -O2 build's inline frames must carry. */
#include <map>
#include <stddef.h>
#include <string>
#include <vector>

#ifdef FIXTURE_ORACLE
#define HELPER_ATTR __attribute__((noinline))
#define HELPER	    HELPER_ATTR
#else
#define HELPER_ATTR __attribute__((always_inline))
#define HELPER	    HELPER_ATTR inline
#endif

namespace geo {
struct Point {
	long x, y;
};

static HELPER unsigned long twist(unsigned long x)
{
	return (x ^ (x >> 7)) * 2654435761u; /* TWIST-LINE */
}

namespace {
HELPER unsigned anon_mix(unsigned x, const char *salt)
{
	return x * 33u + (unsigned)salt[x & 3];
}
} // namespace

template <typename T> static HELPER T clampv(T v, T hi)
{
	return v > hi ? hi - (v & 7) : v;
}

static HELPER long describe(const Point &p, size_t n, volatile int *sink)
{
	*sink = (int)n;
	return p.x * (long)n + p.y;
}

/* the standard library's templates: default arguments, and GCC's own spelling of a declared-only
 * std::pair<const K, V> in its DWARF, re-spelled as the demangler writes it */
static HELPER size_t lookup(const std::map<std::string, std::vector<int> > &m, const std::string &k)
{
	auto it = m.find(k);

	return it == m.end() ? k.size() : it->second.size();
}

std::map<std::string, std::vector<int> > table;

template <typename T> struct Grid {
	T cells[64];

	HELPER T step(T v, int r) const
	{
		return (T)twist((unsigned long)v) + (T)anon_mix((unsigned)r, "salt");
	}

	__attribute__((noinline)) T relax(int rounds)
	{
		T acc = 1;
		volatile int sink = 0;
		Point p = { 3, 4 };
		std::string key("k");
		auto f = [&](T v) HELPER_ATTR { return step(v, rounds) ^ (T)describe(p, (size_t)v, &sink); };

		for (int r = 0; r < rounds; r++)
			for (int i = 0; i < 64; i++)
				cells[i] = acc = clampv<T>(f(acc ^ cells[i]), 1 << 20) +
						 (T)lookup(table, key);
		return acc;
	}
};
} // namespace geo

int main(int argc, char **argv)
{
	static geo::Grid<int> grid;

	(void)argv;
	return grid.relax(argc) & 1;
}
