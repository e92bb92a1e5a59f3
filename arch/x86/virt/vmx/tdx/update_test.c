// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the update engine: a successful update, a fault at
 * every step on every CPU, the AVOID_COMPAT_SENSITIVE backstop, and the
 * checks made before anything is touched.
 *
 * The VM runs with two CPUs; CPU 0 is the lead CPU.  A fault at SHUTDOWN
 * leaves the old module running; a fault at any later step leaves TDX
 * dead.  A fault on a CPU that never issues the faulted leaf (a lead-only
 * step on CPU 1) must not affect the update.
 */
#include <linux/cpu.h>
#include <linux/cpufeature.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <kunit/test.h>
#include <asm/tdx_update.h>

#include "tdx_update_abi.h"
#include "update.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"
#include "tdx_sim_kunit.h"

#define BOUND_MS	10000

static struct tdx_kunit_image eng_img;

static int engine_init(struct kunit *test)
{
	tdx_sim_reset(NULL, 100);
	tdx_update_set_policy(TDX_POLICY_GATE);
	return tdx_kunit_make_image(test, &eng_img, 7, 2);
}

static void engine_exit(struct kunit *test)
{
	tdx_sim_reset(NULL, 100);
}

static void engine_suite_exit(struct kunit_suite *suite)
{
	tdx_kunit_report_debug_locks();
}

static int do_update(const struct tdx_kunit_image *img, bool nonblock)
{
	struct tdx_update_request req;

	tdx_update_request_init(&req, BOUND_MS, nonblock);
	return tdx_module_update(&req, img->data, img->size);
}

static u16 running_update_version(void)
{
	struct tdx_sim_module_desc d;

	tdx_sim_running_module(&d);
	return d.update;
}

/* Build and finalize a TD with @n measured pages. */
static void build_td(struct kunit *test, struct tdx_sim_td *td, int n)
{
	u8 *buf = kunit_kmalloc(test, TDX_PAGE_SIZE, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, n, false), 0);
	for (i = 0; i < n; i++) {
		memset(buf, 0x30 + i, TDX_PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, i * TDX_PAGE_SIZE,
							  buf, true), 0);
	}
	KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
}

static void update_succeeds(struct kunit *test)
{
	struct tdx_sim_td tds[2] = {};
	struct tdx_module_version v;
	u32 before, after;
	int i;

	for (i = 0; i < ARRAY_SIZE(tds); i++)
		build_td(test, &tds[i], 3 + i);
	KUNIT_ASSERT_EQ(test, tdx_update_remaining(&before), 0);

	/* The image changes the crypto library: finished TDs don't care. */
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);

	KUNIT_ASSERT_EQ(test, tdx_module_version(&v), 0);
	KUNIT_EXPECT_EQ(test, v.major, 1);
	KUNIT_EXPECT_EQ(test, v.minor, 5);
	KUNIT_EXPECT_EQ(test, v.update, 7);
	KUNIT_EXPECT_EQ(test, running_update_version(), 7);
	KUNIT_ASSERT_EQ(test, tdx_update_remaining(&after), 0);
	KUNIT_EXPECT_EQ(test, after, before - 1);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	for (i = 0; i < ARRAY_SIZE(tds); i++) {
		KUNIT_EXPECT_EQ(test, tdx_sim_td_check_mrtd(&tds[i]), 0);
		tdx_sim_td_destroy(&tds[i]);
	}
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
}

static void update_installs_on_every_cpu_one_at_a_time(struct kunit *test)
{
	/* Stay inside the P-SEAMLDR long enough for an overlap to show. */
	KUNIT_ASSERT_EQ(test, tdx_sim_set_latency_us(P_SEAMLDR_INSTALL,
						     20 * 1000), 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL),
			num_online_cpus());
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_LP_INIT),
			num_online_cpus());
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_INIT), 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_UPDATE), 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_seamldr_overlaps(), 0);
}

struct fault_row {
	const char *name;
	u64 leaf;
	int cpu;
	u64 status;
	int ret;		/* expected from tdx_module_update() */
	bool dead;		/* expected: TDX unusable afterwards */
};

