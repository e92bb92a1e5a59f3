// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime update of the TDX module.
 *
 * An update replaces the module on every CPU while TDs keep running:
 *
 *  1. The image is checked against the tdx_blob rules and copied into
 *     pages described by a SEAMLDR_PARAMS page.  Nothing is touched yet.
 *  2. A dedicated task takes the write side of the update gate: it waits,
 *     killably and under a deadline, for the TD builds in flight to end,
 *     and from then on no new build can start.  Cancel and the deadline
 *     kill that task; once it holds the gate it checks for them one last
 *     time and then commits.
 *  3. All online CPUs enter stop_machine() and walk this state machine,
 *     every CPU acknowledging every step:
 *
 *	SHUTDOWN     lead CPU: TDH.SYS.SHUTDOWN, always with
 *		     AVOID_COMPAT_SENSITIVE.  The old module writes its
 *		     handoff data and stops.
 *	CPU_INSTALL  every CPU, one at a time: SEAMLDR.INSTALL.
 *	CPU_INIT     lead CPU: TDH.SYS.INIT; then every CPU: TDH.SYS.LP.INIT.
 *	RUN_UPDATE   lead CPU: TDH.SYS.UPDATE imports the handoff data; the
 *		     TDs run on under the new module.
 *	DONE
 *
 *     The first failure on any CPU ends the walk on all CPUs.  A failure
 *     at SHUTDOWN leaves the old module running: the update can be tried
 *     again (the AVOID_COMPAT_SENSITIVE conflict is reported as -EBUSY).
 *     A failure after SHUTDOWN leaves no usable module: TDX is dead until
 *     reboot, and builds and updates fail fast.
 *  4. The gate opens again and the cached module version is refreshed.
 */

#define pr_fmt(fmt) "tdx: " fmt

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nmi.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stop_machine.h>
#include <linux/cpufeature.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

#include "tdx_update_abi.h"
#include "update.h"

/*
 * tdx_update_mutex: one update at a time.  Held by the caller of
 * tdx_module_update() for the whole update.  Outermost lock of the
 * update: tdx_update_mutex -> update_rwsem -> cpu_hotplug_lock ->
 * seamldr_lock.
 */
static DEFINE_MUTEX(tdx_update_mutex);

/*
 * seamldr_lock: only one logical CPU may be inside the P-SEAMLDR at a
 * time.  Raw, because CPU_INSTALL runs inside stop_machine().  Innermost.
 * During an update it also protects update_ctrl.install_failed.
 */
static DEFINE_RAW_SPINLOCK(seamldr_lock);

/*
 * tdx_info_lock protects the cached facts about the running module.  They
 * are written at probe and after a successful update, read by anyone.
 */
static DEFINE_SPINLOCK(tdx_info_lock);
static struct tdx_module_info {
	bool present;
	struct tdx_module_version version;
	u16 handoff_version;
	u64 features0;
} tdx_info;

/* ---- SEAMCALLs ---------------------------------------------------- */

static u64 tdx_sys_rd(u64 field, u64 *value)
{
	struct tdx_module_args args = { .rdx = field };
	u64 status = seamcall_ret(TDH_SYS_RD, &args);

	*value = args.r8;
	return status;
}

/*
 * Inside stop_machine() interrupts are off already, and the other CPUs
 * may hold the lock for as long as their installs take: spin politely.
 * *@failed, protected by seamldr_lock, records that a call failed; the
 * CPUs still queued for the lock then do not call the P-SEAMLDR at all,
 * so the update stops at its first failure and uses up nothing more.
 */
static u64 seamldr_call_stopped(u64 leaf, struct tdx_module_args *args,
				bool *failed)
{
	u64 status = 0;

	while (!raw_spin_trylock(&seamldr_lock)) {
		touch_nmi_watchdog();
		cpu_relax();
	}
	if (!*failed) {
		status = seamcall_ret(leaf, args);
		*failed = status != 0;
	}
	raw_spin_unlock(&seamldr_lock);
	return status;
}

static u64 seamldr_call(u64 leaf, struct tdx_module_args *args)
{
	unsigned long flags;
	u64 status;

	raw_spin_lock_irqsave(&seamldr_lock, flags);
	status = seamcall_ret(leaf, args);
	raw_spin_unlock_irqrestore(&seamldr_lock, flags);
	return status;
}

