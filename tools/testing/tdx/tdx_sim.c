// SPDX-License-Identifier: GPL-2.0
/*
 * A simulated TDX module and P-SEAMLDR.
 *
 * Test kernels only.  It provides the SEAMCALL entry points
 * (__seamcall(), __seamcall_ret(), __seamcall_saved_ret()) in place of
 * seamcall.S, and the two platform MSRs the TDX host code reads, so the
 * code above it runs unchanged: the kernel's own boot-time TDX
 * initialization, runtime update and TD build.  It implements, after the
 * TDX module and P-SEAMLDR ABI:
 *
 *  - Boot: TDH.SYS.INIT once, TDH.SYS.LP.INIT on every CPU (and on each
 *    CPU that comes online later), TDH.SYS.RD of every global field the
 *    kernel reads, TDH.SYS.CONFIG (the TDMRs and the global KeyID),
 *    TDH.SYS.KEY.CONFIG once per package, TDH.SYS.TDMR.INIT in steps
 *    until every TDMR is done; TDH.SYS.DISABLE.  A leaf out of order
 *    gets the module's error status.
 *  - TDH.SYS.SHUTDOWN: checks the handoff version, honours
 *    AVOID_COMPAT_SENSITIVE where the module offers it (fails while a TD
 *    is in an update-sensitive section), then stops the module.
 *  - SEAMLDR.INFO, SEAMLDR.INSTALL: one CPU at a time (an overlap is
 *    counted and refused), every online CPU must install the same image,
 *    the sigstruct must match the module pages, and each update uses up
 *    one of num_remaining_updates.
 *  - TDH.SYS.INIT after all CPUs installed, TDH.SYS.LP.INIT on each CPU,
 *    TDH.SYS.UPDATE after all of them: imports the handoff data if the new
 *    module accepts its version, and the TDs run on.
 *  - TD build: TDH.MNG.CREATE, TDH.MNG.KEY.CONFIG, TDH.MNG.ADDCX (every
 *    TDCS page before TDH.MNG.INIT), TDH.MNG.INIT, TDH.MEM.PAGE.ADD,
 *    TDH.MR.EXTEND, TDH.MR.FINALIZE, TDH.MNG.RD (the MRTD).
 *  - TD teardown in the module's order: TDH.MNG.VPFLUSHDONE,
 *    TDH.PHYMEM.CACHE.WB on every package, TDH.MNG.KEY.FREEID, then
 *    TDH.PHYMEM.PAGE.RECLAIM of each page the TD owns, its TDR last, and
 *    TDH.PHYMEM.PAGE.WBINVD of pages the module no longer owns.  Page
 *    ownership is kept in a page metadata table (the PAMT), so a page
 *    can belong to one TD only and is reclaimed once.
 *
 * The MRTD is a real SHA-384 over 128-byte records, one per page added
 * ("MEM.PAGE.ADD", GPA) and per chunk measured ("MR.EXTEND", GPA, then
 * the 256 bytes).  Between SEAMCALLs a TD's intermediate hash state is
 * kept in the layout of the running module's crypto library.  An update
 * that changes the crypto-library version therefore misreads the state
 * of every build in flight, and that build ends with a wrong MRTD, which
 * an independent SHA-384 of the same records catches.
 *
 * Faults can be injected by leaf, CPU and call count; latencies are set
 * per leaf.  Everything is serialized by sim_lock, a raw spinlock since
 * SEAMCALLs arrive from stop_machine() with interrupts off.
 */

#define pr_fmt(fmt) "tdx_sim: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kstrtox.h>
#include <linux/memblock.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/seamldr.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>
#include <asm/vmx.h>

#include "seamcall_internal.h"
#include "tdx.h"
#include "tdx_sim_abi.h"
#include "tdx_sim.h"
#include "update.h"

#define SIM_MAX_TDS		512
#define SIM_MAX_FAULTS		32
#define SIM_SHA_BLOCK		128

/*
 * The platform: MKTME KeyIDs, then TDX KeyIDs, one of them the module's
 * global KeyID and one for each TD the tests keep open at most.
 */
#define SIM_NR_MKTME_KEYIDS	15
#define SIM_NR_TDX_KEYIDS	(1 + SIM_MAX_TDS)
#define SIM_GLOBAL_KEYID	(SIM_NR_MKTME_KEYIDS + 1)

/* What the module reports about itself (TDH.SYS.RD). */
#define SIM_MAX_TDMRS		64
#define SIM_MAX_RESERVED	16
#define SIM_PAMT_ENTRY_SIZE	16
#define SIM_TDCS_PAGES		4
#define SIM_TDVPS_PAGES		6
#define SIM_MAX_VCPUS		576
/* TDH.SYS.TDMR.INIT initializes this much of a TDMR per call. */
#define SIM_TDMR_INIT_STEP	SZ_512M

/*
 * TDX_FEATURES0 of the real release 1.5.06: TD_PRESERVING (bit 1) and
 * NO_RBP_MOD (bit 18), no UPDATE_COMPAT (bit 47), like every published
 * release.
 */
#define SIM_FEATURES0_1_5_06	0x2E1F0FBFULL

/* The simulated P-SEAMLDR's own version. */
#define SIM_SEAMLDR_MAJOR	1
#define SIM_SEAMLDR_MINOR	5
#define SIM_SEAMLDR_UPDATE	2

static unsigned int remaining_updates = 128;
module_param(remaining_updates, uint, 0444);
MODULE_PARM_DESC(remaining_updates,
		 "Runtime updates the simulated P-SEAMLDR accepts after boot");

/*
 * The module's life: boot initialization (LOADED to RUNNING), then any
 * number of updates (RUNNING, SHUTDOWN, INSTALLING, UPDATE_INIT, back to
 * RUNNING), ended by TDH.SYS.DISABLE or a failed update.
 */
/*
 * policy=gate|failfast|none (boot line tdx_sim.policy=, or
 * /sys/module/tdx_sim/parameters/policy): how the update code
 * coordinates with builds.  Anything but "gate" exists to show what the
 * gate prevents; under "none" the simulated module also ignores
 * AVOID_COMPAT_SENSITIVE, as if the kernel had not passed it.  Change it
 * only while no build or update runs.
 */
static const char * const policy_names[] = {
	[TDX_POLICY_GATE] = "gate",
	[TDX_POLICY_FAILFAST] = "failfast",
	[TDX_POLICY_NONE] = "none",
};

static int policy_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(policy_names, val);

	if (i < 0)
		return -EINVAL;
	tdx_update_set_policy(i);
	return 0;
}

static int policy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", policy_names[tdx_update_policy()]);
}

static const struct kernel_param_ops policy_ops = {
	.set = policy_set,
	.get = policy_get,
};
module_param_cb(policy, &policy_ops, NULL, 0644);
MODULE_PARM_DESC(policy, "gate (default), failfast or none: test only");

enum sim_phase {
	SIM_LOADED,		/* loaded at boot: waits for TDH.SYS.INIT */
	SIM_SYSINIT,		/* TDH.SYS.INIT done: LP.INIT, SYS.RD, CONFIG */
	SIM_CONFIGURED,		/* TDH.SYS.CONFIG done: KEY.CONFIG per package */
	SIM_KEYS_CONFIGURED,	/* every package keyed: TDMR.INIT */
	SIM_RUNNING,		/* initialized: takes every leaf */
	SIM_SHUTDOWN,		/* shut down, waiting for SEAMLDR.INSTALL */
	SIM_INSTALLING,		/* some CPUs installed the new module */
	SIM_UPDATE_INIT,	/* TDH.SYS.INIT done, LP.INIT under way */
	SIM_DISABLED,		/* TDH.SYS.DISABLE done */
	SIM_NO_MODULE,		/* no usable module: SEAMCALL fails */
};

enum sim_td_state {
	TD_FREE,
	TD_CREATED,		/* TDH.MNG.CREATE done */
	TD_KEYED,		/* TDH.MNG.KEY.CONFIG done on every package */
	TD_BUILDING,		/* TDH.MNG.INIT done: update-sensitive */
	TD_RUNNABLE,		/* TDH.MR.FINALIZE done */
	TD_FLUSHED,		/* TDH.MNG.VPFLUSHDONE done: caches to write back */
	TD_TEARDOWN,		/* TDH.MNG.KEY.FREEID done: pages to reclaim */
};

