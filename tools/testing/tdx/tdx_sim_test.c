// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the simulated TDX module and P-SEAMLDR.
 *
 * The other suites trust the simulator to follow the SEAMCALL ABI; this
 * suite checks that it does, by issuing SEAMCALLs directly:
 *
 *  - TDH.SYS.RD reports the module the simulator runs;
 *  - the MRTD is the SHA-384 of the documented record stream, checked
 *    against the kernel's crypto API and against known answers;
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
 * Each case starts on a freshly reset simulator and leaves it reset.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <crypto/hash.h>
#include <asm/tdx.h>

#include "tdx_update_abi.h"
#include "tdx_sim.h"
#include "tdx_sim_td.h"

/* Updates the P-SEAMLDR accepts at the start of each case. */
#define TEST_REMAINING		8
/* What later suites find. */
#define EXIT_REMAINING		128

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
 * Per-case state the exit function must see: a TD built through the
 * update gate holds a build hold, which has to be given back before the
 * simulator can be reset.
 */
struct sim_test_ctx {
	struct tdx_sim_td td;
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

KUNIT_DEFINE_ACTION_WRAPPER(free_shash_action, crypto_free_shash,
			    struct crypto_shash *);

/* A SHA-384 in progress, with the kernel's crypto API. */
static struct shash_desc *sha384_start(struct kunit *test)
{
	struct crypto_shash *tfm = crypto_alloc_shash("sha384", 0, 0);
	struct shash_desc *desc;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tfm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_shash_action,
							tfm), 0);
	desc = kunit_kzalloc(test, sizeof(*desc) + crypto_shash_descsize(tfm),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, desc);
	desc->tfm = tfm;
	KUNIT_ASSERT_EQ(test, crypto_shash_init(desc), 0);
	return desc;
}

/*
 * One measurement record: the operation's name at offset 0, the GPA as a
 * little-endian u64 at offset 16, zeroes elsewhere.
 */
static void sha384_record(struct kunit *test, struct shash_desc *desc,
			  const char *op, u64 gpa)
{
	u8 rec[TEST_RECORD_SIZE] = {};

	memcpy(rec, op, strlen(op));
	put_unaligned_le64(gpa, rec + 16);
	KUNIT_ASSERT_EQ(test, crypto_shash_update(desc, rec, sizeof(rec)), 0);
}

/*
 * What adding a page contributes: a MEM.PAGE.ADD record; if measured, an
 * MR.EXTEND record and the 256 content bytes for each chunk.
 */
static void sha384_page(struct kunit *test, struct shash_desc *desc,
			u64 gpa, const u8 *data, bool measure)
{
	unsigned int off;

	sha384_record(test, desc, "MEM.PAGE.ADD", gpa);
	for (off = 0; measure && off < TDX_PAGE_SIZE;
	     off += TDX_EXTENDMR_CHUNK) {
		sha384_record(test, desc, "MR.EXTEND", gpa + off);
		KUNIT_ASSERT_EQ(test, crypto_shash_update(desc, data + off,
							  TDX_EXTENDMR_CHUNK),
				0);
	}
}

/* ---- SEAMCALLs ----------------------------------------------------- */

static u64 sim_sys_rd(u64 field, u64 *val)
{
	struct tdx_module_args args = { .rdx = field };
	u64 status = seamcall_ret(TDH_SYS_RD, &args);

	*val = args.r8;
	return status;
}

static u64 sim_shutdown(u64 rcx)
{
	struct tdx_module_args args = { .rcx = rcx };

	return seamcall_ret(TDH_SYS_SHUTDOWN, &args);
}

/* A SEAMCALL with no inputs and no outputs of interest. */
static u64 sim_call(u64 leaf)
{
	struct tdx_module_args args = {};

	return seamcall_ret(leaf, &args);
}

