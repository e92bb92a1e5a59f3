// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the simulated module's TD life cycle through upstream's tdh_*()
 * wrappers, as KVM drives it: TDCS pages before TDH.MNG.INIT, teardown
 * in the module's order (VPFLUSHDONE, CACHE.WB on every package,
 * KEY.FREEID, PAGE.RECLAIM with the TDR last, PAGE.WBINVD), each page
 * owned by one TD at a time, and each leaf out of order refused with the
 * module's status.  The stand-in TD (tdx_sim_td.c) must tear down
 * completely, and leak what the module keeps when a step fails.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <asm/tdx.h>

#include "tdx.h"
#include "tdx_sim_abi.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"

/* Leaves counted from the start of a case. */
static const u64 counted[] = {
	TDH_MNG_ADDCX, TDH_MNG_VPFLUSHDONE, TDH_PHYMEM_CACHE_WB,
	TDH_MNG_KEY_FREEID, TDH_PHYMEM_PAGE_RECLAIM, TDH_PHYMEM_PAGE_WBINVD,
};

struct td_test {
	u32 remaining;
	unsigned long base[ARRAY_SIZE(counted)];
};

/* Calls of counted[@i] since the case began. */
static unsigned long calls(struct kunit *test, unsigned int i)
{
	struct td_test *t = test->priv;

	return tdx_sim_calls(counted[i]) - t->base[i];
}

static unsigned int nr_packages(void)
{
	cpumask_var_t seen;
	unsigned int cpu, n = 0;

	if (!zalloc_cpumask_var(&seen, GFP_KERNEL))
		return 0;
	for_each_online_cpu(cpu)
		n += !cpumask_test_and_set_cpu(topology_physical_package_id(cpu),
					       seen);
	free_cpumask_var(seen);
	return n;
}

static unsigned int tdcs_pages(void)
{
	return tdx_get_sysinfo()->td_ctrl.tdcs_base_size / PAGE_SIZE;
}

/* A TD built by the stand-in: @nr_pages measured pages, finalized. */
static void build(struct kunit *test, struct tdx_sim_td *td,
		  unsigned int nr_pages, bool finalize)
{
	u8 *data = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, data);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, nr_pages), 0);
	for (i = 0; i < nr_pages; i++) {
		memset(data, i + 1, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, i * PAGE_SIZE,
							  data, true), 0);
	}
	if (finalize)
		KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
}

/*
 * A finished build and one torn down mid-way both leave nothing behind,
 * through every teardown leaf once per TD (CACHE.WB once per package,
 * RECLAIM once per page).
 */
static void tdx_sim_td_full_teardown(struct kunit *test)
{
	unsigned int pkgs = nr_packages();
	struct tdx_sim_td td = {};
	bool finalize;

	KUNIT_ASSERT_GT(test, pkgs, 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_live_tds(), 0);
	for (finalize = false; ; finalize = true) {
		build(test, &td, 3, finalize);
		KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1);
		KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), !finalize);
		tdx_sim_td_destroy(&td);
		KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
		if (finalize)
			break;
	}
	KUNIT_EXPECT_EQ(test, calls(test, 0), 2 * tdcs_pages());
	KUNIT_EXPECT_EQ(test, calls(test, 1), 2);
	KUNIT_EXPECT_EQ(test, calls(test, 2), 2 * pkgs);
	KUNIT_EXPECT_EQ(test, calls(test, 3), 2);
	KUNIT_EXPECT_EQ(test, calls(test, 4), 2 * (3 + tdcs_pages() + 1));
	KUNIT_EXPECT_EQ(test, calls(test, 5), 2);
}

/*
 * TDH.MNG.INIT needs every TDCS page, and no more; TDH.MNG.ADDCX comes
 * after the key and before the build.
 */
static void tdx_sim_td_addcx_before_init(struct kunit *test)
{
	struct tdx_sim_td td = {};
	struct page *extra;
	u64 err;

	/* tdx_sim_td_init() stops after a failed ADDCX: fail the last. */
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_MNG_ADDCX, -1,
						tdcs_pages() - 1, 1,
						TDX_OPERAND_BUSY), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_td_init(&td, 1), -EIO);
	KUNIT_EXPECT_EQ(test, td.status, TDX_OPERAND_BUSY);
	KUNIT_ASSERT_EQ(test, td.tdcs_added, tdcs_pages() - 1);
	KUNIT_EXPECT_EQ(test, tdh_mng_init(&td.td, 0, &err),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 0);

	/* The last page, then one too many, then after INIT. */
	KUNIT_EXPECT_EQ(test, tdh_mng_addcx(&td.td,
					    td.td.tdcs_pages[td.tdcs_added]),
			TDX_SUCCESS);
	td.tdcs_added++;
	extra = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, extra);
	KUNIT_EXPECT_EQ(test, tdh_mng_addcx(&td.td, extra),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_mng_init(&td.td, 0, &err), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1);
	KUNIT_EXPECT_EQ(test, tdh_mng_addcx(&td.td, extra),
			TDX_OP_STATE_INCORRECT);
	__free_page(extra);

	tdx_sim_td_destroy(&td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
}

