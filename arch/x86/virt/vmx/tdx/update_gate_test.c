// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the update gate: updates wait for every build in
 * flight, builds that arrive meanwhile wait for the update, non-blocking
 * callers fail fast, killed and cancelled waiters leave nothing behind,
 * and a hold may end in another task than the one that took it.
 *
 * Order is checked by what each side observed, not by sleeps alone: a
 * builder records how many TDH.SYS.UPDATE calls the module had seen when
 * its hold was granted, and "the update has not run" is the module's
 * count of TDH.SYS.SHUTDOWN calls still being zero.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <kunit/test.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

#include "tdx.h"
#include "tdx_sim_abi.h"
#include "update.h"
#include "tdx_sim.h"
#include "tdx_sim_kunit.h"

/* Long enough that a wrong early return would be seen, short enough. */
#define SETTLE_MS	200
/* Nothing in a passing run waits this long; a failing one stops here. */
#define BOUND_MS	10000

static struct tdx_kunit_image gate_img;

static int gate_init(struct kunit *test)
{
	tdx_sim_reset(1000);
	tdx_update_set_policy(TDX_POLICY_GATE);
	return tdx_kunit_make_image(test, &gate_img, 7, 1);
}

static void gate_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	tdx_sim_reset(1000);
}

static void gate_suite_exit(struct kunit_suite *suite)
{
	tdx_kunit_report_debug_locks();
}

/* An update that may not wait succeeds only if no hold is out at all. */
static void expect_gate_free(struct kunit *test)
{
	struct tdx_update_request req;

	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), 0);
}

static unsigned long shutdowns(void)
{
	return tdx_sim_calls(TDH_SYS_SHUTDOWN);
}

/* Take build hold @a, then start an update that waits behind it. */
static void hold_and_start_update(struct kunit *test, struct tdx_build_hold *a,
				  struct tdx_kunit_updater *u,
				  unsigned int timeout_ms)
{
	KUNIT_ASSERT_EQ(test, tdx_build_begin(a, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_kunit_updater_start(u, &gate_img,
						      timeout_ms, false), 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_state(TDX_UPDATE_WAITING,
						     BOUND_MS));
}

static void begin_end_counts_builds(struct kunit *test)
{
	struct tdx_build_hold a = {}, b = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_TRUE(test, tdx_build_held(&a));
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&b, true), 0);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 2);
	tdx_build_end(&a);
	tdx_build_end(&b);
	KUNIT_EXPECT_FALSE(test, tdx_build_held(&a));
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	expect_gate_free(test);
}

static void second_end_is_harmless(struct kunit *test)
{
	struct tdx_build_hold a = {}, other = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&other, false), 0);
	tdx_build_end(&a);
	tdx_build_end(&a);
	tdx_build_end(&a);
	/* The extra ends released neither the count nor another's hold. */
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	KUNIT_EXPECT_TRUE(test, tdx_build_held(&other));
	tdx_build_end(&other);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	expect_gate_free(test);
}

static void end_without_begin_is_harmless(struct kunit *test)
{
	struct tdx_build_hold never = {};

	tdx_build_end(&never);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	expect_gate_free(test);
}

static void begin_twice_on_one_hold_is_refused(struct kunit *test)
{
	struct tdx_build_hold a = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, true), -EBUSY);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	tdx_build_end(&a);
	expect_gate_free(test);
}

static int end_fn(void *arg)
{
	tdx_build_end(arg);
	return 0;
}

static void end_in_another_thread(struct kunit *test)
{
	struct tdx_kunit_builder b = {};
	struct task_struct *t;

	/* Taken by one thread, which then exits ... */
	KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(&b, false), 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&b.begun, BOUND_MS));
	KUNIT_ASSERT_EQ(test, b.ret, 0);
	tdx_kunit_builder_put(&b);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);

	/* ... and given back by a second one. */
	t = kthread_run(end_fn, &b.hold, "tdx_kunit_end");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	while (tdx_build_held(&b.hold))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	expect_gate_free(test);
}

