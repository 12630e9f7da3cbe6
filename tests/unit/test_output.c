// SPDX-License-Identifier: MIT
/* Profile files: format by name, writability checks, gzip/zstd/raw round trips, decompression
 * limits and corrupt input, atomic replacement, file modes and owners, refusals (symbolic links,
 * other users' files, pre-created temp names) and a full disk. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_files.h"
#include <zstd.h>

#include "output/output.h"
#include "profile/profile.h"

static void test_format_from_path(void **state)
{
	static const struct {
		const char *path;
		int err;
		enum output_format fmt;
	} cases[] = {
		{ "out.pb.gz", 0, OUTPUT_PPROF_GZ },
		{ "/var/lib/flamed/cpu.pprof", 0, OUTPUT_PPROF_GZ },
		{ "dir.d/out.pb", 0, OUTPUT_PPROF },
		{ "a.b.pb.zst", 0, OUTPUT_PPROF_ZST },
		{ "x/y/stacks.folded", 0, OUTPUT_FOLDED },
		{ "graph.svg", 0, OUTPUT_SVG },
		{ "GRAPH.SVG", 0, OUTPUT_SVG },
		{ "out.txt", -EINVAL, 0 },
		{ "out.gz", -EINVAL, 0 },
		{ "out.zst", -EINVAL, 0 },
		{ "out", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "dir/.svg", -EINVAL, 0 },
		{ "out.svg/", -EINVAL, 0 },
		{ "out.pb.gz.bak", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum output_format fmt = (enum output_format) - 1;
		int err = output_format_from_path(cases[i].path, &fmt);

		if (err != cases[i].err)
			fail_msg("'%s': got %d, want %d", cases[i].path, err, cases[i].err);
		if (!err && fmt != cases[i].fmt)
			fail_msg("'%s': format %d, want %d", cases[i].path, fmt, cases[i].fmt);
	}
	assert_int_equal(output_format_from_path(NULL, &(enum output_format){ 0 }), -EINVAL);
	assert_string_equal(output_format_name(OUTPUT_PPROF_GZ), "pprof (gzip)");
	assert_string_not_equal(output_format_name(OUTPUT_FOLDED), output_format_name(OUTPUT_SVG));
}

static char *tmp_dir(void)
{
	char *dir = strdup("/tmp/flamed-test-output.XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static char *join(const char *dir, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_check_writable(void **state)
{
	char *dir = tmp_dir(), *file = join(dir, "new.pb.gz"), *sub = join(dir, "sub");
	char *missing = join(dir, "nodir/x.pb.gz"), *slash = join(dir, "sub/");
	FILE *f;

	(void)state;
	assert_int_equal(output_check_writable(file, NULL), 0);
	assert_int_equal(dir_entries(dir), 0); /* nothing created */
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(output_check_writable(file, NULL), 0);

	assert_int_equal(output_check_writable(missing, NULL), -ENOENT);
	assert_int_equal(output_check_writable("/dev/null/x.pb.gz", NULL), -ENOTDIR);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(output_check_writable(sub, NULL), -EISDIR);
	assert_int_equal(output_check_writable(slash, NULL), -EISDIR);
	assert_int_equal(output_check_writable(dir, NULL), -EISDIR);
	/* a rename over a device node would replace it: refused */
	assert_int_equal(output_check_writable("/dev/null", NULL), -EINVAL);
	assert_int_equal(output_check_writable("", NULL), -EINVAL);
	assert_int_equal(output_check_writable(NULL, NULL), -EINVAL);

	rm_rf(dir);
	free(dir);
	free(file);
	free(sub);
	free(missing);
	free(slash);
}

/* Deterministic data that compresses somewhat, like a profile. */
static uint8_t *sample_data(size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	uint32_t x = 12345;

	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (i % 7) ? (uint8_t)('a' + (x >> 16) % 8) : (uint8_t)(x >> 24);
	}
	return d;
}

