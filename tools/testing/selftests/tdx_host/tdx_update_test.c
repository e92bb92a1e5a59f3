// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime TDX module update against TD builds, from userspace.
 *
 * Drives the TD-build test device (/dev/tdx_td_test, one TD under
 * construction per open file), the fw_upload device
 * /sys/class/firmware/tdx_module and the tdx_host attributes, on a kernel
 * with the simulated TDX module.  Every finalized TD's MRTD is checked
 * against a SHA-384 the test computes itself (sha384.c) over the records
 * the TDX module measures.
 *
 * Every test leaves update_mode "block", update_timeout_ms 60000, the
 * simulator's update_start_delay_ms 0, no TD open, no child running and
 * builds_in_flight 0 (checked in the fixture teardown).  Only a handful
 * of tests update the module successfully, each with the next update
 * number and its own crypto-library version, so the suite can run many
 * times per boot and in any order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tdx_td_test.h"
#include "tdx_sim_image.h"
#include "sha384.h"

/*
 * The harness itself is not -Wextra clean: an unused signal-handler
 * parameter, and -Wclobbered on the "child" of every TEST_F() wrapper,
 * which it does read after the longjmp() of a failed ASSERT_*().  The
 * Makefile builds this file without optimization so that the value read
 * is the one in memory, and FIXTURE_TEARDOWN() runs after a failed
 * assertion too.  Nothing in this file calls setjmp().
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"

#define FW_DIR			"/sys/class/firmware/tdx_module"
#define FW_LOADING		FW_DIR "/loading"
#define FW_DATA			FW_DIR "/data"
#define FW_STATUS		FW_DIR "/status"
#define FW_ERROR		FW_DIR "/error"
#define FW_CANCEL		FW_DIR "/cancel"
#define FW_REMAINING_SIZE	FW_DIR "/remaining_size"

#define HOST_DIR		"/sys/devices/faux/tdx_host"
#define HOST_VERSION		HOST_DIR "/version"
#define HOST_SEAMLDR_VERSION	HOST_DIR "/seamldr_version"
#define HOST_REMAINING		HOST_DIR "/num_remaining_updates"
#define HOST_STATE		HOST_DIR "/update_state"
#define HOST_BUILDS		HOST_DIR "/builds_in_flight"
#define HOST_TIMEOUT		HOST_DIR "/update_timeout_ms"
#define HOST_MODE		HOST_DIR "/update_mode"

/* The simulated module's test knobs (test kernels only). */
#define SIM_DIR			"/sys/module/tdx_sim/parameters"
#define SIM_START_DELAY		SIM_DIR "/update_start_delay_ms"
#define SIM_RESET		SIM_DIR "/reset"

/* The operator's tool, where the test VM installs it. */
#define CLI_PATH		"/bin/tdx-module-update"

#define PAGE_SZ			4096
#define CHUNK_SZ		256
#define RECORD_SZ		128
#define MRTD_SZ			48

#define DEFAULT_TIMEOUT_MS	"60000"
/* What the running module has, and every update image keeps. */
#define MOD_MAJOR		1U
#define MOD_MINOR		5U
#define MOD_HANDOFF		4
#define MOD_MIN_HANDOFF		2
#define MOD_FEATURES0		((1ULL << 1) | (1ULL << 47))

/* Bounds for the waits of the tests (not for the kernel). */
#define UPLOAD_POLL_MS		30000
#define SETTLE_MS		10000
#define STATE_WAIT_MS		5000

#define MAX_TDS			8
#define MAX_KIDS		2

/* ---- Time ------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- sysfs ----------------------------------------------------------- */

/* Read @path into @buf, trailing whitespace stripped.  0 or -errno. */
static int sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Write @val and a newline to @path, as echo does.  0 or -errno. */
/* Write @len bytes as they are, in one write().  0 or -errno. */
static int sysfs_write_raw(const char *path, const char *val, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

static int sysfs_write(const char *path, const char *val)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), "%s\n", val);

	return sysfs_write_raw(path, buf, len);
}

/* Read an unsigned decimal attribute.  0 or -errno. */
static int sysfs_read_uint(const char *path, unsigned int *val)
{
	char buf[64], *end;
	unsigned long v;
	int ret = sysfs_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || v > UINT_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}

/* Read @path; -1 when it cannot be read (used in asserts). */
static long read_uint_or(const char *path)
{
	unsigned int v;

	return sysfs_read_uint(path, &v) ? -1 : (long)v;
}

