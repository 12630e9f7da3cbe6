/* SPDX-License-Identifier: MIT */
/* The DWARF CFA program interpreter of the unwind-table builder (src/unwind/ only): runs a CIE's
 * initial instructions or an FDE's instructions and reports, location after location, the rules
 * for the three registers the x86_64 walker needs (the CFA, rbp, the return address). Other
 * registers are followed only as far as they could affect those; expressions are classified
 * into the few forms the walker can evaluate. The instructions are outside input: malformed or
 * unknown ones stop the run with -EINVAL. */
#ifndef FLAMED_UNWIND_CFA_PROGRAM_H
#define FLAMED_UNWIND_CFA_PROGRAM_H

#include <stdint.h>

#include "elf/eh_frame.h"

/* x86_64 DWARF register numbers. */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA	16

enum rule_how {
	RULE_SAME = 0, /* unchanged (default for callee-saved registers) */
	RULE_UNDEF,    /* DW_CFA_undefined */
	RULE_OFFSET,   /* saved at CFA + off */
	RULE_AT_RBP,   /* saved at rbp + off (DW_CFA_expression {DW_OP_breg6 off}) */
	RULE_OTHER,    /* register, val_offset, other expressions */
};

enum cfa_how {
	CFAH_NONE = 0,	/* no CFA rule yet */
	CFAH_REG_OFF,	/* reg + off */
	CFAH_PLT,	/* rsp + off + ((rip & 15) >= plt_k ? 8 : 0) */
	CFAH_DEREF_RBP, /* *(rbp + off) */
	CFAH_EXPR,	/* any other expression */
};

struct reg_rule {
	int64_t off;
	uint8_t how;
};

struct cfa_rule {
	int64_t off;
	uint64_t reg;
	uint8_t how;
	uint8_t plt_k;
};

struct cfi_state {
	struct cfa_rule cfa;
	struct reg_rule rbp;
	struct reg_rule ra;
};

/* One run. Fill the inputs, then cfa_program_run. */
struct cfa_interp {
	const struct eh_frame_sec *sec; /* the section (DW_CFA_set_loc's pointers) */
	const struct eh_frame_cie *cie; /* alignment factors, the FDE pointer encoding */
	/* the CIE's state after its initial instructions, which DW_CFA_restore goes back to; NULL
	 * while running those (location instructions are then invalid) */
	const struct cfi_state *init;
	uint64_t end; /* the FDE's end: locations past it are clamped to it */
	/* the rules for [loc, the next location): 0 to go on, or an error that ends the run */
	int (*row)(void *ctx, uint64_t loc, const struct cfi_state *st);
	void *ctx;
	struct cfi_state st; /* in: the start state; out: the state at loc */
	uint64_t loc;	     /* in: the FDE's start; out: where the run stopped */
};

/* Run instructions [p, end). 0; -EINVAL on malformed or unknown instructions; or row's error.
 * Stops early once the FDE end is reached. */
int cfa_program_run(struct cfa_interp *in, const uint8_t *p, const uint8_t *end);

#endif /* FLAMED_UNWIND_CFA_PROGRAM_H */