static void test_gzip_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 70000, 3 << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *in = sample_data(sizes[i]), *gz = NULL, *back = NULL;
		size_t gz_len = 0, back_len = 0;

		assert_int_equal(output_gzip(in, sizes[i], &gz, &gz_len), 0);
		/* RFC 1952 member: magic, deflate, no zlib (78 9c) wrapper */
		assert_true(gz_len >= 18);
		assert_int_equal(gz[0], 0x1f);
		assert_int_equal(gz[1], 0x8b);
		assert_int_equal(gz[2], 8);
		assert_int_equal(output_decompress(gz, gz_len, sizes[i], &back, &back_len), 0);
		assert_int_equal(back_len, sizes[i]);
		if (sizes[i])
			assert_memory_equal(back, in, sizes[i]);
		free(back);
		if (sizes[i]) {
			/* one byte over the limit is refused, however it is reached */
			assert_int_equal(
				output_decompress(gz, gz_len, sizes[i] - 1, &back, &back_len),
				-EFBIG);
			/* truncated and corrupted members are errors, never short data */
			assert_int_equal(
				output_decompress(gz, gz_len - 1, sizes[i], &back, &back_len),
				-EINVAL);
			gz[gz_len - 5] ^= 0xff; /* CRC/length trailer */
			assert_int_equal(output_decompress(gz, gz_len, sizes[i], &back, &back_len),
					 -EINVAL);
		}
		free(in);
		free(gz);
	}
}

static void test_gzip_members(void **state)
{
	uint8_t *a = NULL, *b = NULL, *both, *out = NULL;
	size_t a_len = 0, b_len = 0, out_len = 0;

	(void)state;
	assert_int_equal(output_gzip((const uint8_t *)"hello ", 6, &a, &a_len), 0);
	assert_int_equal(output_gzip((const uint8_t *)"world", 5, &b, &b_len), 0);
	both = malloc(a_len + b_len + 3);
	assert_non_null(both);
	memcpy(both, a, a_len);
	memcpy(both + a_len, b, b_len);
	assert_int_equal(output_decompress(both, a_len + b_len, 100, &out, &out_len), 0);
	assert_int_equal(out_len, 11);
	assert_memory_equal(out, "hello world", 11);
	free(out);
	/* anything after a member that is not another member is garbage */
	memcpy(both + a_len + b_len, "xyz", 3);
	assert_int_equal(output_decompress(both, a_len + b_len + 3, 100, &out, &out_len), -EINVAL);
	free(a);
	free(b);
	free(both);
}

