/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the simulated P-SEAMLDR expects inside a tdx_blob image.
 *
 * The first module page starts with a module descriptor (version,
 * handoff range, crypto-library version, features); the sigstruct page
 * carries a digest of all module pages, which SEAMLDR.INSTALL verifies
 * in place of a real signature, and, as Intel's sigstructs do, the
 * SHA-384 of all module pages at TDX_SIGSTRUCT_DIGEST_OFFSET, which the
 * kernel and SEAMLDR.INSTALL both check.  Builds in the kernel (KUnit)
 * and in userspace (tdx-sim-mkimage, the selftests and the VM programs,
 * which link tools/testing/selftests/tdx_host/sha384.c) alike.
 */
#ifndef _TDX_SIM_IMAGE_H
#define _TDX_SIM_IMAGE_H

#include "tdx_blob.h"

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/string.h>
#else
#include <assert.h>
#include <string.h>
#endif

#define TDX_SIM_MODULE_MAGIC		"TDXSIMMD"
#define TDX_SIM_SIGSTRUCT_MAGIC		"SIMSIGST"

/**
 * struct tdx_sim_module_desc - a simulated module, as its image describes it
 * @magic: TDX_SIM_MODULE_MAGIC
 * @major: version, release line
 * @minor: version, release
 * @update: version, update
 * @handoff_version: the handoff data version this module writes
 * @min_handoff_version: the oldest handoff data version it can import
 * @reserved: zero
 * @crypto_lib_version: version of its crypto library; TD builds in
 *	flight across a change of it end with a wrong MRTD
 * @features0: its TDX_FEATURES0
 */
struct tdx_sim_module_desc {
	char magic[8];
	u16 major;
	u16 minor;
	u16 update;
	u16 handoff_version;
	u16 min_handoff_version;
	u16 reserved;
	u32 crypto_lib_version;
	u64 features0;
} __packed;

/**
 * struct tdx_sim_sigstruct - the simulated signature
 * @magic: TDX_SIM_SIGSTRUCT_MAGIC
 * @module_pages: number of module pages covered
 * @pad: zero
 * @digest: tdx_sim_digest() over all module pages
 */
struct tdx_sim_sigstruct {
	char magic[8];
	u32 module_pages;
	u32 pad;
	u64 digest;
} __packed;

static_assert(sizeof(struct tdx_sim_sigstruct) <= TDX_SIGSTRUCT_DIGEST_OFFSET,
	      "the simulated signature ends before the module digest");

/* 64-bit FNV-1a: stands in for the signature check. */
static inline u64 tdx_sim_digest(u64 h, const u8 *p, size_t len)
{
	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define TDX_SIM_DIGEST_SEED	0xcbf29ce484222325ULL

static inline size_t tdx_sim_image_size(u32 module_pages)
{
	return (size_t)TDX_PAGE_SIZE * (2 + module_pages);
}

/*
 * Write a well-formed image for @desc with @module_pages module pages
 * into @buf, which holds tdx_sim_image_size(module_pages) bytes.  Module
 * pages after the first hold a pattern derived from the version, so that
 * images of different modules differ throughout.  Returns 0, or a
 * negative errno when the SHA-384 could not be computed (kernel only:
 * no memory for the hash); the image then carries no valid digest.
 */
static inline int tdx_sim_make_image(u8 *buf,
				     const struct tdx_sim_module_desc *desc,
				     u32 module_pages)
{
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;
	struct tdx_sim_sigstruct *sig;
	u8 *module = buf + 2 * TDX_PAGE_SIZE;
	size_t i, len = (size_t)module_pages * TDX_PAGE_SIZE;

	memset(buf, 0, tdx_sim_image_size(module_pages));
	hdr->version = TDX_BLOB_VERSION;
	memcpy(hdr->signature, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN);
	hdr->sigstruct_pages = 1;
	hdr->module_pages = module_pages;

	memcpy(module, desc, sizeof(*desc));
	memcpy(module, TDX_SIM_MODULE_MAGIC, 8);
	for (i = TDX_PAGE_SIZE; i < len; i++)
		module[i] = (u8)(i * 31 + desc->update * 7 +
				 desc->crypto_lib_version);

	sig = (struct tdx_sim_sigstruct *)(buf + TDX_PAGE_SIZE);
	memcpy(sig->magic, TDX_SIM_SIGSTRUCT_MAGIC, 8);
	sig->module_pages = module_pages;
	sig->digest = tdx_sim_digest(TDX_SIM_DIGEST_SEED, module, len);

	return tdx_image_sha384(module, len,
				buf + TDX_PAGE_SIZE + TDX_SIGSTRUCT_DIGEST_OFFSET);
}

#endif /* _TDX_SIM_IMAGE_H */
