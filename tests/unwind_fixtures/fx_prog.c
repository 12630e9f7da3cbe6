// SPDX-License-Identifier: MIT
/* Program built twice, with and without frame pointers; fx_work is a non-leaf function with
 * locals, so the -fno-omit-frame-pointer build gives it rbp-based rows and the other does not. */
#include <stdio.h>

#include "fx_lib.h"

__attribute__((noinline)) int fx_work(int n)
{
	volatile int buf[64];
	int sum = 0;

	for (int i = 0; i < n && i < 64; i++)
		buf[i] = fx_lib_mix(i);
	for (int i = 0; i < n && i < 64; i++)
		sum += buf[i] + fx_lib_twice(buf[i]);
	return sum;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", fx_work(argc + 8));
	return 0;
}