/* A SEAMCALL on the CPU the caller runs on; *cpu says which. */
static u64 seamcall_here(u64 leaf, struct tdx_module_args *args, int *cpu)
{
	u64 status;

	*cpu = get_cpu();
	status = seamcall_ret(leaf, args);
	put_cpu();
	return status;
}

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

/* A SEAMCALL on @cpu. */
static u64 seamcall_on_cpu(struct kunit *test, unsigned int cpu, u64 leaf,
			   struct tdx_module_args *args)
{
	struct cpu_call c = { .leaf = leaf, .args = *args, .cpu = -1 };

	KUNIT_ASSERT_EQ(test, smp_call_on_cpu(cpu, cpu_call_fn, &c, false), 0);
	KUNIT_ASSERT_EQ(test, c.cpu, (int)cpu);
	*args = c.args;
	return c.status;
}

static void read_mrtd(struct kunit *test, u64 tdr_pa, u8 *mrtd)
{
	u64 val;
	int i;

	for (i = 0; i < TDX_MRTD_SIZE / 8; i++) {
		KUNIT_ASSERT_EQ(test, tdh_mng_rd(tdr_pa, TDX_MD_TD_MRTD + i, &val),
				TDX_SUCCESS);
		put_unaligned_be64(val, mrtd + 8 * i);
	}
}

/* ---- Updates by hand ----------------------------------------------- */

/* An update image laid out in pages, as SEAMLDR.INSTALL takes it. */
struct test_image {
	struct seamldr_params *params;
	u64 params_pa;
	u8 *sigstruct;
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
	tdx_sim_make_image(buf, desc, TEST_MODULE_PAGES);

	p = page_address(test_alloc_page(test));
	p->version = SEAMLDR_PARAMS_VERSION;
	p->scenario = SEAMLDR_SCENARIO_UPDATE;
	img->sigstruct = test_copy_page(test, buf + TDX_PAGE_SIZE, &pa);
	p->sigstruct_pa[0] = pa;
	p->num_module_pages = TEST_MODULE_PAGES;
	for (i = 0; i < TEST_MODULE_PAGES; i++) {
		img->module[i] = test_copy_page(test,
						buf + (2 + i) * TDX_PAGE_SIZE,
						&pa);
		p->module_pages_pa[i] = pa;
	}
	img->params = p;
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
	KUNIT_ASSERT_EQ(test, sim_call(TDH_SYS_INIT), TDX_SUCCESS);
	for_each_online_cpu(cpu) {
		args = (struct tdx_module_args){};
		KUNIT_ASSERT_EQ(test, seamcall_on_cpu(test, cpu,
						      TDH_SYS_LP_INIT, &args),
				TDX_SUCCESS);
	}
	KUNIT_ASSERT_EQ(test, sim_call(TDH_SYS_UPDATE), TDX_SUCCESS);
}

/*
 * A whole update to the module @desc describes, straight on the
 * simulator and past the update gate: TDH.SYS.SHUTDOWN with the running
 * module's handoff version and no AVOID_COMPAT_SENSITIVE, then
 * sim_install_and_update().  The kernel's cached module facts go stale;
 * the reset in the exit function re-probes.
 */
static void sim_update(struct kunit *test,
		       const struct tdx_sim_module_desc *desc)
{
	struct tdx_sim_module_desc cur;
	struct test_image img;

	make_image(test, &img, desc);
	tdx_sim_running_module(&cur);
	KUNIT_ASSERT_EQ(test, sim_shutdown(cur.handoff_version), TDX_SUCCESS);
	sim_install_and_update(test, &img, -1);
}

/* ---- TDs built with the raw SEAMCALLs, outside the gate ------------ */

struct raw_td {
	u64 tdr_pa;
	struct shash_desc *expect;
};

