/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel's TDX module release directories for tdx-module-update: the
 * mapping file, the two file formats (the joined 0x100 blob, the module
 * and its sigstruct as separate files), their conversion to the kernel's
 * 0x200 image, and the rules that say whether a release can replace the
 * running module without losing the TDs.
 *
 * A release directory, as Intel publishes it:
 *
 *   mapping_file.json
 *   joined_files/<major.minor>/tdx_module_<x.y.z>.blob
 *   separate_files/<major.minor>/<x.y.z>/tdx_module_<x.y.z>.bin
 *   separate_files/<major.minor>/<x.y.z>/tdx_module_<x.y.z>.sigstruct
 */
#ifndef _TDX_RELEASE_H
#define _TDX_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

#include "tdx_blob.h"

#define REL_MAPPING_FILE	"mapping_file.json"
#define REL_MAPPING_MAX_SIZE	(1024UL * 1024)
#define REL_FILE_MAX_SIZE	(256UL << 20)

/* The 0x100 blob: a 4 KiB header, then the sigstruct at 4 KiB */
#define REL_BLOB_VERSION	0x100
#define REL_BLOB_SIG_OFFSET	8	/* of "TDX-BLOB"; 4 in the 0x200 header */
#define REL_BLOB_MIN_MODULE_OFF	(2 * TDX_PAGE_SIZE)

/* The sigstruct: 2 KiB, and the fields the tool reads */
#define REL_SIGSTRUCT_SIZE	2048
#define REL_SIGSTRUCT_TYPE	12	/* u32; bit 31: debug module */
#define REL_SIGSTRUCT_DEBUG	0x80000000U
#define REL_SIGSTRUCT_NR_CPUS	1024	/* u32: entries that follow */
#define REL_SIGSTRUCT_CPUS	1028	/* u32 CPUID.1.EAX each */
#define REL_SIGSTRUCT_MAX_CPUS	\
	((REL_SIGSTRUCT_SIZE - REL_SIGSTRUCT_CPUS) / 4)
/* CPUID.1.EAX bits 3:0, the stepping, do not take part in the match */
#define REL_CPUID_STEPPING	0xfU

struct rel_version {
	unsigned int major;
	unsigned int minor;
	unsigned int update;
};

/*
 * Why a file cannot be converted.  Each has its own exit code in
 * tdx-module-update (see rel_error_name()).
 */
enum rel_error {
	REL_OK,
	REL_TRUNCATED,		/* shorter than its header or its length */
	REL_BAD_SIGNATURE,	/* no "TDX-BLOB" where the header has it */
	REL_BAD_VERSION,	/* a blob header of another version */
	REL_BAD_CHECKSUM,	/* 16-bit words do not sum to 0 */
	REL_LENGTH_MISMATCH,	/* longer than its header says */
	REL_BAD_LAYOUT,		/* module offset or size not page-aligned */
	REL_TOO_LARGE,		/* more module pages than the kernel takes */
	REL_RESERVED,		/* a reserved byte is not zero */
	REL_BAD_SIGSTRUCT,	/* wrong size, or its CPU list overflows */
	REL_IMAGE_CHECK,	/* the kernel's tdx_image_check() refuses it */
	REL_NO_FILE,		/* a file of the release is missing */
	REL_READ_ERROR,		/* a file cannot be read */
	REL_NR_ERRORS,
};

enum rel_kind {
	REL_KIND_NONE,		/* no file at all */
	REL_KIND_JOINED,	/* a .blob whose header cannot be read */
	REL_KIND_BLOB,		/* a 0x100 blob */
	REL_KIND_IMAGE,		/* a 0x200 image (joined_files or --convert) */
	REL_KIND_SEPARATE,	/* .bin and .sigstruct */
};

