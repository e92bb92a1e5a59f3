/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runtime update of the TDX module, and the gate that keeps updates out
 * of TD builds.
 *
 * A TD build (TDH.MNG.INIT .. TDH.MR.FINALIZE) is update-sensitive: an
 * update that lands inside it can leave the TD with a wrong measurement.
 * Every build therefore holds a "build hold" from its start to its end
 * (finalize or teardown), and an update waits until no build hold is
 * out.  Builds that start while an update is pending wait for it.  The
 * update itself is upstream's seamldr_install_module(), which this
 * wraps.  See Documentation/arch/x86/tdx-module-update.rst.
 */
#ifndef _ASM_X86_TDX_UPDATE_H
#define _ASM_X86_TDX_UPDATE_H

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <linux/completion.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/preempt.h>

/**
 * enum tdx_update_state - what the module and the update side are doing
 * @TDX_UPDATE_UNSUPPORTED: no TDX module, or it cannot be updated at
 *	runtime (no TD_PRESERVING, or the CPU cannot call the P-SEAMLDR)
 * @TDX_UPDATE_IDLE: the module runs; no update is pending
 * @TDX_UPDATE_WAITING: an update waits for the builds in flight; new
 *	builds wait behind it
 * @TDX_UPDATE_UPDATING: the update runs; it can no longer be cancelled
 * @TDX_UPDATE_DEAD: an update failed after the old module was shut
 *	down; TDX is unusable until reboot
 */
enum tdx_update_state {
	TDX_UPDATE_UNSUPPORTED,
	TDX_UPDATE_IDLE,
	TDX_UPDATE_WAITING,
	TDX_UPDATE_UPDATING,
	TDX_UPDATE_DEAD,
};

/**
 * struct tdx_build_hold - one TD build's hold on the update gate
 * @flags: private to the gate; zero when no hold is out
 *
 * Embed one per TD under construction and zero it before first use.  A
 * hold covers one update-sensitive section: a TD build today; any later
 * one (a TD migration session, say) embeds its own hold and uses the same
 * tdx_build_begin() and tdx_build_end().
 */
struct tdx_build_hold {
	unsigned long flags;
};

/* tdx_build_hold.flags, private to the gate */
#define TDX_HOLD_HELD	BIT(0)	/* a hold is out */
#define TDX_HOLD_GATED	BIT(1)	/* ... and it read-holds update_rwsem */

/**
 * struct tdx_update_request - one runtime update
 * @timeout_ms: how long the update may wait for builds in flight
 * @nonblock: fail with -EBUSY instead of waiting for builds in flight
 * @lock: protects @waiter, @cancel_err and @committed
 * @waiter: the task that waits for the write side, while it waits
 * @cancel_err: why the update was called off (-ECANCELED or -ETIMEDOUT),
 *	zero if it was not
 * @committed: past the point of no return; cancel has no effect
 * @begun: accepted by tdx_module_update_begin(): the request holds the
 *	right to update, and the gate is closed
 * @done: the update task finished
 * @ret: its result
 *
 * Set up with tdx_update_request_init(); everything but @timeout_ms and
 * @nonblock is private to the update code.
 */
struct tdx_update_request {
	unsigned int timeout_ms;
	bool nonblock;

	spinlock_t lock;	/* protects waiter, cancel_err, committed */
	struct task_struct *waiter;
	int cancel_err;
	bool committed;
	bool begun;
	struct completion done;
	int ret;
};

/* Default and largest wait for builds in flight, in milliseconds. */
#define TDX_UPDATE_DEFAULT_TIMEOUT_MS	(60 * 1000)
#define TDX_UPDATE_MAX_TIMEOUT_MS	(60 * 60 * 1000)

#ifdef CONFIG_INTEL_TDX_HOST

/**
 * struct tdx_update_gate - the update gate, as its inline fast path sees it
 * @fast: a build may take its hold by counting it on its CPU: no update
 *	is pending, TDX is not dead, and (test kernels) the gate is on
 * @dep_map: update_rwsem for lockdep: read by each build hold, written
 *	by an update
 *
 * Private to arch/x86/virt/vmx/tdx/update_gate.c, which documents the
 * locking; declared here only so that the common case of
 * tdx_build_begin() and tdx_build_end() is inline in their callers.
 */
struct tdx_update_gate {
	bool fast;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
};

extern struct tdx_update_gate tdx_update_gate;
/*
 * The read side of update_rwsem: build holds taken minus given back on
 * each CPU.  See update_gate.c.
 */
DECLARE_PER_CPU(int, tdx_build_holds);

int __tdx_build_begin(struct tdx_build_hold *hold, bool nonblock);
void __tdx_build_end(struct tdx_build_hold *hold);
void __tdx_build_end_wake(void);

/*
 * Count a hold on this CPU unless an update is pending.  Preemption is
 * off from the look at @fast to the count, so an update that turns @fast
 * off and then waits for an RCU grace period sees every hold counted
 * after a look that found it on.
 */
