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
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>

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
 * @update_rwsem: read-held by each build hold, write-held by an update
 * @fast: a build may take its hold without looking further: no update is
 *	pending, TDX is not dead, and (test kernels) the gate is on
 *
 * Private to arch/x86/virt/vmx/tdx/update_gate.c, which documents the
 * locking; declared here only so that the common case of
 * tdx_build_begin() and tdx_build_end() is inline in their callers.
 */
struct tdx_update_gate {
	struct rw_semaphore update_rwsem;
	bool fast;
};

extern struct tdx_update_gate tdx_update_gate;
/* Build holds taken minus given back on each CPU; see update_gate.c. */
DECLARE_PER_CPU(int, tdx_build_holds);

int __tdx_build_begin(struct tdx_build_hold *hold, bool nonblock);
void __tdx_build_end(struct tdx_build_hold *hold);

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
 * The common case is inline: a look at the gate, the read lock, a second
 * look, the count.  Everything else is __tdx_build_begin().
 *
 * Context: process context, may sleep.
 * Return: 0 on success; -EAGAIN if @nonblock and an update is pending,
 * or the hold cannot be taken at once; -EINTR if a fatal signal arrived
 * while waiting; -ENXIO if TDX is dead; -EBUSY if @hold already holds.
 */
static inline int tdx_build_begin(struct tdx_build_hold *hold, bool nonblock)
{
	struct rw_semaphore *sem = &tdx_update_gate.update_rwsem;
	int ret;

	/*
	 * Builds that arrive while an update is pending wait for it on the
	 * gate's wait queue, not in the rwsem; a second hold for @hold must
	 * not queue behind an update that waits for the first.  One branch
	 * for the three tests.
	 */
	if (unlikely(nonblock | !!READ_ONCE(hold->flags) |
		     !READ_ONCE(tdx_update_gate.fast)))
		return __tdx_build_begin(hold, nonblock);

	ret = down_read_killable(sem);
	/* Look again under the lock: an update may have come meanwhile. */
	if (unlikely(ret | !READ_ONCE(tdx_update_gate.fast))) {
		if (ret)
			return ret;
		up_read(sem);
		return __tdx_build_begin(hold, false);
	}
	/* Lockdep checked the order; the hold outlives this call. */
	rwsem_release(&sem->dep_map, _THIS_IP_);
	/* Counted before it is published, and so before it can end. */
	this_cpu_inc(tdx_build_holds);
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
		this_cpu_dec(tdx_build_holds);
		up_read_non_owner(&tdx_update_gate.update_rwsem);
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