static bool sysfs_is(const char *path, const char *want)
{
	char buf[128];

	return !sysfs_read(path, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* Poll @path until it reads @want; false after @timeout_ms. */
static bool wait_for_str(const char *path, const char *want,
			 unsigned int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		if (sysfs_is(path, want))
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(5);
	}
}

/* update_state as it reads now, for messages. */
static const char *state_now(char *buf, size_t size)
{
	return sysfs_read(HOST_STATE, buf, size) ? "(unreadable)" : buf;
}

/* Wait until update_state reads @state. */
static bool wait_for_state(const char *state, unsigned int timeout_ms)
{
	return wait_for_str(HOST_STATE, state, timeout_ms);
}

static bool wait_for_builds(unsigned int n, unsigned int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		if (read_uint_or(HOST_BUILDS) == (long)n)
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(5);
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

struct mod_version {
	unsigned int major, minor, update;
};

/* "1.5.06": major.minor.update, the update as (at least) two digits. */
static int read_version(const char *path, struct mod_version *v)
{
	char buf[64], *dot;
	int ret = sysfs_read(path, buf, sizeof(buf));
	int n = 0;

	if (ret)
		return ret;
	if (sscanf(buf, "%u.%u.%u%n", &v->major, &v->minor, &v->update,
		   &n) != 3 || buf[n])
		return -EINVAL;
	dot = strrchr(buf, '.');
	if (!dot || strlen(dot + 1) < 2)
		return -EINVAL;
	return 0;
}

static bool version_eq(const struct mod_version *a,
		       const struct mod_version *b)
{
	return a->major == b->major && a->minor == b->minor &&
	       a->update == b->update;
}

/* ---- Update images ---------------------------------------------------- */

/*
 * A well-formed image of the next update of @cur (update + 1), with a
 * crypto-library version of its own.  @extra bytes of zeroes follow it in
 * the buffer, for the malformations that grow the image.
 */
static u8 *make_image_crypto(const struct mod_version *cur, u32 module_pages,
			     u32 crypto_lib_version, size_t extra,
			     size_t *size)
{
	struct tdx_sim_module_desc desc = {
		.major = MOD_MAJOR,
		.minor = MOD_MINOR,
		.update = cur->update + 1,
		.handoff_version = MOD_HANDOFF,
		.min_handoff_version = MOD_MIN_HANDOFF,
		.crypto_lib_version = crypto_lib_version,
		.features0 = MOD_FEATURES0,
	};
	u8 *buf;

	*size = tdx_sim_image_size(module_pages);
	buf = calloc(1, *size + extra);
	if (buf)
		tdx_sim_make_image(buf, &desc, module_pages);
	return buf;
}

static u8 *make_image(const struct mod_version *cur, u32 module_pages,
		      size_t extra, size_t *size)
{
	return make_image_crypto(cur, module_pages, 100 + cur->update + 1,
				 extra, size);
}

/* ---- Uploads through fw_upload --------------------------------------- */

struct upload {
	/* in */
	const u8 *image;
	size_t size;
	unsigned int poll_ms;		/* 0: UPLOAD_POLL_MS */
	/* out */
	int ret;			/* 0, or -errno of the sysfs ABI */
	char error[128];		/* the fw_upload error, "" on success */
	double start_ms;		/* just before "0" went to loading */
	double end_ms;			/* status seen idle again */
	int done;			/* set (atomically) when finished */
	pthread_t thread;
};

static int write_all(int fd, const u8 *p, size_t len)
{
	while (len) {
		size_t n = len > PAGE_SZ ? PAGE_SZ : len;
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!w)
			return -EIO;
		p += w;
		len -= w;
	}
	return 0;
}

/*
 * One upload: "1" to loading, the image to data, "0" to loading, then
 * poll status until idle and read error.  up->ret is 0 when the ABI
 * worked (the outcome is then in up->error), else -errno.
 */
static int upload_run(struct upload *up)
{
	unsigned int poll_ms = up->poll_ms ? up->poll_ms : UPLOAD_POLL_MS;
	double deadline;
	int fd, ret;

	up->error[0] = '\0';
	up->start_ms = now_ms();
	up->end_ms = up->start_ms;
	ret = sysfs_write(FW_LOADING, "1");
	if (ret)
		goto out;
	fd = open(FW_DATA, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto abort;
	}
	ret = write_all(fd, up->image, up->size);
	close(fd);
	if (ret)
		goto abort;

	up->start_ms = now_ms();
	ret = sysfs_write(FW_LOADING, "0");
	if (ret)
		goto abort;

	deadline = now_ms() + poll_ms;
	while (!sysfs_is(FW_STATUS, "idle")) {
		if (now_ms() > deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		sleep_ms(2);
	}
	up->end_ms = now_ms();
	ret = sysfs_read(FW_ERROR, up->error, sizeof(up->error));
	goto out;
abort:
	sysfs_write(FW_LOADING, "-1");
out:
	up->ret = ret;
	return ret;
}

static void *upload_thread(void *arg)
{
	struct upload *up = arg;

	upload_run(up);
	__atomic_store_n(&up->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int upload_start(struct upload *up)
{
	__atomic_store_n(&up->done, 0, __ATOMIC_RELEASE);
	return -pthread_create(&up->thread, NULL, upload_thread, up);
}

static void upload_wait(struct upload *up)
{
	pthread_join(up->thread, NULL);
}

static bool upload_done(struct upload *up)
{
	return __atomic_load_n(&up->done, __ATOMIC_ACQUIRE);
}

/* ---- The TD-build device ---------------------------------------------- */

static int td_cmd(int fd, u32 id, u32 flags, void *data)
{
	struct tdx_td_cmd cmd = {
		.id = id,
		.flags = flags,
		.data = (uintptr_t)data,
	};

	return ioctl(fd, TDX_TD_IOC_CMD, &cmd) ? -errno : 0;
}

static int init_vm(int fd, u32 max_pages)
{
	struct tdx_td_init_vm arg = { .max_pages = max_pages };

	return td_cmd(fd, TDX_TD_INIT_VM, 0, &arg);
}

static int add_pages(int fd, u64 gpa, const void *buf, u64 n, bool measure)
{
	struct tdx_td_init_mem_region arg = {
		.source_addr = (uintptr_t)buf,
		.gpa = gpa,
		.nr_pages = n,
	};

	return td_cmd(fd, TDX_TD_INIT_MEM_REGION, measure ? TDX_TD_MEASURE : 0,
		      &arg);
}

static int finalize(int fd)
{
	return td_cmd(fd, TDX_TD_FINALIZE_VM, 0, NULL);
}

static int get_mrtd(int fd, u8 mrtd[MRTD_SZ])
{
	struct tdx_td_mrtd arg = {};
	int ret = td_cmd(fd, TDX_TD_GET_MRTD, 0, &arg);

	if (!ret)
		memcpy(mrtd, arg.mrtd, MRTD_SZ);
	return ret;
}

/* ---- The expected MRTD ------------------------------------------------ */

/* Mirrors every page the TD adds, record for record. */
struct mrtd_tracker {
	struct sha384_ctx ctx;
};

static void tracker_init(struct mrtd_tracker *t)
{
	sha384_init(&t->ctx);
}

static void tracker_record(struct mrtd_tracker *t, const char *op, u64 gpa)
{
	u8 rec[RECORD_SZ] = {};
	int i;

	memcpy(rec, op, strlen(op));
	for (i = 0; i < 8; i++)
		rec[16 + i] = (u8)(gpa >> (8 * i));
	sha384_update(&t->ctx, rec, sizeof(rec));
}

static void tracker_add(struct mrtd_tracker *t, u64 gpa, const void *buf,
			u64 n, bool measure)
{
	const u8 *p = buf;
	u64 i, c;

	for (i = 0; i < n; i++, gpa += PAGE_SZ, p += PAGE_SZ) {
		tracker_record(t, "MEM.PAGE.ADD", gpa);
		for (c = 0; measure && c < PAGE_SZ / CHUNK_SZ; c++) {
			tracker_record(t, "MR.EXTEND", gpa + c * CHUNK_SZ);
			sha384_update(&t->ctx, p + c * CHUNK_SZ, CHUNK_SZ);
		}
	}
}

static void tracker_final(struct mrtd_tracker *t, u8 out[MRTD_SZ])
{
	sha384_final(&t->ctx, out);
}

static void to_hex(const u8 *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* Deterministic page content; differs per @seed. */
static void fill_pages(void *buf, size_t npages, u32 seed)
{
	u32 x = seed * 2654435761u + 1;
	u8 *p = buf;
	size_t i;

	for (i = 0; i < npages * PAGE_SZ; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (u8)x;
	}
}

/* ---- The fixture ------------------------------------------------------- */

/* A TD under construction, and the MRTD it should end with. */
struct td {
	int fd;
	struct mrtd_tracker expect;
	u8 mrtd[MRTD_SZ];		/* read after finalize */
};

FIXTURE(tdx) {
	int fds[MAX_TDS];		/* TD fds still open, -1 if free */
	pid_t child;			/* a child to kill in teardown */
	pid_t kids[MAX_KIDS];		/* more of them, 0 if free */
	bool delay_set;			/* update_start_delay_ms was written */
	char tmpfile[64];		/* a file to remove in teardown, or "" */
	bool have_fw;			/* runtime update supported */
	struct mod_version ver0;	/* module version at setup */
	unsigned int remaining0;	/* num_remaining_updates at setup */
};

/* Open a TD and track its fd so that teardown closes it. */
static int td_open(FIXTURE_DATA(tdx) *self, struct td *td, int flags)
{
	int i;

	td->fd = open(TDX_TD_TEST_DEVICE, O_RDWR | O_CLOEXEC | flags);
	if (td->fd < 0)
		return -errno;
	for (i = 0; i < MAX_TDS; i++) {
		if (self->fds[i] < 0) {
			self->fds[i] = td->fd;
			break;
		}
	}
	tracker_init(&td->expect);
	return 0;
}

static void td_close(FIXTURE_DATA(tdx) *self, struct td *td)
{
	int i;

	if (td->fd < 0)
		return;
	for (i = 0; i < MAX_TDS; i++)
		if (self->fds[i] == td->fd)
			self->fds[i] = -1;
	close(td->fd);
	td->fd = -1;
}

/* Add @n pages and, on success, mirror them in the expected MRTD. */
static int td_add(struct td *td, u64 gpa, const void *buf, u64 n,
		  bool measure)
{
	int ret = add_pages(td->fd, gpa, buf, n, measure);

	if (!ret)
		tracker_add(&td->expect, gpa, buf, n, measure);
	return ret;
}

/* Finalize @td and check its MRTD against our own SHA-384. */
static void td_finish(struct __test_metadata *_metadata, struct td *td)
{
	char got[2 * MRTD_SZ + 1], want[2 * MRTD_SZ + 1];
	u8 expect[MRTD_SZ];

	ASSERT_EQ(0, finalize(td->fd));
	ASSERT_EQ(0, get_mrtd(td->fd, td->mrtd));
	tracker_final(&td->expect, expect);
	to_hex(td->mrtd, MRTD_SZ, got);
	to_hex(expect, MRTD_SZ, want);
	EXPECT_STREQ(want, got);
}

/* The MRTD of a finalized TD reads the same as right after finalize. */
static void td_recheck(struct __test_metadata *_metadata, struct td *td)
{
	u8 mrtd[MRTD_SZ];

	ASSERT_EQ(0, get_mrtd(td->fd, mrtd));
	EXPECT_EQ(0, memcmp(mrtd, td->mrtd, MRTD_SZ));
}

/* A TD in build: INIT_VM and a couple of pages, one measured. */
static void td_start(struct __test_metadata *_metadata,
		     FIXTURE_DATA(tdx) *self, struct td *td, u32 seed)
{
	u8 *buf = malloc(2 * PAGE_SZ);

	ASSERT_NE(NULL, buf);
	fill_pages(buf, 2, seed);
	ASSERT_EQ(0, td_open(self, td, 0));
	ASSERT_EQ(0, init_vm(td->fd, 16));
	ASSERT_EQ(0, td_add(td, 0x10000, buf, 1, true));
	ASSERT_EQ(0, td_add(td, 0x20000, buf + PAGE_SZ, 1, false));
	free(buf);
}

/* Add a measured page to a TD that got its hold late, then finalize. */
static void td_complete(struct __test_metadata *_metadata, struct td *td,
			u32 seed)
{
	u8 buf[PAGE_SZ];

	fill_pages(buf, 1, seed);
	ASSERT_EQ(0, td_add(td, 0x30000, buf, 1, true));
	td_finish(_metadata, td);
}

/* Cancel an upload left running and wait for fw_upload to be idle. */
static void settle_upload(void)
{
	if (access(FW_STATUS, R_OK))
		return;
	if (!sysfs_is(FW_STATUS, "idle"))
		sysfs_write(FW_CANCEL, "1");
	wait_for_str(FW_STATUS, "idle", SETTLE_MS);
}

/*
 * A test that left TDX dead has failed.  Power-cycle the simulated module,
 * so that the tests after it still say something.
 */
static void revive_if_dead(struct __test_metadata *_metadata,
			   FIXTURE_DATA(tdx) *self)
{
	char state[32], n[16];

	if (strcmp(state_now(state, sizeof(state)), "dead"))
		return;
	EXPECT_STRNE("dead", state);
	snprintf(n, sizeof(n), "%u", self->remaining0);
	EXPECT_EQ(0, sysfs_write(SIM_RESET, n));
	TH_LOG("TDX was left dead; update_state %s after a reset of the simulator",
	       state_now(state, sizeof(state)));
}

FIXTURE_SETUP(tdx)
{
	char state[32];
	int i;

	for (i = 0; i < MAX_TDS; i++)
		self->fds[i] = -1;
	self->child = 0;
	for (i = 0; i < MAX_KIDS; i++)
		self->kids[i] = 0;
	self->delay_set = false;
	self->tmpfile[0] = '\0';
	if (access(TDX_TD_TEST_DEVICE, F_OK) || access(HOST_DIR, F_OK))
		SKIP(return, "no %s or %s", TDX_TD_TEST_DEVICE, HOST_DIR);
	self->have_fw = !access(FW_LOADING, F_OK);

	/* Whatever an earlier test that died left behind. */
	if (!access(SIM_START_DELAY, W_OK))
		ASSERT_EQ(0, sysfs_write(SIM_START_DELAY, "0"));
	settle_upload();
	ASSERT_EQ(0, sysfs_write(HOST_MODE, "block"));
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_TRUE(wait_for_builds(0, 2000));
	ASSERT_TRUE(!self->have_fw || wait_for_state("idle", STATE_WAIT_MS)) {
		TH_LOG("update_state %s", state_now(state, sizeof(state)));
	}

	ASSERT_EQ(0, read_version(HOST_VERSION, &self->ver0));
	ASSERT_EQ(0, sysfs_read_uint(HOST_REMAINING, &self->remaining0));
}

FIXTURE_TEARDOWN(tdx)
{
	int i;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
		self->child = 0;
	}
	for (i = 0; i < MAX_KIDS; i++) {
		if (self->kids[i] <= 0)
			continue;
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
		self->kids[i] = 0;
	}
	if (self->tmpfile[0])
		unlink(self->tmpfile);
	if (self->delay_set)
		EXPECT_EQ(0, sysfs_write(SIM_START_DELAY, "0"));
	settle_upload();
	for (i = 0; i < MAX_TDS; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		self->fds[i] = -1;
	}
	wait_for_builds(0, 2000);

	EXPECT_EQ(0, sysfs_write(HOST_MODE, "block"));
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "block"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	if (self->have_fw) {
		revive_if_dead(_metadata, self);
		EXPECT_TRUE(wait_for_state("idle", STATE_WAIT_MS));
	}
}

#define REQUIRE_FW() do {						\
	if (!self->have_fw)						\
		SKIP(return, "no %s: no runtime update", FW_DIR);	\
} while (0)

/* The module is as it was at setup. */
static void expect_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tdx) *self)
{
	struct mod_version v;

	ASSERT_EQ(0, read_version(HOST_VERSION, &v));
	EXPECT_TRUE(version_eq(&v, &self->ver0));
	EXPECT_EQ((long)self->remaining0, read_uint_or(HOST_REMAINING));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "idle"));
}

/* The module went from the setup version to the next update. */
static void expect_updated(struct __test_metadata *_metadata,
			   FIXTURE_DATA(tdx) *self)
{
	struct mod_version v;

	ASSERT_EQ(0, read_version(HOST_VERSION, &v));
	EXPECT_EQ(MOD_MAJOR, v.major);
	EXPECT_EQ(MOD_MINOR, v.minor);
	EXPECT_EQ(self->ver0.update + 1, v.update);
	EXPECT_EQ((long)self->remaining0 - 1, read_uint_or(HOST_REMAINING));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "idle"));
}

