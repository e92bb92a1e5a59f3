// SPDX-License-Identifier: GPL-2.0
/*
 * The update gate: keeps runtime TDX module updates out of TD builds.
 *
 * Every TD build takes a build hold when it starts (TDH.MNG.INIT) and
 * gives it back when it ends (TDH.MR.FINALIZE, or teardown of a TD that
 * never finished).  A build hold is a read hold of update_rwsem; an
 * update write-holds it.  So an update waits for the builds in flight,
 * and builds that start while an update is pending wait for the update.
 *
 * A build spans several ioctls, so its hold crosses returns to userspace
 * and may be given back by another task (the one that closes the VM fd,
 * or exit()).  Lockdep checks the ordering when the hold is taken and is
 * then told the lock is gone (gate_lockdep_handoff()); the hold is given
 * back with up_read_non_owner(), which lockdep does not track.  This is
 * the pattern of freeze_super() and kiocb_start_write().
 *
 * The common case of taking and giving back a hold is inline, in
 * <asm/tdx_update.h>: a TD build then pays the rwsem's read lock and
 * unlock, a per-CPU count and a look at the gate before and after the
 * lock, and no call or atomic operation of its own.  The rest is here.
 *
 * rwsem lets a new reader steal the lock while a woken writer has not
 * run yet, so the gate keeps its own state as well: from the moment an
 * update is requested until it is done, new builds wait for it on
 * update_done_wq, and a build that got the read lock anyway gives way.
 * Builds that arrive behind an update therefore start after it.
 *
 * What lockdep cannot see after the handoff: a task that owns a build
 * hold and then waits for an update (or for a second build hold while an
 * update is pending) waits forever.  Every such wait here is killable or
 * can be made non-blocking, and the update side waits with a deadline,
 * so the worst case is a failed update, never a stuck host.
 */

#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <asm/tdx_update.h>

#include "update.h"

/*
 * tdx_update_gate.update_rwsem: read-held by each build hold from
 * tdx_build_begin() to tdx_build_end(), write-held by the update task
 * from the moment the builds in flight have drained until the new module
 * runs (or TDX is declared dead).  Test kernels only: a hold taken with
 * the gate switched off read-holds it just while it is counted, and a
 * test re-probe write-holds it (with a trylock, under tdx_update_mutex)
 * while it replaces the module.
 *
 * Lock order: tdx_update_mutex -> update_rwsem -> cpu_hotplug_lock ->
 * (stop_machine) -> the P-SEAMLDR's locks.  KVM takes a build hold before
 * the locks of the VM it builds (kvm->lock, the vCPU mutexes, slots_lock)
 * and never waits for the gate under them; the update side takes none of
 * them.  Read holds are invisible to lockdep once taken (see above), so
 * nothing may wait for the write side while owning one.
 *
 * tdx_update_gate.fast: whether builds may take the inline fast path;
 * follows gate_state and the test policy (gate_set_state()), read
 * without locks.  A build reads it under the read lock, so it sees the
 * value an update stored before its write lock was last released.
 */
struct tdx_update_gate tdx_update_gate = {
	.update_rwsem = __RWSEM_INITIALIZER(tdx_update_gate.update_rwsem),
	.fast = true,
};
EXPORT_SYMBOL_GPL(tdx_update_gate);

/*
 * gate_state is the module's enum tdx_update_state.  Written only under
 * tdx_update_mutex (by the probe, by tdx_module_update(), or by the
 * update task that the mutex holder started and waits for) and at init,
 * always through gate_set_state(); read without locks.  While it is
 * WAITING or UPDATING an update is pending, and new builds wait on
 * update_done_wq for it to change.
 *
 * An update closes the gate (WAITING) with tdx_gate_close() and opens it
 * (IDLE, or DEAD) with tdx_gate_open(): tdx_module_update() calls each
 * exactly once for every update it accepts, whichever way the update
 * ends.  In between, the update task only takes and releases the write
 * side and marks the point of no return (UPDATING).
 */