static void update_waits_for_builds_in_flight(struct kunit *test)
{
	struct tdx_build_hold a = {}, b = {};
	struct tdx_kunit_updater u = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&b, false), 0);
	KUNIT_ASSERT_EQ(test, tdx_kunit_updater_start(&u, &gate_img,
						      BOUND_MS, false), 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_state(TDX_UPDATE_WAITING,
						     BOUND_MS));

	msleep(SETTLE_MS);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_WAITING);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	tdx_build_end(&a);

	/* One build still in flight: the update still may not run. */
	msleep(SETTLE_MS);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	KUNIT_EXPECT_FALSE(test, completion_done(&u.done));
	tdx_build_end(&b);

	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	KUNIT_EXPECT_EQ(test, shutdowns(), 1);
	KUNIT_ASSERT_NOT_NULL(test, tdx_get_sysinfo());
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->version.update_version, 7);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
}

static void builds_arriving_wait_behind_update(struct kunit *test)
{
	struct tdx_kunit_builder late[3] = {};
	struct tdx_kunit_updater u = {};
	struct tdx_build_hold a = {};
	int i;

	hold_and_start_update(test, &a, &u, BOUND_MS);

	for (i = 0; i < ARRAY_SIZE(late); i++)
		KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(&late[i], false),
				0);
	msleep(SETTLE_MS);
	for (i = 0; i < ARRAY_SIZE(late); i++)
		KUNIT_EXPECT_FALSE(test, completion_done(&late[i].begun));
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);

	tdx_build_end(&a);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	for (i = 0; i < ARRAY_SIZE(late); i++) {
		KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&late[i].begun,
							    BOUND_MS));
		KUNIT_EXPECT_EQ(test, late[i].ret, 0);
		/* Each late build saw the update done when it got its hold. */
		KUNIT_EXPECT_EQ(test, late[i].updates_seen, 1);
		tdx_build_end(&late[i].hold);
		tdx_kunit_builder_put(&late[i]);
	}
	expect_gate_free(test);
}

static void nonblock_begin_fails_while_update_pending(struct kunit *test)
{
	struct tdx_kunit_updater u = {};
	struct tdx_build_hold a = {}, nb = {};

	hold_and_start_update(test, &a, &u, BOUND_MS);

	KUNIT_EXPECT_EQ(test, tdx_build_begin(&nb, true), -EAGAIN);
	KUNIT_EXPECT_FALSE(test, tdx_build_held(&nb));
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);

	tdx_build_end(&a);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	/* Idle again: the same call now succeeds. */
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&nb, true), 0);
	tdx_build_end(&nb);
}

static void killed_waiter_leaves_no_hold(struct kunit *test)
{
	struct tdx_kunit_updater u = {};
	struct tdx_kunit_builder w = {};
	struct tdx_build_hold a = {};

	hold_and_start_update(test, &a, &u, BOUND_MS);
	KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(&w, false), 0);
	msleep(SETTLE_MS);
	KUNIT_ASSERT_FALSE(test, completion_done(&w.begun));

	send_sig(SIGKILL, w.task, 1);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&w.begun, BOUND_MS));
	KUNIT_EXPECT_EQ(test, w.ret, -EINTR);
	KUNIT_EXPECT_FALSE(test, tdx_build_held(&w.hold));
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	tdx_kunit_builder_put(&w);

	tdx_build_end(&a);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	expect_gate_free(test);
}

/* Builds that waited behind a called-off update get through. */
static void expect_waiter_through(struct kunit *test,
				  struct tdx_kunit_builder *w)
{
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&w->begun, BOUND_MS));
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, w->updates_seen, 0);
	tdx_build_end(&w->hold);
	tdx_kunit_builder_put(w);
}

static void deadline_aborts_update(struct kunit *test)
{
	struct tdx_kunit_updater u = {};
	struct tdx_kunit_builder w = {};
	struct tdx_build_hold a = {};
	u16 before = tdx_get_sysinfo()->version.update_version;

	hold_and_start_update(test, &a, &u, 300);
	KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(&w, false), 0);

	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, u.elapsed_ms, 300);
	KUNIT_EXPECT_LT(test, u.elapsed_ms, 300 + 1000);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	KUNIT_ASSERT_NOT_NULL(test, tdx_get_sysinfo());
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->version.update_version, before);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);

	expect_waiter_through(test, &w);
	tdx_build_end(&a);
	expect_gate_free(test);
}

