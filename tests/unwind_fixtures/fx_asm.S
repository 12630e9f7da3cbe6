/* SPDX-License-Identifier: MIT */
/* Hand-written functions whose CFI is exact: every global label marks where a known rule starts.
 * test_unwind_table.c looks the labels up in the symbol table and checks the rows there.
 * Built into fx_asm.so (-nostdlib -shared); the code is never run. */
	.text

/* Frame-pointer function: push rbp; mov rbp,rsp; ...; leave; ret. */
	.globl fx_fp, fx_fp_pushed, fx_fp_framed, fx_fp_left, fx_fp_end
	.type fx_fp, @function
	.p2align 4
fx_fp:
	.cfi_startproc
	push %rbp
fx_fp_pushed:
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
fx_fp_framed:
	.cfi_def_cfa_register %rbp
	sub $32, %rsp
	nop
	leave
fx_fp_left:
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
fx_fp_end:
	.size fx_fp, . - fx_fp

/* No CFI here: a gap between two FDEs. */
	.globl fx_gap, fx_gap_end
fx_gap:
	.fill 32, 1, 0x90
fx_gap_end:

/* Frame-pointer-less function: rsp-relative CFA that moves with pushes and sub. */
	.globl fx_nofp, fx_nofp_pushed, fx_nofp_sub, fx_nofp_add, fx_nofp_pop, fx_nofp_end
	.type fx_nofp, @function
fx_nofp:
	.cfi_startproc
	push %rbx
fx_nofp_pushed:
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	sub $0x20, %rsp
fx_nofp_sub:
	.cfi_def_cfa_offset 48
	nop
	add $0x20, %rsp
fx_nofp_add:
	.cfi_def_cfa_offset 16
	pop %rbx
fx_nofp_pop:
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
fx_nofp_end:
	.size fx_nofp, . - fx_nofp

/* Rows that differ only in registers the walker ignores (rbx, r12) merge into one. */
	.globl fx_merge, fx_merge_a, fx_merge_b, fx_merge_c
	.type fx_merge, @function
fx_merge:
	.cfi_startproc
	push %rbx
fx_merge_a:
	.cfi_def_cfa_offset 16
	nop
fx_merge_b:
	.cfi_offset %rbx, -16
	nop
fx_merge_c:
	.cfi_offset %r12, -24
	nop
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size fx_merge, . - fx_merge

/* remember/restore_state around an early return. */
	.globl fx_rem, fx_rem_popped, fx_rem_restored
	.type fx_rem, @function
fx_rem:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	test %edi, %edi
	je 1f
	.cfi_remember_state
	pop %rbp
fx_rem_popped:
	.cfi_def_cfa_offset 8
	.cfi_restore %rbp
	ret
fx_rem_restored:
1:
	.cfi_restore_state
	nop
	pop %rbp
	.cfi_def_cfa_offset 8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size fx_rem, . - fx_rem

/* Outermost frame, like _start: the return address is undefined. */
	.globl fx_start
	.type fx_start, @function
fx_start:
	.cfi_startproc
	.cfi_undefined 16	/* rip */
	xor %ebp, %ebp
	hlt
	.cfi_endproc
	.size fx_start, . - fx_start

/* Big frames: 128 KiB fits the row (offset / 8 in int16), 4 MiB does not, 12 is not a multiple of 8. */
	.globl fx_big, fx_big_sub, fx_huge, fx_huge_sub, fx_odd, fx_odd_sub
	.type fx_big, @function
fx_big:
	.cfi_startproc
	sub $0x20000, %rsp
fx_big_sub:
	.cfi_def_cfa_offset 0x20008
	add $0x20000, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size fx_big, . - fx_big
	.type fx_huge, @function
fx_huge:
	.cfi_startproc
	sub $0x400000, %rsp
fx_huge_sub:
	.cfi_def_cfa_offset 0x400008
	add $0x400000, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size fx_huge, . - fx_huge
	.type fx_odd, @function
