// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the simulated TDX module and P-SEAMLDR.
 *
 * The other suites trust the simulator to follow the SEAMCALL ABI; this
 * suite checks that it does, by issuing SEAMCALLs directly:
 *
 *  - TDH.SYS.RD reports the module the simulator runs;
 *  - the MRTD is the SHA-384 of the documented record stream, checked
 *    against the kernel's SHA-384 library and against known answers;
 *  - TDH.SYS.SHUTDOWN checks the handoff version and honours (or, on a
 *    module without UPDATE_COMPAT, rejects) AVOID_COMPAT_SENSITIVE;
 *  - after shutdown only the update leaves answer, and the P-SEAMLDR
 *    rules hold: signature check, once per CPU, all CPUs before
 *    TDH.SYS.INIT, the update budget;
 *  - fault injection by call count and by CPU, and the kernel's retry
 *    of TDX_RND_NO_ENTROPY;
 *  - a TD build in flight across an update that changes the crypto
 *    library ends with a wrong MRTD, and across one that keeps it does
 *    not.
 *
 * Updates by hand go past the kernel, which keeps the version it read
 * last: they keep TDX_FEATURES0, and the exit function updates through
 * the kernel once more so that its view and the module agree again.
 * Modules of the other kind are reached through the kernel.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <crypto/sha2.h>
#include <asm/seamldr.h>
#include <asm/tdx.h>

#include "seamcall_internal.h"
#include "tdx.h"
#include "tdx_sim_abi.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"

/* Module pages in the images the cases install. */
#define TEST_MODULE_PAGES	2

/* Size of one measurement record. */
#define TEST_RECORD_SIZE	128

/*
 * SHA-384 of the record stream of one page filled by fill_page(p, 7),
 * added at GPA 0x100000 and measured (computed outside the kernel).
 */
#define KAT_GPA			0x100000ULL
#define KAT_SEED		7
static const u8 kat_one_page_mrtd[TDX_MRTD_SIZE] = {
	0xd3, 0x5a, 0xd5, 0xaa, 0x35, 0x02, 0x6e, 0x80,
	0x7d, 0xe2, 0x9c, 0xd1, 0x1d, 0xc0, 0xb2, 0x44,
	0x5a, 0x5d, 0x7a, 0x94, 0x8f, 0xaa, 0xf1, 0x16,
	0x4c, 0xbd, 0x03, 0xa4, 0xfd, 0x07, 0x14, 0x47,
	0x11, 0xba, 0xb8, 0xbc, 0x60, 0xd7, 0xbe, 0xb9,
	0x43, 0x33, 0xe3, 0x06, 0x2b, 0x5d, 0xfc, 0x36,
};

/* SHA-384 of the empty string. */
static const u8 sha384_empty[TDX_MRTD_SIZE] = {
	0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38,
	0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3, 0x6a,
	0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43,
	0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda,
	0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb,
	0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
};

/*
 * Per-case state the exit function needs: the TD a case builds, torn
 * down there if the case stopped half-way, and the update budget to
 * leave behind.
 */
struct sim_test_ctx {
	struct tdx_sim_td td;
	u32 remaining;
};

/* ---- Pages and hashes ---------------------------------------------- */

static void free_page_action(void *page)
{
	__free_page(page);
}

/* A zeroed page, freed when the case ends. */
static struct page *test_alloc_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_page_action,
							page), 0);
	return page;
}

static void fill_page(u8 *p, u8 seed)
{
	unsigned int j;

	for (j = 0; j < TDX_PAGE_SIZE; j++)
		p[j] = (u8)(seed + j * 13);
}

/*
 * One measurement record: the operation's name at offset 0, the GPA as a
 * little-endian u64 at offset 16, zeroes elsewhere.
 */
static void sha384_record(struct sha384_ctx *ctx, const char *op, u64 gpa)
{
	u8 rec[TEST_RECORD_SIZE] = {};

	memcpy(rec, op, strlen(op));
	put_unaligned_le64(gpa, rec + 16);
	sha384_update(ctx, rec, sizeof(rec));
}

