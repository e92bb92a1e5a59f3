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
 * update_rwsem is a per-CPU reader-writer semaphore, in the manner of
 * percpu_rw_semaphore: a read hold is a count on the CPU that took it,
 * taken while a flag says no update is pending; the update turns the
 * flag off, waits for an RCU grace period, after which every hold is
 * either counted or sees the flag off, and then waits for the sum of
 * the counts to reach zero.  A TD build thus pays two per-CPU counts and
 * two looks at the flag, and no atomic operation.  percpu_rw_semaphore
 * itself does not fit: its writer waits uninterruptibly, has no
 * non-blocking variant, and waits for a normal grace period unless the
 * last writer's is still in force; the update must be cancellable,
 * bounded by a deadline, and quick.
 *
 * A build spans several ioctls, so its hold crosses returns to userspace
 * and may be given back by another task (the one that closes the VM fd,
 * or exit()).  Lockdep is told of each hold as a read acquisition that
 * it checks and forgets at once (might_lock_read()), and of the update
 * as a write acquisition for as long as the gate is closed (by the task
 * that closed it) and, nested in the update, by the update task: the
 * ordering is validated where a build would wait for an update, and no
 * lock is left held across the return to userspace.  This is what
 * freeze_super() and kiocb_start_write() do for sb_writers, by other
 * means.
 *
 * The common case of taking and giving back a hold is inline, in
 * <asm/tdx_update.h>.  The rest is here.
 *
 * The gate keeps a state as well: from the moment an update is accepted
 * until it is done, new builds wait for it on update_done_wq, and
 * userspace can read what the update side is doing.
 *
 * What lockdep cannot see after a hold is taken: a task that owns a
 * build hold and then waits for an update (or for a second build hold
 * while an update is pending) waits forever.  Every such wait here is
 * killable or can be made non-blocking, and the update side waits with a
 * deadline, so the worst case is a failed update, never a stuck host.
 */

#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <asm/tdx_update.h>

#include "update.h"

/*
 * update_rwsem: read-held by each build hold from tdx_build_begin() to
 * tdx_build_end(), write-held by the update task from the start of its
 * wait for the builds in flight until the new module runs (or TDX is
 * declared dead).  Its parts:
 *
 * tdx_update_gate.fast: a build may take a read hold by counting it.
 * Follows gate_state and the test policy (gate_set_state()); read
 * without locks, by builds with preemption off.  An update turns it off
 * when it closes the gate, and it stays off until the gate opens.
 *
 * tdx_build_holds: the read holds out, +1 on the CPU that took a hold,
 * -1 on the CPU that gave it back, so only the sum over all CPUs means
 * anything.  The sum is also what userspace reads as builds_in_flight.
 *
 * holds_gone_wq: the update task waits on it for the sum to reach zero;
 * a hold given back while @fast is off wakes it.
 *
 * Lock order: tdx_update_mutex -> update_rwsem -> cpu_hotplug_lock ->
 * (stop_machine) -> the P-SEAMLDR's locks; tdx_update_mutex also comes
 * before the upload core's lock, which tdx-host's update holds it
 * across (see update.c).  KVM takes a build hold before
 * the locks of the VM it builds (kvm->lock, the vCPU mutexes, slots_lock)
 * and never waits for the gate under them; the update side takes none of
 * them.  Read holds are invisible to lockdep once taken (see above), so
 * nothing may wait for the write side while owning one.
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct lock_class_key update_rwsem_key;
#endif

struct tdx_update_gate tdx_update_gate __read_mostly = {
	.fast = true,
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	.dep_map = {
		.name = "update_rwsem",
		.key = &update_rwsem_key,
		.wait_type_inner = LD_WAIT_SLEEP,
	},
#endif
};
EXPORT_SYMBOL_GPL(tdx_update_gate);

DEFINE_PER_CPU(int, tdx_build_holds);
EXPORT_PER_CPU_SYMBOL_GPL(tdx_build_holds);

static DECLARE_WAIT_QUEUE_HEAD(holds_gone_wq);

/*
 * gate_state is the module's enum tdx_update_state.  Written only under
 * tdx_update_mutex (by the probe, by tdx_module_update_begin() and what
 * follows it, or by the update task that the mutex holder started and
 * waits for), at init, and by tests that run no update meanwhile, always
 * through gate_set_state(); read without locks.  While it is WAITING or
 * UPDATING an update is pending, and new builds wait on update_done_wq
 * for it to change.
 *
 * An update closes the gate (WAITING) with tdx_gate_close() and opens it
 * (IDLE, or DEAD) with tdx_gate_open(), each exactly once for every
 * update tdx_module_update_begin() accepts, whichever way the update
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

static bool gate_enabled(void)
{
	return tdx_update_policy() == TDX_POLICY_GATE;
}

static bool gate_dead(void)
{
	return READ_ONCE(gate_state) == TDX_UPDATE_DEAD;
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

/* The sum of the per-CPU counts; exact once no hold can be taken. */
static int gate_holds(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(tdx_build_holds, cpu));
	return n;
}

