// SPDX-License-Identifier: MIT
/* Unwind-table builder: finds .eh_frame/.debug_frame with libelf, enumerates CIEs and FDEs, runs
 * each FDE's CFA program with a small interpreter that tracks only what the x86_64 walker needs
 * (CFA, rbp, return address), and appends compact rows, merging identical neighbours. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/unwind_table.h"
#include "util/cursor.h"

/* DWARF pointer encodings (DW_EH_PE_*), defined here so no dwarf.h is needed. */
#define PE_ABSPTR   0x00
#define PE_ULEB128  0x01
#define PE_UDATA2   0x02
#define PE_UDATA4   0x03
#define PE_UDATA8   0x04
#define PE_SIGNED   0x08
#define PE_SLEB128  0x09
#define PE_SDATA2   0x0a
#define PE_SDATA4   0x0b
#define PE_SDATA8   0x0c
#define PE_PCREL    0x10
#define PE_TEXTREL  0x20
#define PE_DATAREL  0x30
#define PE_ALIGNED  0x50
#define PE_INDIRECT 0x80
#define PE_OMIT	    0xff

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
#define OP_DEREF 0x06
#define OP_PLUS	 0x22
#define OP_SHL	 0x24
#define OP_GE	 0x2a
#define OP_AND	 0x1a
#define OP_LIT0	 0x30
#define OP_BREG0 0x70

/* x86_64 DWARF register numbers. */
#define REG_RBP		6
#define REG_RSP		7
#define REG_RA		16

#define MAX_STATE_DEPTH 32 /* remember_state nesting; GCC uses 1-2 */
#define NT_BUILD_ID	3  /* NT_GNU_BUILD_ID */

/* Largest CFI section read (after decompression). The biggest seen here, libcublasLt's and
 * libLLVM's .eh_frame, are 5-6 MiB; anything beyond this is refused rather than allocated (and
 * interpreted, ~10 ms per MiB) on a file's say-so. */
#define MAX_CFI_BYTES (64u << 20)
/* Largest note section or segment searched for the build-id: real ones are a few hundred bytes. */
#define MAX_NOTE_BYTES (1u << 20)

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

/* ---- interpreter state ---- */

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

/* One frame section: .eh_frame (CIE id 0, relative CIE pointers, augmented pointer encodings) or
 * .debug_frame (CIE id ~0, section-offset CIE pointers, target addresses). */
struct frame_sec {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr; /* address of data[0], for pcrel */
	bool is_eh;
};

struct cie {
	const uint8_t *insns;
	const uint8_t *insns_end;
	uint64_t off; /* of the entry in its section */
	uint64_t code_align;
	int64_t data_align;
	struct cfi_state init; /* after the initial instructions */
	uint8_t sec;
	uint8_t fde_enc;
	bool has_z;
	bool signal;
	bool ra_ok;    /* return-address column is 16 */
	bool bad_init; /* initial instructions malformed */
};

struct fde_ref {
	uint64_t begin;
	uint64_t end;
	const uint8_t *insns;
	const uint8_t *insns_end;
	uint32_t cie; /* index in builder.cies */
	uint32_t seq; /* enumeration order: deterministic tie-break */
	uint8_t sec;  /* 0 = .eh_frame, 1 = .debug_frame */
};

struct builder {
	struct frame_sec secs[2];
	int nsecs;
	uint64_t base;
	uint64_t text_base; /* for DW_EH_PE_textrel (0 = unknown) */
	uint64_t data_base; /* for DW_EH_PE_datarel: .got.plt, else .got (0 = unknown) */
	size_t max_rows;    /* 0 = no limit */

	struct cie *cies;
	size_t nr_cies, cap_cies;
	struct fde_ref *fdes;
	size_t nr_fdes, cap_fdes;

	struct unwind_row *rows;
	size_t nr_rows, cap_rows;
	struct unwind_table_stats *stats;
};

struct unwind_table {
	struct unwind_row *rows;
	size_t nr;
	uint64_t base;
	size_t build_id_len;
	uint8_t build_id[UNWIND_BUILD_ID_MAX];
	struct unwind_table_stats stats;
};

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return -ENOMEM;
	}
	n = reallocarray(*arr, ncap, elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* ---- pointer encodings ---- */

static int read_encoded(struct cursor *c, uint8_t enc, const struct builder *b,
			const struct frame_sec *s, uint64_t *ret)
{
	uint64_t pos = s->vaddr + (uint64_t)(c->p - s->data);
	uint64_t v;

	if (enc == PE_OMIT)
		return -ENOENT;
	if ((enc & 0x70) == PE_ALIGNED) {
		size_t pad = (8 - (pos & 7)) & 7;

		if (!cur_need(c, pad))
			return -EINVAL;
		c->p += pad;
		pos += pad;
		enc = PE_ABSPTR | (enc & PE_INDIRECT);
	}
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
	case PE_SIGNED:
		v = cur_u(c, 8);
		break;
	case PE_ULEB128:
		v = cur_uleb(c);
		break;
	case PE_SLEB128:
		v = (uint64_t)cur_sleb(c);
		break;
	case PE_UDATA2:
		v = cur_u(c, 2);
		break;
	case PE_SDATA2:
		v = (uint64_t)(int64_t)(int16_t)cur_u(c, 2);
		break;
	case PE_UDATA4:
		v = cur_u(c, 4);
		break;
	case PE_SDATA4:
		v = (uint64_t)(int64_t)(int32_t)cur_u(c, 4);
		break;
	default:
		return -EINVAL;
	}
	if (c->bad)
		return -EINVAL;
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		v += pos;
		break;
	case PE_TEXTREL:
		if (!b->text_base)
			return -ENOTSUP;
		v += b->text_base;
		break;
	case PE_DATAREL:
		if (!b->data_base)
			return -ENOTSUP;
		v += b->data_base;
		break;
	default: /* funcrel makes no sense for pc_begin */
		return -ENOTSUP;
	}
	if (enc & PE_INDIRECT) /* would need the process's memory */
		return -ENOTSUP;
	*ret = v;
	return 0;
}