/* update_state now, not after a wait. */
static void expect_state_now(struct __test_metadata *_metadata,
			     const char *want)
{
	char state[32];

	EXPECT_EQ(0, sysfs_read(HOST_STATE, state, sizeof(state)));
	EXPECT_STREQ(want, state);
}

/* An INIT_VM in a thread of its own, to watch it wait. */
struct bg_init {
	int fd;
	int ret;
	int done;
	double ret_ms;			/* when INIT_VM returned */
	int ver_ret;
	struct mod_version ver;		/* read right after INIT_VM returned */
	pthread_t thread;
};

static void *bg_init_thread(void *arg)
{
	struct bg_init *bg = arg;

	bg->ret = init_vm(bg->fd, 16);
	bg->ret_ms = now_ms();
	bg->ver_ret = read_version(HOST_VERSION, &bg->ver);
	__atomic_store_n(&bg->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int bg_init_start(struct bg_init *bg, int fd)
{
	bg->fd = fd;
	bg->done = 0;
	return -pthread_create(&bg->thread, NULL, bg_init_thread, bg);
}

static bool bg_init_done(struct bg_init *bg)
{
	return __atomic_load_n(&bg->done, __ATOMIC_ACQUIRE);
}

static bool bg_init_wait(struct bg_init *bg, unsigned int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while (!bg_init_done(bg)) {
		if (now_ms() > end)
			return false;
		sleep_ms(5);
	}
	pthread_join(bg->thread, NULL);
	return true;
}

/* ---- SHA-384 ----------------------------------------------------------- */

#define SHA384_EMPTY \
	"38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da" \
	"274edebfe76f65fbd51ad2f14898b95b"
#define SHA384_ABC \
	"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed" \
	"8086072ba1e7cc2358baeca134c825a7"
/* FIPS 180-4 example: the two-block, 896-bit message. */
#define SHA384_896_MSG \
	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
	"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
#define SHA384_896 \
	"09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712" \
	"fcc7c71a557e2db966c3e9fa91746039"
/* One million "a". */
#define SHA384_MILLION_A \
	"9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b" \
	"07b8b3dc38ecc4ebae97ddd87f3d8985"

/* The SHA-384 needs no device: a fixture of its own, with nothing in it. */
FIXTURE(sha384) {
	char unused;
};

FIXTURE_SETUP(sha384)
{
}

FIXTURE_TEARDOWN(sha384)
{
}

TEST_F(sha384, vectors)
{
	char hex[2 * MRTD_SZ + 1];
	struct sha384_ctx ctx;
	u8 out[MRTD_SZ], out2[MRTD_SZ];
	struct mrtd_tracker t;
	u8 a[1000];
	size_t i;

	sha384("", 0, out);
	to_hex(out, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_EMPTY, hex);

	sha384("abc", 3, out);
	to_hex(out, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_ABC, hex);

	sha384(SHA384_896_MSG, strlen(SHA384_896_MSG), out);
	to_hex(out, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_896, hex);

	/* In pieces that straddle block boundaries. */
	memset(a, 'a', sizeof(a));
	sha384_init(&ctx);
	for (i = 0; i < 1000; i++)
		sha384_update(&ctx, a, 1000);
	sha384_final(&ctx, out);
	to_hex(out, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_MILLION_A, hex);

	sha384_init(&ctx);
	for (i = 0; i < strlen(SHA384_896_MSG); i++)
		sha384_update(&ctx, SHA384_896_MSG + i, 1);
	sha384_final(&ctx, out2);
	sha384(SHA384_896_MSG, strlen(SHA384_896_MSG), out);
	EXPECT_EQ(0, memcmp(out, out2, MRTD_SZ));

	/* An empty TD measures nothing. */
	tracker_init(&t);
	tracker_final(&t, out);
	to_hex(out, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_EMPTY, hex);
}

/* ---- TD builds ------------------------------------------------------------ */

TEST_F(tdx, empty_td)
{
	char hex[2 * MRTD_SZ + 1];
	struct td td;

	ASSERT_EQ(0, td_open(self, &td, 0));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	ASSERT_EQ(0, init_vm(td.fd, 1));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	td_finish(_metadata, &td);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	to_hex(td.mrtd, MRTD_SZ, hex);
	EXPECT_STREQ(SHA384_EMPTY, hex);
	td_close(self, &td);
}

struct adder {
	struct td *td;
	u8 *buf;
	int ret[4];
};

/* The second thread of a build: INIT_MEM_REGION on the main thread's fd. */
static void *adder_thread(void *arg)
{
	struct adder *a = arg;

	a->ret[0] = td_add(a->td, 0x100000, a->buf, 3, true);
	a->ret[1] = td_add(a->td, 0x200000, a->buf + 3 * PAGE_SZ, 2, false);
	a->ret[2] = td_add(a->td, 0x7000, a->buf + 5 * PAGE_SZ, 1, true);
	a->ret[3] = td_add(a->td, 0x3ff000, a->buf + 6 * PAGE_SZ, 1, false);
	return NULL;
}

TEST_F(tdx, build_across_threads)
{
	struct adder a = {};
	pthread_t thread;
	struct td td;
	u8 buf[8 * PAGE_SZ];
	int i;

	fill_pages(buf, 8, 1);
	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, init_vm(td.fd, 16));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	a.td = &td;
	a.buf = buf;
	ASSERT_EQ(0, pthread_create(&thread, NULL, adder_thread, &a));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, a.ret[i]);

	/* One more, measured, from the main thread. */
	ASSERT_EQ(0, td_add(&td, 0x8000, buf + 7 * PAGE_SZ, 1, true));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	td_finish(_metadata, &td);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	td_recheck(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, builds_in_flight_counts)
{
	struct td a, b, c;

	td_start(_metadata, self, &a, 10);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	td_start(_metadata, self, &b, 11);
	EXPECT_EQ(2, read_uint_or(HOST_BUILDS));

	/* An open file that never did INIT_VM holds nothing. */
	ASSERT_EQ(0, td_open(self, &c, 0));
	EXPECT_EQ(2, read_uint_or(HOST_BUILDS));
	td_close(self, &c);

	/* Closing a TD that never finished gives its hold back. */
	td_close(self, &a);
	EXPECT_TRUE(wait_for_builds(1, 1000));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	td_finish(_metadata, &b);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	/* A finalized TD stays open without holding anything. */
	td_recheck(_metadata, &b);
	td_close(self, &b);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

TEST_F(tdx, nonblock_init_vm_without_update)
{
	struct td td;
	u8 buf[PAGE_SZ];

	fill_pages(buf, 1, 20);
	ASSERT_EQ(0, td_open(self, &td, O_NONBLOCK));
	ASSERT_EQ(0, init_vm(td.fd, 4));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	ASSERT_EQ(0, td_add(&td, 0x1000, buf, 1, true));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

/* ---- Device errors ------------------------------------------------------- */

TEST_F(tdx, mem_region_before_init_vm)
{
	struct td td;
	u8 buf[PAGE_SZ];

	fill_pages(buf, 1, 30);
	ASSERT_EQ(0, td_open(self, &td, 0));
	EXPECT_EQ(-EINVAL, add_pages(td.fd, 0x1000, buf, 1, true));
	EXPECT_EQ(-EINVAL, add_pages(td.fd, 0x1000, buf, 1, false));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));

	/* The TD is still good for a build; nothing was added. */
	ASSERT_EQ(0, init_vm(td.fd, 4));
	ASSERT_EQ(0, td_add(&td, 0x1000, buf, 1, true));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, misaligned_gpa)
{
	static const u64 bad[] = { 0x1800, 0x1001, 0x100, 0xfff };
	struct td td;
	u8 buf[PAGE_SZ];
	size_t i;

	fill_pages(buf, 1, 31);
	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, init_vm(td.fd, 4));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, add_pages(td.fd, bad[i], buf, 1, true));
		EXPECT_EQ(-EINVAL, add_pages(td.fd, bad[i], buf, 1, false));
	}
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	ASSERT_EQ(0, td_add(&td, 0x2000, buf, 1, true));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, unknown_flags)
{
	struct tdx_td_init_vm vm = { .max_pages = 4 };
	struct tdx_td_mrtd mrtd;
	struct td td;
	u8 buf[PAGE_SZ];
	struct tdx_td_init_mem_region region = {
		.source_addr = (uintptr_t)buf,
		.gpa = 0x3000,
		.nr_pages = 1,
	};

	fill_pages(buf, 1, 32);
	ASSERT_EQ(0, td_open(self, &td, 0));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_INIT_VM, 1, &vm));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_INIT_VM, 1U << 31, &vm));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, td_cmd(td.fd, TDX_TD_INIT_VM, 0, &vm));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION,
				  TDX_TD_MEASURE << 1, &region));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION,
				  TDX_TD_MEASURE | (1U << 31), &region));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_FINALIZE_VM, 1, NULL));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, td_add(&td, 0x3000, buf, 1, true));
	td_finish(_metadata, &td);
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_GET_MRTD, 1, &mrtd));
	td_close(self, &td);
}