static void cancel_aborts_waiting_update(struct kunit *test)
{
	struct tdx_kunit_updater u = {};
	struct tdx_kunit_builder w = {};
	struct tdx_build_hold a = {};

	hold_and_start_update(test, &a, &u, BOUND_MS);
	KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(&w, false), 0);
	msleep(SETTLE_MS);

	KUNIT_EXPECT_TRUE(test, tdx_module_update_cancel(&u.req));
	/* Cancel ends the wait within a second. */
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, 1000));
	KUNIT_EXPECT_EQ(test, u.ret, -ECANCELED);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);

	expect_waiter_through(test, &w);
	tdx_build_end(&a);
	expect_gate_free(test);
}

static void cancel_after_point_of_no_return(struct kunit *test)
{
	struct tdx_kunit_updater u = {};

	/*
	 * The update's first step, SEAMLDR.INFO, takes a while: long enough
	 * to see it committed, before stop_machine() runs every CPU.
	 */
	KUNIT_ASSERT_EQ(test, tdx_sim_set_latency_us(P_SEAMLDR_INFO,
						     300 * 1000), 0);
	KUNIT_ASSERT_EQ(test, tdx_kunit_updater_start(&u, &gate_img,
						      BOUND_MS, false), 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_state(TDX_UPDATE_UPDATING,
						     BOUND_MS));
	KUNIT_EXPECT_FALSE(test, tdx_module_update_cancel(&u.req));

	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, tdx_get_sysinfo());
	KUNIT_EXPECT_EQ(test, tdx_get_sysinfo()->version.update_version, 7);
}

/*
 * After an update that did not happen, the gate is open at once, without
 * help from a reset: state idle, and builds get in, blocking or not.
 */
static void expect_gate_open(struct kunit *test)
{
	struct tdx_build_hold a = {};

	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, true), 0);
	tdx_build_end(&a);
	/* A shut gate would make the blocking call below wait forever. */
	KUNIT_ASSERT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, false), 0);
	tdx_build_end(&a);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
}

static void cancel_before_start_aborts(struct kunit *test)
{
	struct tdx_update_request req;

	tdx_update_request_init(&req, BOUND_MS, false);
	KUNIT_EXPECT_TRUE(test, tdx_module_update_cancel(&req));
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), -ECANCELED);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	expect_gate_open(test);
}

/*
 * The update task is slow to start (a loaded machine): the update is
 * called off, one way or another, before the task reaches the gate.
 * Builds that queued behind it get through, and the gate is open.
 */
enum early_abort { ABORT_CANCEL, ABORT_DEADLINE, ABORT_KILL };

static const char * const early_abort_names[] = {
	[ABORT_CANCEL]		= "cancel",
	[ABORT_DEADLINE]	= "deadline",
	[ABORT_KILL]		= "caller killed",
};

static void early_abort_desc(const char * const *name, char *desc)
{
	strscpy(desc, *name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(early_abort, early_abort_names, early_abort_desc);

/*
 * Should the gate stay shut, a builder queued behind the update would
 * wait past the end of the test: kill it, so that the test fails cleanly.
 * A builder the test saw through has been put already (no task).
 */
static void stop_queued_builder(void *data)
{
	struct tdx_kunit_builder *w = data;

	if (!w->task)
		return;
	if (!completion_done(&w->begun)) {
		send_sig(SIGKILL, w->task, 1);
		wait_for_completion(&w->begun);
	}
	tdx_build_end(&w->hold);
	tdx_kunit_builder_put(w);
}

static void abort_before_task_reaches_gate(struct kunit *test)
{
	enum early_abort how = (const char * const *)test->param_value -
			       early_abort_names;
	struct tdx_kunit_updater *u = kunit_kzalloc(test, sizeof(*u),
						    GFP_KERNEL);
	struct tdx_kunit_builder *w = kunit_kzalloc(test, sizeof(*w),
						    GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_ASSERT_NOT_NULL(test, w);
	tdx_update_test_set_start_delay(3 * SETTLE_MS);
	KUNIT_ASSERT_EQ(test, tdx_kunit_updater_start(u, &gate_img,
						      how == ABORT_DEADLINE ?
						      20 : BOUND_MS, false), 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_state(TDX_UPDATE_WAITING,
						     BOUND_MS));
	KUNIT_ASSERT_EQ(test, tdx_kunit_builder_start(w, false), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							stop_queued_builder,
							w), 0);
	if (how == ABORT_CANCEL)
		KUNIT_EXPECT_TRUE(test, tdx_module_update_cancel(&u->req));
	else if (how == ABORT_KILL)
		send_sig(SIGKILL, u->task, 1);

	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u->done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u->ret,
			how == ABORT_DEADLINE ? -ETIMEDOUT : -ECANCELED);
	tdx_update_test_set_start_delay(0);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	/* At once: no other update, no reset, opens the gate. */
	KUNIT_ASSERT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&w->begun, BOUND_MS));
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, w->updates_seen, 0);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	tdx_build_end(&w->hold);
	/* Through, and its completion consumed: nothing left to stop. */
	tdx_kunit_builder_put(w);
	expect_gate_open(test);
	expect_gate_free(test);
}

