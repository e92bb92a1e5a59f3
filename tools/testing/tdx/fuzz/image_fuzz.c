// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the TDX module update image checks, linked with
 * arch/x86/virt/vmx/tdx/update_image.c, the very file the kernel builds.
 *
 * Each input is an image.  It is checked from a heap buffer of exactly
 * its length, so that AddressSanitizer catches any read past its end, and
 * once more one byte off alignment.  The verdict is then held against a
 * second reading of the format, written here from tdx_blob.h with byte
 * offsets of its own, the module digest included (hashed here with the
 * selftests' sha384.c directly).  Anything that does not hold aborts:
 *
 *  - the verdict differs from the reference, or from one run to the next;
 *  - an accepted image's layout does not add up to its length, or points
 *    outside it;
 *  - the layout of a refused image was written to;
 *  - the check changed the image;
 *  - the error helpers disagree with the verdict.
 *
 * See run-fuzz.sh next to this file for how it is built and run.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_blob.h"
#include "sha384.h"

/* libFuzzer's entry points, under names of this file's style. */
int fuzz_init(int *argc, char ***argv) __asm__("LLVMFuzzerInitialize");
int fuzz_one(const u8 *data, size_t size) __asm__("LLVMFuzzerTestOneInput");

/* The header, byte by byte, as the format has it (little endian). */
#define OFF_VERSION		0
#define OFF_CHECKSUM		2
#define OFF_SIGNATURE		4
#define OFF_SIGSTRUCT_PAGES	12
#define OFF_MODULE_PAGES	16
#define OFF_RESERVED		20
/* The module's SHA-384 in the sigstruct, from the start of the image. */
#define OFF_MODULE_DIGEST	(4096 + 900)
#define MODULE_DIGEST_LEN	48

static_assert(offsetof(struct tdx_blob_hdr, version) == OFF_VERSION,
	      "version offset");
static_assert(offsetof(struct tdx_blob_hdr, checksum) == OFF_CHECKSUM,
	      "checksum offset");
static_assert(offsetof(struct tdx_blob_hdr, signature) == OFF_SIGNATURE,
	      "signature offset");
static_assert(offsetof(struct tdx_blob_hdr, sigstruct_pages) ==
	      OFF_SIGSTRUCT_PAGES, "sigstruct_pages offset");
static_assert(offsetof(struct tdx_blob_hdr, module_pages) ==
	      OFF_MODULE_PAGES, "module_pages offset");
static_assert(offsetof(struct tdx_blob_hdr, reserved) == OFF_RESERVED,
	      "reserved offset");
static_assert(OFF_RESERVED + TDX_BLOB_RESERVED_LEN == TDX_BLOB_HDR_SIZE,
	      "reserved bytes run to the end of the header page");
static_assert(sizeof(TDX_BLOB_SIGNATURE) - 1 == TDX_BLOB_SIGNATURE_LEN,
	      "signature length");
static_assert(TDX_BLOB_HDR_SIZE + TDX_SIGSTRUCT_DIGEST_OFFSET ==
	      OFF_MODULE_DIGEST, "module digest offset");
static_assert(TDX_SIGSTRUCT_DIGEST_LEN == MODULE_DIGEST_LEN,
	      "module digest length");
static_assert(SHA384_DIGEST_SIZE == MODULE_DIGEST_LEN,
	      "the module digest is a SHA-384");

/* The longest image any header can describe. */
#define MAX_IMAGE_SIZE	((u64)TDX_PAGE_SIZE * (1 + \
			 TDX_BLOB_MAX_SIGSTRUCT_PAGES + \
			 TDX_BLOB_MAX_MODULE_PAGES))

#define LAYOUT_POISON	0xa5

#define fuzz_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s does not hold\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
	       (u32)p[3] << 24;
}

/*
 * The verdict the format calls for: rules in the order of enum
 * tdx_image_error, the first one broken wins.  The checksum field is
 * never looked at.  The hash can always be computed in userspace, so
 * TDX_IMAGE_NO_HASH (the kernel's, when it has no memory for it) never
 * comes out.
 */
static enum tdx_image_error reference_verdict(const u8 *img, size_t size)
{
	u8 digest[SHA384_DIGEST_SIZE];
	u32 nr_sigstruct, nr_module;
	size_t i, module_off;

	if (size < TDX_BLOB_HDR_SIZE)
		return TDX_IMAGE_TOO_SHORT;
	if (get_le16(img + OFF_VERSION) != TDX_BLOB_VERSION)
		return TDX_IMAGE_BAD_VERSION;
	for (i = 0; i < TDX_BLOB_SIGNATURE_LEN; i++)
		if (img[OFF_SIGNATURE + i] != (u8)TDX_BLOB_SIGNATURE[i])
			return TDX_IMAGE_BAD_SIGNATURE;
	for (i = OFF_RESERVED; i < TDX_BLOB_HDR_SIZE; i++)
		if (img[i])
			return TDX_IMAGE_RESERVED_NONZERO;

	nr_sigstruct = get_le32(img + OFF_SIGSTRUCT_PAGES);
	nr_module = get_le32(img + OFF_MODULE_PAGES);
	if (nr_sigstruct == 0)
		return TDX_IMAGE_NO_SIGSTRUCT;
	if (nr_sigstruct > TDX_BLOB_MAX_SIGSTRUCT_PAGES)
		return TDX_IMAGE_TOO_MANY_SIGSTRUCT;
	if (nr_module == 0)
		return TDX_IMAGE_NO_MODULE;
	if (nr_module > TDX_BLOB_MAX_MODULE_PAGES)
		return TDX_IMAGE_MODULE_TOO_LARGE;

