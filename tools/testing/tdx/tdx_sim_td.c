// SPDX-License-Identifier: GPL-2.0
/*
 * Build a TD as KVM would: INIT_VM takes the build hold and runs
 * TDH.MNG.CREATE, TDH.MNG.KEY.CONFIG and TDH.MNG.INIT; INIT_MEM_REGION
 * adds pages (and measures them in 256-byte chunks); FINALIZE_VM closes
 * the measurement and gives the hold back; teardown gives it back too if
 * the build never finished.
 */
#define pr_fmt(fmt) "tdx_sim_td: " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <crypto/hash.h>

#include "tdx_update_abi.h"
#include "tdx_sim_td.h"

static atomic_t next_hkid = ATOMIC_INIT(0);

/* The measurement record for one page added or one chunk extended. */
static int expect_record(struct tdx_sim_td *td, const char *op, u64 gpa)
{
	u8 rec[128] = {};

	memcpy(rec, op, strlen(op));
	put_unaligned_le64(gpa, rec + 16);
	return crypto_shash_update(td->expect, rec, sizeof(rec));
}

static int expect_init(struct tdx_sim_td *td)
{
	struct crypto_shash *tfm = crypto_alloc_shash("sha384", 0, 0);
	int ret;

	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	td->expect = kzalloc(sizeof(*td->expect) + crypto_shash_descsize(tfm),
			     GFP_KERNEL);
	if (!td->expect) {
		crypto_free_shash(tfm);
		return -ENOMEM;
	}
	td->expect->tfm = tfm;
	ret = crypto_shash_init(td->expect);
	return ret;
}

static void expect_free(struct tdx_sim_td *td)
{
	if (!td->expect)
		return;
	crypto_free_shash(td->expect->tfm);
	kfree(td->expect);
	td->expect = NULL;
}

static int seamcall_err(struct tdx_sim_td *td, const char *what, u64 status)
{
	if (!status)
		return 0;
	td->status = status;
	pr_debug("%s failed: %#llx\n", what, status);
	return -EIO;
}

static u64 tdr_pa(struct tdx_sim_td *td)
{
	return page_to_phys(td->tdr);
}

/**
 * tdx_sim_td_init() - start a TD build (KVM_TDX_INIT_VM)
 * @td: zeroed
 * @max_pages: most pages the build will add
 * @nonblock: fail with -EAGAIN rather than wait for a pending update
 *
 * Return: 0; an error of tdx_build_begin(); -EIO if a SEAMCALL failed
 * (@td->status says which status); -ENOMEM.  On error nothing is left to
 * tear down but tdx_sim_td_destroy() may still be called.
 */
int tdx_sim_td_init(struct tdx_sim_td *td, unsigned int max_pages,
		    bool nonblock)
{
	int ret;

	td->pages = kcalloc(max_pages, sizeof(*td->pages), GFP_KERNEL);
	td->tdr = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!td->pages || !td->tdr)
		return -ENOMEM;
	td->max_pages = max_pages;
	ret = expect_init(td);
	if (ret)
		return ret;

	ret = tdx_build_begin(&td->hold, nonblock);
	if (ret)
		return ret;

	ret = seamcall_err(td, "TDH.MNG.CREATE",
			   tdh_mng_create(tdr_pa(td),
					  atomic_inc_return(&next_hkid) & 0xffff));
	if (ret)
		goto end;
	td->created = true;
	ret = seamcall_err(td, "TDH.MNG.KEY.CONFIG",
			   tdh_mng_key_config(tdr_pa(td)));
	if (!ret)
		ret = seamcall_err(td, "TDH.MNG.INIT",
				   tdh_mng_init(tdr_pa(td), 0));
	if (!ret)
		return 0;
end:
	tdx_build_end(&td->hold);
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_init);

/**
 * tdx_sim_td_add_page() - add one initial page (KVM_TDX_INIT_MEM_REGION)
 * @td: a TD in build
 * @gpa: its guest physical address, page aligned
 * @data: TDX_PAGE_SIZE bytes of content
 * @measure: also extend the MRTD with the content
 *
 * Return: 0; -EINVAL for a bad @gpa; -ENOSPC past max_pages; -EIO if a
 * SEAMCALL failed; -ENOMEM.
 */
