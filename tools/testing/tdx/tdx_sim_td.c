// SPDX-License-Identifier: GPL-2.0
/*
 * Build a TD as KVM does, through upstream's exported tdh_*() wrappers:
 * INIT_VM runs TDH.MNG.CREATE with an HKID from tdx_guest_keyid_alloc(),
 * TDH.MNG.KEY.CONFIG on one CPU of each package, TDH.MNG.ADDCX for each
 * TDCS page and TDH.MNG.INIT (__tdx_td_init()); INIT_MEM_REGION adds
 * pages (and measures them in 256-byte chunks); FINALIZE_VM closes the
 * measurement and gives the build hold back; teardown releases the HKID
 * (tdx_mmu_release_hkid()), reclaims the pages (tdx_vm_destroy()) and
 * gives the hold back too, last, if the build never finished.
 */
#define pr_fmt(fmt) "tdx_sim_td: " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/unaligned.h>

#include "tdx_sim_abi.h"
#include "tdx_sim_td.h"

/*
 * KVM's tdx_lock: serializes TDH.MNG.CREATE and the teardown's
 * TDH.PHYMEM.CACHE.WB across TDs, which the module runs under one global
 * lock of its own.  Taken inside cpus_read_lock(), after a TD's VM locks;
 * nothing is taken under it.
 */
static DEFINE_MUTEX(tdx_sim_td_lock);

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

/* tdx_do_tdh_mng_key_config(), on a CPU of the package to program. */
static int key_config_on_cpu(void *data)
{
	struct tdx_sim_td *td = data;

	return seamcall_err(td, "TDH.MNG.KEY.CONFIG",
			    tdh_mng_key_config(&td->td));
}

/*
 * TDH.MNG.CREATE, then the key on one online CPU of each package; as in
 * KVM, every package needs an online CPU for that.
 */
static int create_and_key(struct tdx_sim_td *td)
{
	cpumask_var_t packages;
	unsigned int cpu;
	int ret = -EIO;

	if (!zalloc_cpumask_var(&packages, GFP_KERNEL))
		return -ENOMEM;
	cpus_read_lock();
	for_each_present_cpu(cpu)
		cpumask_set_cpu(topology_physical_package_id(cpu), packages);
	for_each_online_cpu(cpu)
		cpumask_clear_cpu(topology_physical_package_id(cpu), packages);
	if (!cpumask_empty(packages))
		goto out;
	mutex_lock(&tdx_sim_td_lock);
	ret = seamcall_err(td, "TDH.MNG.CREATE",
			   tdh_mng_create(&td->td, td->hkid));
	mutex_unlock(&tdx_sim_td_lock);
	if (!ret) {
		td->created = true;
		for_each_online_cpu(cpu) {
			if (cpumask_test_and_set_cpu(topology_physical_package_id(cpu),
						     packages))
				continue;
			ret = smp_call_on_cpu(cpu, key_config_on_cpu, td, true);
			if (ret)
				break;
		}
	}
out:
	cpus_read_unlock();
	free_cpumask_var(packages);
	return ret;
}

/**
 * tdx_sim_td_init() - start a TD build (KVM_TDX_INIT_VM)
 * @td: zeroed; the caller holds a build hold, to hand to @td on success
 * @max_pages: most pages the build will add
 *
 * Return: 0; -EIO if a SEAMCALL failed (@td->status says which status);
 * -ENXIO if TDX is not running; -ENOMEM; an error of
 * tdx_guest_keyid_alloc().  On error call tdx_sim_td_destroy(), which
 * tears down whatever was set up.
 */