/* TDH.MNG.CREATE, KEY.CONFIG, INIT: the TD is now update-sensitive. */
static void raw_td_start(struct kunit *test, struct raw_td *td, u16 hkid)
{
	td->tdr_pa = page_to_phys(test_alloc_page(test));
	td->expect = sha384_start(test);
	KUNIT_ASSERT_EQ(test, tdh_mng_create(td->tdr_pa, hkid), TDX_SUCCESS);
	KUNIT_ASSERT_EQ(test, tdh_mng_key_config(td->tdr_pa), TDX_SUCCESS);
	KUNIT_ASSERT_EQ(test, tdh_mng_init(td->tdr_pa, 0), TDX_SUCCESS);
}

/* Add a page filled by fill_page(@seed) at @gpa and measure all of it. */
static void raw_td_add_page(struct kunit *test, struct raw_td *td, u64 gpa,
			    u8 seed)
{
	struct page *hpa = test_alloc_page(test);
	struct page *src = test_alloc_page(test);
	u8 *data = page_address(src);
	unsigned int off;

	fill_page(data, seed);
	KUNIT_ASSERT_EQ(test, tdh_mem_page_add(td->tdr_pa, gpa,
					       page_to_phys(hpa),
					       page_to_phys(src)),
			TDX_SUCCESS);
	for (off = 0; off < TDX_PAGE_SIZE; off += TDX_EXTENDMR_CHUNK)
		KUNIT_ASSERT_EQ(test, tdh_mr_extend(td->tdr_pa, gpa + off),
				TDX_SUCCESS);
	sha384_page(test, td->expect, gpa, data, true);
}

/* TDH.MR.FINALIZE; the module's MRTD and our own SHA-384. */
static void raw_td_finish(struct kunit *test, struct raw_td *td, u8 *mrtd,
			  u8 *expect)
{
	KUNIT_ASSERT_EQ(test, tdh_mr_finalize(td->tdr_pa), TDX_SUCCESS);
	read_mrtd(test, td->tdr_pa, mrtd);
	KUNIT_ASSERT_EQ(test, crypto_shash_final(td->expect, expect), 0);
}

/* ---- Cases --------------------------------------------------------- */

static void sys_rd_reports_default_module(struct kunit *test)
{
	struct tdx_sim_module_desc def;
	u64 val;

	tdx_sim_default_module(&def);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)def.major);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MINOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)def.minor);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)def.update);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_NATIVE_HANDOFF_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)def.handoff_version);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_FEATURES0, &val), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)def.features0);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_FEATURES0 + 1, &val),
			TDX_OPERAND_INVALID);
}

static void mrtd_matches_kernel_sha384(struct kunit *test)
{
	static const u64 gpas[] = { 0x100000, 0x235000, 0x7ff000 };
	static const bool measure[] = { true, false, true };
	struct sim_test_ctx *ctx = test->priv;
	struct tdx_sim_td *td = &ctx->td;
	u8 mrtd[TDX_MRTD_SIZE], own[TDX_MRTD_SIZE];
	struct shash_desc *expect;
	unsigned int i;
	u8 *data;

	data = kunit_kmalloc(test, TDX_PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);

	/* Three pages, measured and not, through the update gate. */
	expect = sha384_start(test);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 4, false), 0);
	for (i = 0; i < ARRAY_SIZE(gpas); i++) {
		fill_page(data, 0x40 + i);
		KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, gpas[i], data,
							  measure[i]), 0);
		sha384_page(test, expect, gpas[i], data, measure[i]);
	}
	KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_td_check_mrtd(td), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_read_mrtd(td, mrtd), 0);
	KUNIT_EXPECT_MEMEQ(test, mrtd, td->expected_mrtd, TDX_MRTD_SIZE);
	KUNIT_ASSERT_EQ(test, crypto_shash_final(expect, own), 0);
	KUNIT_EXPECT_MEMEQ(test, mrtd, own, TDX_MRTD_SIZE);
	tdx_sim_td_destroy(td);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);

	/*
	 * One measured page: the record format, spelled out here and
	 * hashed with the kernel's crypto API, and a known answer.
	 */
	expect = sha384_start(test);
	fill_page(data, KAT_SEED);
	sha384_page(test, expect, KAT_GPA, data, true);
	KUNIT_ASSERT_EQ(test, crypto_shash_final(expect, own), 0);
	KUNIT_EXPECT_MEMEQ(test, own, kat_one_page_mrtd, TDX_MRTD_SIZE);

	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 1, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_add_page(td, KAT_GPA, data, true), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_read_mrtd(td, mrtd), 0);
	KUNIT_EXPECT_MEMEQ(test, mrtd, own, TDX_MRTD_SIZE);
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

	KUNIT_ASSERT_EQ(test, crypto_shash_final(sha384_start(test), own), 0);
	KUNIT_EXPECT_MEMEQ(test, own, sha384_empty, TDX_MRTD_SIZE);

	KUNIT_ASSERT_EQ(test, tdx_sim_td_init(td, 1, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_finalize(td), 0);
	KUNIT_ASSERT_EQ(test, tdx_sim_td_read_mrtd(td, mrtd), 0);
	KUNIT_EXPECT_MEMEQ(test, mrtd, sha384_empty, TDX_MRTD_SIZE);
	KUNIT_EXPECT_EQ(test, tdx_sim_td_check_mrtd(td), 0);
}