/*
 * What adding a page contributes: a MEM.PAGE.ADD record; if measured, an
 * MR.EXTEND record and the 256 content bytes for each chunk.
 */
static void sha384_page(struct sha384_ctx *ctx, u64 gpa, const u8 *data,
			bool measure)
{
	unsigned int off;

	sha384_record(ctx, "MEM.PAGE.ADD", gpa);
	for (off = 0; measure && off < TDX_PAGE_SIZE;
	     off += TDX_EXTENDMR_CHUNK) {
		sha384_record(ctx, "MR.EXTEND", gpa + off);
		sha384_update(ctx, data + off, TDX_EXTENDMR_CHUNK);
	}
}

/* ---- SEAMCALLs ----------------------------------------------------- */

struct cpu_call {
	u64 leaf;
	struct tdx_module_args args;
	u64 status;
	int cpu;
};

static int cpu_call_fn(void *data)
{
	struct cpu_call *c = data;

	preempt_disable();
	c->cpu = smp_processor_id();
	c->status = seamcall_ret(c->leaf, &c->args);
	preempt_enable();
	return 0;
}

/* A SEAMCALL on @cpu; the arguments come back with the outputs. */
static u64 seamcall_on_cpu(struct kunit *test, unsigned int cpu, u64 leaf,
			   struct tdx_module_args *args)
{
	struct cpu_call c = { .leaf = leaf, .args = *args, .cpu = -1 };

	KUNIT_ASSERT_EQ(test, smp_call_on_cpu(cpu, cpu_call_fn, &c, false), 0);
	KUNIT_ASSERT_EQ(test, c.cpu, (int)cpu);
	*args = c.args;
	return c.status;
}

/* A SEAMCALL on the first online CPU, which took TDH.SYS.LP.INIT. */
static u64 sc(struct kunit *test, u64 leaf, struct tdx_module_args *args)
{
	return seamcall_on_cpu(test, cpumask_first(cpu_online_mask), leaf,
			       args);
}

static u64 sim_sys_rd(struct kunit *test, u64 field, u64 *val)
{
	struct tdx_module_args args = { .rdx = field };
	u64 status = sc(test, TDH_SYS_RD, &args);

	*val = args.r8;
	return status;
}

static u64 sim_shutdown(struct kunit *test, u64 rcx)
{
	struct tdx_module_args args = { .rcx = rcx };

	return sc(test, TDH_SYS_SHUTDOWN, &args);
}

/* A SEAMCALL with no inputs and no outputs of interest. */
static u64 sim_call(struct kunit *test, u64 leaf)
{
	struct tdx_module_args args = {};

	return sc(test, leaf, &args);
}

/* ---- Updates ------------------------------------------------------- */

/* An update image laid out in pages, as SEAMLDR.INSTALL takes it. */
struct test_image {
	u64 params_pa;
	u8 *module[TEST_MODULE_PAGES];
};

static u8 *test_copy_page(struct kunit *test, const u8 *src, u64 *pa)
{
	u8 *p = page_address(test_alloc_page(test));

	memcpy(p, src, TDX_PAGE_SIZE);
	*pa = virt_to_phys(p);
	return p;
}

static void make_image(struct kunit *test, struct test_image *img,
		       const struct tdx_sim_module_desc *desc)
{
	size_t size = tdx_sim_image_size(TEST_MODULE_PAGES);
	u8 *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	struct seamldr_params *p;
	u64 pa;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Header page, sigstruct page, module pages. */
	KUNIT_ASSERT_EQ(test, tdx_sim_make_image(buf, desc, TEST_MODULE_PAGES),
			0);

	p = page_address(test_alloc_page(test));
	p->version = SEAMLDR_PARAMS_VERSION;
	p->scenario = SEAMLDR_SCENARIO_UPDATE;
	test_copy_page(test, buf + TDX_PAGE_SIZE, &pa);
	p->sigstruct_pa[0] = pa;
	p->num_module_pages = TEST_MODULE_PAGES;
	for (i = 0; i < TEST_MODULE_PAGES; i++) {
		img->module[i] = test_copy_page(test,
						buf + (2 + i) * TDX_PAGE_SIZE,
						&pa);
		p->module_pages_pa[i] = pa;
	}
	img->params_pa = virt_to_phys(p);
}