/* The module owns a page for one TD, in one role. */
static void tdx_sim_td_page_owned_once(struct kunit *test)
{
	struct tdx_sim_td a = {}, b = {};
	struct tdx_td other = {};
	struct page *tdcs;
	u64 e1, e2;

	build(test, &a, 1, false);
	build(test, &b, 1, false);
	tdcs = a.td.tdcs_pages[0];
	other.tdr_page = tdcs;

	/* A's TDCS page as B's private page, or as another TD's TDR. */
	KUNIT_EXPECT_EQ(test, tdh_mem_page_add(&b.td, PAGE_SIZE,
					       page_to_pfn(tdcs), tdcs,
					       &e1, &e2),
			TDX_PAGE_METADATA_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_mng_create(&other, b.hkid),
			TDX_PAGE_METADATA_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 2);

	tdx_sim_td_destroy(&a);
	tdx_sim_td_destroy(&b);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
}

/* Each teardown leaf before its turn gets the module's status. */
static void tdx_sim_td_teardown_order(struct kunit *test)
{
	struct tdx_sim_td td = {};
	u64 type, owner, size, e1, e2;
	struct page *tdr;
	unsigned int i;

	/* One write-back below must do for every package. */
	if (nr_packages() != 1)
		kunit_skip(test, "needs a single package");
	build(test, &td, 1, false);
	tdr = td.td.tdr_page;

	KUNIT_EXPECT_EQ(test, tdh_mng_key_freeid(&td.td),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(td.td.tdcs_pages[0],
						      &type, &owner, &size),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_phymem_cache_wb(false),
			TDX_NO_HKID_READY_TO_WBCACHE);

	KUNIT_ASSERT_EQ(test, tdh_mng_vpflushdone(&td.td), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 0);
	KUNIT_EXPECT_EQ(test, tdh_mr_finalize(&td.td), TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_mr_extend(&td.td, 0, &e1, &e2),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_mng_vpflushdone(&td.td),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_mng_key_freeid(&td.td),
			TDX_KEY_STATE_INCORRECT);

	/* One write-back does it, a second finds nothing. */
	KUNIT_EXPECT_EQ(test, tdh_phymem_cache_wb(false), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdh_phymem_cache_wb(false),
			TDX_NO_HKID_READY_TO_WBCACHE);
	KUNIT_ASSERT_EQ(test, tdh_mng_key_freeid(&td.td), TDX_SUCCESS);
	tdx_guest_keyid_free(td.hkid);

	/* The TDR goes last, and is flushed once the module let it go. */
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(tdr, &type, &owner,
						      &size),
			TDX_TD_ASSOCIATED_PAGES_EXIST);
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_wbinvd_tdr(&td.td),
			TDX_PAGE_METADATA_INCORRECT);
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(td.pages[0], &type,
						      &owner, &size),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, type, TDX_PT_REG);
	KUNIT_EXPECT_EQ(test, owner, page_to_phys(tdr));
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(td.pages[0], &type,
						      &owner, &size),
			TDX_PAGE_METADATA_INCORRECT);
	for (i = 0; i < td.tdcs_added; i++) {
		KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(td.td.tdcs_pages[i],
							      &type, &owner,
							      &size),
				TDX_SUCCESS);
		KUNIT_EXPECT_EQ(test, type, TDX_PT_TDCX);
	}
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1);
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_reclaim(tdr, &type, &owner,
						      &size),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, type, TDX_PT_TDR);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
	KUNIT_EXPECT_EQ(test, tdh_phymem_page_wbinvd_tdr(&td.td), TDX_SUCCESS);

	/* Every page is the kernel's again. */
	__free_page(td.pages[0]);
	for (i = 0; i < td.tdcs_added; i++)
		__free_page(td.td.tdcs_pages[i]);
	__free_page(tdr);
	kfree(td.pages);
	kfree(td.td.tdcs_pages);
}