static void shutdown_checks_handoff_version(struct kunit *test)
{
	struct tdx_sim_module_desc cur;
	u64 val;

	tdx_sim_running_module(&cur);
	KUNIT_EXPECT_EQ(test, sim_shutdown(cur.handoff_version + 1),
			TDX_OPERAND_INVALID);
	KUNIT_EXPECT_EQ(test, sim_shutdown(cur.handoff_version - 1),
			TDX_OPERAND_INVALID);
	/* A reserved bit set, right version. */
	KUNIT_EXPECT_EQ(test, sim_shutdown(cur.handoff_version | BIT_ULL(20)),
			TDX_OPERAND_INVALID);

	/* Still running. */
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)cur.major);
}

static void avoid_compat_sensitive_conflict(struct kunit *test)
{
	struct tdx_sim_module_desc cur;
	struct raw_td td;
	u64 st, val;

	tdx_sim_running_module(&cur);
	raw_td_start(test, &td, 0x100);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);

	st = sim_shutdown(cur.handoff_version |
			  TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE);
	KUNIT_EXPECT_TRUE_MSG(test,
			      tdx_status_is(st, TDX_UPDATE_COMPAT_SENSITIVE),
			      "TDH.SYS.SHUTDOWN returned %#llx", st);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);

	/* The build goes on and ends; a finished TD is no conflict. */
	raw_td_add_page(test, &td, 0x100000, 1);
	KUNIT_ASSERT_EQ(test, tdh_mr_finalize(td.tdr_pa), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 0U);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 1U);
	KUNIT_EXPECT_EQ(test, sim_shutdown(cur.handoff_version |
					   TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE),
			TDX_SUCCESS);
}

static void avoid_bit_rejected_without_update_compat(struct kunit *test)
{
	struct tdx_sim_module_desc desc;
	u64 val;

	tdx_sim_default_module(&desc);
	desc.features0 &= ~TDX_FEATURES0_UPDATE_COMPAT;
	tdx_sim_reset(&desc, TEST_REMAINING);

	KUNIT_EXPECT_EQ(test, sim_shutdown(desc.handoff_version |
					   TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE),
			TDX_OPERAND_INVALID);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	/* Without the bit the same module shuts down. */
	KUNIT_EXPECT_EQ(test, sim_shutdown(desc.handoff_version), TDX_SUCCESS);
}

