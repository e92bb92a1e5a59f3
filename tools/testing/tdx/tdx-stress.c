// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-stress: TD builds, runtime TDX module updates, kills and sysfs
 * readers, all at once for a bounded time; or, with --fuzz, random
 * commands and attribute writes.  Runs in the test VM against the
 * simulated TDX module.
 *
 * Stress (default): builder processes (a few threads each) build TDs
 * through /dev/tdx_td_test with random sizes and short random pauses,
 * some with O_NONBLOCK (EAGAIN while an update is pending is expected
 * and counted), some abandoned midway, and check every finalized TD's
 * MRTD against a SHA-384 computed here.  An updater thread uploads
 * images through fw_upload, blocking and non-blocking, with long and
 * short deadlines, alternately with a new crypto library and with the
 * running one, and cancels some of its uploads at random moments; now
 * and then the simulator makes the update task late to reach the gate,
 * so that short deadlines and cancels land before it does.  It is the
 * only writer of the fw_upload files.  The main thread SIGKILLs
 * random builders (mid-build, or while their INIT_VM waits behind a
 * pending update) and respawns them.
 * Reader threads read every attribute of tdx_host, tdx_module and the
 * simulator's counters.
 *
 * Fuzz (--fuzz): processes send random commands to /dev/tdx_td_test
 * (random ids, flags, sizes, pointers, GPAs, orders and ioctl numbers,
 * with a page that another thread maps and unmaps), a thread writes
 * random values to every writable attribute of tdx_host and tdx_module
 * (uploads of garbage, truncated, padded and valid images included), and
 * the main thread SIGKILLs fuzzers at random.
 *
 * Both modes check after every upload, once it has ended (status idle,
 * its error read) and before another one can start, that the update gate
 * is open again: update_state neither "waiting" nor "updating".
 *
 * At the end, everything stopped and the attributes restored, both
 * modes assert: no build hold is out (builds_in_flight 0) and no TD is
 * left in the simulator; update_state is idle; a non-blocking upload of
 * a valid image succeeds at once, so nothing holds the update lock; the
 * P-SEAMLDR was never entered twice at once (seamldr_overlaps 0); no
 * child died other than by our SIGKILL.  Stress also asserts: every
 * finalized MRTD is correct, and there was one; every update attempt
 * ended ok, device-busy, timeout or user-abort; the running module
 * changed exactly on the successful updates; builds and cancels failed
 * only in the expected ways.  Fuzz also asserts that commands failed
 * only with documented errnos.  Exit 0 iff every assertion held.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tdx_vmlib.h"

#define MAX_PROCS	64
#define MAX_THREADS	8
#define MAX_ATTRS	64
#define NR_ERRNO	136	/* the last one: any errno above */
#define BUF_PAGES	32
#define UPLOAD_POLL_MS	180000
#define STOP_GRACE_MS	30000
#define GATE_REPORTS	10	/* closed gates described, at most */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ADD(p, n)	__atomic_fetch_add(p, n, __ATOMIC_RELAXED)
#define INC(p)		ADD(p, 1)
#define LOAD(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_RELAXED)

/* Per-process counters; B_OPS: fuzz commands */
enum {
	B_STARTED, B_FINALIZED, B_ABANDONED, B_EAGAIN, B_CORRECT, B_WRONG,
	B_ERRORS, B_OPS, B_NR
};

/* Update outcomes */
enum { U_OK, U_BUSY, U_TIMEOUT, U_ABORT, U_OTHER, U_NR };
static const char * const outcome_name[U_NR] = {
	"ok", "device-busy", "timeout", "user-abort", "other",
};

/**
 * struct slot - one builder or fuzzer process, in shared memory
 * @pid: the process, 0 when none
 * @killed: SIGKILL sent, not reaped yet
 * @in_init: its threads inside INIT_VM
 * @in_build: its threads holding a build hold
 * @cnt: B_* counters
 * @err: unexpected build errors (stress) or all commands (fuzz) by errno
 */
struct slot {
	pid_t pid;
	bool killed;
	int in_init;
	int in_build;
	unsigned long cnt[B_NR];
	unsigned long err[NR_ERRNO];
};

/* Shared with the children: survives their deaths. */
static struct shared {
	int stop;
	struct slot slot[MAX_PROCS];
} *sh;

static struct {
	unsigned int seconds, procs, threads, max_pages, kill_ms, update_ms;
	unsigned int readers, seed;
	bool fuzz;
} opt = {
	.seconds = 300, .procs = 10, .threads = 2, .max_pages = 16,
	.kill_ms = 300, .update_ms = 300, .readers = 2,
};

static const char *tag = "stress";
static int stop_threads;		/* main-process threads: __atomic */

/* Main-process counters, updated by its threads */
static unsigned long updates[U_NR], attempts, crypto_ok, version_bad;
static unsigned long cancels, cancels_idle, cancel_errors;
/* Uploads after which update_state was checked, and found the gate closed */
static unsigned long gate_checks, gate_closed;
/* fuzz: a write to loading went through, and may have started an upload */
static bool upload_pending;
static unsigned long kills, kills_build, kills_queued, crashes;
static unsigned long reads_ok, read_err[NR_ERRNO], write_err[NR_ERRNO];

