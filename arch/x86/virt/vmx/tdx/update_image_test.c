// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the TDX module update image checks (update_image.c).
 *
 * A well-formed tdx_blob image is accepted and its layout reported; each
 * format rule, when broken on its own, is refused with its own error and
 * leaves the layout untouched; the error names and the size/content split
 * are right; and tdx_module_update() turns a wrong length into -EMSGSIZE
 * and any other malformed image into -EINVAL before it calls the
 * P-SEAMLDR.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/tdx_update.h>

#include "tdx_blob.h"
#include "tdx_sim.h"
#include "tdx_update_abi.h"

KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);

/*
 * A well-formed image with @module_pages module pages, followed by
 * @slack zero bytes so that a test may pass a longer length or grow a
 * page count.  Freed when the test ends.
 */
static u8 *make_image(struct kunit *test, u32 module_pages, size_t slack)
{
	struct tdx_sim_module_desc desc;
	u8 *buf;

	buf = kvzalloc(tdx_sim_image_size(module_pages) + slack, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, kvfree_action, buf));

	tdx_sim_default_module(&desc);
	tdx_sim_make_image(buf, &desc, module_pages);
	return buf;
}

static size_t img_pages(u32 n)
{
	return (size_t)n * TDX_PAGE_SIZE;
}

/* Check @size bytes at @data and expect @want; @what names the image. */
static void expect_check(struct kunit *test, const void *data, size_t size,
			 enum tdx_image_error want, const char *what)
{
	struct tdx_image_layout layout;
	enum tdx_image_error got;

	got = tdx_image_check(data, size, &layout);
	KUNIT_EXPECT_EQ_MSG(test, got, want, "%s: got \"%s\", want \"%s\"",
			    what, tdx_image_error_str(got),
			    tdx_image_error_str(want));
}

static void expect_valid_layout(struct kunit *test, u32 module_pages)
{
	size_t size = tdx_sim_image_size(module_pages);
	struct tdx_image_layout layout;
	u8 *buf = make_image(test, module_pages, 0);

	memset(&layout, 0, sizeof(layout));
	KUNIT_ASSERT_EQ(test, tdx_image_check(buf, size, &layout),
			TDX_IMAGE_OK);

	KUNIT_EXPECT_PTR_EQ(test, layout.sigstruct,
			    (const u8 *)buf + TDX_PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, layout.nr_sigstruct_pages, 1U);
	KUNIT_EXPECT_PTR_EQ(test, layout.module,
			    (const u8 *)buf + 2 * TDX_PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, layout.nr_module_pages, module_pages);

	/* The pointers land on what the image maker put there. */
	KUNIT_EXPECT_MEMEQ(test, layout.sigstruct, TDX_SIM_SIGSTRUCT_MAGIC, 8);
	KUNIT_EXPECT_MEMEQ(test, layout.module, TDX_SIM_MODULE_MAGIC, 8);
}

static void accepts_one_module_page(struct kunit *test)
{
	expect_valid_layout(test, 1);
}

static void accepts_max_module_pages(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, TDX_BLOB_MAX_MODULE_PAGES, 496);
	expect_valid_layout(test, TDX_BLOB_MAX_MODULE_PAGES);
}

static void rejects_shorter_than_header(struct kunit *test)
{
	u8 *buf = make_image(test, 1, 0);
	u8 *hdr_only;

	expect_check(test, buf, 0, TDX_IMAGE_TOO_SHORT, "0 bytes");
	expect_check(test, buf, 1, TDX_IMAGE_TOO_SHORT, "1 byte");

	/* A valid header but its last byte, in a buffer of just that. */
	hdr_only = kunit_kmalloc(test, TDX_BLOB_HDR_SIZE - 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hdr_only);
	memcpy(hdr_only, buf, TDX_BLOB_HDR_SIZE - 1);
	expect_check(test, hdr_only, TDX_BLOB_HDR_SIZE - 1,
		     TDX_IMAGE_TOO_SHORT, "4095 bytes");
}

static void rejects_bad_version(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	hdr->version = 0x100;
	expect_check(test, buf, size, TDX_IMAGE_BAD_VERSION, "version 0x100");
	hdr->version = 0x201;
	expect_check(test, buf, size, TDX_IMAGE_BAD_VERSION, "version 0x201");
	/* 0x200 stored big endian */
	hdr->version = 0x0002;
	expect_check(test, buf, size, TDX_IMAGE_BAD_VERSION, "version 0x0002");
	hdr->version = 0;
	expect_check(test, buf, size, TDX_IMAGE_BAD_VERSION, "version 0");
}