struct sim_td {
	enum sim_td_state state;
	u64 tdr_pa;
	u16 hkid;
	/* SHA-384 state, in the layout of the running crypto library */
	u64 hstate[8];
	u64 hashed;		/* bytes hashed so far */
	u8 mrtd[TDX_MRTD_SIZE];
	/* the last page added, the only one TDH.MR.EXTEND may measure */
	u64 page_gpa;
	u64 page_hpa;
	bool page_valid;
	u64 keyed_pkgs;		/* packages that took TDH.MNG.KEY.CONFIG */
	unsigned int tdcx;	/* TDCS pages added (TDH.MNG.ADDCX) */
	unsigned int children;	/* pages it owns besides its TDR */
	u64 wb_pending;		/* packages still to write back, by id */
};

struct sim_tdmr {
	u64 base;
	u64 size;
	u64 next;		/* next address TDH.SYS.TDMR.INIT initializes */
};

struct sim_fault {
	bool active;
	u64 leaf;
	int cpu;		/* -1: any CPU */
	unsigned int skip;	/* matching calls let through first */
	unsigned int times;	/* faults left; TDX_SIM_FAULT_ALWAYS: no end */
	u64 status;
};

/*
 * sim_lock protects all of struct sim_state.  Innermost lock: nothing is
 * taken under it, nothing sleeps under it.
 */
static DEFINE_RAW_SPINLOCK(sim_lock);

static struct sim_state {
	enum sim_phase phase;
	struct tdx_sim_module_desc cur;		/* running (or shut down) */
	struct tdx_sim_module_desc staged;	/* being installed */
	u64 staged_digest;			/* ... and its sigstruct digest */
	u16 handoff_written;
	struct cpumask installed;
	struct cpumask lp_initialized;
	/* the CPUs that took TDH.SYS.KEY.CONFIG, one per package */
	struct cpumask keyed;
	struct sim_tdmr tdmrs[SIM_MAX_TDMRS];
	unsigned int nr_tdmrs;
	u32 remaining_updates;
	struct sim_td tds[SIM_MAX_TDS];
	struct sim_fault faults[SIM_MAX_FAULTS];
	unsigned int faults_fired;
	unsigned int latency_us[TDX_SIM_NR_LEAVES];
	unsigned long calls[TDX_SIM_NR_LEAVES];
	unsigned long seamldr_overlaps;
	/*
	 * CLOCK_MONOTONIC of the last SEAMLDR.INFO (an update asks it just
	 * before it stops the machine), of the last shutdown that succeeded
	 * and of the last TDH.SYS.UPDATE that did: where an update spends
	 * its time, for the bench.
	 */
	u64 info_ns;
	u64 shutdown_ns;
	u64 updated_ns;
} sim;

/*
 * The module's page metadata (PAMT), one entry per page frame below
 * sim_pamt_pages: 0 for a page the module does not own, else the owning
 * TD's slot + 1 in bits 11:0 and the page type (TDX_PT_*) above.
 * Allocated at init, then under sim_lock; it goes with the TDs.
 */
static u16 *sim_pamt;
static unsigned long sim_pamt_pages;
#define PAMT_TD_MASK		0xfff
#define PAMT_TYPE_SHIFT		12
static_assert(SIM_MAX_TDS < PAMT_TD_MASK);

/*
 * The calls of the kernel's boot-time initialization, counted up to the
 * module's first TDH.SYS.TDMR.INIT that completed it.  Under sim_lock;
 * resets keep them.
 */
static unsigned long sim_boot_calls[TDX_SIM_NR_LEAVES];

/* CPUs inside the P-SEAMLDR right now; more than one is a caller bug. */
static atomic_t sim_in_seamldr = ATOMIC_INIT(0);

/* ---- SHA-384 -------------------------------------------------------- */

