// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "unwind/cfa_program.h"
#include "util/cursor.h"

/* DW_CFA_* opcodes. The top two bits select advance_loc/offset/restore with an inline operand. */
enum {
	CFA_NOP = 0x00,
	CFA_SET_LOC = 0x01,
	CFA_ADVANCE_LOC1 = 0x02,
	CFA_ADVANCE_LOC2 = 0x03,
	CFA_ADVANCE_LOC4 = 0x04,
	CFA_OFFSET_EXTENDED = 0x05,
	CFA_RESTORE_EXTENDED = 0x06,
	CFA_UNDEFINED = 0x07,
	CFA_SAME_VALUE = 0x08,
	CFA_REGISTER = 0x09,
	CFA_REMEMBER_STATE = 0x0a,
	CFA_RESTORE_STATE = 0x0b,
	CFA_DEF_CFA = 0x0c,
	CFA_DEF_CFA_REGISTER = 0x0d,
	CFA_DEF_CFA_OFFSET = 0x0e,
	CFA_DEF_CFA_EXPRESSION = 0x0f,
	CFA_EXPRESSION = 0x10,
	CFA_OFFSET_EXTENDED_SF = 0x11,
	CFA_DEF_CFA_SF = 0x12,
	CFA_DEF_CFA_OFFSET_SF = 0x13,
	CFA_VAL_OFFSET = 0x14,
	CFA_VAL_OFFSET_SF = 0x15,
	CFA_VAL_EXPRESSION = 0x16,
	CFA_GNU_ARGS_SIZE = 0x2e,
	CFA_GNU_NEGATIVE_OFFSET_EXTENDED = 0x2f,
	CFA_ADVANCE_LOC = 0x40,
	CFA_OFFSET = 0x80,
	CFA_RESTORE = 0xc0,
};

/* DW_OP_* used by the expression forms we recognise. */
#define OP_DEREF	0x06
#define OP_PLUS		0x22
#define OP_SHL		0x24
#define OP_GE		0x2a
#define OP_AND		0x1a
#define OP_LIT0		0x30
#define OP_BREG0	0x70

#define MAX_STATE_DEPTH 32 /* remember_state nesting; GCC uses 1-2 */

/* A uleb-prefixed block (DWARF expression): returns its start and advances past it. */
static const uint8_t *cur_block(struct cursor *c, size_t *ret_len)
{
	uint64_t len = cur_uleb(c);
	const uint8_t *p = c->p;

	if (!cur_need(c, len))
		return NULL;
	c->p += len;
	*ret_len = len;
	return p;
}

/* ---- expressions: the few forms the walker can evaluate ---- */

/* {DW_OP_bregN off} alone; returns true and the register and offset. */
static bool expr_breg(const uint8_t *e, size_t len, uint8_t *ret_reg, int64_t *ret_off,
		      size_t *ret_used)
{
	struct cursor c = { e, e + len, false };
	uint8_t op;

	if (!len)
		return false;
	op = *c.p++;
	if (op < OP_BREG0 || op > OP_BREG0 + 31)
		return false;
	*ret_off = cur_sleb(&c);
	if (c.bad)
		return false;
	*ret_reg = op - OP_BREG0;
	*ret_used = (size_t)(c.p - e);
	return true;
}

static void classify_cfa_expr(const uint8_t *e, size_t len, struct cfa_rule *cfa)
{
	/* The PLT form after breg7 N: breg16 0; lit15; and; litK; ge; lit3; shl; plus. */
	static const uint8_t plt_tail_a[] = { OP_BREG0 + REG_RA, 0, OP_LIT0 + 15, OP_AND };
	static const uint8_t plt_tail_b[] = { OP_GE, OP_LIT0 + 3, OP_SHL, OP_PLUS };
	uint8_t reg;
	int64_t off;
	size_t used;

	cfa->how = CFAH_EXPR;
	if (!expr_breg(e, len, &reg, &off, &used))
		return;
	e += used;
	len -= used;
	if (len == 0 && (reg == REG_RSP || reg == REG_RBP)) {
		cfa->how = CFAH_REG_OFF; /* same as DW_CFA_def_cfa reg, off */
		cfa->reg = reg;
		cfa->off = off;
	} else if (len == 1 && e[0] == OP_DEREF && reg == REG_RBP) {
		cfa->how = CFAH_DEREF_RBP;
		cfa->off = off;
	} else if (reg == REG_RSP && len == sizeof(plt_tail_a) + 1 + sizeof(plt_tail_b) &&
		   !memcmp(e, plt_tail_a, sizeof(plt_tail_a)) && e[sizeof(plt_tail_a)] >= OP_LIT0 &&
		   e[sizeof(plt_tail_a)] <= OP_LIT0 + 15 &&
		   !memcmp(e + sizeof(plt_tail_a) + 1, plt_tail_b, sizeof(plt_tail_b))) {
		cfa->how = CFAH_PLT;
		cfa->off = off;
		cfa->plt_k = e[sizeof(plt_tail_a)] - OP_LIT0;
	}
}