/*
 * After TDH.SYS.SHUTDOWN: SEAMLDR.INSTALL on every online CPU but
 * @installed_cpu (-1 for none), one CPU at a time; TDH.SYS.INIT;
 * TDH.SYS.LP.INIT on every online CPU; TDH.SYS.UPDATE.
 */
static void sim_install_and_update(struct kunit *test,
				   const struct test_image *img,
				   int installed_cpu)
{
	struct tdx_module_args args;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		if ((int)cpu == installed_cpu)
			continue;
		args = (struct tdx_module_args){ .rcx = img->params_pa };
		KUNIT_ASSERT_EQ(test, seamcall_on_cpu(test, cpu,
						      P_SEAMLDR_INSTALL, &args),
				TDX_SUCCESS);
	}
	KUNIT_ASSERT_EQ(test, sim_call(test, TDH_SYS_INIT), TDX_SUCCESS);
	for_each_online_cpu(cpu) {
		args = (struct tdx_module_args){};
		KUNIT_ASSERT_EQ(test, seamcall_on_cpu(test, cpu,
						      TDH_SYS_LP_INIT, &args),
				TDX_SUCCESS);
	}
	KUNIT_ASSERT_EQ(test, sim_call(test, TDH_SYS_UPDATE), TDX_SUCCESS);
}

/*
 * A whole update by hand to the next update number, keeping
 * TDX_FEATURES0, with crypto library @crypto: TDH.SYS.SHUTDOWN with the
 * running module's handoff version and no AVOID_COMPAT_SENSITIVE, then
 * sim_install_and_update().
 */
static void sim_update(struct kunit *test, u32 crypto)
{
	struct tdx_sim_module_desc desc;
	struct test_image img;

	tdx_sim_running_module(&desc);
	desc.update++;
	desc.crypto_lib_version = crypto;
	make_image(test, &img, &desc);
	KUNIT_ASSERT_EQ(test, sim_shutdown(test, desc.handoff_version),
			TDX_SUCCESS);
	sim_install_and_update(test, &img, -1);
}

/* An update through the kernel to the next update number and @features0. */
static int kernel_update(struct kunit *test, u64 features0)
{
	size_t size = tdx_sim_image_size(TEST_MODULE_PAGES);
	struct tdx_sim_module_desc desc;
	u8 *buf = vmalloc(size);
	int ret;

	if (!buf)
		return -ENOMEM;
	tdx_sim_running_module(&desc);
	desc.update++;
	desc.features0 = features0;
	ret = tdx_sim_make_image(buf, &desc, TEST_MODULE_PAGES);
	if (!ret)
		ret = seamldr_install_module(buf, size);
	vfree(buf);
	return ret;
}

/* A module of the kind @compat says running, the kernel knowing it. */
static void use_module_kind(struct kunit *test, bool compat)
{
	struct tdx_sim_module_desc run;
	u64 features0;

	tdx_sim_running_module(&run);
	features0 = run.features0 & ~TDX_FEATURES0_UPDATE_COMPAT;
	if (compat)
		features0 |= TDX_FEATURES0_UPDATE_COMPAT;
	if (features0 != run.features0)
		KUNIT_ASSERT_EQ(test, kernel_update(test, features0), 0);
}

/* ---- TDs ----------------------------------------------------------- */

/* Add a page filled by fill_page(@seed) at @gpa and measure all of it. */
static void td_add_page(struct kunit *test, struct tdx_sim_td *td, u64 gpa,
			u8 seed)
{
	u8 *data = kunit_kmalloc(test, TDX_PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, data);
	fill_page(data, seed);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, gpa, data, true), 0);
}

/* TDH.MR.FINALIZE; the module's MRTD and the stand-in's own SHA-384. */
static void td_finish(struct kunit *test, struct tdx_sim_td *td, u8 *mrtd)
{
	KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_read_mrtd(td, mrtd), 0);
}

