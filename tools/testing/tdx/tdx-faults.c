// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-faults: a fault campaign against runtime TDX module update (upstream's
 * seamldr_install_module() behind the gate), played in the test VM over
 * the simulated module's fault injection.
 *
 * Each row of rows[] is one case: a fault (leaf, CPU, calls let through,
 * calls failed, completion status) injected into one SEAMCALL of the
 * update or of a TD build, or an update image that is malformed or that
 * the P-SEAMLDR refuses, or a machine state the update must refuse.  Its
 * expected outcome is written in the table, derived from upstream's
 * update as this series leaves it:
 *
 *  - tdx_module_update() (update.c) checks the image, then
 *    update_precheck() reads SEAMLDR.INFO (no updates left: -ENOSPC; a
 *    CPU offline: -EBUSY), closes the gate and lets the update task run
 *    seamldr_install_module() (seamldr.c), which reads SEAMLDR.INFO once
 *    more and starts the stop_machine() walk;
 *  - MODULE_UPDATE_SHUTDOWN, on CPU 0 only: tdx_module_shutdown() reads
 *    the handoff version (one TDH.SYS.RD) and issues TDH.SYS.SHUTDOWN,
 *    with AVOID_COMPAT_SENSITIVE only where the module offers
 *    UPDATE_COMPAT; its conflict status is -EBUSY (device-busy), any
 *    other failure -EIO, and the old module runs on either way;
 *  - MODULE_UPDATE_CPU_INSTALL, every CPU: SEAMLDR.INSTALL, serialized;
 *    once one failed the others do not call it (patch 0004);
 *  - MODULE_UPDATE_CPU_INIT, every CPU: tdx_cpu_enable(), whose first
 *    caller, on whichever CPU, issues TDH.SYS.INIT for all, then
 *    TDH.SYS.LP.INIT on each;
 *  - MODULE_UPDATE_RUN_UPDATE, on CPU 0: TDH.SYS.UPDATE, then TDH.SYS.RD
 *    of the version (three fields) and of TDX_FEATURES0 (patches 0005
 *    and 0007: a failed read fails the update);
 *
 * the first failure ends the walk; one after TDH.SYS.SHUTDOWN leaves no
 * module the kernel may use (update_state "dead").  sc_retry() issues a
 * SEAMCALL that returns TDX_RND_NO_ENTROPY up to 10 times; the fw_upload
 * error table is tdx-host's (patch 0013); the TD build path is the
 * stand-in's (tdx_sim_td.c, upstream's tdh_*() wrappers: a failed
 * SEAMCALL is EIO with the status in hw_error).
 *
 * On 7.3 the kernel reads the module's version and features at boot and
 * after each update only, so a reset of the simulator ("reset N": N
 * updates left, no TDs, no faults, counters zero; a dead module revived)
 * keeps the module that ran last.  Versions are therefore relative to
 * the module a row starts with: v+0 is it, v+1 the row's image, v+2 the
 * follow-up's.  Images carry TDX_FEATURES0 of the real release 1.5.06,
 * which lacks UPDATE_COMPAT, unless the row is for a module that has it
 * ("compat"); a row first updates to a module of its kind if the one
 * running is not.
 *
 * Every row starts from a reset with two finalized TDs, then:
 *
 *  update and image rows  inject the fault, upload the row's image;
 *  build rows             inject the fault, build a third TD, and while
 *                         it is still open read builds_in_flight and, if
 *                         a hold is out, check that a nonblock upload is
 *                         refused with device-busy; then close it and
 *                         check that the module freed it.
 *
 * and observes, with the faults cleared again: the upload error (or the
 * failed command and hw_error), update_state, the version the host
 * reports (checked against the simulator's), whether the two finalized
 * TDs still read the expected MRTD, num_remaining_updates, faults_fired,
 * builds_in_flight once the failed TD is closed, and what comes next: a
 * nonblock build and a nonblock upload of v+2 must both succeed while
 * TDX lives, and fail fast (ENXIO, preparing:hw-error) once it is dead.
 * seamldr_overlaps must stay 0 throughout.
 *
 * Output is TAP, one test per row, then the table as comments.  Exit 0
 * iff every row matched.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_vmlib.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* SEAMCALL leaves, as in arch/x86/virt/vmx/tdx/tdx.h and seamldr.c */
#define SEAMLDR_LEAF		0x8000000000000000ULL
#define L_PAGE_ADD		2ULL
#define L_KEY_CONFIG		8ULL
#define L_MNG_CREATE		9ULL
#define L_MR_EXTEND		16ULL
#define L_MR_FINALIZE		17ULL
#define L_MNG_INIT		21ULL
#define L_VPFLUSHDONE		19ULL
#define L_KEY_FREEID		20ULL
#define L_RECLAIM		28ULL
#define L_CACHE_WB		40ULL
#define L_WBINVD		41ULL
#define L_SYS_INIT		33ULL
#define L_SYS_RD		34ULL
#define L_LP_INIT		35ULL
#define L_SHUTDOWN		52ULL
#define L_SYS_UPDATE		53ULL
#define L_INFO			(SEAMLDR_LEAF | 0)
#define L_INSTALL		(SEAMLDR_LEAF | 1)

/* Completion statuses (the TDX module and P-SEAMLDR ABI; asm/tdx.h) */
#define S_OPERAND_INVALID	0xC000010000000000ULL
#define S_OPERAND_BUSY		0x8000020000000000ULL
#define S_OP_STATE_INCORRECT	0xC000030000000000ULL
#define S_COMPAT_SENSITIVE	0x8000051200000000ULL
#define S_EBADPARAM		0x8000000000000001ULL
#define S_EBADSIG		0x8000000000000002ULL
#define S_ENOSPC		0x8000000000000003ULL
#define S_EBUSY			0x8000000000000005ULL
#define S_NO_ENTROPY		0x8000020300000000ULL
#define S_VMFAILINVALID		0x8000FF00FFFF0000ULL
#define S_INTERRUPTED		0x8000000300000000ULL

/* sc_retry(): RDRAND_RETRY_LOOPS calls while TDX_RND_NO_ENTROPY */
#define RETRIES			10

#define ALWAYS			0	/* fault TIMES: no end */
#define ANY_CPU			(-1)
#define ANY			(-1)	/* remaining: not checked */
#define SOME			(-1)	/* faults fired: at least one */

#define RESET_UPDATES		64
#define MOD_PAGES		3	/* so that one is in the middle */
#define UPLOAD_POLL_MS		30000
#define BLOCK_TIMEOUT_MS	"10000"
#define ERR_LEN			160

/* The module every image describes, but for its update number */
#define MOD_MAJOR		1
#define MOD_MINOR		5
#define MOD_HANDOFF		4
#define MOD_MIN_HANDOFF		2
/* TDX_FEATURES0 of the real release 1.5.06: no UPDATE_COMPAT (bit 47) */
#define F0_RELEASE		0x2E1F0FBFULL
#define F0_UPDATE_COMPAT	0x800000000000ULL

/* fw_upload's "error" attribute, "" (shown "ok") on success */
#define E_OK		"ok"
#define E_HW		"transferring:hw-error"
#define E_BUSY		"transferring:device-busy"
#define E_WEAROUT	"transferring:flash-wearout"
/* Refused by the checks that begin the update, in prepare */
#define E_BUSY_PREP	"preparing:device-busy"
#define E_INVALID	"preparing:firmware-invalid"
#define E_SIZE		"preparing:invalid-file-size"
#define E_DEAD		"preparing:hw-error"

enum row_kind { R_UPDATE, R_BUILD, R_TEARDOWN, R_IMAGE };

/* What the row leaves behind. */
enum end_state {
	OLD,		/* idle, v+0, the TDs kept */
	NEW,		/* idle, v+1, the TDs kept */
	DEAD_LOST,	/* dead, no version, the TDs gone with the module */
	DEAD_KEPT,	/* dead, no version, the module still runs the TDs */
};

/* How the row's machine differs from the usual one */
#define M_COMPAT	0x1U	/* the module offers UPDATE_COMPAT */
#define M_NO_ROOM	0x2U	/* the P-SEAMLDR takes no more updates */
#define M_CPU1_OFFLINE	0x4U	/* CPU 1 offline during the upload */

enum image_kind {
	IMG_GOOD, IMG_TOO_SHORT, IMG_BAD_VERSION, IMG_BAD_SIGNATURE,
	IMG_RESERVED, IMG_NO_SIGSTRUCT, IMG_TWO_SIGSTRUCT, IMG_NO_MODULE,
	IMG_TOO_MANY_MODULE, IMG_LONGER, IMG_SHORTER, IMG_BAD_DIGEST,
	IMG_MIXED, IMG_TRUNCATED_PAGE, IMG_FLIPPED_BIT, IMG_HANDOFF,
};

/**
 * struct row - one case and its expected outcome
 * @name: what it is
 * @kind: what the row does after injecting the fault
 * @machine: M_* flags
 * @leaf: the faulted leaf, 0 for none
 * @cpu: the CPU it fails on, ANY_CPU
 * @skip: matching calls let through first
 * @times: calls failed, ALWAYS
 * @status: the status they return
 * @img: the image uploaded (update and image rows)
 * @err: the upload error; build rows: the command that fails, NULL if
 *	the build must succeed; teardown rows: NULL (the build succeeds,
 *	the fault hits when its TD is closed)
 * @end: the state afterwards
 * @rem: num_remaining_updates afterwards, or ANY
 * @fired: faults_fired, or SOME
 * @open: build rows: builds_in_flight while the failed TD is open,
 *	":busy" if a nonblock upload is then refused with device-busy, and
 *	"/" live_tds once it is closed (the two finalized TDs, and the
 *	row's TD if the module kept it)
 */
struct row {
	const char *name;
	enum row_kind kind;
	unsigned int machine;
	unsigned long long leaf;
	int cpu;
	unsigned int skip;
	unsigned int times;
	unsigned long long status;
	enum image_kind img;
	const char *err;
	enum end_state end;
	int rem;
	int fired;
	const char *open;
};

#define UPDM(_n, _m, _l, _c, _s, _t, _st, _e, _end, _rem, _f)		\
	{ .name = _n, .kind = R_UPDATE, .machine = _m, .leaf = _l,	\
	  .cpu = _c, .skip = _s, .times = _t, .status = _st,		\
	  .img = IMG_GOOD, .err = _e, .end = _end, .rem = _rem,		\
	  .fired = _f }
#define UPD(_n, _l, _c, _s, _t, _st, _e, _end, _rem, _f)		\
	UPDM(_n, 0, _l, _c, _s, _t, _st, _e, _end, _rem, _f)

/* A build fault leaves the module as it was: idle, v+0, 64 left. */
#define BLD(_n, _l, _s, _t, _st, _cmd, _open, _f)			\
	{ .name = _n, .kind = R_BUILD, .leaf = _l, .cpu = ANY_CPU,	\
	  .skip = _s, .times = _t, .status = _st, .err = _cmd,		\
	  .end = OLD, .rem = RESET_UPDATES, .fired = _f, .open = _open }

/*
 * A teardown fault: the TD is built and finalized with the fault armed
 * (no build issues these leaves), and it hits when the TD is closed.
 * As KVM, the stand-in leaks what the module keeps; the hold is back
 * either way and the module runs on.
 */
#define TDN(_n, _l, _s, _t, _st, _open, _f)				\
	{ .name = _n, .kind = R_TEARDOWN, .leaf = _l, .cpu = ANY_CPU,	\
	  .skip = _s, .times = _t, .status = _st, .err = NULL,		\
	  .end = OLD, .rem = RESET_UPDATES, .fired = _f, .open = _open }

/*
 * An image row; @_trip arms an always-failing SEAMLDR.INFO, the first
 * SEAMCALL an update issues (update_precheck()): an image refused before
 * anything is touched never fires it.
 */
#define IMG(_n, _img, _trip, _e, _end, _rem)				\
	{ .name = _n, .kind = R_IMAGE, .leaf = (_trip) ? L_INFO : 0,	\
	  .cpu = ANY_CPU, .times = ALWAYS, .status = S_EBADPARAM,	\
	  .img = _img, .err = _e, .end = _end, .rem = _rem, .fired = 0 }

static const struct row rows[] = {
	/* No fault: an update on each kind of module. */
	UPD("no fault, module without UPDATE_COMPAT", 0, ANY_CPU, 0, 0, 0,
	    E_OK, NEW, 63, 0),
	UPDM("no fault, module with UPDATE_COMPAT", M_COMPAT, 0, ANY_CPU, 0,
	     0, 0, E_OK, NEW, 63, 0),
	/*
	 * SHUTDOWN: CPU 0 only.  A failure leaves the old module running
	 * and nothing installed (-EIO: hw-error, 64 left); the conflict
	 * with AVOID_COMPAT_SENSITIVE, passed only to a module with
	 * UPDATE_COMPAT, is -EBUSY: device-busy.  A fault pinned to CPU 1
	 * is never issued.  NO_ENTROPY is retried: 9 failures leave the
	 * 10th call through, 10 exhaust sc_retry().
	 */
	UPD("SHUTDOWN cpu0 operand-invalid", L_SHUTDOWN, 0, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, OLD, 64, 1),
	UPD("SHUTDOWN any operand-invalid", L_SHUTDOWN, ANY_CPU, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, OLD, 64, 1),
	UPD("SHUTDOWN cpu0 vmfailinvalid", L_SHUTDOWN, 0, 0, ALWAYS,
	    S_VMFAILINVALID, E_HW, OLD, 64, 1),
	UPD("SHUTDOWN cpu1 operand-invalid (not issued)", L_SHUTDOWN, 1, 0,
	    ALWAYS, S_OPERAND_INVALID, E_OK, NEW, 63, 0),
	UPDM("SHUTDOWN any compat-sensitive", M_COMPAT, L_SHUTDOWN, ANY_CPU,
	     0, ALWAYS, S_COMPAT_SENSITIVE, E_BUSY, OLD, 64, 1),
	UPDM("SHUTDOWN cpu0 compat-sensitive once", M_COMPAT, L_SHUTDOWN, 0,
	     0, 1, S_COMPAT_SENSITIVE, E_BUSY, OLD, 64, 1),
	UPDM("SHUTDOWN cpu1 compat-sensitive (not issued)", M_COMPAT,
	     L_SHUTDOWN, 1, 0, ALWAYS, S_COMPAT_SENSITIVE, E_OK, NEW, 63, 0),
	UPD("SHUTDOWN entropy x2 (retried)", L_SHUTDOWN, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("SHUTDOWN entropy x9 (last retry)", L_SHUTDOWN, ANY_CPU, 0,
	    RETRIES - 1, S_NO_ENTROPY, E_OK, NEW, 63, RETRIES - 1),
	UPD("SHUTDOWN entropy x10 (retries spent)", L_SHUTDOWN, ANY_CPU, 0,
	    RETRIES, S_NO_ENTROPY, E_HW, OLD, 64, RETRIES),
	UPD("SHUTDOWN entropy always", L_SHUTDOWN, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, OLD, 64, RETRIES),
	/*
	 * TDH.SYS.RD: the handoff version, read before SHUTDOWN (the old
	 * module runs on), then after TDH.SYS.UPDATE the new module's
	 * major, minor and update numbers and TDX_FEATURES0.  A failed
	 * read there fails the update with the new module running and
	 * the TDs imported, but unknown to the kernel: dead, TDs kept.
	 */
	UPD("SYS.RD handoff operand-invalid", L_SYS_RD, ANY_CPU, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, OLD, 64, 1),
	UPD("SYS.RD handoff entropy x2 (retried)", L_SYS_RD, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("SYS.RD entropy always", L_SYS_RD, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, OLD, 64, RETRIES),
	UPD("SYS.RD new major version once", L_SYS_RD, ANY_CPU, 1, 1,
	    S_OPERAND_INVALID, E_HW, DEAD_KEPT, 63, 1),
	UPD("SYS.RD new update version once", L_SYS_RD, ANY_CPU, 3, 1,
	    S_OPERAND_INVALID, E_HW, DEAD_KEPT, 63, 1),
	UPD("SYS.RD new TDX_FEATURES0 once", L_SYS_RD, ANY_CPU, 4, 1,
	    S_OPERAND_INVALID, E_HW, DEAD_KEPT, 63, 1),
	/*
	 * SEAMLDR.INSTALL: every CPU, one at a time, in no fixed order.
	 * After SHUTDOWN any failure leaves TDX dead and the TDs with the
	 * shut-down module.  A faulted call has no effect, so when the
	 * first install fails nothing was used up (64); when only the
	 * second fails, one was (63); with a fault pinned to one CPU the
	 * order decides (not checked).  Once one install failed no other
	 * CPU calls it: exactly one failed call, or one CPU's retries.
	 */
	UPD("INSTALL cpu0 bad-signature", L_INSTALL, 0, 0, ALWAYS,
	    S_EBADSIG, E_HW, DEAD_LOST, ANY, 1),
	UPD("INSTALL cpu1 bad-signature", L_INSTALL, 1, 0, ALWAYS,
	    S_EBADSIG, E_HW, DEAD_LOST, ANY, 1),
	UPD("INSTALL any bad-param", L_INSTALL, ANY_CPU, 0, ALWAYS,
	    S_EBADPARAM, E_HW, DEAD_LOST, 64, 1),
	UPD("INSTALL any no-space", L_INSTALL, ANY_CPU, 0, ALWAYS,
	    S_ENOSPC, E_HW, DEAD_LOST, 64, 1),
	UPD("INSTALL cpu1 busy", L_INSTALL, 1, 0, ALWAYS,
	    S_EBUSY, E_HW, DEAD_LOST, ANY, 1),
	UPD("INSTALL any busy", L_INSTALL, ANY_CPU, 0, ALWAYS,
	    S_EBUSY, E_HW, DEAD_LOST, 64, 1),
	UPD("INSTALL cpu0 vmfailinvalid", L_INSTALL, 0, 0, ALWAYS,
	    S_VMFAILINVALID, E_HW, DEAD_LOST, ANY, 1),
	UPD("INSTALL second call bad-signature", L_INSTALL, ANY_CPU, 1, 1,
	    S_EBADSIG, E_HW, DEAD_LOST, 63, 1),
	UPD("INSTALL entropy x2 (retried)", L_INSTALL, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("INSTALL entropy always", L_INSTALL, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, DEAD_LOST, 64, RETRIES),
	/*
	 * TDH.SYS.INIT: once, from the first CPU to get there, whichever
	 * it is (so not pinned); the others take its result.
	 */
	UPD("SYS.INIT any operand-invalid", L_SYS_INIT, ANY_CPU, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("SYS.INIT any vmfailinvalid", L_SYS_INIT, ANY_CPU, 0, ALWAYS,
	    S_VMFAILINVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("SYS.INIT entropy x2 (retried)", L_SYS_INIT, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("SYS.INIT entropy always", L_SYS_INIT, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, DEAD_LOST, 63, RETRIES),
	/*
	 * TDH.SYS.LP.INIT: every CPU once TDH.SYS.INIT is done.  Pinned,
	 * exactly one call fails; "any": the other CPU may have seen the
	 * failure before its own call.
	 */
	UPD("LP.INIT cpu0 operand-invalid", L_LP_INIT, 0, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("LP.INIT cpu1 operand-invalid", L_LP_INIT, 1, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("LP.INIT any op-state-incorrect", L_LP_INIT, ANY_CPU, 0, ALWAYS,
	    S_OP_STATE_INCORRECT, E_HW, DEAD_LOST, 63, SOME),
	UPD("LP.INIT any vmfailinvalid", L_LP_INIT, ANY_CPU, 0, ALWAYS,
	    S_VMFAILINVALID, E_HW, DEAD_LOST, 63, SOME),
	UPD("LP.INIT cpu1 entropy x2 (retried)", L_LP_INIT, 1, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("LP.INIT entropy always", L_LP_INIT, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, DEAD_LOST, 63, SOME),
	/* TDH.SYS.UPDATE: CPU 0 only; faulted, nothing is imported. */
	UPD("SYS.UPDATE cpu0 operand-invalid", L_SYS_UPDATE, 0, 0, ALWAYS,
	    S_OPERAND_INVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("SYS.UPDATE cpu1 operand-invalid (not issued)", L_SYS_UPDATE, 1,
	    0, ALWAYS, S_OPERAND_INVALID, E_OK, NEW, 63, 0),
	UPD("SYS.UPDATE any vmfailinvalid", L_SYS_UPDATE, ANY_CPU, 0, ALWAYS,
	    S_VMFAILINVALID, E_HW, DEAD_LOST, 63, 1),
	UPD("SYS.UPDATE entropy x2 (retried)", L_SYS_UPDATE, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("SYS.UPDATE entropy always", L_SYS_UPDATE, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, DEAD_LOST, 63, RETRIES),
	/*
	 * SEAMLDR.INFO: tdx_module_update() reads it once the image is
	 * checked, seamldr_install_module() once more before SHUTDOWN
	 * (patch 0003): -EIO with nothing touched either way.  Issued from
	 * the upload worker and the update task on any CPU, so not pinned.
	 */
	UPD("SEAMLDR.INFO bad-param", L_INFO, ANY_CPU, 0, ALWAYS,
	    S_EBADPARAM, E_HW, OLD, 64, 1),
	UPD("SEAMLDR.INFO vmfailinvalid once", L_INFO, ANY_CPU, 0, 1,
	    S_VMFAILINVALID, E_HW, OLD, 64, 1),
	UPD("SEAMLDR.INFO second call bad-param", L_INFO, ANY_CPU, 1, 1,
	    S_EBADPARAM, E_HW, OLD, 64, 1),
	UPD("SEAMLDR.INFO entropy x2 (retried)", L_INFO, ANY_CPU, 0, 2,
	    S_NO_ENTROPY, E_OK, NEW, 63, 2),
	UPD("SEAMLDR.INFO entropy always", L_INFO, ANY_CPU, 0, ALWAYS,
	    S_NO_ENTROPY, E_HW, OLD, 64, RETRIES),
	/*
	 * Machines the update must refuse before SHUTDOWN, as upstream did
	 * not: a P-SEAMLDR without room for another update (-ENOSPC:
	 * flash-wearout), a CPU offline (-EBUSY: device-busy, in prepare,
	 * before the gate closes).
	 */
	UPDM("no update left on the P-SEAMLDR", M_NO_ROOM, 0, ANY_CPU, 0, 0,
	     0, E_WEAROUT, OLD, 0, 0),
	UPDM("CPU 1 offline", M_CPU1_OFFLINE, 0, ANY_CPU, 0, 0, 0,
	     E_BUSY_PREP, OLD, 64, 0),
	/*
	 * TD build, as KVM's: INIT_VM takes the hold and runs
	 * TDH.MNG.CREATE, KEY.CONFIG and INIT, and gives the hold back if
	 * one fails.  INIT_MEM_REGION (PAGE.ADD, then 16 MR.EXTENDs per
	 * measured page) and FINALIZE_VM failures keep it until the TD is
	 * closed.
	 */
	BLD("MNG.CREATE operand-busy", L_MNG_CREATE, 0, ALWAYS,
	    S_OPERAND_BUSY, "INIT_VM", "0/2", 1),
	BLD("MNG.CREATE entropy always", L_MNG_CREATE, 0, ALWAYS,
	    S_NO_ENTROPY, "INIT_VM", "0/2", RETRIES),
	BLD("MNG.CREATE entropy x2 (retried)", L_MNG_CREATE, 0, 2,
	    S_NO_ENTROPY, NULL, "0/2", 2),
	BLD("KEY.CONFIG operand-invalid", L_KEY_CONFIG, 0, ALWAYS,
	    S_OPERAND_INVALID, "INIT_VM", "0/2", 1),
	BLD("MNG.INIT op-state-incorrect", L_MNG_INIT, 0, ALWAYS,
	    S_OP_STATE_INCORRECT, "INIT_VM", "0/2", 1),
	BLD("MNG.INIT vmfailinvalid", L_MNG_INIT, 0, ALWAYS,
	    S_VMFAILINVALID, "INIT_VM", "0/2", 1),
	BLD("MEM.PAGE.ADD operand-invalid", L_PAGE_ADD, 0, ALWAYS,
	    S_OPERAND_INVALID, "ADD", "1:busy/2", 1),
	BLD("MEM.PAGE.ADD second page once", L_PAGE_ADD, 1, 1,
	    S_OPERAND_BUSY, "ADD", "1:busy/2", 1),
	BLD("MEM.PAGE.ADD entropy x2 (retried)", L_PAGE_ADD, 0, 2,
	    S_NO_ENTROPY, NULL, "0/2", 2),
	BLD("MR.EXTEND operand-invalid", L_MR_EXTEND, 0, ALWAYS,
	    S_OPERAND_INVALID, "ADD", "1:busy/2", 1),
	BLD("MR.EXTEND 6th chunk once", L_MR_EXTEND, 5, 1,
	    S_OP_STATE_INCORRECT, "ADD", "1:busy/2", 1),
	BLD("MR.FINALIZE operand-invalid", L_MR_FINALIZE, 0, ALWAYS,
	    S_OPERAND_INVALID, "FINALIZE", "1:busy/2", 1),
	BLD("MR.FINALIZE vmfailinvalid", L_MR_FINALIZE, 0, ALWAYS,
	    S_VMFAILINVALID, "FINALIZE", "1:busy/2", 1),
	BLD("MR.FINALIZE entropy x2 (retried)", L_MR_FINALIZE, 0, 2,
	    S_NO_ENTROPY, NULL, "0/2", 2),
	/*
	 * Teardown, as KVM's: VPFLUSHDONE, CACHE.WB on one CPU per package
	 * (resumed while interrupted), KEY.FREEID, then PAGE.RECLAIM of
	 * the private pages, the TDCS pages and the TDR, PAGE.WBINVD of
	 * the TDR.  Before the HKID is free a failure leaks the whole TD
	 * (a failed write-back makes FREEID fail in the module); a page
	 * left unreclaimed keeps the TDR, and so the TD, in the module; a
	 * failed WBINVD leaks the TDR page only.
	 */
	TDN("MNG.VPFLUSHDONE operand-invalid", L_VPFLUSHDONE, 0, ALWAYS,
	    S_OPERAND_INVALID, "0/3", 1),
	TDN("PHYMEM.CACHE.WB operand-invalid", L_CACHE_WB, 0, ALWAYS,
	    S_OPERAND_INVALID, "0/3", SOME),
	TDN("PHYMEM.CACHE.WB interrupted x2 (resumed)", L_CACHE_WB, 0, 2,
	    S_INTERRUPTED, "0/2", 2),
	TDN("MNG.KEY.FREEID operand-busy", L_KEY_FREEID, 0, ALWAYS,
	    S_OPERAND_BUSY, "0/3", 1),
	TDN("PHYMEM.PAGE.RECLAIM always", L_RECLAIM, 0, ALWAYS,
	    S_OPERAND_INVALID, "0/3", SOME),
	TDN("PHYMEM.PAGE.RECLAIM first page once", L_RECLAIM, 0, 1,
	    S_OPERAND_BUSY, "0/3", 1),
	TDN("PHYMEM.PAGE.WBINVD operand-invalid", L_WBINVD, 0, ALWAYS,
	    S_OPERAND_INVALID, "0/2", 1),
	/*
	 * Images: format errors are refused in prepare, before any
	 * SEAMCALL (the order of the image checks; a wrong length is
	 * invalid-file-size), among them the sigstruct-less and
	 * module-less images that upstream's own checks let through to
	 * SEAMLDR.INSTALL (patch 0002).  So are module pages that do not
	 * hash to the SHA-384 digest of the sigstruct (a byte or a bit
	 * flipped, a page half zeroed, the module of another image
	 * uploaded at the same time): the P-SEAMLDR would refuse them only
	 * at SEAMLDR.INSTALL, after SHUTDOWN, leaving TDX dead.  A module
	 * that cannot import the running one's handoff version fails
	 * TDH.SYS.UPDATE, which drops every TD: dead.  That row comes
	 * last: the module it leaves runs on after the reset.
	 */
	IMG("image shorter than its header", IMG_TOO_SHORT, true,
	    E_SIZE, OLD, 64),
	IMG("image header version 0x100", IMG_BAD_VERSION, true,
	    E_INVALID, OLD, 64),
	IMG("image signature TDX-BLOX", IMG_BAD_SIGNATURE, true,
	    E_INVALID, OLD, 64),
	IMG("image reserved header byte set", IMG_RESERVED, true,
	    E_INVALID, OLD, 64),
	IMG("image without sigstruct", IMG_NO_SIGSTRUCT, true,
	    E_INVALID, OLD, 64),
	IMG("image with two sigstruct pages", IMG_TWO_SIGSTRUCT, true,
	    E_INVALID, OLD, 64),
	IMG("image without module pages", IMG_NO_MODULE, true,
	    E_INVALID, OLD, 64),
	IMG("image with 497 module pages", IMG_TOO_MANY_MODULE, true,
	    E_INVALID, OLD, 64),
	IMG("image one page longer than its header", IMG_LONGER, true,
	    E_SIZE, OLD, 64),
	IMG("image one page shorter than its header", IMG_SHORTER, true,
	    E_SIZE, OLD, 64),
	IMG("image with a wrong digest", IMG_BAD_DIGEST, true,
	    E_INVALID, OLD, 64),
	IMG("mixed image from two writers", IMG_MIXED, true,
	    E_INVALID, OLD, 64),
	IMG("truncated module page", IMG_TRUNCATED_PAGE, true,
	    E_INVALID, OLD, 64),
	IMG("flipped bit", IMG_FLIPPED_BIT, true,
	    E_INVALID, OLD, 64),
	IMG("image that cannot import the running handoff", IMG_HANDOFF,
	    false, E_HW, DEAD_LOST, 63),
};

enum td_fate { TDS_KEPT, TDS_LOST, TDS_WRONG, TDS_MIXED };

static const char * const fate_names[] = {
	[TDS_KEPT] = "kept", [TDS_LOST] = "lost",
	[TDS_WRONG] = "wrong", [TDS_MIXED] = "mixed",
};

/**
 * struct obs - what a row observed
 * @err: upload error ("ok"), or the build's failed command and status
 * @state: update_state
 * @base: the update number of the module the row started with
 * @ver: the host's module update number, or -errno
 * @tds: the two finalized TDs
 * @rem: num_remaining_updates, or -errno
 * @fired: faults_fired, or -errno
 * @open: build rows: the hold while the failed TD is open, live TDs after
 * @hold: builds_in_flight once it is closed
 * @next: "ok", "dead", or what the follow-up build and upload did
 * @ovl: seamldr_overlaps
 * @fail: the row could not be set up, and why
 */
struct obs {
	char err[ERR_LEN];
	char state[32];
	int base;
	int ver;
	enum td_fate tds;
	long rem;
	long fired;
	char open[ERR_LEN + 32];
	long hold;
	char next[ERR_LEN + 64];
	long ovl;
	char fail[128];
};

struct image {
	unsigned char *data;
	size_t size;
};

/* The row's image (v+1) and the follow-up's (v+2). */
static struct image img_new, img_next;

struct name {
	unsigned long long val;
	const char *name;
};

static const struct name leaf_names[] = {
	{ L_PAGE_ADD, "MEM.PAGE.ADD" }, { L_KEY_CONFIG, "KEY.CONFIG" },
	{ L_MNG_CREATE, "MNG.CREATE" }, { L_MR_EXTEND, "MR.EXTEND" },
	{ L_MR_FINALIZE, "MR.FINALIZE" }, { L_MNG_INIT, "MNG.INIT" },
	{ L_SYS_INIT, "SYS.INIT" }, { L_SYS_RD, "SYS.RD" },
	{ L_LP_INIT, "LP.INIT" }, { L_SHUTDOWN, "SHUTDOWN" },
	{ L_SYS_UPDATE, "SYS.UPDATE" }, { L_INFO, "SEAMLDR.INFO" },
	{ L_INSTALL, "SEAMLDR.INSTALL" }, { L_VPFLUSHDONE, "MNG.VPFLUSHDONE" },
	{ L_KEY_FREEID, "MNG.KEY.FREEID" }, { L_RECLAIM, "PAGE.RECLAIM" },
	{ L_CACHE_WB, "CACHE.WB" }, { L_WBINVD, "PAGE.WBINVD" }, { 0, NULL },
};

static const struct name status_names[] = {
	{ S_OPERAND_INVALID, "OPERAND_INVALID" },
	{ S_OPERAND_BUSY, "OPERAND_BUSY" },
	{ S_OP_STATE_INCORRECT, "OP_STATE_INCORRECT" },
	{ S_COMPAT_SENSITIVE, "COMPAT_SENSITIVE" },
	{ S_EBADPARAM, "EBADPARAM" }, { S_EBADSIG, "EBADSIG" },
	{ S_ENOSPC, "ENOSPC" }, { S_EBUSY, "EBUSY" },
	{ S_NO_ENTROPY, "RND_NO_ENTROPY" },
	{ S_VMFAILINVALID, "VMFAILINVALID" },
	{ S_INTERRUPTED, "INTERRUPTED_RESUMABLE" }, { 0, NULL },
};

static const char *name_of(const struct name *names, unsigned long long val)
{
	for (; names->name; names++)
		if (names->val == val)
			return names->name;
	return "?";
}

/*
 * "LEAF/CPU/STATUS/TIMES[+skipN]", or "-" without a fault, then the
 * machine's differences, if any: " [compat]", " [noroom]", " [cpu1off]".
 */
static void fmt_fault(const struct row *r, char *buf, size_t len)
{
	char cpu[16] = "any", times[16] = "always", skip[16] = "";
	const char *machine = r->machine & M_COMPAT ? " [compat]" :
			      r->machine & M_NO_ROOM ? " [noroom]" :
			      r->machine & M_CPU1_OFFLINE ? " [cpu1off]" : "";

	if (!r->leaf) {
		snprintf(buf, len, "-%s", machine);
		return;
	}
	if (r->cpu >= 0)
		snprintf(cpu, sizeof(cpu), "%d", r->cpu);
	if (r->times != ALWAYS)
		snprintf(times, sizeof(times), "x%u", r->times);
	if (r->skip)
		snprintf(skip, sizeof(skip), "+skip%u", r->skip);
	snprintf(buf, len, "%s/%s/%s/%s%s%s", name_of(leaf_names, r->leaf),
		 cpu, name_of(status_names, r->status), times, skip, machine);
}

static bool end_dead(enum end_state end)
{
	return end == DEAD_LOST || end == DEAD_KEPT;
}

/* The outcome a row expects, in the form observations are printed. */
static void expected_err(const struct row *r, char *buf, size_t len)
{
	if (r->kind != R_BUILD && r->kind != R_TEARDOWN)
		snprintf(buf, len, "%s", r->err);
	else if (r->err)
		snprintf(buf, len, "%s:EIO:%#llx", r->err, r->status);
	else
		snprintf(buf, len, "ok");
}

static void fmt_expected(const struct row *r, char *buf, size_t len)
{
	char err[ERR_LEN], rem[16], fired[16], open[80] = "";
	int ver = r->end == NEW ? 1 : 0;
	bool dead = end_dead(r->end);

	expected_err(r, err, sizeof(err));
	snprintf(rem, sizeof(rem), r->rem == ANY ? "*" : "%d", r->rem);
	snprintf(fired, sizeof(fired), r->fired == SOME ? "+" : "%d",
		 r->fired);
	if (r->open)
		snprintf(open, sizeof(open), " o%s", r->open);
	if (dead)
		snprintf(buf, len, "%s dead v- %s r%s f%s%s h0 n:dead s0", err,
			 r->end == DEAD_KEPT ? "kept" : "lost", rem, fired, open);
	else
		snprintf(buf, len, "%s idle v+%d kept r%s f%s%s h0 n:ok s0", err,
			 ver, rem, fired, open);
}

static void fmt_observed(const struct obs *o, char *buf, size_t len)
{
	char ver[16], open[80] = "";

	if (o->fail[0]) {
		snprintf(buf, len, "SETUP: %s", o->fail);
		return;
	}
	if (o->ver == -ENXIO)
		snprintf(ver, sizeof(ver), "-");
	else if (o->ver < 0)
		snprintf(ver, sizeof(ver), "?%d", o->ver);
	else
		snprintf(ver, sizeof(ver), "%+d", o->ver - o->base);
	if (o->open[0])
		snprintf(open, sizeof(open), " o%s", o->open);
	snprintf(buf, len, "%s %s v%s %s r%ld f%ld%s h%ld n:%s s%ld", o->err,
		 o->state, ver, fate_names[o->tds], o->rem, o->fired, open,
		 o->hold, o->next, o->ovl);
}

static bool row_matches(const struct row *r, const struct obs *o)
{
	bool dead = end_dead(r->end);
	char err[ERR_LEN];

	if (o->fail[0])
		return false;
	expected_err(r, err, sizeof(err));
	if (strcmp(o->err, err) || strcmp(o->state, dead ? "dead" : "idle"))
		return false;
	if (dead ? o->ver != -ENXIO :
		   o->ver != o->base + (r->end == NEW ? 1 : 0))
		return false;
	if (o->tds != (r->end == DEAD_LOST ? TDS_LOST : TDS_KEPT))
		return false;
	if (r->rem != ANY && o->rem != r->rem)
		return false;
	if (r->fired == SOME ? o->fired <= 0 : o->fired != r->fired)
		return false;
	if (strcmp(o->open, r->open ? r->open : ""))
		return false;
	return !o->hold && !strcmp(o->next, dead ? "dead" : "ok") && !o->ovl;
}

/* ---- images ---------------------------------------------------------- */

/* A good image of module 1.5.@update with @features0, or NULL */
static unsigned char *good_image(unsigned int update, unsigned int crypto,
				 unsigned long long features0, size_t *size)
{
	struct tdx_sim_module_desc desc = {
		.major = MOD_MAJOR, .minor = MOD_MINOR, .update = update,
		.handoff_version = MOD_HANDOFF,
		.min_handoff_version = MOD_MIN_HANDOFF,
		.crypto_lib_version = crypto, .features0 = features0,
	};
	unsigned char *buf;

	*size = tdx_sim_image_size(MOD_PAGES);
	buf = calloc(1, *size);
	if (buf)
		tdx_sim_make_image(buf, &desc, MOD_PAGES);
	return buf;
}

static unsigned long long row_features0(const struct row *r)
{
	return F0_RELEASE | (r->machine & M_COMPAT ? F0_UPDATE_COMPAT : 0);
}

/* The row's image of kind @kind: module v+1 (@base + 1), or a broken one */
static int make_image(const struct row *r, enum image_kind kind,
		      unsigned int base, struct image *img)
{
	struct tdx_sim_module_desc desc = {
		.major = MOD_MAJOR, .minor = MOD_MINOR, .update = base + 1,
		.handoff_version = MOD_HANDOFF + 1,
		.min_handoff_version = MOD_HANDOFF + 1,
		.crypto_lib_version = 2, .features0 = row_features0(r),
	};
	struct tdx_blob_hdr *hdr;
	unsigned char *good, *other, *module;
	size_t size, other_size;

	good = good_image(base + 1, 2, row_features0(r), &size);
	if (!good)
		return -ENOMEM;
	/* Room for the one kind that grows the image. */
	img->data = calloc(1, size + VM_PAGE_SIZE);
	if (!img->data) {
		free(good);
		return -ENOMEM;
	}
	memcpy(img->data, good, size);
	free(good);
	img->size = size;
	hdr = (struct tdx_blob_hdr *)img->data;
	/* One header page, one sigstruct page, then the module pages. */
	module = img->data + 2 * VM_PAGE_SIZE;

	switch (kind) {
	case IMG_GOOD:
		break;
	case IMG_TOO_SHORT:
		img->size = TDX_BLOB_HDR_SIZE - 1;
		break;
	case IMG_BAD_VERSION:
		hdr->version = 0x100;
		break;
	case IMG_BAD_SIGNATURE:
		hdr->signature[7] = 'X';
		break;
	case IMG_RESERVED:
		hdr->reserved[100] = 1;
		break;
	case IMG_NO_SIGSTRUCT:
		hdr->sigstruct_pages = 0;
		break;
	case IMG_TWO_SIGSTRUCT:
		hdr->sigstruct_pages = 2;
		break;
	case IMG_NO_MODULE:
		hdr->module_pages = 0;
		break;
	case IMG_TOO_MANY_MODULE:
		hdr->module_pages = TDX_BLOB_MAX_MODULE_PAGES + 1;
		break;
	case IMG_LONGER:
		img->size += VM_PAGE_SIZE;
		break;
	case IMG_SHORTER:
		img->size -= VM_PAGE_SIZE;
		break;
	case IMG_BAD_DIGEST:
		/* The last module byte: the header stays well formed. */
		img->data[size - 1] ^= 0xff;
		break;
	case IMG_MIXED:
		/*
		 * What two writers at once can leave: this image's header
		 * and sigstruct, the module pages of the next update's
		 * image, of the same size.
		 */
		other = good_image(base + 2, 3, row_features0(r), &other_size);
		if (!other || other_size != size) {
			free(other);
			free(img->data);
			img->data = NULL;
			return -ENOMEM;
		}
		memcpy(module, other + 2 * VM_PAGE_SIZE,
		       MOD_PAGES * VM_PAGE_SIZE);
		free(other);
		break;
	case IMG_TRUNCATED_PAGE:
		/* The last module page's second half lost, length kept. */
		memset(img->data + size - VM_PAGE_SIZE / 2, 0,
		       VM_PAGE_SIZE / 2);
		break;
	case IMG_FLIPPED_BIT:
		/* One bit in the middle of the middle module page. */
		module[MOD_PAGES / 2 * VM_PAGE_SIZE + VM_PAGE_SIZE / 2] ^= 0x10;
		break;
	case IMG_HANDOFF:
		tdx_sim_make_image(img->data, &desc, MOD_PAGES);
		break;
	}
	return 0;
}

/* ---- observations ---------------------------------------------------- */

/* Upload @img in the given mode; the error as the table prints it. */
static void upload(const struct image *img, bool nonblock, char *err,
		   size_t len)
{
	struct vm_upload up = {
		.image = img->data,
		.size = img->size,
		.poll_ms = UPLOAD_POLL_MS,
	};
	int ret;

	ret = vm_write(VM_HOST_DIR "update_mode",
		       nonblock ? "nonblock" : "block");
	if (!ret)
		ret = vm_upload(&up);
	if (ret)
		snprintf(err, len, "sysfs:%s", strerror(-ret));
	else
		snprintf(err, len, "%s", up.error[0] ? up.error : "ok");
}

/*
 * The host's module update number, checked against the simulator's:
 * -ENXIO when the host reports none, -EPROTO when the two disagree.
 */
static int host_version(void)
{
	unsigned int major, minor, update, sim_update, crypto;
	char buf[64];
	int ret = vm_read(VM_HOST_DIR "version", buf, sizeof(buf));

	if (ret)
		return ret;
	if (sscanf(buf, "%u.%u.%u", &major, &minor, &update) != 3)
		return -EINVAL;
	ret = vm_sim_running(&sim_update, &crypto);
	if (ret)
		return ret;
	return sim_update == update ? (int)update : -EPROTO;
}

/*
 * Build a TD of two pages (the second measured if @seed is odd) and
 * check its MRTD; on failure *@cmd names the command that failed.
 */
static int build_td(struct vm_td *td, unsigned int seed, bool nonblock,
		    const char **cmd)
{
	static unsigned char buf[2 * VM_PAGE_SIZE];
	int ret;

	vm_fill(buf, 2, seed);
	*cmd = "OPEN";
	ret = vm_td_open(td, nonblock);
	if (ret)
		return ret;
	*cmd = "INIT_VM";
	ret = vm_td_init(td, 4);
	if (ret)
		return ret;
	*cmd = "ADD";
	ret = vm_td_add(td, buf, 1, true);
	if (!ret)
		ret = vm_td_add(td, buf + VM_PAGE_SIZE, 1, seed & 1);
	if (ret)
		return ret;
	*cmd = "FINALIZE";
	ret = vm_td_finalize(td);
	if (ret)
		return ret;
	*cmd = "GET_MRTD";
	ret = vm_td_check(td, NULL);
	return ret == 1 ? 0 : ret ? ret : -EBADMSG;
}

static enum td_fate td_fate(struct vm_td *td)
{
	int ret = vm_td_check(td, NULL);

	return ret == 1 ? TDS_KEPT : ret ? TDS_LOST : TDS_WRONG;
}

/* Reset the simulator with @remaining updates left; false if not fresh */
static bool reset_sim(unsigned int remaining, struct obs *o)
{
	int ret;

	ret = vm_sim_write("fault", "clear");
	if (!ret)
		ret = vm_sim_write("reset", "%u", remaining);
	if (ret) {
		snprintf(o->fail, sizeof(o->fail), "reset: %s",
			 strerror(-ret));
		return false;
	}
	o->base = host_version();
	if (!vm_read_is(VM_HOST_DIR "update_state", "idle") || o->base < 0 ||
	    vm_read_long(VM_HOST_DIR "builds_in_flight") != 0 ||
	    vm_read_long(VM_HOST_DIR "num_remaining_updates") !=
	    (long)remaining || vm_sim_long("faults_fired") != 0) {
		snprintf(o->fail, sizeof(o->fail), "not fresh after reset");
		return false;
	}
	return true;
}

/*
 * Bring the running module to the row's kind (with UPDATE_COMPAT or
 * without), updating to one of that kind if it is not.
 */
static bool module_of_kind(const struct row *r, struct obs *o)
{
	const char *want = r->machine & M_COMPAT ? "avoid-compat-sensitive" :
						   "none";
	struct image img;
	char err[ERR_LEN];

	if (vm_read_is(VM_HOST_DIR "update_backstop", want))
		return true;
	img.data = good_image(o->base + 1, 2, row_features0(r), &img.size);
	if (!img.data) {
		snprintf(o->fail, sizeof(o->fail), "no memory for the image");
		return false;
	}
	upload(&img, false, err, sizeof(err));
	free(img.data);
	if (strcmp(err, E_OK) ||
	    !vm_read_is(VM_HOST_DIR "update_backstop", want)) {
		snprintf(o->fail, sizeof(o->fail),
			 "to a module with backstop %s: %.64s", want, err);
		return false;
	}
	return true;
}

/*
 * Power-cycle the simulator, bring the module to the row's kind, make
 * the row's images and build the two TDs that must survive; returns
 * false with @o->fail set if the row cannot start.
 */
static bool setup_row(unsigned int n, const struct row *r,
		      struct vm_td tds[2], struct image *img, struct obs *o)
{
	const char *cmd;
	unsigned int i;
	int ret;

	if (!reset_sim(RESET_UPDATES, o) || !module_of_kind(r, o) ||
	    !reset_sim(r->machine & M_NO_ROOM ? 0 : RESET_UPDATES, o))
		return false;
	img_new.data = good_image(o->base + 1, 2, row_features0(r),
				  &img_new.size);
	img_next.data = good_image(o->base + 2, 3, row_features0(r),
				   &img_next.size);
	if (!img_new.data || !img_next.data ||
	    (r->kind == R_IMAGE && make_image(r, r->img, o->base, img))) {
		snprintf(o->fail, sizeof(o->fail), "no memory for the images");
		return false;
	}
	for (i = 0; i < 2; i++) {
		ret = build_td(&tds[i], 2 * n + i, false, &cmd);
		if (ret) {
			snprintf(o->fail, sizeof(o->fail), "TD %u: %s: %s", i,
				 cmd, strerror(-ret));
			return false;
		}
	}
	return true;
}

/* The build row's action: a third TD, and its hold while still open. */
static void build_row(unsigned int n, const struct row *r, struct vm_td *td,
		      struct obs *o)
{
	const char *cmd;
	long builds;
	char err[ERR_LEN];
	int ret;

	ret = build_td(td, 2 * n + 7, false, &cmd);
	if (!ret)
		snprintf(o->err, sizeof(o->err), "ok");
	else if (ret == -EIO)
		snprintf(o->err, sizeof(o->err), "%s:EIO:%#llx", cmd,
			 td->hw_error);
	else
		snprintf(o->err, sizeof(o->err), "%s:%s", cmd,
			 strerror(-ret));
	if (r->kind == R_BUILD) {
		o->fired = vm_sim_long("faults_fired");
		vm_sim_write("fault", "clear");
	}

	builds = vm_read_long(VM_HOST_DIR "builds_in_flight");
	snprintf(o->open, sizeof(o->open), "%ld", builds);
	if (builds > 0) {
		/* The hold is out: an update that may not wait is refused. */
		upload(&img_new, true, err, sizeof(err));
		snprintf(o->open, sizeof(o->open), "%ld:%s", builds,
			 strcmp(err, E_BUSY) ? err : "busy");
	}
	vm_td_close(td);
	if (r->kind == R_TEARDOWN) {
		o->fired = vm_sim_long("faults_fired");
		vm_sim_write("fault", "clear");
	}
	/* Closed, the TD is gone from the module too, unless it kept it. */
	snprintf(o->open + strlen(o->open), sizeof(o->open) - strlen(o->open),
		 "/%ld", vm_sim_long("live_tds"));
}

/* After the row: a new build and an update that may not wait. */
static void check_next(const struct row *r, struct obs *o)
{
	struct vm_td td;
	char err[ERR_LEN];
	int build, ver;

	/* Room for the follow-up; the module stays as the row left it. */
	if (r->machine & M_NO_ROOM)
		vm_sim_write("reset", "%u", RESET_UPDATES);
	build = vm_td_open(&td, true);
	if (!build)
		build = vm_td_init(&td, 1);
	vm_td_close(&td);
	upload(&img_next, true, err, sizeof(err));
	ver = host_version();
	if (!build && !strcmp(err, "ok") && ver == o->base + 2)
		snprintf(o->next, sizeof(o->next), "ok");
	else if (build == -ENXIO && !strcmp(err, E_DEAD) && ver == -ENXIO)
		snprintf(o->next, sizeof(o->next), "dead");
	else
		snprintf(o->next, sizeof(o->next), "build=%d,%s,v=%d", build,
			 err, ver);
}

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

static void run_row(unsigned int n, const struct row *r, struct obs *o)
{
	struct vm_td tds[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
	enum td_fate fate[2];
	struct image img = {};
	unsigned int i;
	int ret;

	memset(o, 0, sizeof(*o));
	if (!setup_row(n, r, tds, &img, o))
		goto out;
	if (r->leaf) {
		ret = vm_sim_fault(r->leaf, r->cpu, r->skip, r->times,
				   r->status);
		if (ret) {
			snprintf(o->fail, sizeof(o->fail), "fault: %s",
				 strerror(-ret));
			goto out;
		}
	}
	if (r->machine & M_CPU1_OFFLINE) {
		ret = vm_write(CPU1_ONLINE, "0");
		if (ret) {
			snprintf(o->fail, sizeof(o->fail), "cpu1 offline: %s",
				 strerror(-ret));
			goto out;
		}
	}

	if (r->kind == R_BUILD || r->kind == R_TEARDOWN) {
		build_row(n, r, &tds[2], o);
	} else {
		upload(r->kind == R_IMAGE ? &img : &img_new, false, o->err,
		       sizeof(o->err));
		o->fired = vm_sim_long("faults_fired");
		vm_sim_write("fault", "clear");
	}
	if ((r->machine & M_CPU1_OFFLINE) && vm_write(CPU1_ONLINE, "1")) {
		snprintf(o->fail, sizeof(o->fail), "cpu1 back online failed");
		goto out;
	}

	if (vm_read(VM_HOST_DIR "update_state", o->state, sizeof(o->state)))
		snprintf(o->state, sizeof(o->state), "?");
	o->ver = host_version();
	for (i = 0; i < 2; i++)
		fate[i] = td_fate(&tds[i]);
	o->tds = fate[0] == fate[1] ? fate[0] : TDS_MIXED;
	o->rem = vm_read_long(VM_HOST_DIR "num_remaining_updates");
	o->hold = vm_read_long(VM_HOST_DIR "builds_in_flight");
	check_next(r, o);
	o->ovl = vm_sim_long("seamldr_overlaps");
out:
	for (i = 0; i < ARRAY_SIZE(tds); i++)
		vm_td_close(&tds[i]);
	free(img.data);
	free(img_new.data);
	free(img_next.data);
	img_new.data = NULL;
	img_next.data = NULL;
}

int main(void)
{
	static struct obs obs[ARRAY_SIZE(rows)];
	char fault[96], exp[2 * ERR_LEN], seen[4 * ERR_LEN];
	unsigned int i, n = ARRAY_SIZE(rows), matched = 0;
	double t0 = vm_now_ms();

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%u\n", n);
	if (!vm_read_is(VM_FW_DIR "status", "idle") ||
	    vm_sim_long("faults_fired") < 0) {
		printf("Bail out! no tdx_module upload device or no simulator\n");
		return 1;
	}
	if (vm_write(VM_HOST_DIR "update_timeout_ms", BLOCK_TIMEOUT_MS)) {
		printf("Bail out! cannot set up\n");
		return 1;
	}

	for (i = 0; i < n; i++) {
		bool ok;

		run_row(i, &rows[i], &obs[i]);
		ok = row_matches(&rows[i], &obs[i]);
		matched += ok;
		printf("%sok %u - %s\n", ok ? "" : "not ", i + 1, rows[i].name);
	}

	/* Leave the VM as a reboot would, but for the module's version. */
	vm_sim_write("fault", "clear");
	vm_sim_write("reset", "%u", RESET_UPDATES);
	vm_write(VM_HOST_DIR "update_mode", "block");
	vm_write(VM_HOST_DIR "update_timeout_ms", "60000");

	printf("# legend: ERROR STATE vVERSION TDS rREMAINING fFIRED\n"
	       "#         [oOPEN-HOLD[:busy]/LIVE-TDS] hHOLD n:NEXT sOVERLAPS\n"
	       "#         (vVERSION: +0 the module the row began with,\n"
	       "#         +1 the row's image; machine: compat = the module\n"
	       "#         offers UPDATE_COMPAT, noroom = no update left,\n"
	       "#         cpu1off = CPU 1 offline)\n");
	printf("# %-3s %-44s %-44s %-72s %s\n", "row", "name",
	       "fault (leaf/cpu/status/times) [machine]", "expected",
	       "observed");
	for (i = 0; i < n; i++) {
		fmt_fault(&rows[i], fault, sizeof(fault));
		fmt_expected(&rows[i], exp, sizeof(exp));
		fmt_observed(&obs[i], seen, sizeof(seen));
		printf("# %-3u %-44s %-44s %-72s %s%s\n", i + 1, rows[i].name,
		       fault, exp, seen,
		       row_matches(&rows[i], &obs[i]) ? "" : "  <-- MISMATCH");
	}
	printf("# elapsed: %.1f s\n", (vm_now_ms() - t0) / 1000);
	printf("# faults: %u rows, %u match\n", n, matched);
	return matched == n ? 0 : 1;
}