static const u64 sha512_k[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL,
	0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
	0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
	0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL,
	0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
	0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL,
	0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL,
	0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
	0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL,
	0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL,
	0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
	0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL,
	0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
	0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
	0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL,
	0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL,
	0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
	0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
	0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL,
	0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
	0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static const u64 sha384_iv[8] = {
	0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL,
	0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
	0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
	0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
};

static void sha512_block(u64 h[8], const u8 *blk)
{
	u64 w[80], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = get_unaligned_be64(blk + 8 * i);
	for (i = 16; i < 80; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^
			(w[i - 15] >> 7)) +
		       (ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^
			(w[i - 2] >> 6));

	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 80; i++) {
		t1 = hh + (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) +
		     ((e & f) ^ (~e & g)) + sha512_k[i] + w[i];
		t2 = (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/*
 * How a crypto library lays out the intermediate state it keeps between
 * SEAMCALLs.  Each version has its own; reading one version's state with
 * another's layout yields garbage, as on the real module.
 */
static u64 crypto_layout(u32 crypto_lib_version, int i)
{
	return ror64(crypto_lib_version * 0x9e3779b97f4a7c15ULL, 8 * i);
}

static void td_hash_load(const struct sim_td *td, u64 h[8])
{
	int i;

	for (i = 0; i < 8; i++)
		h[i] = td->hstate[i] ^ crypto_layout(sim.cur.crypto_lib_version, i);
}

static void td_hash_store(struct sim_td *td, const u64 h[8])
{
	int i;

	for (i = 0; i < 8; i++)
		td->hstate[i] = h[i] ^ crypto_layout(sim.cur.crypto_lib_version, i);
}

/* Hash whole blocks into the TD's measurement. */
static void td_hash_blocks(struct sim_td *td, const u8 *data, size_t len)
{
	u64 h[8];

	td_hash_load(td, h);
	for (; len >= SIM_SHA_BLOCK; len -= SIM_SHA_BLOCK, data += SIM_SHA_BLOCK) {
		sha512_block(h, data);
		td->hashed += SIM_SHA_BLOCK;
	}
	td_hash_store(td, h);
}

static void td_hash_record(struct sim_td *td, const char *op, u64 gpa)
{
	u8 rec[SIM_SHA_BLOCK] = {};

	memcpy(rec, op, strlen(op));
	put_unaligned_le64(gpa, rec + 16);
	td_hash_blocks(td, rec, sizeof(rec));
}

/* Records are whole blocks, so the padding is exactly one block. */
static void td_hash_final(struct sim_td *td)
{
	u8 pad[SIM_SHA_BLOCK] = { 0x80 };
	u64 h[8];
	int i;

	put_unaligned_be64(td->hashed * 8, pad + SIM_SHA_BLOCK - 8);
	td_hash_load(td, h);
	sha512_block(h, pad);
	for (i = 0; i < TDX_MRTD_SIZE / 8; i++)
		put_unaligned_be64(h[i], td->mrtd + 8 * i);
}

/* ---- Helpers -------------------------------------------------------- */

/*
 * Index for per-leaf knobs and counters: a module leaf by its number,
 * whatever its version, then the P-SEAMLDR's two.
 */
static int leaf_index(u64 leaf)
{
	if (leaf == P_SEAMLDR_INFO)
		return TDX_SIM_NR_MODULE_LEAVES;
	if (leaf == P_SEAMLDR_INSTALL)
		return TDX_SIM_NR_MODULE_LEAVES + 1;
	if (leaf >> 24 || TDX_LEAF_NUMBER(leaf) >= TDX_SIM_NR_MODULE_LEAVES)
		return -1;
	return TDX_LEAF_NUMBER(leaf);
}

/*
 * Whether every logical CPU of the platform is in @mask.  The module
 * counts the CPUs that exist, offline or not: an offline CPU cannot
 * issue SEAMCALLs, so an initialization or update that needs every CPU
 * cannot complete while one is offline.
 */
static bool all_cpus(const struct cpumask *mask)
{
	return cpumask_subset(cpu_present_mask, mask);
}

static unsigned int count_sensitive(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < SIM_MAX_TDS; i++)
		n += sim.tds[i].state == TD_BUILDING;
	return n;
}

static struct sim_td *find_td(u64 tdr_pa)
{
	unsigned int i;

	if (!tdr_pa)
		return NULL;
	for (i = 0; i < SIM_MAX_TDS; i++)
		if (sim.tds[i].state != TD_FREE && sim.tds[i].tdr_pa == tdr_pa)
			return &sim.tds[i];
	return NULL;
}

static bool page_aligned_pa(u64 pa)
{
	return pa && IS_ALIGNED(pa, TDX_PAGE_SIZE);
}

/* The PAMT entry of the page at @pa, or NULL if that is no TDX page. */
static u16 *pamt_entry(u64 pa)
{
	if (!sim_pamt || !page_aligned_pa(pa) ||
	    PHYS_PFN(pa) >= sim_pamt_pages)
		return NULL;
	return &sim_pamt[PHYS_PFN(pa)];
}

/* Give the page at @pa to @td as a page of @type, if no TD owns it. */
static u64 pamt_assign(struct sim_td *td, u64 pa, unsigned int type)
{
	u16 *e = pamt_entry(pa);

	if (!e)
		return TDX_OPERAND_INVALID;
	if (*e)
		return TDX_PAGE_METADATA_INCORRECT;
	*e = type << PAMT_TYPE_SHIFT | (td - sim.tds + 1);
	return TDX_SUCCESS;
}

/* Every TD is gone (the module was disabled or lost): so are its pages. */
static void forget_tds(void)
{
	unsigned int i;

	for (i = 0; i < SIM_MAX_TDS; i++)
		sim.tds[i].state = TD_FREE;
	if (sim_pamt)
		memset(sim_pamt, 0, sim_pamt_pages * sizeof(*sim_pamt));
}

/* The packages with a CPU, as a bitmap of package ids. */
static u64 present_packages(void)
{
	unsigned int cpu;
	u64 pkgs = 0;

	for_each_present_cpu(cpu)
		pkgs |= BIT_ULL(topology_physical_package_id(cpu) % 64);
	return pkgs;
}

/* ---- Module leaves -------------------------------------------------- */

static u64 sys_rd(struct tdx_module_args *a)
{
	static const struct {
		u64 field;
		u64 value;
	} fixed[] = {
		{ TDX_MD_MAX_TDMRS, SIM_MAX_TDMRS },
		{ TDX_MD_MAX_RESERVED_PER_TDMR, SIM_MAX_RESERVED },
		{ TDX_MD_PAMT_4K_ENTRY_SIZE, SIM_PAMT_ENTRY_SIZE },
		{ TDX_MD_PAMT_2M_ENTRY_SIZE, SIM_PAMT_ENTRY_SIZE },
		{ TDX_MD_PAMT_1G_ENTRY_SIZE, SIM_PAMT_ENTRY_SIZE },
		{ TDX_MD_TDR_BASE_SIZE, TDX_PAGE_SIZE },
		{ TDX_MD_TDCS_BASE_SIZE, SIM_TDCS_PAGES * TDX_PAGE_SIZE },
		{ TDX_MD_TDVPS_BASE_SIZE, SIM_TDVPS_PAGES * TDX_PAGE_SIZE },
		{ TDX_MD_ATTRIBUTES_FIXED0, 0 },
		{ TDX_MD_ATTRIBUTES_FIXED1, 0 },
		{ TDX_MD_XFAM_FIXED0, 0x6db },
		{ TDX_MD_XFAM_FIXED1, 0x3 },
		{ TDX_MD_NUM_CPUID_CONFIG, 0 },
		{ TDX_MD_MAX_VCPUS_PER_TD, SIM_MAX_VCPUS },
	};
	unsigned int i;

	switch (a->rdx) {
	case TDX_MD_MAJOR_VERSION:
		a->r8 = sim.cur.major;
		return TDX_SUCCESS;
	case TDX_MD_MINOR_VERSION:
		a->r8 = sim.cur.minor;
		return TDX_SUCCESS;
	case TDX_MD_UPDATE_VERSION:
		a->r8 = sim.cur.update;
		return TDX_SUCCESS;
	case TDX_MD_NATIVE_HANDOFF_VERSION:
		a->r8 = sim.cur.handoff_version;
		return TDX_SUCCESS;
	case TDX_MD_FEATURES0:
		a->r8 = sim.cur.features0;
		return TDX_SUCCESS;
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (fixed[i].field == a->rdx) {
			a->r8 = fixed[i].value;
			return TDX_SUCCESS;
		}
	}
	return TDX_METADATA_FIELD_ID_INCORRECT;
}

static u64 sys_shutdown(struct tdx_module_args *a)
{
	u64 avoid = a->rcx & TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;

	/* Test policy "none": no coordination at all, backstop included. */
	if (tdx_update_policy() == TDX_POLICY_NONE)
		avoid = 0;

	if (a->rcx & ~(u64)(0xffff | TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE))
		return TDX_OPERAND_INVALID;
	if ((a->rcx & 0xffff) != sim.cur.handoff_version)
		return TDX_OPERAND_INVALID;
	/* A module that does not know the bit rejects it. */
	if (avoid && !(sim.cur.features0 & TDX_FEATURES0_UPDATE_COMPAT))
		return TDX_OPERAND_INVALID;
	if (avoid && count_sensitive())
		return TDX_UPDATE_COMPAT_SENSITIVE;

	sim.phase = SIM_SHUTDOWN;
	WRITE_ONCE(sim.shutdown_ns, ktime_get_ns());
	sim.handoff_written = sim.cur.handoff_version;
	cpumask_clear(&sim.installed);
	cpumask_clear(&sim.lp_initialized);
	return TDX_SUCCESS;
}

/* TDH.SYS.INIT: at boot, and once more after each install. */
static u64 sys_init(void)
{
	if (sim.phase == SIM_LOADED) {
		sim.phase = SIM_SYSINIT;
		return TDX_SUCCESS;
	}
	if (sim.phase == SIM_INSTALLING && all_cpus(&sim.installed)) {
		sim.phase = SIM_UPDATE_INIT;
		return TDX_SUCCESS;
	}
	return TDX_SYS_INIT_NOT_PENDING;
}

/*
 * TDH.SYS.LP.INIT: once per CPU after TDH.SYS.INIT, whether at boot, on
 * a CPU that comes online later, or after an install.
 */
static u64 sys_lp_init(int cpu)
{
	switch (sim.phase) {
	case SIM_LOADED:
	case SIM_SHUTDOWN:
	case SIM_INSTALLING:
		return TDX_SYS_INIT_NOT_PENDING;
	case SIM_DISABLED:
		return TDX_SYS_SHUTDOWN;
	default:
		break;
	}
	if (cpumask_test_cpu(cpu, &sim.lp_initialized))
		return TDX_SYS_LP_INIT_DONE;
	cpumask_set_cpu(cpu, &sim.lp_initialized);
	return TDX_SUCCESS;
}

/*
 * TDH.SYS.CONFIG: RCX = physical address of the array of TDMR info
 * addresses, RDX = their number, R8 = the global KeyID.  TDMRs are
 * 1 GiB aligned, in ascending order and apart.
 */
static u64 sys_config(struct tdx_module_args *a)
{
	const u64 *pa_array;
	u64 i, end = 0;

	if (sim.phase != SIM_SYSINIT)
		return TDX_SYS_CONFIG_NOT_PENDING;
	if (!all_cpus(&sim.lp_initialized))
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (!a->rcx || !IS_ALIGNED(a->rcx, TDX_TDMR_INFO_ALIGN) || !a->rdx ||
	    a->rdx > SIM_MAX_TDMRS || a->r8 != SIM_GLOBAL_KEYID)
		return TDX_OPERAND_INVALID;

	pa_array = phys_to_virt(a->rcx);
	for (i = 0; i < a->rdx; i++) {
		const u64 *tdmr;
		u64 base, size;

		if (!pa_array[i] || !IS_ALIGNED(pa_array[i], TDX_TDMR_INFO_ALIGN))
			return TDX_INVALID_TDMR;
		tdmr = phys_to_virt(pa_array[i]);
		base = tdmr[0];
		size = tdmr[1];
		if (!size || !IS_ALIGNED(base, TDX_TDMR_ALIGN) ||
		    !IS_ALIGNED(size, TDX_TDMR_ALIGN))
			return TDX_INVALID_TDMR;
		if (i && base < end)
			return TDX_NON_ORDERED_TDMR;
		end = base + size;
		sim.tdmrs[i] = (struct sim_tdmr){
			.base = base, .size = size, .next = base,
		};
	}
	sim.nr_tdmrs = a->rdx;
	cpumask_clear(&sim.keyed);
	sim.phase = SIM_CONFIGURED;
	return TDX_SUCCESS;
}

/* Whether a CPU of @cpu's package took TDH.SYS.KEY.CONFIG. */
static bool package_keyed(unsigned int cpu)
{
	unsigned int k;

	for_each_cpu(k, &sim.keyed)
		if (topology_physical_package_id(k) ==
		    topology_physical_package_id(cpu))
			return true;
	return false;
}

/* Packages with an online CPU: each needs TDH.SYS.KEY.CONFIG. */
static bool all_packages_keyed(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (!package_keyed(cpu))
			return false;
	return true;
}

/* TDH.SYS.KEY.CONFIG: the global KeyID, once on each package. */
static u64 sys_key_config(int cpu)
{
	if (sim.phase != SIM_CONFIGURED && sim.phase != SIM_KEYS_CONFIGURED)
		return TDX_SYS_KEY_CONFIG_NOT_PENDING;
	if (package_keyed(cpu))
		return TDX_KEY_CONFIGURED;
	cpumask_set_cpu(cpu, &sim.keyed);
	if (all_packages_keyed())
		sim.phase = SIM_KEYS_CONFIGURED;
	return TDX_SUCCESS;
}

/*
 * TDH.SYS.TDMR.INIT: RCX = a TDMR's base.  Initializes part of it and
 * returns in RDX the next address to initialize; the module runs once
 * every TDMR is done.
 */
static u64 sys_tdmr_init(struct tdx_module_args *a)
{
	struct sim_tdmr *t = NULL;
	unsigned int i;

	if (sim.phase != SIM_KEYS_CONFIGURED)
		return TDX_SYS_STATE_INCORRECT;
	for (i = 0; i < sim.nr_tdmrs; i++)
		if (sim.tdmrs[i].base == a->rcx)
			t = &sim.tdmrs[i];
	if (!t)
		return TDX_INVALID_TDMR;
	if (t->next == t->base + t->size)
		return TDX_TDMR_ALREADY_INITIALIZED;

	t->next = min(t->next + SIM_TDMR_INIT_STEP, t->base + t->size);
	a->rdx = t->next;
	for (i = 0; i < sim.nr_tdmrs; i++)
		if (sim.tdmrs[i].next != sim.tdmrs[i].base + sim.tdmrs[i].size)
			return TDX_SUCCESS;
	sim.phase = SIM_RUNNING;
	/* The first time: the kernel's boot.  This call is counted already. */
	if (!sim_boot_calls[TDH_SYS_INIT])
		memcpy(sim_boot_calls, sim.calls, sizeof(sim.calls));
	return TDX_SUCCESS;
}

/* TDH.SYS.DISABLE: at reboot, power-off and kexec.  The TDs are gone. */
static u64 sys_disable(void)
{
	forget_tds();
	sim.phase = SIM_DISABLED;
	return TDX_SUCCESS;
}

static u64 sys_update(void)
{
	if (sim.phase != SIM_UPDATE_INIT || !all_cpus(&sim.lp_initialized))
		return TDX_SYS_STATE_INCORRECT;

	if (sim.handoff_written < sim.staged.min_handoff_version ||
	    sim.handoff_written > sim.staged.handoff_version) {
		/* The handoff data cannot be imported: every TD is lost. */
		forget_tds();
		sim.phase = SIM_NO_MODULE;
		return TDX_SYS_INVALID_HANDOFF;
	}
	/*
	 * The TDs survive as they are.  Builds in flight keep their hash
	 * state in the old crypto library's layout; if the new library
	 * lays it out differently, their measurement is now wrong.
	 */
	sim.cur = sim.staged;
	sim.phase = SIM_RUNNING;
	WRITE_ONCE(sim.updated_ns, ktime_get_ns());
	return TDX_SUCCESS;
}

/* ---- P-SEAMLDR leaves ----------------------------------------------- */

static u64 seamldr_info(struct tdx_module_args *a)
{
	struct seamldr_info *info;

	if (!a->rcx || !IS_ALIGNED(a->rcx, 256))
		return P_SEAMLDR_EBADPARAM;
	info = phys_to_virt(a->rcx);
	memset(info, 0, sizeof(*info));
	info->version = 0;
	info->vendor_id = 0x8086;
	info->major_version = SIM_SEAMLDR_MAJOR;
	info->minor_version = SIM_SEAMLDR_MINOR;
	info->update_version = SIM_SEAMLDR_UPDATE;
	info->num_remaining_updates = sim.remaining_updates;
	info->seam_ready = sim.phase == SIM_RUNNING;
	info->p_seam_ready = 1;
	WRITE_ONCE(sim.info_ns, ktime_get_ns());
	return TDX_SUCCESS;
}

/*
 * SHA-384 of the module pages, in the order SEAMLDR_PARAMS lists them:
 * pages are whole blocks, so the padding is exactly one block.
 */
static void seamldr_module_sha384(const struct seamldr_params *p,
				  u8 out[TDX_SIGSTRUCT_DIGEST_LEN])
{
	u8 pad[SIM_SHA_BLOCK] = { 0x80 };
	const u8 *page;
	u64 h[8], i;
	size_t off;

	memcpy(h, sha384_iv, sizeof(h));
	for (i = 0; i < p->num_module_pages; i++) {
		page = phys_to_virt(p->module_pages_pa[i]);
		for (off = 0; off < TDX_PAGE_SIZE; off += SIM_SHA_BLOCK)
			sha512_block(h, page + off);
	}
	/* The bit count's high 64 bits stay zero. */
	put_unaligned_be64(p->num_module_pages * TDX_PAGE_SIZE * 8,
			   pad + SIM_SHA_BLOCK - 8);
	sha512_block(h, pad);
	for (i = 0; i < TDX_SIGSTRUCT_DIGEST_LEN / 8; i++)
		put_unaligned_be64(h[i], out + 8 * i);
}

/*
 * Read and verify the image SEAMLDR_PARAMS describes: the simulated
 * signature, then, as the real P-SEAMLDR does, the module pages against
 * the SHA-384 digest the sigstruct carries.
 */
static u64 seamldr_read_image(const struct seamldr_params *p,
			      struct tdx_sim_module_desc *desc, u64 *digest_out)
{
	u8 sha[TDX_SIGSTRUCT_DIGEST_LEN];
	const struct tdx_sim_sigstruct *sig;
	u64 digest = TDX_SIM_DIGEST_SEED;
	u64 i;

	if (p->version != SEAMLDR_PARAMS_VERSION ||
	    p->scenario != SEAMLDR_SCENARIO_UPDATE ||
	    !p->num_module_pages ||
	    p->num_module_pages > TDX_BLOB_MAX_MODULE_PAGES ||
	    !page_aligned_pa(p->sigstruct_pa[0]))
		return P_SEAMLDR_EBADPARAM;
	for (i = 0; i < p->num_module_pages; i++)
		if (!page_aligned_pa(p->module_pages_pa[i]))
			return P_SEAMLDR_EBADPARAM;

	sig = phys_to_virt(p->sigstruct_pa[0]);
	if (memcmp(sig->magic, TDX_SIM_SIGSTRUCT_MAGIC, 8) ||
	    sig->module_pages != p->num_module_pages)
		return P_SEAMLDR_EBADSIG;
	for (i = 0; i < p->num_module_pages; i++)
		digest = tdx_sim_digest(digest,
					phys_to_virt(p->module_pages_pa[i]),
					TDX_PAGE_SIZE);
	if (digest != sig->digest)
		return P_SEAMLDR_EBADSIG;
	seamldr_module_sha384(p, sha);
	if (memcmp((const u8 *)sig + TDX_SIGSTRUCT_DIGEST_OFFSET, sha,
		   sizeof(sha)))
		return P_SEAMLDR_EBADSIG;
	*digest_out = digest;

	memcpy(desc, phys_to_virt(p->module_pages_pa[0]), sizeof(*desc));
	if (memcmp(desc->magic, TDX_SIM_MODULE_MAGIC, 8))
		return P_SEAMLDR_EBADSIG;
	return TDX_SUCCESS;
}

static u64 seamldr_install(struct tdx_module_args *a, int cpu)
{
	struct tdx_sim_module_desc desc;
	u64 status, digest;

	if (sim.phase != SIM_SHUTDOWN && sim.phase != SIM_INSTALLING)
		return P_SEAMLDR_EBADCALL;
	if (cpumask_test_cpu(cpu, &sim.installed))
		return P_SEAMLDR_EBADCALL;
	if (!page_aligned_pa(a->rcx))
		return P_SEAMLDR_EBADPARAM;
	status = seamldr_read_image(phys_to_virt(a->rcx), &desc, &digest);
	if (status)
		return status;

	if (sim.phase == SIM_SHUTDOWN) {
		/*
		 * The first CPU loads the image into the SEAM range and uses
		 * up one SEAMDB entry, whether the update completes or not.
		 */
		if (!sim.remaining_updates)
			return P_SEAMLDR_ENOSPC;
		sim.remaining_updates--;
		sim.staged = desc;
		sim.staged_digest = digest;
		sim.phase = SIM_INSTALLING;
	} else if (memcmp(&desc, &sim.staged, sizeof(desc)) ||
		   digest != sim.staged_digest) {
		/* Every CPU must install the same image. */
		return P_SEAMLDR_EBADPARAM;
	}
	cpumask_set_cpu(cpu, &sim.installed);
	return TDX_SUCCESS;
}

/* ---- TD build leaves ------------------------------------------------ */

static u64 td_create(struct tdx_module_args *a)
{
	unsigned int i;

	if (!page_aligned_pa(a->rcx))
		return TDX_OPERAND_INVALID;
	if (find_td(a->rcx))
		return TDX_OPERAND_BUSY;
	for (i = 0; i < SIM_MAX_TDS; i++) {
		struct sim_td *td = &sim.tds[i];

		u64 status;

		if (td->state != TD_FREE)
			continue;
		memset(td, 0, sizeof(*td));
		status = pamt_assign(td, a->rcx, TDX_PT_TDR);
		if (status)
			return status;
		td->state = TD_CREATED;
		td->tdr_pa = a->rcx;
		td->hkid = a->rdx;
		return TDX_SUCCESS;
	}
	return TDX_OPERAND_BUSY;
}

/* TDH.MNG.KEY.CONFIG: the TD's key, once on each package. */
static u64 td_key_config(struct sim_td *td, int cpu)
{
	u64 pkg = BIT_ULL(topology_physical_package_id(cpu) % 64);

	if (td->state != TD_CREATED)
		return TDX_OP_STATE_INCORRECT;
	if (td->keyed_pkgs & pkg)
		return TDX_KEY_CONFIGURED;
	td->keyed_pkgs |= pkg;
	if (td->keyed_pkgs == present_packages())
		td->state = TD_KEYED;
	return TDX_SUCCESS;
}

/* TDH.MNG.ADDCX: RCX = a TDCS page, after the key, before TDH.MNG.INIT. */
static u64 td_addcx(struct sim_td *td, u64 pa)
{
	u64 status;

	if (td->state != TD_KEYED || td->tdcx == SIM_TDCS_PAGES)
		return TDX_OP_STATE_INCORRECT;
	status = pamt_assign(td, pa, TDX_PT_TDCX);
	if (status)
		return status;
	td->tdcx++;
	td->children++;
	return TDX_SUCCESS;
}

static u64 td_init(struct sim_td *td)
{
	if (td->state != TD_KEYED || td->tdcx != SIM_TDCS_PAGES)
		return TDX_OP_STATE_INCORRECT;
	td->state = TD_BUILDING;
	td->hashed = 0;
	td_hash_store(td, sha384_iv);
	return TDX_SUCCESS;
}

static u64 td_page_add(struct sim_td *td, struct tdx_module_args *a)
{
	u64 status;

	if (td->state != TD_BUILDING)
		return TDX_OP_STATE_INCORRECT;
	if (!IS_ALIGNED(a->rcx, TDX_PAGE_SIZE) || !page_aligned_pa(a->r8) ||
	    !page_aligned_pa(a->r9))
		return TDX_OPERAND_INVALID;
	status = pamt_assign(td, a->r8, TDX_PT_REG);
	if (status)
		return status;
	td->children++;

	memcpy(phys_to_virt(a->r8), phys_to_virt(a->r9), TDX_PAGE_SIZE);
	td->page_gpa = a->rcx;
	td->page_hpa = a->r8;
	td->page_valid = true;
	td_hash_record(td, "MEM.PAGE.ADD", a->rcx);
	return TDX_SUCCESS;
}

static u64 td_extend(struct sim_td *td, u64 gpa)
{
	u64 off = gpa - td->page_gpa;

	if (td->state != TD_BUILDING)
		return TDX_OP_STATE_INCORRECT;
	if (!IS_ALIGNED(gpa, TDX_EXTENDMR_CHUNK) || !td->page_valid ||
	    gpa < td->page_gpa || off >= TDX_PAGE_SIZE)
		return TDX_OPERAND_INVALID;

	td_hash_record(td, "MR.EXTEND", gpa);
	td_hash_blocks(td, phys_to_virt(td->page_hpa + off), TDX_EXTENDMR_CHUNK);
	return TDX_SUCCESS;
}

static u64 td_finalize(struct sim_td *td)
{
	if (td->state != TD_BUILDING)
		return TDX_OP_STATE_INCORRECT;
	td_hash_final(td);
	td->state = TD_RUNNABLE;
	return TDX_SUCCESS;
}

static u64 td_rd(struct sim_td *td, struct tdx_module_args *a)
{
	u64 i = a->rdx - TDX_MD_TD_MRTD;

	if (a->rdx < TDX_MD_TD_MRTD || i >= TDX_MRTD_SIZE / 8)
		return TDX_OPERAND_INVALID;
	if (td->state != TD_RUNNABLE)
		return TDX_OP_STATE_INCORRECT;
	a->r8 = get_unaligned_be64(td->mrtd + 8 * i);
	return TDX_SUCCESS;
}

/*
 * TDH.MNG.VPFLUSHDONE: the TD has no vCPU associated with any CPU (the
 * simulated TDs have no vCPUs); its build, if any, is over, and its
 * HKID's cache lines must be written back on every package.
 */
static u64 td_vpflushdone(struct sim_td *td)
{
	if (td->state < TD_CREATED || td->state > TD_RUNNABLE)
		return TDX_OP_STATE_INCORRECT;
	td->state = TD_FLUSHED;
	td->wb_pending = present_packages();
	return TDX_SUCCESS;
}

/* TDH.MNG.KEY.FREEID: once the caches are written back everywhere. */
static u64 td_key_freeid(struct sim_td *td)
{
	if (td->state != TD_FLUSHED)
		return TDX_OP_STATE_INCORRECT;
	if (td->wb_pending)
		return TDX_KEY_STATE_INCORRECT;
	td->state = TD_TEARDOWN;
	return TDX_SUCCESS;
}

/* TDH.PHYMEM.CACHE.WB: RCX = resume flag.  This package, every HKID. */
static u64 phymem_cache_wb(struct tdx_module_args *a, int cpu)
{
	u64 pkg = BIT_ULL(topology_physical_package_id(cpu) % 64);
	bool done = false;
	unsigned int i;

	if (a->rcx > 1)
		return TDX_OPERAND_INVALID;
	for (i = 0; i < SIM_MAX_TDS; i++) {
		struct sim_td *td = &sim.tds[i];

		if (td->state == TD_FLUSHED && (td->wb_pending & pkg)) {
			td->wb_pending &= ~pkg;
			done = true;
		}
	}
	return done ? TDX_SUCCESS : TDX_NO_HKID_READY_TO_WBCACHE;
}

/*
 * TDH.PHYMEM.PAGE.RECLAIM: RCX = a page of a TD in teardown, its TDR
 * only once it owns no other page.  Returns the page's type, owner and
 * size (0: 4 KiB) in RCX, RDX, R8.
 */
static u64 phymem_page_reclaim(struct tdx_module_args *a)
{
	u16 *e = pamt_entry(a->rcx);
	unsigned int type;
	struct sim_td *td;

	if (!e)
		return TDX_OPERAND_INVALID;
	if (!*e)
		return TDX_PAGE_METADATA_INCORRECT;
	td = &sim.tds[(*e & PAMT_TD_MASK) - 1];
	type = *e >> PAMT_TYPE_SHIFT;
	if (td->state != TD_TEARDOWN)
		return TDX_OP_STATE_INCORRECT;
	if (type == TDX_PT_TDR && td->children)
		return TDX_TD_ASSOCIATED_PAGES_EXIST;

	*e = 0;
	a->rcx = type;
	a->rdx = td->tdr_pa;
	a->r8 = 0;
	if (type == TDX_PT_TDR)
		td->state = TD_FREE;
	else
		td->children--;
	return TDX_SUCCESS;
}

/*
 * TDH.PHYMEM.PAGE.WBINVD: RCX = a page's address with a TDX KeyID in the
 * bits above the physical address bits; the page must not belong to the
 * module any more.
 */
static u64 phymem_page_wbinvd(struct tdx_module_args *a)
{
	unsigned int bits = boot_cpu_data.x86_phys_bits;
	u64 keyid = a->rcx >> bits;
	u16 *e = pamt_entry(a->rcx & (BIT_ULL(bits) - 1));

	if (!e || keyid < SIM_GLOBAL_KEYID ||
	    keyid >= SIM_GLOBAL_KEYID + SIM_NR_TDX_KEYIDS)
		return TDX_OPERAND_INVALID;
	if (*e)
		return TDX_PAGE_METADATA_INCORRECT;
	return TDX_SUCCESS;
}

static u64 td_leaf(u64 leaf, struct tdx_module_args *a, int cpu)
{
	struct sim_td *td;

	if (leaf == TDH_MNG_CREATE)
		return td_create(a);

	/* These take the TDR in RDX, a page in RCX. */
	td = find_td(leaf == TDH_MEM_PAGE_ADD || leaf == TDH_MR_EXTEND ||
		     leaf == TDH_MNG_ADDCX ? a->rdx : a->rcx);
	if (!td)
		return TDX_OPERAND_INVALID;

	switch (leaf) {
	case TDH_MNG_KEY_CONFIG:
		return td_key_config(td, cpu);
	case TDH_MNG_ADDCX:
		return td_addcx(td, a->rcx);
	case TDH_MNG_INIT:
		return td_init(td);
	case TDH_MEM_PAGE_ADD:
		return td_page_add(td, a);
	case TDH_MR_EXTEND:
		return td_extend(td, a->rcx);
	case TDH_MR_FINALIZE:
		return td_finalize(td);
	case TDH_MNG_RD:
		return td_rd(td, a);
	case TDH_MNG_VPFLUSHDONE:
		return td_vpflushdone(td);
	case TDH_MNG_KEY_FREEID:
		return td_key_freeid(td);
	}
	return TDX_OPERAND_INVALID;
}

/* ---- Dispatch ------------------------------------------------------- */

static u64 module_leaf(u64 leaf, struct tdx_module_args *a, int cpu)
{
	u64 nr = TDX_LEAF_NUMBER(leaf);

	if (sim.phase == SIM_NO_MODULE)
		return TDX_SEAMCALL_VMFAILINVALID;

	/* The initialization leaves check the phase themselves. */
	switch (nr) {
	case TDH_SYS_INIT:
		return sim.phase == SIM_DISABLED ? TDX_SYS_SHUTDOWN : sys_init();
	case TDH_SYS_LP_INIT:
		return sys_lp_init(cpu);
	case TDH_SYS_DISABLE:
		return sys_disable();
	}

	switch (sim.phase) {
	case SIM_LOADED:
		return TDX_SYS_INIT_NOT_PENDING;
	case SIM_SHUTDOWN:
	case SIM_INSTALLING:
	case SIM_DISABLED:
		return TDX_SYS_SHUTDOWN;
	default:
		break;
	}
	/* Every other leaf runs only on a CPU that took TDH.SYS.LP.INIT. */
	if (!cpumask_test_cpu(cpu, &sim.lp_initialized))
		return TDX_SYS_LP_INIT_NOT_DONE;

	switch (nr) {
	case TDH_SYS_RD:
		return sys_rd(a);
	case TDH_SYS_CONFIG:
		return sys_config(a);
	case TDH_SYS_KEY_CONFIG:
		return sys_key_config(cpu);
	case TDH_SYS_TDMR_INIT:
		return sys_tdmr_init(a);
	case TDH_SYS_UPDATE:
		return sys_update();
	}

	if (sim.phase != SIM_RUNNING)
		return TDX_SYS_NOT_READY;

	switch (nr) {
	case TDH_SYS_SHUTDOWN:
		return sys_shutdown(a);
	case TDH_PHYMEM_CACHE_WB:
		return phymem_cache_wb(a, cpu);
	case TDH_PHYMEM_PAGE_RECLAIM:
		return phymem_page_reclaim(a);
	case TDH_PHYMEM_PAGE_WBINVD:
		return phymem_page_wbinvd(a);
	case TDH_MNG_CREATE:
	case TDH_MNG_KEY_CONFIG:
	case TDH_MNG_ADDCX:
	case TDH_MNG_INIT:
	case TDH_MEM_PAGE_ADD:
	case TDH_MR_EXTEND:
	case TDH_MR_FINALIZE:
	case TDH_MNG_RD:
	case TDH_MNG_VPFLUSHDONE:
	case TDH_MNG_KEY_FREEID:
		return td_leaf(nr, a, cpu);
	}
	return TDX_OPERAND_INVALID;
}

/* An injected fault for this call, or 0.  Called with sim_lock held. */
static u64 take_fault(u64 leaf, int cpu)
{
	unsigned int i;

	for (i = 0; i < SIM_MAX_FAULTS; i++) {
		struct sim_fault *f = &sim.faults[i];

		if (!f->active || leaf_index(f->leaf) != leaf_index(leaf) ||
		    (f->cpu >= 0 && f->cpu != cpu))
			continue;
		if (f->skip) {
			f->skip--;
			continue;
		}
		if (f->times != TDX_SIM_FAULT_ALWAYS && !--f->times)
			f->active = false;
		sim.faults_fired++;
		return f->status;
	}
	return 0;
}

static void sim_delay(unsigned int us)
{
	while (us) {
		unsigned int d = min(us, 1000U);

		udelay(d);
		us -= d;
	}
}

static u64 sim_seamcall(u64 leaf, struct tdx_module_args *args)
{
	int idx = leaf_index(leaf);
	bool seamldr = leaf & P_SEAMLDR_LEAF;
	unsigned int delay = 0;
	unsigned long flags;
	u64 status;
	int cpu;

	if (idx < 0)
		return TDX_OPERAND_INVALID;

	/* A SEAMCALL runs on one CPU, start to end. */
	cpu = get_cpu();
	if (seamldr && atomic_inc_return(&sim_in_seamldr) > 1) {
		raw_spin_lock_irqsave(&sim_lock, flags);
		sim.calls[idx]++;
		sim.seamldr_overlaps++;
		raw_spin_unlock_irqrestore(&sim_lock, flags);
		status = P_SEAMLDR_EBUSY;
		goto out;
	}

	raw_spin_lock_irqsave(&sim_lock, flags);
	sim.calls[idx]++;
	delay = sim.latency_us[idx];
	status = take_fault(leaf, cpu);
	if (!status) {
		switch (leaf) {
		case P_SEAMLDR_INFO:
			status = seamldr_info(args);
			break;
		case P_SEAMLDR_INSTALL:
			status = seamldr_install(args, cpu);
			break;
		default:
			status = module_leaf(leaf, args, cpu);
		}
	}
	raw_spin_unlock_irqrestore(&sim_lock, flags);

	/* Time spent inside: another CPU entering the P-SEAMLDR now overlaps. */
	sim_delay(delay);
out:
	if (seamldr)
		atomic_dec(&sim_in_seamldr);
	put_cpu();
	return status;
}

/* The SEAMCALL entry points, in place of seamcall.S. */
u64 __seamcall(u64 fn, struct tdx_module_args *args)
{
	struct tdx_module_args scratch = *args;

	/* The plain variant returns nothing but the status. */
	return sim_seamcall(fn, &scratch);
}

u64 __seamcall_ret(u64 fn, struct tdx_module_args *args)
{
	return sim_seamcall(fn, args);
}

u64 __seamcall_saved_ret(u64 fn, struct tdx_module_args *args)
{
	return sim_seamcall(fn, args);
}

/* ---- Control, for tests --------------------------------------------- */

/**
 * tdx_sim_default_module() - the module the simulator boots with
 * @desc: filled in
 */
void tdx_sim_default_module(struct tdx_sim_module_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	memcpy(desc->magic, TDX_SIM_MODULE_MAGIC, 8);
	desc->major = 1;
	desc->minor = 5;
	desc->update = 6;
	desc->handoff_version = 4;
	desc->min_handoff_version = 2;
	desc->crypto_lib_version = 1;
	/* TDX_FEATURES0 as Intel publishes it for release 1.5.06 */
	desc->features0 = SIM_FEATURES0_1_5_06;
}
EXPORT_SYMBOL_GPL(tdx_sim_default_module);

struct sim_power_cycle {
	u32 remaining;
	int ret;
};

/*
 * A failed update left the kernel without a module: install the one the
 * simulator runs, as a reboot would bring it back.
 */
static int sim_revive(const struct tdx_sim_module_desc *desc)
{
	size_t size = tdx_sim_image_size(1);
	u8 *img = vmalloc(size);
	int ret;

	if (!img)
		return -ENOMEM;
	ret = tdx_sim_make_image(img, desc, 1);
	if (!ret)
		ret = seamldr_install_module(img, size);
	vfree(img);
	return ret;
}

/* Called by the update code with every build shut out. */
static void sim_power_cycle(void *data)
{
	struct sim_power_cycle *pc = data;
	struct tdx_sim_module_desc cur;
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_lock, flags);
	cur = sim.cur;
	forget_tds();
	memset(&sim, 0, sizeof(sim));
	sim.cur = cur;
	sim.phase = SIM_RUNNING;
	cpumask_copy(&sim.lp_initialized, cpu_present_mask);
	sim.remaining_updates = pc->remaining + 1;
	raw_spin_unlock_irqrestore(&sim_lock, flags);

	if (!tdx_get_sysinfo())
		pc->ret = sim_revive(&cur);

	raw_spin_lock_irqsave(&sim_lock, flags);
	sim.remaining_updates = pc->remaining;
	memset(sim.calls, 0, sizeof(sim.calls));
	raw_spin_unlock_irqrestore(&sim_lock, flags);
}

/**
 * tdx_sim_reset() - bring the simulated module back to a known state
 * @remaining: updates the P-SEAMLDR accepts from now on
 *
 * Forgets all TDs, faults, latencies and counters.  The module that ran
 * last runs on, initialized, since the kernel keeps what it read of it
 * at boot; a module a failed update left dead runs again, as after a
 * reboot.  Then the update code probes it again.  Waits for an update
 * that runs.  Refused while a build hold is out; no build can start
 * until the probe is done.
 *
 * Return: 0; -EBUSY if a build hold is out; -EINTR if killed meanwhile;
 * another negative errno if a dead module could not be brought back.
 */
int tdx_sim_reset(u32 remaining)
{
	struct sim_power_cycle pc = { .remaining = remaining };
	int ret;

	ret = tdx_update_test_reprobe(sim_power_cycle, &pc);
	if (ret)
		return ret;
	tdx_update_test_set_start_delay(0);
	return pc.ret;
}
EXPORT_SYMBOL_GPL(tdx_sim_reset);

/**
 * tdx_sim_reload() - the module as the BIOS leaves it, not initialized
 *
 * For tests that drive the boot leaves by hand.  The kernel still holds
 * what it read at boot: call tdx_sim_reset() before anything else runs.
 */
void tdx_sim_reload(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_lock, flags);
	sim.phase = SIM_LOADED;
	cpumask_clear(&sim.lp_initialized);
	cpumask_clear(&sim.keyed);
	sim.nr_tdmrs = 0;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
}
EXPORT_SYMBOL_GPL(tdx_sim_reload);

