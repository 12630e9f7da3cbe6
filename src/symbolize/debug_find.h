/* SPDX-License-Identifier: MIT */
/* Where a file's DWARF is: its own sections, or a separate debug file found by build-id, by
 * .gnu_debuglink (CRC checked) or handed in (a debuginfod download); dwz's alternate file likewise.
 * A path a binary names is resolved only inside its process's root (proc_root: no symlinks, never
 * out of that root), or under the host's debug directories flamed was given; never in flamed's
 * own file system at large. Candidates are verified (build-id and DWARF present, or the CRC) before
 * they are taken. Also the libdwfl find_debuginfo callback that asks this module. */
#ifndef FLAMED_DEBUG_FIND_H
#define FLAMED_DEBUG_FIND_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEBUG_FIND_PATH_LEN 4096
#define DEBUG_FIND_ID_MAX   64

/* Where separate debug files are looked for. Every field may be NULL / 0. */
struct dwarf_search {
	uint32_t tgid;		/* the process whose root holds the binary (0: none, host only) */
	const char *path;	/* the binary's path inside that root (for .gnu_debuglink) */
	const char *debug_dir;	/* $FLAMED_DEBUG_DIR: .build-id/xx/rest.debug and debuglink dirs */
	const char *host_debug; /* the host's /usr/lib/debug */
	const char *given;	/* a debug file already fetched (debuginfod cache), host path */
	uint64_t max_inflate;	/* refuse DWARF whose compressed sections inflate to more (0: no
				 * limit): libdw inflates them all into the heap at once */
};

/* Where the DWARF came from. */
enum dwarf_source {
	DWARF_NONE,	  /* no DWARF: no frames */
	DWARF_EMBEDDED,	  /* the file's own .debug_info */
	DWARF_BUILD_ID,	  /* a .build-id/xx/rest.debug file */
	DWARF_DEBUGLINK,  /* .gnu_debuglink, CRC checked */
	DWARF_DEBUGINFOD, /* the given file */
};

const char *dwarf_source__name(enum dwarf_source src);

/* A debug file taken, kept to find its dwz alternate file the same way. */
struct debug_found {
	bool in_root; /* path is inside the process's root, else a host path */
	char path[DEBUG_FIND_PATH_LEN];
	char alt_name[DEBUG_FIND_PATH_LEN]; /* its .gnu_debugaltlink, "" none */
	uint8_t alt_id[DEBUG_FIND_ID_MAX];
	size_t alt_id_len;
};

/* The search for one binary's DWARF: the places (copied from struct dwarf_search) and what was
 * found. Embedded in its owner; debug_find__init / debug_find__fini. */
struct debug_find {
	uint32_t tgid;
	char *path, *debug_dir, *host_debug, *given;
	uint64_t max_inflate;
	enum dwarf_source source;
	bool main_has_dwarf; /* the binary's own DWARF is taken */
	bool gave_debug;     /* a debug file was returned for the binary: the next ask is the alt */
	bool alt_given;	     /* the dwz alternate file was returned */
	bool too_big;	     /* the DWARF found inflates past max_inflate: refused */
	uint64_t inflate;    /* what the DWARF taken inflates to */
	struct debug_found found;
};

/* Copy where (may be NULL) into df. 0 or -ENOMEM (df is then fini-safe). */
int debug_find__init(struct debug_find *df, const struct dwarf_search *where);

/* Free df's copies. NULL-safe. */
void debug_find__fini(struct debug_find *df);

/* The binary's own DWARF (elf has .debug_info) is taken: notes the source, its inflated size and
 * its dwz link. false when it inflates past max_inflate (df->too_big, source DWARF_NONE). */
bool debug_find__take_embedded(struct debug_find *df, Elf *elf);

/* A separate debug file for the binary elf with build-id (id, len) (len 0: none): the given
 * file, then by build-id, then by .gnu_debuglink. An fd the caller owns, or -1; df->source and
 * df->found say which. */
int debug_find__debug_file(struct debug_find *df, Elf *main_elf, const uint8_t *id, size_t len);

/* libdwfl's find_debuginfo callback: *userdata is the struct debug_find. The binary's debug
 * file on the first call (none when it has its own DWARF), its dwz alternate file on the next. */
int debug_find__dwfl_callback(Dwfl_Module *mod, void **userdata, const char *modname,
			      Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			      GElf_Word debuglink_crc, char **debuginfo_file_name);

/* The DWARF taken names a dwz file that was not found and lies outside /usr/lib/debug (or climbs
 * out of it with ".."): libdw would look for it there on the host, which is not for a binary to
 * choose. */
bool debug_find__alt_refused(const struct debug_find *df);

/* The steps, for tests. Each returns an fd the caller owns, or -1; f (may be NULL) gets where. */
int debug_find__by_build_id(struct debug_find *df, const uint8_t *id, size_t len,
			    struct debug_found *f);
int debug_find__by_debuglink(struct debug_find *df, Elf *main_elf, struct debug_found *f);
int debug_find__alt(struct debug_find *df);

/* ELF section helpers (the file bytes of sections by name; nothing inflated). */
Elf_Scn *debug_find__section(Elf *elf, const char *name, GElf_Shdr *shdr);
Elf_Data *debug_find__section_data(Elf *elf, const char *name);
/* A non-empty .debug_info (or .zdebug_info), by section header only. */
bool debug_find__has_dwarf(Elf *elf);
/* Bytes libelf would allocate to decompress elf's compressed debug sections. */
uint64_t debug_find__inflated_size(Elf *elf);

#endif /* FLAMED_DEBUG_FIND_H */