static enum tdx_update_state gate_state = TDX_UPDATE_UNSUPPORTED;
static DECLARE_WAIT_QUEUE_HEAD(update_done_wq);

/*
 * Whether the running update write-holds update_rwsem (it does not when a
 * test policy switched the gate off).  Written only by the update task;
 * tdx_gate_open() looks at it after the task has completed.
 */
static bool gate_write_held;

/*
 * Build holds out: +1 on the CPU that took a hold, -1 on the CPU that
 * gave it back, so only the sum over all CPUs means anything.  A count
 * for userspace and tests, not a lock; per CPU, so that a build hold
 * costs no atomic operation beyond the rwsem's own two.
 */
DEFINE_PER_CPU(int, tdx_build_holds);
EXPORT_PER_CPU_SYMBOL_GPL(tdx_build_holds);

static bool gate_enabled(void)
{
	return tdx_update_policy() == TDX_POLICY_GATE;
}

static bool update_pending(void)
{
	enum tdx_update_state state = READ_ONCE(gate_state);

	return state == TDX_UPDATE_WAITING || state == TDX_UPDATE_UPDATING;
}

/*
 * Every change of gate_state, and of the test policy, goes through here,
 * so that tdx_update_gate.fast follows them.
 */
static void gate_set_state(enum tdx_update_state state)
{
	WRITE_ONCE(gate_state, state);
	WRITE_ONCE(tdx_update_gate.fast,
		   gate_enabled() && (state == TDX_UPDATE_IDLE ||
				      state == TDX_UPDATE_UNSUPPORTED));
}

#ifdef CONFIG_TDX_MODULE_UPDATE_TEST_HOOKS
static int gate_policy = TDX_POLICY_GATE;

/* Tests switch policies only while no update is pending. */
void tdx_update_set_policy(enum tdx_update_policy policy)
{
	WRITE_ONCE(gate_policy, policy);
	gate_set_state(READ_ONCE(gate_state));
}
EXPORT_SYMBOL_GPL(tdx_update_set_policy);

enum tdx_update_policy tdx_update_policy(void)
{
	return READ_ONCE(gate_policy);
}
EXPORT_SYMBOL_GPL(tdx_update_policy);

/*
 * For a test re-probe: keep every build out, gated or not, without
 * waiting.  Returns 0 with the write side held and no build hold out, or
 * -EBUSY.
 */
int tdx_gate_test_exclude_builds(void)
{
	if (!down_write_trylock(&tdx_update_gate.update_rwsem))
		return -EBUSY;
	if (tdx_builds_in_flight()) {
		up_write(&tdx_update_gate.update_rwsem);
		return -EBUSY;
	}
	return 0;
}

void tdx_gate_test_admit_builds(void)
{
	up_write(&tdx_update_gate.update_rwsem);
}
#endif

/*
 * A build hold outlives the call that took it.  Lockdep has validated the
 * ordering at acquisition; tell it the lock is gone, so that returning to
 * userspace with a hold is not reported.  The hold is later given back
 * with up_read_non_owner(), which lockdep does not track.
 */
static void gate_lockdep_handoff(void)
{
	rwsem_release(&tdx_update_gate.update_rwsem.dep_map, _THIS_IP_);
}

/* Wait until no update is pending. */
static int gate_wait_for_update(bool nonblock)
{
	if (READ_ONCE(gate_state) == TDX_UPDATE_DEAD)
		return -ENXIO;
	if (!update_pending())
		return 0;
	if (nonblock)
		return -EAGAIN;

	/* This wait is a wait for the write side: let lockdep know. */
	might_lock_read(&tdx_update_gate.update_rwsem);
	if (wait_event_killable(update_done_wq, !update_pending()))
		return -EINTR;
	return READ_ONCE(gate_state) == TDX_UPDATE_DEAD ? -ENXIO : 0;
}

/* Take the read side once: 0, -EAGAIN (@nonblock, not free) or -EINTR. */
static int gate_down_read(bool nonblock)
{
	if (nonblock)
		return down_read_trylock(&tdx_update_gate.update_rwsem) ?
		       0 : -EAGAIN;
	return down_read_killable(&tdx_update_gate.update_rwsem);
}