/**
 * tdx_sim_add_fault() - make a leaf fail
 * @leaf: the leaf
 * @cpu: only on this CPU, or -1 for any
 * @skip: let this many matching calls through first
 * @times: fail this many calls, or TDX_SIM_FAULT_ALWAYS
 * @status: the completion status to return
 *
 * A faulted call has no other effect.
 *
 * Return: 0, or -ENOSPC when the fault table is full.
 */
int tdx_sim_add_fault(u64 leaf, int cpu, unsigned int skip,
		      unsigned int times, u64 status)
{
	unsigned long flags;
	int i, ret = -ENOSPC;

	raw_spin_lock_irqsave(&sim_lock, flags);
	for (i = 0; i < SIM_MAX_FAULTS; i++) {
		struct sim_fault *f = &sim.faults[i];

		if (f->active)
			continue;
		*f = (struct sim_fault){
			.active = true, .leaf = leaf, .cpu = cpu,
			.skip = skip, .times = times, .status = status,
		};
		ret = 0;
		break;
	}
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_sim_add_fault);

/** tdx_sim_clear_faults() - remove every injected fault */
void tdx_sim_clear_faults(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_lock, flags);
	memset(sim.faults, 0, sizeof(sim.faults));
	raw_spin_unlock_irqrestore(&sim_lock, flags);
}
EXPORT_SYMBOL_GPL(tdx_sim_clear_faults);