static void classify_reg_expr(const uint8_t *e, size_t len, struct reg_rule *r)
{
	uint8_t reg;
	int64_t off;
	size_t used;

	r->how = RULE_OTHER;
	if (expr_breg(e, len, &reg, &off, &used) && used == len && reg == REG_RBP) {
		r->how = RULE_AT_RBP;
		r->off = off;
	}
}

/* ---- the interpreter ---- */

static struct reg_rule *reg_slot(struct cfi_state *st, uint64_t reg)
{
	if (reg == REG_RBP)
		return &st->rbp;
	if (reg == REG_RA)
		return &st->ra;
	return NULL; /* registers the walker does not need */
}

static void set_rule(struct cfi_state *st, uint64_t reg, uint8_t how, int64_t off)
{
	struct reg_rule *r = reg_slot(st, reg);

	if (r) {
		r->how = how;
		r->off = off;
	}
}

/* Offsets are computed with wrapping arithmetic; absurd values end up as UNSUP_OFFSET rows. */
static int64_t mul_wrap(uint64_t a, int64_t b)
{
	return (int64_t)(a * (uint64_t)b);
}

/* Move to new_loc (clamped to the FDE end), emitting the row for [loc, new_loc). */
static int advance_to(struct cfa_interp *in, uint64_t new_loc)
{
	int err;

	if (!in->init)
		return -EINVAL; /* location ops are invalid in a CIE */
	if (new_loc > in->end || new_loc < in->loc)
		new_loc = in->end;
	if (new_loc == in->loc)
		return 0;
	err = in->row(in->ctx, in->loc, &in->st);
	if (err)
		return err;
	in->loc = new_loc;
	return 0;
}

static int advance_by(struct cfa_interp *in, uint64_t delta)
{
	uint64_t d, new_loc;

	if (__builtin_mul_overflow(delta, in->cie->code_align, &d) ||
	    __builtin_add_overflow(in->loc, d, &new_loc))
		new_loc = UINT64_MAX;
	return advance_to(in, new_loc);
}