TEST_F(tdx, mrtd_before_finalize)
{
	u8 buf[PAGE_SZ], mrtd[MRTD_SZ];
	struct td td;

	fill_pages(buf, 1, 33);
	ASSERT_EQ(0, td_open(self, &td, 0));
	EXPECT_EQ(-EINVAL, get_mrtd(td.fd, mrtd));
	ASSERT_EQ(0, init_vm(td.fd, 4));
	EXPECT_EQ(-EINVAL, get_mrtd(td.fd, mrtd));
	ASSERT_EQ(0, td_add(&td, 0x4000, buf, 1, true));
	EXPECT_EQ(-EINVAL, get_mrtd(td.fd, mrtd));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, too_many_pages)
{
	u8 buf[4 * PAGE_SZ];
	struct td td;

	fill_pages(buf, 4, 34);
	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, init_vm(td.fd, 3));
	ASSERT_EQ(0, td_add(&td, 0x10000, buf, 2, true));
	ASSERT_EQ(0, td_add(&td, 0x20000, buf + 2 * PAGE_SZ, 1, false));
	/* The TD is full. */
	EXPECT_EQ(-ENOSPC, add_pages(td.fd, 0x30000, buf + 3 * PAGE_SZ, 1,
				     true));
	EXPECT_EQ(-ENOSPC, add_pages(td.fd, 0x30000, buf + 3 * PAGE_SZ, 1,
				     false));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, init_vm_bad_args)
{
	struct tdx_td_init_vm vm = { .max_pages = 4, .reserved = 1 };
	u8 buf[PAGE_SZ];
	struct td td;

	fill_pages(buf, 1, 35);
	ASSERT_EQ(0, td_open(self, &td, 0));
	EXPECT_EQ(-EINVAL, init_vm(td.fd, 0));
	EXPECT_EQ(-EINVAL, init_vm(td.fd, TDX_TD_MAX_PAGES + 1));
	EXPECT_EQ(-EINVAL, td_cmd(td.fd, TDX_TD_INIT_VM, 0, &vm));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));

	/* The upper bound itself is fine. */
	ASSERT_EQ(0, init_vm(td.fd, TDX_TD_MAX_PAGES));
	ASSERT_EQ(0, td_add(&td, 0x5000, buf, 1, true));
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F(tdx, bad_user_pointer)
{
	struct tdx_td_init_mem_region region = { .gpa = 0x6000, .nr_pages = 1 };
	u8 buf[PAGE_SZ];
	struct td td;
	int ret, err;
	void *bad;

	/* An address that surely is not mapped. */
	bad = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, munmap(bad, PAGE_SZ));

	fill_pages(buf, 1, 36);
	ASSERT_EQ(0, td_open(self, &td, 0));
	ret = ioctl(td.fd, TDX_TD_IOC_CMD, bad);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err);
	EXPECT_EQ(-EFAULT, td_cmd(td.fd, TDX_TD_INIT_VM, 0, bad));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, init_vm(td.fd, 4));
	EXPECT_EQ(-EFAULT, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION, 0, bad));
	EXPECT_EQ(-EFAULT, add_pages(td.fd, 0x6000, bad, 1, true));
	region.source_addr = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION, 0, &region));

	/* Nothing of the failed adds was measured. */
	ASSERT_EQ(0, td_add(&td, 0x6000, buf, 1, true));
	td_finish(_metadata, &td);
	EXPECT_EQ(-EFAULT, td_cmd(td.fd, TDX_TD_GET_MRTD, 0, bad));
	td_close(self, &td);
}

/*
 * As with KVM, INIT_MEM_REGION says how far it got: with the third of
 * three source pages unreadable, it fails with EFAULT and hands back a
 * region advanced past the two pages it added.  Going on from there
 * with a readable page finishes the region, measured exactly once.
 */
TEST_F(tdx, mem_region_reports_progress)
{
	struct tdx_td_init_mem_region region;
	struct td td;
	u8 *src;

	src = mmap(NULL, 3 * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	fill_pages(src, 3, 37);
	ASSERT_EQ(0, mprotect(src + 2 * PAGE_SZ, PAGE_SZ, PROT_NONE));

	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, init_vm(td.fd, 4));
	region = (struct tdx_td_init_mem_region){
		.source_addr = (uintptr_t)src, .gpa = 0x10000, .nr_pages = 3,
	};
	EXPECT_EQ(-EFAULT, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION,
				  TDX_TD_MEASURE, &region));
	EXPECT_EQ(1ULL, region.nr_pages);
	EXPECT_EQ(0x12000ULL, region.gpa);
	EXPECT_EQ((__u64)(uintptr_t)(src + 2 * PAGE_SZ), region.source_addr);
	tracker_add(&td.expect, 0x10000, src, 2, true);

	ASSERT_EQ(0, mprotect(src + 2 * PAGE_SZ, PAGE_SZ, PROT_READ));
	EXPECT_EQ(0, td_cmd(td.fd, TDX_TD_INIT_MEM_REGION, TDX_TD_MEASURE,
			    &region));
	EXPECT_EQ(0ULL, region.nr_pages);
	EXPECT_EQ(0x13000ULL, region.gpa);
	tracker_add(&td.expect, 0x12000, src + 2 * PAGE_SZ, 1, true);

	td_finish(_metadata, &td);
	td_close(self, &td);
	munmap(src, 3 * PAGE_SZ);
}

/* ---- Privileges ---------------------------------------------------------- */

/* In a child: drop to nobody; 0 or an exit code. */
static int drop_root(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 100;
	if (!geteuid())
		return 101;
	return 0;
}

static bool denied(int err)
{
	return err == EACCES || err == EPERM;
}

TEST_F(tdx, nonroot_cannot_upload)
{
	static const char * const paths[] = {
		FW_LOADING, FW_DATA, FW_CANCEL, HOST_MODE, HOST_TIMEOUT,
	};
	int status;

	REQUIRE_FW();
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		int ret = drop_root(), bad = 0;
		size_t i;

		if (ret)
			_exit(ret);
		/* Bit i: paths[i] opened for writing, or failed oddly. */
		for (i = 0; i < ARRAY_SIZE(paths); i++) {
			int fd = open(paths[i], O_WRONLY | O_CLOEXEC);

			if (fd >= 0) {
				bad |= 1 << i;
				close(fd);
			} else if (!denied(errno)) {
				bad |= 1 << i;
			}
		}
		_exit(bad);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("exit %d: 100+ could not drop root, else a bitmask",
		       WEXITSTATUS(status));
		TH_LOG("of the paths nobody could open for writing");
	}
	expect_unchanged(_metadata, self);
	EXPECT_TRUE(sysfs_is(FW_STATUS, "idle"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "block"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
}

TEST_F(tdx, nonroot_cannot_build)
{
	int status;

	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		int ret = drop_root(), fd;

		if (ret)
			_exit(ret);
		fd = open(TDX_TD_TEST_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(denied(errno) ? 0 : 1);
		ret = init_vm(fd, 4);
		_exit(ret == -EACCES || ret == -EPERM ? 0 : 2);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

/* ---- Attributes ---------------------------------------------------------- */

TEST_F(tdx, attributes)
{
	static const char * const bad_timeouts[] = {
		"0", "abc", "3600001", "-1", "", "+7", "010", " 7", "7 ",
		"7\n", "0x10", "4294967297",
	};
	/* Written as they are, no newline added: a NUL ends no number. */
	static const char nul_junk[] = "12\0junk";
	struct mod_version v;
	char buf[64];
	unsigned int n;
	size_t i;

	EXPECT_TRUE(sysfs_is(HOST_STATE, self->have_fw ? "idle" : "unsupported"));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	ASSERT_EQ(0, read_version(HOST_VERSION, &v));
	EXPECT_EQ(MOD_MAJOR, v.major);
	EXPECT_EQ(MOD_MINOR, v.minor);
	EXPECT_EQ(0, read_version(HOST_SEAMLDR_VERSION, &v));
	EXPECT_EQ(0, sysfs_read_uint(HOST_REMAINING, &n));

	/* update_mode */
	EXPECT_TRUE(sysfs_is(HOST_MODE, "block"));
	EXPECT_EQ(-EINVAL, sysfs_write(HOST_MODE, "fast"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "block"));
	EXPECT_EQ(0, sysfs_write(HOST_MODE, "nonblock"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "nonblock"));
	EXPECT_EQ(-EINVAL, sysfs_write(HOST_MODE, "fast"));
	EXPECT_EQ(-EINVAL, sysfs_write(HOST_MODE, "blockx"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "nonblock"));
	EXPECT_EQ(0, sysfs_write(HOST_MODE, "block"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "block"));

	/* update_timeout_ms */
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	for (i = 0; i < ARRAY_SIZE(bad_timeouts); i++) {
		EXPECT_EQ(-EINVAL, sysfs_write(HOST_TIMEOUT, bad_timeouts[i])) {
			TH_LOG("update_timeout_ms took '%s'", bad_timeouts[i]);
		}
		EXPECT_EQ(0, sysfs_read(HOST_TIMEOUT, buf, sizeof(buf)));
		EXPECT_STREQ(DEFAULT_TIMEOUT_MS, buf);
	}
	EXPECT_EQ(-EINVAL, sysfs_write_raw(HOST_TIMEOUT, nul_junk,
					   sizeof(nul_junk) - 1));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	EXPECT_EQ(0, sysfs_write_raw(HOST_TIMEOUT, "250", 3));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, "250"));
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, "1"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, "1"));
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, "3600000"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, "3600000"));
	EXPECT_EQ(-EINVAL, sysfs_write(HOST_TIMEOUT, "0"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, "3600000"));
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));

	if (self->have_fw) {
		EXPECT_TRUE(sysfs_is(FW_STATUS, "idle"));
		EXPECT_EQ(0, sysfs_read(FW_REMAINING_SIZE, buf, sizeof(buf)));
	}
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

/* ---- Updates ------------------------------------------------------------- */

/*
 * Upload the next update's image, in this thread or in the background.
 * @up must outlive a failed assert (the background thread still uses it),
 * so the tests keep it in static storage.
 */
static void upload_next(struct __test_metadata *_metadata,
			FIXTURE_DATA(tdx) *self, struct upload *up,
			bool background)
{
	size_t size;
	u8 *img = make_image(&self->ver0, 2, 0, &size);

	ASSERT_NE(NULL, img);
	memset(up, 0, sizeof(*up));
	up->image = img;
	up->size = size;
	/* Braces: ASSERT_EQ() is not a single statement. */
	if (background) {
		ASSERT_EQ(0, upload_start(up));
	} else {
		upload_run(up);
	}
}

static void upload_free(struct upload *up)
{
	free((void *)up->image);
	up->image = NULL;
}

TEST_F_TIMEOUT(tdx, kill9_mid_build, 90)
{
	static struct upload up;
	struct pollfd pfd;
	int pipefd[2], status;
	char c = 0;

	REQUIRE_FW();
	ASSERT_EQ(0, pipe(pipefd));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		u8 buf[PAGE_SZ];
		int fd;

		close(pipefd[0]);
		fill_pages(buf, 1, 40);
		fd = open(TDX_TD_TEST_DEVICE, O_RDWR);
		if (fd < 0 || init_vm(fd, 4) || add_pages(fd, 0x1000, buf, 1, true))
			c = 'e';
		else
			c = 'r';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_EQ('r', c);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_TRUE(wait_for_builds(0, 2000));
	ASSERT_EQ(0, read_uint_or(HOST_BUILDS));

	/* Bounded, so that a leaked hold fails fast with :timeout. */
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "20000"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	expect_updated(_metadata, self);
}

/*
 * A process killed while its INIT_VM waits behind a pending update
 * leaves no build hold: the count stays at the one build in flight, and
 * the update goes through as soon as that one ends.
 */
