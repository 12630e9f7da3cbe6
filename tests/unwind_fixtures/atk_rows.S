/* SPDX-License-Identifier: MIT */
/* PAIRS push/pop pairs under CFI, in one FDE: two table rows per pair (CFA rsp+16 after each
 * push, rsp+8 after each pop), so a library linking this object N times holds about
 * 2 * PAIRS * N rows. No symbols, so one object can be linked several times. Built with
 * -DPAIRS=n; the attack libraries of test_attack_unwind.sh fill the unwind row array with it.
 * Mapped, never run. */
	.text
	.p2align 4
	.cfi_startproc
	.rept PAIRS
	push %rax
	.cfi_adjust_cfa_offset 8
	pop %rax
	.cfi_adjust_cfa_offset -8
	.endr
	ret
	.cfi_endproc
	.section .note.GNU-stack, "", @progbits
