// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-bench: what the update gate costs and what it buys, measured in the
 * test VM against the simulated TDX module (make bench).
 *
 * For each load in a sweep and each coordination policy of the
 * simulator, in the same boot:
 *
 *  - B builder threads loop: open a TD, INIT_VM, add P measured pages
 *    with a pause of L/P ms after each one (so a build lasts about L ms),
 *    FINALIZE_VM, check the MRTD against a SHA-384 computed here, close,
 *    think for a random time, uniform in [0, 2T] ms (mean T).  Each
 *    builder starts after a random offset so that the builds are spread.
 *  - An updater requests a runtime update every U ms.  Every update
 *    changes the crypto library version, so an update that lands inside
 *    a build leaves that build with a wrong MRTD.  Per policy:
 *      gate      update_mode block, update_timeout_ms D, one upload;
 *      failfast  no gate: only TDH.SYS.SHUTDOWN's AVOID_COMPAT_SENSITIVE
 *                refuses the update ("device-busy"); the updater retries
 *                every R ms until it succeeds or D ms have passed;
 *      none      no coordination at all, one upload.
 *    An update's latency runs from the request (the write of "0" to
 *    loading of the first attempt) to the end of the upload that
 *    succeeded, or of the last one tried.  An update "met" the deadline
 *    if it succeeded within D ms.
 *
 * Each point starts with the module power-cycled (the simulator's reset,
 * with plenty of updates left) and two calibrations with no builds
 * running: the median INIT_VM wall time of three one-page builds, and
 * the median latency of five updates (the update's own duration).
 *
 * The lower bound of an update's latency is computed after the fact:
 * the longest remaining time, at the request, of the builds in flight
 * (INIT_VM called before the request, build ended after it: finalize
 * end, or close for a build that failed), plus the update's own
 * duration as calibrated.  INIT_VM takes the build hold first thing, so
 * a build whose INIT_VM was called before the request held the gate, or
 * was about to, when the update was asked for; of those whose INIT_VM
 * had not returned yet, the ones that ended after the update had waited
 * behind it and are left out, and the others are counted as "entered".
 * No coordination that keeps updates out of builds can do better.  What
 * the bound leaves out shows as a ratio above 1: builds that start
 * between the request and the moment the kernel shuts new builds out
 * (the gate waits for them too), and an update that runs slower on a
 * loaded machine than on an idle one.
 *
 * Reported per policy and load: update latency p50/p99/max (a missed
 * update counts with the time it was given up at), lower bound p50/p99,
 * the per-update ratio latency/lower bound (p50, p99) and p99 latency /
 * p99 lower bound, updates completed within D / attempted, upload
 * attempts, INIT_VM wall time p50/p99 (how long builds stall at their
 * start, waiting included; compare with the solo calibration), builds,
 * builds that must restart (a SEAMCALL failed with EIO, or the MRTD is
 * wrong) and wrong MRTDs.  Per update also: drain_ms, when the last
 * build that ended before the update completed ended (after the
 * request), joined, how many of those builds began (called INIT_VM)
 * after the request, and for an update that succeeded, when (after the
 * request) it last asked SEAMLDR.INFO (just before stop_machine()), when
 * the simulated module shut down and when it ran again.  And
 * once, the in-kernel cost of a build hold when no update is pending:
 * tdx_sim_bench's begin/end pair beside an uncontended mutex
 * pair.  Percentiles are nearest-rank: with N = 30 updates a point, p99
 * is the maximum, and p50 the 15th.
 *
 * Defaults, chosen so that the whole sweep runs in about 20 minutes:
 * L = 300 ms in 4 pages, so that a build is mostly the pauses of its
 * VMM, and much longer than an update, which then weighs little in the
 * bound; T = 300 ms, so one builder is in its update-sensitive section
 * about half of the time and failfast finds windows at low loads but
 * not at high ones; D = 2000 ms, about 7 L: the gate needs about L,
 * failfast gets dozens of tries; R = 50 ms, the retry period of the
 * userspace of the dropped failfast drafts; U = 1000 ms, a request every
 * second, or at once after an update that took longer (updates never
 * overlap); N = 30 updates a point, so that one slow update is not the
 * whole tail, within S = 150 s.  The sweep is 1 2 4 8 16 32 64 builders,
 * then 64 builders with zero think time, where builds always overlap.
 *
 * Usage: tdx-bench [--loads B[/T] ...] [--build-ms L] [--pages P]
 *		    [--think-ms T] [--update-ms U] [--deadline-ms D]
 *		    [--retry-ms R] [--updates N] [--seconds S] [--pairs N]
 *		    [--policies NAME ...]
 *
 * Lists take blank-, comma- or colon-separated values, in one argument
 * or several; B/T gives a load its own mean think time.  --pairs sets
 * the begin/end pairs of the in-kernel cost (default 2000000; 0 skips
 * it), --policies the policies run (default all three).
 *
 * Output: "bench: ..." and "update: ..." lines of key=value pairs for
 * report.py, then a human summary.  Exits 0 if the run completed; it
 * does not judge the numbers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_vmlib.h"

#define MAX_LOADS		32
#define MAX_BUILDERS		256
#define NR_POLICIES		3
#define NR_CALIB_BUILDS		3
#define NR_CALIB_UPDATES	5
#define RESET_UPDATES		1000
#define IMAGE_PAGES		2
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define PAIRS_PATH		"/sys/module/tdx_sim_bench/parameters/pairs"

enum { POL_GATE, POL_FAILFAST, POL_NONE };

static const char * const policy_names[NR_POLICIES] = {
	[POL_GATE] = "gate",
	[POL_FAILFAST] = "failfast",
	[POL_NONE] = "none",
};

static struct {
	unsigned int loads[MAX_LOADS];
	int thinks[MAX_LOADS];		/* -1: the default think time */
	unsigned int nr_loads;
	bool policy[NR_POLICIES];
	unsigned int build_ms, pages, think_ms, update_ms, deadline_ms;
	unsigned int retry_ms, updates, seconds, pairs;
} opt = {
	.build_ms = 300,
	.pages = 4,
	.think_ms = 300,
	.update_ms = 1000,
	.deadline_ms = 2000,
	.retry_ms = 50,
	.updates = 30,
	.seconds = 150,
	.pairs = 2000000,
};

static const char default_loads[] = "1 2 4 8 16 32 64 64/0";

enum build_result { BUILD_OK, BUILD_WRONG_MRTD, BUILD_EIO, BUILD_FAILED };

/* One build, times in ms on CLOCK_MONOTONIC. */
struct build {
	double init_start;
	double init_end;
	double end;		/* finalize returned, or the TD was closed */
	bool held;		/* INIT_VM succeeded */
	enum build_result result;
	int err;
};

struct point;

struct builder {
	pthread_t thread;
	struct point *pt;
	unsigned int seed;
	unsigned char *pages;
	struct build *builds;
	size_t nr, cap;
	int fatal;		/* an error that ends the run */
};

struct update {
	double req;
	double done;
	double lb;
	double drain;		/* the last build ended before the update did */
	unsigned int inflight;	/* builds in flight at the request */
	unsigned int entered;	/* ... of which INIT_VM had not returned */
	unsigned int joined;	/* builds begun after it, ended before done */
	double info;		/* the last SEAMLDR.INFO (simulator's clock) */
	double shutdown;	/* the module shut down */
	double updated;		/* ... and ran again after TDH.SYS.UPDATE */
	unsigned int attempts;
	bool ok;
	bool met;
	char error[128];
};

struct point {
	int policy;
	unsigned int builders;
	unsigned int think_ms;
	double upd_cal;
	double init_cal;
	unsigned int next_update;	/* module version for the next image */
	unsigned int next_crypto;
	bool stop;			/* __atomic: builders end their loop */
	struct builder *b;
	struct update *ups;
	size_t nr_ups;
};

/* What the summary table shows of a point. */
struct summary {
	int policy;
	unsigned int builders, think_ms;
	unsigned int updates, ok, met, attempts, joined;
	double lat50, lat99, latmax, lb50, lb99, r50, r99, r99r;
	double upd_cal, init_cal, init50, init99;
	unsigned int builds, restarts, wrong, eio, failed;
};

static struct summary results[MAX_LOADS * NR_POLICIES];
static unsigned int nr_results;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile @p of @n values, sorted in place; 0 if none. */
static double pct(double *v, size_t n, unsigned int p)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (p * n + 99) / 100;
	return v[k ? k - 1 : 0];
}