/** tdx_sim_faults_fired() - injected faults that fired since the reset */
unsigned int tdx_sim_faults_fired(void)
{
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&sim_lock, flags);
	n = sim.faults_fired;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_faults_fired);

/**
 * tdx_sim_seamldr_overlaps() - P-SEAMLDR calls that found another CPU
 *	inside it
 *
 * Return: the count since the last reset; the kernel must keep it zero.
 */
unsigned long tdx_sim_seamldr_overlaps(void)
{
	unsigned long flags, n;

	raw_spin_lock_irqsave(&sim_lock, flags);
	n = sim.seamldr_overlaps;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_seamldr_overlaps);

/** tdx_sim_sensitive_tds() - TDs between TDH.MNG.INIT and TDH.MR.FINALIZE */
unsigned int tdx_sim_sensitive_tds(void)
{
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&sim_lock, flags);
	n = count_sensitive();
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_sensitive_tds);

/** tdx_sim_remaining_updates() - updates the P-SEAMLDR still accepts */
u32 tdx_sim_remaining_updates(void)
{
	unsigned long flags;
	u32 n;

	raw_spin_lock_irqsave(&sim_lock, flags);
	n = sim.remaining_updates;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_remaining_updates);

/** tdx_sim_live_tds() - TDs created and not yet freed */
unsigned int tdx_sim_live_tds(void)
{
	unsigned long flags;
	unsigned int i, n = 0;

	raw_spin_lock_irqsave(&sim_lock, flags);
	for (i = 0; i < SIM_MAX_TDS; i++)
		n += sim.tds[i].state != TD_FREE;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_live_tds);