/* A converted image and what its sigstruct says */
struct rel_image {
	enum rel_kind kind;	/* of the input */
	u8 *data;		/* the 0x200 image, malloc()ed */
	size_t size;
	unsigned int module_pages;
	bool debug;
	unsigned int nr_cpus;
	const u8 *cpus;		/* nr_cpus little-endian u32, in data */
};

/* Why a release cannot be loaded: the first rule it breaks, in order */
enum rel_reason {
	REL_LOADABLE,
	REL_NOT_IN_MAPPING,	/* a file that mapping_file.json does not list */
	REL_OTHER_LINE,		/* major.minor differs from the running one */
	REL_OLDER,		/* update number below the running one */
	REL_ALREADY_RUNNING,	/* the running version: not newer */
	REL_BELOW_MIN_TD_PRESERVING, /* running < min_module_version_for_... */
	REL_SEAMLDR_TOO_OLD,	/* no min_seamldr_versions entry is met */
	REL_FILE_MISSING,	/* no file, or half of the separate files */
	REL_CHECKSUM,		/* the blob's checksum is wrong */
	REL_FORMAT,		/* any other rel_error */
	REL_CPU_NOT_LISTED,	/* this CPU is not in the sigstruct's list */
	REL_DEBUG,		/* a debug module, and --debug not given */
	REL_NR_REASONS,
};

/* One entry of tdx_module_releases[] */
struct rel_entry {
	char version[16];
	struct rel_version ver;
	char min_td_preserving[16];
	struct rel_version min_td;
	unsigned int nr_seamldr;
	struct rel_version *seamldr;	/* min_seamldr_versions */
	char *seamldr_text;		/* the same, ", "-separated */
	char feature0[24];		/* tdx_feature0 as written, or "" */
};

/* One set of files for a version: a release may have two */
struct rel_candidate {
	char version[16];
	struct rel_version ver;
	const struct rel_entry *entry;	/* NULL: not in the mapping file */
	enum rel_kind kind;
	char file[512];			/* relative to the directory, or "" */
	char sigstruct_file[512];	/* REL_KIND_SEPARATE */
	struct rel_image image;		/* when converted */
	int debug;			/* -1: unknown */
	enum rel_reason reason;
	enum rel_error error;		/* REL_FILE_MISSING ... REL_FORMAT */
	char message[512];		/* the reason, in words */
};

struct rel_dir {
	char *path;
	struct rel_entry *entries;
	size_t nr_entries;
	struct rel_candidate *cands;	/* sorted: version, then joined first */
	size_t nr_cands;
};

/* What the rules are checked against */
struct rel_machine {
	struct rel_version running;
	struct rel_version seamldr;
	unsigned int cpuid;		/* CPUID.1.EAX */
	bool allow_debug;
};

int rel_version_parse(const char *s, struct rel_version *v);
int rel_version_cmp(const struct rel_version *a, const struct rel_version *b);
void rel_version_str(const struct rel_version *v, char *buf, size_t size);

const char *rel_error_name(enum rel_error err);
const char *rel_reason_name(enum rel_reason reason);
const char *rel_kind_name(enum rel_kind kind);

enum rel_error rel_convert(const u8 *data, size_t size, const u8 *sig,
			   size_t sig_size, struct rel_image *img, char *msg,
			   size_t msg_size);
void rel_image_free(struct rel_image *img);
bool rel_cpu_listed(const struct rel_image *img, unsigned int cpuid);

int rel_read_file(const char *path, u8 **data, size_t *size, char *msg,
		  size_t msg_size);

int rel_dir_open(struct rel_dir *dir, const char *path, char *msg,
		 size_t msg_size);
void rel_dir_evaluate(struct rel_dir *dir, const struct rel_machine *m);
const struct rel_candidate *rel_dir_plan(const struct rel_dir *dir,
					 const char *version,
					 const struct rel_machine *m,
					 enum rel_reason *reason, char *msg,
					 size_t msg_size);
void rel_dir_free(struct rel_dir *dir);

#endif /* _TDX_RELEASE_H */