TEST_F_TIMEOUT(tdx, kill9_while_queued_behind_update, 90)
{
	static struct upload up;
	struct pollfd pfd;
	int pipefd[2], status;
	struct td a;
	char c = 0;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 60);
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	ASSERT_EQ(0, pipe(pipefd));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (!self->child) {
		int fd = open(TDX_TD_TEST_DEVICE, O_RDWR);

		close(pipefd[0]);
		c = fd < 0 ? 'e' : 'r';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		/* Blocks behind the update until killed. */
		init_vm(fd, 4);
		_exit(3);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_EQ('r', c);

	sleep_ms(300);
	/* Still waiting: no hold, and the update still waits for build a. */
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "waiting"));
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	EXPECT_FALSE(upload_done(&up));

	td_finish(_metadata, &a);
	upload_wait(&up);
	upload_free(&up);
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	expect_updated(_metadata, self);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	td_close(self, &a);
}

TEST_F_TIMEOUT(tdx, nonblock_build_eagain_while_update_pending, 90)
{
	struct td a, b, c;
	static struct upload up;
	char buf[64];

	REQUIRE_FW();
	td_start(_metadata, self, &a, 50);
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "20000"));
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	/* The upload waits, in the transferring phase. */
	EXPECT_TRUE(sysfs_is(FW_STATUS, "transferring"));
	EXPECT_EQ(-EBUSY, sysfs_read(FW_ERROR, buf, sizeof(buf)));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, td_open(self, &b, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, init_vm(b.fd, 4));
	EXPECT_EQ(-EAGAIN, init_vm(b.fd, 4));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "waiting"));
	td_close(self, &b);
	EXPECT_FALSE(upload_done(&up));

	td_finish(_metadata, &a);
	upload_wait(&up);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	expect_updated(_metadata, self);

	/* The finished TD lived through the update. */
	td_recheck(_metadata, &a);
	td_close(self, &a);

	/* No update pending: O_NONBLOCK builds go through. */
	ASSERT_EQ(0, td_open(self, &c, O_NONBLOCK));
	ASSERT_EQ(0, init_vm(c.fd, 4));
	td_complete(_metadata, &c, 51);
	td_close(self, &c);
}

TEST_F_TIMEOUT(tdx, queued_build_runs_after_update, 90)
{
	static struct bg_init bg;
	double finalized_ms;
	static struct upload up;
	struct td a, q;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 60);
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "20000"));
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	/* A new build waits behind the pending update. */
	ASSERT_EQ(0, td_open(self, &q, 0));
	ASSERT_EQ(0, bg_init_start(&bg, q.fd));
	sleep_ms(300);
	EXPECT_FALSE(bg_init_done(&bg));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "waiting"));
	EXPECT_FALSE(upload_done(&up));

	/* The build in flight ends; the update runs, then the queued build. */
	finalized_ms = now_ms();
	td_finish(_metadata, &a);
	upload_wait(&up);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	expect_updated(_metadata, self);

	ASSERT_TRUE(bg_init_wait(&bg, 5000));
	ASSERT_EQ(0, bg.ret);
	EXPECT_GE(bg.ret_ms, finalized_ms);
	ASSERT_EQ(0, bg.ver_ret);
	EXPECT_EQ(self->ver0.update + 1, bg.ver.update) {
		TH_LOG("the queued INIT_VM returned before the update (%u.%u.%02u)",
		       bg.ver.major, bg.ver.minor, bg.ver.update);
	}
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	/* It builds under the new module with a correct MRTD. */
	td_complete(_metadata, &q, 61);
	td_recheck(_metadata, &a);
	td_close(self, &q);
	td_close(self, &a);
}

/*
 * An INIT_VM that waits for a pending update holds none of its VM's
 * locks (KVM takes the build hold before kvm->lock): the VM's other
 * ioctls answer at once meanwhile: GET_MRTD (under kvm->lock), and
 * INIT_MEM_REGION and FINALIZE_VM (under all of them, as KVM's
 * tdx_vm_state_guard).
 */
TEST_F_TIMEOUT(tdx, other_ioctls_while_init_vm_waits, 90)
{
	static struct bg_init bg;
	static struct upload up;
	u8 buf[PAGE_SZ], mrtd[MRTD_SZ];
	double t0, took;
	struct td a, q;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 60);
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "20000"));
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	ASSERT_EQ(0, td_open(self, &q, 0));
	ASSERT_EQ(0, bg_init_start(&bg, q.fd));
	sleep_ms(300);
	ASSERT_FALSE(bg_init_done(&bg));

	fill_pages(buf, 1, 5);
	t0 = now_ms();
	EXPECT_EQ(-EINVAL, get_mrtd(q.fd, mrtd));
	EXPECT_EQ(-EINVAL, add_pages(q.fd, 0, buf, 1, true));
	EXPECT_EQ(-EINVAL, finalize(q.fd));
	took = now_ms() - t0;
	EXPECT_LT(took, 1000) {
		TH_LOG("the VM's ioctls took %.0f ms behind a waiting INIT_VM",
		       took);
	}
	EXPECT_FALSE(bg_init_done(&bg));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "waiting"));

	/* The build in flight ends; the update runs, then the INIT_VM. */
	td_finish(_metadata, &a);
	upload_wait(&up);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	expect_updated(_metadata, self);
	ASSERT_TRUE(bg_init_wait(&bg, 5000));
	ASSERT_EQ(0, bg.ret);
	td_complete(_metadata, &q, 62);
	td_close(self, &q);
	td_close(self, &a);
}

TEST_F_TIMEOUT(tdx, nonblock_upload_without_builds, 60)
{
	static struct upload up;
	struct td td;

	REQUIRE_FW();
	ASSERT_EQ(0, sysfs_write(HOST_MODE, "nonblock"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_MODE, "block"));
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	expect_updated(_metadata, self);

	td_start(_metadata, self, &td, 70);
	td_finish(_metadata, &td);
	td_close(self, &td);
}

TEST_F_TIMEOUT(tdx, nonblock_mode_busy, 60)
{
	static struct upload up;
	struct td a;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 80);
	ASSERT_EQ(0, sysfs_write(HOST_MODE, "nonblock"));
	EXPECT_TRUE(sysfs_is(HOST_MODE, "nonblock"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_MODE, "block"));
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, ":device-busy")) {
		TH_LOG("error '%s'", up.error);
	}
	/* Refused at once, not after the deadline. */
	EXPECT_LT(up.end_ms - up.start_ms, 10000);
	expect_unchanged(_metadata, self);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	td_finish(_metadata, &a);
	td_close(self, &a);
}

TEST_F_TIMEOUT(tdx, cancel_while_waiting, 60)
{
	static struct bg_init bg;
	double cancel_ms;
	static struct upload up;
	struct td a, q;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 90);
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	ASSERT_EQ(0, td_open(self, &q, 0));
	ASSERT_EQ(0, bg_init_start(&bg, q.fd));
	sleep_ms(200);
	EXPECT_FALSE(bg_init_done(&bg));
	EXPECT_FALSE(upload_done(&up));

	cancel_ms = now_ms();
	EXPECT_EQ(0, sysfs_write(FW_CANCEL, "1"));
	upload_wait(&up);
	upload_free(&up);
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, ":user-abort")) {
		TH_LOG("error '%s'", up.error);
	}
	EXPECT_LE(up.end_ms - cancel_ms, 1000);
	expect_unchanged(_metadata, self);

	/* The build queued behind the update gets through. */
	ASSERT_TRUE(bg_init_wait(&bg, 2000));
	ASSERT_EQ(0, bg.ret);
	ASSERT_EQ(0, bg.ver_ret);
	EXPECT_TRUE(version_eq(&bg.ver, &self->ver0));
	EXPECT_EQ(2, read_uint_or(HOST_BUILDS));

	td_complete(_metadata, &q, 91);
	td_finish(_metadata, &a);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	td_close(self, &q);
	td_close(self, &a);
}

/*
 * fw_upload calls the driver's cancel op even when no upload runs (and
 * then fails the write with ENODEV).  That must neither crash nor leave
 * a cancel behind for the next upload: with a build in flight and a short
 * deadline, the next upload ends with :timeout, not :user-abort.
 */
TEST_F_TIMEOUT(tdx, cancel_when_idle, 60)
{
	static struct upload up;
	struct td a;

	REQUIRE_FW();
	EXPECT_EQ(-ENODEV, sysfs_write(FW_CANCEL, "1"));
	EXPECT_TRUE(sysfs_is(FW_STATUS, "idle"));
	EXPECT_TRUE(sysfs_is(HOST_STATE, "idle"));

	td_start(_metadata, self, &a, 120);
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "300"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, ":timeout")) {
		TH_LOG("error '%s'", up.error);
	}
	expect_unchanged(_metadata, self);

	td_complete(_metadata, &a, 121);
	td_close(self, &a);
}

TEST_F_TIMEOUT(tdx, deadline_timeout, 60)
{
	static struct upload up;
	struct td a;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 100);
	ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, "300"));
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, "300"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, ":timeout")) {
		TH_LOG("error '%s'", up.error);
	}
	EXPECT_GE(up.end_ms - up.start_ms, 300);
	EXPECT_LT(up.end_ms - up.start_ms, 10000);
	expect_unchanged(_metadata, self);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	/* The build in flight was never disturbed. */
	td_complete(_metadata, &a, 101);
	td_close(self, &a);
}

/* ---- Malformed images ---------------------------------------------------- */

enum bad_image {
	BAD_TOO_SHORT,
	BAD_TOO_LONG,
	BAD_VERSION,
	BAD_SIGNATURE,
	BAD_RESERVED,
	BAD_NO_SIGSTRUCT,
	BAD_TWO_SIGSTRUCT,
	BAD_NO_MODULE,
	BAD_TOO_MANY_MODULE,
};

#define BAD_MODULE_PAGES	2

/*
 * The next update's image broken in one way.  Where the page counts
 * change, the length follows them, so that only the intended rule breaks.
 */