/**
 * tdx_sim_set_latency_us() - make a leaf take this long
 * @leaf: the leaf
 * @us: busy-wait this many microseconds after the call
 *
 * Return: 0, or -EINVAL for an unknown leaf.
 */
int tdx_sim_set_latency_us(u64 leaf, unsigned int us)
{
	int idx = leaf_index(leaf);
	unsigned long flags;

	if (idx < 0)
		return -EINVAL;
	raw_spin_lock_irqsave(&sim_lock, flags);
	sim.latency_us[idx] = us;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_sim_set_latency_us);

/**
 * tdx_sim_calls() - how often a leaf was called since the last reset
 * @leaf: the leaf
 *
 * Return: the count, faulted calls included.
 */
unsigned long tdx_sim_calls(u64 leaf)
{
	int idx = leaf_index(leaf);
	unsigned long flags, n;

	if (idx < 0)
		return 0;
	raw_spin_lock_irqsave(&sim_lock, flags);
	n = sim.calls[idx];
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_calls);

/**
 * tdx_sim_boot_calls() - how often the kernel's boot-time initialization
 *	called a leaf
 * @leaf: the leaf
 *
 * Return: the count up to the end of TDH.SYS.TDMR.INIT at boot.
 */
unsigned long tdx_sim_boot_calls(u64 leaf)
{
	int idx = leaf_index(leaf);
	unsigned long flags, n;

	if (idx < 0)
		return 0;
	raw_spin_lock_irqsave(&sim_lock, flags);
	n = sim_boot_calls[idx];
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	return n;
}
EXPORT_SYMBOL_GPL(tdx_sim_boot_calls);

