// SPDX-License-Identifier: MIT
/* Shared library the fixture programs call through the PLT. */
#include "fx_lib.h"

int fx_lib_mix(int x)
{
	return x * 31 + 7;
}

int fx_lib_twice(int x)
{
	return fx_lib_mix(x) + fx_lib_mix(x + 1);
}