/* What builders add, from a random page on: filled before the fork */
static unsigned char pages[BUF_PAGES * VM_PAGE_SIZE];
/* An upload runs: the main thread looks for builds queued behind it */
static int uploading;

static char attrs[MAX_ATTRS][160];
static unsigned int nr_attrs;
static char wattrs[MAX_ATTRS][160];
static unsigned int nr_wattrs;

static int nr_checks, nr_failed;
static pthread_t thr[12];
static unsigned int nr_thr;

/* ---- small helpers ---- */

static __thread unsigned long long rng;	/* xorshift64, per thread */

static void rng_seed(unsigned long long s)
{
	rng = (s + 1) * 0x9e3779b97f4a7c15ULL | 1;
}

static unsigned long long rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	return rng ^= rng << 17;
}

/* 0..n-1 */
static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)((rnd64() >> 11) % n) : 0;
}

static bool stopping(void)
{
	return LOAD(&sh->stop) || LOAD(&stop_threads);
}

static void count_errno(unsigned long *hist, int err)
{
	INC(&hist[err >= 0 && err < NR_ERRNO ? err : NR_ERRNO - 1]);
}

/* "EAGAIN 12, EINTR 3" for the non-zero entries (not 0 = success). */
static void print_errnos(const char *what, const unsigned long *hist)
{
	const char *sep = " (";
	unsigned long total = 0;
	int e;

	for (e = 1; e < NR_ERRNO; e++)
		total += hist[e];
	printf("%s: %s %lu", tag, what, total);
	for (e = 1; e < NR_ERRNO; e++) {
		if (!hist[e])
			continue;
		printf("%s%s %lu", sep, strerrorname_np(e) ?: "?", hist[e]);
		sep = ", ";
	}
	printf("%s\n", total ? ")" : "");
}

__printf(2, 3)
static void verify(bool ok, const char *fmt, ...)
{
	va_list ap;

	nr_checks++;
	if (!ok)
		nr_failed++;
	printf("%s: check ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", ok ? "ok" : "FAILED");
}

/* Short pause between build steps: mostly none or up to 2 ms. */
static void pause_step(void)
{
	unsigned int r = rnd(100);

	if (r < 40)
		return;
	vm_sleep_us(r < 97 ? 1 + rnd(2000) : 2000 + rnd(8000));
}

/* Files in @dir that can be read (or written, if @writable). */
static void list_attrs(const char *dir, bool writable, char (*out)[160],
		       unsigned int *n)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)) && *n < MAX_ATTRS) {
		if (snprintf(out[*n], sizeof(out[0]), "%s%s", dir,
			     de->d_name) >= (int)sizeof(out[0]) ||
		    lstat(out[*n], &st) || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mode & (writable ? 0200 : 0400))
			(*n)++;
	}
	if (d)
		closedir(d);
}