static const struct fault_row fault_rows[] = {
	{ "SHUTDOWN cpu0 invalid",
	  TDH_SYS_SHUTDOWN, 0, TDX_OPERAND_INVALID, -EIO, false },
	{ "SHUTDOWN cpu0 vmfailinvalid",
	  TDH_SYS_SHUTDOWN, 0, TDX_SEAMCALL_VMFAILINVALID, -EIO, false },
	{ "SHUTDOWN cpu0 compat-sensitive",
	  TDH_SYS_SHUTDOWN, 0, TDX_UPDATE_COMPAT_SENSITIVE, -EBUSY, false },
	{ "SHUTDOWN cpu1 (not issued)",
	  TDH_SYS_SHUTDOWN, 1, TDX_OPERAND_INVALID, 0, false },
	{ "CPU_INSTALL cpu0",
	  P_SEAMLDR_INSTALL, 0, P_SEAMLDR_EBADSIG, -EIO, true },
	{ "CPU_INSTALL cpu1",
	  P_SEAMLDR_INSTALL, 1, P_SEAMLDR_EBADPARAM, -EIO, true },
	{ "CPU_INSTALL cpu1 vmfailinvalid",
	  P_SEAMLDR_INSTALL, 1, TDX_SEAMCALL_VMFAILINVALID, -EIO, true },
	{ "CPU_INIT sys-init cpu0",
	  TDH_SYS_INIT, 0, TDX_OPERAND_INVALID, -EIO, true },
	{ "CPU_INIT sys-init cpu1 (not issued)",
	  TDH_SYS_INIT, 1, TDX_OPERAND_INVALID, 0, false },
	{ "CPU_INIT lp-init cpu0",
	  TDH_SYS_LP_INIT, 0, TDX_OP_STATE_INCORRECT, -EIO, true },
	{ "CPU_INIT lp-init cpu1",
	  TDH_SYS_LP_INIT, 1, TDX_OP_STATE_INCORRECT, -EIO, true },
	{ "RUN_UPDATE cpu0",
	  TDH_SYS_UPDATE, 0, TDX_OPERAND_INVALID, -EIO, true },
	{ "RUN_UPDATE cpu1 (not issued)",
	  TDH_SYS_UPDATE, 1, TDX_OPERAND_INVALID, 0, false },
};

static void fault_row_desc(const struct fault_row *row, char *desc)
{
	strscpy(desc, row->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fault, fault_rows, fault_row_desc);

static void fault_at_each_step_and_cpu(struct kunit *test)
{
	const struct fault_row *row = test->param_value;
	struct tdx_build_hold h = {};
	struct tdx_module_version v;
	u32 remaining;

	if (row->cpu >= num_online_cpus())
		kunit_skip(test, "needs CPU %d", row->cpu);

	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(row->leaf, row->cpu, 0,
						TDX_SIM_FAULT_ALWAYS,
						row->status), 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), row->ret);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), row->ret ? 1 : 0);

	if (row->dead) {
		KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_DEAD);
		KUNIT_EXPECT_EQ(test, tdx_module_version(&v), -ENXIO);
		/* Later builds and updates fail fast. */
		KUNIT_EXPECT_EQ(test, tdx_build_begin(&h, false), -ENXIO);
		KUNIT_EXPECT_EQ(test, tdx_build_begin(&h, true), -ENXIO);
		KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -ENXIO);
		KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
		return;
	}

	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_ASSERT_EQ(test, tdx_module_version(&v), 0);
	KUNIT_EXPECT_EQ(test, v.update, row->ret ? 6 : 7);
	KUNIT_EXPECT_EQ(test, running_update_version(), v.update);
	if (row->ret) {
		/* Nothing was installed: no update was used up. */
		KUNIT_ASSERT_EQ(test, tdx_update_remaining(&remaining), 0);
		KUNIT_EXPECT_EQ(test, remaining, 100);
		KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL), 0);
		/* ... and the old module still builds TDs. */
		KUNIT_EXPECT_EQ(test, tdx_build_begin(&h, true), 0);
		tdx_build_end(&h);
	}
}

/* A TD in its sensitive window that the gate does not know about. */
struct raw_td {
	struct page *tdr;
};

static void raw_td_start(struct kunit *test, struct raw_td *td)
{
	u64 pa;

	td->tdr = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, td->tdr);
	pa = page_to_phys(td->tdr);
	KUNIT_ASSERT_EQ(test, tdh_mng_create(pa, 1), 0);
	KUNIT_ASSERT_EQ(test, tdh_mng_key_config(pa), 0);
	KUNIT_ASSERT_EQ(test, tdh_mng_init(pa, 0), 0);
}

static void raw_td_free(struct raw_td *td)
{
	tdh_mng_key_freeid(page_to_phys(td->tdr));
	__free_page(td->tdr);
}

static void backstop_refuses_update_in_sensitive_section(struct kunit *test)
{
	struct tdx_module_version v;
	struct raw_td td;
	u32 remaining;

	raw_td_start(test, &td);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1);

	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -EBUSY);
	KUNIT_ASSERT_EQ(test, tdx_module_version(&v), 0);
	KUNIT_EXPECT_EQ(test, v.update, 6);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_ASSERT_EQ(test, tdx_update_remaining(&remaining), 0);
	KUNIT_EXPECT_EQ(test, remaining, 100);

	/* The window closes; the same update now goes through. */
	KUNIT_ASSERT_EQ(test, tdh_mr_finalize(page_to_phys(td.tdr)), 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_module_version(&v), 0);
	KUNIT_EXPECT_EQ(test, v.update, 7);
	raw_td_free(&td);
}

