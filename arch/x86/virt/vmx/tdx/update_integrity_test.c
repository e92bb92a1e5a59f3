// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for what the gate is for: TD measurements stay right while
 * updates that change the module's crypto library keep coming.
 *
 * Builder threads build TDs page by page, pausing between pages, and
 * check every MRTD against their own SHA-384; an updater thread keeps
 * installing modules with a new crypto library.  With the gate no MRTD
 * may be wrong.  With coordination switched off, as upstream merged it,
 * wrong MRTDs must appear: that proves the check can fail.  With only
 * the AVOID_COMPAT_SENSITIVE backstop (upstream's dropped drafts), on a
 * module that offers UPDATE_COMPAT, MRTDs stay right but updates are
 * refused while builds run.  Builds take the build hold as KVM's do and
 * go through upstream's tdh_*() wrappers (tdx_sim_td.c).
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <kunit/test.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

#include "update.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"
#include "tdx_sim_kunit.h"

#define NR_BUILDERS		4
#define MAX_PAGES		6
#define NR_UPDATES		8
#define UPDATE_GAP_MS		30
/* Without coordination, keep updating until wrong MRTDs show, up to: */
#define MAX_UNCOORDINATED	40

struct integrity_run {
	struct kunit *test;
	bool stop;			/* READ_ONCE/WRITE_ONCE */
	atomic_t builds;		/* TDs built and checked */
	atomic_t wrong;			/* ... whose MRTD was wrong */
	atomic_t failed;		/* builds that failed outright */
	atomic_t running;		/* builder threads alive */
	struct completion builders_done;
	unsigned int updates;		/* updates that succeeded */
	unsigned int busy;		/* updates refused with -EBUSY */
	unsigned int other;		/* updates that failed otherwise */
	bool compat;			/* modules offer UPDATE_COMPAT */
};

/*
 * An image of the default module (the real release 1.5.06, without
 * UPDATE_COMPAT) with another update and crypto library, and with
 * UPDATE_COMPAT if the run is about the backstop.
 */
static int make_update_image(struct integrity_run *run,
			     struct tdx_kunit_image *img, u16 update,
			     u32 crypto_lib_version)
{
	struct tdx_sim_module_desc desc;

	tdx_sim_default_module(&desc);
	desc.update = update;
	desc.crypto_lib_version = crypto_lib_version;
	if (run->compat)
		desc.features0 |= TDX_FEATURES0_UPDATE_COMPAT;
	img->size = tdx_sim_image_size(2);
	img->data = kunit_kzalloc(run->test, img->size, GFP_KERNEL);
	if (!img->data)
		return -ENOMEM;
	return tdx_sim_make_image(img->data, &desc, 2);
}

/* Whether @td's MRTD is right: 0, -EBADMSG if wrong, or why unreadable */
static int check_mrtd(struct tdx_sim_td *td)
{
	u8 mrtd[SHA384_DIGEST_SIZE];
	int ret = tdx_sim_td_read_mrtd(td, mrtd);

	if (ret)
		return ret;
	return memcmp(mrtd, td->expected_mrtd, sizeof(mrtd)) ? -EBADMSG : 0;
}

/* One TD, with the build hold KVM takes, handed to the TD once it exists */
static int build_one(struct integrity_run *run, u8 *buf)
{
	unsigned int i, n = 1 + get_random_u32_below(MAX_PAGES);
	struct tdx_build_hold hold = {};
	struct tdx_sim_td td = {};
	int ret;

	ret = tdx_build_begin(&hold, false);
	if (ret)
		return ret;
	ret = tdx_sim_td_init(&td, n);
	if (!ret)
		tdx_build_hold_move(&td.hold, &hold);
	tdx_build_end(&hold);
	for (i = 0; !ret && i < n; i++) {
		get_random_bytes(buf, 64);
		memset(buf + 64, i, TDX_PAGE_SIZE - 64);
		ret = tdx_sim_td_add_page(&td, (u64)i * TDX_PAGE_SIZE, buf,
					  i != 1);
		/* Time inside the build: where an update could land. */
		usleep_range(500, 2000);
	}
	if (!ret)
		ret = tdx_sim_td_finalize(&td);
	if (!ret) {
		ret = check_mrtd(&td);
		atomic_inc(&run->builds);
		if (ret == -EBADMSG)
			atomic_inc(&run->wrong);
		ret = ret == -EBADMSG ? 0 : ret;
	}
	tdx_sim_td_destroy(&td);
	return ret;
}

static int builder_fn(void *arg)
{
	struct integrity_run *run = arg;
	u8 *buf = kmalloc(TDX_PAGE_SIZE, GFP_KERNEL);

	while (buf && !READ_ONCE(run->stop))
		if (build_one(run, buf))
			atomic_inc(&run->failed);
	kfree(buf);
	if (atomic_dec_and_test(&run->running))
		complete(&run->builders_done);
	return 0;
}

/* Run builders while updates come, until @enough says stop. */
static void run_workload(struct kunit *test, struct integrity_run *run,
			 bool (*enough)(struct integrity_run *run,
					unsigned int attempts))
{
	struct tdx_kunit_image img;
	unsigned int attempt;
	int i, ret;

	/* The backstop needs a module that offers UPDATE_COMPAT: one first. */
	if (run->compat) {
		struct tdx_update_request req;

		KUNIT_ASSERT_EQ(test, make_update_image(run, &img, 9, 1), 0);
		tdx_update_request_init(&req, 10000, false);
		KUNIT_ASSERT_EQ(test, tdx_module_update(&req, img.data,
							img.size), 0);
		KUNIT_ASSERT_TRUE(test, tdx_update_backstop());
	}

	init_completion(&run->builders_done);
	atomic_set(&run->running, NR_BUILDERS);
	for (i = 0; i < NR_BUILDERS; i++)
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(builder_fn, run,
							    "tdx_builder/%d", i)));

	for (attempt = 0; !enough(run, attempt); attempt++) {
		struct tdx_update_request req;

		msleep(UPDATE_GAP_MS);
		/* A new crypto library every time. */
		KUNIT_ASSERT_EQ(test, make_update_image(run, &img,
							10 + attempt,
							2 + attempt), 0);
		tdx_update_request_init(&req, 10000, false);
		ret = tdx_module_update(&req, img.data, img.size);
		if (!ret)
			run->updates++;
		else if (ret == -EBUSY)
			run->busy++;
		else
			run->other++;
	}

	WRITE_ONCE(run->stop, true);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&run->builders_done,
						    20000));
}