int tdx_sim_td_init(struct tdx_sim_td *td, unsigned int max_pages)
{
	const struct tdx_sys_info *sysinfo = tdx_get_sysinfo();
	unsigned int i;
	u64 err;
	int ret;

	if (!sysinfo)
		return -ENXIO;
	td->pages = kcalloc(max_pages, sizeof(*td->pages), GFP_KERNEL);
	td->td.tdr_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	td->td.tdcs_nr_pages = sysinfo->td_ctrl.tdcs_base_size / PAGE_SIZE;
	td->td.tdcs_pages = kcalloc(td->td.tdcs_nr_pages,
				    sizeof(*td->td.tdcs_pages), GFP_KERNEL);
	if (!td->pages || !td->td.tdr_page || !td->td.tdcs_pages)
		return -ENOMEM;
	for (i = 0; i < td->td.tdcs_nr_pages; i++) {
		td->td.tdcs_pages[i] = alloc_page(GFP_KERNEL);
		if (!td->td.tdcs_pages[i])
			return -ENOMEM;
	}
	td->max_pages = max_pages;
	sha384_init(&td->expect);

	ret = tdx_guest_keyid_alloc();
	if (ret < 0)
		return ret;
	td->hkid = ret;

	ret = create_and_key(td);
	for (i = 0; !ret && i < td->td.tdcs_nr_pages; i++) {
		ret = seamcall_err(td, "TDH.MNG.ADDCX",
				   tdh_mng_addcx(&td->td,
						 td->td.tdcs_pages[i]));
		if (!ret)
			td->tdcs_added++;
	}
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

/* smp_func_do_phymem_cache_wb(): until done, resuming where it stopped. */
static void cache_wb_on_cpu(void *data)
{
	atomic64_t *first_err = data;
	u64 err = 0;
	int i;

	for (i = 0; i < TDX_SIM_TD_WB_RETRIES; i++) {
		err = tdh_phymem_cache_wb(!!err);
		if (err != TDX_INTERRUPTED_RESUMABLE)
			break;
	}
	if (err == TDX_NO_HKID_READY_TO_WBCACHE)
		err = 0;
	if (err)
		atomic64_cmpxchg(first_err, 0, err);
}

/*
 * tdx_mmu_release_hkid(): no vCPU may run the TD any more
 * (TDH.MNG.VPFLUSHDONE), the caches are written back on one CPU of each
 * package, and the module frees the HKID.  Returns whether it did; if
 * not, the HKID and every page of the TD are leaked.
 */
static bool release_hkid(struct tdx_sim_td *td)
{
	atomic64_t first_err = ATOMIC64_INIT(0);
	cpumask_var_t packages, targets;
	bool done = false;
	unsigned int cpu;

	if (!zalloc_cpumask_var(&packages, GFP_KERNEL))
		return false;
	if (!zalloc_cpumask_var(&targets, GFP_KERNEL)) {
		free_cpumask_var(packages);
		return false;
	}
	cpus_read_lock();
	mutex_lock(&tdx_sim_td_lock);
	if (seamcall_err(td, "TDH.MNG.VPFLUSHDONE",
			 tdh_mng_vpflushdone(&td->td)))
		goto out;
	for_each_online_cpu(cpu)
		if (!cpumask_test_and_set_cpu(topology_physical_package_id(cpu),
					      packages))
			cpumask_set_cpu(cpu, targets);
	on_each_cpu_mask(targets, cache_wb_on_cpu, &first_err, true);
	/* As KVM: after a failed write-back, TDH.MNG.KEY.FREEID fails. */
	seamcall_err(td, "TDH.PHYMEM.CACHE.WB", atomic64_read(&first_err));
	done = !seamcall_err(td, "TDH.MNG.KEY.FREEID",
			     tdh_mng_key_freeid(&td->td));
out:
	mutex_unlock(&tdx_sim_td_lock);
	cpus_read_unlock();
	free_cpumask_var(targets);
	free_cpumask_var(packages);
	return done;
}

/* __tdx_reclaim_page(): the module gives the page back. */
static int reclaim(struct tdx_sim_td *td, struct page *page)
{
	u64 type, owner, size;

	return seamcall_err(td, "TDH.PHYMEM.PAGE.RECLAIM",
			    tdh_phymem_page_reclaim(page, &type, &owner,
						    &size));
}

/* tdx_reclaim_page(): the page is the kernel's again, or leaked. */
static void reclaim_page(struct tdx_sim_td *td, struct page *page)
{
	if (reclaim(td, page))
		return;
	tdx_quirk_reset_paddr(page_to_phys(page), PAGE_SIZE);
	__free_page(page);
}

/* tdx_reclaim_td_control_pages(): the TDCS pages, then the TDR. */
static void reclaim_control_pages(struct tdx_sim_td *td)
{
	struct page *tdr = td->td.tdr_page;
	unsigned int i;

	for (i = 0; i < td->tdcs_added; i++)
		reclaim_page(td, td->td.tdcs_pages[i]);
	if (reclaim(td, tdr) ||
	    seamcall_err(td, "TDH.PHYMEM.PAGE.WBINVD",
			 tdh_phymem_page_wbinvd_tdr(&td->td)))
		return;
	tdx_quirk_reset_paddr(page_to_phys(tdr), PAGE_SIZE);
	__free_page(tdr);
}

/**
 * tdx_sim_td_destroy() - tear the TD down, finished or not
 * @td: the TD, initialized or not; zeroed again on return
 *
 * KVM's order: the module frees the HKID (tdx_mmu_release_hkid()) and it
 * is given back; the TD's pages are reclaimed, its TDR last and flushed
 * (tdx_vm_destroy()); only then does a build that never finished give
 * its hold back.  KVM removes private pages from the Secure EPT while
 * the HKID is still assigned; the simulated module has no Secure EPT,
 * so they are reclaimed here with the TD in teardown, which the module
 * allows too.  A page the module keeps (it is dead, or a step failed) is
 * leaked rather than handed back while it may still be the TD's, as KVM
 * does.
 */
void tdx_sim_td_destroy(struct tdx_sim_td *td)
{
	bool released = !td->created || release_hkid(td);
	unsigned int i;

	if (released && td->hkid > 0)
		tdx_guest_keyid_free(td->hkid);
	for (i = 0; released && i < td->nr_pages; i++)
		reclaim_page(td, td->pages[i]);
	kfree(td->pages);

	/* TDCS pages the module never got are the kernel's still. */
	for (i = td->tdcs_added; td->td.tdcs_pages && i < td->td.tdcs_nr_pages;
	     i++)
		if (td->td.tdcs_pages[i])
			__free_page(td->td.tdcs_pages[i]);
	if (td->created && released)
		reclaim_control_pages(td);
	else if (!td->created && td->td.tdr_page)
		__free_page(td->td.tdr_page);
	kfree(td->td.tdcs_pages);
	tdx_build_end(&td->hold);
	memset(td, 0, sizeof(*td));
}
EXPORT_SYMBOL_GPL(tdx_sim_td_destroy);