static void rejects_bad_signature(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	hdr->signature[0] = 't';
	expect_check(test, buf, size, TDX_IMAGE_BAD_SIGNATURE,
		     "first signature byte");
	hdr->signature[0] = 'T';

	hdr->signature[TDX_BLOB_SIGNATURE_LEN - 1] = 'b';
	expect_check(test, buf, size, TDX_IMAGE_BAD_SIGNATURE,
		     "last signature byte");

	memset(hdr->signature, 0, TDX_BLOB_SIGNATURE_LEN);
	expect_check(test, buf, size, TDX_IMAGE_BAD_SIGNATURE,
		     "zero signature");
}

static void rejects_nonzero_reserved(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	/* The reserved bytes run to the end of the header page. */
	KUNIT_EXPECT_PTR_EQ(test, &hdr->reserved[TDX_BLOB_RESERVED_LEN - 1],
			    buf + TDX_BLOB_HDR_SIZE - 1);

	hdr->reserved[0] = 1;
	expect_check(test, buf, size, TDX_IMAGE_RESERVED_NONZERO,
		     "first reserved byte");
	hdr->reserved[0] = 0;

	hdr->reserved[TDX_BLOB_RESERVED_LEN - 1] = 0x80;
	expect_check(test, buf, size, TDX_IMAGE_RESERVED_NONZERO,
		     "last reserved byte");
	hdr->reserved[TDX_BLOB_RESERVED_LEN - 1] = 0;

	expect_check(test, buf, size, TDX_IMAGE_OK, "reserved restored");
}

static void rejects_no_sigstruct(struct kunit *test)
{
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	/* Header and one module page: the length fits the counts. */
	hdr->sigstruct_pages = 0;
	expect_check(test, buf, img_pages(2), TDX_IMAGE_NO_SIGSTRUCT,
		     "0 sigstruct pages");
}

static void rejects_two_sigstruct_pages(struct kunit *test)
{
	u8 *buf = make_image(test, 1, TDX_PAGE_SIZE);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	KUNIT_ASSERT_EQ(test, TDX_BLOB_MAX_SIGSTRUCT_PAGES, 1);

	/* Header, two sigstruct pages, one module page. */
	hdr->sigstruct_pages = 2;
	expect_check(test, buf, img_pages(4), TDX_IMAGE_TOO_MANY_SIGSTRUCT,
		     "2 sigstruct pages");

	/* A count that would overflow the length computation. */
	hdr->sigstruct_pages = U32_MAX;
	expect_check(test, buf, img_pages(4), TDX_IMAGE_TOO_MANY_SIGSTRUCT,
		     "U32_MAX sigstruct pages");
}

static void rejects_no_module(struct kunit *test)
{
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	/* Header and sigstruct page only: the length fits the counts. */
	hdr->module_pages = 0;
	expect_check(test, buf, img_pages(2), TDX_IMAGE_NO_MODULE,
		     "0 module pages");
}

static void rejects_497_module_pages(struct kunit *test)
{
	u32 n = TDX_BLOB_MAX_MODULE_PAGES + 1;
	u8 *buf = make_image(test, n, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	KUNIT_ASSERT_EQ(test, n, 497U);
	expect_check(test, buf, tdx_sim_image_size(n),
		     TDX_IMAGE_MODULE_TOO_LARGE, "497 module pages");

	/* A count that would overflow the length computation. */
	hdr->module_pages = U32_MAX;
	expect_check(test, buf, tdx_sim_image_size(n),
		     TDX_IMAGE_MODULE_TOO_LARGE, "U32_MAX module pages");
}

static void rejects_size_mismatch(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, TDX_PAGE_SIZE);

	expect_check(test, buf, size, TDX_IMAGE_OK, "exact length");
	expect_check(test, buf, size + 1, TDX_IMAGE_SIZE_MISMATCH,
		     "one byte too long");
	expect_check(test, buf, size - 1, TDX_IMAGE_SIZE_MISMATCH,
		     "one byte too short");
	expect_check(test, buf, size - TDX_PAGE_SIZE, TDX_IMAGE_SIZE_MISMATCH,
		     "one page too short");
	expect_check(test, buf, size + TDX_PAGE_SIZE, TDX_IMAGE_SIZE_MISMATCH,
		     "one page too long");
	expect_check(test, buf, TDX_BLOB_HDR_SIZE, TDX_IMAGE_SIZE_MISMATCH,
		     "header only");
}

