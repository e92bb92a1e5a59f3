// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the kernel's own boot-time TDX initialization ran against the
 * simulated module, and the simulator answers the boot leaves as the
 * module does, out-of-order calls included.
 *
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/topology.h>
#include <linux/sizes.h>
#include <asm/msr-index.h>
#include <asm/tdx.h>

#include "seamcall_internal.h"
#include "tdx.h"
#include "tdx_sim_abi.h"
#include "tdx_sim.h"

/* Every global field the kernel reads at boot and at update. */
static const u64 boot_fields[] = {
	TDX_MD_MINOR_VERSION, TDX_MD_MAJOR_VERSION, TDX_MD_UPDATE_VERSION,
	TDX_MD_FEATURES0, TDX_MD_NATIVE_HANDOFF_VERSION,
	TDX_MD_MAX_TDMRS, TDX_MD_MAX_RESERVED_PER_TDMR,
	TDX_MD_PAMT_4K_ENTRY_SIZE, TDX_MD_PAMT_2M_ENTRY_SIZE,
	TDX_MD_PAMT_1G_ENTRY_SIZE, TDX_MD_TDR_BASE_SIZE,
	TDX_MD_TDCS_BASE_SIZE, TDX_MD_TDVPS_BASE_SIZE,
	TDX_MD_ATTRIBUTES_FIXED0, TDX_MD_ATTRIBUTES_FIXED1,
	TDX_MD_XFAM_FIXED0, TDX_MD_XFAM_FIXED1, TDX_MD_NUM_CPUID_CONFIG,
	TDX_MD_MAX_VCPUS_PER_TD,
};

struct sc_call {
	u64 leaf;
	struct tdx_module_args args;
	u64 status;
};

static int sc_on_cpu_fn(void *data)
{
	struct sc_call *c = data;

	c->status = seamcall_ret(c->leaf, &c->args);
	return 0;
}

/* One SEAMCALL on @cpu; the arguments come back with the outputs. */
static u64 sc_on_cpu(unsigned int cpu, u64 leaf, struct tdx_module_args *args)
{
	struct sc_call c = { .leaf = leaf, .args = *args };

	smp_call_on_cpu(cpu, sc_on_cpu_fn, &c, true);
	*args = c.args;
	return c.status;
}

static u64 sc(u64 leaf, struct tdx_module_args *args)
{
	return sc_on_cpu(cpumask_first(cpu_online_mask), leaf, args);
}

static u64 sys_rd(u64 field, u64 *val)
{
	struct tdx_module_args args = { .rdx = field };
	u64 status = sc(TDH_SYS_RD, &args);

	*val = args.r8;
	return status;
}

/* The kernel initialized the module at boot, leaf by leaf, once. */
static void tdx_sim_boot_kernel_init(struct kunit *test)
{
	const struct tdx_sys_info *info = tdx_get_sysinfo();
	struct tdx_sim_module_desc run;

	KUNIT_ASSERT_NOT_NULL_MSG(test, info, "the kernel's TDX init failed");
	tdx_sim_running_module(&run);
	KUNIT_EXPECT_EQ(test, info->version.major_version, run.major);
	KUNIT_EXPECT_EQ(test, info->version.minor_version, run.minor);
	KUNIT_EXPECT_EQ(test, info->version.update_version, run.update);
	KUNIT_EXPECT_EQ(test, info->features.tdx_features0, run.features0);
	KUNIT_EXPECT_EQ(test, info->td_ctrl.tdcs_base_size, 4 * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, tdx_sim_boot_calls(TDH_SYS_INIT), 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_boot_calls(TDH_SYS_LP_INIT),
			num_online_cpus());
	KUNIT_EXPECT_EQ(test, tdx_sim_boot_calls(TDH_SYS_CONFIG), 1);
	KUNIT_EXPECT_EQ(test, tdx_sim_boot_calls(TDH_SYS_KEY_CONFIG),
			topology_max_packages());
	/* TDH.SYS.TDMR.INIT works in steps: more calls than TDMRs. */
	KUNIT_EXPECT_GT(test, tdx_sim_boot_calls(TDH_SYS_TDMR_INIT), 1);
}

/* The real release the simulator runs by default has no UPDATE_COMPAT. */
static void tdx_sim_boot_real_features0(struct kunit *test)
{
	struct tdx_sim_module_desc def;

	tdx_sim_default_module(&def);
	KUNIT_EXPECT_EQ(test, def.features0, 0x2E1F0FBFULL);
	KUNIT_EXPECT_TRUE(test, def.features0 & TDX_FEATURES0_TD_PRESERVING);
	KUNIT_EXPECT_TRUE(test, def.features0 & TDX_FEATURES0_NO_RBP_MOD);
	KUNIT_EXPECT_FALSE(test, def.features0 & TDX_FEATURES0_UPDATE_COMPAT);
}