static u8 *make_bad_image(const struct mod_version *cur, enum bad_image kind,
			  size_t *size)
{
	struct tdx_blob_hdr *hdr;
	u32 pages = kind == BAD_TOO_MANY_MODULE ? TDX_BLOB_MAX_MODULE_PAGES + 1 :
						  BAD_MODULE_PAGES;
	u8 *buf = make_image(cur, pages, PAGE_SZ, size);

	if (!buf)
		return NULL;
	hdr = (struct tdx_blob_hdr *)buf;
	switch (kind) {
	case BAD_TOO_SHORT:
		*size = TDX_BLOB_HDR_SIZE - 1;
		break;
	case BAD_TOO_LONG:
		*size += PAGE_SZ;
		break;
	case BAD_VERSION:
		hdr->version = 0x100;
		break;
	case BAD_SIGNATURE:
		memcpy(hdr->signature, "TDX-BLOX", TDX_BLOB_SIGNATURE_LEN);
		break;
	case BAD_RESERVED:
		hdr->reserved[100] = 1;
		break;
	case BAD_NO_SIGSTRUCT:
		/* Header and module pages only. */
		hdr->sigstruct_pages = 0;
		memmove(buf + PAGE_SZ, buf + 2 * PAGE_SZ,
			(size_t)pages * PAGE_SZ);
		*size -= PAGE_SZ;
		break;
	case BAD_TWO_SIGSTRUCT:
		/* The sigstruct twice, then the module pages. */
		hdr->sigstruct_pages = 2;
		memmove(buf + 3 * PAGE_SZ, buf + 2 * PAGE_SZ,
			(size_t)pages * PAGE_SZ);
		memcpy(buf + 2 * PAGE_SZ, buf + PAGE_SZ, PAGE_SZ);
		*size += PAGE_SZ;
		break;
	case BAD_NO_MODULE:
		/* Header and sigstruct only. */
		hdr->module_pages = 0;
		*size = 2 * PAGE_SZ;
		break;
	case BAD_TOO_MANY_MODULE:
		/* tdx_sim_make_image() wrote 497 pages and said so. */
		break;
	}
	return buf;
}

static void check_bad_image(struct __test_metadata *_metadata,
			    FIXTURE_DATA(tdx) *self, enum bad_image kind,
			    const char *want)
{
	struct upload up = {};
	size_t size;
	u8 *img;

	if (!self->have_fw)
		SKIP(return, "no %s: no runtime update", FW_DIR);
	img = make_bad_image(&self->ver0, kind, &size);
	ASSERT_NE(NULL, img);
	up.image = img;
	up.size = size;
	upload_run(&up);
	free(img);
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, want)) {
		TH_LOG("error '%s', want '...%s'", up.error, want);
	}
	/* "<phase>:<error>" */
	EXPECT_NE(NULL, strchr(up.error, ':'));
	expect_unchanged(_metadata, self);
	EXPECT_TRUE(sysfs_is(FW_STATUS, "idle"));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

TEST_F(tdx, image_too_short)
{
	check_bad_image(_metadata, self, BAD_TOO_SHORT, ":invalid-file-size");
}

TEST_F(tdx, image_one_page_too_long)
{
	check_bad_image(_metadata, self, BAD_TOO_LONG, ":invalid-file-size");
}

TEST_F(tdx, image_bad_version)
{
	check_bad_image(_metadata, self, BAD_VERSION, ":firmware-invalid");
}

TEST_F(tdx, image_bad_signature)
{
	check_bad_image(_metadata, self, BAD_SIGNATURE, ":firmware-invalid");
}

TEST_F(tdx, image_reserved_nonzero)
{
	check_bad_image(_metadata, self, BAD_RESERVED, ":firmware-invalid");
}

TEST_F(tdx, image_no_sigstruct)
{
	check_bad_image(_metadata, self, BAD_NO_SIGSTRUCT, ":firmware-invalid");
}

TEST_F(tdx, image_two_sigstruct)
{
	check_bad_image(_metadata, self, BAD_TWO_SIGSTRUCT, ":firmware-invalid");
}

TEST_F(tdx, image_no_module)
{
	check_bad_image(_metadata, self, BAD_NO_MODULE, ":firmware-invalid");
}

TEST_F(tdx, image_too_many_module_pages)
{
	check_bad_image(_metadata, self, BAD_TOO_MANY_MODULE,
			":firmware-invalid");
}

/* A malformed image is refused at once, even with a build in flight. */
TEST_F_TIMEOUT(tdx, bad_image_with_build_in_flight, 60)
{
	struct upload up = {};
	struct td a;
	size_t size;
	u8 *img;

	REQUIRE_FW();
	td_start(_metadata, self, &a, 110);
	img = make_bad_image(&self->ver0, BAD_SIGNATURE, &size);
	ASSERT_NE(NULL, img);
	up.image = img;
	up.size = size;
	upload_run(&up);
	free(img);
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, ":firmware-invalid")) {
		TH_LOG("error '%s'", up.error);
	}
	EXPECT_LT(up.end_ms - up.start_ms, 10000);
	expect_unchanged(_metadata, self);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	td_complete(_metadata, &a, 111);
	td_close(self, &a);
}

/* ---- Passing a TD's fd to another process (SCM_RIGHTS) ------------------- */

/*
 * VMMs hand VM fds from process to process over Unix sockets.  A build
 * hold belongs to the file, not to a process: it lives on in whoever
 * holds the file, and ends once, when the last reference goes, whether
 * the holders close it, die, or die while the fd is still in flight.
 *
 * The other processes are agents: forked children that run one command
 * at a time from a control socket and answer each.
 */
#define AGENT_GPA		0x40000
#define AGENT_PAGES		2
#define AGENT_REPLY_MS		10000
/* Bound for the release of an fd that was in flight when its holders died. */
#define INFLIGHT_RELEASE_MS	10000

enum agent_op {
	AG_RECV_CTL = 1,	/* keep the fd that came with the command */
	AG_RECV_PEER,		/* keep the fd that waits in the peer socket */
	AG_SEND_PEER,		/* send the TD's fd through the peer socket */
	AG_OPEN_INIT,		/* open a TD and INIT_VM it */
	AG_ADD,			/* add AGENT_PAGES measured pages, seed arg */
	AG_FINISH,		/* FINALIZE_VM, then GET_MRTD */
	AG_CLOSE,		/* close the TD's fd */
};

struct agent_msg {
	u32 op;
	u32 arg;
};

struct agent_reply {
	int ret;		/* 0 or -errno */
	u8 mrtd[MRTD_SZ];	/* AG_FINISH */
};

struct agent {
	pid_t pid;
	int ctl;		/* our end of its control socket */
};

/* Send @len bytes, and @fd (unless -1) as SCM_RIGHTS.  0 or -errno. */
static int send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Receive up to @len bytes and the fd sent with them (-1 if none). */
static ssize_t recv_with_fd(int sock, void *buf, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return n;
}

/* The agent itself: runs commands until its control socket closes. */
static void agent_main(int ctl, int peer)
{
	u8 buf[AGENT_PAGES * PAGE_SZ];
	struct agent_reply r;
	struct agent_msg m;
	int td = -1, fd;
	char c;

	for (;;) {
		if (recv_with_fd(ctl, &m, sizeof(m), &fd) != sizeof(m))
			_exit(0);
		memset(&r, 0, sizeof(r));
		switch (m.op) {
		case AG_RECV_CTL:
			r.ret = fd >= 0 ? 0 : -EBADMSG;
			td = fd;
			fd = -1;
			break;
		case AG_RECV_PEER:
			r.ret = recv_with_fd(peer, &c, 1, &td) == 1 && td >= 0 ?
				0 : -EBADMSG;
			break;
		case AG_SEND_PEER:
			r.ret = send_with_fd(peer, "f", 1, td);
			break;
		case AG_OPEN_INIT:
			td = open(TDX_TD_TEST_DEVICE, O_RDWR | O_CLOEXEC);
			r.ret = td < 0 ? -errno : init_vm(td, 16);
			break;
		case AG_ADD:
			fill_pages(buf, AGENT_PAGES, m.arg);
			r.ret = add_pages(td, AGENT_GPA, buf, AGENT_PAGES, true);
			break;
		case AG_FINISH:
			r.ret = finalize(td);
			if (!r.ret)
				r.ret = get_mrtd(td, r.mrtd);
			break;
		case AG_CLOSE:
			r.ret = close(td) ? -errno : 0;
			td = -1;
			break;
		default:
			r.ret = -EINVAL;
			break;
		}
		if (fd >= 0)
			close(fd);
		if (send(ctl, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r))
			_exit(1);
	}
}

/*
 * Fork an agent with the other end of a new control socket and @peer (or
 * -1).  The agent keeps no other fd of ours: none of our TDs stay open in
 * it by accident.
 */
static int agent_spawn(FIXTURE_DATA(tdx) *self, struct agent *ag, int peer)
{
	int sv[2], i, slot;

	for (slot = 0; slot < MAX_KIDS && self->kids[slot] > 0; slot++)
		;
	if (slot == MAX_KIDS)
		return -EAGAIN;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	ag->pid = fork();
	if (ag->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (!ag->pid) {
		for (i = 3; i < 1024; i++)
			if (i != sv[1] && i != peer)
				close(i);
		agent_main(sv[1], peer);
	}
	close(sv[1]);
	ag->ctl = sv[0];
	self->kids[slot] = ag->pid;
	return 0;
}

/* Run @op with @arg in @ag, passing @fd unless -1: its result. */
static int agent_do(struct agent *ag, u32 op, u32 arg, int fd,
		    u8 mrtd[MRTD_SZ])
{
	struct agent_msg m = { .op = op, .arg = arg };
	struct pollfd pfd = { .fd = ag->ctl, .events = POLLIN };
	struct agent_reply r;
	int ret;

	ret = send_with_fd(ag->ctl, &m, sizeof(m), fd);
	if (ret)
		return ret;
	if (poll(&pfd, 1, AGENT_REPLY_MS) != 1)
		return -ETIMEDOUT;
	if (recv(ag->ctl, &r, sizeof(r), 0) != sizeof(r))
		return -EPIPE;
	if (mrtd)
		memcpy(mrtd, r.mrtd, MRTD_SZ);
	return r.ret;
}

static void agent_forget(FIXTURE_DATA(tdx) *self, struct agent *ag)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		if (self->kids[i] == ag->pid)
			self->kids[i] = 0;
	if (ag->ctl >= 0)
		close(ag->ctl);
	ag->ctl = -1;
}

/* Let @ag finish (its control socket closes) and reap it: its status. */
static int agent_stop(FIXTURE_DATA(tdx) *self, struct agent *ag)
{
	int status;

	close(ag->ctl);
	ag->ctl = -1;
	if (waitpid(ag->pid, &status, 0) != ag->pid)
		return -1;
	agent_forget(self, ag);
	return status;
}

