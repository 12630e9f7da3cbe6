// SPDX-License-Identifier: MIT
/* pprof decoder on raw bytes; whatever it accepts must encode again, decode to the same totals,
 * and walk and fold without trouble. Gzip or zstd input also goes through output_decompress(), the
 * path every file read takes. */
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "output/output.h"
#include "profile/profile.h"

/* Decompressed inputs stay small so the fuzzer spends its time on parsing, not inflating. */
#define FUZZ_MAX_DECOMPRESSED (1 << 20)

static int count_frames(const struct profile_frame *frames, size_t nr_frames, int64_t value,
			const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	size_t *n = ctx;

	(void)value;
	for (size_t i = 0; i < nr_frames; i++)
		*n += frames[i].name[0] != '\0';
	for (size_t i = 0; i < nr_labels; i++)
		*n += labels[i].key[0] != '\0';
	return 0;
}

static void decode_and_check(const uint8_t *data, size_t size)
{
	struct profile *p = NULL, *again = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	FILE *devnull;

	/* bounded as `flamed report` bounds it, at a scale where fuzz inputs reach the limit */
	if (profile__decode_pprof_limit(data, size, 64 * size + 4096, &p))
		return;
	if (profile__encode_pprof(p, &buf, &len) || profile__decode_pprof(buf, len, &again))
		abort(); /* what was accepted must survive a round trip */
	for (size_t i = 0; profile__sample_type(p, i).type; i++) {
		if (profile__total(again, i) != profile__total(p, i))
			abort();
		if (profile__for_each_stack(p, i, true, count_frames, &n))
			abort();
	}
	if (profile__nr_samples(again) != profile__nr_samples(p))
		abort();
	/* the OTLP encoder takes whatever the model holds (labels of any name and kind) */
	free(buf);
	buf = NULL;
	if (profile__encode_otlp(p, NULL, &buf, &len) == -EINVAL)
		abort();
	devnull = fopen("/dev/null", "w");
	if (devnull) {
		/* every encoder a decoded file can reach through `flamed report` */
		(void)profile__write_folded(p, 0, devnull);
		(void)profile__write_svg(p, 0, "fuzz", devnull);
		(void)profile__write_top(p, 0, 20, devnull);
		/* report --diff: the profile against its round-tripped self */
		(void)profile__write_folded_diff(again, 0, p, 0, devnull);
		(void)profile__write_svg_diff(again, 0, p, 0, "fuzz", devnull);
		fclose(devnull);
	}
	free(buf);
	profile__free(again);
	profile__free(p);
}

static bool is_compressed(const uint8_t *data, size_t size)
{
	return (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	       (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f &&
		data[3] == 0xfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;

	decode_and_check(data, size);
	if (is_compressed(data, size) &&
	    !output_decompress(data, size, FUZZ_MAX_DECOMPRESSED, &raw, &raw_len)) {
		if (raw_len > FUZZ_MAX_DECOMPRESSED)
			abort();
		decode_and_check(raw, raw_len);
		free(raw);
	}
	return 0;
}
