// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the TDX module update image checks (update_image.c).
 *
 * A well-formed tdx_blob image is accepted and its layout reported; each
 * format rule, when broken on its own, is refused with its own error and
 * leaves the layout untouched; module pages that do not hash to the
 * SHA-384 digest at sigstruct offset 900 (a wrong digest, a flipped bit,
 * a page cut short, pages from another image) are refused, and so is an
 * image whose hash cannot be computed; the error names and the
 * size/content split are right; and tdx_module_update() turns a wrong
 * length into -EMSGSIZE and any other malformed image into -EINVAL,
 * logging the rule, before it calls the P-SEAMLDR.  Past a check that was
 * fooled, the simulated P-SEAMLDR refuses such a module as the real one
 * does, at SEAMLDR.INSTALL, with TDX left dead.
 */
#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/debug_locks.h>
#include <linux/errno.h>
#include <linux/kmsg_dump.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/tdx_update.h>
#include <crypto/sha2.h>

#include "tdx_blob.h"
#include "tdx_sim.h"
#include "tdx_sim_abi.h"

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
	KUNIT_ASSERT_EQ(test, tdx_sim_make_image(buf, &desc, module_pages), 0);
	return buf;
}

/* Like make_image(), of another module: update 9, crypto library 3. */
static u8 *make_other_image(struct kunit *test, u32 module_pages)
{
	struct tdx_sim_module_desc desc;
	u8 *buf;

	buf = kvzalloc(tdx_sim_image_size(module_pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, kvfree_action, buf));

	tdx_sim_default_module(&desc);
	desc.update = 9;
	desc.crypto_lib_version = 3;
	KUNIT_ASSERT_EQ(test, tdx_sim_make_image(buf, &desc, module_pages), 0);
	return buf;
}

/* Where module page @i of an image with one sigstruct page starts. */
static u8 *module_page(u8 *buf, u32 i)
{
	return buf + (size_t)(2 + i) * TDX_PAGE_SIZE;
}

/* The module digest field of an image with one sigstruct page. */
static u8 *digest_field(u8 *buf)
{
	return buf + TDX_BLOB_HDR_SIZE + TDX_SIGSTRUCT_DIGEST_OFFSET;
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

/*
 * The digest the image maker wrote is the SHA-384 of exactly the module
 * pages, hashed here in one call, independently of update_image.c's own
 * steps; and the check accepts it.  17 module pages are one more than a
 * step of update_image.c's hash; 496 are the most an image may carry.
 */
static void accepts_correct_digest(struct kunit *test)
{
	static const u32 pages[] = { 1, 17, TDX_BLOB_MAX_MODULE_PAGES };
	u8 want[TDX_SIGSTRUCT_DIGEST_LEN];
	unsigned int i;
	u8 *buf;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		buf = make_image(test, pages[i], 0);
		sha384(module_page(buf, 0), pages[i] * TDX_PAGE_SIZE, want);
		KUNIT_EXPECT_MEMEQ_MSG(test, digest_field(buf), want,
				       sizeof(want), "%u module pages",
				       pages[i]);
		expect_check(test, buf, tdx_sim_image_size(pages[i]),
			     TDX_IMAGE_OK, "digest as made");
		kunit_release_action(test, kvfree_action, buf);
	}
}

/* Only the 48 bytes at offset 900 of the sigstruct are the digest. */
static void rejects_wrong_digest_field(struct kunit *test)
{
	size_t size = tdx_sim_image_size(2);
	u8 *buf = make_image(test, 2, 0);
	u8 *field = digest_field(buf);
	struct tdx_image_layout layout, pattern;

	field[0] ^= 0x01;
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "first digest byte");
	field[0] ^= 0x01;

	field[TDX_SIGSTRUCT_DIGEST_LEN - 1] ^= 0x80;
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "last digest byte");
	field[TDX_SIGSTRUCT_DIGEST_LEN - 1] ^= 0x80;

	/* The bytes on either side are not part of it. */
	field[-1] ^= 0xff;
	field[TDX_SIGSTRUCT_DIGEST_LEN] ^= 0xff;
	expect_check(test, buf, size, TDX_IMAGE_OK, "bytes around the digest");

	memset(field, 0, TDX_SIGSTRUCT_DIGEST_LEN);
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "zero digest");

	/* The simulated signature still holds: only the digest is wrong. */
	KUNIT_EXPECT_MEMEQ(test, buf + TDX_BLOB_HDR_SIZE,
			   TDX_SIM_SIGSTRUCT_MAGIC, 8);

	memset(&pattern, 0xAA, sizeof(pattern));
	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, size, &layout),
			TDX_IMAGE_DIGEST_MISMATCH);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));
}

