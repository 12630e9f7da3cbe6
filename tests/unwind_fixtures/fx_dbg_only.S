/* SPDX-License-Identifier: MIT */
/* CFI emitted only to .debug_frame: the table builder must fall back to it. */
	.cfi_sections .debug_frame
	.text
	.globl fxd_only, fxd_only_framed
	.type fxd_only, @function
	.p2align 4
fxd_only:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
fxd_only_framed:
	.cfi_def_cfa_register %rbp
	nop
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size fxd_only, . - fxd_only
/* An unknown opcode (0x3c, in the user range) after a valid row: rows after it are bad-cfi.
 * Here rather than in fx_asm.S because ld parses .eh_frame (not .debug_frame) and rejects it. */
	.globl fx_badop, fx_badop_after
	.type fx_badop, @function
fx_badop:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	nop
fx_badop_after:
	.cfi_escape 0x3c
	nop
	pop %rbp
	ret
	.cfi_endproc
	.size fx_badop, . - fx_badop

	.section .note.GNU-stack, "", @progbits
