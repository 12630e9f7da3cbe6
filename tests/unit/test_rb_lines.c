// SPDX-License-Identifier: MIT
/* Ruby line tables against CRuby itself: tests/data/ruby/lines.txt holds iseqs' succinct tables
 * and insns_info lines as a Ruby process holds them, and the line CRuby's disassembler gives each
 * instruction (gen_lines.rb). Also: hand-made tables, and inputs that do not agree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ruby/rb_lines.h"

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* The info entries of nr lines, as CRuby lays them out: 12 bytes each, the line first. */
static uint8_t *info_of(const int32_t *lines, uint32_t nr)
{
	uint8_t *info = calloc(nr ? nr : 1, 12);

	assert_non_null(info);
	for (uint32_t i = 0; i < nr; i++)
		memcpy(info + i * 12, &lines[i], 4);
	return info;
}

static void test_against_cruby(void **state)
{
	FILE *f = fopen(FLAMED_TEST_SRC_DIR "/data/ruby/lines.txt", "r");
	char *line = NULL, name[128];
	size_t cap = 0, iseqs = 0, checked = 0, mismatches = 0, blocks_seen = 0;
	uint32_t size = 0, nr = 0;
	uint8_t *table = NULL;
	size_t table_len = 0;
	int32_t *lines = NULL;

	(void)state;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "iseq ", 5)) {
			assert_int_equal(sscanf(line, "iseq %127s %u %u", name, &size, &nr), 3);
		} else if (!strncmp(line, "table ", 6)) {
			table_len = (strlen(line) - 7) / 2;
			free(table);
			table = malloc(table_len + 1);
			assert_non_null(table);
			for (size_t i = 0; i < table_len; i++)
				table[i] = (uint8_t)(hexval(line[6 + 2 * i]) << 4 |
						     hexval(line[7 + 2 * i]));
			assert_int_equal(table_len, nr > 1 ? rb_lines__table_bytes(size) : 0);
		} else if (!strncmp(line, "lines ", 6)) {
			char *p = line + 6;

			free(lines);
			lines = calloc(nr, sizeof(*lines));
			assert_non_null(lines);
			for (uint32_t i = 0; i < nr; i++)
				lines[i] = (int32_t)strtol(p, &p, 10);
		} else if (!strncmp(line, "expect ", 7)) {
			uint8_t *info = info_of(lines, nr);
			long pos[8192], want[8192];
			size_t n = 0;
			struct rb_lines l;
			char *p = line + 7, *end;

			while (n < 8192) {
				pos[n] = strtol(p, &end, 10);
				if (end == p)
					break;
				want[n] = strtol(end, &p, 10);
				n++;
			}
			assert_true(n > 0 && n < 8192);
			assert_int_equal(rb_lines__decode(table, table_len, size, info, nr * 12, nr,
							  12, 0, &l),
					 0);
			blocks_seen += size > 54 + 512;
			for (size_t i = 0; i < n; i++) {
				long next = i + 1 < n ? pos[i + 1] : (long)size;

				/* the instruction's words, its operands too (pc - 1 lands there) */
				for (long x = pos[i]; x < next; x++) {
					if (rb_lines__line(&l, (uint32_t)x) != want[i]) {
						print_error("%s pos %ld: line %d, CRuby says %ld\n",
							    name, x,
							    rb_lines__line(&l, (uint32_t)x),
							    want[i]);
						mismatches++;
					}
					checked++;
				}
			}
			rb_lines__free(&l);
			/* a table cut short, or missing entries: refused, never read past */
			if (nr > 1)
				assert_int_equal(rb_lines__decode(table, table_len - 1, size, info,
								  nr * 12, nr, 12, 0, &l),
						 -EINVAL);
			assert_int_equal(rb_lines__decode(table, table_len, size, info, nr * 12 - 1,
							  nr, 12, 0, &l),
					 -EINVAL);
			free(info);
			iseqs++;
		}
	}
	free(line);
	free(table);
	free(lines);
	fclose(f);
	printf("%zu iseqs, %zu instruction words checked, %zu mismatches\n", iseqs, checked,
	       mismatches);
	assert_int_equal(mismatches, 0);
	assert_true(iseqs >= 5);
	assert_true(blocks_seen > 0); /* an iseq past the immediate part and one block */
}