static void refused_image_leaves_layout_untouched(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, TDX_PAGE_SIZE);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;
	struct tdx_image_layout layout, pattern;

	memset(&pattern, 0xAA, sizeof(pattern));

	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, 100, &layout),
			TDX_IMAGE_TOO_SHORT);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));

	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, size + 1, &layout),
			TDX_IMAGE_SIZE_MISMATCH);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));

	hdr->module_pages = TDX_BLOB_MAX_MODULE_PAGES + 1;
	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, size, &layout),
			TDX_IMAGE_MODULE_TOO_LARGE);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));
	hdr->module_pages = 1;

	hdr->signature[3] = '_';
	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, size, &layout),
			TDX_IMAGE_BAD_SIGNATURE);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));
}

static void error_strings_are_distinct(struct kunit *test)
{
	const char *s, *t;
	int i, j;

	for (i = 0; i < TDX_IMAGE_NR_ERRORS; i++) {
		s = tdx_image_error_str(i);
		KUNIT_ASSERT_NOT_NULL_MSG(test, s, "error %d", i);
		KUNIT_EXPECT_NE_MSG(test, s[0], '\0', "error %d", i);
		KUNIT_EXPECT_STRNEQ_MSG(test, s, "unknown", "error %d", i);
		for (j = 0; j < i; j++) {
			t = tdx_image_error_str(j);
			KUNIT_EXPECT_STRNEQ_MSG(test, s, t, "errors %d and %d",
						j, i);
		}
	}

	KUNIT_EXPECT_STREQ(test, tdx_image_error_str(TDX_IMAGE_NR_ERRORS),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, tdx_image_error_str(TDX_IMAGE_NR_ERRORS + 1),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, tdx_image_error_str(-1), "unknown");
}

static void only_length_errors_are_size_errors(struct kunit *test)
{
	int i;

	KUNIT_EXPECT_TRUE(test, tdx_image_error_is_size(TDX_IMAGE_TOO_SHORT));
	KUNIT_EXPECT_TRUE(test,
			  tdx_image_error_is_size(TDX_IMAGE_SIZE_MISMATCH));

	for (i = 0; i < TDX_IMAGE_NR_ERRORS; i++) {
		if (i == TDX_IMAGE_TOO_SHORT || i == TDX_IMAGE_SIZE_MISMATCH)
			continue;
		KUNIT_EXPECT_FALSE_MSG(test, tdx_image_error_is_size(i),
				       "%s", tdx_image_error_str(i));
	}
}

static void checksum_is_not_checked(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	hdr->checksum = 0x1234;
	expect_check(test, buf, size, TDX_IMAGE_OK, "checksum 0x1234");
	hdr->checksum = 0xffff;
	expect_check(test, buf, size, TDX_IMAGE_OK, "checksum 0xffff");
}

static void module_update_maps_image_errors(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;
	unsigned long info_calls, install_calls;
	struct tdx_update_request req;

	info_calls = tdx_sim_calls(P_SEAMLDR_INFO);
	install_calls = tdx_sim_calls(P_SEAMLDR_INSTALL);

	/* Wrong length: truncated by a page, and below the header. */
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test,
			tdx_module_update(&req, buf, size - TDX_PAGE_SIZE),
			-EMSGSIZE);
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, 100), -EMSGSIZE);

	/* Right length, malformed content. */
	hdr->signature[0] = 'X';
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, size), -EINVAL);
	hdr->signature[0] = 'T';

	hdr->reserved[0] = 1;
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, size), -EINVAL);

	/* Refused before the P-SEAMLDR was asked anything. */
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INFO), info_calls);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL), install_calls);
}

static void tdx_update_image_suite_exit(struct kunit_suite *suite)
{
	pr_info("tdx_check: debug_locks=%d\n", debug_locks);
}

static struct kunit_case tdx_update_image_cases[] = {
	KUNIT_CASE(accepts_one_module_page),
	KUNIT_CASE(accepts_max_module_pages),
	KUNIT_CASE(rejects_shorter_than_header),
	KUNIT_CASE(rejects_bad_version),
	KUNIT_CASE(rejects_bad_signature),
	KUNIT_CASE(rejects_nonzero_reserved),
	KUNIT_CASE(rejects_no_sigstruct),
	KUNIT_CASE(rejects_two_sigstruct_pages),
	KUNIT_CASE(rejects_no_module),
	KUNIT_CASE(rejects_497_module_pages),
	KUNIT_CASE(rejects_size_mismatch),
	KUNIT_CASE(refused_image_leaves_layout_untouched),
	KUNIT_CASE(error_strings_are_distinct),
	KUNIT_CASE(only_length_errors_are_size_errors),
	KUNIT_CASE(checksum_is_not_checked),
	KUNIT_CASE(module_update_maps_image_errors),
	{}
};

static struct kunit_suite tdx_update_image_suite = {
	.name = "tdx_update_image",
	.suite_exit = tdx_update_image_suite_exit,
	.test_cases = tdx_update_image_cases,
};

kunit_test_suite(tdx_update_image_suite);