/* SIGKILL @ag and reap it; true if it died of the SIGKILL. */
static bool agent_kill(FIXTURE_DATA(tdx) *self, struct agent *ag)
{
	int status;

	if (kill(ag->pid, SIGKILL) ||
	    waitpid(ag->pid, &status, 0) != ag->pid)
		return false;
	agent_forget(self, ag);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* An update in nonblock mode: it takes the gate at once, or fails. */
static void expect_update_at_once(struct __test_metadata *_metadata,
				  FIXTURE_DATA(tdx) *self)
{
	static struct upload up;

	ASSERT_EQ(0, sysfs_write(HOST_MODE, "nonblock"));
	upload_next(_metadata, self, &up, false);
	upload_free(&up);
	EXPECT_EQ(0, sysfs_write(HOST_MODE, "block"));
	ASSERT_EQ(0, up.ret);
	EXPECT_STREQ("", up.error);
	EXPECT_LT(up.end_ms - up.start_ms, 10000);
	expect_updated(_metadata, self);
}

/*
 * The build starts here and moves to another process: we close our fd,
 * the hold stays out, the agent builds and finalizes, and the MRTD is
 * what our own SHA-384 says.
 */
TEST_F_TIMEOUT(tdx, scm_rights_hold_survives_passing, 60)
{
	char got[2 * MRTD_SZ + 1], want[2 * MRTD_SZ + 1];
	u8 buf[AGENT_PAGES * PAGE_SZ], mrtd[MRTD_SZ], expect[MRTD_SZ];
	struct agent c;
	struct td td;

	/* First: the agent must not inherit the TD. */
	ASSERT_EQ(0, agent_spawn(self, &c, -1));
	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, init_vm(td.fd, 16));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, agent_do(&c, AG_RECV_CTL, 0, td.fd, NULL));
	td_close(self, &td);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, agent_do(&c, AG_ADD, 200, -1, NULL));
	fill_pages(buf, AGENT_PAGES, 200);
	tracker_add(&td.expect, AGENT_GPA, buf, AGENT_PAGES, true);
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

	ASSERT_EQ(0, agent_do(&c, AG_FINISH, 0, -1, mrtd));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	tracker_final(&td.expect, expect);
	to_hex(mrtd, MRTD_SZ, got);
	to_hex(expect, MRTD_SZ, want);
	EXPECT_STREQ(want, got);

	EXPECT_EQ(0, agent_stop(self, &c));
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

/* Close our fd of @td, or have agent @c close its own. */
static int close_one(FIXTURE_DATA(tdx) *self, struct agent *c, struct td *td,
		     bool ours)
{
	if (!ours)
		return agent_do(c, AG_CLOSE, 0, -1, NULL);
	td_close(self, td);
	return 0;
}

/*
 * Two processes hold the file of one build.  Whichever closes first, the
 * hold stays out; the last close gives it back, once: the count goes to
 * 0, not below, and stays there.  An update then takes the gate at once.
 */
TEST_F_TIMEOUT(tdx, scm_rights_hold_ends_with_last_holder, 60)
{
	struct agent c;
	struct td td;
	int we_close_first;

	ASSERT_EQ(0, agent_spawn(self, &c, -1));
	for (we_close_first = 1; we_close_first >= 0; we_close_first--) {
		ASSERT_EQ(0, td_open(self, &td, 0));
		ASSERT_EQ(0, init_vm(td.fd, 16));
		ASSERT_EQ(0, agent_do(&c, AG_RECV_CTL, 0, td.fd, NULL));
		EXPECT_EQ(1, read_uint_or(HOST_BUILDS));

		ASSERT_EQ(0, close_one(self, &c, &td, we_close_first));
		EXPECT_EQ(1, read_uint_or(HOST_BUILDS)) {
			TH_LOG("%s closed first", we_close_first ? "we" : "the agent");
		}

		ASSERT_EQ(0, close_one(self, &c, &td, !we_close_first));
		EXPECT_TRUE(wait_for_builds(0, 2000));
		sleep_ms(100);
		EXPECT_EQ(0, read_uint_or(HOST_BUILDS)) {
			TH_LOG("%s closed last", we_close_first ? "the agent" : "we");
		}
	}
	EXPECT_EQ(0, agent_stop(self, &c));

	if (self->have_fw)
		expect_update_at_once(_metadata, self);
}

/*
 * Agent @s opens a TD, starts its build and sends the fd to agent @r over
 * a socket of their own; with @received, @r takes it, otherwise it stays
 * in flight in @r's socket.
 */
static void pass_between_agents(struct __test_metadata *_metadata,
				FIXTURE_DATA(tdx) *self, struct agent *s,
				struct agent *r, bool received)
{
	int sv[2], ret_s, ret_r;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ret_s = agent_spawn(self, s, sv[0]);
	ret_r = ret_s ? ret_s : agent_spawn(self, r, sv[1]);
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, ret_s);
	ASSERT_EQ(0, ret_r);

	ASSERT_EQ(0, agent_do(s, AG_OPEN_INIT, 0, -1, NULL));
	ASSERT_EQ(0, agent_do(s, AG_ADD, 210, -1, NULL));
	ASSERT_EQ(0, agent_do(s, AG_SEND_PEER, 0, -1, NULL));
	if (received)
		ASSERT_EQ(0, agent_do(r, AG_RECV_PEER, 0, -1, NULL));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
}

/*
 * kill -9 on either side of a passed build leaks nothing: the hold ends
 * with the last holder, and also when both die while the fd is still in
 * flight, sent and never received.  Then an update takes the gate.
 */
TEST_F_TIMEOUT(tdx, scm_rights_kill_mid_build, 90)
{
	struct agent s, r;

	/* The receiver dies; the sender still holds the build. */
	pass_between_agents(_metadata, self, &s, &r, true);
	ASSERT_TRUE(agent_kill(self, &r));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	ASSERT_TRUE(agent_kill(self, &s));
	EXPECT_TRUE(wait_for_builds(0, STATE_WAIT_MS));
	ASSERT_EQ(0, read_uint_or(HOST_BUILDS));

	/* The other order. */
	pass_between_agents(_metadata, self, &s, &r, true);
	ASSERT_TRUE(agent_kill(self, &s));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	ASSERT_TRUE(agent_kill(self, &r));
	EXPECT_TRUE(wait_for_builds(0, STATE_WAIT_MS));
	ASSERT_EQ(0, read_uint_or(HOST_BUILDS));

	/* Both at once, the fd still in the receiver's socket. */
	pass_between_agents(_metadata, self, &s, &r, false);
	ASSERT_EQ(0, kill(s.pid, SIGKILL));
	ASSERT_EQ(0, kill(r.pid, SIGKILL));
	ASSERT_TRUE(agent_kill(self, &s));
	ASSERT_TRUE(agent_kill(self, &r));
	EXPECT_TRUE(wait_for_builds(0, INFLIGHT_RELEASE_MS));
	ASSERT_EQ(0, read_uint_or(HOST_BUILDS));

	if (self->have_fw)
		expect_update_at_once(_metadata, self);
}

/* ---- Two writers through the fw_upload files ----------------------------- */

#define MIX_MODULE_PAGES	4

/*
 * Nothing keeps two writers of the fw_upload files apart before "0" goes
 * to loading.  Writer A sends "1" and the first half of its image; writer
 * B sends "1", which discards A's data, and the first half of its own;
 * then A sends its second half, at its own file offset, and "0".  The
 * loader hands over B's header, sigstruct and first module page followed
 * by A's other module pages: the right length and format, but a module
 * that neither sigstruct signs.  The kernel must refuse it before the old
 * module shuts down (firmware-invalid), not leave it to the P-SEAMLDR to
 * find out after (TDX dead).
 */
TEST_F_TIMEOUT(tdx, mixed_upload_from_two_writers, 60)
{
	u32 crypto = 100 + self->ver0.update + 1;
	char error[128], after[128];
	int fd_a, fd_b, data_b, zero_b;
	size_t size, size_b, half;
	u8 *img_a, *img_b;
	struct td td;

	REQUIRE_FW();
	img_a = make_image_crypto(&self->ver0, MIX_MODULE_PAGES, crypto, 0,
				  &size);
	img_b = make_image_crypto(&self->ver0, MIX_MODULE_PAGES, crypto + 1, 0,
				  &size_b);
	ASSERT_NE(NULL, img_a);
	ASSERT_NE(NULL, img_b);
	ASSERT_EQ(size, size_b);
	half = size / 2;
	/* The two modules differ in every page the mix takes from A. */
	ASSERT_NE(0, memcmp(img_a + half, img_b + half, PAGE_SZ));
	ASSERT_NE(0, memcmp(img_a + size - PAGE_SZ, img_b + size - PAGE_SZ,
			    PAGE_SZ));

	ASSERT_EQ(0, sysfs_write(FW_LOADING, "1"));
	fd_a = open(FW_DATA, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd_a);
	ASSERT_EQ(0, write_all(fd_a, img_a, half));

	ASSERT_EQ(0, sysfs_write(FW_LOADING, "1"));
	fd_b = open(FW_DATA, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(0, write_all(fd_b, img_b, half));

	ASSERT_EQ(0, write_all(fd_a, img_a + half, size - half));
	close(fd_a);
	ASSERT_EQ(0, sysfs_write(FW_LOADING, "0"));

	ASSERT_TRUE(wait_for_str(FW_STATUS, "idle", UPLOAD_POLL_MS));
	ASSERT_EQ(0, sysfs_read(FW_ERROR, error, sizeof(error)));
	EXPECT_TRUE(ends_with(error, ":firmware-invalid")) {
		TH_LOG("error '%s'", error);
	}
	/* Never "dead": the old module must still run. */
	expect_state_now(_metadata, "idle");
	expect_unchanged(_metadata, self);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));

	/* B goes on as if nothing happened: its second half, then "0". */
	data_b = write_all(fd_b, img_b + half, size - half);
	close(fd_b);
	zero_b = sysfs_write(FW_LOADING, "0");
	TH_LOG("the mix ended in '%s'; then writer B's second half: %s, its \"0\" to loading: %s",
	       error, data_b ? strerror(-data_b) : "accepted",
	       zero_b ? strerror(-zero_b) : "accepted");
	/* Whatever the ABI told B, it uploaded nothing. */
	EXPECT_TRUE(wait_for_str(FW_STATUS, "idle", SETTLE_MS));
	EXPECT_EQ(0, sysfs_read(FW_ERROR, after, sizeof(after)));
	EXPECT_STREQ(error, after);
	expect_unchanged(_metadata, self);
	free(img_a);
	free(img_b);

	td_start(_metadata, self, &td, 220);
	td_finish(_metadata, &td);
	td_close(self, &td);
}