static void leaves_after_shutdown_fail(struct kunit *test)
{
	u64 tdr_pa = page_to_phys(test_alloc_page(test));
	struct tdx_sim_module_desc cur;
	u64 val;

	tdx_sim_running_module(&cur);
	KUNIT_ASSERT_EQ(test, sim_shutdown(cur.handoff_version), TDX_SUCCESS);

	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SYS_SHUTDOWN_STATUS);
	KUNIT_EXPECT_EQ(test, sim_shutdown(cur.handoff_version),
			TDX_SYS_SHUTDOWN_STATUS);
	KUNIT_EXPECT_EQ(test, tdh_mng_create(tdr_pa, 1),
			TDX_SYS_SHUTDOWN_STATUS);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);

	/* No module installed yet. */
	KUNIT_EXPECT_EQ(test, sim_call(TDH_SYS_INIT), TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, sim_call(TDH_SYS_LP_INIT),
			TDX_OP_STATE_INCORRECT);
	KUNIT_EXPECT_EQ(test, sim_call(TDH_SYS_UPDATE), TDX_OP_STATE_INCORRECT);
}

static void install_rules(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	struct tdx_sim_module_desc cur, desc;
	struct tdx_module_args args;
	struct test_image img;
	u64 st, val;
	int cpu;

	tdx_sim_running_module(&cur);
	desc = cur;
	desc.update = 7;
	make_image(test, &img, &desc);
	KUNIT_ASSERT_EQ(test, sim_shutdown(cur.handoff_version), TDX_SUCCESS);

	/* A module page that does not match the sigstruct. */
	img.module[1][100] ^= 0xff;
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	st = seamcall_here(P_SEAMLDR_INSTALL, &args, &cpu);
	KUNIT_EXPECT_EQ(test, st, P_SEAMLDR_EBADSIG);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining);
	img.module[1][100] ^= 0xff;

	/* The first CPU loads the image and uses up one update. */
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	st = seamcall_here(P_SEAMLDR_INSTALL, &args, &cpu);
	KUNIT_ASSERT_EQ(test, st, TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 1);

	/* Once per CPU. */
	args = (struct tdx_module_args){ .rcx = img.params_pa };
	KUNIT_EXPECT_EQ(test, seamcall_on_cpu(test, cpu, P_SEAMLDR_INSTALL,
					      &args),
			P_SEAMLDR_EBADCALL);

	/* Every online CPU installs before TDH.SYS.INIT. */
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_EQ(test, sim_call(TDH_SYS_INIT),
				TDX_OP_STATE_INCORRECT);

	sim_install_and_update(test, &img, cpu);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, 7ULL);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 1);

	/* The new module can be updated in turn. */
	desc.update = 8;
	sim_update(test, &desc);
	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_UPDATE_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, 8ULL);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), remaining - 2);
	KUNIT_EXPECT_EQ(test, tdx_sim_seamldr_overlaps(), 0UL);
}

static void remaining_zero_refuses_install(struct kunit *test)
{
	struct tdx_sim_module_desc cur, desc;
	struct tdx_module_args args;
	struct test_image img;
	int cpu;

	tdx_sim_reset(NULL, 0);
	tdx_sim_running_module(&cur);
	desc = cur;
	desc.update++;
	make_image(test, &img, &desc);
	KUNIT_ASSERT_EQ(test, sim_shutdown(cur.handoff_version), TDX_SUCCESS);

	args = (struct tdx_module_args){ .rcx = img.params_pa };
	KUNIT_EXPECT_EQ(test, seamcall_here(P_SEAMLDR_INSTALL, &args, &cpu),
			P_SEAMLDR_ENOSPC);
	KUNIT_EXPECT_EQ(test, tdx_sim_remaining_updates(), 0U);
}