static int seamldr_get_info(struct seamldr_info *out)
{
	struct tdx_module_args args = {};
	struct seamldr_info *info;
	u64 status;

	/* kmalloc() aligns a 256-byte object to 256 bytes. */
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	args.rcx = virt_to_phys(info);
	status = seamldr_call(P_SEAMLDR_INFO, &args);
	if (!status)
		*out = *info;
	kfree(info);
	if (status) {
		pr_err("SEAMLDR.INFO failed: %#llx\n", status);
		return -EIO;
	}
	return 0;
}

static int tdx_read_module_info(struct tdx_module_info *info)
{
	static const u64 fields[] = {
		TDX_MD_MAJOR_VERSION, TDX_MD_MINOR_VERSION,
		TDX_MD_UPDATE_VERSION, TDX_MD_NATIVE_HANDOFF_VERSION,
		TDX_MD_FEATURES0,
	};
	u64 val[ARRAY_SIZE(fields)];
	int i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (tdx_sys_rd(fields[i], &val[i]))
			return -EIO;

	info->present = true;
	info->version.major = val[0];
	info->version.minor = val[1];
	info->version.update = val[2];
	info->handoff_version = val[3];
	info->features0 = val[4];
	return 0;
}

static void tdx_set_module_info(const struct tdx_module_info *info)
{
	spin_lock(&tdx_info_lock);
	tdx_info = *info;
	spin_unlock(&tdx_info_lock);
}

static struct tdx_module_info tdx_get_module_info(void)
{
	struct tdx_module_info info;

	spin_lock(&tdx_info_lock);
	info = tdx_info;
	spin_unlock(&tdx_info_lock);
	return info;
}

/* ---- Queries ------------------------------------------------------ */

/**
 * tdx_module_version() - version of the running TDX module
 * @ver: filled in on success
 *
 * Return: 0, or -ENXIO when there is no usable module (none was found,
 * or an update failed and TDX is dead).
 */
int tdx_module_version(struct tdx_module_version *ver)
{
	struct tdx_module_info info = tdx_get_module_info();

	if (!info.present || tdx_update_state() == TDX_UPDATE_DEAD)
		return -ENXIO;
	*ver = info.version;
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_module_version);

/**
 * tdx_seamldr_version() - version of the P-SEAMLDR
 * @ver: filled in on success
 *
 * Context: process context.
 * Return: 0; -ENXIO without a TDX module; -EIO if SEAMLDR.INFO failed.
 */
int tdx_seamldr_version(struct tdx_module_version *ver)
{
	struct seamldr_info info;
	int ret;

	if (!tdx_get_module_info().present)
		return -ENXIO;
	ret = seamldr_get_info(&info);
	if (ret)
		return ret;
	ver->major = info.major_version;
	ver->minor = info.minor_version;
	ver->update = info.update_version;
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_seamldr_version);

/**
 * tdx_update_remaining() - how many more runtime updates the P-SEAMLDR
 *	accepts before the next reboot
 * @remaining: filled in on success
 *
 * Context: process context.
 * Return: 0; -ENXIO without a TDX module; -EIO if SEAMLDR.INFO failed.
 */
int tdx_update_remaining(u32 *remaining)
{
	struct seamldr_info info;
	int ret;

	if (!tdx_get_module_info().present)
		return -ENXIO;
	ret = seamldr_get_info(&info);
	if (!ret)
		*remaining = info.num_remaining_updates;
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_update_remaining);

/* ---- The stop_machine() state machine ------------------------------ */

enum update_step {
	UPDATE_SHUTDOWN,	/* lead CPU: the old module hands off and stops */
	UPDATE_CPU_INSTALL,	/* each CPU, serialized: SEAMLDR.INSTALL */
	UPDATE_CPU_INIT,	/* lead: TDH.SYS.INIT; all: TDH.SYS.LP.INIT */
	UPDATE_RUN_UPDATE,	/* lead CPU: import the handoff data */
	UPDATE_DONE,		/* every CPU leaves */
};

