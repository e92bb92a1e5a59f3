// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-demo: the story of `make run`, played in the VM.
 *
 * Three TDs are being built, page by page, when the operator starts a
 * runtime update with tdx-module-update.  Two more TDs start while the
 * update waits.  The update waits for the first three; the two late ones
 * wait for the update; everything finishes.  The demo prints a timeline
 * (who waited for whom, and how long) and a summary: module version and
 * remaining updates before and after, and every TD's MRTD checked
 * against a SHA-384 computed here.  It exits 0 only if all of it held.
 *
 * With --gate-off the same scenario runs with coordination switched off
 * (the simulator's test-only policy "none", as upstream merged update):
 * the update lands inside the builds, and the demo exits 0 only if it
 * saw the wrong MRTDs that the gate prevents.
 *
 * With --release DIR --expect X.Y.Z the operator points the tool at a
 * release directory instead of an image: tdx-module-update chooses the
 * release, converts it and uploads it, and the demo passes only if the
 * module then runs X.Y.Z, with everything else as with the gate.
 *
 * Usage: tdx-demo [--gate-off | --release DIR --expect X.Y.Z]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tdx_sim_image.h"
#include "tdx_td_test.h"
#include "sha384.h"

#define HOST		"/sys/devices/faux/tdx_host/"
#define POLICY		"/sys/module/tdx_sim/parameters/policy"
#define IMAGE		"/tmp/tdx-module.img"
#define CLI		"/bin/tdx-module-update"
#define PAGE		4096
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct builder {
	const char *name;
	bool late;		/* starts once the update waits */
	/* when it starts: from the demo's start, or, late, from the wait */
	int start_ms;
	int pages;
	int pause_ms;		/* between pages: time inside the build */
	pthread_t thread;
	/* results */
	double init_called, init_done, finalized;
	int err;
	char version[32];	/* module version once the hold was granted */
	bool mrtd_ok;
	struct sha384_ctx expect;
};

#define BUILDER(n, is_late, start, npages, pause)			\
	{ .name = n, .late = is_late, .start_ms = start, .pages = npages, \
	  .pause_ms = pause }

static struct builder builders[] = {
	BUILDER("TD-A", false, 0, 4, 300),
	BUILDER("TD-B", false, 0, 6, 300),
	BUILDER("TD-C", false, 0, 8, 300),
	/* These two arrive while the update waits. */
	BUILDER("TD-D", true, 150, 3, 50),
	BUILDER("TD-E", true, 350, 3, 50),
};

static struct timespec t0;
static bool gate_off;
/* --release: what the operator hands the tool, and what must run after */
static const char *release_dir, *expect_version;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool monitor_stop;		/* __atomic: read by the monitor */
/* Written by the monitor thread, read by the others: __atomic. */
static double update_waiting_at = -1, update_running_at = -1;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_lock);
	printf("%6.2fs  %-9s ", now(), who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&log_lock);
}

static double get_waiting_at(void)
{
	double t;

	__atomic_load(&update_waiting_at, &t, __ATOMIC_ACQUIRE);
	return t;
}