static void nonblock_update_busy_with_builds(struct kunit *test)
{
	struct tdx_update_request req;
	struct tdx_build_hold a = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	tdx_update_request_init(&req, BOUND_MS, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), -EBUSY);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	/* Builds were never shut out. */
	tdx_build_end(&a);
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, true), 0);
	tdx_build_end(&a);
}

static void second_update_is_refused(struct kunit *test)
{
	struct tdx_kunit_updater u = {};
	struct tdx_update_request req;
	struct tdx_build_hold a = {};

	hold_and_start_update(test, &a, &u, BOUND_MS);
	tdx_update_request_init(&req, BOUND_MS, false);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), -EBUSY);
	tdx_build_end(&a);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&u.done, BOUND_MS));
	KUNIT_EXPECT_EQ(test, u.ret, 0);
	KUNIT_EXPECT_EQ(test, shutdowns(), 1);
}

/*
 * tdx_module_update_begin() shuts builds out at once, before the caller
 * has checked its image: a build that arrives meanwhile waits (here: a
 * non-blocking one fails) instead of joining the builds the update must
 * wait for.  Ending the update unrun, or a refused image, lets builds in.
 */
static void begin_shuts_out_builds_before_the_image(struct kunit *test)
{
	struct tdx_update_request req, other;
	struct tdx_kunit_builder late = {};
	struct tdx_build_hold a = {};

	int started;

	tdx_update_request_init(&req, BOUND_MS, false);
	KUNIT_ASSERT_EQ(test, tdx_module_update_begin(&req), 0);
	/* No assertion until the end below: it would leave the gate shut. */
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_WAITING);
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, true), -EAGAIN);
	started = tdx_kunit_builder_start(&late, false);
	KUNIT_EXPECT_EQ(test, started, 0);
	/* One update at a time, from begin on. */
	tdx_update_request_init(&other, BOUND_MS, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update_begin(&other), -EBUSY);
	msleep(SETTLE_MS);
	if (!started)
		KUNIT_EXPECT_FALSE(test, completion_done(&late.begun));

	tdx_module_update_end(&req);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_ASSERT_EQ(test, started, 0);
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&late.begun, BOUND_MS));
	KUNIT_EXPECT_EQ(test, late.ret, 0);
	KUNIT_EXPECT_EQ(test, late.updates_seen, 0);
	tdx_build_end(&late.hold);
	tdx_kunit_builder_put(&late);
	/* A second end does nothing. */
	tdx_module_update_end(&req);

	/* Begun, then refused by the image check of the update itself. */
	tdx_update_request_init(&req, BOUND_MS, false);
	KUNIT_ASSERT_EQ(test, tdx_module_update_begin(&req), 0);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data, 100),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	KUNIT_EXPECT_EQ(test, shutdowns(), 0);

	/* Begun, then run. */
	tdx_update_request_init(&req, BOUND_MS, false);
	KUNIT_ASSERT_EQ(test, tdx_module_update_begin(&req), 0);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), 0);
	KUNIT_EXPECT_EQ(test, shutdowns(), 1);
	expect_gate_free(test);
}

/*
 * The re-entry lockdep cannot see: a task that owns a build hold asks for
 * an update.  It must end in the deadline, not hang.
 */