static const char * const update_step_names[] = {
	[UPDATE_SHUTDOWN]	= "SHUTDOWN",
	[UPDATE_CPU_INSTALL]	= "CPU_INSTALL",
	[UPDATE_CPU_INIT]	= "CPU_INIT",
	[UPDATE_RUN_UPDATE]	= "RUN_UPDATE",
	[UPDATE_DONE]		= "DONE",
};

/* Shared by the CPUs in stop_machine(); set up by the update task. */
struct update_ctrl {
	enum update_step step;		/* the step all CPUs work on */
	atomic_t acks;			/* CPUs yet to finish @step */
	atomic_t failures;		/* CPUs that failed a step */
	bool sys_init_done;		/* lead CPU finished TDH.SYS.INIT */
	bool install_failed;		/* under seamldr_lock: an INSTALL failed */
	unsigned int lead_cpu;
	unsigned int nr_cpus;
	u64 shutdown_rcx;
	u64 params_pa;
	/* The first failure, written by the CPU that counted it first. */
	enum update_step fail_step;
	unsigned int fail_cpu;
	u64 fail_leaf;
	u64 fail_status;
};

static const char *leaf_name(u64 leaf)
{
	switch (leaf) {
	case TDH_SYS_SHUTDOWN:	return "TDH.SYS.SHUTDOWN";
	case P_SEAMLDR_INSTALL:	return "SEAMLDR.INSTALL";
	case TDH_SYS_INIT:	return "TDH.SYS.INIT";
	case TDH_SYS_LP_INIT:	return "TDH.SYS.LP.INIT";
	case TDH_SYS_UPDATE:	return "TDH.SYS.UPDATE";
	default:		return "SEAMCALL";
	}
}

/* Non-lead CPUs wait for TDH.SYS.INIT before TDH.SYS.LP.INIT. */
static bool wait_for_sys_init(struct update_ctrl *ctrl)
{
	/* Pairs with the release in run_step(): TDH.SYS.INIT is done. */
	while (!smp_load_acquire(&ctrl->sys_init_done)) {
		if (atomic_read(&ctrl->failures))
			return false;
		touch_nmi_watchdog();
		cpu_relax();
	}
	return true;
}

/* Run this CPU's part of @step; return the failing leaf's status. */
static u64 run_step(struct update_ctrl *ctrl, enum update_step step,
		    bool lead, u64 *leaf)
{
	struct tdx_module_args args = {};
	u64 status;

	switch (step) {
	case UPDATE_SHUTDOWN:
		if (!lead)
			return 0;
		*leaf = TDH_SYS_SHUTDOWN;
		args.rcx = ctrl->shutdown_rcx;
		return seamcall(TDH_SYS_SHUTDOWN, &args);
	case UPDATE_CPU_INSTALL:
		*leaf = P_SEAMLDR_INSTALL;
		args.rcx = ctrl->params_pa;
		return seamldr_call_stopped(P_SEAMLDR_INSTALL, &args,
					    &ctrl->install_failed);
	case UPDATE_CPU_INIT:
		if (lead) {
			*leaf = TDH_SYS_INIT;
			status = seamcall(TDH_SYS_INIT, &args);
			if (status)
				return status;
			/* Pairs with the acquire in wait_for_sys_init(). */
			smp_store_release(&ctrl->sys_init_done, true);
		} else if (!wait_for_sys_init(ctrl)) {
			return 0;	/* another CPU failed; leave */
		}
		*leaf = TDH_SYS_LP_INIT;
		memset(&args, 0, sizeof(args));
		return seamcall(TDH_SYS_LP_INIT, &args);
	case UPDATE_RUN_UPDATE:
		if (!lead)
			return 0;
		*leaf = TDH_SYS_UPDATE;
		return seamcall(TDH_SYS_UPDATE, &args);
	case UPDATE_DONE:
		break;
	}
	return 0;
}

static void record_failure(struct update_ctrl *ctrl, enum update_step step,
			   unsigned int cpu, u64 leaf, u64 status)
{
	if (atomic_inc_return(&ctrl->failures) != 1)
		return;
	ctrl->fail_step = step;
	ctrl->fail_cpu = cpu;
	ctrl->fail_leaf = leaf;
	ctrl->fail_status = status;
}