static int gate_read_lock(bool nonblock)
{
	int ret;

	for (;;) {
		ret = gate_wait_for_update(nonblock);
		if (ret)
			return ret;
		ret = gate_down_read(nonblock);
		if (ret)
			return ret;
		/*
		 * rwsem lets a reader slip in just as the last build ends and
		 * before the woken writer runs.  Give way: the update was
		 * asked for first.
		 */
		if (!update_pending())
			break;
		up_read(&tdx_update_gate.update_rwsem);
	}

	if (READ_ONCE(gate_state) == TDX_UPDATE_DEAD) {
		up_read(&tdx_update_gate.update_rwsem);
		return -ENXIO;
	}
	return 0;
}

/*
 * A test policy switched the gate off: the hold is counted and holds no
 * lock.  It is counted under the read side all the same, so that a test
 * re-probe, which write-holds update_rwsem, sees every hold or none.
 */
static int gate_begin_ungated(struct tdx_build_hold *hold)
{
	int ret = down_read_killable(&tdx_update_gate.update_rwsem);

	if (ret)
		return ret;
	if (READ_ONCE(gate_state) == TDX_UPDATE_DEAD) {
		ret = -ENXIO;
	} else {
		this_cpu_inc(tdx_build_holds);
		WRITE_ONCE(hold->flags, TDX_HOLD_HELD);
	}
	up_read(&tdx_update_gate.update_rwsem);
	return ret;
}

/**
 * __tdx_build_begin() - tdx_build_begin() when it is not simple
 * @hold: as for tdx_build_begin()
 * @nonblock: as for tdx_build_begin()
 *
 * For tdx_build_begin() only: the non-blocking variant, a @hold that
 * already holds, an update pending, TDX dead, a test policy without the
 * gate, and an inline fast path that lost a race with a new update.
 *
 * Context: process context, may sleep.
 * Return: as for tdx_build_begin().
 */
int __tdx_build_begin(struct tdx_build_hold *hold, bool nonblock)
{
	unsigned long flags = TDX_HOLD_HELD;
	int ret;

	if (READ_ONCE(hold->flags))
		return -EBUSY;

	if (gate_enabled()) {
		ret = gate_read_lock(nonblock);
		if (ret)
			return ret;
		gate_lockdep_handoff();
		flags |= TDX_HOLD_GATED;
	} else {
		return gate_begin_ungated(hold);
	}

	this_cpu_inc(tdx_build_holds);
	WRITE_ONCE(hold->flags, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(__tdx_build_begin);

/**
 * __tdx_build_end() - tdx_build_end() when it is not simple
 * @hold: as for tdx_build_end()
 *
 * For tdx_build_end() only: a hold taken without the gate (test
 * policies), or no hold out.
 *
 * Context: any context that may sleep.
 */
void __tdx_build_end(struct tdx_build_hold *hold)
{
	unsigned long flags = READ_ONCE(hold->flags);

	if (!(flags & TDX_HOLD_HELD))
		return;
	WRITE_ONCE(hold->flags, 0);
	this_cpu_dec(tdx_build_holds);
	if (flags & TDX_HOLD_GATED)
		up_read_non_owner(&tdx_update_gate.update_rwsem);
}
EXPORT_SYMBOL_GPL(__tdx_build_end);

/**
 * tdx_build_held() - is a build hold out?
 * @hold: the TD's hold
 *
 * Return: true between a successful tdx_build_begin() and tdx_build_end().
 */
bool tdx_build_held(const struct tdx_build_hold *hold)
{
	return READ_ONCE(hold->flags) & TDX_HOLD_HELD;
}
EXPORT_SYMBOL_GPL(tdx_build_held);

/**
 * tdx_builds_in_flight() - number of build holds out
 *
 * Return: the number of TD builds between begin and end; exact while no
 * hold is being taken or given back.
 */
unsigned int tdx_builds_in_flight(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(tdx_build_holds, cpu));
	/* A sum taken while holds come and go can be off, even below 0. */
	return max(n, 0);
}
EXPORT_SYMBOL_GPL(tdx_builds_in_flight);

/**
 * tdx_update_state() - what the update side is doing
 *
 * Return: the current state; it may change as soon as it is read.
 */
enum tdx_update_state tdx_update_state(void)
{
	return READ_ONCE(gate_state);
}
EXPORT_SYMBOL_GPL(tdx_update_state);

static const char * const tdx_update_state_names[] = {
	[TDX_UPDATE_UNSUPPORTED]	= "unsupported",
	[TDX_UPDATE_IDLE]		= "idle",
	[TDX_UPDATE_WAITING]		= "waiting",
	[TDX_UPDATE_UPDATING]		= "updating",
	[TDX_UPDATE_DEAD]		= "dead",
};

/**
 * tdx_update_state_name() - the name userspace sees for a state
 * @state: a state
 *
 * Return: a constant string, "unknown" for out-of-range values.
 */
const char *tdx_update_state_name(enum tdx_update_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(tdx_update_state_names))
		return "unknown";
	return tdx_update_state_names[state];
}
EXPORT_SYMBOL_GPL(tdx_update_state_name);

