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
#include <linux/string.h>
#include <linux/build_bug.h>
#else
#include <assert.h>
#include <string.h>
#endif

#include "tdx_blob.h"

static_assert(sizeof(struct tdx_blob_hdr) == TDX_BLOB_HDR_SIZE,
	      "the tdx_blob header is one page");

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
 * tdx_image_check() - check a tdx_blob image against every format rule
 * @data: the image
 * @size: its length in bytes
 * @layout: filled in with where the sigstruct and module pages are when
 *	the image is well formed; untouched otherwise
 *
 * Return: TDX_IMAGE_OK, or the first rule the image breaks.
 */
enum tdx_image_error tdx_image_check(const void *data, size_t size,
				     struct tdx_image_layout *layout)
{
	const struct tdx_blob_hdr *hdr = data;
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

	layout->sigstruct = (const u8 *)data + TDX_BLOB_HDR_SIZE;
	layout->nr_sigstruct_pages = hdr->sigstruct_pages;
	layout->module = layout->sigstruct +
			 (size_t)hdr->sigstruct_pages * TDX_PAGE_SIZE;
	layout->nr_module_pages = hdr->module_pages;
	return TDX_IMAGE_OK;
}
