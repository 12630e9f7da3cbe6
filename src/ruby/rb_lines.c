// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ruby/rb_lines.h"

/* iseq.c's succ_index_table: uint64_t imm_part[IMM / 9] (nine 7-bit ranks a word), then blocks
 * of { unsigned int rank; uint64_t small_block_ranks; uint64_t bits[8]; } (80 bytes) for the
 * positions from IMM on, 512 a block. */
#define IMM	       54
#define BLOCK_BYTES    80
#define BLOCK_BITS_OFF 16

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t imm_words(uint32_t iseq_size)
{
	return (iseq_size < IMM ? iseq_size + 8 : IMM) / 9;
}

static uint32_t succ_blocks(uint32_t iseq_size)
{
	return (iseq_size < IMM ? 0 : iseq_size - IMM + 511) / 512;
}

size_t rb_lines__table_bytes(uint32_t iseq_size)
{
	if (!iseq_size || iseq_size > RB_LINES_MAX_ISEQ)
		return 0;
	/* the immediate part is IMM / 9 words whenever there are blocks after it */
	return (size_t)imm_words(iseq_size) * 8 + (size_t)succ_blocks(iseq_size) * BLOCK_BYTES;
}

/* Record position x as the next entry's start; false when there are more than nr. */
static bool push(struct rb_lines *l, uint32_t nr, uint32_t x)
{
	if (l->nr >= nr)
		return false;
	l->pos[l->nr++] = x;
	return true;
}

/* The positions where entries start, as iseq.c's succ_index_table_invert finds them. */
static int invert(const uint8_t *table, uint32_t iseq_size, uint32_t nr, struct rb_lines *l)
{
	uint32_t imm = imm_words(iseq_size), blocks = succ_blocks(iseq_size);
	int r = -1;

	for (uint32_t j = 0; j < imm; j++) {
		uint64_t w = le64(table + (size_t)j * 8);

		for (uint32_t i = 0; i < 9; i++) {
			int rank = (int)(w >> (7 * i)) & 0x7f;

			if (rank != r && j * 9 + i < iseq_size && !push(l, nr, j * 9 + i))
				return -EINVAL;
			r = rank;
		}
	}
	for (uint32_t k = 0; k < blocks; k++) {
		const uint8_t *b =
			table + (size_t)imm * 8 + (size_t)k * BLOCK_BYTES + BLOCK_BITS_OFF;

		for (uint32_t j = 0; j < 8; j++) {
			uint64_t bits = le64(b + (size_t)j * 8);

			while (bits) {
				uint32_t x =
					IMM + k * 512 + j * 64 + (uint32_t)__builtin_ctzll(bits);

				bits &= bits - 1;
				if (x >= iseq_size || !push(l, nr, x))
					return -EINVAL;
			}
		}
	}
	return l->nr == nr ? 0 : -EINVAL;
}

int rb_lines__decode(const uint8_t *table, size_t table_len, uint32_t iseq_size,
		     const uint8_t *info, size_t info_len, uint32_t nr, uint32_t entry_size,
		     uint32_t line_off, struct rb_lines *ret)
{
	struct rb_lines l = { 0 };
	int err;

	memset(ret, 0, sizeof(*ret));
	if (!nr || nr > RB_LINES_MAX_ENTRIES || !iseq_size || iseq_size > RB_LINES_MAX_ISEQ ||
	    nr > iseq_size || entry_size < 4 || line_off > entry_size - 4 ||
	    info_len / entry_size < nr)
		return -EINVAL;
	if (nr > 1 && table_len < rb_lines__table_bytes(iseq_size))
		return -EINVAL;
	l.pos = malloc(sizeof(*l.pos) * nr);
	l.line = malloc(sizeof(*l.line) * nr);
	if (!l.pos || !l.line) {
		rb_lines__free(&l);
		return -ENOMEM;
	}
	if (nr == 1) {
		l.pos[0] = 0; /* iseq.c reads the one entry without the table */
		l.nr = 1;
	} else if ((err = invert(table, iseq_size, nr, &l))) {
		rb_lines__free(&l);
		return err;
	}
	for (uint32_t i = 0; i < nr; i++)
		memcpy(&l.line[i], info + (size_t)i * entry_size + line_off, sizeof(int32_t));
	*ret = l;
	return 0;
}

int32_t rb_lines__line(const struct rb_lines *l, uint32_t pos)
{
	uint32_t lo = 0, hi = l->nr;

	/* the number of entries starting at or before pos, as succ_index_lookup counts them */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->pos[mid] <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? l->line[lo - 1] : 0;
}

size_t rb_lines__bytes(const struct rb_lines *l)
{
	return (size_t)l->nr * (sizeof(*l->pos) + sizeof(*l->line));
}

void rb_lines__free(struct rb_lines *l)
{
	if (!l)
		return;
	free(l->pos);
	free(l->line);
	memset(l, 0, sizeof(*l));
}
