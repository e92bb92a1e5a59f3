// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the KUnit suites that drive the simulated module.
 */
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/vmalloc.h>
#include <kunit/test.h>

#include "tdx.h"
#include "tdx_sim_abi.h"
#include "tdx_sim_kunit.h"

static void tdx_kunit_vfree(void *p)
{
	vfree(p);
}

/**
 * tdx_kunit_make_image() - a well-formed image of the default module
 *	with another update version and crypto library
 * @test: owns the memory
 * @img: filled in
 * @update: update version of the new module
 * @crypto_lib_version: its crypto-library version
 *
 * Return: 0, -ENOMEM, or the error of computing the image's SHA-384.
 */
int tdx_kunit_make_image(struct kunit *test, struct tdx_kunit_image *img,
			 u16 update, u32 crypto_lib_version)
{
	struct tdx_sim_module_desc desc;

	tdx_sim_default_module(&desc);
	desc.update = update;
	desc.crypto_lib_version = crypto_lib_version;
	img->size = tdx_sim_image_size(2);
	img->data = vmalloc(img->size);
	if (!img->data)
		return -ENOMEM;
	if (kunit_add_action_or_reset(test, tdx_kunit_vfree, img->data))
		return -ENOMEM;
	return tdx_sim_make_image(img->data, &desc, 2);
}
EXPORT_SYMBOL_GPL(tdx_kunit_make_image);

static int builder_fn(void *arg)
{
	struct tdx_kunit_builder *b = arg;

	/* Lets a test kill it while it waits, as a VMM process is killed. */
	allow_signal(SIGKILL);
	b->ret = tdx_build_begin(&b->hold, b->nonblock);
	b->updates_seen = tdx_sim_calls(TDH_SYS_UPDATE);
	complete(&b->begun);
	return 0;
}

/**
 * tdx_kunit_builder_start() - start a thread that takes a build hold
 * @b: the builder, zeroed
 * @nonblock: fail rather than wait for a pending update
 *
 * Return: 0, or the error of kthread_create().
 */
int tdx_kunit_builder_start(struct tdx_kunit_builder *b, bool nonblock)
{
	struct task_struct *task;

	init_completion(&b->begun);
	b->nonblock = nonblock;
	task = kthread_create(builder_fn, b, "tdx_kunit_build");
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	b->task = task;
	wake_up_process(task);
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_kunit_builder_start);

/**
 * tdx_kunit_builder_put() - drop the thread reference; the hold stays
 * @b: the builder
 */
void tdx_kunit_builder_put(struct tdx_kunit_builder *b)
{
	if (b->task)
		put_task_struct(b->task);
	b->task = NULL;
}
EXPORT_SYMBOL_GPL(tdx_kunit_builder_put);

static int updater_fn(void *arg)
{
	struct tdx_kunit_updater *u = arg;
	ktime_t start = ktime_get();

	/* Lets a test kill it, as the process that uploads is killed. */
	allow_signal(SIGKILL);
	u->ret = tdx_module_update(&u->req, u->img->data, u->img->size);
	u->elapsed_ms = ktime_ms_delta(ktime_get(), start);
	complete(&u->done);
	return 0;
}

/**
 * tdx_kunit_updater_start() - start a thread that runs one update
 * @u: the updater, zeroed
 * @img: the image
 * @timeout_ms: deadline for the wait for builds
 * @nonblock: do not wait for builds at all
 *
 * Return: 0, or the error of kthread_run().
 */
int tdx_kunit_updater_start(struct tdx_kunit_updater *u,
			    const struct tdx_kunit_image *img,
			    unsigned int timeout_ms, bool nonblock)
{
	struct task_struct *task;

	tdx_update_request_init(&u->req, timeout_ms, nonblock);
	init_completion(&u->done);
	u->img = img;
	task = kthread_run(updater_fn, u, "tdx_kunit_update");
	if (IS_ERR(task))
		return PTR_ERR(task);
	u->task = task;
	return 0;
}
EXPORT_SYMBOL_GPL(tdx_kunit_updater_start);

/**
 * tdx_kunit_wait_state() - wait until the update side reaches a state
 * @state: the state
 * @ms: at most this long
 *
 * Return: true if it got there in time.
 */
bool tdx_kunit_wait_state(enum tdx_update_state state, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (tdx_update_state() != state) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
	return true;
}
EXPORT_SYMBOL_GPL(tdx_kunit_wait_state);

/**
 * tdx_kunit_wait_done() - wait for a completion, bounded
 * @done: the completion
 * @ms: at most this long
 *
 * Return: true if it completed in time.
 */
bool tdx_kunit_wait_done(struct completion *done, unsigned int ms)
{
	return wait_for_completion_timeout(done, msecs_to_jiffies(ms)) > 0;
}
EXPORT_SYMBOL_GPL(tdx_kunit_wait_done);

/**
 * tdx_kunit_report_debug_locks() - say whether lockdep is still on
 *
 * The log checker fails the run if this ever prints 0, or never prints.
 */
void tdx_kunit_report_debug_locks(void)
{
	pr_info("tdx_check: debug_locks=%d\n", debug_locks);
}
EXPORT_SYMBOL_GPL(tdx_kunit_report_debug_locks);