/* The last CPU to finish a step moves everyone on, unless one failed. */
static void ack_step(struct update_ctrl *ctrl, enum update_step step)
{
	if (!atomic_dec_and_test(&ctrl->acks))
		return;
	if (atomic_read(&ctrl->failures))
		return;
	atomic_set(&ctrl->acks, ctrl->nr_cpus);
	/* Publish the reset @acks with the new step; see update_cpu_fn(). */
	smp_store_release(&ctrl->step, step + 1);
}

/* Runs on every online CPU, interrupts off, inside stop_machine(). */
static int update_cpu_fn(void *data)
{
	struct update_ctrl *ctrl = data;
	unsigned int cpu = smp_processor_id();
	bool lead = cpu == ctrl->lead_cpu;
	/* The last step this CPU ran; none yet. */
	enum update_step step, done = UPDATE_DONE;
	u64 leaf, status;

	for (;;) {
		/* Pairs with the release in ack_step(). */
		step = smp_load_acquire(&ctrl->step);
		if (step == UPDATE_DONE || atomic_read(&ctrl->failures))
			break;
		if (step == done) {
			cpu_relax();
			touch_nmi_watchdog();
			continue;
		}
		done = step;
		leaf = 0;
		status = run_step(ctrl, step, lead, &leaf);
		if (status)
			record_failure(ctrl, step, cpu, leaf, status);
		ack_step(ctrl, step);
	}
	return 0;
}

/* ---- Update image and SEAMLDR_PARAMS ------------------------------ */

struct update_pages {
	struct seamldr_params *params;
	unsigned int nr_pages;
	struct page *pages[TDX_BLOB_MAX_SIGSTRUCT_PAGES +
			   TDX_BLOB_MAX_MODULE_PAGES];
};

static void free_update_pages(struct update_pages *up)
{
	unsigned int i;

	for (i = 0; i < up->nr_pages; i++)
		__free_page(up->pages[i]);
	free_page((unsigned long)up->params);
	kfree(up);
}

static int copy_to_page(struct update_pages *up, const u8 *src, u64 *pa)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return -ENOMEM;
	memcpy(page_address(page), src, TDX_PAGE_SIZE);
	up->pages[up->nr_pages++] = page;
	*pa = page_to_phys(page);
	return 0;
}

/* Copy the image into pages and describe them in SEAMLDR_PARAMS. */
static struct update_pages *alloc_update_pages(const struct tdx_image_layout *l)
{
	struct update_pages *up;
	struct seamldr_params *p;
	unsigned int i;

	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return NULL;
	p = (void *)get_zeroed_page(GFP_KERNEL);
	if (!p)
		goto fail;
	up->params = p;
	p->version = SEAMLDR_PARAMS_VERSION;
	p->scenario = SEAMLDR_SCENARIO_UPDATE;
	for (i = 0; i < l->nr_sigstruct_pages; i++)
		if (copy_to_page(up, l->sigstruct + i * TDX_PAGE_SIZE,
				 &p->sigstruct_pa[i]))
			goto fail;
	p->num_module_pages = l->nr_module_pages;
	for (i = 0; i < l->nr_module_pages; i++)
		if (copy_to_page(up, l->module + i * TDX_PAGE_SIZE,
				 &p->module_pages_pa[i]))
			goto fail;
	return up;
fail:
	free_update_pages(up);
	return NULL;
}

/* ---- The update task ---------------------------------------------- */

/*
 * Walk the state machine on all CPUs.  Returns 0, -EBUSY (a TD is in an
 * update-sensitive section), or -EIO; sets *dead when the old module is
 * gone and no new one runs.
 */
