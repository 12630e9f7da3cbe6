// SPDX-License-Identifier: MIT
/* Separate debug files: the places struct dwarf_search names and nowhere else (libdwfl's standard
 * find_debuginfo searches flamed's file system by the binary's path, the wrong mount namespace, and
 * may block on debuginfod). */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/proc_root.h"
#include "symbolize/debug_find.h"
#include "symbolize/debuglink.h"

const char *dwarf_source__name(enum dwarf_source src)
{
	switch (src) {
	case DWARF_EMBEDDED:
		return "embedded";
	case DWARF_BUILD_ID:
		return "build-id";
	case DWARF_DEBUGLINK:
		return "debuglink";
	case DWARF_DEBUGINFOD:
		return "debuginfod";
	default:
		return "none";
	}
}

static int open_host(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_in(const struct debug_find *df, bool in_root, const char *path)
{
	if (!in_root)
		return open_host(path);
	if (!df->tgid)
		return -1;
	return proc_root__open_file(df->tgid, path);
}

/* Section name of elf with file bytes (not SHT_NOBITS), its header in *shdr; NULL when none. */
Elf_Scn *debug_find__section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, shdr) || shdr->sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* Contents of section name of elf, or NULL. */
Elf_Data *debug_find__section_data(Elf *elf, const char *name)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = debug_find__section(elf, name, &shdr);

	return scn ? elf_getdata(scn, NULL) : NULL;
}

/* A non-empty .debug_info (or .zdebug_info) section, by name only (no data read). */
bool debug_find__has_dwarf(Elf *elf)
{
	GElf_Shdr shdr;

	return (debug_find__section(elf, ".debug_info", &shdr) && shdr.sh_size) ||
	       (debug_find__section(elf, ".zdebug_info", &shdr) && shdr.sh_size);
}

/* Bytes libelf would allocate to decompress elf's compressed debug sections (SHF_COMPRESSED, or
 * the old .zdebug_* with its "ZLIB" + big-endian size header): libdw inflates every one of them
 * when it opens the file, so this is heap, all at once (Debian's debug files and Go binaries
 * are compressed). */
uint64_t debug_find__inflated_size(Elf *elf)
{
	Elf_Scn *scn = NULL;
	uint64_t total = 0;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!n)
			continue;
		if ((shdr.sh_flags & SHF_COMPRESSED) && !strncmp(n, ".debug_", 7)) {
			/* the header from the raw bytes: gelf_getchdr makes libelf convert the
			 * whole section (a private copy of every page of it) */
			Elf_Data *raw = elf_rawdata(scn, NULL);
			Elf64_Chdr chdr;

			if (gelf_getclass(elf) == ELFCLASS64 && raw && raw->d_buf &&
			    raw->d_size >= sizeof(chdr)) {
				memcpy(&chdr, raw->d_buf, sizeof(chdr));
				total += chdr.ch_size;
			}
		} else if (!strncmp(n, ".zdebug_", 8)) {
			Elf_Data *raw = elf_rawdata(scn, NULL);
			const unsigned char *p = raw ? raw->d_buf : NULL;

			if (p && raw->d_size >= 12 && !memcmp(p, "ZLIB", 4))
				for (int i = 4; i < 12; i++)
					total = total + ((uint64_t)p[i] << (8 * (11 - i)));
		}
	}
	return total;
}

/* Remember elf's .gnu_debugaltlink in f. */
static void note_alt(struct debug_found *f, Elf *elf)
{
	Elf_Data *d = debug_find__section_data(elf, ".gnu_debugaltlink");
	const uint8_t *id;
	const char *name;
	size_t len;

	f->alt_name[0] = '\0';
	if (!d || !d->d_buf || debuglink__parse_alt(d->d_buf, d->d_size, &name, &id, &len))
		return;
	snprintf(f->alt_name, sizeof(f->alt_name), "%s", name);
	memcpy(f->alt_id, id, len);
	f->alt_id_len = len;
}

/* Does the file on fd carry build-id (id, len), with DWARF? Notes its alt link in f. */
static bool file_matches(int fd, const uint8_t *id, size_t len, struct debug_found *f)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *bits;
	bool ok = false;
	ssize_t n;

	if (!elf)
		return false;
	n = dwelf_elf_gnu_build_id(elf, &bits);
	if (n > 0 && (size_t)n == len && !memcmp(bits, id, len) && debug_find__has_dwarf(elf)) {
		ok = true;
		if (f)
			note_alt(f, elf);
	}
	elf_end(elf);
	return ok;
}