/* An encoded value's magnitude only (FDE address_range): format bits, no application. */
static int read_encoded_size(struct cursor *c, uint8_t enc, uint64_t *ret)
{
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
	case PE_SIGNED:
		*ret = cur_u(c, 8);
		break;
	case PE_ULEB128:
		*ret = cur_uleb(c);
		break;
	case PE_SLEB128:
		*ret = (uint64_t)cur_sleb(c);
		break;
	case PE_UDATA2:
	case PE_SDATA2:
		*ret = cur_u(c, 2);
		break;
	case PE_UDATA4:
	case PE_SDATA4:
		*ret = cur_u(c, 4);
		break;
	default:
		return -EINVAL;
	}
	return c->bad ? -EINVAL : 0;
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

/* ---- rows ---- */

static struct unwind_row row_make(unsigned int cfa_kind, int16_t cfa_off, unsigned int rbp_kind,
				  int8_t rbp_off)
{
	struct unwind_row r = {
		.pc = 0,
		.cfa_off = cfa_off,
		.kinds = (uint8_t)(cfa_kind | rbp_kind << 4),
		.rbp_off = rbp_off,
	};
	return r;
}

static struct unwind_row row_unsupported(enum unwind_unsupported reason)
{
	return row_make(UNWIND_CFA_UNSUPPORTED, (int16_t)reason, UNWIND_RBP_UNCHANGED, 0);
}

static bool scaled_fits(int64_t off, int64_t min, int64_t max, int64_t *ret)
{
	if (off % UNWIND_OFF_SCALE)
		return false;
	off /= UNWIND_OFF_SCALE;
	if (off < min || off > max)
		return false;
	*ret = off;
	return true;
}

static struct unwind_row encode_row(const struct cie *cie, const struct cfi_state *st)
{
	unsigned int cfa_kind, rbp_kind;
	int64_t cfa_off, rbp_off = 0;
	int8_t aux = 0;

	if (!cie->ra_ok)
		return row_unsupported(UNWIND_UNSUP_RA_COLUMN);
	if (cie->signal)
		return row_unsupported(UNWIND_UNSUP_SIGNAL);
	if (st->ra.how == RULE_UNDEF) /* _start, clone's child: the end of the stack */
		return row_make(UNWIND_CFA_END, 0, UNWIND_RBP_UNCHANGED, 0);
	if (st->ra.how != RULE_OFFSET || st->ra.off != -8)
		return row_unsupported(UNWIND_UNSUP_RA_RULE);

	switch (st->cfa.how) {
	case CFAH_REG_OFF:
		if (st->cfa.reg == REG_RSP)
			cfa_kind = UNWIND_CFA_RSP;
		else if (st->cfa.reg == REG_RBP)
			cfa_kind = UNWIND_CFA_RBP;
		else
			return row_unsupported(UNWIND_UNSUP_CFA_REG);
		break;
	case CFAH_PLT:
		/* the row's rbp_off slot carries the threshold, so rbp must be untouched */
		if (st->rbp.how != RULE_SAME)
			return row_unsupported(UNWIND_UNSUP_CFA_EXPR);
		cfa_kind = UNWIND_CFA_PLT;
		aux = (int8_t)st->cfa.plt_k;
		break;
	case CFAH_DEREF_RBP:
		cfa_kind = UNWIND_CFA_DEREF_RBP;
		break;
	case CFAH_NONE:
		return row_unsupported(UNWIND_UNSUP_BAD_CFI);
	default:
		return row_unsupported(UNWIND_UNSUP_CFA_EXPR);
	}
	if (!scaled_fits(st->cfa.off, INT16_MIN, INT16_MAX, &cfa_off))
		return row_unsupported(UNWIND_UNSUP_OFFSET);
	if (cfa_kind == UNWIND_CFA_PLT)
		return row_make(cfa_kind, (int16_t)cfa_off, UNWIND_RBP_UNCHANGED, aux);