static int run_update(struct update_pages *up, bool *dead)
{
	struct tdx_module_info old = tdx_get_module_info(), new;
	struct update_ctrl ctrl = {
		.step = UPDATE_SHUTDOWN,
		.shutdown_rcx = old.handoff_version,
		.params_pa = virt_to_phys(up->params),
	};
	int ret;

	/* The backstop for update-sensitive sections the gate cannot see. */
	if (tdx_update_policy() != TDX_POLICY_NONE)
		ctrl.shutdown_rcx |= TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE;

	cpus_read_lock();
	/*
	 * Every CPU must install the new module; an offline CPU would come
	 * back to a module it never initialized.
	 */
	if (!cpumask_equal(cpu_online_mask, cpu_present_mask)) {
		cpus_read_unlock();
		pr_err("update refused: bring all CPUs online first\n");
		return -EBUSY;
	}
	ctrl.lead_cpu = cpumask_first(cpu_online_mask);
	ctrl.nr_cpus = num_online_cpus();
	atomic_set(&ctrl.acks, ctrl.nr_cpus);
	ret = stop_machine_cpuslocked(update_cpu_fn, &ctrl, cpu_online_mask);
	cpus_read_unlock();
	if (ret) {
		/* stop_machine() itself failed: no CPU ran a step. */
		pr_err("update not started: stop_machine() failed (%d)\n", ret);
		return ret;
	}

	if (atomic_read(&ctrl.failures)) {
		*dead = ctrl.fail_step != UPDATE_SHUTDOWN;
		if (!*dead && tdx_status_is(ctrl.fail_status,
					    TDX_UPDATE_COMPAT_SENSITIVE)) {
			pr_info_ratelimited("update refused: a TD is in an update-sensitive section; the module is unchanged\n");
			return -EBUSY;
		}
		pr_err("update failed at step %s on CPU %u: %s returned %#llx (%d CPUs failed); %s\n",
		       update_step_names[ctrl.fail_step], ctrl.fail_cpu,
		       leaf_name(ctrl.fail_leaf), ctrl.fail_status,
		       atomic_read(&ctrl.failures),
		       *dead ? "no TDX module runs, TDX is unusable until reboot" :
			       "the old module still runs");
		return -EIO;
	}

	if (tdx_read_module_info(&new)) {
		/* The module runs but cannot tell its version: stop using it. */
		pr_err("update done but the new module does not answer TDH.SYS.RD\n");
		*dead = true;
		return -EIO;
	}
	tdx_set_module_info(&new);
	pr_info("module updated from %u.%u.%02u to %u.%u.%02u\n",
		old.version.major, old.version.minor, old.version.update,
		new.version.major, new.version.minor, new.version.update);
	return 0;
}

struct update_job {
	struct tdx_update_request *req;
	struct update_pages *up;
	bool dead;		/* set by the task: no usable module is left */
};

/*
 * Stop being a waiter; with @commit, also claim the point of no return.
 * Returns the reason the update was called off, if it was.
 */
static int update_stop_waiting(struct tdx_update_request *req, bool commit)
{
	int ret;

	spin_lock(&req->lock);
	ret = req->cancel_err;
	if (!ret && fatal_signal_pending(current))
		ret = -ECANCELED;
	if (!ret && commit)
		req->committed = true;
	req->waiter = NULL;
	spin_unlock(&req->lock);
	return ret;
}

#ifdef CONFIG_TDX_MODULE_UPDATE_TEST_HOOKS
/* Milliseconds the update task sleeps before it reaches the gate. */
static unsigned int update_start_delay_ms;

/**
 * tdx_update_test_set_start_delay() - slow down the start of updates
 * @ms: how long each update task sleeps, uninterruptibly, before it
 *	looks at its request; at most TDX_UPDATE_TEST_MAX_START_DELAY_MS
 *
 * Stands in for an update task that is slow to run (a loaded machine, a
 * large image), so that tests can call an update off, or let its
 * deadline pass, before its task reaches the gate.
 */
void tdx_update_test_set_start_delay(unsigned int ms)
{
	WRITE_ONCE(update_start_delay_ms,
		   min(ms, TDX_UPDATE_TEST_MAX_START_DELAY_MS));
}
EXPORT_SYMBOL_GPL(tdx_update_test_set_start_delay);

static void update_test_start_delay(void)
{
	unsigned int ms = READ_ONCE(update_start_delay_ms);

	if (ms)
		msleep(ms);
}
#else
static inline void update_test_start_delay(void) { }
#endif