static void hex(const uint8_t *id, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Try one candidate: open, verify, remember where. The fd or -1. */
static int try_file(struct debug_find *df, bool in_root, const char *path, const uint8_t *id,
		    size_t id_len, bool check_crc, uint32_t crc, struct debug_found *f)
{
	uint32_t got;
	int fd = open_in(df, in_root, path);

	if (fd < 0)
		return -1;
	if (check_crc && (debuglink__crc32_fd(fd, &got) || got != crc))
		goto reject;
	if (id_len && !file_matches(fd, id, id_len, f))
		goto reject;
	if (f) {
		f->in_root = in_root;
		snprintf(f->path, sizeof(f->path), "%s", path);
	}
	return fd;
reject:
	close(fd);
	return -1;
}

/* .build-id/xx/rest.debug under flamed's debug dir, the host's /usr/lib/debug, then the
 * process's own /usr/lib/debug. */
int debug_find__by_build_id(struct debug_find *df, const uint8_t *id, size_t len,
			    struct debug_found *f)
{
	const char *bases[] = { df->debug_dir, df->host_debug, "/usr/lib/debug" };
	char h[2 * DEBUG_FIND_ID_MAX + 1], path[DEBUG_FIND_PATH_LEN];
	int fd;

	if (len < 2 || len > DEBUG_FIND_ID_MAX)
		return -1;
	hex(id, len, h);
	for (size_t i = 0; i < 3; i++) {
		if (!bases[i])
			continue;
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", bases[i], h, h + 2);
		fd = try_file(df, i == 2, path, id, len, false, 0, f);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* .gnu_debuglink: in the binary's own root (its dir, its dir's .debug/, /usr/lib/debug/DIR),
 * then the host's /usr/lib/debug/DIR and flamed's debug dir (DIR/NAME, then NAME). The CRC is
 * checked: a stale or foreign file of that name is not taken. */
int debug_find__by_debuglink(struct debug_find *df, Elf *main_elf, struct debug_found *f)
{
	Elf_Data *d = debug_find__section_data(main_elf, ".gnu_debuglink");
	char dir[DEBUG_FIND_PATH_LEN], path[DEBUG_FIND_PATH_LEN];
	const char *name, *slash;
	uint32_t crc;
	int fd = -1;

	if (!d || !d->d_buf || !df->path || df->path[0] != '/')
		return -1;
	if (debuglink__parse(d->d_buf, d->d_size,
			     elf_getident(main_elf, NULL)[EI_DATA] == ELFDATA2LSB, &name, &crc))
		return -1;
	slash = strrchr(df->path, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - df->path), df->path);
	struct {
		bool in_root;
		const char *base, *dir, *sub;
	} c[] = {
		{ true, "", dir, "" },
		{ true, "", dir, "/.debug" },
		{ true, "/usr/lib/debug", dir, "" },
		{ false, df->host_debug, dir, "" },
		{ false, df->debug_dir, dir, "" },
		{ false, df->debug_dir, "", "" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]) && fd < 0; i++) {
		if (!c[i].base)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s/%s", c[i].base, c[i].dir, c[i].sub,
				     name) >= sizeof(path))
			continue;
		/* the binary itself carries the link: never take it as its own debug file */
		if (c[i].in_root && !strcmp(path, df->path))
			continue;
		fd = try_file(df, c[i].in_root, path, NULL, 0, true, crc, f);
	}
	return fd;
}

/* dwz's alternate file, named by the debug file (or the binary) we gave libdwfl: by its
 * build-id, else by its path next to where that file was found. */
/* path has a ".." component: joined to a base directory, it could climb out of it. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return true;
	return false;
}

int debug_find__alt(struct debug_find *df)
{
	struct debug_found *f = &df->found;
	char path[DEBUG_FIND_PATH_LEN], dir[DEBUG_FIND_PATH_LEN];
	const char *prefix = "/usr/lib/debug/", *slash;
	int fd;

	if (!f->alt_name[0])
		return -1;
	fd = debug_find__by_build_id(df, f->alt_id, f->alt_id_len, NULL);
	if (fd >= 0)
		return fd;
	if (f->alt_name[0] == '/') {
		/* under the host's debug directories only as a path within them */
		if (!strncmp(f->alt_name, prefix, strlen(prefix)) && !has_dotdot(f->alt_name)) {
			const char *rest = f->alt_name + strlen(prefix) - 1;
			const char *bases[] = { df->debug_dir, df->host_debug };

			for (size_t i = 0; i < 2; i++) {
				if (!bases[i])
					continue;
				snprintf(path, sizeof(path), "%s%s", bases[i], rest);
				fd = try_file(df, false, path, f->alt_id, f->alt_id_len, false, 0,
					      NULL);
				if (fd >= 0)
					return fd;
			}
		}
		return try_file(df, f->in_root, f->alt_name, f->alt_id, f->alt_id_len, false, 0,
				NULL);
	}
	/* relative to the directory of the file that names it */
	slash = strrchr(f->path, '/');
	if (!slash)
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->path), f->path);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, f->alt_name) >= sizeof(path))
		return -1;
	return try_file(df, f->in_root, path, f->alt_id, f->alt_id_len, false, 0, NULL);
}