static int integrity_init(struct kunit *test)
{
	tdx_sim_reset(1000);
	return 0;
}

static void integrity_exit(struct kunit *test)
{
	tdx_update_set_policy(TDX_POLICY_GATE);
	tdx_sim_reset(1000);
}

static void integrity_suite_exit(struct kunit_suite *suite)
{
	tdx_kunit_report_debug_locks();
}

static bool fixed_count(struct integrity_run *run, unsigned int attempts)
{
	return attempts >= NR_UPDATES;
}

static void gate_keeps_every_mrtd_right(struct kunit *test)
{
	struct integrity_run run = { .test = test };

	tdx_update_set_policy(TDX_POLICY_GATE);
	run_workload(test, &run, fixed_count);

	pr_info("tdx_demo: gate on: %d builders, %d TDs built and checked, %u/%u updates done (each changed the crypto library), %d wrong MRTDs\n",
		NR_BUILDERS, atomic_read(&run.builds), run.updates, NR_UPDATES,
		atomic_read(&run.wrong));
	KUNIT_EXPECT_EQ(test, run.updates, NR_UPDATES);
	KUNIT_EXPECT_EQ(test, atomic_read(&run.wrong), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&run.failed), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&run.builds), NR_BUILDERS);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0);
}

static bool wrong_seen(struct integrity_run *run, unsigned int attempts)
{
	return atomic_read(&run->wrong) > 0 || attempts >= MAX_UNCOORDINATED;
}

static void no_coordination_corrupts_mrtds(struct kunit *test)
{
	struct integrity_run run = { .test = test };

	tdx_update_set_policy(TDX_POLICY_NONE);
	run_workload(test, &run, wrong_seen);

	pr_info("tdx_demo: gate off (no coordination, as upstream merged): %d TDs built, %u updates done, %d wrong MRTDs\n",
		atomic_read(&run.builds), run.updates, atomic_read(&run.wrong));
	/* The check must be able to fail, or the test above proves nothing. */
	KUNIT_EXPECT_GT(test, atomic_read(&run.wrong), 0);
	KUNIT_EXPECT_EQ(test, run.busy, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&run.failed), 0);
}

static bool backstop_seen(struct integrity_run *run, unsigned int attempts)
{
	return attempts >= NR_UPDATES;
}

static void backstop_alone_refuses_updates(struct kunit *test)
{
	struct integrity_run run = { .test = test, .compat = true };

	tdx_update_set_policy(TDX_POLICY_FAILFAST);
	run_workload(test, &run, backstop_seen);

	pr_info("tdx_demo: backstop only (fail fast, as upstream's drafts): %d TDs built, %u updates done, %u refused busy, %d wrong MRTDs\n",
		atomic_read(&run.builds), run.updates, run.busy,
		atomic_read(&run.wrong));
	KUNIT_EXPECT_EQ(test, atomic_read(&run.wrong), 0);
	KUNIT_EXPECT_EQ(test, run.other, 0);
	/* Builds are nearly always in flight: most updates bounce. */
	KUNIT_EXPECT_GT(test, run.busy, 0);
	KUNIT_EXPECT_EQ(test, run.updates + run.busy, NR_UPDATES);
}

static struct kunit_case integrity_cases[] = {
	KUNIT_CASE_SLOW(gate_keeps_every_mrtd_right),
	KUNIT_CASE_SLOW(no_coordination_corrupts_mrtds),
	KUNIT_CASE_SLOW(backstop_alone_refuses_updates),
	{}
};

static struct kunit_suite integrity_suite = {
	.name = "tdx_integrity",
	.init = integrity_init,
	.exit = integrity_exit,
	.suite_exit = integrity_suite_exit,
	.test_cases = integrity_cases,
};

kunit_test_suite(integrity_suite);