/* Every field the kernel reads is there, in any leaf version. */
static void tdx_sim_boot_fields(struct kunit *test)
{
	struct tdx_module_args args = {};
	unsigned int i;
	u64 val;

	for (i = 0; i < ARRAY_SIZE(boot_fields); i++)
		KUNIT_EXPECT_EQ_MSG(test, sys_rd(boot_fields[i], &val), TDX_SUCCESS,
				    "field %#llx", boot_fields[i]);
	KUNIT_EXPECT_EQ(test, sys_rd(0x0800000100000099ULL, &val),
			TDX_METADATA_FIELD_ID_INCORRECT);

	args.rdx = TDX_MD_FEATURES0;
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_RD | 1ULL << TDX_VERSION_SHIFT, &args),
			TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, args.r8, tdx_get_sysinfo()->features.tdx_features0);
	/* Bits above the version are no leaf at all. */
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_RD | 1ULL << 24, &args),
			TDX_OPERAND_INVALID);
}

/* Once initialized, the boot leaves are refused, as on the module. */
static void tdx_sim_boot_leaves_once(struct kunit *test)
{
	struct tdx_module_args args = {};
	unsigned int cpu;

	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_INIT, &args), TDX_SYS_INIT_NOT_PENDING);
	for_each_online_cpu(cpu) {
		args = (struct tdx_module_args){};
		KUNIT_EXPECT_EQ(test, sc_on_cpu(cpu, TDH_SYS_LP_INIT, &args),
				TDX_SYS_LP_INIT_DONE);
	}
	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_CONFIG, &args),
			TDX_SYS_CONFIG_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_KEY_CONFIG, &args),
			TDX_SYS_KEY_CONFIG_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args),
			TDX_SYS_STATE_INCORRECT);
}

/*
 * A CPU that goes offline and comes back takes no second LP.INIT (the
 * kernel remembers it), and SEAMCALLs work on it again.
 */
static void tdx_sim_boot_cpu_online(struct kunit *test)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	unsigned long lp_inits = tdx_sim_calls(TDH_SYS_LP_INIT);
	u64 val;
	int ret;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	ret = remove_cpu(cpu);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = add_cpu(cpu);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_calls(TDH_SYS_LP_INIT), lp_inits);
	{
		struct tdx_module_args args = { .rdx = TDX_MD_FEATURES0 };

		KUNIT_EXPECT_EQ(test, sc_on_cpu(cpu, TDH_SYS_RD, &args),
				TDX_SUCCESS);
		val = args.r8;
	}
	KUNIT_EXPECT_EQ(test, val, tdx_get_sysinfo()->features.tdx_features0);
}

/* TDH.SYS.CONFIG with one TDMR at @base, @size long, and @keyid. */
static u64 sys_config(struct kunit *test, u64 base, u64 size, u64 keyid)
{
	struct tdx_module_args args = {};
	struct tdmr_info *tdmr;
	u64 *pa_array;

	tdmr = kunit_kzalloc(test, 1024, GFP_KERNEL);
	pa_array = kunit_kzalloc(test, TDMR_INFO_PA_ARRAY_ALIGNMENT, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tdmr);
	KUNIT_ASSERT_NOT_NULL(test, pa_array);
	tdmr->base = base;
	tdmr->size = size;
	pa_array[0] = virt_to_phys(tdmr);
	args.rcx = virt_to_phys(pa_array);
	args.rdx = 1;
	args.r8 = keyid;
	return sc(TDH_SYS_CONFIG, &args);
}

/*
 * The boot sequence by hand, each leaf also tried where the module
 * refuses it: SYS.INIT, LP.INIT on every CPU, SYS.CONFIG, KEY.CONFIG on
 * every package, TDMR.INIT in steps.
 */
