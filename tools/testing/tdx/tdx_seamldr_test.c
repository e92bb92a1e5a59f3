// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: upstream's runtime update (seamldr_install_module()) against the
 * simulated module, where a step fails.  Each case guards one fix to
 * arch/x86/virt/vmx/tdx/seamldr.c or tdx.c.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <asm/seamldr.h>
#include <asm/tdx.h>

#include "tdx.h"
#include "tdx_blob.h"
#include "tdx_sim_abi.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"

/*
 * An image of the running module with update number @update and
 * TDX_FEATURES0 @features0, in vmalloc() memory as fw_upload's.
 */
static u8 *make_module(struct kunit *test, u16 update, u64 features0,
		       size_t *size)
{
	struct tdx_sim_module_desc desc;
	u8 *buf;

	tdx_sim_running_module(&desc);
	desc.update = update;
	desc.features0 = features0;
	*size = tdx_sim_image_size(2);
	buf = vmalloc(*size);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, tdx_sim_make_image(buf, &desc, 2), 0);
	return buf;
}

/* An image of the running module with update number @update. */
static u8 *make_image(struct kunit *test, u16 update, size_t *size)
{
	struct tdx_sim_module_desc run;

	tdx_sim_running_module(&run);
	return make_module(test, update, run.features0, size);
}

/* Update to the next update number, with TDX_FEATURES0 @features0. */
static int update_to(struct kunit *test, u64 features0)
{
	struct tdx_sim_module_desc run;
	size_t size;
	int ret;
	u8 *img;

	tdx_sim_running_module(&run);
	img = make_module(test, run.update + 1, features0, &size);
	ret = seamldr_install_module(img, size);
	vfree(img);
	return ret;
}

/*
 * Start a TD build through the kernel's TDX wrappers, as KVM does
 * (tdx_sim_td.c), without a build hold: it is update-sensitive from here.
 */
static void td_build_start(struct kunit *test, struct tdx_sim_td *t)
{
	int ret = tdx_sim_td_init(t, 1);

	if (ret)
		tdx_sim_td_destroy(t);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1);
}

/* After a failed update: power-cycle, then update to bring TDX back. */
static void revive(struct kunit *test, u32 remaining)
{
	struct tdx_sim_module_desc run;
	size_t size;
	u8 *img;

	tdx_sim_clear_faults();
	KUNIT_ASSERT_EQ(test, tdx_sim_reset(remaining), 0);
	tdx_sim_running_module(&run);
	img = make_image(test, run.update, &size);
	KUNIT_EXPECT_EQ(test, seamldr_install_module(img, size), 0);
	vfree(img);
	KUNIT_EXPECT_NOT_NULL(test, tdx_get_sysinfo());
}

/* A good update, as the baseline for the cases below. */
static void tdx_seamldr_update(struct kunit *test)
{
	struct tdx_sim_module_desc run;
	size_t size;
	u8 *img;

	tdx_sim_running_module(&run);
	img = make_image(test, run.update + 1, &size);
	KUNIT_EXPECT_EQ(test, seamldr_install_module(img, size), 0);
	vfree(img);
	KUNIT_ASSERT_NOT_NULL(test, tdx_get_sysinfo());
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->version.update_version,
			run.update + 1);
}

/*
 * Once a CPU's SEAMLDR.INSTALL failed, no other CPU installs: the
 * update is off, and CPUs with and without the new module must not be
 * left side by side.  The update reports the P-SEAMLDR's failure
 * (-EIO), whichever CPU stop_machine() takes its result from.  Tried a
 * few times, as which CPU fails and which finishes last varies.
 */