/*
 * After tdx_update_gate.fast went off: once every CPU has left the
 * preemption-off section of tdx_gate_read_trylock() it may have been in,
 * every hold is counted or was refused, and no new hold is counted.
 */
static void gate_sync_holds(void)
{
	synchronize_rcu_expedited();
}

/*
 * For lockdep the task that closes the gate write-holds update_rwsem
 * until it opens the gate again: builds are shut out all that time.
 */
static void gate_lockdep_close(void)
{
	rwsem_acquire(&tdx_update_gate.dep_map, 0, 0, _RET_IP_);
}

static void gate_lockdep_open(void)
{
	rwsem_release(&tdx_update_gate.dep_map, _RET_IP_);
}

#ifdef CONFIG_TDX_MODULE_UPDATE_TEST_HOOKS
static int gate_policy = TDX_POLICY_GATE;

/*
 * Test kernels only: a hold taken with the gate switched off is counted
 * under a read hold of this rwsem, and a test re-probe write-holds it
 * (with a trylock, under tdx_update_mutex) while it replaces the module.
 * Taken after tdx_update_mutex, never together with update_rwsem.
 */
static DECLARE_RWSEM(gate_test_rwsem);
/* The state a test re-probe closed the gate in. */
static enum tdx_update_state gate_test_state;

/*
 * Tests switch policies only while no update is pending.  Builds waiting
 * for the gate wake, and take an ungated hold if it is now off.
 */
void tdx_update_set_policy(enum tdx_update_policy policy)
{
	WRITE_ONCE(gate_policy, policy);
	tdx_gate_set_state(READ_ONCE(gate_state));
}
EXPORT_SYMBOL_GPL(tdx_update_set_policy);

enum tdx_update_policy tdx_update_policy(void)
{
	return READ_ONCE(gate_policy);
}
EXPORT_SYMBOL_GPL(tdx_update_policy);

/*
 * For a test re-probe, under tdx_update_mutex: keep every build out,
 * gated or not, without waiting.  Returns 0 with no build hold out, no
 * ungated one to be taken until tdx_gate_test_admit_builds() and no
 * gated one until the probe sets the state; or -EBUSY.
 */
int tdx_gate_test_exclude_builds(void)
{
	if (!down_write_trylock(&gate_test_rwsem))
		return -EBUSY;
	gate_test_state = READ_ONCE(gate_state);
	gate_set_state(TDX_UPDATE_WAITING);
	gate_lockdep_close();
	gate_sync_holds();
	if (gate_holds()) {
		gate_lockdep_open();
		tdx_gate_set_state(gate_test_state);
		up_write(&gate_test_rwsem);
		return -EBUSY;
	}
	return 0;
}

/* The re-probe is over; it has set the state, or leaves it as it was. */
void tdx_gate_test_admit_builds(void)
{
	gate_lockdep_open();
	if (READ_ONCE(gate_state) == TDX_UPDATE_WAITING)
		tdx_gate_set_state(gate_test_state);
	up_write(&gate_test_rwsem);
}

/*
 * A test policy switched the gate off: the hold is counted, but an
 * update that runs while the gate is off does not wait for it.  It is
 * counted under gate_test_rwsem, so that a test re-probe sees every hold
 * or none.
 */
static int gate_begin_ungated(struct tdx_build_hold *hold)
{
	int ret = down_read_killable(&gate_test_rwsem);

	if (ret)
		return ret;
	if (gate_dead()) {
		ret = -ENXIO;
	} else {
		this_cpu_inc(tdx_build_holds);
		WRITE_ONCE(hold->flags, TDX_HOLD_HELD);
	}
	up_read(&gate_test_rwsem);
	return ret;
}
#else
static int gate_begin_ungated(struct tdx_build_hold *hold)
{
	return -EINVAL;
}
#endif

/* Whether a build need not wait for the gate any more. */
static bool gate_settled(void)
{
	return READ_ONCE(tdx_update_gate.fast) || gate_dead() ||
	       !gate_enabled();
}

/*
 * Wait until a hold may be taken.  With the gate on, holds are refused
 * (@fast off) while an update is pending or a test re-probe runs, and
 * for good once TDX is dead; every change that lets them in again, or
 * switches the gate off, sets the state and @fast before it wakes
 * update_done_wq (tdx_gate_set_state()).
 */
