/* SPDX-License-Identifier: MIT */
/* The libFuzzer entry point every fuzz/fuzz_*.c defines (declared for -Wmissing-prototypes). */
#ifndef FLAMED_FUZZ_H
#define FLAMED_FUZZ_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