static void old_module_without_update_compat(struct kunit *test)
{
	struct tdx_sim_module_desc d;
	struct tdx_module_version v;

	/*
	 * It would reject the AVOID_COMPAT_SENSITIVE bit every shutdown
	 * carries: refused before anything is touched.
	 */
	tdx_sim_default_module(&d);
	d.features0 &= ~TDX_FEATURES0_UPDATE_COMPAT;
	tdx_sim_reset(&d, 100);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), 0);
	KUNIT_ASSERT_EQ(test, tdx_module_version(&v), 0);
	KUNIT_EXPECT_EQ(test, v.update, 6);
}

static void no_update_without_td_preserving(struct kunit *test)
{
	struct tdx_sim_module_desc d;
	struct tdx_build_hold h = {};

	tdx_sim_default_module(&d);
	d.features0 &= ~TDX_FEATURES0_TD_PRESERVING;
	tdx_sim_reset(&d, 100);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_UNSUPPORTED);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), 0);
	/* TD builds are not affected. */
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&h, false), 0);
	tdx_build_end(&h);
}

/*
 * A CPU that comes online ANDs its features into boot_cpu_data; the
 * platform bit must survive that, or a later probe finds no TDX.
 */
static void platform_bit_survives_cpu_online(struct kunit *test)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	bool platform;

	if (cpu == cpumask_first(cpu_online_mask))
		kunit_skip(test, "needs a second CPU");
	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	KUNIT_ASSERT_EQ(test, add_cpu(cpu), 0);
	platform = boot_cpu_has(X86_FEATURE_TDX_HOST_PLATFORM);
	KUNIT_EXPECT_TRUE(test, platform);
	tdx_sim_reset(NULL, 100);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);
}

static void no_update_when_none_remain(struct kunit *test)
{
	tdx_sim_reset(NULL, 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -ENOSPC);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), 0);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
}

static void last_remaining_update(struct kunit *test)
{
	u32 remaining;

	tdx_sim_reset(NULL, 1);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_update_remaining(&remaining), 0);
	KUNIT_EXPECT_EQ(test, remaining, 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -ENOSPC);
}

static void handoff_version_not_accepted(struct kunit *test)
{
	struct tdx_sim_module_desc d;
	struct tdx_kunit_image img;
	struct tdx_build_hold h = {};

	/* The new module cannot import version-4 handoff data. */
	tdx_sim_default_module(&d);
	d.update = 8;
	d.min_handoff_version = 5;
	d.handoff_version = 5;
	img.size = tdx_sim_image_size(2);
	img.data = kunit_kzalloc(test, img.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, img.data);
	tdx_sim_make_image(img.data, &d, 2);

	KUNIT_EXPECT_EQ(test, do_update(&img, false), -EIO);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_DEAD);
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&h, false), -ENXIO);
}

static void entropy_shortage_is_retried(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_SHUTDOWN, -1, 0, 2,
						TDX_RND_NO_ENTROPY), 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), 3);
	KUNIT_EXPECT_EQ(test, running_update_version(), 7);
}

static void dead_after_update_failure_stays_dead(struct kunit *test)
{
	struct tdx_module_version v;
	u32 remaining;

	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_UPDATE, -1, 0, 1,
						TDX_OPERAND_INVALID), 0);
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, false), -EIO);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_DEAD);
	/* The fault is spent, yet nothing is tried on a dead module. */
	KUNIT_EXPECT_EQ(test, do_update(&eng_img, true), -ENXIO);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), 1);
	KUNIT_EXPECT_EQ(test, tdx_module_version(&v), -ENXIO);
	/* The P-SEAMLDR itself still answers. */
	KUNIT_EXPECT_EQ(test, tdx_update_remaining(&remaining), 0);
}

static struct kunit_case engine_cases[] = {
	KUNIT_CASE(update_succeeds),
	KUNIT_CASE(update_installs_on_every_cpu_one_at_a_time),
	KUNIT_CASE_PARAM(fault_at_each_step_and_cpu, fault_gen_params),
	KUNIT_CASE(backstop_refuses_update_in_sensitive_section),
	KUNIT_CASE(old_module_without_update_compat),
	KUNIT_CASE(no_update_without_td_preserving),
	KUNIT_CASE(platform_bit_survives_cpu_online),
	KUNIT_CASE(no_update_when_none_remain),
	KUNIT_CASE(last_remaining_update),
	KUNIT_CASE(handoff_version_not_accepted),
	KUNIT_CASE(entropy_shortage_is_retried),
	KUNIT_CASE(dead_after_update_failure_stays_dead),
	{}
};

static struct kunit_suite engine_suite = {
	.name = "tdx_update_engine",
	.init = engine_init,
	.exit = engine_exit,
	.suite_exit = engine_suite_exit,
	.test_cases = engine_cases,
};

kunit_test_suite(engine_suite);
