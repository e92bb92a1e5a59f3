/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TDX module update image ("tdx_blob" version 0x200) and its checks.
 *
 * This header and update_image.c build in the kernel and, unchanged, in
 * userspace (the image fuzzer and the image maker), so they use nothing
 * but fixed-width types.  Userspace builds define __packed on the command
 * line (USER_CPPFLAGS in the top-level Makefile).  The one thing the two
 * builds do differently is the SHA-384 of the module pages:
 * tdx_image_sha384() below.
 */
#ifndef _X86_VIRT_TDX_BLOB_H
#define _X86_VIRT_TDX_BLOB_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stddef.h>
#include <stdbool.h>
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
#endif

#define TDX_PAGE_SIZE			4096

#define TDX_BLOB_VERSION		0x200
#define TDX_BLOB_SIGNATURE		"TDX-BLOB"
#define TDX_BLOB_SIGNATURE_LEN		8
#define TDX_BLOB_HDR_SIZE		TDX_PAGE_SIZE
#define TDX_BLOB_RESERVED_LEN		4076

/* Sigstructs are one page today; 16 KB (4 page) sigstructs are planned. */
#define TDX_BLOB_MAX_SIGSTRUCT_PAGES	1
#define TDX_SEAMLDR_MAX_SIGSTRUCT_PAGES	4
/* At most 496 module pages (about 1.94 MiB): what SEAMLDR_PARAMS holds. */
#define TDX_BLOB_MAX_MODULE_PAGES	496

/*
 * The sigstruct carries the SHA-384 digest of the module binary, all
 * module pages exactly as the image holds them, at this offset of its
 * first page: so in every TDX module release Intel has published.  The
 * P-SEAMLDR refuses a module that does not match it, but only after
 * TDH.SYS.SHUTDOWN stopped the old one; checking it first keeps a
 * corrupt image from leaving TDX dead.
 */
#define TDX_SIGSTRUCT_DIGEST_OFFSET	900
#define TDX_SIGSTRUCT_DIGEST_LEN	48

/*
 * The image header.  All fields are little endian; the kernel runs on
 * x86 only, so they are read as they are.
 */
struct tdx_blob_hdr {
	u16 version;
	u16 checksum;		/* present in the format, never checked */
	u8 signature[TDX_BLOB_SIGNATURE_LEN];
	u32 sigstruct_pages;
	u32 module_pages;
	u8 reserved[TDX_BLOB_RESERVED_LEN];
} __packed;

/**
 * enum tdx_image_error - why an update image was refused
 * @TDX_IMAGE_OK: the image is well formed
 * @TDX_IMAGE_TOO_SHORT: shorter than the 4096-byte header
 * @TDX_IMAGE_BAD_VERSION: header version is not 0x200
 * @TDX_IMAGE_BAD_SIGNATURE: header signature is not "TDX-BLOB"
 * @TDX_IMAGE_RESERVED_NONZERO: a reserved header byte is not zero
 * @TDX_IMAGE_NO_SIGSTRUCT: no sigstruct page
 * @TDX_IMAGE_TOO_MANY_SIGSTRUCT: more sigstruct pages than supported
 * @TDX_IMAGE_NO_MODULE: no module page
 * @TDX_IMAGE_MODULE_TOO_LARGE: more than 496 module pages
 * @TDX_IMAGE_SIZE_MISMATCH: length is not 4096 * (1 + sigstruct + module)
 * @TDX_IMAGE_NO_HASH: the SHA-384 of the module pages could not be
 *	computed (kernel only: no memory for the hash); the image is not
 *	accepted unchecked
 * @TDX_IMAGE_DIGEST_MISMATCH: the SHA-384 of the module pages is not the
 *	digest at TDX_SIGSTRUCT_DIGEST_OFFSET of the sigstruct
 * @TDX_IMAGE_NR_ERRORS: number of values, not an error
 */
enum tdx_image_error {
	TDX_IMAGE_OK,
	TDX_IMAGE_TOO_SHORT,
	TDX_IMAGE_BAD_VERSION,
	TDX_IMAGE_BAD_SIGNATURE,
	TDX_IMAGE_RESERVED_NONZERO,
	TDX_IMAGE_NO_SIGSTRUCT,
	TDX_IMAGE_TOO_MANY_SIGSTRUCT,
	TDX_IMAGE_NO_MODULE,
	TDX_IMAGE_MODULE_TOO_LARGE,
	TDX_IMAGE_SIZE_MISMATCH,
	TDX_IMAGE_NO_HASH,
	TDX_IMAGE_DIGEST_MISMATCH,
	TDX_IMAGE_NR_ERRORS,
};

/**
 * struct tdx_image_layout - where the parts of a checked image are
 * @sigstruct: first sigstruct page
 * @nr_sigstruct_pages: number of sigstruct pages
 * @module: first module page
 * @nr_module_pages: number of module pages
 */
struct tdx_image_layout {
	const u8 *sigstruct;
	u32 nr_sigstruct_pages;
	const u8 *module;
	u32 nr_module_pages;
};

enum tdx_image_error tdx_image_check(const void *data, size_t size,
				     struct tdx_image_layout *layout);
const char *tdx_image_error_str(enum tdx_image_error err);
bool tdx_image_error_is_size(enum tdx_image_error err);

/*
 * SHA-384 of @len bytes at @data into @digest: 0, or a negative errno if
 * the hash cannot be computed.  The kernel computes it in
 * update_image.c; userspace uses the project's own sha384(), from
 * tools/testing/selftests/tdx_host, which userspace builds link.
 */
#ifdef __KERNEL__
int tdx_image_sha384(const void *data, size_t len,
		     u8 digest[TDX_SIGSTRUCT_DIGEST_LEN]);
#else
#include "sha384.h"

static inline int tdx_image_sha384(const void *data, size_t len,
				   u8 digest[TDX_SIGSTRUCT_DIGEST_LEN])
{
	sha384(data, len, digest);
	return 0;
}
#endif

#endif /* _X86_VIRT_TDX_BLOB_H */