static void tdx_seamldr_no_install_after_failure(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	struct tdx_sim_module_desc run;
	unsigned long installs;
	unsigned int fired;
	size_t size;
	int i;
	u8 *img;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	for (i = 0; i < 8; i++) {
		installs = tdx_sim_calls(P_SEAMLDR_INSTALL);
		fired = tdx_sim_faults_fired();
		tdx_sim_running_module(&run);
		img = make_image(test, run.update + 1, &size);
		/* Whichever CPU comes first fails. */
		KUNIT_ASSERT_EQ(test,
				tdx_sim_add_fault(P_SEAMLDR_INSTALL, -1, 0, 1,
						  P_SEAMLDR_EBADSIG), 0);
		KUNIT_EXPECT_EQ(test, seamldr_install_module(img, size), -EIO);
		vfree(img);
		KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired() - fired, 1);
		KUNIT_EXPECT_EQ(test,
				tdx_sim_calls(P_SEAMLDR_INSTALL) - installs, 1);
		revive(test, remaining);
	}
}

/*
 * The module's version cannot be read after TDH.SYS.UPDATE: the update
 * fails, and TDX is not used with a module the kernel cannot describe.
 * No WARN: a firmware failure is not a kernel bug.
 */
static void tdx_seamldr_version_unreadable(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	unsigned int fired = tdx_sim_faults_fired();
	struct tdx_sim_module_desc run;
	size_t size;
	u8 *img;

	tdx_sim_running_module(&run);
	img = make_image(test, run.update + 1, &size);
	/* The first TDH.SYS.RD reads the handoff version; fail the next. */
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_RD, -1, 1, 1,
						TDX_SYS_NOT_READY), 0);
	KUNIT_EXPECT_NE(test, seamldr_install_module(img, size), 0);
	vfree(img);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired() - fired, 1);
	KUNIT_EXPECT_NULL(test, tdx_get_sysinfo());
	revive(test, remaining);
}

/* The update was refused with @ret, and nothing was shut down. */
static void expect_refused(struct kunit *test, int ret, int want,
			   unsigned long shutdowns)
{
	KUNIT_EXPECT_EQ(test, ret, want);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_SHUTDOWN), shutdowns);
	KUNIT_EXPECT_NOT_NULL(test, tdx_get_sysinfo());
}

/* Zero sigstruct or module pages, the length agreeing: refused first. */
static void tdx_seamldr_zero_counts(struct kunit *test)
{
	unsigned long shutdowns = tdx_sim_calls(TDH_SYS_SHUTDOWN);
	struct tdx_blob_hdr *hdr;
	size_t size;
	u8 *img;

	img = make_image(test, 7, &size);
	hdr = (struct tdx_blob_hdr *)img;
	hdr->module_pages = 0;
	expect_refused(test, seamldr_install_module(img, 2 * TDX_PAGE_SIZE),
		       -EINVAL, shutdowns);
	hdr->module_pages = 2;
	hdr->sigstruct_pages = 0;
	memmove(img + TDX_PAGE_SIZE, img + 2 * TDX_PAGE_SIZE, 2 * TDX_PAGE_SIZE);
	expect_refused(test, seamldr_install_module(img, size - TDX_PAGE_SIZE),
		       -EINVAL, shutdowns);
	vfree(img);
}

/* No update left on the P-SEAMLDR: refused before the shutdown. */
static void tdx_seamldr_no_room(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	unsigned long shutdowns;
	size_t size;
	u8 *img;

	KUNIT_ASSERT_EQ(test, tdx_sim_reset(0), 0);
	shutdowns = tdx_sim_calls(TDH_SYS_SHUTDOWN);
	img = make_image(test, 7, &size);
	expect_refused(test, seamldr_install_module(img, size), -ENOSPC,
		       shutdowns);
	vfree(img);
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(remaining), 0);
}

/* A CPU offline cannot install: refused before the shutdown. */
static void tdx_seamldr_cpu_offline(struct kunit *test)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	unsigned long shutdowns = tdx_sim_calls(TDH_SYS_SHUTDOWN);
	size_t size;
	u8 *img;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	img = make_image(test, 7, &size);
	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	expect_refused(test, seamldr_install_module(img, size), -EBUSY,
		       shutdowns);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	vfree(img);
}