/* Writes exactly @len bytes of @buf to @path in one write(); -errno. */
static int raw_write(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The image of the next update: crypto library @crypto_step ahead. */
static unsigned char *next_image(unsigned int crypto_step,
				 unsigned int *update, unsigned int *crypto,
				 size_t *size)
{
	if (vm_sim_running(update, crypto))
		return NULL;
	++*update;
	*crypto += crypto_step;
	return vm_make_image(*update, *crypto, 1 + rnd(3), size);
}

/* ---- stress: builders ---- */

static void build_error(struct slot *s, int ret)
{
	INC(&s->cnt[B_ERRORS]);
	count_errno(s->err, -ret);
}

static void build_one(struct slot *s)
{
	/* Mostly small builds, a quarter up to max_pages pages */
	unsigned int total = 1 + rnd(rnd(4) ? 4 : opt.max_pages);
	unsigned int done = 0, n, off;
	unsigned int max = total + (rnd(4) ? 0 : rnd(64));
	/* Abandoned after this many pages; total + 1: never. */
	unsigned int abandon = rnd(10) ? total + 1 : rnd(total + 1);
	bool nonblock = !rnd(4), held = false;
	struct vm_td td;
	int ret;

	ret = vm_td_open(&td, nonblock);
	if (ret) {
		build_error(s, ret);
		return;
	}
	INC(&s->in_init);
	ret = vm_td_init(&td, max);
	ADD(&s->in_init, -1);
	if (ret == -EAGAIN && nonblock) {
		INC(&s->cnt[B_EAGAIN]);
		vm_td_close(&td);
		pause_step();
		return;
	}
	if (ret) {
		build_error(s, ret);
		goto out;
	}
	held = true;
	INC(&s->in_build);
	INC(&s->cnt[B_STARTED]);
	off = rnd(BUF_PAGES - total + 1);
	while (done < total) {
		if (done == abandon)
			break;
		n = 1 + rnd(total - done);
		if (abandon > done && abandon < done + n)
			n = abandon - done;
		pause_step();
		ret = vm_td_add(&td, pages + (size_t)(off + done) * VM_PAGE_SIZE,
				n, !rnd(3));
		if (ret) {
			build_error(s, ret);
			goto out;
		}
		done += n;
	}
	pause_step();
	if (done == abandon) {
		INC(&s->cnt[B_ABANDONED]);
		goto out;
	}
	ret = vm_td_finalize(&td);
	if (ret) {
		build_error(s, ret);
		goto out;
	}
	held = false;
	ADD(&s->in_build, -1);
	INC(&s->cnt[B_FINALIZED]);
	ret = vm_td_check(&td, NULL);
	if (ret == 1)
		INC(&s->cnt[B_CORRECT]);
	else if (!ret)
		INC(&s->cnt[B_WRONG]);
	else
		build_error(s, ret);
out:
	vm_td_close(&td);
	if (held)
		ADD(&s->in_build, -1);
}

static void *builder_thread(void *arg)
{
	rng_seed(opt.seed ^ ((unsigned long long)getpid() << 20) ^
		 (uintptr_t)&arg);
	while (!stopping())
		build_one(arg);
	return NULL;
}

/* ---- fuzz: one process's commands ---- */

#define FUZZ_FDS	4
static int fuzz_fd[FUZZ_FDS] = { -1, -1, -1, -1 };
static unsigned char *fuzz_buf;		/* 17 pages, the last PROT_NONE */
static unsigned char *flap;		/* mapped and unmapped all along */

static void *flapper_thread(void *arg)
{
	rng_seed(opt.seed ^ getpid());
	while (!stopping()) {
		void *p = mmap(flap, VM_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED) {
			vm_sleep_us(4000);
			continue;
		}
		memset(p, (int)rnd(256), 64);
		vm_sleep_us(4000 + rnd(8000));
		munmap(p, VM_PAGE_SIZE);
		vm_sleep_us(4000 + rnd(8000));
	}
	return arg;
}

/* A pointer for the kernel to use: mostly good, often not. */
static unsigned long long fuzz_ptr(void *good)
{
	static const unsigned long long bad[] = {
		0, 1, 0xfff, 0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xffffffffffffffffULL, 0x0000800000000000ULL,
	};

	switch (rnd(10)) {
	case 0:
		return bad[rnd(ARRAY_SIZE(bad))];
	case 1:
		return (uintptr_t)flap;
	case 2:			/* straddles into the PROT_NONE page */
		return (uintptr_t)(fuzz_buf + 16 * VM_PAGE_SIZE - 1 - rnd(16));
	case 3:
		return (uintptr_t)good + 1 + rnd(7);
	default:
		return (uintptr_t)good;
	}
}

static unsigned long long fuzz_u64(unsigned long long small)
{
	static const unsigned long long odd[] = {
		0, 1, 511, 512, 513, 0x7fffffff, 0xffffffff, 1ULL << 32,
		1ULL << 40, 1ULL << 52, ~0ULL, ~0ULL - 4095,
	};

	if (rnd(3))
		return rnd((unsigned int)small + 1);
	if (rnd(2))
		return odd[rnd(ARRAY_SIZE(odd))];
	return rnd64();
}

static int fuzz_cmd(int fd)
{
	union {
		struct tdx_td_init_vm init;
		struct tdx_td_init_mem_region mem;
		struct tdx_td_mrtd mrtd;
		unsigned char raw[64];
	} arg;
	struct tdx_td_cmd cmd = {};
	unsigned long long p;

	memset(&arg, 0, sizeof(arg));
	cmd.id = rnd(8) ? rnd(4) : (unsigned int)rnd64();
	cmd.flags = rnd(4) ? 0 : rnd(3) ? TDX_TD_MEASURE : (unsigned int)rnd64();
	switch (cmd.id) {
	case TDX_TD_INIT_VM:
		arg.init.max_pages = (unsigned int)fuzz_u64(TDX_TD_MAX_PAGES);
		arg.init.reserved = rnd(8) ? 0 : (unsigned int)rnd64();
		break;
	case TDX_TD_INIT_MEM_REGION:
		arg.mem.source_addr = fuzz_ptr(fuzz_buf);
		arg.mem.nr_pages = rnd(4) ? 1 + rnd(16) : fuzz_u64(16);
		arg.mem.gpa = rnd(2) ? rnd(32) * (unsigned long long)VM_PAGE_SIZE
				     : fuzz_u64(1 << 20);
		break;
	default:
		for (p = 0; p < sizeof(arg.raw); p++)
			arg.raw[p] = (unsigned char)rnd(256);
	}
	cmd.data = fuzz_ptr(&arg);
	p = rnd(16) ? (uintptr_t)&cmd : fuzz_ptr(&cmd);
	return ioctl(fd, TDX_TD_IOC_CMD, (unsigned long)p) ? -errno : 0;
}

static int fuzz_op(void)
{
	unsigned int i = rnd(FUZZ_FDS), r = rnd(100);
	int fd = LOAD(&fuzz_fd[i]), nfd, fl;
	struct tdx_td_cmd cmd = {};
	unsigned long req;

	if (r < 8 || fd < 0) {
		nfd = open(TDX_TD_TEST_DEVICE, O_RDWR | O_CLOEXEC |
			   (rnd(3) ? 0 : O_NONBLOCK));
		if (nfd < 0)
			return -errno;
		fd = __atomic_exchange_n(&fuzz_fd[i], nfd, __ATOMIC_RELAXED);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (r < 12) {
		fd = __atomic_exchange_n(&fuzz_fd[i], -1, __ATOMIC_RELAXED);
		return fd >= 0 && close(fd) ? -errno : 0;
	}
	if (r < 15) {
		fl = fcntl(fd, F_GETFL);
		return fl < 0 || fcntl(fd, F_SETFL, fl ^ O_NONBLOCK) ? -errno
								     : 0;
	}
	if (r >= 20)
		return fuzz_cmd(fd);
	/* Random ioctl numbers: near misses of the real one, type 'T' */
	req = _IOC(rnd(4), 'T', rnd(2) ? 0xba : rnd(256), rnd(64));
	return ioctl(fd, req, fuzz_ptr(&cmd)) ? -errno : 0;
}

static void *fuzzer_thread(void *arg)
{
	struct slot *s = arg;
	int ret;

	rng_seed(opt.seed ^ ((unsigned long long)getpid() << 20) ^
		 (uintptr_t)&arg);
	while (!stopping()) {
		ret = fuzz_op();
		INC(&s->cnt[B_OPS]);
		count_errno(s->err, -ret);
		if (!rnd(8))
			pause_step();
	}
	return NULL;
}

/* ---- children ---- */

static void child_main(struct slot *s)
{
	pthread_t t[MAX_THREADS + 1];
	unsigned int i, n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close_range(3, ~0U, 0);
	setpriority(PRIO_PROCESS, 0, 0);
	rng_seed(opt.seed ^ getpid());
	if (opt.fuzz) {
		fuzz_buf = mmap(NULL, 17 * VM_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		flap = mmap(NULL, VM_PAGE_SIZE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fuzz_buf == MAP_FAILED || flap == MAP_FAILED)
			_exit(3);
		vm_fill(fuzz_buf, 16, getpid());
		mprotect(fuzz_buf + 16 * VM_PAGE_SIZE, VM_PAGE_SIZE, PROT_NONE);
		munmap(flap, VM_PAGE_SIZE);
		if (!pthread_create(&t[n], NULL, flapper_thread, NULL))
			n++;
	}
	for (i = 0; i < opt.threads; i++)
		if (!pthread_create(&t[n], NULL, opt.fuzz ? fuzzer_thread :
				    builder_thread, s))
			n++;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static void spawn(unsigned int i)
{
	struct slot *s = &sh->slot[i];
	pid_t pid;

	STORE(&s->in_init, 0);
	STORE(&s->in_build, 0);
	pid = fork();
	if (!pid)
		child_main(s);
	STORE(&s->pid, pid > 0 ? pid : 0);
}

/* A child ended: by our SIGKILL, or by leaving when told to stop. */
static void reaped(struct slot *s, int status)
{
	bool killed = s->killed;

	s->pid = 0;
	s->killed = false;
	if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	if (WIFEXITED(status) && !WEXITSTATUS(status) && LOAD(&sh->stop))
		return;
	crashes++;
	printf("%s: a child ended unexpectedly (status %#x)\n", tag, status);
}

static void kill_slot(unsigned int i, bool queued)
{
	struct slot *s = &sh->slot[i];

	if (s->pid <= 0 || s->killed)
		return;
	if (LOAD(&s->in_build))
		kills_build++;
	kills++;
	kills_queued += queued;
	s->killed = true;
	kill(s->pid, SIGKILL);
}

/* Reaps the children that ended, and replaces them unless stopping. */
static unsigned int reap(bool wait)
{
	unsigned int i, left = 0;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, wait ? 0 : WNOHANG)) > 0)
		for (i = 0; i < opt.procs; i++)
			if (sh->slot[i].pid == pid)
				reaped(&sh->slot[i], status);
	for (i = 0; i < opt.procs; i++) {
		if (!sh->slot[i].pid && !LOAD(&sh->stop))
			spawn(i);
		left += sh->slot[i].pid > 0;
	}
	return left;
}

/* Tells the children to stop; kills those still there after @grace_ms. */
static void stop_children(unsigned int grace_ms)
{
	double end = vm_now_ms() + grace_ms;
	unsigned int i;

	STORE(&sh->stop, 1);
	while (reap(false) && vm_now_ms() < end)
		vm_sleep_ms(5);
	for (i = 0; i < opt.procs; i++) {
		if (sh->slot[i].pid <= 0)
			continue;
		if (grace_ms)
			printf("%s: child %d did not stop, killing it\n", tag,
			       sh->slot[i].pid);
		sh->slot[i].killed = true;
		kill(sh->slot[i].pid, SIGKILL);
	}
	reap(true);
}

/* ---- main-process threads ---- */

static void *reader_thread(void *arg)
{
	char buf[4096];
	unsigned int i;
	int ret;

	rng_seed(opt.seed ^ (uintptr_t)&arg);
	setpriority(PRIO_PROCESS, 0, 0);
	while (!LOAD(&stop_threads)) {
		for (i = 0; i < nr_attrs; i++) {
			ret = vm_read(attrs[i], buf, sizeof(buf));
			if (ret)
				count_errno(read_err, -ret);
			else
				INC(&reads_ok);
		}
		vm_sleep_us(500 + rnd(1500));
	}
	return arg;
}

/*
 * Called once an upload has ended (status idle, its error read) and before
 * the caller, the only one that uploads, can start another: the update
 * gate must be open again.  Returns true, and counts it, if it is not,
 * with update_state in @state.
 */
static bool gate_left_closed(char *state, size_t size)
{
	gate_checks++;
	if (vm_read(VM_HOST_DIR "update_state", state, size))
		return false;
	if (strcmp(state, "waiting") && strcmp(state, "updating"))
		return false;
	gate_closed++;
	return true;
}

/* The outcome, from the fw_upload error "<phase>:<error>" */
static int classify(const struct vm_upload *up)
{
	const char *e = strchr(up->error, ':');
	int i;

	if (up->ret)
		return U_OTHER;
	if (!up->error[0])
		return U_OK;
	for (i = U_BUSY; e && i < U_OTHER; i++)
		if (!strcmp(e + 1, outcome_name[i]))
			return i;
	return U_OTHER;
}

static void update_once(void)
{
	unsigned int update, crypto, now_update, now_crypto, step;
	struct vm_upload up = { .poll_ms = UPLOAD_POLL_MS };
	bool nonblock = !rnd(4);
	unsigned int timeout = rnd(4) ? 60000 : 1 + rnd(40);
	char val[16], state[64], how[96];
	int out;

	step = attempts & 1;
	up.image = next_image(step, &update, &crypto, &up.size);
	attempts++;
	if (!up.image ||
	    vm_write(VM_HOST_DIR "update_mode", nonblock ? "nonblock" : "block")) {
		updates[U_OTHER]++;
		printf("%s: cannot prepare an update\n", tag);
		free((void *)up.image);
		return;
	}
	snprintf(val, sizeof(val), "%u", timeout);
	vm_write(VM_HOST_DIR "update_timeout_ms", val);
	/*
	 * Now and then the update task is slow to reach the gate, as on a
	 * loaded machine, so that short deadlines and early cancels land
	 * before it does.
	 */
	snprintf(val, sizeof(val), "%u", rnd(4) ? 0 : 1 + rnd(60));
	vm_write(VM_SIM_DIR "update_start_delay_ms", val);
	if (!rnd(3))
		up.cancel_ms = 1 + rnd(500);
	STORE(&uploading, 1);
	vm_upload(&up);
	STORE(&uploading, 0);
	if (!up.ret && gate_left_closed(state, sizeof(state)) &&
	    gate_closed <= GATE_REPORTS) {
		snprintf(how, sizeof(how),
			 "%s, update_timeout_ms %u, cancel_ms %u, cancel_ret %d",
			 nonblock ? "nonblock" : "block", timeout, up.cancel_ms,
			 up.cancel_ret);
		printf("%s: update attempt %lu left update_state %s (%s, error \"%s\")\n",
		       tag, attempts, state, how, up.error);
	}
	if (!up.cancel_ret)
		cancels++;
	else if (up.cancel_ret == -ENODEV)
		cancels_idle++;
	else if (up.cancel_ret != 1)
		cancel_errors++;
	out = classify(&up);
	updates[out]++;
	if (out == U_OTHER)
		printf("%s: update attempt %lu: ret %d error \"%s\"\n", tag,
		       attempts, up.ret, up.error);
	if (out == U_OK && step)
		crypto_ok++;
	/* The new module runs after an ok update, the old one otherwise. */
	if (out != U_OK) {
		update--;
		crypto -= step;
	}
	if (vm_sim_running(&now_update, &now_crypto) ||
	    now_update != update || now_crypto != crypto)
		version_bad++;
	free((void *)up.image);
}

static void *updater_thread(void *arg)
{
	rng_seed(opt.seed ^ 0xa5a5);
	while (!LOAD(&stop_threads)) {
		vm_sleep_ms(1 + rnd(2 * opt.update_ms));
		if (!LOAD(&stop_threads))
			update_once();
	}
	return arg;
}

/*
 * The gate check of the fuzzer: once the upload that a write to loading
 * may have started has ended.  Only this thread writes to loading, so
 * none can start between the look at status and the one at update_state.
 */
static void fuzz_check_gate(void)
{
	char state[64], error[128];

	if (!upload_pending || !vm_read_is(VM_FW_DIR "status", "idle") ||
	    vm_read(VM_FW_DIR "error", error, sizeof(error)))
		return;
	upload_pending = false;
	if (gate_left_closed(state, sizeof(state)) &&
	    gate_closed <= GATE_REPORTS)
		printf("%s: an upload left update_state %s (error \"%s\")\n",
		       tag, state, error);
}

/* A write to @path returned @ret: count it, note a possible upload. */
static void fuzz_wrote(const char *path, int ret)
{
	count_errno(write_err, -ret);
	if (!ret && !strcmp(path, VM_FW_DIR "loading"))
		upload_pending = true;
}

/* Random values for the writable attributes, uploads in between. */
static void fuzz_write_one(void)
{
	static const char * const words[] = {
		"", "0", "1", "-1", "block", "nonblock", " block", "block\n\n",
		"3600000", "3600001", "99999999999999999999999", "0x10",
		"add", "remove", "change", "\n", "nonblockX", "60000",
	};
	const char *path = wattrs[rnd(nr_wattrs)];
	char buf[96];
	unsigned int update, crypto, i;
	unsigned char *img, *pad;
	size_t size, len, n;
	int ret, fd;

	fuzz_check_gate();
	if (strstr(path, "/data") && rnd(2)) {
		/* An upload: garbage, a truncated or padded image, a valid one */
		img = next_image(rnd(2), &update, &crypto, &size);
		pad = img ? realloc(img, size + 64) : NULL;
		if (!pad) {
			free(img);
			return;
		}
		img = pad;
		memset(img + size, 0, 64);
		len = size;
		switch (rnd(4)) {
		case 0:
			for (i = 0; i < size; i++)
				img[i] = (unsigned char)rnd(256);
			break;
		case 1:
			len = rnd((unsigned int)size);
			break;
		case 2:
			len = rnd(2) ? size - 1 - rnd(64) : size + 1 + rnd(63);
			break;
		}
		fuzz_wrote(VM_FW_DIR "loading",
			   vm_write(VM_FW_DIR "loading", "1"));
		fd = open(path, O_WRONLY | O_CLOEXEC);
		for (i = 0, ret = fd < 0 ? -errno : 0; i < len && !ret; i += n) {
			n = len - i < VM_PAGE_SIZE ? len - i : VM_PAGE_SIZE;
			if (write(fd, img + i, n) < 0)
				ret = -errno;
		}
		if (fd >= 0)
			close(fd);
		count_errno(write_err, -ret);
		if (rnd(8))
			fuzz_wrote(VM_FW_DIR "loading",
				   vm_write(VM_FW_DIR "loading",
					    rnd(8) ? "0" : "-1"));
		free(img);
		return;
	}
	if (rnd(3)) {
		snprintf(buf, sizeof(buf), "%s", words[rnd(ARRAY_SIZE(words))]);
	} else if (rnd(2)) {
		snprintf(buf, sizeof(buf), "%llu", fuzz_u64(100000));
	} else {
		len = rnd(sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = (char)(1 + rnd(255));
		buf[len] = '\0';
	}
	fuzz_wrote(path, raw_write(path, buf, strlen(buf)));
}

static void *fuzz_writer_thread(void *arg)
{
	rng_seed(opt.seed ^ 0x5a5a);
	while (!LOAD(&stop_threads) && nr_wattrs) {
		fuzz_write_one();
		vm_sleep_us(rnd(5000));
	}
	return arg;
}

/* ---- the run ---- */

static bool queued_victim(unsigned int *victim)
{
	unsigned int i, start = rnd(opt.procs);

	for (i = 0; i < opt.procs; i++) {
		*victim = (start + i) % opt.procs;
		if (LOAD(&sh->slot[*victim].in_init) &&
		    !sh->slot[*victim].killed)
			return true;
	}
	return false;
}

static void run(void)
{
	double end = vm_now_ms() + opt.seconds * 1000.0;
	double next_kill = vm_now_ms() + rnd(2 * opt.kill_ms + 1);
	double next_queued = 0;
	unsigned int victim;

	while (vm_now_ms() < end) {
		vm_sleep_ms(5);
		reap(false);
		if (LOAD(&uploading) && vm_now_ms() > next_queued &&
		    vm_read_is(VM_HOST_DIR "update_state", "waiting") &&
		    !rnd(3) && queued_victim(&victim)) {
			/* Likely waiting in INIT_VM behind the update */
			kill_slot(victim, true);
			next_queued = vm_now_ms() + 50;
		}
		if (vm_now_ms() >= next_kill) {
			kill_slot(rnd(opt.procs), false);
			next_kill = vm_now_ms() + opt.kill_ms / 2 +
				    rnd(opt.kill_ms + 1);
		}
	}
}

static void restore_attrs(void)
{
	if (opt.fuzz) {
		vm_write(VM_FW_DIR "loading", "-1");
		vm_write(VM_HOST_DIR "driver_override", "");
	}
	verify(!vm_write(VM_HOST_DIR "update_mode", "block") &&
	       !vm_write(VM_HOST_DIR "update_timeout_ms", "60000"),
	       "update_mode block and update_timeout_ms 60000 restored");
	if (!opt.fuzz)
		verify(!vm_write(VM_SIM_DIR "update_start_delay_ms", "0"),
		       "update_start_delay_ms 0 restored");
	verify(vm_wait_for(VM_FW_DIR "status", "idle", UPLOAD_POLL_MS),
	       "no upload left running");
	/* The last upload of the fuzzer has ended now */
	if (opt.fuzz)
		fuzz_check_gate();
}

static void final_checks(void)
{
	struct vm_upload up = { .poll_ms = UPLOAD_POLL_MS };
	unsigned int update, crypto, u2, c2;
	char state[64] = "?";
	long v;

	v = vm_read_long(VM_HOST_DIR "builds_in_flight");
	verify(v == 0, "builds_in_flight %ld == 0", v);
	v = vm_sim_long("live_tds");
	verify(v == 0, "simulator live_tds %ld == 0", v);
	vm_read(VM_HOST_DIR "update_state", state, sizeof(state));
	verify(!strcmp(state, "idle"), "update_state %s == idle", state);

	up.image = next_image(0, &update, &crypto, &up.size);
	if (!vm_write(VM_HOST_DIR "update_mode", "nonblock") && up.image)
		vm_upload(&up);
	else
		up.ret = -EIO;
	if (!up.ret && gate_left_closed(state, sizeof(state)))
		printf("%s: the last update left update_state %s\n", tag,
		       state);
	verify(!up.ret && !up.error[0] && !vm_sim_running(&u2, &c2) &&
	       u2 == update,
	       "a non-blocking update takes the lock at once (ret %d, error \"%s\")",
	       up.ret, up.error);
	free((void *)up.image);
	verify(!vm_write(VM_HOST_DIR "update_mode", "block"),
	       "update_mode back to block");
	v = vm_sim_long("seamldr_overlaps");
	verify(v == 0, "seamldr_overlaps %ld == 0", v);
	verify(crashes == 0, "children that died unexpectedly %lu == 0",
	       crashes);
}

/* After every upload of the run, the final one included */
static void report_gate(void)
{
	printf("%s: gate left closed after an upload: %lu (of %lu checked)\n",
	       tag, gate_closed, gate_checks);
	verify(gate_closed == 0,
	       "update_state neither waiting nor updating after an upload: %lu of %lu",
	       gate_closed, gate_checks);
}

static void sum_slots(unsigned long *cnt, unsigned long *err)
{
	unsigned int i, j;

	for (i = 0; i < MAX_PROCS; i++) {
		for (j = 0; j < B_NR; j++)
			cnt[j] += sh->slot[i].cnt[j];
		for (j = 0; j < NR_ERRNO; j++)
			err[j] += sh->slot[i].err[j];
	}
}

static void report_stress(void)
{
	unsigned long cnt[B_NR] = {}, err[NR_ERRNO] = {}, sum = 0;
	unsigned int i;

	sum_slots(cnt, err);
	printf("%s: builds started %lu\n", tag, cnt[B_STARTED]);
	printf("%s: builds finalized %lu\n", tag, cnt[B_FINALIZED]);
	printf("%s: builds abandoned %lu\n", tag, cnt[B_ABANDONED]);
	printf("%s: builds EAGAIN %lu\n", tag, cnt[B_EAGAIN]);
	print_errnos("build errors", err);
	printf("%s: MRTDs correct %lu wrong %lu\n", tag, cnt[B_CORRECT],
	       cnt[B_WRONG]);
	printf("%s: kills %lu (mid-build %lu, queued behind an update %lu)\n",
	       tag, kills, kills_build, kills_queued);
	printf("%s: cancels %lu (no upload running %lu, failed %lu)\n", tag,
	       cancels, cancels_idle, cancel_errors);
	printf("%s: updates attempted %lu\n", tag, attempts);
	for (i = 0; i < U_NR; i++) {
		printf("%s: updates %s %lu\n", tag, outcome_name[i], updates[i]);
		sum += updates[i];
	}
	printf("%s: crypto-changing updates ok %lu\n", tag, crypto_ok);
	printf("%s: attribute reads ok %lu\n", tag, reads_ok);
	print_errnos("attribute reads failed", read_err);

	verify(cnt[B_WRONG] == 0 && cnt[B_CORRECT] > 0,
	       "MRTDs: %lu wrong == 0, %lu correct > 0", cnt[B_WRONG],
	       cnt[B_CORRECT]);
	verify(cnt[B_ERRORS] == 0, "build errors %lu == 0", cnt[B_ERRORS]);
	verify(attempts == sum, "update attempts %lu == sum of outcomes %lu",
	       attempts, sum);
	verify(updates[U_OTHER] == 0, "updates with other outcomes %lu == 0",
	       updates[U_OTHER]);
	verify(version_bad == 0,
	       "running module changed exactly on ok updates (%lu mismatches)",
	       version_bad);
	verify(cancel_errors == 0, "cancels failed unexpectedly %lu == 0",
	       cancel_errors);
}

/* Every errno the ABI documents for the device, and EBADF (closed fd) */
static const char documented[] = {
	0, ENOTTY, EFAULT, EINVAL, EEXIST, ENOSPC, EAGAIN, ENXIO, EINTR, EIO,
	ENOMEM, EBADF,
};

static void report_fuzz(void)
{
	unsigned long cnt[B_NR] = {}, err[NR_ERRNO] = {}, bad = 0;
	int e;

	sum_slots(cnt, err);
	printf("%s: device operations %lu, succeeded %lu\n", tag, cnt[B_OPS],
	       err[0]);
	print_errnos("device operations failed", err);
	for (e = 0; e < NR_ERRNO; e++)
		bad += write_err[e];
	printf("%s: attribute writes %lu, succeeded %lu\n", tag, bad,
	       write_err[0]);
	bad = 0;
	print_errnos("attribute writes failed", write_err);
	printf("%s: kills %lu\n", tag, kills);
	for (e = 0; e < NR_ERRNO; e++)
		bad += memchr(documented, e, sizeof(documented)) ? 0 : err[e];
	verify(bad == 0, "device operations with undocumented errnos %lu == 0",
	       bad);
}

static const struct {
	const char *name;
	unsigned int *val;
} knobs[] = {
	{ "--seconds", &opt.seconds }, { "--procs", &opt.procs },
	{ "--threads", &opt.threads }, { "--max-pages", &opt.max_pages },
	{ "--kill-ms", &opt.kill_ms }, { "--update-ms", &opt.update_ms },
	{ "--readers", &opt.readers }, { "--seed", &opt.seed },
};

static void help(const char *prog)
{
	unsigned int k;

	printf("usage: %s [--fuzz]", prog);
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		printf(" [%s N]", knobs[k].name);
	printf("\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	unsigned int k;
	char *end;
	int i;

	opt.seed = (unsigned int)vm_now_ms() ^ getpid();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fuzz")) {
			opt.fuzz = true;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(knobs); k++)
			if (!strcmp(argv[i], knobs[k].name))
				break;
		if (k == ARRAY_SIZE(knobs) || i + 1 == argc)
			help(argv[0]);
		*knobs[k].val = strtoul(argv[++i], &end, 0);
		if (*end || end == argv[i])
			help(argv[0]);
	}
	if (!opt.procs || opt.procs > MAX_PROCS || !opt.threads ||
	    opt.threads > MAX_THREADS || !opt.max_pages ||
	    opt.max_pages > BUF_PAGES || !opt.kill_ms || opt.readers > 8)
		help(argv[0]);
}

/* Starts a main-process thread; a failure fails the run. */
static void start(void *(*fn)(void *arg))
{
	if (nr_thr < ARRAY_SIZE(thr) &&
	    !pthread_create(&thr[nr_thr], NULL, fn, NULL))
		nr_thr++;
	else
		verify(false, "a thread started");
}

int main(int argc, char **argv)
{
	unsigned int i;
	char v0[32] = "?", v1[32] = "?";
	double t;
	int ret;

	parse(argc, argv);
	/*
	 * The control threads (kills, updates, cancels) run at a higher
	 * priority than builders, readers and fuzzers, which set theirs
	 * back to 0 (nice is per thread): the builders keep the CPUs busy.
	 */
	setpriority(PRIO_PROCESS, 0, -10);
	if (opt.fuzz)
		tag = "fuzz";
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng_seed(opt.seed);
	printf("%s: %u s, %u processes x %u threads, seed %u\n", tag,
	       opt.seconds, opt.procs, opt.threads, opt.seed);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	ret = vm_sim_write("reset", "1000000");
	verify(!ret, "simulator reset with 1000000 updates (%d)", ret);
	vm_read(VM_HOST_DIR "version", v0, sizeof(v0));

	list_attrs(VM_HOST_DIR, false, attrs, &nr_attrs);
	list_attrs(VM_FW_DIR, false, attrs, &nr_attrs);
	list_attrs(VM_SIM_DIR, false, attrs, &nr_attrs);
	if (opt.fuzz) {
		list_attrs(VM_HOST_DIR, true, wattrs, &nr_wattrs);
		list_attrs(VM_FW_DIR, true, wattrs, &nr_wattrs);
		for (i = 0; i < nr_wattrs; i++)
			printf("%s: writes to %s\n", tag, wattrs[i]);
	}

	vm_fill(pages, BUF_PAGES, opt.seed);
	for (i = 0; i < opt.procs; i++)
		spawn(i);
	for (i = 0; i < opt.readers; i++)
		start(reader_thread);
	if (opt.fuzz)
		start(fuzz_writer_thread);
	else
		start(updater_thread);

	run();

	/* Fuzzers may sit on build holds for ever: they are just killed. */
	t = vm_now_ms();
	STORE(&stop_threads, 1);
	stop_children(opt.fuzz ? 0 : STOP_GRACE_MS);
	for (i = 0; i < nr_thr; i++)
		pthread_join(thr[i], NULL);
	printf("%s: all stopped in %.1f s\n", tag, (vm_now_ms() - t) / 1000);

	if (opt.fuzz)
		report_fuzz();
	else
		report_stress();
	restore_attrs();
	final_checks();
	report_gate();
	vm_read(VM_HOST_DIR "version", v1, sizeof(v1));
	printf("%s: module %s -> %s\n", tag, v0, v1);
	if (nr_failed)
		printf("%s: FAIL: %d of %d checks failed\n", tag, nr_failed,
		       nr_checks);
	else
		printf("%s: PASS: all %d checks held\n", tag, nr_checks);
	return nr_failed ? 1 : 0;
}