/**
 * tdx_sim_running_module() - the module the simulator runs now
 * @desc: filled in
 */
void tdx_sim_running_module(struct tdx_sim_module_desc *desc)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim_lock, flags);
	*desc = sim.cur;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
}
EXPORT_SYMBOL_GPL(tdx_sim_running_module);

/* ---- Control from userspace, for the VM tests ----------------------- */

/*
 * Test kernels only: the same knobs as above, as write-only module
 * parameters under /sys/module/tdx_sim/parameters/, so that programs in
 * the test VM can inject faults and power-cycle the module:
 *
 *   fault     "LEAF CPU SKIP TIMES STATUS" adds a fault (CPU -1: any,
 *             TIMES 0: always); "clear" removes them all
 *   latency   "LEAF US" sets a leaf's latency
 *   reset     "N": tdx_sim_reset() with N updates remaining, also after
 *             a failed update left TDX dead; EBUSY while a build hold
 *             is out or an update is pending.  TDs still open are
 *             forgotten: close them first.
 *   update_start_delay_ms
 *             "MS": every update task sleeps MS milliseconds before it
 *             reaches the gate, as on a loaded machine (0 to 10000;
 *             reset sets it back to 0)
 *
 * and read-only counters: faults_fired, live_tds, sensitive_tds,
 * seamldr_overlaps, remaining, running ("MAJOR.MINOR.UPDATE CRYPTO").
 */
/*
 * Parse exactly @n blank-separated numbers, in any base kstrtoull()
 * takes; a negative one is stored two's complement.
 */
static int parse_numbers(const char *val, u64 *v, unsigned int n)
{
	char buf[128], *p = buf, *tok;
	unsigned int i = 0;
	s64 neg;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	while ((tok = strsep(&p, " \t\n"))) {
		if (!*tok)
			continue;
		if (i == n)
			return -EINVAL;
		if (*tok == '-') {
			if (kstrtoll(tok, 0, &neg))
				return -EINVAL;
			v[i++] = neg;
		} else if (kstrtoull(tok, 0, &v[i++])) {
			return -EINVAL;
		}
	}
	return i == n ? 0 : -EINVAL;
}