	switch (st->rbp.how) {
	case RULE_SAME:
		rbp_kind = UNWIND_RBP_UNCHANGED;
		break;
	case RULE_UNDEF:
		rbp_kind = UNWIND_RBP_UNDEFINED;
		break;
	case RULE_OFFSET:
	case RULE_AT_RBP:
		rbp_kind = st->rbp.how == RULE_OFFSET ? UNWIND_RBP_AT_CFA : UNWIND_RBP_AT_RBP;
		if (!scaled_fits(st->rbp.off, INT8_MIN, INT8_MAX, &rbp_off)) {
			rbp_kind = UNWIND_RBP_UNSUPPORTED;
			rbp_off = 0;
		}
		break;
	default:
		rbp_kind = UNWIND_RBP_UNSUPPORTED;
		break;
	}
	return row_make(cfa_kind, (int16_t)cfa_off, rbp_kind, (int8_t)rbp_off);
}

static bool row_same(const struct unwind_row *a, const struct unwind_row *b)
{
	return a->cfa_off == b->cfa_off && a->kinds == b->kinds && a->rbp_off == b->rbp_off;
}

/* Append a row starting at vaddr. Rows at or after vaddr (an earlier FDE overlapping this one,
 * or its end gap) are dropped first; a row equal to its predecessor is merged into it. */
static int emit(struct builder *b, uint64_t vaddr, struct unwind_row r, bool gap)
{
	struct unwind_table_stats *st = b->stats;
	unsigned int kind = unwind_row_cfa_kind(&r);
	int err;

	r.pc = (uint32_t)(vaddr - b->base);
	if (!gap) {
		st->rows_raw++;
		if (kind == UNWIND_CFA_UNSUPPORTED && r.cfa_off > 0 &&
		    r.cfa_off < UNWIND_UNSUP__MAX)
			st->unsupported[r.cfa_off]++;
		else if (kind == UNWIND_CFA_PLT)
			st->plt_rows++;
		else if (kind == UNWIND_CFA_END)
			st->end_rows++;
		if (unwind_row_rbp_kind(&r) == UNWIND_RBP_UNSUPPORTED)
			st->rbp_unsupported++;
	}
	while (b->nr_rows && b->rows[b->nr_rows - 1].pc >= r.pc)
		b->nr_rows--;
	if (b->nr_rows && row_same(&b->rows[b->nr_rows - 1], &r))
		return 0;
	if (b->max_rows && b->nr_rows >= b->max_rows)
		return -E2BIG;
	err = grow((void **)&b->rows, &b->cap_rows, b->nr_rows + 1, sizeof(*b->rows));
	if (err)
		return err;
	b->rows[b->nr_rows++] = r;
	return 0;
}

/* ---- the CFA program interpreter ---- */

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

struct interp {
	struct builder *b;
	const struct cie *cie;
	const struct fde_ref *fde; /* NULL while running the CIE's initial instructions */
	const struct frame_sec *sec;
	struct cfi_state st;
	uint64_t loc;
};

/* Move to new_loc (clamped to the FDE end), emitting the row for [loc, new_loc). */
static int advance_to(struct interp *in, uint64_t new_loc)
{
	int err;

	if (!in->fde)
		return -EINVAL; /* location ops are invalid in a CIE */
	if (new_loc > in->fde->end || new_loc < in->loc)
		new_loc = in->fde->end;
	if (new_loc == in->loc)
		return 0;
	err = emit(in->b, in->loc, encode_row(in->cie, &in->st), false);
	if (err)
		return err;
	in->loc = new_loc;
	return 0;
}

static int advance_by(struct interp *in, uint64_t delta)
{
	uint64_t d, new_loc;

	if (__builtin_mul_overflow(delta, in->cie->code_align, &d) ||
	    __builtin_add_overflow(in->loc, d, &new_loc))
		new_loc = UINT64_MAX;
	return advance_to(in, new_loc);
}

/* Run instructions [p, end). Returns 0, -EINVAL on malformed or unknown instructions, or a fatal
 * error from emit (-ENOMEM, -E2BIG). Stops early once the FDE end is reached. */