/* ---- Cases --------------------------------------------------------- */

static void sys_rd_reports_running_module(struct kunit *test)
{
	const struct tdx_sys_info *info = tdx_get_sysinfo();
	struct tdx_sim_module_desc run;
	u64 val;

	tdx_sim_running_module(&run);
	/* What the kernel read is what runs. */
	KUNIT_EXPECT_EQ(test, info->version.update_version, run.update);
	KUNIT_EXPECT_EQ(test, info->features.tdx_features0, run.features0);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)run.major);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MINOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)run.minor);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)run.update);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_NATIVE_HANDOFF_VERSION,
					 &val), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)run.handoff_version);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_FEATURES0, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, run.features0);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_FEATURES0 + 1, &val),
			TDX_METADATA_FIELD_ID_INCORRECT);
}

static void mrtd_matches_kernel_sha384(struct kunit *test)
{
	static const u64 gpas[] = { 0x100000, 0x235000, 0x7ff000 };
	static const bool measure[] = { true, false, true };
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_sim_td *td = &ctx->td;
	u8 mrtd[TDX_MRTD_SIZE], own[TDX_MRTD_SIZE];
	struct sha384_ctx expect;
	unsigned int i;
	u8 *data;

	data = kunit_kmalloc(test, TDX_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);

	/* Three pages, measured and not. */
	sha384_init(&expect);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 4), 0);
	for (i = 0; i < ARRAY_SIZE(gpas); i++) {
		fill_page(data, 0x40 + i);
		KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, gpas[i], data,
							  measure[i]), 0);
		sha384_page(&expect, gpas[i], data, measure[i]);
	}
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
	sha384_final(&expect, own);
	KUNIT_EXPECT_MEMEQ(test, mrtd, own, TDX_MRTD_SIZE);
	tdx_sim_td_destroy(td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);

	/*
	 * One measured page: the record format, spelled out here and
	 * hashed with the kernel's SHA-384 library, and a known answer.
	 */
	sha384_init(&expect);
	fill_page(data, KAT_SEED);
	sha384_page(&expect, KAT_GPA, data, true);
	sha384_final(&expect, own);
	KUNIT_EXPECT_MEMEQ(test, own, kat_one_page_mrtd, TDX_MRTD_SIZE);

	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 1), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, KAT_GPA, data, true), 0);
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_MEMEQ(test, mrtd, kat_one_page_mrtd, TDX_MRTD_SIZE);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
	tdx_sim_td_destroy(td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);
}

static void empty_td_mrtd_is_sha384_of_nothing(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_sim_td *td = &ctx->td;
	u8 mrtd[TDX_MRTD_SIZE], own[TDX_MRTD_SIZE];

	sha384(NULL, 0, own);
	KUNIT_EXPECT_MEMEQ(test, own, sha384_empty, TDX_MRTD_SIZE);

	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 1), 0);
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_MEMEQ(test, mrtd, sha384_empty, TDX_MRTD_SIZE);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
}

static void shutdown_checks_handoff_version(struct kunit *test)
{
	struct tdx_sim_module_desc cur;
	u64 val;

	tdx_sim_running_module(&cur);
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version + 1),
			TDX_OPERAND_INVALID);
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version - 1),
			TDX_OPERAND_INVALID);
	/* A reserved bit set, right version. */
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version |
					   BIT_ULL(20)),
			TDX_OPERAND_INVALID);

	/* Still running. */
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)cur.major);
}