static void sleep_until(double t)
{
	double now = vm_now_ms();

	if (t > now)
		vm_sleep_us((unsigned int)((t - now) * 1000));
}

/* ---- options ---- */

static int parse_uint(const char *s, unsigned int *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x > 1000000000UL)
		return -EINVAL;
	*v = (unsigned int)x;
	return 0;
}

/* Appends the loads in @s: "B" or "B/T", separated by blanks, ',' or ':'. */
static int add_loads(const char *s)
{
	char buf[256], *p = buf, *tok;
	unsigned int b, t;

	snprintf(buf, sizeof(buf), "%s", s);
	while ((tok = strsep(&p, " ,:"))) {
		char *slash = strchr(tok, '/');

		if (!*tok)
			continue;
		if (slash)
			*slash = '\0';
		if (parse_uint(tok, &b) || !b || b > MAX_BUILDERS ||
		    (slash && parse_uint(slash + 1, &t)) ||
		    opt.nr_loads == MAX_LOADS)
			return -EINVAL;
		opt.loads[opt.nr_loads] = b;
		opt.thinks[opt.nr_loads++] = slash ? (int)t : -1;
	}
	return 0;
}

static int add_policies(const char *s)
{
	char buf[128], *p = buf, *tok;
	int i;

	snprintf(buf, sizeof(buf), "%s", s);
	while ((tok = strsep(&p, " ,:"))) {
		if (!*tok)
			continue;
		for (i = 0; i < NR_POLICIES; i++)
			if (!strcmp(tok, policy_names[i]))
				break;
		if (i == NR_POLICIES)
			return -EINVAL;
		opt.policy[i] = true;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned int *val;
	unsigned int min, max;
} num_opts[] = {
	{ "--build-ms", &opt.build_ms, 1, 60000 },
	{ "--pages", &opt.pages, 1, TDX_TD_MAX_PAGES },
	{ "--think-ms", &opt.think_ms, 0, 60000 },
	{ "--update-ms", &opt.update_ms, 1, 600000 },
	{ "--deadline-ms", &opt.deadline_ms, 1, 3600000 },
	{ "--retry-ms", &opt.retry_ms, 1, 60000 },
	{ "--updates", &opt.updates, 1, 100000 },
	{ "--seconds", &opt.seconds, 1, 86400 },
	{ "--pairs", &opt.pairs, 0, 100000000 },
};

static int bad_args(void)
{
	fprintf(stderr,
		"usage: tdx-bench [--loads B[/T] ...] [--build-ms L] [--pages P]\n"
		"\t[--think-ms T] [--update-ms U] [--deadline-ms D] [--retry-ms R]\n"
		"\t[--updates N] [--seconds S] [--pairs N (0: skip)]\n"
		"\t[--policies NAME ...]\n");
	return 2;
}

static int parse_args(int argc, char **argv)
{
	bool any_policy = false;
	unsigned int j;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool list = !strcmp(a, "--loads") || !strcmp(a, "--policies");

		if (list) {
			bool loads = a[2] == 'l';
			int first = i + 1;

			while (i + 1 < argc && argv[i + 1][0] != '-') {
				i++;
				if (loads ? add_loads(argv[i]) :
					    add_policies(argv[i]))
					return -EINVAL;
			}
			if (i < first)
				return -EINVAL;
			any_policy |= !loads;
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(num_opts); j++)
			if (!strcmp(a, num_opts[j].name))
				break;
		if (j == ARRAY_SIZE(num_opts) ||
		    i + 1 == argc || parse_uint(argv[++i], num_opts[j].val) ||
		    *num_opts[j].val < num_opts[j].min ||
		    *num_opts[j].val > num_opts[j].max)
			return -EINVAL;
	}
	if (!opt.nr_loads && add_loads(default_loads))
		return -EINVAL;
	for (j = 0; j < NR_POLICIES && !any_policy; j++)
		opt.policy[j] = true;
	return 0;
}