static void test_zstd_and_raw(void **state)
{
	size_t len = 200000, cap = ZSTD_compressBound(len), z_len, out_len = 0;
	uint8_t *in = sample_data(len), *z = malloc(cap), *out = NULL;
	static const uint8_t garbage[] = { 0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0xff };

	(void)state;
	assert_non_null(z);
	z_len = ZSTD_compress(z, cap, in, len, 3);
	assert_false(ZSTD_isError(z_len));
	assert_int_equal(output_decompress(z, z_len, len, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, in, len);
	free(out);
	assert_int_equal(output_decompress(z, z_len, len - 1, &out, &out_len), -EFBIG);
	assert_int_equal(output_decompress(z, z_len - 3, len, &out, &out_len), -EINVAL);
	assert_int_equal(output_decompress(garbage, sizeof(garbage), len, &out, &out_len), -EINVAL);

	/* neither magic: copied as is, under the same limit */
	assert_int_equal(output_decompress(in + 1, 1000, 1000, &out, &out_len), 0);
	assert_int_equal(out_len, 1000);
	assert_memory_equal(out, in + 1, 1000);
	free(out);
	assert_int_equal(output_decompress(in + 1, 1000, 999, &out, &out_len), -EFBIG);
	assert_int_equal(output_decompress(NULL, 0, 10, &out, &out_len), 0);
	assert_int_equal(out_len, 0);
	free(out);
	free(in);
	free(z);
}

static struct profile *small_profile(void)
{
	struct profile_mapping m = { .filename = "/usr/bin/app" };
	struct profile *p = profile__new_cpu(99);
	struct profile_line ln = { 0, 1 };
	uint64_t stack[2];

	assert_non_null(p);
	ln.function_id = profile__intern_function(p, "leaf", NULL, NULL, 0);
	stack[0] = profile__add_location(p, profile__add_mapping(p, &m), 0x10, &ln, 1);
	ln.function_id = profile__intern_function(p, "root", NULL, NULL, 0);
	stack[1] = profile__add_location(p, 1, 0x20, &ln, 1);
	assert_int_equal(profile__add_cpu_sample(p, stack, 2, 3, NULL, 0), 0);
	assert_int_equal(profile__add_cpu_sample(p, stack + 1, 1, 2, NULL, 0), 0);
	return p;
}

static void test_write_and_read_back(void **state)
{
	static const struct {
		const char *name;
		enum output_format fmt;
		uint8_t magic[4];
		size_t magic_len;
	} files[] = {
		{ "a.pb.gz", OUTPUT_PPROF_GZ, { 0x1f, 0x8b }, 2 },
		{ "a.pb.zst", OUTPUT_PPROF_ZST, { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
		{ "a.pb", OUTPUT_PPROF, { 0x0a }, 1 }, /* field 1 (sample_type), length-delimited */
	};
	struct profile *p = small_profile();
	char *dir = tmp_dir();

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = join(dir, files[i].name);
		struct profile *back = NULL;
		uint8_t *bytes;
		size_t len;

		assert_int_equal(output_write_profile(p, path, files[i].fmt, NULL), 0);
		bytes = test_read_file(path, &len);
		assert_true(len > files[i].magic_len);
		assert_memory_equal(bytes, files[i].magic, files[i].magic_len);
		free(bytes);
		assert_int_equal(output_read_pprof(path, &back), 0);
		assert_int_equal(profile__nr_samples(back), 2);
		assert_int_equal(profile__total(back, 0), 5);
		assert_int_equal(profile__total(back, 1), profile__total(p, 1));
		profile__free(back);
		free(path);
	}
	{
		char *path = join(dir, "a.folded");
		uint8_t *bytes;
		size_t len;

		assert_int_equal(output_write_profile(p, path, OUTPUT_FOLDED, NULL), 0);
		bytes = test_read_file(path, &len);
		/* folded counts samples, not nanoseconds */
		assert_string_equal((char *)bytes, "root 2\nroot;leaf 3\n");
		free(bytes);
		free(path);
	}
	assert_int_equal(dir_entries(dir), 4); /* the four files, no temp files */
	{
		char *missing = join(dir, "nope.pb.gz"), *garbage = join(dir, "a.folded");
		struct profile *back = (struct profile *)0x1;

		assert_int_equal(output_read_pprof(missing, &back), -ENOENT);
		assert_int_equal(output_read_pprof(garbage, &back), -EINVAL);
		free(missing);
		free(garbage);
	}
	assert_int_equal(output_write_profile(p, dir, OUTPUT_PPROF_GZ, NULL), -EISDIR);
	assert_int_equal(output_write_profile(p, "/dev/null/x.pb.gz", OUTPUT_PPROF_GZ, NULL),
			 -ENOTDIR);
	rm_rf(dir);
	free(dir);
	profile__free(p);
}

static void test_write_is_atomic(void **state)
{
	struct profile_value_type none = { "", "" };
	struct profile *good = small_profile(), *bad;
	char *dir = tmp_dir(), *path = join(dir, "out.folded");
	uint8_t *bytes;
	size_t len;

	(void)state;
	/* a profile without sample types cannot be folded: the writer fails half way */
	bad = profile__new(NULL, 0, none, 0);
	assert_non_null(bad);

	assert_int_equal(output_write_profile(good, path, OUTPUT_FOLDED, NULL), 0);
	assert_int_not_equal(output_write_profile(bad, path, OUTPUT_FOLDED, NULL), 0);
	bytes = test_read_file(path, &len);
	assert_string_equal((char *)bytes, "root 2\nroot;leaf 3\n"); /* old file intact */
	free(bytes);
	assert_int_equal(dir_entries(dir), 1); /* and the temp file is gone */

	/* a failure with no previous file leaves nothing behind */
	assert_int_equal(unlink(path), 0);
	assert_int_not_equal(output_write_profile(bad, path, OUTPUT_FOLDED, NULL), 0);
	assert_int_equal(dir_entries(dir), 0);

	/* a successful write replaces the old content in one step */
	assert_int_equal(output_write_profile(good, path, OUTPUT_FOLDED, NULL), 0);
	assert_int_equal(output_write_profile(good, path, OUTPUT_PPROF, NULL), 0);
	bytes = test_read_file(path, &len);
	assert_int_equal(bytes[0], 0x0a);
	free(bytes);
	assert_int_equal(dir_entries(dir), 1);

	assert_int_equal(output_write_profile(good, path, (enum output_format)42, NULL), -EINVAL);
	assert_int_equal(output_write_profile(NULL, path, OUTPUT_PPROF, NULL), -EINVAL);
	rm_rf(dir);
	free(dir);
	free(path);
	profile__free(good);
	profile__free(bad);
}

static void test_parse_mode_owner(void **state)
{
	static const struct {
		const char *s;
		int err;
		mode_t mode;
	} modes[] = {
		{ "0600", 0, 0600 },	 { "644", 0, 0644 },	 { "0", 0, 0 },
		{ "0777", 0, 0777 },	 { "1777", -EINVAL, 0 }, { "4755", -EINVAL, 0 },
		{ "8", -EINVAL, 0 },	 { "", -EINVAL, 0 },	 { "-1", -EINVAL, 0 },
		{ "0o644", -EINVAL, 0 }, { "64 ", -EINVAL, 0 },
	};
	uid_t uid = 1;
	gid_t gid = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		mode_t m = 01234;
		int err = output_parse_mode(modes[i].s, &m);

		if (err != modes[i].err || (!err && m != modes[i].mode))
			fail_msg("'%s': got %d %o", modes[i].s, err, m);
	}
	assert_int_equal(output_parse_owner("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(output_parse_owner("nobody", &uid, &gid), 0);
	assert_int_equal(uid, 65534);
	assert_int_equal(gid, 65534); /* nobody's primary group (nogroup) */
	assert_int_equal(output_parse_owner("1234:5678", &uid, &gid), 0);
	assert_int_equal(uid, 1234);
	assert_int_equal(gid, 5678);
	assert_int_equal(output_parse_owner("nobody:root", &uid, &gid), 0);
	assert_int_equal(uid, 65534);
	assert_int_equal(gid, 0);
	assert_int_equal(output_parse_owner("no-such-user-flamed", &uid, &gid), -ENOENT);
	assert_int_equal(output_parse_owner("root:no-such-group-flamed", &uid, &gid), -ENOENT);
	assert_int_equal(output_parse_owner("", &uid, &gid), -EINVAL);
	assert_int_equal(output_parse_owner("root:", &uid, &gid), -EINVAL);
	assert_int_equal(output_parse_owner(":root", &uid, &gid), -EINVAL);
	assert_int_equal(output_parse_owner("-1", &uid, &gid), -ENOENT);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_modes(void **state)
{
	struct profile *p = small_profile();
	char *dir = tmp_dir(), *a = join(dir, "a.pb.gz"), *b = join(dir, "b.svg");
	mode_t old = umask(0);

	(void)state;
	/* by default only the owner reads a profile, whatever the umask */
	assert_int_equal(output_write_profile(p, a, OUTPUT_PPROF_GZ, NULL), 0);
	assert_int_equal(file_mode(a), 0600);
	/* an explicit mode is applied as is, even against a stricter umask */
	umask(077);
	assert_int_equal(
		output_write_profile(p, b, OUTPUT_SVG,
				     &(struct output_opts){ .has_mode = true, .mode = 0644 }),
		0);
	assert_int_equal(file_mode(b), 0644);
	/* replacing a file gives the new one the mode asked for, not the old one's */
	assert_int_equal(chmod(a, 0666), 0);
	assert_int_equal(output_write_profile(p, a, OUTPUT_PPROF_GZ, NULL), 0);
	assert_int_equal(file_mode(a), 0600);
	umask(old);
	assert_int_equal(dir_entries(dir), 2);
	rm_rf(dir);
	free(dir);
	free(a);
	free(b);
	profile__free(p);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void assert_text(const char *path, const char *text)
{
	size_t len;
	uint8_t *bytes = test_read_file(path, &len);

	assert_string_equal((char *)bytes, text);
	free(bytes);
}

static void test_refusals(void **state)
{
	struct profile *p = small_profile();
	char *dir = tmp_dir(), *target = join(dir, "target"), *link = join(dir, "link.folded");
	char *dangling = join(dir, "dangling.svg"), *theirs = join(dir, "theirs.folded");
	struct stat st;

	(void)state;
	write_text(target, "precious\n");
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(symlink("nowhere", dangling), 0);
	/* a link is neither followed nor replaced, dangling or not */
	assert_int_equal(output_check_writable(link, NULL), -ELOOP);
	assert_int_equal(output_write_profile(p, link, OUTPUT_FOLDED, NULL), -ELOOP);
	assert_int_equal(output_write_profile(p, dangling, OUTPUT_SVG, NULL), -ELOOP);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_text(target, "precious\n");
	assert_int_equal(dir_entries(dir), 3); /* nothing created where the dangling link points */
	assert_non_null(strstr(output_strerror(-ELOOP), "symbolic link"));

	if (geteuid() != 0) {
		rm_rf(dir);
		free(dir);
		free(target);
		free(link);
		free(dangling);
		free(theirs);
		profile__free(p);
		skip();
	}
	/* another user's file is left alone, unless the files are for that user */
	write_text(theirs, "theirs\n");
	assert_int_equal(chown(theirs, 65534, 65534), 0);
	assert_int_equal(output_check_writable(theirs, NULL), -EEXIST);
	assert_int_equal(output_write_profile(p, theirs, OUTPUT_FOLDED, NULL), -EEXIST);
	assert_text(theirs, "theirs\n");
	assert_non_null(strstr(output_strerror(-EEXIST), "another user"));
	assert_int_equal(output_write_profile(p, theirs, OUTPUT_FOLDED,
					      &(struct output_opts){
						      .has_owner = true, .uid = 65534, .gid = 0 }),
			 0);
	assert_text(theirs, "root 2\nroot;leaf 3\n");
	assert_int_equal(stat(theirs, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(dir), 4); /* no temp file left by any of it */
	rm_rf(dir);
	free(dir);
	free(target);
	free(link);
	free(dangling);
	free(theirs);
	profile__free(p);
}

/* Whatever waits under names a temp file could take (links to a victim, files) is neither
 * written through, nor removed, nor in the way: with O_TMPFILE and with named temp files. */
static void test_precreated_temp_names(void **state)
{
	struct profile *p = small_profile();

	(void)state;
	for (int named = 0; named <= 1; named++) {
		struct output_opts opts = { .named_temp = named };
		char *dir = tmp_dir(), *victim = join(dir, "victim"),
		     *out = join(dir, "out.folded");
		int n = 0;

		write_text(victim, "victim\n");
		/* every name the old scheme (.NAME.PID.N.tmp) would try */
		for (int i = 0; i < 200; i++) {
			char *name;

			assert_true(asprintf(&name, "%s/.out.folded.%ld.%d.tmp", dir,
					     (long)getpid(), i) > 0);
			assert_int_equal(symlink("victim", name), 0);
			free(name);
			n++;
		}
		assert_int_equal(output_write_profile(p, out, OUTPUT_FOLDED, &opts), 0);
		assert_text(out, "root 2\nroot;leaf 3\n");
		assert_text(victim, "victim\n");
		assert_int_equal(dir_entries(dir), n + 2);
		assert_int_equal(file_mode(out), 0600);
		/* replacing the file goes through a temp name too: still nothing touched */
		assert_int_equal(output_write_profile(p, out, OUTPUT_FOLDED, &opts), 0);
		assert_text(victim, "victim\n");
		assert_int_equal(dir_entries(dir), n + 2);
		/* and a failed write leaves no temp file behind either way */
		assert_int_equal(output_write_profile(p, out, (enum output_format)42, &opts),
				 -EINVAL);
		assert_int_equal(dir_entries(dir), n + 2);
		rm_rf(dir);
		free(dir);
		free(victim);
		free(out);
	}
	profile__free(p);
}

/* A profile whose folded stacks take ~200 KiB. */
static struct profile *large_profile(void)
{
	struct profile *p = profile__new_cpu(99);
	struct profile_line ln = { 0, 1 };

	assert_non_null(p);
	for (int i = 0; i < 3000; i++) {
		char name[96];
		uint64_t loc;

		snprintf(name, sizeof(name), "function_with_a_rather_long_name_number_%d_of_3000",
			 i);
		ln.function_id = profile__intern_function(p, name, NULL, NULL, 0);
		loc = profile__add_location(p, 0, 0x1000 + i, &ln, 1);
		assert_int_equal(profile__add_cpu_sample(p, &loc, 1, 1, NULL, 0), 0);
	}
	return p;
}

static void test_full_disk(void **state)
{
	struct profile *p = large_profile();
	char *dir = tmp_dir(), *out = join(dir, "out.folded"), *other = join(dir, "b.pb");
	enum output_format fmts[] = { OUTPUT_FOLDED, OUTPUT_SVG, OUTPUT_PPROF };

	(void)state;
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k")) {
		print_message("cannot mount a tmpfs (%s): skipped\n", strerror(errno));
		rm_rf(dir);
		free(dir);
		free(out);
		free(other);
		profile__free(p);
		skip();
	}
	write_text(out, "old\n");
	/* every writer reports the disk as full, not as an I/O error; the old file stays, and a
	 * new name is not created half written (unnamed or named temp files alike) */
	for (int named = 0; named <= 1; named++) {
		struct output_opts opts = { .named_temp = named };

		for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			assert_int_equal(output_write_profile(p, out, fmts[i], &opts), -ENOSPC);
			assert_text(out, "old\n");
		}
		assert_int_equal(output_write_profile(p, other, OUTPUT_PPROF, &opts), -ENOSPC);
		assert_int_equal(dir_entries(dir), 1);
	}
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	rm_rf(dir);
	free(dir);
	free(out);
	free(other);
	profile__free(p);
}

/* The protobuf unpack is bounded: empty messages cost ~100 bytes of memory for 2 on the wire. */
static void test_decode_limit(void **state)
{
	size_t n = 100000, len = 2 + 2 * n, enc_len = 0;
	uint8_t *bomb = malloc(len), *enc = NULL;
	struct profile *p = small_profile(), *back = NULL;

	(void)state;
	assert_non_null(bomb);
	bomb[0] = 0x32; /* string_table: "" */
	bomb[1] = 0x00;
	for (size_t i = 0; i < n; i++) {
		bomb[2 + 2 * i] = 0x12; /* sample: empty */
		bomb[3 + 2 * i] = 0x00;
	}
	assert_int_equal(profile__decode_pprof_limit(bomb, len, 1 << 20, &back), -EFBIG);
	/* unbounded, it unpacks (then fails validation: samples without sample types) */
	assert_int_equal(profile__decode_pprof(bomb, len, &back), -EINVAL);

	assert_int_equal(profile__encode_pprof(p, &enc, &enc_len), 0);
	assert_int_equal(profile__decode_pprof_limit(enc, enc_len, 64, &back), -EFBIG);
	assert_int_equal(profile__decode_pprof_limit(enc, enc_len, 64 * 1024, &back), 0);
	assert_int_equal(profile__total(back, 0), 5);
	profile__free(back);
	/* the file limit: proportional, with a floor */
	assert_int_equal(output_pprof_mem_limit(0), OUTPUT_PPROF_MEM_MIN);
	assert_int_equal(output_pprof_mem_limit(10ULL << 20),
			 (10ULL << 20) * OUTPUT_PPROF_MEM_RATIO);
	assert_int_equal(output_pprof_mem_limit(SIZE_MAX / 2), SIZE_MAX);
	free(bomb);
	free(enc);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_from_path),
		cmocka_unit_test(test_check_writable),
		cmocka_unit_test(test_gzip_round_trip),
		cmocka_unit_test(test_gzip_members),
		cmocka_unit_test(test_zstd_and_raw),
		cmocka_unit_test(test_write_and_read_back),
		cmocka_unit_test(test_write_is_atomic),
		cmocka_unit_test(test_parse_mode_owner),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_precreated_temp_names),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_decode_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