static int interp_run(struct interp *in, const uint8_t *p, const uint8_t *end)
{
	static const struct cfi_state default_state; /* CFA undefined, registers unchanged */
	const struct cfi_state *init = in->fde ? &in->cie->init : &default_state;
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

		if (in->fde && in->loc >= in->fde->end)
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
			if (!in->fde || read_encoded(&c, in->cie->fde_enc, in->b, in->sec, &v) ||
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

/* ---- CIE / FDE enumeration ---- */

struct entry {
	const uint8_t *id_pos; /* the CIE id / CIE pointer field */
	const uint8_t *end;    /* one past the entry */
	uint64_t id;
	uint64_t off; /* of the entry start in the section */
	uint8_t id_len;
	bool is_cie;
};

/* Read the entry at *off. Returns 1 and advances *off, 0 at the end or an .eh_frame terminator,
 * -EINVAL when malformed (the rest of the section is then unusable). */
static int next_entry(const struct frame_sec *s, size_t *off, struct entry *e)
{
	struct cursor c = { s->data + *off, s->data + s->size, false };
	uint64_t len;
	bool dw64 = false;

	for (;;) {
		if (c.p == c.end)
			return 0;
		e->off = (uint64_t)(c.p - s->data);
		len = cur_u(&c, 4);
		if (len == 0xffffffff) {
			len = cur_u(&c, 8);
			dw64 = true;
		}
		if (c.bad)
			return -EINVAL;
		if (len)
			break;
		if (s->is_eh)
			return 0; /* terminator */
				  /* a zero-length .debug_frame entry is padding: skip it */
	}
	if (!cur_need(&c, len))
		return -EINVAL;
	e->end = c.p + len;
	e->id_pos = c.p;
	c.end = e->end;
	if (s->is_eh || !dw64) {
		e->id = cur_u(&c, 4);
		e->id_len = 4;
		e->is_cie = s->is_eh ? e->id == 0 : e->id == 0xffffffff;
	} else {
		e->id = cur_u(&c, 8);
		e->id_len = 8;
		e->is_cie = e->id == UINT64_MAX;
	}
	if (c.bad)
		return -EINVAL;
	*off = (size_t)(e->end - s->data);
	return 1;
}

static int parse_cie(struct builder *b, int sec, const struct entry *e, struct cie *cie)
{
	const struct frame_sec *s = &b->secs[sec];
	struct cursor c = { e->id_pos + e->id_len, e->end, false };
	const char *aug;
	size_t aug_len;
	uint8_t version;
	uint64_t ra_reg;
	struct cursor a;
	struct interp in;

	memset(cie, 0, sizeof(*cie));
	cie->off = e->off;
	cie->sec = (uint8_t)sec;
	cie->fde_enc = PE_ABSPTR;
	version = (uint8_t)cur_u(&c, 1);
	if (c.bad || (version != 1 && version != 3 && version != 4))
		return -EINVAL;
	aug = (const char *)c.p;
	aug_len = strnlen(aug, (size_t)(c.end - c.p));
	if (!cur_need(&c, aug_len + 1))
		return -EINVAL;
	c.p += aug_len + 1;
	if (version == 4) {
		uint8_t addr_size = (uint8_t)cur_u(&c, 1);

		(void)cur_u(&c, 1); /* segment selector size */
		if (addr_size == 4)
			cie->fde_enc = PE_UDATA4;
		else if (addr_size != 8)
			return -EINVAL;
	}
	cie->code_align = cur_uleb(&c);
	cie->data_align = cur_sleb(&c);
	ra_reg = version == 1 ? cur_u(&c, 1) : cur_uleb(&c);
	cie->ra_ok = ra_reg == REG_RA;

	/* with 'z' the augmentation data has a length, so unknown letters can be skipped */
	cie->has_z = aug_len && aug[0] == 'z';
	a = c;
	if (cie->has_z) {
		uint64_t zlen = cur_uleb(&c);

		if (!cur_need(&c, zlen))
			return -EINVAL;
		a.p = c.p;
		a.end = c.p + zlen;
		c.p += zlen;
	}
	for (size_t i = cie->has_z ? 1 : 0; i < aug_len; i++) {
		uint64_t ignored;
		uint8_t enc;

		switch (aug[i]) {
		case 'R':
			cie->fde_enc = (uint8_t)cur_u(&a, 1);
			break;
		case 'L': /* LSDA encoding: the FDE's augmentation data is skipped whole */
			(void)cur_u(&a, 1);
			break;
		case 'P':
			enc = (uint8_t)cur_u(&a, 1);
			if (read_encoded(&a, enc & ~PE_INDIRECT, b, s, &ignored) == -EINVAL)
				return -EINVAL;
			break;
		case 'S':
			cie->signal = true;
			break;
		case 'B': /* AArch64 BTI, MTE: no data */
		case 'G':
			break;
		default:
			if (!cie->has_z) /* cannot know where the instructions start */
				return -EINVAL;
			i = aug_len;
			break;
		}
	}
	if (a.bad || c.bad)
		return -EINVAL;
	if (!cie->has_z)
		c.p = a.p;
	cie->insns = c.p;
	cie->insns_end = e->end;
	if (!cie->code_align)
		cie->code_align = 1; /* avoids a zero-progress loop; such CFI is broken anyway */

	memset(&in, 0, sizeof(in));
	in.b = b;
	in.cie = cie;
	in.sec = s;
	cie->bad_init = interp_run(&in, cie->insns, cie->insns_end) != 0;
	cie->init = in.st;
	return 0;
}

static int cie_cmp(const void *key, const void *elem)
{
	const struct cie *k = key, *e = elem;

	if (k->sec != e->sec)
		return k->sec < e->sec ? -1 : 1;
	if (k->off != e->off)
		return k->off < e->off ? -1 : 1;
	return 0;
}

/* Pass 1: every CIE of a section, in offset order (so the array stays sorted by (sec, off)). A CIE
 * that does not parse is not kept; its FDEs are then counted as bad. */
static int collect_cies(struct builder *b, int sec)
{
	const struct frame_sec *s = &b->secs[sec];
	struct entry e;
	size_t off = 0;
	int ret, err;

	while ((ret = next_entry(s, &off, &e)) > 0) {
		if (!e.is_cie)
			continue;
		err = grow((void **)&b->cies, &b->cap_cies, b->nr_cies + 1, sizeof(*b->cies));
		if (err)
			return err;
		if (parse_cie(b, sec, &e, &b->cies[b->nr_cies]) == 0) {
			b->nr_cies++;
			b->stats->cies++;
		}
	}
	return 0; /* a malformed entry ends the section; what came before is kept */
}

/* Pass 2: every FDE with a parsable header and a usable address range. */
static int collect_fdes(struct builder *b, int sec)
{
	const struct frame_sec *s = &b->secs[sec];
	struct unwind_table_stats *st = b->stats;
	struct entry e;
	size_t off = 0;
	int ret, err;

	while ((ret = next_entry(s, &off, &e)) > 0) {
		struct cie key = { .sec = (uint8_t)sec };
		struct cursor c;
		struct cie *cie;
		uint64_t begin, range, end;
		struct fde_ref *f;

		if (e.is_cie)
			continue;
		if (s->is_eh)
			st->fdes_eh_frame++;
		else
			st->fdes_debug_frame++;
		/* .eh_frame: pointer relative to its own field; .debug_frame: section offset */
		if (s->is_eh) {
			uint64_t pos = (uint64_t)(e.id_pos - s->data);

			if (e.id > pos) {
				st->fdes_bad++;
				continue;
			}
			key.off = pos - e.id;
		} else {
			key.off = e.id;
		}
		cie = b->nr_cies ? bsearch(&key, b->cies, b->nr_cies, sizeof(*b->cies), cie_cmp)
				 : NULL;
		if (!cie) {
			st->fdes_bad++;
			continue;
		}
		c.p = e.id_pos + e.id_len;
		c.end = e.end;
		c.bad = false;
		if (read_encoded(&c, cie->fde_enc, b, s, &begin) ||
		    read_encoded_size(&c, cie->fde_enc, &range)) {
			st->fdes_bad++;
			continue;
		}
		if (cie->has_z) {
			uint64_t alen = cur_uleb(&c);

			if (!cur_need(&c, alen)) {
				st->fdes_bad++;
				continue;
			}
			c.p += alen;
		}
		if (!range) {
			st->fdes_empty++;
			continue;
		}
		/* rows hold 32-bit offsets from base */
		if (begin < b->base || __builtin_add_overflow(begin, range, &end) ||
		    end - b->base > UINT32_MAX) {
			st->fdes_bad++;
			continue;
		}
		err = grow((void **)&b->fdes, &b->cap_fdes, b->nr_fdes + 1, sizeof(*b->fdes));
		if (err)
			return err;
		f = &b->fdes[b->nr_fdes];
		f->begin = begin;
		f->end = end;
		f->insns = c.p;
		f->insns_end = e.end;
		f->cie = (uint32_t)(cie - b->cies);
		f->seq = (uint32_t)b->nr_fdes;
		f->sec = (uint8_t)sec;
		b->nr_fdes++;
	}
	return 0;
}

static int fde_cmp(const void *pa, const void *pb)
{
	const struct fde_ref *a = pa, *b = pb;

	if (a->begin != b->begin)
		return a->begin < b->begin ? -1 : 1;
	if (a->sec != b->sec) /* .eh_frame first: the later one wins at the same address */
		return a->sec > b->sec ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* Linkers mostly emit FDEs in address order: skip the sort when they are. */
static void sort_fdes(struct fde_ref *f, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (fde_cmp(&f[i - 1], &f[i]) > 0) {
			qsort(f, n, sizeof(*f), fde_cmp);
			return;
		}
	}
}

/* Does any of the sorted, mostly disjoint FDEs eh[0..n) overlap [begin, end)? */
static bool covered(const struct fde_ref *eh, size_t n, uint64_t begin, uint64_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* first with eh.begin >= begin */
		size_t mid = lo + (hi - lo) / 2;

		if (eh[mid].begin < begin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && eh[lo].begin < end) || (lo > 0 && eh[lo - 1].end > begin);
}

/* .debug_frame fills holes only: drop its FDEs whose range .eh_frame already describes. */
static void drop_duplicates(struct builder *b, size_t n_eh)
{
	size_t out = n_eh;

	sort_fdes(b->fdes, n_eh);
	for (size_t i = n_eh; i < b->nr_fdes; i++) {
		if (covered(b->fdes, n_eh, b->fdes[i].begin, b->fdes[i].end))
			b->stats->fdes_duplicate++;
		else
			b->fdes[out++] = b->fdes[i];
	}
	b->nr_fdes = out;
}

static int run_fde(struct builder *b, const struct fde_ref *f, uint64_t *prev_end)
{
	const struct cie *cie = &b->cies[f->cie];
	struct interp in = {
		.b = b,
		.cie = cie,
		.fde = f,
		.sec = &b->secs[f->sec],
		.st = cie->init,
		.loc = f->begin,
	};
	int err = 0;

	if (f->begin < *prev_end) /* prev_end: the furthest end so far */
		b->stats->fdes_overlap++;
	b->stats->fdes_used++;
	if (cie->bad_init)
		err = -EINVAL;
	else
		err = interp_run(&in, f->insns, f->insns_end);
	if (err == -ENOMEM || err == -E2BIG)
		return err;
	if (in.loc < f->end) {
		/* the rest of the range: the final state, or unsupported after bad CFI */
		struct unwind_row r =
			err ? row_unsupported(UNWIND_UNSUP_BAD_CFI) : encode_row(cie, &in.st);

		err = emit(b, in.loc, r, false);
		if (err)
			return err;
	}
	if (f->end > *prev_end)
		*prev_end = f->end;
	return emit(b, f->end, row_make(UNWIND_CFA_NONE, 0, UNWIND_RBP_UNCHANGED, 0), true);
}

static int build_rows(struct builder *b)
{
	uint64_t prev_end = 0;
	size_t n_eh = 0;
	int err;

	for (int i = 0; i < b->nsecs; i++) {
		err = collect_cies(b, i);
		if (err)
			return err;
	}
	for (int i = 0; i < b->nsecs; i++) {
		err = collect_fdes(b, i);
		if (err)
			return err;
		if (i == 0)
			n_eh = b->nr_fdes;
	}
	if (!b->nr_fdes)
		return 0;
	if (b->secs[0].is_eh && b->nr_fdes > n_eh)
		drop_duplicates(b, n_eh);
	sort_fdes(b->fdes, b->nr_fdes);
	for (size_t i = 0; i < b->nr_fdes; i++) {
		err = run_fde(b, &b->fdes[i], &prev_end);
		if (err)
			return err;
	}
	return 0;
}

/* Run the builder over b->secs into t (rows, stats). Frees the builder's arrays. */
static int builder_run(struct builder *b, struct unwind_table *t)
{
	int err;

	b->stats = &t->stats;
	t->base = b->base;
	err = build_rows(b);
	if (err)
		goto cleanup;
	/* shrink to fit: tables live long, the builder over-allocates */
	if (b->nr_rows && b->nr_rows < b->cap_rows) {
		struct unwind_row *r = reallocarray(b->rows, b->nr_rows, sizeof(*r));

		if (r)
			b->rows = r;
	}
	t->rows = b->rows;
	t->nr = b->nr_rows;
	b->rows = NULL;
	t->stats.rows = t->nr;
	for (size_t i = 0; i < t->nr; i++)
		t->stats.gap_rows += unwind_row_cfa_kind(&t->rows[i]) == UNWIND_CFA_NONE;
cleanup:
	free(b->cies);
	free(b->fdes);
	free(b->rows);
	b->cies = NULL;
	b->fdes = NULL;
	b->rows = NULL;
	return err;
}

static size_t opts_max_rows(const struct unwind_table_opts *opts)
{
	if (opts && opts->sz >= sizeof(*opts) && opts->max_bytes)
		return opts->max_bytes / sizeof(struct unwind_row);
	return 0;
}

struct unwind_table *unwind_table__build_cfi(const void *eh_frame, size_t eh_len, uint64_t eh_vaddr,
					     const void *debug_frame, size_t debug_len,
					     uint64_t base, const struct unwind_table_opts *opts)
{
	struct unwind_table *t = calloc(1, sizeof(*t));
	struct builder b;
	int err;

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.base = base;
	b.max_rows = opts_max_rows(opts);
	if (eh_frame && eh_len)
		b.secs[b.nsecs++] = (struct frame_sec){ eh_frame, eh_len, eh_vaddr, true };
	if (debug_frame && debug_len)
		b.secs[b.nsecs++] = (struct frame_sec){ debug_frame, debug_len, 0, false };
	err = builder_run(&b, t);
	if (err) {
		unwind_table__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

/* ---- ELF ---- */

/* Without section headers: .eh_frame_hdr (PT_GNU_EH_FRAME) points at .eh_frame, which runs to its
 * zero terminator inside the same PT_LOAD. */
static void find_eh_frame_from_hdr(Elf *elf, struct builder *b, const GElf_Phdr *hdr,
				   const GElf_Phdr *loads, size_t nloads)
{
	struct frame_sec hs;
	struct cursor c;
	uint64_t eh;
	Elf_Data *d;

	if (hdr->p_filesz > MAX_NOTE_BYTES) /* a header and a sorted table: small */
		return;
	d = elf_getdata_rawchunk(elf, (int64_t)hdr->p_offset, hdr->p_filesz, ELF_T_BYTE);
	if (!d || d->d_size < 4 || ((const uint8_t *)d->d_buf)[0] != 1)
		return;
	hs.data = d->d_buf;
	hs.size = d->d_size;
	hs.vaddr = hdr->p_vaddr;
	hs.is_eh = true;
	c.p = hs.data + 4;
	c.end = hs.data + hs.size;
	c.bad = false;
	if (read_encoded(&c, hs.data[1], b, &hs, &eh))
		return;
	for (size_t i = 0; i < nloads; i++) {
		const GElf_Phdr *l = &loads[i];

		if (eh < l->p_vaddr || eh - l->p_vaddr >= l->p_filesz)
			continue;
		/* the rest of the segment, bounded: .eh_frame ends at its terminator well before */
		d = elf_getdata_rawchunk(elf, (int64_t)(l->p_offset + (eh - l->p_vaddr)),
					 l->p_filesz - (eh - l->p_vaddr) > MAX_CFI_BYTES
						 ? MAX_CFI_BYTES
						 : l->p_filesz - (eh - l->p_vaddr),
					 ELF_T_BYTE);
		if (!d || !d->d_buf)
			return;
		b->secs[0].data = d->d_buf;
		b->secs[0].size = d->d_size;
		b->secs[0].vaddr = eh;
		b->secs[0].is_eh = true;
		b->nsecs = 1;
		return;
	}
}

/* A CFI section's bytes, read with pread (never mmap: the owner of the file may truncate it under
 * us). NULL for an empty, absent or unreadable section (its CFI is skipped, as before reading),
 * with *ret_err = -E2BIG when it is over MAX_CFI_BYTES, compressed or not. */
static Elf_Data *section_bytes(Elf_Scn *scn, const GElf_Shdr *sh, int *ret_err)
{
	GElf_Chdr ch = { 0 };
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS || !sh->sh_size)
		return NULL;
	if (sh->sh_size > MAX_CFI_BYTES) {
		*ret_err = -E2BIG;
		return NULL;
	}
	if (sh->sh_flags & SHF_COMPRESSED) {
		/* the decompressed size is the file's claim: bound it before inflating */
		if (!gelf_getchdr(scn, &ch))
			return NULL;
		if (ch.ch_size > MAX_CFI_BYTES) {
			*ret_err = -E2BIG;
			return NULL;
		}
		if (elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
	d = elf_getdata(scn, NULL);
	return d && d->d_buf && d->d_size ? d : NULL;
}

static int build_elf(Elf *elf, const struct unwind_table_opts *opts, struct unwind_table **ret)
{
	struct unwind_table *t = NULL;
	struct builder b;
	GElf_Ehdr eh;
	GElf_Phdr *loads = NULL, ehdr_ph = { 0 };
	size_t nph = 0, nloads = 0, shstrndx;
	uint64_t got = 0, got_plt = 0;
	Elf_Data *eh_data = NULL, *dbg_data = NULL;
	uint64_t eh_addr = 0, dbg_addr = 0;
	bool has_base = false, has_hdr = false;
	Elf_Scn *scn = NULL;
	int err = 0;

	memset(&b, 0, sizeof(b));
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return -ENOTSUP;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	b.max_rows = opts_max_rows(opts);

	if (elf_getphdrnum(elf, &nph))
		nph = 0;
	if (nph) {
		loads = calloc(nph, sizeof(*loads));
		if (!loads) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD) {
			if (!has_base || ph.p_vaddr < b.base)
				b.base = ph.p_vaddr;
			has_base = true;
			loads[nloads++] = ph;
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			ehdr_ph = ph;
			has_hdr = true;
		}
	}

	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name)
				continue;
			if (!strcmp(name, ".eh_frame") && !eh_data) {
				eh_data = section_bytes(scn, &sh, &err);
				eh_addr = sh.sh_addr;
			} else if (!strcmp(name, ".debug_frame") && !dbg_data &&
				   !(opts && opts->sz >= sizeof(*opts) && opts->skip_debug_frame)) {
				dbg_data = section_bytes(scn, &sh, &err);
				dbg_addr = sh.sh_addr;
			} else if (!strcmp(name, ".got.plt")) {
				got_plt = sh.sh_addr;
			} else if (!strcmp(name, ".got")) {
				got = sh.sh_addr;
			} else if (!strcmp(name, ".text")) {
				b.text_base = sh.sh_addr;
			}
		}
	}
	if (err) /* a CFI section over MAX_CFI_BYTES */
		goto cleanup;
	b.data_base = got_plt ? got_plt : got;
	if (eh_data) {
		b.secs[b.nsecs++] =
			(struct frame_sec){ eh_data->d_buf, eh_data->d_size, eh_addr, true };
	} else if (has_hdr) {
		find_eh_frame_from_hdr(elf, &b, &ehdr_ph, loads, nloads);
	}
	if (dbg_data)
		b.secs[b.nsecs++] =
			(struct frame_sec){ dbg_data->d_buf, dbg_data->d_size, dbg_addr, false };

	t->build_id_len = elf_read_build_id(elf, t->build_id);
	err = builder_run(&b, t);
	if (err)
		goto cleanup;
	*ret = t;
	t = NULL;
cleanup:
	free(loads);
	unwind_table__free(t);
	return err;
}

static void *build_cb(Elf *elf, void *opts)
{
	struct unwind_table *t = NULL;
	int err = build_elf(elf, opts, &t);

	if (err) {
		errno = -err;
		return NULL;
	}
	return t;
}

/* Size and modification time: a file that changes while it is read gives no table. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

struct unwind_table *unwind_table__build_fd(int fd, const struct unwind_table_opts *opts)
{
	struct unwind_table *t;
	struct stat before, after;

	if (fstat(fd, &before))
		return NULL;
	/* pread into libelf's own buffers: a mapping of a file another user can truncate would
	 * SIGBUS flamed on the first access past the new end */
	t = elf_with_fd(fd, build_cb, (void *)opts);
	if (t && (fstat(fd, &after) || !same_file(&before, &after))) {
		unwind_table__free(t);
		errno = EIO;
		return NULL;
	}
	if (!t && errno != ENOMEM && errno != E2BIG && errno != ENOTSUP && !fstat(fd, &after) &&
	    !same_file(&before, &after))
		errno = EIO; /* truncated mid-read: say so rather than "not ELF" */
	return t;
}