static __always_inline bool tdx_gate_read_trylock(void)
{
	bool fast;

	preempt_disable();
	fast = READ_ONCE(tdx_update_gate.fast);
	if (likely(fast))
		this_cpu_inc(tdx_build_holds);
	preempt_enable();
	return fast;
}

/* Uncount a hold; wake the update if one waits for the holds to end. */
static __always_inline void tdx_gate_read_unlock(void)
{
	bool fast;

	preempt_disable();
	this_cpu_dec(tdx_build_holds);
	fast = READ_ONCE(tdx_update_gate.fast);
	preempt_enable();
	if (unlikely(!fast))
		__tdx_build_end_wake();
}

/**
 * tdx_build_begin() - take a build hold for a TD build
 * @hold: the TD's hold, zero when no hold is out
 * @nonblock: fail with -EAGAIN instead of waiting for an update
 *
 * Call before the first update-sensitive SEAMCALL of a TD build
 * (TDH.MNG.INIT).  Waits while an update is pending or running; the wait
 * is killable.  On success the hold stays out, across returns to
 * userspace, until tdx_build_end().
 *
 * Calls for one @hold, this one and tdx_build_end() alike, must not race
 * each other: the TD's owner serializes them (KVM: the ioctls under the
 * VM's lock; teardown once nothing else can reach the VM).  Other tasks
 * may call tdx_build_held() at any time.
 *
 * The common case is inline: a look at the gate and a per-CPU count,
 * with preemption off in between.  Everything else is
 * __tdx_build_begin().
 *
 * Context: process context, may sleep.
 * Return: 0 on success; -EAGAIN if @nonblock and an update is pending;
 * -EINTR if a fatal signal arrived while waiting; -ENXIO if TDX is dead;
 * -EBUSY if @hold already holds.
 */
static inline int tdx_build_begin(struct tdx_build_hold *hold, bool nonblock)
{
	/*
	 * A second hold for @hold must not wait for an update that waits
	 * for the first: out of line.  One branch for both tests.
	 */
	if (unlikely(nonblock | !!READ_ONCE(hold->flags)))
		return __tdx_build_begin(hold, nonblock);

	/* A wait for the update, were one pending: let lockdep check it. */
	might_sleep();
	might_lock_read(&tdx_update_gate);
	if (unlikely(!tdx_gate_read_trylock()))
		return __tdx_build_begin(hold, false);
	WRITE_ONCE(hold->flags, TDX_HOLD_HELD | TDX_HOLD_GATED);
	return 0;
}

/**
 * tdx_build_end() - give back a build hold
 * @hold: the TD's hold
 *
 * Call when the build ends: after TDH.MR.FINALIZE, and on every teardown
 * path (fd release, VM destruction, process exit).  Any task may call
 * it, not only the one that took the hold, under the rule of
 * tdx_build_begin(); calls after the first, and calls for a hold that is
 * not out, do nothing.
 *
 * Context: any context that may sleep.
 */
static inline void tdx_build_end(struct tdx_build_hold *hold)
{
	if (likely(READ_ONCE(hold->flags) == (TDX_HOLD_HELD | TDX_HOLD_GATED))) {
		WRITE_ONCE(hold->flags, 0);
		tdx_gate_read_unlock();
		return;
	}
	__tdx_build_end(hold);
}

/**
 * tdx_build_hold_move() - hand a build hold on to its owner
 * @to: a hold that is not out, the owner's
 * @from: the hold to hand on; not out afterwards
 *
 * For a hold taken before its owner is reachable, such as KVM_TDX_INIT_VM
 * taking it before the VM's locks: the owner keeps it from here on.  The
 * rule of tdx_build_begin() applies to both holds.
 *
 * Context: any context.
 */
static inline void tdx_build_hold_move(struct tdx_build_hold *to,
				       struct tdx_build_hold *from)
{
	if (WARN_ON_ONCE(READ_ONCE(to->flags)))
		return;
	WRITE_ONCE(to->flags, READ_ONCE(from->flags));
	WRITE_ONCE(from->flags, 0);
}

bool tdx_build_held(const struct tdx_build_hold *hold);
unsigned int tdx_builds_in_flight(void);

enum tdx_update_state tdx_update_state(void);
bool tdx_update_backstop(void);
const char *tdx_update_state_name(enum tdx_update_state state);

int tdx_module_update_check(const void *image, size_t size);
void tdx_update_request_init(struct tdx_update_request *req,
			     unsigned int timeout_ms, bool nonblock);
int tdx_module_update_begin(struct tdx_update_request *req);
int tdx_module_update(struct tdx_update_request *req,
		      const void *image, size_t size);
void tdx_module_update_end(struct tdx_update_request *req);
bool tdx_module_update_cancel(struct tdx_update_request *req);

#endif /* CONFIG_INTEL_TDX_HOST */

#endif /* _ASM_X86_TDX_UPDATE_H */