static void avoid_compat_sensitive_conflict(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_sim_td *td = &ctx->td;
	const u64 avoid = TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;
	struct tdx_sim_module_desc cur;
	u8 mrtd[TDX_MRTD_SIZE];
	struct test_image img;
	u64 st, val;

	use_module_kind(test, true);
	tdx_sim_running_module(&cur);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 1), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);

	st = sim_shutdown(test, cur.handoff_version | avoid);
	KUNIT_EXPECT_EQ_MSG(test, st & TDX_SEAMCALL_STATUS_MASK,
			    TDX_UPDATE_COMPAT_SENSITIVE,
			    "TDH.SYS.SHUTDOWN returned %#llx", st);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);

	/* The build goes on and ends; a finished TD is no conflict. */
	td_add_page(test, td, 0x100000, 1);
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 0U);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1U);
	cur.update++;
	make_image(test, &img, &cur);
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version | avoid),
			TDX_SUCCESS);
	/* Finish the update: the TD lives on and is torn down as usual. */
	sim_install_and_update(test, &img, -1);
	KUNIT_EXPECT_EQ(test, tdx_sim_td_read_mrtd(td, mrtd), 0);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
}

static void avoid_bit_rejected_without_update_compat(struct kunit *test)
{
	const u64 avoid = TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;
	struct tdx_sim_module_desc cur;
	u64 val;

	use_module_kind(test, false);
	tdx_sim_running_module(&cur);
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version | avoid),
			TDX_OPERAND_INVALID);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	/* Without the bit the same module shuts down. */
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version),
			TDX_SUCCESS);
}

static void leaves_after_shutdown_fail(struct kunit *test)
{
	struct tdx_td other = { .tdr_page = test_alloc_page(test) };
	struct tdx_sim_module_desc cur;
	u64 val;

	tdx_sim_running_module(&cur);
	KUNIT_ASSERT_EQ(test, sim_shutdown(test, cur.handoff_version),
			TDX_SUCCESS);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SYS_SHUTDOWN);
	KUNIT_EXPECT_EQ(test, sim_shutdown(test, cur.handoff_version),
			TDX_SYS_SHUTDOWN);
	KUNIT_EXPECT_EQ(test, tdh_mng_create(&other, 1), TDX_SYS_SHUTDOWN);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);

	/* No module installed yet. */
	KUNIT_EXPECT_EQ(test, sim_call(test, TDH_SYS_INIT),
			TDX_SYS_INIT_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sim_call(test, TDH_SYS_LP_INIT),
			TDX_SYS_INIT_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sim_call(test, TDH_SYS_UPDATE),
			TDX_SYS_SHUTDOWN);
}

static void install_rules(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	struct tdx_sim_module_desc cur, desc;
	struct tdx_module_args args;
	unsigned int first;
	struct test_image img;
	u64 st, val;

	tdx_sim_running_module(&cur);
	desc = cur;
	desc.update++;
	make_image(test, &img, &desc);
	KUNIT_ASSERT_EQ(test, sim_shutdown(test, cur.handoff_version),
			TDX_SUCCESS);

	/* A module page that does not match the sigstruct. */
	first = cpumask_first(cpu_online_mask);
	img.module[1][100] ^= 0xff;
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	st = seamcall_on_cpu(test, first, P_SEAMLDR_INSTALL, &args);
	KUNIT_EXPECT_EQ(test, st, P_SEAMLDR_EBADSIG);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining);
	img.module[1][100] ^= 0xff;

	/* The first CPU loads the image and uses up one update. */
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	st = seamcall_on_cpu(test, first, P_SEAMLDR_INSTALL, &args);
	KUNIT_ASSERT_EQ(test, st, TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 1);

	/* Once per CPU. */
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, first, P_SEAMLDR_INSTALL,
					      &args),
			P_SEAMLDR_EBADCALL);

	/* Every CPU installs before TDH.SYS.INIT. */
	if (num_present_cpus() > 1)
		KUNIT_EXPECT_EQ(test, sim_call(test, TDH_SYS_INIT),
				TDX_SYS_INIT_NOT_PENDING);

	sim_install_and_update(test, &img, first);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)desc.update);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 1);

	/* The new module can be updated in turn. */
	sim_update(test, desc.crypto_lib_version);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)desc.update + 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 2);
	KUNIT_EXPECT_EQ(test, tdx_sim_seamldr_overlaps(), 0UL);
}