static int gate_wait_for_update(bool nonblock)
{
	if (gate_dead())
		return -ENXIO;
	if (gate_settled())
		return 0;
	if (nonblock)
		return -EAGAIN;

	/* This wait is a wait for the write side: let lockdep know. */
	might_lock_read(&tdx_update_gate);
	if (wait_event_killable(update_done_wq, gate_settled()))
		return -EINTR;
	return gate_dead() ? -ENXIO : 0;
}

/*
 * Take a read hold: wait (or, with @nonblock, fail) while one is refused.
 * Returns 1 if a test policy switched the gate off meanwhile.
 */
static int gate_read_lock(bool nonblock)
{
	int ret;

	/* Once more if an update closed the gate again meanwhile. */
	while (!tdx_gate_read_trylock()) {
		if (!gate_enabled())
			return 1;
		ret = gate_wait_for_update(nonblock);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * __tdx_build_begin() - tdx_build_begin() when it is not simple
 * @hold: as for tdx_build_begin()
 * @nonblock: as for tdx_build_begin()
 *
 * For tdx_build_begin() only: the non-blocking variant, a @hold that
 * already holds, an update pending, TDX dead, and a test policy without
 * the gate.
 *
 * Context: process context, may sleep.
 * Return: as for tdx_build_begin().
 */
int __tdx_build_begin(struct tdx_build_hold *hold, bool nonblock)
{
	int ret;

	if (READ_ONCE(hold->flags))
		return -EBUSY;
	if (!gate_enabled())
		return gate_begin_ungated(hold);

	ret = gate_read_lock(nonblock);
	if (ret > 0)
		return gate_begin_ungated(hold);
	if (ret)
		return ret;
	WRITE_ONCE(hold->flags, TDX_HOLD_HELD | TDX_HOLD_GATED);
	return 0;
}
EXPORT_SYMBOL_GPL(__tdx_build_begin);

/**
 * __tdx_build_end_wake() - a hold ended while an update may wait for it
 *
 * For tdx_build_end() only.
 *
 * Context: any context that may sleep.
 */
void __tdx_build_end_wake(void)
{
	/*
	 * wake_up() takes the wait queue's lock, which the update task takes
	 * too before it looks at the sum: it sees this hold gone, or is
	 * woken to look again.
	 */
	wake_up(&holds_gone_wq);
}
EXPORT_SYMBOL_GPL(__tdx_build_end_wake);

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
	/* Gated or not, the hold is in the count an update may drain. */
	tdx_gate_read_unlock();
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
	/* A sum taken while holds come and go can be off, even below 0. */
	return max(gate_holds(), 0);
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
 * Called by tdx_module_update_begin() as soon as it has accepted an
 * update: from here on, new builds wait (or fail with -EAGAIN) instead
 * of joining the builds the update has to wait for.  Every call is
 * paired with one tdx_gate_open().
 */
void tdx_gate_close(void)
{
	gate_set_state(TDX_UPDATE_WAITING);
	gate_lockdep_close();
}

/**
 * tdx_gate_open() - the update is over: let builds in again
 * @state: TDX_UPDATE_IDLE, or TDX_UPDATE_DEAD if TDX is now unusable
 *
 * Called once for every tdx_gate_close(), by the same task, after the
 * update task (if one was started) has finished, however the update
 * ended.  Builds waiting behind the update wake and see @state.
 */
void tdx_gate_open(enum tdx_update_state state)
{
	WARN_ON_ONCE(gate_write_held);
	gate_lockdep_open();
	tdx_gate_set_state(state);
}

/**
 * tdx_gate_lock_updates() - drain the builds in flight
 * @nonblock: fail with -EBUSY, after the grace period only, if a build is
 *	in flight
 *
 * Called by the update task between tdx_gate_close() and tdx_gate_open(),
 * so no new build can start.  On success, no build hold is out until
 * tdx_gate_unlock_updates().
 *
 * Context: a task that allows SIGKILL, so that cancel can interrupt the
 *	wait for the holds (not the grace period before it, which is short).
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

	rwsem_acquire(&tdx_update_gate.dep_map, 0, 0, _RET_IP_);
	gate_sync_holds();
	if (nonblock) {
		if (gate_holds())
			ret = -EBUSY;
	} else if (wait_event_killable(holds_gone_wq, !gate_holds())) {
		ret = -EINTR;
	}
	if (ret) {
		rwsem_release(&tdx_update_gate.dep_map, _RET_IP_);
		return ret;
	}
	gate_write_held = true;
	return 0;
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
 * gate stays closed: builds get in once tdx_gate_open() opens it.
 */
void tdx_gate_unlock_updates(void)
{
	if (gate_write_held)
		rwsem_release(&tdx_update_gate.dep_map, _RET_IP_);
	gate_write_held = false;
}
