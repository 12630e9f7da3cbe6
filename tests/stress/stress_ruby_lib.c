// SPDX-License-Identifier: MIT
/* A forged libruby (tests/stress/test_ruby_forged.sh): it exports what flamed finds a CRuby by
 * (ruby_current_vm_ptr, rb_vm_exec, ruby_version 3.1.2, rb_sym_immortal_count reading the
 * symbol table's first field, rb_cObject), and stress_ruby fills them with whatever it wants
 * flamed to read. */
#include <stdint.h>
#include <string.h>

#define E __attribute__((visibility("default")))

E void *ruby_current_vm_ptr;
E void *rb_cObject;
E const char ruby_version[] = "3.1.2";

/* the symbol table: rb_sym_immortal_count is "mov eax, [rip + X]; ret" over it, as CRuby's */
static uint64_t symbols[8];

E int rb_sym_immortal_count(void)
{
	return (int)*(volatile uint32_t *)symbols;
}

E void stress_ruby_symbols(const void *src)
{
	memcpy(symbols, src, sizeof(symbols));
}

/* Set here, not by the program: its references would go to a copy in its own .bss (a copy
 * relocation), and flamed reads the library's. */
E void stress_ruby_set(void *vm, void *cobject)
{
	ruby_current_vm_ptr = vm;
	rb_cObject = cobject;
}

/* The interpreter's loop: the program's recursion runs inside it, so samples hold its frames. */
E __attribute__((noinline)) uint64_t rb_vm_exec(uint64_t (*fn)(int), int depth)
{
	uint64_t r = fn(depth);

	__asm__ volatile("" ::: "memory");
	return r + 1;
}