static void update_from_build_owner_times_out(struct kunit *test)
{
	struct tdx_update_request req;
	struct tdx_build_hold a = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	tdx_update_request_init(&req, 200, false);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	tdx_build_end(&a);
	expect_gate_free(test);
}

/*
 * The inline fast path is for an idle gate only: tdx_update_gate.fast
 * follows every change of state and policy.  A gated hold is counted
 * where the write side looks; a hold taken with the gate off is counted
 * but does not keep an update out.
 */
static void fast_path_follows_state_and_policy(struct kunit *test)
{
	struct tdx_update_request req;
	struct tdx_build_hold a = {};

	KUNIT_EXPECT_TRUE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_EQ(test, a.flags, TDX_HOLD_HELD | TDX_HOLD_GATED);
	KUNIT_EXPECT_EQ(test, tdx_gate_test_exclude_builds(), -EBUSY);
	/* The refused exclusion opened the gate again. */
	KUNIT_EXPECT_TRUE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_EXPECT_EQ(test, tdx_update_state(), TDX_UPDATE_IDLE);
	tdx_build_end(&a);
	KUNIT_EXPECT_EQ(test, a.flags, 0);

	tdx_update_set_policy(TDX_POLICY_NONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_EQ(test, a.flags, TDX_HOLD_HELD);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	tdx_update_request_init(&req, 0, true);
	KUNIT_EXPECT_EQ(test, tdx_module_update(&req, gate_img.data,
						gate_img.size), 0);
	tdx_build_end(&a);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	tdx_update_set_policy(TDX_POLICY_GATE);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(tdx_update_gate.fast));

	tdx_gate_close();
	KUNIT_EXPECT_FALSE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, true), -EAGAIN);
	tdx_gate_open(TDX_UPDATE_DEAD);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_EXPECT_EQ(test, tdx_build_begin(&a, false), -ENXIO);
	tdx_gate_set_state(TDX_UPDATE_IDLE);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(tdx_update_gate.fast));
	KUNIT_EXPECT_FALSE(test, tdx_build_held(&a));
	expect_gate_free(test);
}

/*
 * Test policies: a build waiting at the closed gate when the gate is
 * switched off takes an ungated hold at once, and ending that hold wakes
 * an update that drains the count.
 */
static void policy_off_releases_waiting_builds(struct kunit *test)
{
	struct tdx_kunit_builder w = {};
	int started;

	tdx_gate_close();
	started = tdx_kunit_builder_start(&w, false);
	KUNIT_EXPECT_EQ(test, started, 0);
	msleep(SETTLE_MS);
	if (!started)
		KUNIT_EXPECT_FALSE(test, completion_done(&w.begun));
	tdx_update_set_policy(TDX_POLICY_NONE);
	if (!started) {
		KUNIT_EXPECT_TRUE(test, tdx_kunit_wait_done(&w.begun,
							    BOUND_MS));
		KUNIT_EXPECT_EQ(test, w.ret, 0);
		KUNIT_EXPECT_EQ(test, w.hold.flags, TDX_HOLD_HELD);
		KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
		tdx_build_end(&w.hold);
		tdx_kunit_builder_put(&w);
	}
	tdx_update_set_policy(TDX_POLICY_GATE);
	tdx_gate_open(TDX_UPDATE_IDLE);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 0);
	expect_gate_free(test);
}

/* A test re-probe is refused while a hold is out, gated or not. */
static void reprobe_refused_with_build_in_flight(struct kunit *test)
{
	struct tdx_build_hold a = {};

	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(1000), -EBUSY);
	tdx_build_end(&a);

	tdx_update_set_policy(TDX_POLICY_NONE);
	KUNIT_ASSERT_EQ(test, tdx_build_begin(&a, false), 0);
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(1000), -EBUSY);
	tdx_build_end(&a);
	tdx_update_set_policy(TDX_POLICY_GATE);
	KUNIT_EXPECT_EQ(test, tdx_sim_reset(1000), 0);
}

struct reprobe_probe {
	struct kunit *test;
	struct tdx_kunit_builder *w;
};

