// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of a TDX module update image before anything is touched.
 *
 * Every rule has its own error so that the kernel log, the fw_upload
 * error and the tests can all say which rule an image broke.  This file
 * builds unchanged in userspace (see tdx_blob.h), where the image fuzzer
 * runs it.
 */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <crypto/sha2.h>
#include <kunit/static_stub.h>
#else
#include <assert.h>
#include <string.h>
#endif

#include "tdx_blob.h"

static_assert(sizeof(struct tdx_blob_hdr) == TDX_BLOB_HDR_SIZE,
	      "the tdx_blob header is one page");
static_assert(TDX_SIGSTRUCT_DIGEST_LEN == SHA384_DIGEST_SIZE,
	      "the sigstruct's module digest is a SHA-384");
static_assert(TDX_SIGSTRUCT_DIGEST_OFFSET + TDX_SIGSTRUCT_DIGEST_LEN <=
	      TDX_PAGE_SIZE, "the module digest lies in the first sigstruct page");

#ifdef __KERNEL__
/*
 * Up to 496 module pages, about 2 MiB, are hashed: in steps of this many
 * bytes, with a chance to reschedule between them.
 */
#define TDX_IMAGE_HASH_STEP	(16 * TDX_PAGE_SIZE)

/**
 * tdx_image_sha384() - SHA-384 of a buffer, with the kernel's library
 * @data: the buffer
 * @len: its length
 * @digest: receives the digest
 *
 * Context: process context; may sleep.
 * Return: 0.  (Kept an int for the tests' stub, which can fail it.)
 */
int tdx_image_sha384(const void *data, size_t len,
		     u8 digest[TDX_SIGSTRUCT_DIGEST_LEN])
{
	struct sha384_ctx ctx;
	const u8 *p = data;
	size_t step;

	KUNIT_STATIC_STUB_REDIRECT(tdx_image_sha384, data, len, digest);

	sha384_init(&ctx);
	while (len) {
		step = min_t(size_t, len, TDX_IMAGE_HASH_STEP);
		sha384_update(&ctx, p, step);
		p += step;
		len -= step;
		cond_resched();
	}
	sha384_final(&ctx, digest);
	return 0;
}
#endif /* __KERNEL__ */

static const char * const tdx_image_error_strs[TDX_IMAGE_NR_ERRORS] = {
	[TDX_IMAGE_OK]			= "ok",
	[TDX_IMAGE_TOO_SHORT]		= "image shorter than its header",
	[TDX_IMAGE_BAD_VERSION]		= "header version is not 0x200",
	[TDX_IMAGE_BAD_SIGNATURE]	= "header signature is not TDX-BLOB",
	[TDX_IMAGE_RESERVED_NONZERO]	= "reserved header bytes are not zero",
	[TDX_IMAGE_NO_SIGSTRUCT]	= "no sigstruct page",
	[TDX_IMAGE_TOO_MANY_SIGSTRUCT]	= "too many sigstruct pages",
	[TDX_IMAGE_NO_MODULE]		= "no module page",
	[TDX_IMAGE_MODULE_TOO_LARGE]	= "more than 496 module pages",
	[TDX_IMAGE_SIZE_MISMATCH]	= "length does not match the page counts",
	[TDX_IMAGE_NO_HASH]		= "cannot compute the SHA-384 of the module pages",
	[TDX_IMAGE_DIGEST_MISMATCH]	=
		"module pages do not match the sigstruct's SHA-384 digest",
};

/**
 * tdx_image_error_str() - name the rule an image broke
 * @err: result of tdx_image_check()
 *
 * Return: a constant string, "unknown" for out-of-range values.
 */
const char *tdx_image_error_str(enum tdx_image_error err)
{
	if ((unsigned int)err >= TDX_IMAGE_NR_ERRORS)
		return "unknown";
	return tdx_image_error_strs[err];
}

/**
 * tdx_image_error_is_size() - is this a wrong-length error?
 * @err: result of tdx_image_check()
 *
 * Wrong-length images are reported to userspace apart from malformed
 * ones (invalid-file-size instead of firmware-invalid).
 *
 * Return: true for the errors about the image's length.
 */
bool tdx_image_error_is_size(enum tdx_image_error err)
{
	return err == TDX_IMAGE_TOO_SHORT || err == TDX_IMAGE_SIZE_MISMATCH;
}

static bool all_zero(const u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/**
 * tdx_image_check() - check a tdx_blob image against every rule
 * @data: the image
 * @size: its length in bytes
 * @layout: filled in with where the sigstruct and module pages are when
 *	the image is well formed; untouched otherwise
 *
 * The format rules come first; then the module pages must hash to the
 * SHA-384 digest their sigstruct carries.  That catches, with the old
 * module still running, a module cut short, damaged, or put together
 * from two images, which the P-SEAMLDR would refuse only after the old
 * module was shut down.  The image must not change during the check.
 *
 * Context: process context; may sleep (kernel).  It reads the whole
 * image: up to about 2 MiB are hashed.
 * Return: TDX_IMAGE_OK, or the first rule the image breaks.
 */
enum tdx_image_error tdx_image_check(const void *data, size_t size,
				     struct tdx_image_layout *layout)
{
	const struct tdx_blob_hdr *hdr = data;
	u8 digest[TDX_SIGSTRUCT_DIGEST_LEN];
	struct tdx_image_layout found;
	u64 expected;

	if (size < TDX_BLOB_HDR_SIZE)
		return TDX_IMAGE_TOO_SHORT;
	if (hdr->version != TDX_BLOB_VERSION)
		return TDX_IMAGE_BAD_VERSION;
	if (memcmp(hdr->signature, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN))
		return TDX_IMAGE_BAD_SIGNATURE;
	if (!all_zero(hdr->reserved, sizeof(hdr->reserved)))
		return TDX_IMAGE_RESERVED_NONZERO;
	if (!hdr->sigstruct_pages)
		return TDX_IMAGE_NO_SIGSTRUCT;
	if (hdr->sigstruct_pages > TDX_BLOB_MAX_SIGSTRUCT_PAGES)
		return TDX_IMAGE_TOO_MANY_SIGSTRUCT;
	if (!hdr->module_pages)
		return TDX_IMAGE_NO_MODULE;
	if (hdr->module_pages > TDX_BLOB_MAX_MODULE_PAGES)
		return TDX_IMAGE_MODULE_TOO_LARGE;

	/* Both counts are bounded above, so this cannot overflow. */
	expected = (u64)TDX_PAGE_SIZE *
		   (1 + (u64)hdr->sigstruct_pages + hdr->module_pages);
	if (size != expected)
		return TDX_IMAGE_SIZE_MISMATCH;

	found.sigstruct = (const u8 *)data + TDX_BLOB_HDR_SIZE;
	found.nr_sigstruct_pages = hdr->sigstruct_pages;
	found.module = found.sigstruct +
		       (size_t)hdr->sigstruct_pages * TDX_PAGE_SIZE;
	found.nr_module_pages = hdr->module_pages;

	/* Never accept what could not be checked. */
	if (tdx_image_sha384(found.module,
			     (size_t)found.nr_module_pages * TDX_PAGE_SIZE,
			     digest))
		return TDX_IMAGE_NO_HASH;
	if (memcmp(found.sigstruct + TDX_SIGSTRUCT_DIGEST_OFFSET, digest,
		   TDX_SIGSTRUCT_DIGEST_LEN))
		return TDX_IMAGE_DIGEST_MISMATCH;

	*layout = found;
	return TDX_IMAGE_OK;
}
