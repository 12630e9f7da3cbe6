/* SPDX-License-Identifier: MIT */
/* An attacker's library: one function whose CFI says "return address undefined" (an outermost
 * frame) over 64 KiB of code from the start of .text. Linked with a placeholder build-id that the
 * attack replaces with a victim's (tests/integration/test_attack_unwind.sh, test_unwind_loader.c):
 * a loader that shared tables by build-id alone would end the victim's stacks at their first
 * frame there and still call them complete. Mapped, never run. */
	.text
	.globl atk_poison
	.type atk_poison, @function
	.p2align 4
atk_poison:
	.cfi_startproc
	.cfi_undefined %rip
	.skip 65536, 0x90
	ret
	.cfi_endproc
	.size atk_poison, . - atk_poison
	.section .note.GNU-stack, "", @progbits