static void tdx_sim_boot_sequence(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	struct tdx_module_args args = {};
	unsigned int cpu, first = cpumask_first(cpu_online_mask);
	u64 keyid, val;

	/* The global KeyID the kernel chose: the first TDX KeyID. */
	KUNIT_ASSERT_EQ(test, tdx_sim_rdmsrq(MSR_IA32_MKTME_KEYID_PARTITIONING,
					     &val), 0);
	keyid = (u32)val + 1;

	tdx_sim_reload();
	KUNIT_EXPECT_EQ(test, sys_rd(TDX_MD_FEATURES0, &val),
			TDX_SYS_INIT_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_LP_INIT, &args), TDX_SYS_INIT_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_INIT, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_INIT, &args), TDX_SYS_INIT_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sys_rd(TDX_MD_FEATURES0, &val),
			TDX_SYS_LP_INIT_NOT_DONE);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_LP_INIT, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, sys_rd(TDX_MD_FEATURES0, &val), TDX_SUCCESS);
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_EQ(test, sys_config(test, 0, SZ_1G, keyid),
				TDX_SYS_LP_INIT_NOT_DONE);
	for_each_online_cpu(cpu) {
		if (cpu == first)
			continue;
		args = (struct tdx_module_args){};
		KUNIT_EXPECT_EQ(test, sc_on_cpu(cpu, TDH_SYS_LP_INIT, &args),
				TDX_SUCCESS);
	}

	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_KEY_CONFIG, &args),
			TDX_SYS_KEY_CONFIG_NOT_PENDING);
	KUNIT_EXPECT_EQ(test, sys_config(test, 0, SZ_1G, keyid + 1),
			TDX_OPERAND_INVALID);
	KUNIT_EXPECT_EQ(test, sys_config(test, SZ_512M, SZ_1G, keyid),
			TDX_INVALID_TDMR);
	KUNIT_EXPECT_EQ(test, sys_config(test, 0, SZ_512M, keyid),
			TDX_INVALID_TDMR);
	KUNIT_EXPECT_EQ(test, sys_config(test, 0, SZ_1G, keyid), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, sys_config(test, 0, SZ_1G, keyid),
			TDX_SYS_CONFIG_NOT_PENDING);

	/* Not initialized yet: the TD leaves wait. */
	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, sc(TDH_MNG_CREATE, &args), TDX_SYS_NOT_READY);
	args = (struct tdx_module_args){ .rcx = 0 };
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args),
			TDX_SYS_STATE_INCORRECT);

	for_each_online_cpu(cpu) {
		args = (struct tdx_module_args){};
		val = sc_on_cpu(cpu, TDH_SYS_KEY_CONFIG, &args);
		/* One call per package succeeds; the package's others see it done. */
		KUNIT_EXPECT_TRUE(test,
				  val == TDX_SUCCESS || val == TDX_KEY_CONFIGURED);
	}
	args = (struct tdx_module_args){ .rcx = SZ_1G };
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args), TDX_INVALID_TDMR);
	args = (struct tdx_module_args){ .rcx = 0 };
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, args.rdx, SZ_512M);
	args = (struct tdx_module_args){ .rcx = 0 };
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, args.rdx, SZ_1G);
	/* Initialized: the TD leaves answer, the boot leaves no more. */
	args = (struct tdx_module_args){ .rcx = 0 };
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_TDMR_INIT, &args),
			TDX_SYS_STATE_INCORRECT);
	args = (struct tdx_module_args){};
	KUNIT_EXPECT_EQ(test, sc(TDH_MNG_CREATE, &args), TDX_OPERAND_INVALID);

	KUNIT_EXPECT_EQ(test, tdx_sim_reset(remaining), 0);
}

/* TDH.SYS.DISABLE ends the module; nothing but a power cycle brings it back. */
static void tdx_sim_boot_disable(struct kunit *test)
{
	u32 remaining = tdx_sim_remaining_updates();
	struct tdx_module_args args = {};
	u64 val;

	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_DISABLE, &args), TDX_SUCCESS);
	KUNIT_EXPECT_EQ(test, sys_rd(TDX_MD_FEATURES0, &val), TDX_SYS_SHUTDOWN);
	KUNIT_EXPECT_EQ(test, sc(TDH_SYS_INIT, &args), TDX_SYS_SHUTDOWN);
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(remaining), 0);
	KUNIT_EXPECT_EQ(test, sys_rd(TDX_MD_FEATURES0, &val), TDX_SUCCESS);
}

static struct kunit_case tdx_sim_boot_cases[] = {
	KUNIT_CASE(tdx_sim_boot_kernel_init),
	KUNIT_CASE(tdx_sim_boot_real_features0),
	KUNIT_CASE(tdx_sim_boot_fields),
	KUNIT_CASE(tdx_sim_boot_leaves_once),
	KUNIT_CASE(tdx_sim_boot_cpu_online),
	KUNIT_CASE(tdx_sim_boot_sequence),
	KUNIT_CASE(tdx_sim_boot_disable),
	{}
};

static struct kunit_suite tdx_sim_boot_suite = {
	.name = "tdx_sim_boot",
	.test_cases = tdx_sim_boot_cases,
};

kunit_test_suite(tdx_sim_boot_suite);

MODULE_DESCRIPTION("KUnit: TDX boot initialization against the simulated module");
MODULE_LICENSE("GPL");
