/* SPDX-License-Identifier: MIT */
#ifndef FX_LIB_H
#define FX_LIB_H
int fx_lib_mix(int x);
int fx_lib_twice(int x);
#endif