static int update_thread(void *data)
{
	struct update_job *job = data;
	struct tdx_update_request *req = job->req;
	int ret;

	update_test_start_delay();
	/*
	 * Cancel and the deadline interrupt the wait with SIGKILL; a kill
	 * from userspace is not one of them.
	 */
	allow_kernel_signal(SIGKILL);
	spin_lock(&req->lock);
	ret = req->cancel_err;
	if (!ret)
		req->waiter = current;
	spin_unlock(&req->lock);

	if (!ret)
		ret = tdx_gate_lock_updates(req->nonblock);
	if (ret == -EBUSY)
		pr_info_ratelimited("update refused: it may not wait, and TD builds are in flight (%u)\n",
				    tdx_builds_in_flight());

	if (!ret) {
		ret = update_stop_waiting(req, true);
		if (!ret) {
			tdx_gate_set_updating();
			ret = run_update(job->up, &job->dead);
		}
		tdx_gate_unlock_updates();
	} else {
		int why = update_stop_waiting(req, false);

		if (ret == -EINTR)
			ret = why ?: -ECANCELED;
	}

	req->ret = ret;
	/* complete_all(): done stays done, so a reused request is caught. */
	complete_all(&req->done);
	return 0;
}

/*
 * Call the update off while it waits.  Returns the reason it was called
 * off for (the first one given), or 0 if it is committed and will run.
 */
static int update_call_off(struct tdx_update_request *req, int why)
{
	int ret = 0;

	spin_lock(&req->lock);
	if (!req->committed) {
		if (!req->cancel_err)
			req->cancel_err = why;
		ret = req->cancel_err;
		if (req->waiter)
			send_sig(SIGKILL, req->waiter, 1);
	}
	spin_unlock(&req->lock);
	return ret;
}

/**
 * tdx_update_request_init() - set up an update request
 * @req: the request
 * @timeout_ms: how long to wait for builds in flight; 0 for the default,
 *	values above TDX_UPDATE_MAX_TIMEOUT_MS are clamped to it
 * @nonblock: fail with -EBUSY instead of waiting for builds in flight
 */
void tdx_update_request_init(struct tdx_update_request *req,
			     unsigned int timeout_ms, bool nonblock)
{
	memset(req, 0, sizeof(*req));
	if (!timeout_ms)
		timeout_ms = TDX_UPDATE_DEFAULT_TIMEOUT_MS;
	req->timeout_ms = min_t(unsigned int, timeout_ms,
				TDX_UPDATE_MAX_TIMEOUT_MS);
	req->nonblock = nonblock;
	spin_lock_init(&req->lock);
	init_completion(&req->done);
}
EXPORT_SYMBOL_GPL(tdx_update_request_init);

/**
 * tdx_module_update_cancel() - call off an update that is still waiting
 * @req: the request passed to tdx_module_update()
 *
 * May be called from any task that may take a spinlock (not from
 * interrupt context), at any time between tdx_update_request_init() and
 * the end of tdx_module_update(); @req must outlive the call.  It never
 * waits and takes no lock of the update gate.
 *
 * Return: true if the update will not run (tdx_module_update() returns
 * -ECANCELED, or the error it had already failed with), false if it is
 * past the point of no return and will complete.
 */
bool tdx_module_update_cancel(struct tdx_update_request *req)
{
	return update_call_off(req, -ECANCELED) != 0;
}
EXPORT_SYMBOL_GPL(tdx_module_update_cancel);

/* ---- Probe -------------------------------------------------------- */

static void tdx_update_probe(void)
{
	struct tdx_module_info info = {};

	if (!boot_cpu_has(X86_FEATURE_TDX_HOST_PLATFORM) ||
	    tdx_read_module_info(&info)) {
		tdx_set_module_info(&info);
		tdx_gate_set_state(TDX_UPDATE_UNSUPPORTED);
		return;
	}
	tdx_set_module_info(&info);
	/*
	 * Every shutdown carries AVOID_COMPAT_SENSITIVE, which a module
	 * without UPDATE_COMPAT rejects: such a module is never updated.
	 */
	if (!(info.features0 & TDX_FEATURES0_TD_PRESERVING) ||
	    !(info.features0 & TDX_FEATURES0_UPDATE_COMPAT)) {
		pr_info("module %u.%u.%02u cannot be updated at runtime: no %s\n",
			info.version.major, info.version.minor,
			info.version.update,
			info.features0 & TDX_FEATURES0_TD_PRESERVING ?
			"UPDATE_COMPAT" : "TD_PRESERVING");
		tdx_gate_set_state(TDX_UPDATE_UNSUPPORTED);
		return;
	}
	tdx_gate_set_state(TDX_UPDATE_IDLE);
}