int cfa_program_run(struct cfa_interp *in, const uint8_t *p, const uint8_t *end)
{
	static const struct cfi_state default_state; /* CFA undefined, registers unchanged */
	const struct cfi_state *init = in->init ? in->init : &default_state;
	struct cfi_state stack[MAX_STATE_DEPTH];
	struct cursor c = { p, end, false };
	struct cfi_state *st = &in->st;
	int64_t da = in->cie->data_align;
	unsigned int depth = 0;
	int err = 0;

	while (!err && c.p < c.end && !c.bad) {
		uint8_t op = *c.p++;
		uint64_t reg, v;
		const uint8_t *blk;
		size_t len;
		struct reg_rule *r;

		if (in->init && in->loc >= in->end)
			break; /* later instructions cannot matter */
		switch (op & 0xc0) {
		case CFA_ADVANCE_LOC:
			err = advance_by(in, op & 0x3f);
			continue;
		case CFA_OFFSET:
			set_rule(st, op & 0x3f, RULE_OFFSET, mul_wrap(cur_uleb(&c), da));
			continue;
		case CFA_RESTORE:
			if ((r = reg_slot(st, op & 0x3f)))
				*r = (op & 0x3f) == REG_RBP ? init->rbp : init->ra;
			continue;
		}
		switch (op) {
		case CFA_NOP:
			break;
		case CFA_SET_LOC:
			if (!in->init || eh_frame_read_ptr(&c, in->cie->fde_enc, in->sec, &v) ||
			    v < in->loc)
				return -EINVAL;
			err = advance_to(in, v);
			break;
		case CFA_ADVANCE_LOC1:
			v = cur_u(&c, 1);
			err = c.bad ? -EINVAL : advance_by(in, v);
			break;
		case CFA_ADVANCE_LOC2:
			v = cur_u(&c, 2);
			err = c.bad ? -EINVAL : advance_by(in, v);
			break;
		case CFA_ADVANCE_LOC4:
			v = cur_u(&c, 4);
			err = c.bad ? -EINVAL : advance_by(in, v);
			break;
		case CFA_OFFSET_EXTENDED:
			reg = cur_uleb(&c);
			set_rule(st, reg, RULE_OFFSET, mul_wrap(cur_uleb(&c), da));
			break;
		case CFA_OFFSET_EXTENDED_SF:
			reg = cur_uleb(&c);
			set_rule(st, reg, RULE_OFFSET, mul_wrap((uint64_t)cur_sleb(&c), da));
			break;
		case CFA_GNU_NEGATIVE_OFFSET_EXTENDED:
			reg = cur_uleb(&c);
			set_rule(st, reg, RULE_OFFSET, -mul_wrap(cur_uleb(&c), da));
			break;
		case CFA_RESTORE_EXTENDED:
			reg = cur_uleb(&c);
			if ((r = reg_slot(st, reg)))
				*r = reg == REG_RBP ? init->rbp : init->ra;
			break;
		case CFA_UNDEFINED:
			set_rule(st, cur_uleb(&c), RULE_UNDEF, 0);
			break;
		case CFA_SAME_VALUE:
			set_rule(st, cur_uleb(&c), RULE_SAME, 0);
			break;
		case CFA_REGISTER:
			reg = cur_uleb(&c);
			(void)cur_uleb(&c);
			set_rule(st, reg, RULE_OTHER, 0);
			break;
		case CFA_VAL_OFFSET:
		case CFA_VAL_OFFSET_SF:
			reg = cur_uleb(&c);
			(void)cur_uleb(&c); /* sleb and uleb have the same length */
			set_rule(st, reg, RULE_OTHER, 0);
			break;
		case CFA_REMEMBER_STATE:
			if (depth == MAX_STATE_DEPTH)
				return -EINVAL;
			stack[depth++] = *st;
			break;
		case CFA_RESTORE_STATE:
			if (!depth)
				return -EINVAL;
			/* the CFA rule is restored too (DWARF 5 clarifies; GCC relies on it) */
			*st = stack[--depth];
			break;
		case CFA_DEF_CFA:
			st->cfa.reg = cur_uleb(&c);
			st->cfa.off = (int64_t)cur_uleb(&c);
			st->cfa.how = CFAH_REG_OFF;
			break;
		case CFA_DEF_CFA_SF:
			st->cfa.reg = cur_uleb(&c);
			st->cfa.off = mul_wrap((uint64_t)cur_sleb(&c), da);
			st->cfa.how = CFAH_REG_OFF;
			break;
		case CFA_DEF_CFA_REGISTER:
			st->cfa.reg = cur_uleb(&c);
			if (st->cfa.how != CFAH_REG_OFF)
				st->cfa.off = 0;
			st->cfa.how = CFAH_REG_OFF;
			break;
		case CFA_DEF_CFA_OFFSET:
			st->cfa.off = (int64_t)cur_uleb(&c);
			if (st->cfa.how != CFAH_REG_OFF) /* invalid after an expression */
				st->cfa.how = CFAH_EXPR;
			break;
		case CFA_DEF_CFA_OFFSET_SF:
			st->cfa.off = mul_wrap((uint64_t)cur_sleb(&c), da);
			if (st->cfa.how != CFAH_REG_OFF)
				st->cfa.how = CFAH_EXPR;
			break;
		case CFA_DEF_CFA_EXPRESSION:
			blk = cur_block(&c, &len);
			if (blk)
				classify_cfa_expr(blk, len, &st->cfa);
			break;
		case CFA_EXPRESSION:
		case CFA_VAL_EXPRESSION:
			reg = cur_uleb(&c);
			blk = cur_block(&c, &len);
			if (!blk)
				break;
			if ((r = reg_slot(st, reg))) {
				if (op == CFA_EXPRESSION)
					classify_reg_expr(blk, len, r);
				else
					r->how = RULE_OTHER;
			}
			break;
		case CFA_GNU_ARGS_SIZE:
			(void)cur_uleb(&c);
			break;
		default: /* unknown operand layout: nothing after this can be decoded */
			return -EINVAL;
		}
	}
	if (err)
		return err;
	return c.bad ? -EINVAL : 0;
}