int debug_find__debug_file(struct debug_find *df, Elf *main_elf, const uint8_t *id, size_t len)
{
	int fd;

	if (df->given && len > 0) {
		fd = try_file(df, false, df->given, id, len, false, 0, &df->found);
		if (fd >= 0) {
			df->source = DWARF_DEBUGINFOD;
			goto found;
		}
	}
	if (len > 0) {
		fd = debug_find__by_build_id(df, id, len, &df->found);
		if (fd >= 0) {
			df->source = DWARF_BUILD_ID;
			goto found;
		}
	}
	if (main_elf) {
		fd = debug_find__by_debuglink(df, main_elf, &df->found);
		if (fd >= 0) {
			/* note_alt was skipped (no build-id check): read it now */
			Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);

			if (e && debug_find__has_dwarf(e)) {
				note_alt(&df->found, e);
				elf_end(e);
				df->source = DWARF_DEBUGLINK;
				goto found;
			}
			elf_end(e);
			close(fd);
		}
	}
	return -1;
found:
	/* headers only (ELF_C_READ: nothing mapped): what opening it would inflate */
	{
		Elf *e = elf_begin(fd, ELF_C_READ, NULL);

		df->inflate = e ? debug_find__inflated_size(e) : 0;
		elf_end(e);
	}
	if (df->max_inflate && df->inflate > df->max_inflate) {
		df->too_big = true;
		df->source = DWARF_NONE;
		close(fd);
		return -1;
	}
	df->gave_debug = true;
	return fd;
}

int debug_find__dwfl_callback(Dwfl_Module *mod, void **userdata, const char *modname,
			      Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			      GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct debug_find *df = *userdata;
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr, bias;
	int fd, len;

	(void)modname, (void)base, (void)file_name, (void)debuglink_file, (void)debuglink_crc;
	*debuginfo_file_name = NULL;
	if (!df)
		return -1;
	/* libdwfl asks again, for the alternate file, once it has DWARF */
	if (df->main_has_dwarf || df->gave_debug) {
		fd = debug_find__alt(df);
		df->alt_given = fd >= 0;
		return fd;
	}
	len = dwfl_module_build_id(mod, &id, &id_vaddr);
	return debug_find__debug_file(df, dwfl_module_getelf(mod, &bias), id,
				      len > 0 ? (size_t)len : 0);
}

bool debug_find__take_embedded(struct debug_find *df, Elf *elf)
{
	df->main_has_dwarf = true;
	df->source = DWARF_EMBEDDED;
	df->inflate = debug_find__inflated_size(elf);
	if (df->max_inflate && df->inflate > df->max_inflate) {
		df->too_big = true;
		df->source = DWARF_NONE;
		return false;
	}
	snprintf(df->found.path, sizeof(df->found.path), "%s", df->path ? df->path : "");
	df->found.in_root = true;
	note_alt(&df->found, elf);
	return true;
}

bool debug_find__alt_refused(const struct debug_find *df)
{
	const char *alt = df->found.alt_name;

	return alt[0] == '/' && !df->alt_given &&
	       (strncmp(alt, "/usr/lib/debug/", strlen("/usr/lib/debug/")) || has_dotdot(alt));
}

int debug_find__init(struct debug_find *df, const struct dwarf_search *where)
{
	memset(df, 0, sizeof(*df));
	if (!where)
		return 0;
	df->tgid = where->tgid;
	df->max_inflate = where->max_inflate;
	df->path = where->path ? strdup(where->path) : NULL;
	df->debug_dir = where->debug_dir ? strdup(where->debug_dir) : NULL;
	df->host_debug = where->host_debug ? strdup(where->host_debug) : NULL;
	df->given = where->given ? strdup(where->given) : NULL;
	if ((where->path && !df->path) || (where->debug_dir && !df->debug_dir) ||
	    (where->host_debug && !df->host_debug) || (where->given && !df->given))
		return -ENOMEM;
	return 0;
}

void debug_find__fini(struct debug_find *df)
{
	if (!df)
		return;
	free(df->path);
	free(df->debug_dir);
	free(df->host_debug);
	free(df->given);
	df->path = df->debug_dir = df->host_debug = df->given = NULL;
}