	/* Counted in pages so that nothing here can overflow. */
	if (size % TDX_PAGE_SIZE ||
	    size / TDX_PAGE_SIZE != 1 + (u64)nr_sigstruct + nr_module)
		return TDX_IMAGE_SIZE_MISMATCH;

	/* The module pages are all that follows the sigstruct pages. */
	module_off = (size_t)TDX_PAGE_SIZE * (1 + nr_sigstruct);
	sha384(img + module_off, size - module_off, digest);
	if (memcmp(img + OFF_MODULE_DIGEST, digest, MODULE_DIGEST_LEN))
		return TDX_IMAGE_DIGEST_MISMATCH;
	return TDX_IMAGE_OK;
}

static void check_layout(const u8 *img, size_t size,
			 const struct tdx_image_layout *layout)
{
	const u8 *end = img + size;
	size_t sigstruct_len, module_len;

	fuzz_assert(size <= MAX_IMAGE_SIZE);
	fuzz_assert(layout->nr_sigstruct_pages ==
		    get_le32(img + OFF_SIGSTRUCT_PAGES));
	fuzz_assert(layout->nr_module_pages ==
		    get_le32(img + OFF_MODULE_PAGES));
	fuzz_assert(layout->nr_sigstruct_pages >= 1 &&
		    layout->nr_sigstruct_pages <= TDX_BLOB_MAX_SIGSTRUCT_PAGES);
	fuzz_assert(layout->nr_module_pages >= 1 &&
		    layout->nr_module_pages <= TDX_BLOB_MAX_MODULE_PAGES);

	sigstruct_len = (size_t)layout->nr_sigstruct_pages * TDX_PAGE_SIZE;
	module_len = (size_t)layout->nr_module_pages * TDX_PAGE_SIZE;

	/* Header, sigstruct pages, module pages: back to back, to the end. */
	fuzz_assert(layout->sigstruct == img + TDX_BLOB_HDR_SIZE);
	fuzz_assert(layout->module >= layout->sigstruct &&
		    (size_t)(layout->module - layout->sigstruct) ==
		    sigstruct_len);
	fuzz_assert(layout->module < end &&
		    (size_t)(end - layout->module) == module_len);
	fuzz_assert(TDX_BLOB_HDR_SIZE + sigstruct_len + module_len == size);
}

/* Check @img of @size bytes and hold the outcome against the reference. */
static enum tdx_image_error check_one(const u8 *img, size_t size,
				      enum tdx_image_error expect)
{
	struct tdx_image_layout layout, poison;
	enum tdx_image_error err;

	memset(&poison, LAYOUT_POISON, sizeof(poison));
	memcpy(&layout, &poison, sizeof(layout));

	err = tdx_image_check(img, size, &layout);
	if (err != expect) {
		fprintf(stderr, "verdict \"%s\" (%d), the format says \"%s\" (%d)\n",
			tdx_image_error_str(err), err,
			tdx_image_error_str(expect), expect);
		abort();
	}

	if (err == TDX_IMAGE_OK)
		check_layout(img, size, &layout);
	else
		fuzz_assert(!memcmp(&layout, &poison, sizeof(layout)));

	fuzz_assert(tdx_image_error_is_size(err) ==
		    (err == TDX_IMAGE_TOO_SHORT ||
		     err == TDX_IMAGE_SIZE_MISMATCH));
	return err;
}

/* Once, before any input: the error names must be complete and distinct. */
int fuzz_init(int *argc, char ***argv)
{
	unsigned int i, j;

	(void)argc;
	(void)argv;
	for (i = 0; i < TDX_IMAGE_NR_ERRORS; i++) {
		const char *s = tdx_image_error_str(i);

		fuzz_assert(s && *s && strcmp(s, "unknown"));
		for (j = 0; j < i; j++)
			fuzz_assert(strcmp(s, tdx_image_error_str(j)));
	}
	fuzz_assert(!strcmp(tdx_image_error_str(TDX_IMAGE_NR_ERRORS),
			    "unknown"));
	fuzz_assert(!strcmp(tdx_image_error_str((enum tdx_image_error)-1), "unknown"));
	fuzz_assert(!tdx_image_error_is_size(TDX_IMAGE_OK));
	fuzz_assert(!tdx_image_error_is_size(TDX_IMAGE_NO_HASH));
	fuzz_assert(!tdx_image_error_is_size(TDX_IMAGE_DIGEST_MISMATCH));
	return 0;
}

int fuzz_one(const u8 *data, size_t size)
{
	enum tdx_image_error expect;
	u8 *img, *shifted;

	/* Exactly @size bytes: ASan and glibc give malloc(0) a pointer too. */
	img = malloc(size);
	shifted = malloc(size + 1);
	if (!img || !shifted)
		abort();
	memcpy(img, data, size);
	memcpy(shifted + 1, data, size);

	expect = reference_verdict(data, size);
	check_one(img, size, expect);
	/* The same bytes at an odd address, ending where the buffer ends. */
	check_one(shifted + 1, size, expect);

	/* The check reads the image and nothing else. */
	fuzz_assert(!memcmp(img, data, size));
	fuzz_assert(!memcmp(shifted + 1, data, size));

	free(shifted);
	free(img);
	return 0;
}