fx_odd:
	.cfi_startproc
	sub $4, %rsp
fx_odd_sub:
	.cfi_def_cfa_offset 12
	add $4, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size fx_odd, . - fx_odd

/* GCC's stack-realignment (DRAP) prologue: CFA in r10, then CFA = *(rbp - 8), rbp saved at rbp. */
	.globl fx_drap, fx_drap_r10, fx_drap_rbp, fx_drap_deref, fx_drap_end
	.type fx_drap, @function
fx_drap:
	.cfi_startproc
	lea 8(%rsp), %r10
fx_drap_r10:
	.cfi_def_cfa %r10, 0
	and $-64, %rsp
	push -8(%r10)
	push %rbp
	mov %rsp, %rbp
fx_drap_rbp:
	.cfi_escape 0x10, 0x06, 0x02, 0x76, 0x00	/* DW_CFA_expression rbp {breg6 0} */
	push %r10
fx_drap_deref:
	.cfi_escape 0x0f, 0x03, 0x76, 0x78, 0x06	/* DW_CFA_def_cfa_expression {breg6 -8; deref} */
	nop
	pop %r10
	.cfi_def_cfa %r10, 0
	pop %rbp
	lea -8(%r10), %rsp
fx_drap_end:
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size fx_drap, . - fx_drap

/* PLT-style CFA expressions (standard lazy PLT threshold 11, IBT PLT 10) and one we do not
 * evaluate ({breg7 0; deref}). The breg7 8 form alone is just rsp+8. */
	.globl fx_plt, fx_plt_expr, fx_plt_ibt, fx_plt_ibt_expr, fx_expr, fx_expr_deref, fx_expr_simple
	.type fx_plt, @function
fx_plt:
	.cfi_startproc
	nop
fx_plt_expr:
	.cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22
	nop
	ret
	.cfi_endproc
	.size fx_plt, . - fx_plt
	.type fx_plt_ibt, @function
fx_plt_ibt:
	.cfi_startproc
	nop
fx_plt_ibt_expr:
	.cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3a, 0x2a, 0x33, 0x24, 0x22
	nop
	ret
	.cfi_endproc
	.size fx_plt_ibt, . - fx_plt_ibt
	.type fx_expr, @function
fx_expr:
	.cfi_startproc
	nop
fx_expr_deref:
	.cfi_escape 0x0f, 0x03, 0x77, 0x00, 0x06	/* {breg7 0; deref} */
	nop
fx_expr_simple:
	.cfi_escape 0x0f, 0x02, 0x77, 0x10	/* {breg7 16} == rsp+16 */
	nop
	ret
	.cfi_endproc
	.size fx_expr, . - fx_expr

/* CFA in another register; rbp kept in a register; return address not at CFA-8; rbp undefined. */
	.globl fx_regs, fx_regs_cfa_r11, fx_regs_rbp_in_rax, fx_regs_ra_moved, fx_regs_rbp_undef
	.type fx_regs, @function
fx_regs:
	.cfi_startproc
	mov %rsp, %r11
fx_regs_cfa_r11:
	.cfi_def_cfa %r11, 8
	nop
	.cfi_def_cfa %rsp, 8
	mov %rbp, %rax
fx_regs_rbp_in_rax:
	.cfi_register %rbp, %rax
	nop
	.cfi_restore %rbp
	nop
fx_regs_ra_moved:
	.cfi_offset 16, -16
	nop
	.cfi_offset 16, -8
	nop
fx_regs_rbp_undef:
	.cfi_undefined %rbp
	nop
	ret
	.cfi_endproc
	.size fx_regs, . - fx_regs

/* A signal trampoline CIE ("zRS"). */
	.globl fx_sig
	.type fx_sig, @function
fx_sig:
	.cfi_startproc
	.cfi_signal_frame
	nop
	ret
	.cfi_endproc
	.size fx_sig, . - fx_sig

	.section .note.GNU-stack, "", @progbits