/* A table made by hand: entries at 0, 5 (immediate part) and 60, 600 (blocks 0 and 1). */
static void test_by_hand(void **state)
{
	const uint32_t size = 54 + 2 * 512;
	const int32_t want_lines[4] = { 10, 11, 12, 13 };
	uint8_t *table = calloc(1, rb_lines__table_bytes(size)), *info = info_of(want_lines, 4);
	uint64_t imm = 0, bits;
	struct rb_lines l;

	(void)state;
	assert_non_null(table);
	assert_int_equal(rb_lines__table_bytes(size), 48 + 2 * 80);
	for (int x = 0; x < 54; x++) {
		uint64_t rank = 1 + (x >= 5);

		imm |= rank << (7 * (x % 9));
		if (x % 9 == 8) {
			memcpy(table + (x / 9) * 8, &imm, 8);
			imm = 0;
		}
	}
	bits = 1ULL << (60 - 54);
	memcpy(table + 48 + 16, &bits, 8); /* block 0, word 0 */
	bits = 1ULL << ((600 - 54 - 512) % 64);
	memcpy(table + 48 + 80 + 16 + ((600 - 54 - 512) / 64) * 8, &bits, 8);
	assert_int_equal(
		rb_lines__decode(table, rb_lines__table_bytes(size), size, info, 48, 4, 12, 0, &l),
		0);
	assert_int_equal(l.nr, 4);
	assert_int_equal(rb_lines__line(&l, 0), 10);
	assert_int_equal(rb_lines__line(&l, 4), 10);
	assert_int_equal(rb_lines__line(&l, 5), 11);
	assert_int_equal(rb_lines__line(&l, 59), 11);
	assert_int_equal(rb_lines__line(&l, 60), 12);
	assert_int_equal(rb_lines__line(&l, 599), 12);
	assert_int_equal(rb_lines__line(&l, 600), 13);
	assert_int_equal(rb_lines__line(&l, size - 1), 13);
	assert_true(rb_lines__bytes(&l) > 0);
	rb_lines__free(&l);
	/* more positions than entries, or fewer: the parts do not agree */
	assert_int_equal(
		rb_lines__decode(table, rb_lines__table_bytes(size), size, info, 48, 3, 12, 0, &l),
		-EINVAL);
	assert_int_equal(
		rb_lines__decode(table, rb_lines__table_bytes(size), size, info, 60, 5, 12, 0, &l),
		-EINVAL);
	/* one entry: no table needed */
	assert_int_equal(rb_lines__decode(NULL, 0, size, info, 12, 1, 12, 0, &l), 0);
	assert_int_equal(rb_lines__line(&l, 700), 10);
	rb_lines__free(&l);
	/* out of bounds: sizes, entry layout */
	assert_int_equal(rb_lines__decode(table, 0, 0, info, 48, 4, 12, 0, &l), -EINVAL);
	assert_int_equal(rb_lines__decode(table, 0, RB_LINES_MAX_ISEQ + 1, info, 48, 4, 12, 0, &l),
			 -EINVAL);
	assert_int_equal(rb_lines__decode(table, 0, size, info, 48, 4, 12, 9, &l), -EINVAL);
	assert_int_equal(rb_lines__decode(table, 0, size, info, 48, 4, 2, 0, &l), -EINVAL);
	assert_int_equal(rb_lines__table_bytes(0), 0);
	rb_lines__free(NULL);
	free(table);
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_cruby),
		cmocka_unit_test(test_by_hand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