static int fault_set(const char *val, const struct kernel_param *kp)
{
	u64 v[5];
	int cpu;

	if (sysfs_streq(val, "clear")) {
		tdx_sim_clear_faults();
		return 0;
	}
	if (parse_numbers(val, v, 5))
		return -EINVAL;
	cpu = (int)v[1];
	if (leaf_index(v[0]) < 0 || cpu < -1 || cpu >= (int)nr_cpu_ids ||
	    v[2] > UINT_MAX || v[3] > UINT_MAX || !v[4])
		return -EINVAL;
	return tdx_sim_add_fault(v[0], cpu, v[2], v[3], v[4]);
}

static const struct kernel_param_ops fault_ops = { .set = fault_set };
module_param_cb(fault, &fault_ops, NULL, 0200);
MODULE_PARM_DESC(fault, "LEAF CPU SKIP TIMES STATUS, or clear: test only");

static int latency_set(const char *val, const struct kernel_param *kp)
{
	u64 v[2];

	if (parse_numbers(val, v, 2) || v[1] > USEC_PER_SEC)
		return -EINVAL;
	return tdx_sim_set_latency_us(v[0], v[1]);
}

static const struct kernel_param_ops latency_ops = { .set = latency_set };
module_param_cb(latency, &latency_ops, NULL, 0200);
MODULE_PARM_DESC(latency, "LEAF MICROSECONDS: test only");

static int reset_set(const char *val, const struct kernel_param *kp)
{
	u32 remaining;
	int ret = kstrtou32(val, 0, &remaining);

	if (ret)
		return ret;
	/* Do not wait for a pending update; tdx_sim_reset() checks builds. */
	if (tdx_update_state() == TDX_UPDATE_WAITING ||
	    tdx_update_state() == TDX_UPDATE_UPDATING)
		return -EBUSY;
	return tdx_sim_reset(remaining);
}

static const struct kernel_param_ops reset_ops = { .set = reset_set };
module_param_cb(reset, &reset_ops, NULL, 0200);
MODULE_PARM_DESC(reset, "forget TDs, faults, counters; N updates remaining: test only");

static int start_delay_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 10, &ms) || ms > TDX_UPDATE_TEST_MAX_START_DELAY_MS)
		return -EINVAL;
	tdx_update_test_set_start_delay(ms);
	return 0;
}

static const struct kernel_param_ops start_delay_ops = {
	.set = start_delay_set,
};
module_param_cb(update_start_delay_ms, &start_delay_ops, NULL, 0200);
MODULE_PARM_DESC(update_start_delay_ms,
		 "update tasks sleep this long before the gate: test only");

enum sim_counter {
	CNT_FAULTS_FIRED,
	CNT_LIVE_TDS,
	CNT_SENSITIVE_TDS,
	CNT_SEAMLDR_OVERLAPS,
	CNT_REMAINING,
	CNT_RUNNING,
	CNT_PHASE,
	CNT_INFO_NS,
	CNT_SHUTDOWN_NS,
	CNT_UPDATED_NS,
};

static const char * const phase_names[] = {
	[SIM_LOADED] = "loaded",
	[SIM_SYSINIT] = "sysinit",
	[SIM_CONFIGURED] = "configured",
	[SIM_KEYS_CONFIGURED] = "keys-configured",
	[SIM_RUNNING] = "running",
	[SIM_SHUTDOWN] = "shutdown",
	[SIM_INSTALLING] = "installing",
	[SIM_UPDATE_INIT] = "update-init",
	[SIM_DISABLED] = "disabled",
	[SIM_NO_MODULE] = "no-module",
};

static int counter_get(char *buf, const struct kernel_param *kp)
{
	struct tdx_sim_module_desc d;

	switch ((uintptr_t)kp->arg) {
	case CNT_FAULTS_FIRED:
		return sysfs_emit(buf, "%u\n", tdx_sim_faults_fired());
	case CNT_LIVE_TDS:
		return sysfs_emit(buf, "%u\n", tdx_sim_live_tds());
	case CNT_SENSITIVE_TDS:
		return sysfs_emit(buf, "%u\n", tdx_sim_sensitive_tds());
	case CNT_SEAMLDR_OVERLAPS:
		return sysfs_emit(buf, "%lu\n", tdx_sim_seamldr_overlaps());
	case CNT_REMAINING:
		return sysfs_emit(buf, "%u\n", tdx_sim_remaining_updates());
	case CNT_PHASE:
		return sysfs_emit(buf, "%s\n", phase_names[READ_ONCE(sim.phase)]);
	case CNT_INFO_NS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(sim.info_ns));
	case CNT_SHUTDOWN_NS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(sim.shutdown_ns));
	case CNT_UPDATED_NS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(sim.updated_ns));
	}
	tdx_sim_running_module(&d);
	return sysfs_emit(buf, "%u.%u.%02u %u\n", d.major, d.minor, d.update,
			  d.crypto_lib_version);
}

static const struct kernel_param_ops counter_ops = { .get = counter_get };
module_param_cb(faults_fired, &counter_ops, (void *)CNT_FAULTS_FIRED, 0444);
module_param_cb(live_tds, &counter_ops, (void *)CNT_LIVE_TDS, 0444);
module_param_cb(sensitive_tds, &counter_ops, (void *)CNT_SENSITIVE_TDS, 0444);
module_param_cb(seamldr_overlaps, &counter_ops, (void *)CNT_SEAMLDR_OVERLAPS,
		0444);
module_param_cb(remaining, &counter_ops, (void *)CNT_REMAINING, 0444);
module_param_cb(running, &counter_ops, (void *)CNT_RUNNING, 0444);
module_param_cb(phase, &counter_ops, (void *)CNT_PHASE, 0444);
module_param_cb(info_ns, &counter_ops, (void *)CNT_INFO_NS, 0444);
module_param_cb(shutdown_ns, &counter_ops, (void *)CNT_SHUTDOWN_NS, 0444);
module_param_cb(updated_ns, &counter_ops, (void *)CNT_UPDATED_NS, 0444);

/**
 * tdx_sim_rdmsrq() - the platform MSRs the TDX host code reads
 * @msr: IA32_MKTME_KEYID_PARTITIONING or IA32_VMX_BASIC
 * @val: its value
 *
 * The first call comes from tdx_init() on the boot CPU, before
 * alternatives are patched: the simulated platform also presents there
 * the CPU feature TDX needs and QEMU's TCG does not offer (MOVDIR64B,
 * which only the PW_MCE erratum's reset path executes).
 *
 * Return: 0, or -EIO for any other MSR.
 */
int tdx_sim_rdmsrq(u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_IA32_MKTME_KEYID_PARTITIONING:
		if (!boot_cpu_has(X86_FEATURE_MOVDIR64B))
			setup_force_cpu_cap(X86_FEATURE_MOVDIR64B);
		*val = (u64)SIM_NR_TDX_KEYIDS << 32 | SIM_NR_MKTME_KEYIDS;
		return 0;
	case MSR_IA32_VMX_BASIC:
		/* Revision 1, 4 KiB VMCS, P-SEAMLDR calls keep the VMCS. */
		*val = VMX_BASIC_NO_SEAMRET_INVD_VMCS |
		       (u64)PAGE_SIZE << 32 | 1;
		return 0;
	}
	*val = 0;
	return -EIO;
}

/*
 * The module is loaded before the kernel boots; the kernel initializes
 * it from subsys_initcall(tdx_enable), after this.
 */
static int __init tdx_sim_init(void)
{
	unsigned long flags;
	u16 *pamt;

	/* The PAMT: every page is TDX memory here.  Without it, no TDs. */
	pamt = vzalloc(array_size(max_pfn, sizeof(*pamt)));

	raw_spin_lock_irqsave(&sim_lock, flags);
	sim_pamt = pamt;
	sim_pamt_pages = pamt ? max_pfn : 0;
	tdx_sim_default_module(&sim.cur);
	sim.phase = SIM_LOADED;
	sim.remaining_updates = remaining_updates;
	raw_spin_unlock_irqrestore(&sim_lock, flags);
	pr_info("simulated TDX module %u.%u.%02u loaded, %u runtime updates allowed\n",
		sim.cur.major, sim.cur.minor, sim.cur.update,
		sim.remaining_updates);
	return 0;
}
arch_initcall(tdx_sim_init);