static void seamldr_info_fields(struct kunit *test)
{
	struct tdx_module_args args;
	struct seamldr_info *info;
	u64 pa;

	info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, info);
	pa = virt_to_phys(info);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(pa, 256));

	args = (struct tdx_module_args){ .rcx = pa };
	KUNIT_ASSERT_EQ(test, seamcall_ret(P_SEAMLDR_INFO, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, info->num_remaining_updates, TEST_REMAINING);
	KUNIT_EXPECT_EQ(test, info->p_seam_ready, 1);
	KUNIT_EXPECT_EQ(test, info->seam_ready, 1);

	tdx_sim_reset(NULL, 5);
	memset(info, 0, sizeof(*info));
	args = (struct tdx_module_args){ .rcx = pa };
	KUNIT_ASSERT_EQ(test, seamcall_ret(P_SEAMLDR_INFO, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, info->num_remaining_updates, 5);
	KUNIT_EXPECT_EQ(test, info->p_seam_ready, 1);

	args = (struct tdx_module_args){ .rcx = pa + 64 };
	KUNIT_EXPECT_EQ(test, seamcall_ret(P_SEAMLDR_INFO, &args),
			P_SEAMLDR_EBADPARAM);
	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, seamcall_ret(P_SEAMLDR_INFO, &args),
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
		st[i] = sim_sys_rd(TDX_MD_MAJOR_VERSION, &val);

	KUNIT_EXPECT_EQ(test, st[0], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, st[1], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, st[2], TDX_OPERAND_BUSY);
	KUNIT_EXPECT_EQ(test, st[3], TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 1U);
	/* The counter also holds the re-probe's reads since the reset. */
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

	KUNIT_EXPECT_EQ(test, sim_sys_rd(TDX_MD_MAJOR_VERSION, &val),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, val, (u64)cur.major);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_RD) - calls, 4UL);
	KUNIT_EXPECT_EQ(test, tdx_sim_faults_fired(), 3U);
}

static void crypto_change_corrupts_build_in_flight(struct kunit *test)
{
	u8 mrtd[TDX_MRTD_SIZE], expect[TDX_MRTD_SIZE];
	struct tdx_sim_module_desc desc;
	struct raw_td td;

	/* Across an update that changes the crypto library. */
	raw_td_start(test, &td, 0x101);
	raw_td_add_page(test, &td, 0x100000, 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_sensitive_tds(), 1U);

	tdx_sim_running_module(&desc);
	desc.update++;
	desc.crypto_lib_version++;
	sim_update(test, &desc);

	raw_td_add_page(test, &td, 0x101000, 2);
	raw_td_finish(test, &td, mrtd, expect);
	KUNIT_EXPECT_MEMNEQ(test, mrtd, expect, TDX_MRTD_SIZE);
	KUNIT_EXPECT_EQ(test, tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);

	/* Across an update that keeps it. */
	raw_td_start(test, &td, 0x102);
	raw_td_add_page(test, &td, 0x100000, 1);

	tdx_sim_running_module(&desc);
	desc.update++;
	sim_update(test, &desc);

	raw_td_add_page(test, &td, 0x101000, 2);
	raw_td_finish(test, &td, mrtd, expect);
	KUNIT_EXPECT_MEMEQ(test, mrtd, expect, TDX_MRTD_SIZE);
	KUNIT_EXPECT_EQ(test, tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, tdx_sim_live_tds(), 0U);
}

/* ---- Suite --------------------------------------------------------- */

static int tdx_sim_test_init(struct kunit *test)
{
	struct sim_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx),
						 GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	tdx_sim_reset(NULL, TEST_REMAINING);
	return 0;
}

/*
 * Runs before the case's kunit resources are released: give back any
 * build hold first (tdx_sim_reset() must not find one), then leave a
 * fresh simulator for the next case and for later suites.
 */
static void tdx_sim_test_exit(struct kunit *test)
{
	struct sim_test_ctx *ctx = test->priv;

	if (ctx)
		tdx_sim_td_destroy(&ctx->td);
	tdx_sim_reset(NULL, EXIT_REMAINING);
}

static void tdx_sim_suite_exit(struct kunit_suite *suite)
{
	pr_info("tdx_check: debug_locks=%d\n", debug_locks);
}

static struct kunit_case tdx_sim_test_cases[] = {
	KUNIT_CASE(sys_rd_reports_default_module),
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
	.suite_exit = tdx_sim_suite_exit,
	.test_cases = tdx_sim_test_cases,
};

kunit_test_suite(tdx_sim_test_suite);