/* ---- builders ---- */

static bool stopped(struct point *pt)
{
	return __atomic_load_n(&pt->stop, __ATOMIC_ACQUIRE);
}

static int record(struct builder *b, const struct build *rec)
{
	if (b->nr == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct build *n = realloc(b->builds, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->builds = n;
		b->cap = cap;
	}
	b->builds[b->nr++] = *rec;
	return 0;
}

/*
 * One build of @pages pages, @pause_us after each.  Fills @rec; returns
 * an error that should end the run (TDX dead, no device), else 0.
 */
static int build_one(struct builder *b, unsigned int pages,
		     unsigned int pause_us, struct build *rec)
{
	struct vm_td td;
	bool finalized;
	unsigned int i;
	int ret;

	memset(rec, 0, sizeof(*rec));
	ret = vm_td_open(&td, false);
	if (ret)
		return ret;
	rec->init_start = vm_now_ms();
	ret = vm_td_init(&td, pages);
	rec->init_end = vm_now_ms();
	rec->held = !ret;
	for (i = 0; !ret && i < pages; i++) {
		ret = vm_td_add(&td, b->pages + (size_t)i * VM_PAGE_SIZE, 1,
				true);
		if (!ret && pause_us)
			vm_sleep_us(pause_us);
	}
	if (!ret)
		ret = vm_td_finalize(&td);
	rec->end = vm_now_ms();
	finalized = !ret;
	if (finalized) {
		ret = vm_td_check(&td, NULL);
		if (ret >= 0) {
			rec->result = ret ? BUILD_OK : BUILD_WRONG_MRTD;
			ret = 0;
		}
	}
	vm_td_close(&td);
	/* A build that failed half way ends when its TD goes. */
	if (!finalized)
		rec->end = vm_now_ms();
	if (ret) {
		rec->result = ret == -EIO ? BUILD_EIO : BUILD_FAILED;
		rec->err = ret;
	}
	return ret == -ENXIO ? ret : 0;
}

static void *builder_main(void *arg)
{
	struct builder *b = arg;
	struct point *pt = b->pt;
	unsigned int pause_us = opt.build_ms * 1000 / opt.pages;
	struct build rec;

	/* Spread the builders over one build-and-think cycle. */
	vm_sleep_ms(rand_r(&b->seed) % (opt.build_ms + 2 * pt->think_ms + 1));
	while (!stopped(pt)) {
		b->fatal = build_one(b, opt.pages, pause_us, &rec);
		if (b->fatal)
			break;
		b->fatal = record(b, &rec);
		if (b->fatal)
			break;
		if (pt->think_ms)
			vm_sleep_ms(rand_r(&b->seed) % (2 * pt->think_ms + 1));
	}
	return NULL;
}

/* ---- updates ---- */

/*
 * One update as the policy's userspace would run it.  Returns 0 when the
 * sysfs ABI worked (the outcome is in @u), else -errno.
 */
static int update_one(struct point *pt, struct update *u)
{
	struct vm_upload up = { .poll_ms = opt.deadline_ms + 120000 };
	unsigned char *image;
	int ret;

	memset(u, 0, sizeof(*u));
	image = vm_make_image(pt->next_update, pt->next_crypto, IMAGE_PAGES,
			      &up.size);
	if (!image)
		return -ENOMEM;
	up.image = image;
	for (;;) {
		ret = vm_upload(&up);
		if (ret)
			break;
		if (!u->attempts++)
			u->req = up.start_ms;
		u->done = up.end_ms;
		if (!up.error[0]) {
			u->ok = true;
			/* Both are CLOCK_MONOTONIC, as vm_now_ms(). */
			u->info = vm_sim_long("info_ns") / 1e6;
			u->shutdown = vm_sim_long("shutdown_ns") / 1e6;
			u->updated = vm_sim_long("updated_ns") / 1e6;
			break;
		}
		if (pt->policy != POL_FAILFAST ||
		    !strstr(up.error, "device-busy") ||
		    vm_now_ms() + opt.retry_ms - u->req > opt.deadline_ms)
			break;
		vm_sleep_ms(opt.retry_ms);
	}
	free(image);
	if (ret)
		return ret;
	snprintf(u->error, sizeof(u->error), "%s",
		 up.error[0] ? up.error : "none");
	u->met = u->ok && u->done - u->req <= opt.deadline_ms;
	if (u->ok) {
		pt->next_update++;
		pt->next_crypto++;
	}
	return 0;
}

/* The no-contention references: INIT_VM alone, an update alone. */
static int calibrate(struct point *pt, struct builder *b)
{
	double init[NR_CALIB_BUILDS], upd[NR_CALIB_UPDATES];
	struct build rec;
	struct update u;
	int i, ret;

	for (i = 0; i < NR_CALIB_BUILDS; i++) {
		ret = build_one(b, 1, 0, &rec);
		if (ret || rec.result != BUILD_OK) {
			printf("bench: error: calibration build: %s\n",
			       rec.result == BUILD_WRONG_MRTD ? "wrong MRTD" :
			       strerror(ret ? -ret : -rec.err));
			return ret ? ret : -EIO;
		}
		init[i] = rec.init_end - rec.init_start;
	}
	for (i = 0; i < NR_CALIB_UPDATES; i++) {
		ret = update_one(pt, &u);
		if (ret || !u.ok) {
			printf("bench: error: calibration update failed (%s)\n",
			       ret ? strerror(-ret) : u.error);
			return ret ? ret : -EIO;
		}
		upd[i] = u.done - u.req;
	}
	pt->init_cal = pct(init, NR_CALIB_BUILDS, 50);
	pt->upd_cal = pct(upd, NR_CALIB_UPDATES, 50);
	return 0;
}

/* Sets the module up for a point: policy, fresh module, upload mode. */
static int prepare(struct point *pt)
{
	char val[16];
	int ret;

	ret = vm_sim_write("policy", "%s", policy_names[pt->policy]);
	if (!ret && !vm_read_is(VM_SIM_DIR "policy", policy_names[pt->policy]))
		ret = -EINVAL;
	if (!ret)
		ret = vm_sim_write("reset", "%u", RESET_UPDATES);
	if (!ret)
		ret = vm_write(VM_HOST_DIR "update_mode", "block");
	snprintf(val, sizeof(val), "%u", opt.deadline_ms);
	if (!ret)
		ret = vm_write(VM_HOST_DIR "update_timeout_ms", val);
	if (!ret)
		ret = vm_sim_running(&pt->next_update, &pt->next_crypto);
	if (ret) {
		printf("bench: error: cannot set the module up (%s)\n",
		       strerror(-ret));
		return ret;
	}
	pt->next_update++;
	pt->next_crypto++;
	return 0;
}

/*
 * The lower bound: the longest remaining time, at @u's request, of the
 * builds in flight, plus the update's own duration.  Also, to explain
 * the latency: when the last build that ended before the update did
 * ended, and how many of those began only after the request.
 */
static void lower_bound(struct point *pt, struct update *u)
{
	double rem = 0;
	unsigned int i;
	size_t j;

	for (i = 0; i < pt->builders; i++) {
		for (j = 0; j < pt->b[i].nr; j++) {
			const struct build *bd = &pt->b[i].builds[j];

			if (!bd->held || bd->end <= u->req)
				continue;
			if (bd->end < u->done && bd->end - u->req > u->drain)
				u->drain = bd->end - u->req;
			if (bd->init_start >= u->req) {
				u->joined += bd->end < u->done;
				continue;
			}
			/*
			 * INIT_VM called before the request, returned after
			 * it: the build held the gate at the request if the
			 * update waited for it; if it ended after the update,
			 * it waited behind it instead.
			 */
			if (bd->init_end >= u->req) {
				if (bd->end >= u->done)
					continue;
				u->entered++;
			}
			u->inflight++;
			if (bd->end - u->req > rem)
				rem = bd->end - u->req;
		}
	}
	u->lb = rem + pt->upd_cal;
}

/* Prints the point's lines and keeps its summary. */
static void report_point(struct point *pt)
{
	struct summary *s = &results[nr_results++];
	size_t n = pt->nr_ups, nb = 0, k, j;
	double *lat = calloc(n + 1, sizeof(double));
	double *lb = calloc(n + 1, sizeof(double));
	double *ratio = calloc(n + 1, sizeof(double));
	double *init;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->policy = pt->policy;
	s->builders = pt->builders;
	s->think_ms = pt->think_ms;
	s->upd_cal = pt->upd_cal;
	s->init_cal = pt->init_cal;
	for (i = 0; i < pt->builders; i++)
		nb += pt->b[i].nr;
	init = calloc(nb + 1, sizeof(double));
	if (!lat || !lb || !ratio || !init) {
		printf("bench: error: out of memory\n");
		exit(1);
	}
	for (k = 0; k < n; k++) {
		struct update *u = &pt->ups[k];

		lower_bound(pt, u);
		lat[k] = u->done - u->req;
		lb[k] = u->lb;
		ratio[k] = lat[k] / u->lb;
		s->ok += u->ok;
		s->met += u->met;
		s->attempts += u->attempts;
		s->joined += u->joined;
		printf("update: policy=%s builders=%u think_ms=%u seq=%zu ",
		       policy_names[pt->policy], pt->builders, pt->think_ms, k);
		printf("lat_ms=%.1f lb_ms=%.1f ratio=%.3f drain_ms=%.1f ",
		       lat[k], u->lb, ratio[k], u->drain);
		printf("inflight=%u entered=%u joined=%u ", u->inflight,
		       u->entered, u->joined);
		if (u->ok)
			printf("info_ms=%.1f shutdown_ms=%.1f updated_ms=%.1f ",
			       u->info - u->req, u->shutdown - u->req,
			       u->updated - u->req);
		printf("attempts=%u ok=%d met=%d error=%s\n", u->attempts,
		       u->ok, u->met, u->error);
	}
	nb = 0;
	for (i = 0; i < pt->builders; i++) {
		for (j = 0; j < pt->b[i].nr; j++) {
			const struct build *bd = &pt->b[i].builds[j];

			init[nb++] = bd->init_end - bd->init_start;
			s->wrong += bd->result == BUILD_WRONG_MRTD;
			s->eio += bd->result == BUILD_EIO;
			s->failed += bd->result == BUILD_FAILED;
		}
	}
	s->updates = n;
	s->builds = nb;
	s->restarts = s->wrong + s->eio;
	s->lat50 = pct(lat, n, 50);
	s->lat99 = pct(lat, n, 99);
	s->latmax = n ? lat[n - 1] : 0;
	s->lb50 = pct(lb, n, 50);
	s->lb99 = pct(lb, n, 99);
	s->r50 = pct(ratio, n, 50);
	s->r99 = pct(ratio, n, 99);
	s->r99r = s->lb99 > 0 ? s->lat99 / s->lb99 : 0;
	s->init50 = pct(init, nb, 50);
	s->init99 = pct(init, nb, 99);
	printf("bench: policy=%s builders=%u think_ms=%u ",
	       policy_names[s->policy], s->builders, s->think_ms);
	printf("updates=%u completed=%u met=%u attempts=%u ", s->updates,
	       s->ok, s->met, s->attempts);
	printf("lat_p50_ms=%.1f lat_p99_ms=%.1f lat_max_ms=%.1f ", s->lat50,
	       s->lat99, s->latmax);
	printf("lb_p50_ms=%.1f lb_p99_ms=%.1f upd_cal_ms=%.1f ", s->lb50,
	       s->lb99, s->upd_cal);
	printf("ratio_p50=%.3f ratio_p99=%.3f p99_over_lb_p99=%.3f ", s->r50,
	       s->r99, s->r99r);
	printf("joined=%u builds=%u init_p50_ms=%.2f init_p99_ms=%.2f ",
	       s->joined, s->builds, s->init50, s->init99);
	printf("init_solo_ms=%.2f ", s->init_cal);
	printf("restarts=%u wrong_mrtd=%u eio=%u failed=%u\n", s->restarts,
	       s->wrong, s->eio, s->failed);
	fflush(stdout);
	free(lat);
	free(lb);
	free(ratio);
	free(init);
}

static int run_point(int policy, unsigned int builders, unsigned int think)
{
	struct point pt = {
		.policy = policy, .builders = builders, .think_ms = think,
	};
	size_t max_ups = opt.updates;
	double start, warm, end;
	unsigned int i, started = 0;
	int ret;

	pt.b = calloc(builders, sizeof(*pt.b));
	pt.ups = calloc(max_ups, sizeof(*pt.ups));
	if (!pt.b || !pt.ups) {
		free(pt.b);
		free(pt.ups);
		return -ENOMEM;
	}
	for (i = 0; i < builders; i++) {
		pt.b[i].pt = &pt;
		pt.b[i].seed = 0x9e3779b9u * (i + 1) + builders * 131 + policy;
		pt.b[i].pages = malloc((size_t)opt.pages * VM_PAGE_SIZE);
		if (!pt.b[i].pages) {
			ret = -ENOMEM;
			goto out;
		}
		vm_fill(pt.b[i].pages, opt.pages, i + 1);
	}
	ret = prepare(&pt);
	if (!ret)
		ret = calibrate(&pt, &pt.b[0]);
	if (ret)
		goto out;

	start = vm_now_ms();
	for (; started < builders; started++) {
		ret = -pthread_create(&pt.b[started].thread, NULL,
				      builder_main, &pt.b[started]);
		if (ret)
			break;
	}
	/*
	 * Past the builders' spread start: every update sees steady state.
	 * An update that takes longer than U delays the next request; S
	 * caps the point's length.
	 */
	warm = start + opt.build_ms + 2 * think;
	end = warm + opt.seconds * 1000.0;
	for (i = 0; !ret && i < max_ups; i++) {
		double at = warm + (double)i * opt.update_ms;

		if (at >= end || vm_now_ms() >= end)
			break;
		sleep_until(at);
		ret = update_one(&pt, &pt.ups[pt.nr_ups]);
		if (!ret)
			pt.nr_ups++;
	}
	__atomic_store_n(&pt.stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++) {
		pthread_join(pt.b[i].thread, NULL);
		if (!ret && pt.b[i].fatal) {
			printf("bench: error: builder %u: %s\n", i,
			       strerror(-pt.b[i].fatal));
			ret = pt.b[i].fatal;
		}
	}
	if (ret)
		printf("bench: error: point policy=%s builders=%u failed (%s)\n",
		       policy_names[policy], builders, strerror(-ret));
	else
		report_point(&pt);
out:
	for (i = 0; i < builders; i++) {
		free(pt.b[i].pages);
		free(pt.b[i].builds);
	}
	free(pt.b);
	free(pt.ups);
	return ret;
}

/* ---- the in-kernel cost ---- */

static int kernel_cost(void)
{
	unsigned long long gate_ps, mutex_ps, rwsem_ps;
	unsigned int pairs;
	char buf[128], val[16];
	double t;
	int ret;

	if (!opt.pairs)
		return 0;
	ret = vm_sim_write("policy", "gate");
	snprintf(val, sizeof(val), "%u", opt.pairs);
	t = vm_now_ms();
	if (!ret)
		ret = vm_write(PAIRS_PATH, val);
	t = vm_now_ms() - t;
	if (!ret)
		ret = vm_read(PAIRS_PATH, buf, sizeof(buf));
	if (!ret && sscanf(buf, "pairs=%u gate_ps=%llu mutex_ps=%llu rwsem_ps=%llu",
			   &pairs, &gate_ps, &mutex_ps, &rwsem_ps) != 4)
		ret = -EINVAL;
	if (ret) {
		printf("bench: error: %s: %s\n", PAIRS_PATH, strerror(-ret));
		return ret;
	}
	printf("bench: cost pairs=%u gate_ps=%llu mutex_ps=%llu rwsem_ps=%llu",
	       pairs, gate_ps, mutex_ps, rwsem_ps);
	printf(" ratio=%.3f run_ms=%.0f\n",
	       mutex_ps ? (double)gate_ps / mutex_ps : 0.0, t);
	fflush(stdout);
	return 0;
}

/* ---- main ---- */

static void print_summary(double wall_s)
{
	unsigned int i;

	printf("\nSummary, %.0f s.  Times in ms; a missed update counts with\n",
	       wall_s);
	printf("the time it was given up at; r50/r99: per-update latency over\n");
	printf("its lower bound; init: INIT_VM wall time, waits included.\n");
	printf("%-8s %4s %5s %9s %7s %7s %7s %7s %7s %7s %9s %6s %6s %6s\n",
	       "policy", "B", "think", "met/upd", "lat50", "lat99", "LB99",
	       "p99/LB", "r50", "r99", "init50/99", "builds", "restrt",
	       "wrong");
	for (i = 0; i < nr_results; i++) {
		const struct summary *s = &results[i];
		char met[16], init[24];

		snprintf(met, sizeof(met), "%u/%u", s->met, s->updates);
		snprintf(init, sizeof(init), "%.0f/%.0f", s->init50,
			 s->init99);
		printf("%-8s %4u %5u %9s %7.0f %7.0f %7.0f %7.2f %7.2f %7.2f %9s %6u %6u %6u\n",
		       policy_names[s->policy], s->builders, s->think_ms, met,
		       s->lat50, s->lat99, s->lb99, s->r99r, s->r50, s->r99,
		       init, s->builds, s->restarts, s->wrong);
	}
}

/*
 * The guest's idle loop, from idle= on the kernel command line: "halt"
 * (the default) or what idle= says, e.g. "poll".
 */
static void guest_idle(char *buf, size_t size)
{
	char cmdline[1024];
	const char *p;

	snprintf(buf, size, "halt");
	if (vm_read("/proc/cmdline", cmdline, sizeof(cmdline)))
		return;
	for (p = strstr(cmdline, "idle="); p; p = strstr(p + 1, "idle=")) {
		if (p == cmdline || p[-1] == ' ') {
			snprintf(buf, size, "%.*s", (int)strcspn(p + 5, " "),
				 p + 5);
			return;
		}
	}
}

int main(int argc, char **argv)
{
	char mode[32] = "block", timeout[32] = "60000", list[512] = "";
	char idle[32];
	double t0 = vm_now_ms();
	unsigned int l, points = 0;
	int p, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv))
		return bad_args();
	for (l = 0; l < opt.nr_loads; l++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%u", l ? "," : "",
			 opt.loads[l]);
		if (opt.thinks[l] >= 0) {
			len = strlen(list);
			snprintf(list + len, sizeof(list) - len, "/%d",
				 opt.thinks[l]);
		}
	}
	printf("bench: config loads=%s build_ms=%u pages=%u think_ms=%u ",
	       list, opt.build_ms, opt.pages, opt.think_ms);
	printf("update_ms=%u deadline_ms=%u retry_ms=%u updates=%u ",
	       opt.update_ms, opt.deadline_ms, opt.retry_ms, opt.updates);
	guest_idle(idle, sizeof(idle));
	printf("seconds=%u pairs=%u idle=%s\n", opt.seconds, opt.pairs, idle);
	vm_read(VM_HOST_DIR "update_mode", mode, sizeof(mode));
	vm_read(VM_HOST_DIR "update_timeout_ms", timeout, sizeof(timeout));

	ret = kernel_cost();
	for (l = 0; !ret && l < opt.nr_loads; l++) {
		unsigned int think = opt.thinks[l] >= 0 ?
				     (unsigned int)opt.thinks[l] : opt.think_ms;

		for (p = 0; !ret && p < NR_POLICIES; p++) {
			if (!opt.policy[p])
				continue;
			ret = run_point(p, opt.loads[l], think);
			points += !ret;
		}
	}

	vm_sim_write("policy", "gate");
	vm_write(VM_HOST_DIR "update_mode", mode);
	vm_write(VM_HOST_DIR "update_timeout_ms", timeout);
	print_summary((vm_now_ms() - t0) / 1000);
	printf("bench: %s points=%u wall_s=%.0f\n", ret ? "incomplete" : "done",
	       points, (vm_now_ms() - t0) / 1000);
	return ret ? 1 : 0;
}
