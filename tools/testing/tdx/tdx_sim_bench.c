// SPDX-License-Identifier: GPL-2.0
/*
 * What a build hold costs when no update is pending, beside the cheapest
 * lock a TD build could take instead: an uncontended mutex.
 *
 * Write a pair count to /sys/module/tdx_sim_bench/parameters/pairs; the
 * write runs that many tdx_build_begin()/tdx_build_end() pairs, as many
 * mutex_lock()/mutex_unlock() and rwsem pairs, in ten alternating rounds so
 * that both see the same machine, and keeps the fastest round of each.
 * Reading the parameter gives the last result:
 *
 *   pairs=N gate_ps=G mutex_ps=M rwsem_ps=R
 *
 * in picoseconds per pair; R is a bare rwsem read lock/unlock pair, what
 * a read side built on an ordinary rwsem would cost at least.  The pairs
 * take the inline fast path of <asm/tdx_update.h>, as KVM's calls would.
 * Test kernels only; make bench runs it on a kernel without lock
 * debugging.
 */
#define pr_fmt(fmt) "tdx_sim_bench: " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <asm/tdx_update.h>

#define BENCH_ROUNDS	10
#define BENCH_MAX_PAIRS	(100 * 1000 * 1000)

/*
 * bench_lock, bench_rwsem: the locks measured, never contended;
 * bench_result_lock: one run at a time, and the result.
 */
static DEFINE_MUTEX(bench_lock);
static DECLARE_RWSEM(bench_rwsem);
static DEFINE_MUTEX(bench_result_lock);

/* Protected by bench_result_lock. */
static struct {
	unsigned int pairs;
	u64 gate_ps;
	u64 mutex_ps;
	u64 rwsem_ps;
} result;

static int gate_round(unsigned int n, u64 *ns)
{
	struct tdx_build_hold hold = {};
	u64 t0 = ktime_get_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = tdx_build_begin(&hold, false);
		if (ret)
			return ret;
		tdx_build_end(&hold);
	}
	*ns = ktime_get_ns() - t0;
	return 0;
}

static u64 mutex_round(unsigned int n)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		mutex_lock(&bench_lock);
		mutex_unlock(&bench_lock);
	}
	return ktime_get_ns() - t0;
}

/* The rwsem alone, as a build hold uses it: killable read lock, unlock. */
static u64 rwsem_round(unsigned int n)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (down_read_killable(&bench_rwsem))
			break;
		up_read(&bench_rwsem);
	}
	return ktime_get_ns() - t0;
}

static int pairs_set(const char *val, const struct kernel_param *kp)
{
	u64 gate_best = U64_MAX, mutex_best = U64_MAX, rwsem_best = U64_MAX;
	u64 ns;
	unsigned int pairs, per_round, r;
	int ret = kstrtouint(val, 0, &pairs);

	if (ret)
		return ret;
	if (pairs < BENCH_ROUNDS || pairs > BENCH_MAX_PAIRS)
		return -EINVAL;
	per_round = pairs / BENCH_ROUNDS;

	mutex_lock(&bench_result_lock);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		ret = gate_round(per_round, &ns);
		if (ret)
			goto out;
		gate_best = min(gate_best, ns);
		mutex_best = min(mutex_best, mutex_round(per_round));
		rwsem_best = min(rwsem_best, rwsem_round(per_round));
		cond_resched();
	}
	result.pairs = per_round * BENCH_ROUNDS;
	result.gate_ps = div_u64(gate_best * 1000, per_round);
	result.mutex_ps = div_u64(mutex_best * 1000, per_round);
	result.rwsem_ps = div_u64(rwsem_best * 1000, per_round);
out:
	mutex_unlock(&bench_result_lock);
	return ret;
}

static int pairs_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&bench_result_lock);
	n = sysfs_emit(buf, "pairs=%u gate_ps=%llu mutex_ps=%llu rwsem_ps=%llu\n",
		       result.pairs, result.gate_ps, result.mutex_ps,
		       result.rwsem_ps);
	mutex_unlock(&bench_result_lock);
	return n;
}

static const struct kernel_param_ops pairs_ops = {
	.set = pairs_set,
	.get = pairs_get,
};
module_param_cb(pairs, &pairs_ops, NULL, 0600);
MODULE_PARM_DESC(pairs, "run N build begin/end and mutex pairs; read: result");
