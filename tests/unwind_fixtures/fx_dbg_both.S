/* SPDX-License-Identifier: MIT */
/* CFI in both .eh_frame and .debug_frame: the .debug_frame copy is a duplicate and is dropped. */
	.cfi_sections .eh_frame, .debug_frame
	.text
	.globl fxd_both, fxd_both_pushed
	.type fxd_both, @function
	.p2align 4
fxd_both:
	.cfi_startproc
	push %rbx
fxd_both_pushed:
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size fxd_both, . - fxd_both
	.section .note.GNU-stack, "", @progbits
