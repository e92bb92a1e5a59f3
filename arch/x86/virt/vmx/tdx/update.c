// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime update of the TDX module, serialized against TD builds.
 *
 * The update itself is seamldr_install_module() (seamldr.c): every CPU
 * in stop_machine(), TDH.SYS.SHUTDOWN, SEAMLDR.INSTALL, the new module's
 * initialization, TDH.SYS.UPDATE.  This file decides when it may run:
 *
 *  1. The update is accepted (one at a time, and only if the module can
 *     take it), and the gate closes: TD builds that start from now on
 *     wait behind it.  The caller may check its image meanwhile.
 *  2. The image is copied, and the copy checked against the tdx_blob
 *     rules (including the module's SHA-384 against its sigstruct), so
 *     that what is checked is what is installed.  A dedicated task takes
 *     the write side of the update gate: it waits, killably and under a
 *     deadline, for the TD builds in flight to end.  Cancel and the
 *     deadline kill that task; once it holds the gate it checks for them
 *     one last time and then commits.  A task of its own, because
 *     fw_upload's write runs in a kworker, which no signal reaches.
 *  3. It runs seamldr_install_module().  Where the module offers
 *     UPDATE_COMPAT, TDH.SYS.SHUTDOWN carries AVOID_COMPAT_SENSITIVE and
 *     a conflict comes back as -EBUSY with the old module running.  A
 *     failure after the shutdown leaves no usable module: TDX is dead
 *     until reboot, and builds and updates fail fast.
 *  4. The gate opens again, however the update ended.
 */

#define pr_fmt(fmt) "tdx: " fmt

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/cpufeature.h>
#include <asm/seamldr.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

#include "tdx_blob.h"
#include "update.h"

/*
 * One update at a time: held from tdx_module_update_begin() to the end of
 * tdx_module_update() (or tdx_module_update_end()), in one task.  Taken
 * before the gate's write side (and so before cpu_hotplug_lock, which
 * seamldr_install_module() takes); tdx-host holds it across fw_upload's
 * prepare and write, and so before the upload's own lock.  Never taken
 * by a TD build.
 */
static DEFINE_MUTEX(tdx_update_mutex);

/* ---- The update task ---------------------------------------------- */

/*
 * Install the checked copy of the image.  Returns 0, -EBUSY (a TD is in
 * an update-sensitive section, or a CPU is offline), or another error;
 * sets *dead when the old module is gone and no new one runs.
 */
static int run_update(const u8 *image, size_t size, bool *dead)
{
	const struct tdx_sys_info *info = tdx_get_sysinfo();
	struct tdx_sys_info_version old;
	int ret;

	if (!info)
		return -ENXIO;
	old = info->version;
	ret = seamldr_install_module(image, size);
	info = tdx_get_sysinfo();
	*dead = !info;
	if (ret == -EBUSY && info) {
		pr_info_ratelimited("update refused: a TD is in an update-sensitive section, or a CPU is offline; the module is unchanged\n");
		return ret;
	}
	if (ret) {
		if (*dead)
			pr_err("update failed (%d); TDX is unusable until reboot: no module runs, or the new one's version or features could not be read\n",
			       ret);
		else
			pr_err("update failed (%d); the old module still runs\n",
			       ret);
		return ret;
	}
	pr_info("module updated from " TDX_VERSION_FMT " to " TDX_VERSION_FMT "\n",
		old.major_version, old.minor_version, old.update_version,
		info->version.major_version, info->version.minor_version,
		info->version.update_version);
	return 0;
}

struct update_job {
	struct tdx_update_request *req;
	const u8 *image;	/* the checked copy, in vmalloc() memory */
	size_t size;
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
			ret = run_update(job->image, job->size, &job->dead);
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
 * @req: the request passed to tdx_module_update_begin() or
 *	tdx_module_update()
 *
 * May be called from any task that may take a spinlock (not from
 * interrupt context), at any time between tdx_update_request_init() and
 * the end of tdx_module_update() or tdx_module_update_end(); @req must
 * outlive the call.  It never waits and takes no lock of the update
 * gate.
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

/*
 * Whether the module can be updated, from what the kernel read of it at
 * boot (or after the last update).  A module without UPDATE_COMPAT is
 * updated under the gate alone; with it, TDH.SYS.SHUTDOWN also carries
 * the backstop.
 */
static void tdx_update_probe(void)
{
	const struct tdx_sys_info *info = tdx_get_sysinfo();

	if (!info) {
		tdx_gate_set_state(TDX_UPDATE_UNSUPPORTED);
		return;
	}
	if (!tdx_supports_runtime_update(info) ||
	    boot_cpu_has_bug(X86_BUG_SEAMRET_INVD_VMCS)) {
		pr_info("module " TDX_VERSION_FMT " cannot be updated at runtime\n",
			info->version.major_version, info->version.minor_version,
			info->version.update_version);
		tdx_gate_set_state(TDX_UPDATE_UNSUPPORTED);
		return;
	}
	pr_info("module " TDX_VERSION_FMT ": runtime update under the update gate; backstop %s\n",
		info->version.major_version, info->version.minor_version,
		info->version.update_version,
		tdx_update_backstop() ? "AVOID_COMPAT_SENSITIVE (UPDATE_COMPAT offered)" :
					"none (no UPDATE_COMPAT)");
	tdx_gate_set_state(TDX_UPDATE_IDLE);
}

/**
 * tdx_update_backstop() - does TDH.SYS.SHUTDOWN carry the backstop?
 *
 * Return: true if the running module offers UPDATE_COMPAT, so that an
 * update also refuses to land in update-sensitive sections the gate does
 * not cover; false if the gate alone keeps updates out of TD builds.
 */
bool tdx_update_backstop(void)
{
	const struct tdx_sys_info *info = tdx_get_sysinfo();

	return info && (info->features.tdx_features0 &
			TDX_FEATURES0_UPDATE_COMPAT);
}
EXPORT_SYMBOL_GPL(tdx_update_backstop);

static int update_precheck(void)
{
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

	/*
	 * seamldr_install_module() checks again; saying so here spares the
	 * wait for builds.
	 */
	if (!cpumask_equal(cpu_online_mask, cpu_present_mask)) {
		pr_err("update refused: bring all CPUs online first\n");
		return -EBUSY;
	}
	return 0;
}

/* Whether the P-SEAMLDR has room for another update; checked again later. */
static int update_check_seamldr(void)
{
	struct seamldr_info info;
	int ret;

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
 * Start the update task and wait for it, under the deadline and the
 * caller's fatal signals.  Returns the update's result;
 * job->dead says whether the old module is gone with no new one running.
 * The caller has closed the gate and opens it again afterwards.
 */
static int update_start_and_wait(struct update_job *job)
{
	struct tdx_update_request *req = job->req;
	unsigned long timeout = msecs_to_jiffies(req->timeout_ms);
	struct task_struct *task;
	long left;
	int ret;

	task = kthread_run(update_thread, job, "tdx_update");
	if (IS_ERR(task)) {
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
 * tdx_module_update_begin() - accept an update and shut new builds out
 * @req: set up with tdx_update_request_init()
 *
 * Takes the right to update (one update at a time), refuses what the
 * module's state refuses, and closes the gate: TD builds that start from
 * now on wait behind the update instead of joining the builds it must
 * wait for.  A caller that receives the image in steps calls this first,
 * checks the image meanwhile, and then calls tdx_module_update(), or
 * tdx_module_update_end() to give up; tdx_module_update() calls it itself
 * when the caller did not.
 *
 * Context: process context; the same task must later call
 *	tdx_module_update() or tdx_module_update_end() for @req, and take
 *	no build hold until then.
 * Return: 0; or -EBUSY (another update runs, or not every present CPU is
 * online), -EOPNOTSUPP or -ENXIO, as for tdx_module_update(), with
 * nothing changed; -EINVAL if @req was used before.
 */
int tdx_module_update_begin(struct tdx_update_request *req)
{
	int ret;

	/* A request is good for one update: set it up again for the next. */
	if (WARN_ON_ONCE(req->begun || completion_done(&req->done)))
		return -EINVAL;
	if (!mutex_trylock(&tdx_update_mutex)) {
		pr_info_ratelimited("update refused: another update is in progress\n");
		return -EBUSY;
	}
	ret = update_precheck();
	if (ret) {
		mutex_unlock(&tdx_update_mutex);
		return ret;
	}
	/*
	 * Accepted.  Whatever happens next, tdx_module_update() or
	 * tdx_module_update_end() opens the gate again, and only they do.
	 */
	tdx_gate_close();
	req->begun = true;
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_module_update_begin);

/*
 * Open the gate, read the new module if there is one, and give up the
 * right to update.  The request is used up: a request whose update never
 * started its task is marked done too, so that reusing it is caught.
 */
static void update_finish(struct tdx_update_request *req,
			  enum tdx_update_state state, int ret)
{
	tdx_gate_open(state);
	if (!ret)
		tdx_update_probe();
	req->begun = false;
	if (!completion_done(&req->done)) {
		req->ret = ret;
		complete_all(&req->done);
	}
	mutex_unlock(&tdx_update_mutex);
}

/**
 * tdx_module_update_end() - give up an update that tdx_module_update_begin()
 *	accepted, without running it
 * @req: the request
 *
 * Opens the gate again; builds that waited behind the update go on.  Does
 * nothing when @req was not begun, or tdx_module_update() already ran it.
 *
 * Context: the task that called tdx_module_update_begin().
 */
void tdx_module_update_end(struct tdx_update_request *req)
{
	if (req->begun)
		update_finish(req, TDX_UPDATE_IDLE, -ECANCELED);
}
EXPORT_SYMBOL_GPL(tdx_module_update_end);

/**
 * tdx_module_update() - replace the running TDX module
 * @req: set up with tdx_update_request_init(), and perhaps begun with
 *	tdx_module_update_begin()
 * @image: a tdx_blob image
 * @size: its length
 *
 * Begins the update unless the caller did, checks a copy of the image
 * and that the P-SEAMLDR has room for it, waits up to @req->timeout_ms
 * for the TD builds in flight (new builds wait behind the update), then
 * installs the copy on all CPUs with
 * seamldr_install_module().  tdx_module_update_cancel() calls the update
 * off while it waits.  Returns with the gate open and the update over,
 * whatever the result.
 *
 * The deadline runs from the start of the update task and covers only
 * the wait for builds: once the update is past the point of no return it
 * completes, whatever the deadline or a cancel.  On failure nothing
 * changed, unless the error is -EIO and tdx_update_state() returns
 * TDX_UPDATE_DEAD.
 *
 * Context: process context; sleeps; the task that began @req, if it was
 * begun.  A fatal signal to the caller calls the update off like cancel
 * does.  @req must outlive any concurrent tdx_module_update_cancel().
 * Return:
 * * 0: the module was updated
 * * -EMSGSIZE: the image has the wrong length
 * * -EINVAL: the image is malformed
 * * -EOPNOTSUPP: the module cannot be updated at runtime
 * * -ENXIO: TDX is dead after an earlier failed update
 * * -ENOSPC: the P-SEAMLDR accepts no more updates until reboot
 * * -EBUSY: another update runs; @req->nonblock and builds are in
 *   flight; a TD is in an update-sensitive section (the backstop, where
 *   the module offers it); or not every present CPU is online (each CPU
 *   must install the module)
 * * -ETIMEDOUT: builds in flight did not end in time
 * * -ECANCELED: cancelled, or the caller killed, while waiting
 * * -EIO, -ENODEV, -EOPNOTSUPP, -EACCES: a SEAMCALL failed (SEAMLDR.INFO,
 *   or a step of the update); tdx_update_state() says whether the old
 *   module still runs or TDX is dead
 * * -ENOMEM: no memory for the copy of the image
 * * -EINVAL also: @req was used before (set it up again for each update)
 */
int tdx_module_update(struct tdx_update_request *req,
		      const void *image, size_t size)
{
	struct tdx_image_layout layout;
	struct update_job job = { .req = req, .size = size };
	u8 *copy = NULL;
	int ret;

	if (!req->begun) {
		ret = tdx_module_update_begin(req);
		if (ret)
			return ret;
	}
	/* Called off already (in tdx-host: while prepare checked)? */
	spin_lock(&req->lock);
	ret = req->cancel_err;
	spin_unlock(&req->lock);
	if (ret)
		goto finish;
	/*
	 * Check and install a private copy: the caller's buffer may change
	 * meanwhile (a second writer of the upload), and what was checked
	 * must be what the P-SEAMLDR reads.  vmalloc(), as
	 * seamldr_install_module() wants it.
	 */
	copy = vmalloc(size);
	if (!copy) {
		ret = -ENOMEM;
		goto finish;
	}
	memcpy(copy, image, size);
	ret = update_image_check(copy, size, &layout);
	if (!ret)
		ret = update_check_seamldr();
	if (ret)
		goto finish;

	job.image = copy;
	ret = update_start_and_wait(&job);
finish:
	update_finish(req, job.dead ? TDX_UPDATE_DEAD : TDX_UPDATE_IDLE, ret);
	vfree(copy);
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

/* After subsys_initcall(tdx_enable): the module is initialized, or not. */
static int __init tdx_update_init(void)
{
	tdx_update_probe();
	return 0;
}
subsys_initcall_sync(tdx_update_init);