static void remaining_zero_refuses_install(struct kunit *test)
{
	struct tdx_sim_module_desc cur, desc;
	struct tdx_module_args args;
	struct test_image img;

	KUNIT_ASSERT_EQ(test, tdx_sim_reset(0), 0);
	tdx_sim_running_module(&cur);
	desc = cur;
	desc.update++;
	make_image(test, &img, &desc);
	KUNIT_ASSERT_EQ(test, sim_shutdown(test, cur.handoff_version),
			TDX_SUCCESS);

	args = (struct tdx_module_args){ .rcx = img.params_pa };
	KUNIT_EXPECT_EQ(test, sc(test, P_SEAMLDR_INSTALL, &args),
			P_SEAMLDR_ENOSPC);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), 0U);
}

static void seamldr_info_fields(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_module_args args;
	struct seamldr_info *info;
	u64 pa;

	info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, info);
	pa = virt_to_phys(info);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(pa, 256));

	args = (struct tdx_module_args){ .rcx = pa };
	KUNIT_ASSERT_EQ(test, sc(test, P_SEAMLDR_INFO, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, info->num_remaining_updates, ctx->remaining);
	KUNIT_EXPECT_EQ(test, info->p_seam_ready, 1);
	KUNIT_EXPECT_EQ(test, info->seam_ready, 1);

	KUNIT_ASSERT_EQ(test, tdx_sim_reset(5), 0);
	memset(info, 0, sizeof(*info));
	args = (struct tdx_module_args){ .rcx = pa };
	KUNIT_ASSERT_EQ(test, sc(test, P_SEAMLDR_INFO, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, info->num_remaining_updates, 5);
	KUNIT_EXPECT_EQ(test, info->p_seam_ready, 1);

	args = (struct tdx_module_args){ .rcx = pa + 64 };
	KUNIT_EXPECT_EQ(test, sc(test, P_SEAMLDR_INFO, &args),
			P_SEAMLDR_EBADPARAM);
	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, sc(test, P_SEAMLDR_INFO, &args),
			P_SEAMLDR_EBADPARAM);
}

static void fault_injection_by_count(struct kunit *test)
{
	unsigned long calls = tdx_sim_calls(TDH_SYS_RD);
	u64 st[4], val;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_RD, -1, 2, 1,
						TDX_OPERAND_BUSY), 0);
	for (i = 0; i < ARRAY_SIZE(st); i++)
		st[i] = sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val);

	KUNIT_EXPECT_EQ(test, st[0], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, st[1], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, st[2], TDX_OPERAND_BUSY);
	KUNIT_EXPECT_EQ(test, st[3], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 1U);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_RD) - calls, 4UL);
}

static void fault_injection_by_cpu(struct kunit *test)
{
	struct tdx_module_args args;

	if (num_online_cpus() < 2 || !cpu_online(0) || !cpu_online(1))
		kunit_skip(test, "needs CPUs 0 and 1 online");

	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_RD, 1, 0,
						TDX_SIM_FAULT_ALWAYS,
						TDX_OPERAND_BUSY), 0);

	args = (struct tdx_module_args){ .rdx = TDX_MD_MAJOR_VERSION };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, 0, TDH_SYS_RD, &args),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 0U);

	args = (struct tdx_module_args){ .rdx = TDX_MD_MAJOR_VERSION };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, 1, TDH_SYS_RD, &args),
			TDX_OPERAND_BUSY);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 1U);

	args = (struct tdx_module_args){ .rdx = TDX_MD_MAJOR_VERSION };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, 0, TDH_SYS_RD, &args),
			TDX_SUCCESS);
	args = (struct tdx_module_args){ .rdx = TDX_MD_MAJOR_VERSION };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, 1, TDH_SYS_RD, &args),
			TDX_OPERAND_BUSY);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 2U);

	tdx_sim_clear_faults();
	args = (struct tdx_module_args){ .rdx = TDX_MD_MAJOR_VERSION };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, 1, TDH_SYS_RD, &args),
			TDX_SUCCESS);
}