static int read_attr(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static int td_cmd(int fd, unsigned int id, unsigned int flags, void *data)
{
	struct tdx_td_cmd cmd = {
		.id = id, .flags = flags, .data = (unsigned long)data,
	};

	return ioctl(fd, TDX_TD_IOC_CMD, &cmd) ? -errno : 0;
}

/* The MRTD record stream, mirrored here. */
static void expect_record(struct sha384_ctx *c, const char *op,
			  unsigned long long gpa)
{
	unsigned char rec[128] = { 0 };
	int i;

	memcpy(rec, op, strlen(op));
	for (i = 0; i < 8; i++)
		rec[16 + i] = gpa >> (8 * i);
	sha384_update(c, rec, sizeof(rec));
}

static void *builder_fn(void *arg)
{
	struct builder *b = arg;
	struct tdx_td_init_vm init = { .max_pages = b->pages };
	unsigned char page[PAGE], mrtd[48];
	struct tdx_td_mrtd got;
	int fd, i, c;

	/*
	 * Late builders arrive once the update waits (with the gate off it
	 * never does; they come 0.8 s in).  Give up waiting after 10 s: the
	 * verdict then fails, as it should.
	 */
	if (b->late && !gate_off) {
		while (get_waiting_at() < 0 && now() < 10)
			sleep_ms(5);
	} else if (b->late) {
		sleep_ms(800);
	}
	sleep_ms(b->start_ms);
	fd = open(TDX_TD_TEST_DEVICE, O_RDWR);
	if (fd < 0) {
		b->err = -errno;
		return NULL;
	}
	b->init_called = now();
	say(b->name, "INIT_VM: asks for its build hold");
	b->err = td_cmd(fd, TDX_TD_INIT_VM, 0, &init);
	b->init_done = now();
	if (b->err)
		goto out;
	read_attr(HOST "version", b->version, sizeof(b->version));
	if (b->init_done - b->init_called > 0.1)
		say(b->name, "INIT_VM: build hold granted after waiting %.2fs; module now %s",
		    b->init_done - b->init_called, b->version);
	else
		say(b->name, "INIT_VM: build hold granted at once; module %s",
		    b->version);

	sha384_init(&b->expect);
	for (i = 0; i < b->pages; i++) {
		unsigned long long gpa = (unsigned long long)i * PAGE;
		/* Advanced past the page on return, as KVM does. */
		struct tdx_td_init_mem_region r = {
			.source_addr = (unsigned long)page,
			.gpa = gpa, .nr_pages = 1,
		};

		memset(page, b->name[3] + i, sizeof(page));
		b->err = td_cmd(fd, TDX_TD_INIT_MEM_REGION, TDX_TD_MEASURE, &r);
		if (b->err)
			goto out;
		expect_record(&b->expect, "MEM.PAGE.ADD", gpa);
		for (c = 0; c < PAGE / 256; c++) {
			expect_record(&b->expect, "MR.EXTEND", gpa + c * 256);
			sha384_update(&b->expect, page + c * 256, 256);
		}
		sleep_ms(b->pause_ms);
	}
	b->err = td_cmd(fd, TDX_TD_FINALIZE_VM, 0, NULL);
	if (b->err)
		goto out;
	b->finalized = now();
	sha384_final(&b->expect, mrtd);
	b->err = td_cmd(fd, TDX_TD_GET_MRTD, 0, &got);
	if (b->err)
		goto out;
	b->mrtd_ok = !memcmp(mrtd, got.mrtd, sizeof(mrtd));
	say(b->name, "FINALIZE_VM: %d pages measured, build hold given back; MRTD %s",
	    b->pages, b->mrtd_ok ? "matches our SHA-384" : "is WRONG");
out:
	if (b->err)
		say(b->name, "failed: %s", strerror(-b->err));
	close(fd);
	return NULL;
}

/* Watch the gate and say when the update changes state. */
static void *monitor_fn(void *arg)
{
	char state[32], prev[32] = "idle", builds[16];

	while (!__atomic_load_n(&monitor_stop, __ATOMIC_ACQUIRE)) {
		if (!read_attr(HOST "update_state", state, sizeof(state)) &&
		    strcmp(state, prev)) {
			read_attr(HOST "builds_in_flight", builds, sizeof(builds));
			say("gate", "update_state %s -> %s (builds in flight: %s)",
			    prev, state, builds);
			if (!strcmp(state, "waiting")) {
				double t = now();

				__atomic_store(&update_waiting_at, &t,
					       __ATOMIC_RELEASE);
			} else if (!strcmp(state, "updating")) {
				update_running_at = now();
			}
			snprintf(prev, sizeof(prev), "%s", state);
		}
		sleep_ms(10);
	}
	return arg;
}

/* Run the operator's command; relay what it prints, stamped. */
static int run_cli(void)
{
	char line[512];
	int pipefd[2], status;
	FILE *f;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execl(CLI, CLI, release_dir ? release_dir : IMAGE, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line;

		/* Progress lines redraw with \r: keep the last part. */
		while (strchr(p, '\r'))
			p = strchr(p, '\r') + 1;
		p[strcspn(p, "\n")] = 0;
		if (*p)
			say("operator", "%s", p);
	}
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int make_image(void)
{
	struct tdx_sim_module_desc desc = {
		.major = 1, .minor = 5,
		.handoff_version = 4, .min_handoff_version = 2,
		.features0 = (1ULL << 1) | (1ULL << 47),
	};
	unsigned int x, y, z;
	char ver[32];
	size_t size = tdx_sim_image_size(2);
	u8 *buf = calloc(1, size);
	FILE *f;

	if (!buf || read_attr(HOST "version", ver, sizeof(ver)) ||
	    sscanf(ver, "%u.%u.%u", &x, &y, &z) != 3)
		return -1;
	desc.update = z + 1;
	/* A new crypto library: builds in flight would be corrupted. */
	desc.crypto_lib_version = 100 + z;
	tdx_sim_make_image(buf, &desc, 2);
	f = fopen(IMAGE, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f))
		return -1;
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	char v0[32] = "?", v1[32] = "?", r0[16] = "?", r1[16] = "?";
	unsigned int i, ok = 0, wrong = 0, failed = 0, late_after = 0;
	pthread_t monitor;
	bool pass;
	int cli;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc == 2 && !strcmp(argv[1], "--gate-off")) {
		gate_off = true;
	} else if (argc == 5 && !strcmp(argv[1], "--release") &&
		   !strcmp(argv[3], "--expect")) {
		release_dir = argv[2];
		expect_version = argv[4];
	} else if (argc != 1) {
		printf("usage: tdx-demo [--gate-off | --release DIR --expect X.Y.Z]\n");
		return 2;
	}
	if (gate_off && write_attr(POLICY, "none")) {
		printf("tdx-demo: cannot switch the gate off (%s)\n", POLICY);
		return 2;
	}
	read_attr(HOST "version", v0, sizeof(v0));
	read_attr(HOST "num_remaining_updates", r0, sizeof(r0));
	if (!release_dir && make_image()) {
		printf("tdx-demo: cannot make the update image\n");
		return 2;
	}
	printf("tdx-demo: module %s, %s runtime updates left; gate %s\n",
	       v0, r0, gate_off ? "OFF (no coordination, test only)" : "on");
	printf("(gate lines sample update_state every 10 ms: they may trail what they report)\n");
	printf("   time  who       what\n");

	pthread_create(&monitor, NULL, monitor_fn, NULL);
	for (i = 0; i < ARRAY_SIZE(builders); i++)
		pthread_create(&builders[i].thread, NULL, builder_fn,
			       &builders[i]);
	sleep_ms(400);
	say("operator", "runs: tdx-module-update %s",
	    release_dir ? release_dir : IMAGE);
	cli = run_cli();
	say("operator", "tdx-module-update exited with %d", cli);
	for (i = 0; i < ARRAY_SIZE(builders); i++)
		pthread_join(builders[i].thread, NULL);
	sleep_ms(50);
	__atomic_store_n(&monitor_stop, true, __ATOMIC_RELEASE);
	pthread_join(monitor, NULL);

	read_attr(HOST "version", v1, sizeof(v1));
	read_attr(HOST "num_remaining_updates", r1, sizeof(r1));
	if (gate_off)
		write_attr(POLICY, "gate");

	printf("\nSummary\n");
	printf("  module version        %s -> %s\n", v0, v1);
	printf("  remaining updates     %s -> %s\n", r0, r1);
	if (update_waiting_at >= 0 && update_running_at >= 0)
		printf("  update waited         %.2fs for the builds in flight\n",
		       update_running_at - update_waiting_at);
	for (i = 0; i < ARRAY_SIZE(builders); i++) {
		struct builder *b = &builders[i];

		if (b->err) {
			failed++;
			printf("  %s  failed: %s\n", b->name, strerror(-b->err));
			continue;
		}
		b->mrtd_ok ? ok++ : wrong++;
		/* Arrived while the update waited, built on the new module. */
		if (b->late && update_waiting_at >= 0 &&
		    b->init_called > update_waiting_at && strcmp(b->version, v0))
			late_after++;
		printf("  %s  %d pages, hold waited %.2fs, MRTD %s\n", b->name,
		       b->pages, b->init_done - b->init_called,
		       b->mrtd_ok ? "verified" : "WRONG");
	}
	printf("  MRTDs                 %u verified, %u wrong, %u builds failed\n",
	       ok, wrong, failed);

	if (gate_off) {
		pass = cli == 0 && wrong > 0;
		printf("\n%s: without the gate the update landed inside TD builds: ",
		       pass ? "SHOWN" : "NOT SHOWN");
		printf("%u wrong MRTDs. The gate prevents exactly this.\n",
		       wrong);
	} else {
		pass = cli == 0 && strcmp(v0, v1) && atoi(r1) == atoi(r0) - 1 &&
		       wrong == 0 && failed == 0 && late_after == 2;
		if (expect_version) {
			printf("  expected version      %s: %s\n", expect_version,
			       strcmp(v1, expect_version) ? "NOT running" :
			       "running");
			pass = pass && !strcmp(v1, expect_version);
		}
		printf("\n%s: update done while TDs were built, ",
		       pass ? "VERIFIED" : "NOT VERIFIED");
		printf("late builds queued behind it (%u of 2), every MRTD verified.\n",
		       late_after);
	}
	return pass ? 0 : 1;
}