static int update_precheck(void)
{
	struct seamldr_info info;
	int ret;

	/*
	 * On hardware the module may not have been initialized yet when the
	 * boot-time probe ran (SEAMCALL needs VMX on and tdx_enable()).
	 */
	if (!tdx_get_module_info().present)
		tdx_update_probe();

	switch (tdx_update_state()) {
	case TDX_UPDATE_UNSUPPORTED:
		pr_err("update refused: the TDX module does not support runtime update\n");
		return -EOPNOTSUPP;
	case TDX_UPDATE_DEAD:
		pr_err("update refused: TDX is unusable after a failed update\n");
		return -ENXIO;
	default:
		break;
	}

	/* Checked again under cpus_read_lock(); this says so before waiting. */
	if (!cpumask_equal(cpu_online_mask, cpu_present_mask)) {
		pr_err("update refused: bring all CPUs online first\n");
		return -EBUSY;
	}

	ret = seamldr_get_info(&info);
	if (ret)
		return ret;
	if (!info.num_remaining_updates) {
		pr_err("update refused: the P-SEAMLDR accepts no more updates until reboot\n");
		return -ENOSPC;
	}
	return 0;
}

/* Check the image once, say which rule it breaks, and find its parts. */
static int update_image_check(const void *image, size_t size,
			      struct tdx_image_layout *layout)
{
	enum tdx_image_error err = tdx_image_check(image, size, layout);

	if (!err)
		return 0;
	pr_err("update image refused: %s\n", tdx_image_error_str(err));
	return tdx_image_error_is_size(err) ? -EMSGSIZE : -EINVAL;
}

static void update_report_timeout(struct tdx_update_request *req)
{
	unsigned int builds = tdx_builds_in_flight();

	if (builds)
		pr_info("update gave up after %u ms: TD builds still in flight (%u)\n",
			req->timeout_ms, builds);
	else
		pr_info("update gave up after %u ms: its task did not get to run in time\n",
			req->timeout_ms);
}

/*
 * Copy the image, start the update task and wait for it, under the
 * deadline and the caller's fatal signals.  Returns the update's result;
 * job->dead says whether the old module is gone with no new one running.
 * The caller has closed the gate and opens it again afterwards.
 */
static int update_start_and_wait(struct update_job *job,
				 const struct tdx_image_layout *layout)
{
	struct tdx_update_request *req = job->req;
	unsigned long timeout = msecs_to_jiffies(req->timeout_ms);
	struct task_struct *task;
	long left;
	int ret;

	job->up = alloc_update_pages(layout);
	if (!job->up)
		return -ENOMEM;

	task = kthread_run(update_thread, job, "tdx_update");
	if (IS_ERR(task)) {
		free_update_pages(job->up);
		/* -EINTR: the caller was killed; that is a cancel. */
		return PTR_ERR(task) == -EINTR ? -ECANCELED : PTR_ERR(task);
	}

	left = wait_for_completion_killable_timeout(&req->done, timeout);
	if (left <= 0) {
		int why = left ? -ECANCELED : -ETIMEDOUT;

		if (update_call_off(req, why) == -ETIMEDOUT)
			update_report_timeout(req);
		/* Bounded: the task was killed, or it is already updating. */
		wait_for_completion_state(&req->done, TASK_IDLE);
	}
	ret = req->ret;
	free_update_pages(job->up);
	return ret;
}

/**
 * tdx_module_update_check() - check an update image, touching nothing
 * @image: a tdx_blob image
 * @size: its length
 *
 * Logs the rule a refused image breaks.  tdx_module_update() makes the
 * same check; this lets a caller refuse an image early.
 *
 * Return: 0, -EMSGSIZE if the length is wrong, -EINVAL if the image
 * breaks another rule.
 */
