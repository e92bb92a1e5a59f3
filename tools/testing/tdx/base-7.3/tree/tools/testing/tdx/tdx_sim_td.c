// SPDX-License-Identifier: GPL-2.0
/*
 * Build a TD as KVM does, through upstream's exported tdh_*() wrappers:
 * INIT_VM runs TDH.MNG.CREATE with an HKID from tdx_guest_keyid_alloc(),
 * TDH.MNG.KEY.CONFIG and TDH.MNG.INIT; INIT_MEM_REGION adds pages (and
 * measures them in 256-byte chunks); FINALIZE_VM closes the measurement
 * and gives the build hold back; teardown gives it back too, last, if
 * the build never finished.
 */
#define pr_fmt(fmt) "tdx_sim_td: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "tdx_sim_abi.h"
#include "tdx_sim_td.h"

/* The measurement record for one page added or one chunk extended. */
static void expect_record(struct tdx_sim_td *td, const char *op, u64 gpa)
{
	u8 rec[128] = {};

	memcpy(rec, op, strlen(op));
	put_unaligned_le64(gpa, rec + 16);
	sha384_update(&td->expect, rec, sizeof(rec));
}

static int seamcall_err(struct tdx_sim_td *td, const char *what, u64 status)
{
	if (!status)
		return 0;
	td->status = status;
	pr_debug("%s failed: %#llx\n", what, status);
	return -EIO;
}

/**
 * tdx_sim_td_init() - start a TD build (KVM_TDX_INIT_VM)
 * @td: zeroed; the caller holds a build hold, to hand to @td on success
 * @max_pages: most pages the build will add
 *
 * Return: 0; -EIO if a SEAMCALL failed (@td->status says which status);
 * -ENOMEM; an error of tdx_guest_keyid_alloc().  On error nothing is left
 * to tear down but tdx_sim_td_destroy() may still be called.
 */
int tdx_sim_td_init(struct tdx_sim_td *td, unsigned int max_pages)
{
	u64 err;
	int ret;

	td->pages = kcalloc(max_pages, sizeof(*td->pages), GFP_KERNEL);
	td->td.tdr_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!td->pages || !td->td.tdr_page)
		return -ENOMEM;
	td->max_pages = max_pages;
	sha384_init(&td->expect);

	ret = tdx_guest_keyid_alloc();
	if (ret < 0)
		return ret;
	td->hkid = ret;

	ret = seamcall_err(td, "TDH.MNG.CREATE",
			   tdh_mng_create(&td->td, td->hkid));
	if (ret)
		return ret;
	td->created = true;
	ret = seamcall_err(td, "TDH.MNG.KEY.CONFIG",
			   tdh_mng_key_config(&td->td));
	if (ret)
		return ret;
	/* The simulated module reads no TD_PARAMS. */
	return seamcall_err(td, "TDH.MNG.INIT",
			    tdh_mng_init(&td->td, 0, &err));
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
	u64 e1, e2;
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
			   tdh_mem_page_add(&td->td, gpa, page_to_pfn(page),
					    src, &e1, &e2));
	if (ret)
		goto out;
	td->pages[td->nr_pages++] = page;
	page = NULL;
	expect_record(td, "MEM.PAGE.ADD", gpa);

	for (off = 0; measure && !ret && off < TDX_PAGE_SIZE;
	     off += TDX_EXTENDMR_CHUNK) {
		ret = seamcall_err(td, "TDH.MR.EXTEND",
				   tdh_mr_extend(&td->td, gpa + off, &e1, &e2));
		if (ret)
			break;
		expect_record(td, "MR.EXTEND", gpa + off);
		sha384_update(&td->expect, (const u8 *)data + off,
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
 * Gives the build hold back once the measurement is closed, as
 * tdx_td_finalize() does.
 *
 * Return: 0, or -EIO if TDH.MR.FINALIZE failed (the hold stays out until
 * tdx_sim_td_destroy()).
 */
int tdx_sim_td_finalize(struct tdx_sim_td *td)
{
	int ret = seamcall_err(td, "TDH.MR.FINALIZE",
			       tdh_mr_finalize(&td->td));

	if (ret)
		return ret;
	td->finalized = true;
	sha384_final(&td->expect, td->expected_mrtd);
	tdx_build_end(&td->hold);
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_finalize);

/**
 * tdx_sim_td_read_mrtd() - read the MRTD the module computed
 * @td: a finalized TD
 * @mrtd: TDX_MRTD_SIZE bytes
 *
 * Return: 0, or -EIO if TDH.MNG.RD failed.
 */
int tdx_sim_td_read_mrtd(struct tdx_sim_td *td, u8 *mrtd)
{
	u64 val;
	int i;

	for (i = 0; i < TDX_MRTD_SIZE / 8; i++) {
		int ret = seamcall_err(td, "TDH.MNG.RD",
				       tdh_mng_rd(&td->td, TDX_MD_TD_MRTD + i,
						  &val));

		if (ret)
			return ret;
		put_unaligned_be64(val, mrtd + 8 * i);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_sim_td_read_mrtd);

/**
 * tdx_sim_td_destroy() - tear the TD down, finished or not
 * @td: the TD; zeroed again on return
 *
 * KVM's order, as far as the simulated module has the leaves: the HKID
 * is freed in the module (TDH.MNG.KEY.FREEID) and given back, the pages
 * are freed, and only then does a build that never finished give its
 * hold back (tdx_vm_destroy()).  If the module cannot free the TD (it is
 * dead), the TDR page and the private pages are leaked rather than
 * handed back while the module may still own them, as KVM does.
 */
void tdx_sim_td_destroy(struct tdx_sim_td *td)
{
	unsigned int i;

	if (td->created && tdh_mng_key_freeid(&td->td)) {
		td->td.tdr_page = NULL;
		td->nr_pages = 0;
	} else if (td->hkid > 0) {
		tdx_guest_keyid_free(td->hkid);
	}
	for (i = 0; i < td->nr_pages; i++)
		__free_page(td->pages[i]);
	kfree(td->pages);
	if (td->td.tdr_page)
		__free_page(td->td.tdr_page);
	tdx_build_end(&td->hold);
	memset(td, 0, sizeof(*td));
}
EXPORT_SYMBOL_GPL(tdx_sim_td_destroy);