/* One bit anywhere in the module: first, middle and last page. */
static void rejects_flipped_module_bit(struct kunit *test)
{
	size_t size = tdx_sim_image_size(3);
	u8 *buf = make_image(test, 3, 0);
	u8 *big;

	module_page(buf, 1)[TDX_PAGE_SIZE / 2] ^= 0x08;
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "a bit of the middle module page");
	module_page(buf, 1)[TDX_PAGE_SIZE / 2] ^= 0x08;

	module_page(buf, 0)[0] ^= 0x01;
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "a bit of the module descriptor");
	module_page(buf, 0)[0] ^= 0x01;

	buf[size - 1] ^= 0x80;
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "the last bit of the image");
	buf[size - 1] ^= 0x80;

	expect_check(test, buf, size, TDX_IMAGE_OK, "every bit restored");

	/* The last bit of the largest image: every page is hashed. */
	size = tdx_sim_image_size(TDX_BLOB_MAX_MODULE_PAGES);
	big = make_image(test, TDX_BLOB_MAX_MODULE_PAGES, 0);
	big[size - 1] ^= 0x01;
	expect_check(test, big, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "the last bit of 496 module pages");
}

/* The last module page's second half zeroed, the length unchanged. */
static void rejects_truncated_module_page(struct kunit *test)
{
	size_t size = tdx_sim_image_size(3);
	u8 *buf = make_image(test, 3, 0);

	memset(module_page(buf, 2) + TDX_PAGE_SIZE / 2, 0, TDX_PAGE_SIZE / 2);
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "last module page half zeroed");
}

/*
 * Two writers at once: the header and sigstruct of one image with module
 * pages of another of the same size, or its own pages out of order.
 */
static void rejects_mixed_images(struct kunit *test)
{
	size_t size = tdx_sim_image_size(3);
	u8 *buf = make_image(test, 3, 0);
	u8 *other = make_other_image(test, 3);
	u8 *keep;

	keep = kunit_kmalloc(test, TDX_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	expect_check(test, other, size, TDX_IMAGE_OK, "the other image");

	memcpy(keep, module_page(buf, 1), TDX_PAGE_SIZE);
	memcpy(module_page(buf, 1), module_page(other, 1), TDX_PAGE_SIZE);
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "one module page of another image");
	memcpy(module_page(buf, 1), keep, TDX_PAGE_SIZE);

	memcpy(module_page(buf, 0), module_page(other, 0), 3 * TDX_PAGE_SIZE);
	expect_check(test, buf, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "all module pages of another image");

	/*
	 * The other image's own pages, its first and last swapped (the
	 * pages after the first hold the same pattern: swap with it).
	 */
	memcpy(keep, module_page(other, 0), TDX_PAGE_SIZE);
	memcpy(module_page(other, 0), module_page(other, 2), TDX_PAGE_SIZE);
	memcpy(module_page(other, 2), keep, TDX_PAGE_SIZE);
	expect_check(test, other, size, TDX_IMAGE_DIGEST_MISMATCH,
		     "module pages out of order");
}

static int no_sha384(const void *data, size_t len,
		     u8 digest[TDX_SIGSTRUCT_DIGEST_LEN])
{
	return -ENOMEM;
}

/* No hash, no update: a check that could not run refuses the image. */
static void refuses_when_hash_unavailable(struct kunit *test)
{
	size_t size = tdx_sim_image_size(1);
	u8 *buf = make_image(test, 1, 0);
	struct tdx_image_layout layout, pattern;
	unsigned long install_calls;
	struct tdx_update_request req;

	install_calls = tdx_sim_calls(P_SEAMLDR_INSTALL);
	kunit_activate_static_stub(test, tdx_image_sha384, no_sha384);

	memset(&pattern, 0xAA, sizeof(pattern));
	memset(&layout, 0xAA, sizeof(layout));
	KUNIT_EXPECT_EQ(test, tdx_image_check(buf, size, &layout),
			TDX_IMAGE_NO_HASH);
	KUNIT_EXPECT_MEMEQ(test, &layout, &pattern, sizeof(layout));
	KUNIT_EXPECT_FALSE(test, tdx_image_error_is_size(TDX_IMAGE_NO_HASH));

	/* The format rules still come first. */
	expect_check(test, buf, size + 1, TDX_IMAGE_SIZE_MISMATCH,
		     "wrong length, no hash");

	KUNIT_EXPECT_EQ(test, tdx_module_update_check(buf, size), -EINVAL);
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, size), -EINVAL);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL), install_calls);

	kunit_deactivate_static_stub(test, tdx_image_sha384);
	expect_check(test, buf, size, TDX_IMAGE_OK, "hash available again");
}

/* What sigstruct_sha384() says the module pages hash to. */
static u8 claimed_digest[TDX_SIGSTRUCT_DIGEST_LEN];