/* ---- Updates called off before their task reaches the gate --------------- */

/*
 * The simulator's update_start_delay_ms makes every update task sleep
 * before it reaches the gate, as on a loaded machine.  The delay is far
 * longer than the tests take to call the update off, so the cancel, the
 * deadline or the Ctrl-C always lands first.  update_state reads
 * "waiting" from the moment the update is accepted, delay included.
 */
#define START_DELAY_MS		1000
#define SHORT_DEADLINE_MS	"300"

/* Exit codes of tdx-module-update (tdx-module-update --help). */
#define CLI_EXIT_TIMEOUT	4
#define CLI_EXIT_CANCELLED	5

static bool have_start_delay(void)
{
	return !access(SIM_START_DELAY, W_OK);
}

/* Write update_start_delay_ms; teardown writes 0 again. */
static int set_start_delay(FIXTURE_DATA(tdx) *self, unsigned int ms)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", ms);
	self->delay_set = true;
	return sysfs_write(SIM_START_DELAY, buf);
}

/* The build queued behind the update got its hold, under the old module. */
static void finish_queued(struct __test_metadata *_metadata,
			  FIXTURE_DATA(tdx) *self, struct bg_init *bg,
			  struct td *q, u32 seed)
{
	ASSERT_TRUE(bg_init_wait(bg, STATE_WAIT_MS));
	ASSERT_EQ(0, bg->ret);
	ASSERT_EQ(0, bg->ver_ret);
	EXPECT_TRUE(version_eq(&bg->ver, &self->ver0));
	EXPECT_EQ(1, read_uint_or(HOST_BUILDS));
	td_complete(_metadata, q, seed);
	td_close(self, q);
}

/*
 * After an update that was called off: nothing is held, the module is
 * unchanged, and builds go through at once, non-blocking and blocking.
 * The blocking INIT_VM runs in a thread with a bound, so that a gate left
 * closed fails the test instead of hanging it.
 */
static void expect_gate_open(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tdx) *self, u32 seed)
{
	static struct bg_init bg;
	struct td nb, td;
	int ret;

	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
	expect_unchanged(_metadata, self);
	EXPECT_TRUE(sysfs_is(FW_STATUS, "idle"));

	ASSERT_EQ(0, td_open(self, &nb, O_NONBLOCK));
	ret = init_vm(nb.fd, 4);
	EXPECT_EQ(0, ret);
	if (!ret)
		td_complete(_metadata, &nb, seed);
	td_close(self, &nb);

	ASSERT_EQ(0, td_open(self, &td, 0));
	ASSERT_EQ(0, bg_init_start(&bg, td.fd));
	ASSERT_TRUE(bg_init_wait(&bg, STATE_WAIT_MS));
	ASSERT_EQ(0, bg.ret);
	td_complete(_metadata, &td, seed + 1);
	td_close(self, &td);
	EXPECT_EQ(0, read_uint_or(HOST_BUILDS));
}

/*
 * Upload the next image with an update task that starts late, queue a
 * build behind it, and call the update off before the task reaches the
 * gate: with @cancel through the cancel file, else by the deadline.
 * The upload ends with @want; the gate is open at once, the queued build
 * gets through, and so do new ones.
 */
static void upload_abort_early(struct __test_metadata *_metadata,
			       FIXTURE_DATA(tdx) *self, bool cancel,
			       const char *want, u32 seed)
{
	static struct bg_init bg;
	static struct upload up;
	double cancel_ms = 0;
	struct td q;

	if (!cancel)
		ASSERT_EQ(0, sysfs_write(HOST_TIMEOUT, SHORT_DEADLINE_MS));
	ASSERT_EQ(0, set_start_delay(self, START_DELAY_MS));
	upload_next(_metadata, self, &up, true);
	ASSERT_TRUE(wait_for_state("waiting", STATE_WAIT_MS));

	/* A build that starts now waits behind the update. */
	ASSERT_EQ(0, td_open(self, &q, 0));
	ASSERT_EQ(0, bg_init_start(&bg, q.fd));
	sleep_ms(100);
	EXPECT_FALSE(bg_init_done(&bg));

	if (cancel) {
		EXPECT_FALSE(upload_done(&up));
		cancel_ms = now_ms();
		EXPECT_EQ(0, sysfs_write(FW_CANCEL, "1"));
	}
	upload_wait(&up);
	expect_state_now(_metadata, "idle");
	upload_free(&up);
	EXPECT_EQ(0, set_start_delay(self, 0));
	EXPECT_EQ(0, sysfs_write(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	ASSERT_EQ(0, up.ret);
	EXPECT_TRUE(ends_with(up.error, want)) {
		TH_LOG("error '%s', want '%s'", up.error, want);
		if (cancel)
			TH_LOG("cancelled %.0f ms after \"0\" went to loading",
			       cancel_ms - up.start_ms);
	}

	finish_queued(_metadata, self, &bg, &q, seed);
	expect_gate_open(_metadata, self, seed + 2);
}

TEST_F_TIMEOUT(tdx, cancel_before_update_task_starts, 60)
{
	REQUIRE_FW();
	if (!have_start_delay())
		SKIP(return, "no %s", SIM_START_DELAY);
	upload_abort_early(_metadata, self, true, ":user-abort", 131);
}

TEST_F_TIMEOUT(tdx, deadline_before_update_task_starts, 60)
{
	REQUIRE_FW();
	if (!have_start_delay())
		SKIP(return, "no %s", SIM_START_DELAY);
	upload_abort_early(_metadata, self, false, ":timeout", 141);
}

/* The next update's image in a file of its own (removed in teardown). */
static int write_image_file(FIXTURE_DATA(tdx) *self)
{
	const char *dir = getenv("TMPDIR");
	size_t size;
	int fd, ret;
	u8 *img;

	snprintf(self->tmpfile, sizeof(self->tmpfile), "%s/tdx-image-XXXXXX",
		 dir && *dir && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(self->tmpfile);
	if (fd < 0) {
		self->tmpfile[0] = '\0';
		return -errno;
	}
	img = make_image(&self->ver0, 2, 0, &size);
	ret = img ? write_all(fd, img, size) : -ENOMEM;
	free(img);
	close(fd);
	return ret;
}

/*
 * Run tdx-module-update [@opt @val] on the image file in a child, its
 * output to @logfd.
 */
static pid_t cli_start(FIXTURE_DATA(tdx) *self, const char *opt,
		       const char *val, int logfd)
{
	char *argv[5];
	int n = 0;
	pid_t pid;

	argv[n++] = (char *)CLI_PATH;
	if (opt) {
		argv[n++] = (char *)opt;
		argv[n++] = (char *)val;
	}
	argv[n++] = self->tmpfile;
	argv[n] = NULL;
	pid = fork();
	if (!pid) {
		if (dup2(logfd, STDOUT_FILENO) < 0 ||
		    dup2(logfd, STDERR_FILENO) < 0)
			_exit(126);
		execv(CLI_PATH, argv);
		_exit(127);
	}
	return pid;
}

/* Reap @pid within @timeout_ms: its wait status, or -1. */
static int reap(pid_t pid, unsigned int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			return status;
		if (ret < 0 || now_ms() > end)
			return -1;
		sleep_ms(10);
	}
}

/* An unlinked file for the output of the CLI. */
static int cli_log_open(void)
{
	char path[] = "/tmp/tdx-cli-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

/* What the CLI printed, for a failed expectation. */
static void cli_log_show(struct __test_metadata *_metadata, int logfd)
{
	char buf[2048], *line, *save;
	ssize_t n = pread(logfd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		TH_LOG("tdx-module-update: %s", line);
}

/*
 * Run the CLI to its end with an update task that starts late: with
 * @sigint, Ctrl-C it once the update waits.  Returns its wait status.
 */
static int cli_run_early_abort(FIXTURE_DATA(tdx) *self, const char *opt,
			       const char *val, bool sigint, int logfd)
{
	int status;

	self->child = cli_start(self, opt, val, logfd);
	if (self->child < 0)
		return -1;
	if (sigint) {
		if (!wait_for_state("waiting", STATE_WAIT_MS))
			return -1;
		if (kill(self->child, SIGINT))
			return -1;
	}
	status = reap(self->child, UPLOAD_POLL_MS);
	if (status != -1)
		self->child = 0;
	return status;
}

/*
 * Run the CLI with an update task that starts late and have the update
 * called off before the task reaches the gate: Ctrl-C once it waits
 * (@sigint), or its own --timeout.  It must exit with @want, and the
 * gate must be open at once.
 */
static void cli_abort_early(struct __test_metadata *_metadata,
			    FIXTURE_DATA(tdx) *self, bool sigint, int want,
			    u32 seed)
{
	int logfd, status;

	ASSERT_EQ(0, write_image_file(self));
	logfd = cli_log_open();
	ASSERT_LE(0, logfd);
	ASSERT_EQ(0, set_start_delay(self, START_DELAY_MS));

	status = cli_run_early_abort(self, sigint ? NULL : "--timeout",
				     sigint ? NULL : SHORT_DEADLINE_MS,
				     sigint, logfd);
	ASSERT_NE(-1, status) {
		cli_log_show(_metadata, logfd);
	}
	expect_state_now(_metadata, "idle");
	EXPECT_EQ(0, set_start_delay(self, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == want) {
		TH_LOG("wait status %#x, want exit %d", status, want);
		cli_log_show(_metadata, logfd);
	}
	close(logfd);
	/* The tool put the deadline back. */
	EXPECT_TRUE(sysfs_is(HOST_TIMEOUT, DEFAULT_TIMEOUT_MS));
	expect_gate_open(_metadata, self, seed);
}

TEST_F_TIMEOUT(tdx, cli_sigint_before_update_task_starts, 60)
{
	REQUIRE_FW();
	if (!have_start_delay())
		SKIP(return, "no %s", SIM_START_DELAY);
	if (access(CLI_PATH, X_OK))
		SKIP(return, "no %s", CLI_PATH);
	cli_abort_early(_metadata, self, true, CLI_EXIT_CANCELLED, 151);
}

TEST_F_TIMEOUT(tdx, cli_timeout_before_update_task_starts, 60)
{
	REQUIRE_FW();
	if (!have_start_delay())
		SKIP(return, "no %s", SIM_START_DELAY);
	if (access(CLI_PATH, X_OK))
		SKIP(return, "no %s", CLI_PATH);
	cli_abort_early(_metadata, self, false, CLI_EXIT_TIMEOUT, 161);
}

TEST_HARNESS_MAIN