/* The kernel's TDX_FEATURES0 is the running module's, after updates too. */
static void tdx_seamldr_features_follow_update(struct kunit *test)
{
	struct tdx_sim_module_desc run;
	u64 features0;

	tdx_sim_running_module(&run);
	features0 = run.features0;
	KUNIT_ASSERT_EQ(test, update_to(test, features0 | TDX_FEATURES0_UPDATE_COMPAT), 0);
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->features.tdx_features0,
			features0 | TDX_FEATURES0_UPDATE_COMPAT);
	KUNIT_ASSERT_EQ(test, update_to(test, features0), 0);
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->features.tdx_features0,
			features0);
}

/*
 * A module that offers UPDATE_COMPAT gets AVOID_COMPAT_SENSITIVE on
 * TDH.SYS.SHUTDOWN: while a TD build is in flight the update is refused
 * with -EBUSY, before the running module stops, and goes through once
 * the build is over.
 */
static void tdx_seamldr_backstop(struct kunit *test)
{
	struct tdx_sim_module_desc run, before;
	unsigned long installs;
	struct tdx_sim_td t = {};
	u64 features0;

	tdx_sim_running_module(&run);
	features0 = run.features0;
	KUNIT_ASSERT_EQ(test, update_to(test, features0 | TDX_FEATURES0_UPDATE_COMPAT), 0);

	td_build_start(test, &t);
	tdx_sim_running_module(&before);
	installs = tdx_sim_calls(P_SEAMLDR_INSTALL);
	KUNIT_EXPECT_EQ(test, update_to(test, features0 | TDX_FEATURES0_UPDATE_COMPAT),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(P_SEAMLDR_INSTALL), installs);
	KUNIT_EXPECT_NOT_NULL(test, tdx_get_sysinfo());
	tdx_sim_running_module(&run);
	KUNIT_EXPECT_EQ(test, run.update, before.update);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1);
	tdx_sim_td_destroy(&t);

	KUNIT_EXPECT_EQ(test, update_to(test, features0), 0);
}

/*
 * A module without UPDATE_COMPAT (every published release) does not
 * know the flag: the kernel does not pass it, and the update goes
 * through a TD build in flight.  Keeping updates out of builds there is
 * the gate's job.
 */
static void tdx_seamldr_no_backstop_without_update_compat(struct kunit *test)
{
	struct tdx_sim_module_desc run;
	struct tdx_sim_td t = {};

	/* An earlier suite may have left a module with the bit running. */
	tdx_sim_running_module(&run);
	if (run.features0 & TDX_FEATURES0_UPDATE_COMPAT)
		KUNIT_ASSERT_EQ(test, update_to(test, run.features0 &
						~TDX_FEATURES0_UPDATE_COMPAT), 0);
	tdx_sim_running_module(&run);
	KUNIT_ASSERT_FALSE(test, run.features0 & TDX_FEATURES0_UPDATE_COMPAT);
	td_build_start(test, &t);
	KUNIT_EXPECT_EQ(test, update_to(test, run.features0), 0);
	tdx_sim_td_destroy(&t);
}

static int tdx_seamldr_test_init(struct kunit *test)
{
	tdx_sim_clear_faults();
	return tdx_get_sysinfo() ? 0 : -ENODEV;
}

static struct kunit_case tdx_seamldr_cases[] = {
	KUNIT_CASE(tdx_seamldr_update),
	KUNIT_CASE(tdx_seamldr_zero_counts),
	KUNIT_CASE(tdx_seamldr_no_room),
	KUNIT_CASE(tdx_seamldr_cpu_offline),
	KUNIT_CASE(tdx_seamldr_no_install_after_failure),
	KUNIT_CASE(tdx_seamldr_version_unreadable),
	KUNIT_CASE(tdx_seamldr_features_follow_update),
	KUNIT_CASE(tdx_seamldr_backstop),
	KUNIT_CASE(tdx_seamldr_no_backstop_without_update_compat),
	{}
};

static struct kunit_suite tdx_seamldr_suite = {
	.name = "tdx_seamldr",
	.init = tdx_seamldr_test_init,
	.test_cases = tdx_seamldr_cases,
};

kunit_test_suite(tdx_seamldr_suite);

MODULE_DESCRIPTION("KUnit: upstream's TDX module update when a step fails");
MODULE_LICENSE("GPL");