int tdx_module_update_check(const void *image, size_t size)
{
	struct tdx_image_layout layout;

	return update_image_check(image, size, &layout);
}
EXPORT_SYMBOL_GPL(tdx_module_update_check);

/**
 * tdx_module_update() - replace the running TDX module
 * @req: set up with tdx_update_request_init()
 * @image: a tdx_blob image
 * @size: its length
 *
 * Checks the image, waits up to @req->timeout_ms for the TD builds in
 * flight (new builds wait behind the update), then updates all CPUs.
 * tdx_module_update_cancel() calls the update off while it waits.
 *
 * The deadline runs from the start of the update task and covers only
 * the wait for builds: once the update is past the point of no return it
 * completes, whatever the deadline or a cancel.  On failure nothing
 * changed, unless the error is -EIO and tdx_update_state() returns
 * TDX_UPDATE_DEAD.
 *
 * Context: process context; sleeps.  A fatal signal to the caller calls
 * the update off like cancel does.  @req must outlive any concurrent
 * tdx_module_update_cancel().
 * Return:
 * * 0: the module was updated
 * * -EMSGSIZE: the image has the wrong length
 * * -EINVAL: the image is malformed
 * * -EOPNOTSUPP: the module cannot be updated at runtime
 * * -ENXIO: TDX is dead after an earlier failed update
 * * -ENOSPC: the P-SEAMLDR accepts no more updates until reboot
 * * -EBUSY: another update runs; @req->nonblock and builds are in
 *   flight; a TD is in an update-sensitive section (the backstop); or
 *   not every present CPU is online (each CPU must install the module)
 * * -ETIMEDOUT: builds in flight did not end in time
 * * -ECANCELED: cancelled, or the caller killed, while waiting
 * * -EIO: a SEAMCALL failed (SEAMLDR.INFO, or a step of the update);
 *   tdx_update_state() says whether the old module still runs or TDX is
 *   dead
 * * -ENOMEM: no memory for the image's pages
 * * another negative errno: stop_machine() failed before any step ran
 */
int tdx_module_update(struct tdx_update_request *req,
		      const void *image, size_t size)
{
	struct tdx_image_layout layout;
	struct update_job job = { .req = req };
	int ret;

	/* A request is good for one update: set it up again for the next. */
	if (WARN_ON_ONCE(completion_done(&req->done)))
		return -EINVAL;
	ret = update_image_check(image, size, &layout);
	if (ret)
		return ret;

	if (!mutex_trylock(&tdx_update_mutex)) {
		pr_info_ratelimited("update refused: another update is in progress\n");
		return -EBUSY;
	}
	ret = update_precheck();
	if (ret)
		goto unlock;
	/*
	 * Accepted: builds that start from now on wait behind the update,
	 * rather than join the builds it waits for while its pages are
	 * copied and its task starts.  Whatever happens next, the gate
	 * opens again below, and only there.
	 */
	tdx_gate_close();
	ret = update_start_and_wait(&job, &layout);
	tdx_gate_open(job.dead ? TDX_UPDATE_DEAD : TDX_UPDATE_IDLE);
unlock:
	mutex_unlock(&tdx_update_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_module_update);

#ifdef CONFIG_TDX_MODULE_UPDATE_TEST_HOOKS
/**
 * tdx_update_test_reprobe() - replace the module and probe it again
 * @power_cycle: replaces or resets the module under the kernel's feet
 * @data: its argument
 *
 * For tests.  Waits for an update that runs; refuses while a build hold
 * is out.  No build can start between that check and the end of the
 * probe, so no build ever straddles the change.
 *
 * Return: 0; -EBUSY if a build hold is out; -EINTR if killed while an
 * update ran.
 */
int tdx_update_test_reprobe(void (*power_cycle)(void *data), void *data)
{
	int ret;

	if (mutex_lock_killable(&tdx_update_mutex))
		return -EINTR;
	ret = tdx_gate_test_exclude_builds();
	if (!ret) {
		power_cycle(data);
		tdx_update_probe();
		tdx_gate_test_admit_builds();
	}
	mutex_unlock(&tdx_update_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(tdx_update_test_reprobe);
#endif

static int __init tdx_update_init(void)
{
	tdx_update_probe();
	return 0;
}
subsys_initcall(tdx_update_init);