static void entropy_status_is_retried(struct kunit *test)
{
	unsigned long calls = tdx_sim_calls(TDH_SYS_RD);
	struct tdx_sim_module_desc cur;
	u64 val;

	tdx_sim_running_module(&cur);
	KUNIT_ASSERT_EQ(test, tdx_sim_add_fault(TDH_SYS_RD, -1, 0, 3,
						TDX_RND_NO_ENTROPY), 0);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(test, TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)cur.major);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_RD) - calls, 4UL);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 3U);
}

static void crypto_change_corrupts_build_in_flight(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_sim_td *td = &ctx->td;
	struct tdx_sim_module_desc run;
	u8 mrtd[TDX_MRTD_SIZE];

	/* Across an update that changes the crypto library. */
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 2), 0);
	td_add_page(test, td, 0x100000, 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);
	tdx_sim_running_module(&run);
	sim_update(test, run.crypto_lib_version + 1);
	td_add_page(test, td, 0x101000, 2);
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_MEMNEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
	tdx_sim_td_destroy(td);

	/* Across an update that keeps it. */
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 2), 0);
	td_add_page(test, td, 0x100000, 1);
	tdx_sim_running_module(&run);
	sim_update(test, run.crypto_lib_version);
	td_add_page(test, td, 0x101000, 2);
	td_finish(test, td, mrtd);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
	tdx_sim_td_destroy(td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);
}

/* ---- Suite --------------------------------------------------------- */

static int tdx_sim_test_init(struct kunit *test)
{
	struct sim_test_ctx *ctx;

	if (!tdx_get_sysinfo())
		return -ENODEV;
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->remaining = tdx_sim_remaining_updates();
	test->priv = ctx;
	tdx_sim_clear_faults();
	return 0;
}

/*
 * Runs before the case's kunit resources are released: tear down a TD
 * the case left (the module may be shut down; then its pages are leaked,
 * not freed), power-cycle the simulator, and if updates by hand moved
 * the module past what the kernel read, update through the kernel so
 * that the two agree for the next case and later suites.
 */
static void tdx_sim_test_exit(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;
	const struct tdx_sys_info *info;
	struct tdx_sim_module_desc run;

	if (!ctx)
		return;
	tdx_sim_td_destroy(&ctx->td);
	tdx_sim_clear_faults();
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(ctx->remaining + 1), 0);
	info = tdx_get_sysinfo();
	tdx_sim_running_module(&run);
	if (info && info->version.update_version == run.update) {
		KUNIT_EXPECT_EQ(test, tdx_sim_reset(ctx->remaining), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, kernel_update(test, run.features0), 0);
	info = tdx_get_sysinfo();
	tdx_sim_running_module(&run);
	KUNIT_EXPECT_TRUE(test, info &&
			  info->version.update_version == run.update);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), ctx->remaining);
}

static struct kunit_case tdx_sim_test_cases[] = {
	KUNIT_CASE(sys_rd_reports_running_module),
	KUNIT_CASE(mrtd_matches_kernel_sha384),
	KUNIT_CASE(empty_td_mrtd_is_sha384_of_nothing),
	KUNIT_CASE(shutdown_checks_handoff_version),
	KUNIT_CASE(avoid_compat_sensitive_conflict),
	KUNIT_CASE(avoid_bit_rejected_without_update_compat),
	KUNIT_CASE(leaves_after_shutdown_fail),
	KUNIT_CASE(install_rules),
	KUNIT_CASE(remaining_zero_refuses_install),
	KUNIT_CASE(seamldr_info_fields),
	KUNIT_CASE(fault_injection_by_count),
	KUNIT_CASE(fault_injection_by_cpu),
	KUNIT_CASE(entropy_status_is_retried),
	KUNIT_CASE(crypto_change_corrupts_build_in_flight),
	{}
};

static struct kunit_suite tdx_sim_test_suite = {
	.name = "tdx_sim",
	.init = tdx_sim_test_init,
	.exit = tdx_sim_test_exit,
	.test_cases = tdx_sim_test_cases,
};

kunit_test_suite(tdx_sim_test_suite);

MODULE_DESCRIPTION("KUnit: the simulated TDX module's SEAMCALL ABI");
MODULE_LICENSE("GPL");
