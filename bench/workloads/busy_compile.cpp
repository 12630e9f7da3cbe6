// SPDX-License-Identifier: MIT
// What the busy-host figure compiles every few seconds (g++ -O2 -c): a few seconds of cc1plus over
// the standard library's heavier headers.
#include <algorithm>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
	std::map<std::string, std::vector<int>> seen;
	std::regex word("[a-z]+([0-9]*)");

	for (int i = 1; i < argc; i++) {
		std::smatch m;
		std::string arg(argv[i]);

		if (std::regex_match(arg, m, word))
			seen[m[1]].push_back(i);
	}
	for (auto &kv : seen) {
		std::sort(kv.second.begin(), kv.second.end());
		std::cout << kv.first << ' ' << kv.second.size() << '\n';
	}
	return 0;
}