/* Set the state when no update is pending (probe, test re-probe). */
void tdx_gate_set_state(enum tdx_update_state state)
{
	gate_set_state(state);
	wake_up_all(&update_done_wq);
}

/**
 * tdx_gate_close() - shut out new builds: an update is pending
 *
 * Called by tdx_module_update() as soon as it has accepted an update,
 * before the update task exists: from here on, new builds wait (or fail
 * with -EAGAIN) instead of joining the builds the update has to wait
 * for.  Every call is paired with one tdx_gate_open().
 */
void tdx_gate_close(void)
{
	gate_set_state(TDX_UPDATE_WAITING);
}

/**
 * tdx_gate_open() - the update is over: let builds in again
 * @state: TDX_UPDATE_IDLE, or TDX_UPDATE_DEAD if TDX is now unusable
 *
 * Called by tdx_module_update() once for every tdx_gate_close(), after
 * the update task (if one was started) has finished, however the update
 * ended.  Builds waiting behind the update wake and see @state.
 */
void tdx_gate_open(enum tdx_update_state state)
{
	WARN_ON_ONCE(gate_write_held);
	tdx_gate_set_state(state);
}

/**
 * tdx_gate_lock_updates() - drain the builds in flight
 * @nonblock: fail with -EBUSY at once if a build is in flight
 *
 * Called by the update task between tdx_gate_close() and tdx_gate_open(),
 * so no new build can start.  On success, no build hold is out until
 * tdx_gate_unlock_updates().
 *
 * Context: a task that allows SIGKILL, so that cancel can interrupt the
 *	wait.
 * Return: 0 with the write side held (or, when a test policy switched
 * the gate off, without it); -EBUSY if @nonblock and a build is in
 * flight; -EINTR when killed.
 */
int tdx_gate_lock_updates(bool nonblock)
{
	int ret = 0;

	WARN_ON_ONCE(!update_pending());
	gate_write_held = false;
	if (!gate_enabled())
		return 0;

	if (nonblock) {
		if (!down_write_trylock(&tdx_update_gate.update_rwsem))
			ret = -EBUSY;
	} else {
		ret = down_write_killable(&tdx_update_gate.update_rwsem);
	}
	if (!ret)
		gate_write_held = true;
	return ret;
}

/* Past the point of no return: cancel no longer has any effect. */
void tdx_gate_set_updating(void)
{
	gate_set_state(TDX_UPDATE_UPDATING);
}

/**
 * tdx_gate_unlock_updates() - release what tdx_gate_lock_updates() took
 *
 * Called by the update task after tdx_gate_lock_updates() succeeded.  The
 * gate stays closed: builds get in once tdx_module_update() opens it.
 */
void tdx_gate_unlock_updates(void)
{
	if (gate_write_held)
		up_write(&tdx_update_gate.update_rwsem);
	gate_write_held = false;
}