static int sigstruct_sha384(const void *data, size_t len,
			    u8 digest[TDX_SIGSTRUCT_DIGEST_LEN])
{
	memcpy(digest, claimed_digest, sizeof(claimed_digest));
	return 0;
}

static void reset_sim(void *unused)
{
	tdx_sim_reset(100);
}

/*
 * Past a kernel check that was fooled, the P-SEAMLDR still refuses the
 * module against the sigstruct's SHA-384, as the real one does: but
 * only at SEAMLDR.INSTALL, after the old module was shut down, so TDX
 * is dead.  That is what the kernel's check is there to prevent.  The
 * simulated signature is intact: only the SHA-384 gives it away.
 */
static void seamldr_refuses_digest_mismatch(struct kunit *test)
{
	size_t size = tdx_sim_image_size(2);
	u8 *buf = make_image(test, 2, 0);
	struct tdx_update_request req;
	unsigned long install_calls;
	u32 remaining;

	tdx_sim_reset(100);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, reset_sim,
							   NULL));
	remaining = tdx_sim_remaining_updates();
	install_calls = tdx_sim_calls(P_SEAMLDR_INSTALL);

	digest_field(buf)[TDX_SIGSTRUCT_DIGEST_LEN / 2] ^= 0x04;
	memcpy(claimed_digest, digest_field(buf), sizeof(claimed_digest));
	kunit_activate_static_stub(test, tdx_image_sha384, sigstruct_sha384);
	expect_check(test, buf, size, TDX_IMAGE_OK, "the check fooled");

	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, size), -EIO);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_DEAD);
	KUNIT_EXPECT_GT(test, tdx_sim_calls(P_SEAMLDR_INSTALL), install_calls);
	/* Refused by the first CPU to install: nothing used up. */
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining);
}

/*
 * Whether the kernel logged a line holding @needle after the log position
 * @from (a kmsg_dump_iter.next_seq taken before).
 */
static bool logged_since(u64 from, const char *needle)
{
	struct kmsg_dump_iter iter;
	char line[256];
	size_t len;

	kmsg_dump_rewind(&iter);
	iter.cur_seq = max(iter.cur_seq, from);
	while (kmsg_dump_get_line(&iter, false, line, sizeof(line) - 1,
				  &len)) {
		line[len] = '\0';
		if (strstr(line, needle))
			return true;
	}
	return false;
}

/*
 * A digest mismatch is a malformed image, not a wrong length: -EINVAL,
 * and the kernel log names the rule.
 */
static void digest_mismatch_is_logged_as_invalid(struct kunit *test)
{
	static const char want[] =
		"update image refused: module pages do not match the sigstruct's SHA-384 digest";
	size_t size = tdx_sim_image_size(2);
	u8 *buf = make_image(test, 2, 0);
	struct kmsg_dump_iter iter;

	KUNIT_EXPECT_STREQ(test,
			   tdx_image_error_str(TDX_IMAGE_DIGEST_MISMATCH),
			   "module pages do not match the sigstruct's SHA-384 digest");
	KUNIT_EXPECT_FALSE(test,
			   tdx_image_error_is_size(TDX_IMAGE_DIGEST_MISMATCH));

	module_page(buf, 1)[7] ^= 0x02;
	kmsg_dump_rewind(&iter);
	KUNIT_EXPECT_EQ(test, tdx_module_update_check(buf, size), -EINVAL);
	if (!IS_ENABLED(CONFIG_PRINTK))
		kunit_skip(test, "no kernel log without CONFIG_PRINTK");
	KUNIT_EXPECT_TRUE_MSG(test, logged_since(iter.next_seq, want),
			      "no \"%s\" in the kernel log", want);
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
	hdr->reserved[0] = 0;

	/* Well formed, but the module does not match its digest. */
	buf[size - 1] ^= 0xff;
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, buf, size), -EINVAL);

	/* Refused before the P-SEAMLDR was asked anything; the gate open. */
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INFO), info_calls);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL), install_calls);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
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
	KUNIT_CASE(accepts_correct_digest),
	KUNIT_CASE(rejects_wrong_digest_field),
	KUNIT_CASE(rejects_flipped_module_bit),
	KUNIT_CASE(rejects_truncated_module_page),
	KUNIT_CASE(rejects_mixed_images),
	KUNIT_CASE(refuses_when_hash_unavailable),
	KUNIT_CASE(digest_mismatch_is_logged_as_invalid),
	KUNIT_CASE(seamldr_refuses_digest_mismatch),
	KUNIT_CASE(module_update_maps_image_errors),
	{}
};

static struct kunit_suite tdx_update_image_suite = {
	.name = "tdx_update_image",
	.suite_exit = tdx_update_image_suite_exit,
	.test_cases = tdx_update_image_cases,
};

kunit_test_suite(tdx_update_image_suite);