int tdx_sim_td_add_page(struct tdx_sim_td *td, u64 gpa, const void *data,
			bool measure)
{
	struct page *page, *src;
	unsigned int off;
	int ret;

	if (!IS_ALIGNED(gpa, TDX_PAGE_SIZE))
		return -EINVAL;
	if (td->nr_pages >= td->max_pages)
		return -ENOSPC;
	page = alloc_page(GFP_KERNEL);
	src = alloc_page(GFP_KERNEL);
	if (!page || !src) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(page_address(src), data, TDX_PAGE_SIZE);

	ret = seamcall_err(td, "TDH.MEM.PAGE.ADD",
			   tdh_mem_page_add(tdr_pa(td), gpa, page_to_phys(page),
					    page_to_phys(src)));
	if (ret)
		goto out;
	td->pages[td->nr_pages++] = page;
	page = NULL;
	ret = expect_record(td, "MEM.PAGE.ADD", gpa);

	for (off = 0; measure && !ret && off < TDX_PAGE_SIZE;
	     off += TDX_EXTENDMR_CHUNK) {
		ret = seamcall_err(td, "TDH.MR.EXTEND",
				   tdh_mr_extend(tdr_pa(td), gpa + off));
		if (!ret)
			ret = expect_record(td, "MR.EXTEND", gpa + off);
		if (!ret)
			ret = crypto_shash_update(td->expect, (u8 *)data + off,
						  TDX_EXTENDMR_CHUNK);
	}
out:
	if (page)
		__free_page(page);
	if (src)
		__free_page(src);
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_add_page);

/**
 * tdx_sim_td_finalize() - end the build (KVM_TDX_FINALIZE_VM)
 * @td: a TD in build
 *
 * Gives the build hold back once the measurement is closed.
 *
 * Return: 0, or -EIO if TDH.MR.FINALIZE failed (the hold stays out until
 * tdx_sim_td_destroy()).
 */
int tdx_sim_td_finalize(struct tdx_sim_td *td)
{
	int ret = seamcall_err(td, "TDH.MR.FINALIZE",
			       tdh_mr_finalize(tdr_pa(td)));

	if (ret)
		return ret;
	td->finalized = true;
	tdx_build_end(&td->hold);
	return crypto_shash_final(td->expect, td->expected_mrtd);
}
EXPORT_SYMBOL_GPL(tdx_sim_td_finalize);

/**
 * tdx_sim_td_read_mrtd() - read the MRTD the module computed
 * @td: a finalized TD
 * @mrtd: 48 bytes
 *
 * Return: 0, or -EIO if TDH.MNG.RD failed.
 */
int tdx_sim_td_read_mrtd(struct tdx_sim_td *td, u8 *mrtd)
{
	u64 val;
	int i;

	for (i = 0; i < TDX_MRTD_SIZE / 8; i++) {
		int ret = seamcall_err(td, "TDH.MNG.RD",
				       tdh_mng_rd(tdr_pa(td),
						  TDX_MD_TD_MRTD + i, &val));

		if (ret)
			return ret;
		put_unaligned_be64(val, mrtd + 8 * i);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_read_mrtd);

/**
 * tdx_sim_td_check_mrtd() - compare the module's MRTD with our own SHA-384
 * @td: a finalized TD
 *
 * Return: 0 if they match, -EBADMSG if not, -EIO if it could not be read.
 */
int tdx_sim_td_check_mrtd(struct tdx_sim_td *td)
{
	u8 mrtd[TDX_MRTD_SIZE];
	int ret = tdx_sim_td_read_mrtd(td, mrtd);

	if (ret)
		return ret;
	return memcmp(mrtd, td->expected_mrtd, sizeof(mrtd)) ? -EBADMSG : 0;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_check_mrtd);

/**
 * tdx_sim_td_destroy() - tear the TD down, finished or not
 * @td: the TD; zeroed again on return
 *
 * Gives the build hold back if it is still out, frees the TD in the
 * module and its pages.  If the module cannot free the TD (it is dead),
 * the TDR page and the private pages are leaked rather than handed back
 * while the module may still own them, as KVM does.
 */
void tdx_sim_td_destroy(struct tdx_sim_td *td)
{
	unsigned int i;

	tdx_build_end(&td->hold);
	if (td->created && tdh_mng_key_freeid(tdr_pa(td))) {
		td->tdr = NULL;
		td->nr_pages = 0;
	}
	for (i = 0; i < td->nr_pages; i++)
		__free_page(td->pages[i]);
	kfree(td->pages);
	if (td->tdr)
		__free_page(td->tdr);
	expect_free(td);
	memset(td, 0, sizeof(*td));
}
EXPORT_SYMBOL_GPL(tdx_sim_td_destroy);