/*
 * An interrupted CACHE.WB is called again until it is done; after a
 * failed one, KEY.FREEID fails too (as KVM relies on) and the TD's pages
 * are leaked.
 */
static void tdx_sim_td_cache_wb_faults(struct kunit *test)
{
	struct tdx_sim_td td = {};

	build(test, &td, 1, true);
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_PHYMEM_CACHE_WB, -1, 0, 2,
						TDX_INTERRUPTED_RESUMABLE), 0);
	tdx_sim_td_destroy(&td);
	KUNIT_EXPECT_EQ(test, calls(test, 2), 2 + nr_packages());
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);

	build(test, &td, 1, true);
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_PHYMEM_CACHE_WB, -1, 0, 1,
						TDX_OPERAND_BUSY), 0);
	tdx_sim_td_destroy(&td);
	/* HKID, TDR, TDCS and private pages stay the module's: leaked. */
	KUNIT_EXPECT_EQ(test, calls(test, 3), 2);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1);
	KUNIT_EXPECT_EQ(test, calls(test, 4), 1 + tdcs_pages() + 1);
}

/*
 * With a build hold out, as through the test device: an INIT_VM that
 * fails half-way (KEY.CONFIG) and a teardown whose first step fails
 * (VPFLUSHDONE) each give the hold back, leave the gate idle and the
 * module running, and the next build goes through.  No reset between.
 */
static void tdx_sim_td_failed_steps_release_hold(struct kunit *test)
{
	static const u64 leaves[] = { TDH_MNG_KEY_CONFIG, TDH_MNG_VPFLUSHDONE };
	struct tdx_build_hold hold = {};
	struct tdx_sim_td td = {};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(leaves[i], -1, 0, 1,
							TDX_OPERAND_BUSY), 0);
		KUNIT_ASSERT_EQ(test, tdx_build_begin(&hold, false), 0);
		ret = tdx_sim_td_init(&td, 1);
		if (!ret)
			tdx_build_hold_move(&td.hold, &hold);
		tdx_build_end(&hold);
		KUNIT_EXPECT_EQ(test, ret, i ? 0 : -EIO);
		KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), i ? 1U : 0U);
		tdx_sim_td_destroy(&td);

		KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), i + 1);
		KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0U);
		KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
		KUNIT_EXPECT_NOT_NULL(test, tdx_get_sysinfo());
	}
	/* KEY.CONFIG's TD was torn down; VPFLUSHDONE's is kept (leaked). */
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1U);

	build(test, &td, 1, true);
	tdx_sim_td_destroy(&td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1U);
}

static int tdx_sim_td_test_init(struct kunit *test)
{
	struct td_test *t;
	unsigned int i;

	if (!tdx_get_sysinfo())
		return -ENODEV;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->remaining = tdx_sim_remaining_updates();
	/* No TD another suite left behind counts here. */
	if (tdx_sim_reset(t->remaining))
		return -EBUSY;
	for (i = 0; i < ARRAY_SIZE(counted); i++)
		t->base[i] = tdx_sim_calls(counted[i]);
	test->priv = t;
	return 0;
}

/*
 * Forget the TDs a case left in the module (one that failed, or one the
 * module kept); what the kernel leaked with them stays leaked.
 */
static void tdx_sim_td_test_exit(struct kunit *test)
{
	struct td_test *t = test->priv;

	tdx_sim_clear_faults();
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(t->remaining), 0);
}

static struct kunit_case tdx_sim_td_cases[] = {
	KUNIT_CASE(tdx_sim_td_full_teardown),
	KUNIT_CASE(tdx_sim_td_addcx_before_init),
	KUNIT_CASE(tdx_sim_td_page_owned_once),
	KUNIT_CASE(tdx_sim_td_teardown_order),
	KUNIT_CASE(tdx_sim_td_cache_wb_faults),
	KUNIT_CASE(tdx_sim_td_failed_steps_release_hold),
	{}
};

static struct kunit_suite tdx_sim_td_suite = {
	.name = "tdx_sim_td",
	.init = tdx_sim_td_test_init,
	.exit = tdx_sim_td_test_exit,
	.test_cases = tdx_sim_td_cases,
};

kunit_test_suite(tdx_sim_td_suite);

MODULE_DESCRIPTION("KUnit: TD life cycle in the simulated TDX module");
MODULE_LICENSE("GPL");