/* Runs while the module is replaced: a build that starts now must wait. */
static void reprobe_power_cycle(void *data)
{
	struct reprobe_probe *p = data;

	KUNIT_EXPECT_EQ(p->test, tdx_kunit_builder_start(p->w, false), 0);
	msleep(SETTLE_MS);
	KUNIT_EXPECT_FALSE(p->test, completion_done(&p->w->begun));
	KUNIT_EXPECT_EQ(p->test, tdx_builds_in_flight(), 0);
}

static const enum tdx_update_policy reprobe_policies[] = {
	TDX_POLICY_GATE, TDX_POLICY_NONE,
};

static void reprobe_policy_desc(const enum tdx_update_policy *policy,
				char *desc)
{
	strscpy(desc, *policy == TDX_POLICY_GATE ? "gate" : "no gate",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(reprobe_policy, reprobe_policies, reprobe_policy_desc);

/* A build that starts during a re-probe starts after it, never across. */
static void reprobe_shuts_out_new_builds(struct kunit *test)
{
	const enum tdx_update_policy *policy = test->param_value;
	struct tdx_kunit_builder w = {};
	struct reprobe_probe p = { .test = test, .w = &w };

	tdx_update_set_policy(*policy);
	/* Refused, the power cycle never started the builder: stop here. */
	KUNIT_ASSERT_EQ_MSG(test,
			    tdx_update_test_reprobe(reprobe_power_cycle, &p),
			    0, "a hold is out (left by an earlier case?)");
	KUNIT_ASSERT_TRUE(test, tdx_kunit_wait_done(&w.begun, BOUND_MS));
	KUNIT_EXPECT_EQ(test, w.ret, 0);
	KUNIT_EXPECT_EQ(test, tdx_builds_in_flight(), 1);
	tdx_build_end(&w.hold);
	tdx_kunit_builder_put(&w);
	tdx_update_set_policy(TDX_POLICY_GATE);
}

static void state_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, tdx_update_state_name(TDX_UPDATE_IDLE), "idle");
	KUNIT_EXPECT_STREQ(test, tdx_update_state_name(TDX_UPDATE_WAITING),
			   "waiting");
	KUNIT_EXPECT_STREQ(test, tdx_update_state_name(TDX_UPDATE_UPDATING),
			   "updating");
	KUNIT_EXPECT_STREQ(test, tdx_update_state_name(TDX_UPDATE_DEAD), "dead");
	KUNIT_EXPECT_STREQ(test, tdx_update_state_name(42), "unknown");
}

static struct kunit_case gate_cases[] = {
	KUNIT_CASE(begin_end_counts_builds),
	KUNIT_CASE(second_end_is_harmless),
	KUNIT_CASE(end_without_begin_is_harmless),
	KUNIT_CASE(begin_twice_on_one_hold_is_refused),
	KUNIT_CASE(end_in_another_thread),
	KUNIT_CASE(update_waits_for_builds_in_flight),
	KUNIT_CASE(builds_arriving_wait_behind_update),
	KUNIT_CASE(nonblock_begin_fails_while_update_pending),
	KUNIT_CASE(killed_waiter_leaves_no_hold),
	KUNIT_CASE(deadline_aborts_update),
	KUNIT_CASE(cancel_aborts_waiting_update),
	KUNIT_CASE(cancel_after_point_of_no_return),
	KUNIT_CASE(cancel_before_start_aborts),
	KUNIT_CASE_PARAM(abort_before_task_reaches_gate,
			 early_abort_gen_params),
	KUNIT_CASE(nonblock_update_busy_with_builds),
	KUNIT_CASE(second_update_is_refused),
	KUNIT_CASE(begin_shuts_out_builds_before_the_image),
	KUNIT_CASE(update_from_build_owner_times_out),
	KUNIT_CASE(fast_path_follows_state_and_policy),
	KUNIT_CASE(policy_off_releases_waiting_builds),
	KUNIT_CASE(reprobe_refused_with_build_in_flight),
	KUNIT_CASE_PARAM(reprobe_shuts_out_new_builds,
			 reprobe_policy_gen_params),
	KUNIT_CASE(state_names),
	{}
};

static struct kunit_suite gate_suite = {
	.name = "tdx_update_gate",
	.init = gate_init,
	.exit = gate_exit,
	.suite_exit = gate_suite_exit,
	.test_cases = gate_cases,
};

kunit_test_suite(gate_suite);