struct unwind_table *unwind_table__build_mem(const void *buf, size_t len,
					     const struct unwind_table_opts *opts)
{
	/* libelf treats a memory image as writable (elf_compress rewrites section headers in place
	 * when .debug_frame is compressed): elf_with_mem gives it a private copy */
	return elf_with_mem(buf, len, build_cb, (void *)opts);
}

struct unwind_table *unwind_table__build_path(const char *path,
					      const struct unwind_table_opts *opts)
{
	struct unwind_table *t;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	t = unwind_table__build_fd(fd, opts);
	saved = errno;
	close(fd);
	errno = saved;
	return t;
}

long unwind_table__find(const struct unwind_table *t, uint64_t vaddr)
{
	size_t lo = 0, hi;
	uint64_t rel;

	if (!t || !t->nr || vaddr < t->base || vaddr - t->base > UINT32_MAX)
		return -ENOENT;
	rel = vaddr - t->base;
	hi = t->nr;
	while (lo < hi) { /* first row with pc > rel */
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (long)(lo - 1) : -ENOENT;
}

int unwind_table__lookup(const struct unwind_table *t, uint64_t vaddr, struct unwind_row *ret_row)
{
	long i = unwind_table__find(t, vaddr);

	if (i < 0 || unwind_row_cfa_kind(&t->rows[i]) == UNWIND_CFA_NONE)
		return -ENOENT;
	if (ret_row)
		*ret_row = t->rows[i];
	return 0;
}

const struct unwind_row *unwind_table__rows(const struct unwind_table *t)
{
	return t->rows;
}

size_t unwind_table__nr(const struct unwind_table *t)
{
	return t->nr;
}

uint64_t unwind_table__base(const struct unwind_table *t)
{
	return t->base;
}

const uint8_t *unwind_table__build_id(const struct unwind_table *t, size_t *ret_len)
{
	if (ret_len)
		*ret_len = t->build_id_len;
	return t->build_id_len ? t->build_id : NULL;
}

uint64_t unwind_table__hash(const struct unwind_table *t)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->base ^ ((uint64_t)t->nr << 32), w;

	/* FNV-1a over whole rows (8 bytes each), not bytes: 8x fewer steps on 1M-row tables */
	for (size_t i = 0; i < t->nr; i++) {
		memcpy(&w, &t->rows[i], sizeof(w));
		h = (h ^ w) * 0x100000001b3ULL;
	}
	/* splitmix64 finaliser: FNV's low bits mix poorly on word input */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

size_t unwind_table__mem_bytes(const struct unwind_table *t)
{
	return t ? sizeof(*t) + t->nr * sizeof(*t->rows) : 0;
}

const struct unwind_table_stats *unwind_table__stats(const struct unwind_table *t)
{
	return &t->stats;
}

const char *unwind_unsupported_str(unsigned int reason)
{
	static const char *const names[UNWIND_UNSUP__MAX] = {
		[UNWIND_UNSUP_CFA_REG] = "cfa-register", [UNWIND_UNSUP_CFA_EXPR] = "cfa-expression",
		[UNWIND_UNSUP_RA_RULE] = "ra-rule",	 [UNWIND_UNSUP_RA_COLUMN] = "ra-column",
		[UNWIND_UNSUP_SIGNAL] = "signal-frame",	 [UNWIND_UNSUP_OFFSET] = "offset-range",
		[UNWIND_UNSUP_BAD_CFI] = "bad-cfi",
	};

	return reason < UNWIND_UNSUP__MAX && names[reason] ? names[reason] : "unknown";
}

const char *unwind_cfa_kind_str(unsigned int kind)
{
	static const char *const names[] = {
		[UNWIND_CFA_NONE] = "none",
		[UNWIND_CFA_RSP] = "rsp",
		[UNWIND_CFA_RBP] = "rbp",
		[UNWIND_CFA_PLT] = "plt",
		[UNWIND_CFA_DEREF_RBP] = "deref-rbp",
		[UNWIND_CFA_END] = "end",
		[UNWIND_CFA_UNSUPPORTED] = "unsupported",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

void unwind_table__free(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}
