// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-module-update - update the TDX module at runtime
 *
 * Uploads a TDX module image through the firmware-upload (fw_upload) sysfs
 * interface of the tdx_host driver (/sys/class/firmware/tdx_module), waits
 * for the kernel worker to finish and reports the outcome, with one exit
 * code per outcome (see --help).  The version and the state of the update
 * are read from /sys/devices/faux/tdx_host.
 *
 * The firmware loader keeps one image buffer per upload device, and a second
 * writer's "1" to loading discards the first one's data while both go on
 * writing: two uploads must never interleave.  So the tool holds an
 * exclusive flock(2) on /run/tdx-module-update.lock, with its PID in the
 * file, from before it touches the upload files until it is done with them;
 * a second invocation exits at once with its own code and names the holder.
 *
 * For testing, $TDX_SYSFS_ROOT is prepended to both sysfs directories and
 * to the lock file.
 *
 * SIGINT and SIGTERM are caught from the first statement of main() by a
 * handler that only records them; the upload code looks at the record at
 * safe points.  They request cancellation of the upload (repeated until the
 * driver can act on it, see deliver_cancel()), and the tool keeps polling
 * until the kernel reports the final outcome, so that the device-wide
 * settings changed by --nonblock and --timeout are always restored.
 *
 * Given a directory instead of an image, the tool works with Intel's
 * published TDX module releases (tdx-release.c): it picks the newest
 * release that can replace the running module without losing the TDs, or
 * the one named, converts it to the kernel's 0x200 image in memory and
 * uploads that.  --list and --plan show the choice without uploading,
 * --convert writes the image to a file.
 *
 * Plain C11 + POSIX, no libraries beyond libc, so that it can be linked
 * statically and run in a minimal (busybox) system.  The image checks are
 * the kernel's own (update_image.c, and the selftests' sha384.c), linked
 * in.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if __has_include("cpuid.h")
#include <cpuid.h>
#endif

#include "tdx-release.h"

#define PROG			"tdx-module-update"
#define FW_DIR			"/sys/class/firmware/tdx_module"
#define DEV_DIR			"/sys/devices/faux/tdx_host"
#define LOCK_FILE		"/run/tdx-module-update.lock"

#define POLL_MS			100
#define PROGRESS_MS		500
#define MAX_READ_FAILS		50	/* consecutive polls, i.e. 5 s */
#define LOCK_PID_TRIES		5	/* reads of the holder's PID, ... */
#define LOCK_PID_RETRY_MS	10	/* ... this far apart */
#define TIMEOUT_MAX_MS		3600000UL
#define ATTR_LEN		256
#define MSG_LEN			1024

/* As in the kernel; split in two so checkpatch does not flag the definition */
#define __printf(a, b)		__attribute__(\
				(format(printf, a, b)))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

enum outcome {
	OUT_SUCCESS		= 0,
	OUT_USAGE		= 2,
	OUT_BUSY		= 3,
	OUT_TIMEOUT		= 4,
	OUT_CANCELLED		= 5,
	OUT_INVALID_IMAGE	= 6,
	OUT_HW_ERROR		= 7,
	OUT_DEAD		= 8,
	OUT_NO_PERMISSION	= 9,
	OUT_NO_SUPPORT		= 10,
	OUT_NO_UPDATES		= 11,
	OUT_IO_ERROR		= 12,
	OUT_LOCKED		= 13,
	/* Release directories */
	OUT_NOTHING_LOADABLE	= 14,
	OUT_BAD_RELEASE_DIR	= 15,
	/* Release files that cannot be converted, one code per rule */
	OUT_TRUNCATED		= 20,
	OUT_BAD_SIGNATURE	= 21,
	OUT_BAD_VERSION		= 22,
	OUT_BAD_CHECKSUM	= 23,
	OUT_LENGTH_MISMATCH	= 24,
	OUT_BAD_LAYOUT		= 25,
	OUT_TOO_LARGE		= 26,
	OUT_RESERVED		= 27,
	OUT_BAD_SIGSTRUCT	= 28,
	OUT_IMAGE_CHECK		= 29,
};

static const struct {
	enum outcome code;
	const char *name;
	const char *help;
} outcomes[] = {
	{ OUT_SUCCESS, "success",
	  "the module was updated (also when a cancel came\n"
	  "too late)" },
	{ OUT_USAGE, "usage error",
	  "bad arguments, or the image cannot be read" },
	{ OUT_BUSY, "busy",
	  "device-busy: TD builds in flight in nonblock\n"
	  "mode, the backstop refused, or another update\n"
	  "runs; module unchanged" },
	{ OUT_TIMEOUT, "timeout",
	  "TD builds in flight did not finish before the\n"
	  "deadline (update_timeout_ms); module unchanged" },
	{ OUT_CANCELLED, "cancelled",
	  "user-abort: cancelled while waiting for TD\n"
	  "builds, or before the upload; module unchanged" },
	{ OUT_INVALID_IMAGE, "invalid image",
	  "invalid-file-size or firmware-invalid; module\n"
	  "unchanged" },
	{ OUT_HW_ERROR, "hardware error",
	  "hw-error, but the old module still runs" },
	{ OUT_DEAD, "module dead",
	  "hw-error and update_state \"dead\", or dead\n"
	  "before the update; TDX unusable until reboot" },
	{ OUT_NO_PERMISSION, "no permission",
	  "may not change the settings or upload (root\n"
	  "needed)" },
	{ OUT_NO_SUPPORT, "no update support",
	  "no fw_upload device, or hw-error with\n"
	  "update_state still \"unsupported\"" },
	{ OUT_NO_UPDATES, "no updates remaining",
	  "flash-wearout: the P-SEAMLDR takes no more\n"
	  "updates until reboot" },
	{ OUT_IO_ERROR, "I/O error",
	  "any other error: read-write-error, an unknown\n"
	  "error, a failed sysfs or lock file access" },
	{ OUT_LOCKED, "locked",
	  "another upload holds " LOCK_FILE "\n"
	  "(another tdx-module-update, or flock(1));\n"
	  "nothing was touched, retry when it has ended" },
	{ OUT_NOTHING_LOADABLE, "nothing loadable",
	  "no release in DIR can replace the running\n"
	  "module keeping the TDs (or not the one named\n"
	  "with --version); the message says why" },
	{ OUT_BAD_RELEASE_DIR, "bad release directory",
	  "DIR has no " REL_MAPPING_FILE ", or it is not\n"
	  "valid JSON or lacks a required field" },
	{ OUT_TRUNCATED, "truncated",
	  "shorter than its header, or than the length\n"
	  "its header gives" },
	{ OUT_BAD_SIGNATURE, "bad signature",
	  "no \"TDX-BLOB\" signature: not a module blob" },
	{ OUT_BAD_VERSION, "unknown version",
	  "a blob header version other than 0x100, 0x200" },
	{ OUT_BAD_CHECKSUM, "bad checksum",
	  "the 16-bit words of a 0x100 blob do not sum\n"
	  "to 0: it is corrupt" },
	{ OUT_LENGTH_MISMATCH, "length mismatch",
	  "longer than its header says" },
	{ OUT_BAD_LAYOUT, "bad module layout",
	  "the module offset is not 8 KiB plus whole\n"
	  "pages, or the module is empty or not whole\n"
	  "4 KiB pages" },
	{ OUT_TOO_LARGE, "module too large",
	  "more than 496 module pages" },
	{ OUT_RESERVED, "reserved not zero",
	  "a reserved byte of the blob is not zero" },
	{ OUT_BAD_SIGSTRUCT, "bad sigstruct",
	  "the sigstruct is not 2048 bytes, or its list\n"
	  "of CPUs does not fit in it" },
	{ OUT_IMAGE_CHECK, "image check failed",
	  "the kernel's image check refuses the result,\n"
	  "e.g. the module does not match its sigstruct's\n"
	  "digest" },
};

struct result {
	enum outcome outcome;
	char message[MSG_LEN];		/* one line: what happened, what to do */
	char error[ATTR_LEN];		/* raw "error" attribute, "" if none */
	char version_before[ATTR_LEN];	/* "" if unreadable */
	char version_after[ATTR_LEN];
	char state_after[ATTR_LEN];
	char backstop[ATTR_LEN];	/* update_backstop, "" if absent */
	int committed;			/* "0" written to loading */
	pid_t lock_holder;		/* OUT_LOCKED: its PID, 0 if unknown */
	char release[ATTR_LEN];		/* from a directory: its version */
	char release_file[MSG_LEN];	/* ... and file; "" for an IMAGE */
};

/* Previous values of the device-wide settings, restored after the upload */
struct saved_settings {
	char mode[ATTR_LEN];
	char timeout[ATTR_LEN];
	int mode_changed;
	int timeout_changed;
};

struct image {
	char *data;
	size_t size;
};

enum mode {
	MODE_UPLOAD,			/* IMAGE or DIR */
	MODE_LIST,
	MODE_PLAN,
	MODE_CONVERT,
};

static bool opt_json;
static bool opt_quiet;
static bool opt_nonblock;
static unsigned long opt_timeout_ms;	/* 0: --timeout not given */
static enum mode mode = MODE_UPLOAD;
static bool opt_debug;
static const char *opt_version;	/* --version: the release to load */
static const char *opt_running;	/* --running, --seamldr, --cpuid */
static const char *opt_seamldr;
static const char *opt_cpuid;

static const char *sysfs_root = "";
static int lock_fd = -1;
/* Set by the signal handler: a lock-free atomic, as C11 allows there */
static atomic_bool cancel_signalled;
static bool cancel_requested;
static bool cancel_delivered;
static bool cancel_warned;
static bool stderr_is_tty;
static int progress_len;		/* length of the \r progress line shown */
static struct timespec start_time;

/* Settings in effect for this upload, for messages */
static unsigned long timeout_in_effect_ms;	/* 0: unknown */
static bool nonblock_in_effect;

static unsigned long long ms_since(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - t->tv_sec) * 1000LL +
	     (now.tv_nsec - t->tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* End a "\r" progress line before anything else is printed to stderr */
static void progress_end(void)
{
	if (progress_len) {
		fputc('\n', stderr);
		progress_len = 0;
	}
}

static void __printf(1, 0)
vmsg(const char *fmt, va_list ap)
{
	progress_end();
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Informational message, suppressed by --quiet and --json */
static void __printf(1, 2)
info(const char *fmt, ...)
{
	va_list ap;

	if (opt_quiet || opt_json)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* Warning that is shown even with --quiet and --json (stdout stays JSON) */
static void __printf(1, 2)
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

static void __printf(3, 4)
set_outcome(struct result *res, enum outcome outcome, const char *fmt, ...)
{
	va_list ap;

	res->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static const char *outcome_name(enum outcome outcome)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(outcomes); i++)
		if (outcomes[i].code == outcome)
			return outcomes[i].name;
	return "unknown";
}

static void fw_path(char *buf, size_t size, const char *attr)
{
	snprintf(buf, size, "%s" FW_DIR "/%s", sysfs_root, attr);
}

static void dev_path(char *buf, size_t size, const char *attr)
{
	snprintf(buf, size, "%s" DEV_DIR "/%s", sysfs_root, attr);
}

/*
 * Read a sysfs attribute into @buf (always NUL-terminated) and strip the
 * trailing newline.  Returns 0 or -errno; @buf is "" on error.
 */
static int read_attr(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			len = 0;
			break;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);

	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return err;
}

static int read_fw(const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	fw_path(path, sizeof(path), attr);
	return read_attr(path, buf, size);
}

static int read_dev(const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	dev_path(path, sizeof(path), attr);
	return read_attr(path, buf, size);
}

/* Write all of @len bytes, coping with short writes. 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

static int write_attr(const char *path, const char *val)
{
	int fd, err, cerr;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = write_all(fd, val, strlen(val));
	cerr = close(fd) ? -errno : 0;
	return err ? err : cerr;
}

static int write_fw(const char *attr, const char *val)
{
	char path[PATH_MAX];

	fw_path(path, sizeof(path), attr);
	return write_attr(path, val);
}

static int write_dev(const char *attr, const char *val)
{
	char path[PATH_MAX];

	dev_path(path, sizeof(path), attr);
	return write_attr(path, val);
}

/* Map a failed write of sysfs file @what to an outcome */
static void write_failed(struct result *res, const char *what, int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		set_outcome(res, OUT_NO_PERMISSION,
			    "cannot write %s (%s); run as root (the image upload needs CAP_SYS_RAWIO)",
			    what, strerror(-err));
		break;
	case -EBUSY:
		set_outcome(res, OUT_BUSY,
			    "writing %s failed: %s; another firmware upload is running, retry when it has finished",
			    what, strerror(-err));
		break;
	default:
		set_outcome(res, OUT_IO_ERROR,
			    "writing %s failed: %s; check dmesg", what,
			    strerror(-err));
		break;
	}
}

/* Map a failed read of sysfs file @what to an outcome */
static void read_failed(struct result *res, const char *what, int err)
{
	if (err == -EACCES || err == -EPERM)
		set_outcome(res, OUT_NO_PERMISSION,
			    "cannot read %s (%s); run as root",
			    what, strerror(-err));
	else
		set_outcome(res, OUT_IO_ERROR,
			    "reading %s failed: %s; check dmesg", what,
			    strerror(-err));
}

/* Sleep for @ms, or less if a signal handler runs */
static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	nanosleep(&ts, NULL);
}

/*
 * Sleep up to @wait_ms (not at all for 0), less if SIGINT or SIGTERM comes,
 * and return whether one has come since the start.  The first one is
 * announced.  One that comes just before the sleep is seen after it: at
 * most one poll interval late.
 */
static bool cancel_signal(unsigned int wait_ms)
{
	/* Not for an unannounced one; the handler cuts it short (EINTR) */
	if (wait_ms && (cancel_requested || !cancel_signalled))
		sleep_ms(wait_ms);
	if (!cancel_signalled)
		return false;
	if (!cancel_requested && !opt_json)
		warnmsg("cancelling...");
	cancel_requested = true;
	return true;
}

static void cancel_handler(int sig)
{
	(void)sig;
	cancel_signalled = true;
}

/*
 * Called first in main(), so that SIGINT and SIGTERM never take their
 * default action (death without a word, exit status 130 or 143), however
 * early they come.  Both are blocked while the handlers are installed and
 * then unblocked explicitly: a mask inherited with them blocked is cleared,
 * and one already pending reaches the handler here.
 */
static void setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	/*
	 * A handler also catches a SIGINT that the parent shell ignores, as
	 * for background jobs.  SA_RESTART: no sysfs access fails with EINTR.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cancel_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/*
	 * Neither a lost terminal nor a closed pipe may kill the tool while
	 * the device-wide settings are changed: finish and restore them.
	 */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);

	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static int load_image(struct result *res, const char *file, struct image *img)
{
	char msg[MSG_LEN];
	u8 *data;
	int ret;

	ret = rel_read_file(file, &data, &img->size, msg, sizeof(msg));
	img->data = (char *)data;
	if (ret == -EFBIG) {
		set_outcome(res, OUT_USAGE,
			    "image %s is %lu MiB or larger; is it really a TDX module image?",
			    file, REL_FILE_MAX_SIZE >> 20);
		return -1;
	}
	if (ret) {
		set_outcome(res, OUT_USAGE, "cannot read image %s: %s", file,
			    strerror(-ret));
		return -1;
	}
	if (!img->size) {
		set_outcome(res, OUT_USAGE,
			    "image %s is empty; give a TDX module image file",
			    file);
		return -1;
	}
	return 0;
}

/*
 * The holder of the lock on @fd: the PID it wrote into the file, checked
 * against /proc, and its command name in @comm ("" if unknown).  Returns 0
 * if the file names no running process.  That is a holder that does not
 * write its PID (flock(1) in a script), or one that has just taken the lock
 * and not written it yet: hence a few tries.  A stale PID is left in
 * @stale_pid.
 */
static pid_t lock_holder(int fd, char *comm, size_t size, pid_t *stale_pid)
{
	char buf[32], path[64], *end;
	struct stat st;
	ssize_t n;
	long pid;
	int i, err;

	*stale_pid = 0;
	for (i = 0; i < LOCK_PID_TRIES; i++) {
		if (i)
			sleep_ms(LOCK_PID_RETRY_MS);
		comm[0] = '\0';
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		errno = 0;
		pid = strtol(buf, &end, 10);
		if (errno || end == buf || pid <= 0 || pid > INT_MAX ||
		    (*end && *end != '\n'))
			continue;

		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		err = read_attr(path, comm, size);
		/* Without procfs, or not allowed to look: take it as it is */
		if (err != -ENOENT || stat("/proc/self", &st))
			return pid;
		*stale_pid = pid;
	}
	comm[0] = '\0';
	return 0;
}

/*
 * Take the lock that keeps two uploads from interleaving, without waiting,
 * and write our PID into it for the next one.  It is held until
 * release_lock(), or until the tool exits.  Returns 0, or -1 with the
 * outcome set.
 */
static int take_lock(struct result *res)
{
	char path[PATH_MAX], comm[ATTR_LEN], buf[32];
	pid_t pid, stale;
	int fd, err, len;

	/*
	 * The directory is not created: /run is there on any system that
	 * has the upload device, and a missing one is better reported than
	 * made up under a mistyped $TDX_SYSFS_ROOT.
	 */
	snprintf(path, sizeof(path), "%s" LOCK_FILE, sysfs_root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		if (err == EACCES || err == EPERM)
			set_outcome(res, OUT_NO_PERMISSION,
				    "cannot open the lock file %s (%s); run as root",
				    path, strerror(err));
		else
			set_outcome(res, OUT_IO_ERROR,
				    "cannot open the lock file %s: %s; its directory must exist and be writable",
				    path, strerror(err));
		return -1;
	}

	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno;
		if (err != EWOULDBLOCK) {
			close(fd);
			set_outcome(res, OUT_IO_ERROR,
				    "cannot lock %s: %s", path, strerror(err));
			return -1;
		}
		pid = lock_holder(fd, comm, sizeof(comm), &stale);
		close(fd);
		res->lock_holder = pid;
		if (pid && *comm)
			set_outcome(res, OUT_LOCKED,
				    "another upload is running: %s is held by pid %d (%s); nothing was touched, retry when it has ended",
				    path, (int)pid, comm);
		else if (pid)
			set_outcome(res, OUT_LOCKED,
				    "another upload is running: %s is held by pid %d; nothing was touched, retry when it has ended",
				    path, (int)pid);
		else if (stale)
			set_outcome(res, OUT_LOCKED,
				    "another upload is running: %s is held by a process that did not write its PID there (pid %d in it has exited); nothing was touched, retry when it has ended",
				    path, (int)stale);
		else
			set_outcome(res, OUT_LOCKED,
				    "another upload is running: %s is held by a process that did not write its PID there; nothing was touched, retry when it has ended",
				    path);
		return -1;
	}

	/* Only for the message of the next one: a failure is no reason to stop */
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0))
		err = -errno;
	else
		err = write_all(fd, buf, len);
	if (err)
		warnmsg("cannot write the PID into %s: %s", path,
			strerror(-err));
	lock_fd = fd;
	return 0;
}

static void release_lock(void)
{
	if (lock_fd < 0)
		return;
	/*
	 * No PID of ours left behind, where it could name an unrelated
	 * process once the PID is reused
	 */
	if (ftruncate(lock_fd, 0))
		warnmsg("cannot clear the PID in the lock file: %s",
			strerror(errno));
	close(lock_fd);
	lock_fd = -1;
}

/*
 * What keeps this update out of a TD build, as update_backstop names it:
 * the kernel's update gate always, and where the module offers
 * UPDATE_COMPAT also the module's own refusal.
 */
static const char *backstop_text(const char *backstop)
{
	static const char * const texts[] = {
		"avoid-compat-sensitive (the module offers UPDATE_COMPAT and refuses an update inside a TD build, behind the kernel's update gate)",
		"none (the module lacks UPDATE_COMPAT, as every released module does; the kernel's update gate alone keeps the update out of TD builds)",
	};

	if (!strcmp(backstop, "avoid-compat-sensitive"))
		return texts[0];
	if (!strcmp(backstop, "none"))
		return texts[1];
	return backstop;
}

/*
 * Read and show the state before the update, and refuse early when the
 * update cannot work.  Returns 0 to go on, -1 with the outcome set.
 */
static int probe(struct result *res)
{
	char state[ATTR_LEN], builds[ATTR_LEN], remaining[ATTR_LEN];
	char status[ATTR_LEN], mode[ATTR_LEN], timeout[ATTR_LEN];
	char path[PATH_MAX], extra[4 * ATTR_LEN];
	int version_err, state_err, len = 0;
	struct stat st;

	version_err = read_dev("version", res->version_before,
			       sizeof(res->version_before));
	state_err = read_dev("update_state", state, sizeof(state));

	extra[0] = '\0';
	if (!state_err)
		len += snprintf(extra + len, sizeof(extra) - len,
				", update_state %s", state);
	if (!read_dev("builds_in_flight", builds, sizeof(builds)))
		len += snprintf(extra + len, sizeof(extra) - len,
				", builds_in_flight %s", builds);
	if (!read_dev("num_remaining_updates", remaining, sizeof(remaining)))
		snprintf(extra + len, sizeof(extra) - len,
			 ", num_remaining_updates %s", remaining);
	info("TDX module version %s%s",
	     version_err ? "unknown" : res->version_before, extra);
	/* Kernels before the backstop have no such attribute */
	if (!read_dev("update_backstop", res->backstop, sizeof(res->backstop)))
		info("backstop: %s", backstop_text(res->backstop));
	else
		res->backstop[0] = '\0';

	if (version_err == -ENXIO || (!state_err && !strcmp(state, "dead"))) {
		set_outcome(res, OUT_DEAD,
			    "the TDX module is dead after an earlier failure; TDX is unusable until reboot");
		return -1;
	}

	snprintf(path, sizeof(path), "%s" FW_DIR, sysfs_root);
	if (stat(path, &st) && errno == EACCES) {
		read_failed(res, path, -errno);
		return -1;
	}
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		set_outcome(res, OUT_NO_SUPPORT,
			    "%s does not exist: the tdx_host driver is not loaded, or this TDX module cannot be updated at runtime; load the new module by rebooting",
			    path);
		return -1;
	}
	/*
	 * "unsupported": the running module cannot be updated at runtime,
	 * or the P-SEAMLDR cannot be called.  The kernel refuses the upload
	 * and the outcome says so; let it decide.
	 */
	if (!state_err && !strcmp(state, "unsupported"))
		info("update_state reads unsupported; the kernel will likely refuse the update");

	if (!read_fw("status", status, sizeof(status)) &&
	    strcmp(status, "idle")) {
		set_outcome(res, OUT_BUSY,
			    "another firmware upload is running (status %s); retry when it has finished",
			    status);
		return -1;
	}
	if (!state_err && (!strcmp(state, "waiting") ||
			   !strcmp(state, "updating"))) {
		set_outcome(res, OUT_BUSY,
			    "another update is running (update_state %s); retry when it has finished",
			    state);
		return -1;
	}

	/* Only for messages; apply_settings() reads them again */
	if (!read_dev("update_mode", mode, sizeof(mode)))
		nonblock_in_effect = !strcmp(mode, "nonblock");
	if (!read_dev("update_timeout_ms", timeout, sizeof(timeout)))
		timeout_in_effect_ms = strtoul(timeout, NULL, 10);
	if (opt_nonblock)
		nonblock_in_effect = true;
	if (opt_timeout_ms)
		timeout_in_effect_ms = opt_timeout_ms;
	return 0;
}

/* Set one device-wide setting, remembering the previous value */
static int change_setting(struct result *res, const char *attr,
			  const char *val, char *prev, size_t prev_size,
			  int *changed)
{
	char path[PATH_MAX];
	int err;

	dev_path(path, sizeof(path), attr);
	err = read_attr(path, prev, prev_size);
	if (err) {
		read_failed(res, path, err);
		return -1;
	}
	err = write_attr(path, val);
	if (err) {
		write_failed(res, path, err);
		return -1;
	}
	*changed = 1;
	info("%s %s -> %s (device-wide, restored after the upload)", attr,
	     prev, val);
	return 0;
}

static int apply_settings(struct result *res, struct saved_settings *saved)
{
	char val[32];

	if (opt_nonblock &&
	    change_setting(res, "update_mode", "nonblock", saved->mode,
			   sizeof(saved->mode), &saved->mode_changed))
		return -1;

	if (opt_timeout_ms) {
		snprintf(val, sizeof(val), "%lu", opt_timeout_ms);
		if (change_setting(res, "update_timeout_ms", val,
				   saved->timeout, sizeof(saved->timeout),
				   &saved->timeout_changed))
			return -1;
	}
	return 0;
}

static void restore_setting(const char *attr, const char *val)
{
	int err = write_dev(attr, val);

	if (err)
		warnmsg("WARNING: restoring %s to %s failed: %s; set it back by hand",
			attr, val, strerror(-err));
}

static void restore_settings(struct saved_settings *saved)
{
	if (saved->mode_changed)
		restore_setting("update_mode", saved->mode);
	if (saved->timeout_changed)
		restore_setting("update_timeout_ms", saved->timeout);
}

/*
 * The driver acts on a cancel from the start of prepare until the point of
 * no return; one written before, while the firmware loader still receives
 * the image, finds nothing to call off.  So the cancel is written on every
 * poll until it has been written in update_state "waiting", or the update
 * is past the point of no return ("updating").
 */
static void deliver_cancel(const char *state)
{
	bool waiting = !strcmp(state, "waiting");
	bool updating = !strcmp(state, "updating");
	int err;

	err = write_fw("cancel", "1");
	/* ENODEV: the upload has already finished */
	if (err && err != -ENODEV && !cancel_warned) {
		cancel_warned = true;
		warnmsg("writing cancel failed: %s", strerror(-err));
	}
	if (waiting || updating)
		cancel_delivered = true;
}

static void show_progress(const char *status, const char *state,
			  unsigned long long ms)
{
	char line[MSG_LEN], builds[ATTR_LEN];
	unsigned long n;
	int len;

	if (!strcmp(state, "waiting")) {
		if (read_dev("builds_in_flight", builds, sizeof(builds))) {
			len = snprintf(line, sizeof(line),
				       "waiting for TD builds in flight");
		} else {
			n = strtoul(builds, NULL, 10);
			len = snprintf(line, sizeof(line),
				       "waiting for %lu TD build%s in flight",
				       n, n == 1 ? "" : "s");
		}
		len += snprintf(line + len, sizeof(line) - len,
				" (state waiting), %llu.%llu s", ms / 1000,
				ms % 1000 / 100);
		if (timeout_in_effect_ms && !nonblock_in_effect)
			snprintf(line + len, sizeof(line) - len,
				 " of %lu.%lu s", timeout_in_effect_ms / 1000,
				 timeout_in_effect_ms % 1000 / 100);
	} else if (!strcmp(state, "updating")) {
		snprintf(line, sizeof(line),
			 "updating (state updating), %llu.%llu s",
			 ms / 1000, ms % 1000 / 100);
	} else {
		snprintf(line, sizeof(line), "%s (state %s), %llu.%llu s",
			 status, *state ? state : "unknown", ms / 1000,
			 ms % 1000 / 100);
	}

	if (stderr_is_tty) {
		len = strlen(line);
		fprintf(stderr, "\r%s: %s%*s", PROG, line,
			progress_len > len ? progress_len - len : 0, "");
		progress_len = len;
	} else {
		fprintf(stderr, "%s: %s\n", PROG, line);
	}
}

/*
 * Poll status until the upload worker is idle again, then read the error.
 * Returns 0, or -1 with the outcome set.
 */
static int wait_for_idle(struct result *res)
{
	unsigned long long ms, last_progress = 0;
	char status[ATTR_LEN], state[ATTR_LEN];
	struct timespec start;
	int err, fails = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		cancel_signal(POLL_MS);

		err = read_fw("status", status, sizeof(status));
		if (!err && !strcmp(status, "idle")) {
			err = read_fw("error", res->error, sizeof(res->error));
			if (!err)
				break;
			/* EBUSY: somebody else started the next upload */
			if (++fails < MAX_READ_FAILS)
				continue;
			progress_end();
			read_failed(res, "error", err);
			return -1;
		}
		if (err) {
			if (++fails < MAX_READ_FAILS)
				continue;
			progress_end();
			read_failed(res, "status", err);
			return -1;
		}
		fails = 0;

		read_dev("update_state", state, sizeof(state));
		if (cancel_requested && !cancel_delivered)
			deliver_cancel(state);

		ms = ms_since(&start);
		if (!opt_quiet && !opt_json &&
		    ms - last_progress >= PROGRESS_MS) {
			show_progress(status, state, ms);
			last_progress = ms;
		}
	}
	progress_end();
	return 0;
}

/* Map the error attribute after a finished upload to the outcome */
static void map_error(struct result *res, bool dead_after)
{
	const char *err = strchr(res->error, ':');
	char builds[ATTR_LEN];

	err = err ? err + 1 : res->error;

	if (!*res->error) {
		if (cancel_requested)
			set_outcome(res, OUT_SUCCESS,
				    "the cancel came too late: the update was past the point of no return and the new module is running");
		else
			set_outcome(res, OUT_SUCCESS,
				    "the TDX module was updated");
	} else if (!strcmp(err, "device-busy")) {
		if (nonblock_in_effect)
			set_outcome(res, OUT_BUSY,
				    "TD builds were in flight and the update may not wait (nonblock mode); retry, or use blocking mode");
		else
			set_outcome(res, OUT_BUSY,
				    "the update was refused as busy (another update runs, or the compatibility backstop refused); the module is unchanged, retry later");
	} else if (!strcmp(err, "timeout")) {
		if (read_dev("builds_in_flight", builds, sizeof(builds)))
			snprintf(builds, sizeof(builds), "?");
		if (timeout_in_effect_ms)
			set_outcome(res, OUT_TIMEOUT,
				    "TD builds in flight did not finish within %lu ms; the module is unchanged. builds_in_flight (now %s) shows what blocks it; retry, or raise --timeout",
				    timeout_in_effect_ms, builds);
		else
			set_outcome(res, OUT_TIMEOUT,
				    "TD builds in flight did not finish within update_timeout_ms; the module is unchanged. builds_in_flight (now %s) shows what blocks it; retry, or raise --timeout",
				    builds);
	} else if (!strcmp(err, "user-abort")) {
		set_outcome(res, OUT_CANCELLED,
			    "the update was cancelled while waiting for TD builds; the module is unchanged");
	} else if (!strcmp(err, "invalid-file-size")) {
		set_outcome(res, OUT_INVALID_IMAGE,
			    "the image was rejected: invalid-file-size (its length does not match its header); the module is unchanged, check that the file is complete");
	} else if (!strcmp(err, "firmware-invalid")) {
		set_outcome(res, OUT_INVALID_IMAGE,
			    "the image was rejected: firmware-invalid (it breaks a format rule); the module is unchanged, check that it is a TDX module image for this platform");
	} else if (!strcmp(err, "hw-error")) {
		if (!strcmp(res->state_after, "unsupported"))
			set_outcome(res, OUT_NO_SUPPORT,
				    "the TDX module does not support runtime update (update_state unsupported); load the new module by rebooting");
		else if (dead_after)
			set_outcome(res, OUT_DEAD,
				    "the update failed after the old module was shut down; TDX is unusable until reboot");
		else
			set_outcome(res, OUT_HW_ERROR,
				    "the update failed (hw-error) but the old module still runs (update_state %s); check dmesg",
				    *res->state_after ? res->state_after :
				    "unknown");
	} else if (!strcmp(err, "flash-wearout")) {
		set_outcome(res, OUT_NO_UPDATES,
			    "the P-SEAMLDR accepts no more updates until reboot (num_remaining_updates is 0); load the new module by rebooting");
	} else if (!strcmp(err, "read-write-error")) {
		set_outcome(res, OUT_IO_ERROR,
			    "the kernel failed to handle the image (read-write-error: out of memory or similar); check dmesg and retry");
	} else {
		set_outcome(res, OUT_IO_ERROR,
			    "the update failed with unknown error \"%s\"; check dmesg",
			    res->error);
	}
}

/* Abort an upload that was started but not committed */
static void abort_upload(void)
{
	int err = write_fw("loading", "-1");

	if (err)
		warnmsg("writing -1 to loading failed: %s", strerror(-err));
}

/*
 * Hand the image to the kernel: "1" to loading, the image to data, "0" to
 * loading.  Returns 0 once committed, or -1 with the outcome set.
 */
static int start_upload(struct result *res, const struct image *img,
			const char *file)
{
	char path[PATH_MAX];
	size_t off = 0, len;
	int fd, err;

	info("uploading %s (%zu bytes)", file, img->size);

	fw_path(path, sizeof(path), "loading");
	err = write_attr(path, "1");
	if (err) {
		write_failed(res, path, err);
		return -1;
	}

	fw_path(path, sizeof(path), "data");
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		abort_upload();
		write_failed(res, path, err);
		return -1;
	}
	while (off < img->size) {
		if (cancel_signal(0)) {
			close(fd);
			abort_upload();
			set_outcome(res, OUT_CANCELLED,
				    "cancelled while writing the image; the module is unchanged");
			return -1;
		}
		len = img->size - off;
		if (len > 65536)
			len = 65536;
		err = write_all(fd, img->data + off, len);
		if (err) {
			close(fd);
			abort_upload();
			/* ENODEV: the previous upload is still being handled */
			if (err == -ENODEV)
				err = -EBUSY;
			write_failed(res, path, err);
			return -1;
		}
		off += len;
	}
	if (close(fd)) {
		err = -errno;
		abort_upload();
		write_failed(res, path, err);
		return -1;
	}

	if (cancel_signal(0)) {
		abort_upload();
		set_outcome(res, OUT_CANCELLED,
			    "cancelled before the image was handed over; the module is unchanged");
		return -1;
	}

	fw_path(path, sizeof(path), "loading");
	err = write_attr(path, "0");
	if (err) {
		abort_upload();
		write_failed(res, path, err);
		return -1;
	}
	res->committed = 1;
	return 0;
}

/*
 * Upload @img, which is freed, with the lock held: it is released at the
 * end.  @label names the image in messages.
 */
static void upload(struct result *res, struct image *img, const char *label)
{
	struct saved_settings saved;
	bool dead_after;
	int err;

	memset(&saved, 0, sizeof(saved));

	if (probe(res)) {
		/* outcome set */
	} else if (cancel_signal(0)) {
		set_outcome(res, OUT_CANCELLED,
			    "cancelled before the update started; nothing was changed");
	} else if (!apply_settings(res, &saved)) {
		if (cancel_signal(0))
			set_outcome(res, OUT_CANCELLED,
				    "cancelled before the update started; the module is unchanged");
		else if (!start_upload(res, img, label))
			wait_for_idle(res);
	}
	restore_settings(&saved);
	free(img->data);
	img->data = NULL;

	err = read_dev("version", res->version_after,
		       sizeof(res->version_after));
	read_dev("update_state", res->state_after, sizeof(res->state_after));
	dead_after = err == -ENXIO || !strcmp(res->state_after, "dead");
	/* The upload has ended and the settings are restored */
	release_lock();

	if (!res->committed)
		return;
	if (!res->message[0])
		map_error(res, dead_after);
	info("version %s -> %s%s",
	     *res->version_before ? res->version_before : "unknown",
	     err == -ENXIO ? "none (module dead)" :
	     *res->version_after ? res->version_after : "unknown",
	     *res->version_after &&
	     !strcmp(res->version_before, res->version_after) ?
	     " (unchanged)" : "");
}

static void json_string(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* Upload the image in @file, as given */
static void run_file(struct result *res, const char *file)
{
	struct image img;

	if (load_image(res, file, &img))
		return;
	if (take_lock(res)) {
		free(img.data);
		return;
	}
	upload(res, &img, file);
}

/* ---- Release directories ---- */

/* Set once the mode's own output is printed: report() adds nothing */
static bool output_done;
/* Uploading from a release directory */
static bool from_release;

/* Where the facts the rules are checked against came from */
struct machine_src {
	const char *running;
	const char *seamldr;
	const char *cpuid;
};

/* CPUID.1.EAX of this CPU: 0, or -1 without the cpuid instruction */
static int cpu_signature(unsigned int *eax)
{
#if __has_include("cpuid.h")
	unsigned int a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d)) {
		*eax = a;
		return 0;
	}
#else
	(void)eax;
#endif
	return -1;
}

/* A --cpuid value: hex, "0x" optional, at most 8 digits */
static int parse_cpuid(const char *s, unsigned int *eax)
{
	unsigned long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || strlen(s) > 8 || !strchr("0123456789abcdefABCDEF", *s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end)
		return -1;
	*eax = v;
	return 0;
}

/*
 * The version in tdx_host attribute @attr, e.g. "1.5.06".  @opt is the
 * option that can give it instead, named in the message where --list and
 * --plan could use it.  0, or -1 with the outcome set.
 */
static int read_version_attr(struct result *res, const char *attr,
			     const char *opt, struct rel_version *v)
{
	char path[PATH_MAX], buf[ATTR_LEN], hint[64] = "";
	int err;

	if (mode != MODE_UPLOAD)
		snprintf(hint, sizeof(hint), "; or give %s X.Y.Z", opt);
	dev_path(path, sizeof(path), attr);
	err = read_attr(path, buf, sizeof(buf));
	if (err == -ENXIO) {
		set_outcome(res, OUT_DEAD,
			    "reading %s: the TDX module is dead after an earlier failure; TDX is unusable until reboot",
			    path);
	} else if (err == -ENOENT) {
		set_outcome(res, OUT_NO_SUPPORT,
			    "%s does not exist: no TDX module here, or the tdx_host driver is not loaded%s",
			    path, hint);
	} else if (err == -EACCES || err == -EPERM) {
		set_outcome(res, OUT_NO_PERMISSION,
			    "cannot read %s (%s); run as root%s", path,
			    strerror(-err), hint);
	} else if (err) {
		set_outcome(res, OUT_IO_ERROR, "reading %s failed: %s%s",
			    path, strerror(-err), hint);
	} else if (rel_version_parse(buf, v)) {
		set_outcome(res, OUT_IO_ERROR,
			    "%s reads \"%s\", not a version X.Y.Z%s", path, buf,
			    hint);
	} else {
		return 0;
	}
	return -1;
}

/*
 * What the rules are checked against: the options where given (checked
 * when they were parsed), else the running module's and the P-SEAMLDR's
 * versions from tdx_host and this CPU's signature.
 */
static int read_machine(struct result *res, struct rel_machine *m,
			struct machine_src *src)
{
	memset(m, 0, sizeof(*m));
	m->allow_debug = opt_debug;

	src->running = opt_running ? "option" : "sysfs";
	if (opt_running)
		rel_version_parse(opt_running, &m->running);
	else if (read_version_attr(res, "version", "--running", &m->running))
		return -1;

	src->seamldr = opt_seamldr ? "option" : "sysfs";
	if (opt_seamldr)
		rel_version_parse(opt_seamldr, &m->seamldr);
	else if (read_version_attr(res, "seamldr_version", "--seamldr",
				   &m->seamldr))
		return -1;

	src->cpuid = opt_cpuid ? "option" : "cpu";
	if (opt_cpuid) {
		parse_cpuid(opt_cpuid, &m->cpuid);
	} else if (cpu_signature(&m->cpuid)) {
		set_outcome(res, OUT_NO_SUPPORT,
			    "this CPU has no cpuid instruction%s",
			    mode == MODE_UPLOAD ? "" : "; give --cpuid EAX");
		return -1;
	}
	return 0;
}

static int open_dir(struct result *res, struct rel_dir *dir, const char *path)
{
	char msg[MSG_LEN];

	if (!rel_dir_open(dir, path, msg, sizeof(msg)))
		return 0;
	set_outcome(res, OUT_BAD_RELEASE_DIR, "%s", msg);
	rel_dir_free(dir);
	return -1;
}

/* --list and --plan: the directory, the machine, each release judged */
static int evaluate_dir(struct result *res, struct rel_dir *dir,
			const char *path, struct rel_machine *m,
			struct machine_src *src)
{
	if (open_dir(res, dir, path))
		return -1;
	if (read_machine(res, m, src)) {
		rel_dir_free(dir);
		return -1;
	}
	rel_dir_evaluate(dir, m);
	return 0;
}

static void print_machine(const struct rel_machine *m,
			  const struct machine_src *src)
{
	char running[16], seamldr[16];

	rel_version_str(&m->running, running, sizeof(running));
	rel_version_str(&m->seamldr, seamldr, sizeof(seamldr));
	printf("running module %s (%s), ", running,
	       strcmp(src->running, "option") ? "sysfs" : "--running");
	printf("P-SEAMLDR %s (%s), ", seamldr,
	       strcmp(src->seamldr, "option") ? "sysfs" : "--seamldr");
	printf("CPUID.1.EAX 0x%08x (%s); debug modules %s\n", m->cpuid,
	       strcmp(src->cpuid, "option") ? "this CPU" : "--cpuid",
	       m->allow_debug ? "allowed (--debug)" : "not allowed");
}

static void json_machine(const struct rel_machine *m,
			 const struct machine_src *src)
{
	char buf[16];

	rel_version_str(&m->running, buf, sizeof(buf));
	printf("\"running\": ");
	json_string(buf);
	printf(", \"running_from\": ");
	json_string(src->running);
	rel_version_str(&m->seamldr, buf, sizeof(buf));
	printf(", \"seamldr\": ");
	json_string(buf);
	printf(", \"seamldr_from\": ");
	json_string(src->seamldr);
	printf(", \"cpuid\": \"0x%08x\", \"cpuid_from\": ", m->cpuid);
	json_string(src->cpuid);
	printf(", \"debug_allowed\": %s", m->allow_debug ? "true" : "false");
}

static void json_string_or_null(const char *s)
{
	if (s && *s)
		json_string(s);
	else
		printf("null");
}

static const char *debug_text(int debug)
{
	return debug < 0 ? "?" : debug ? "yes" : "no";
}

static void json_candidate(const struct rel_candidate *c)
{
	printf("{\"version\": ");
	json_string(c->version);
	printf(", \"kind\": ");
	json_string(rel_kind_name(c->kind));
	printf(", \"file\": ");
	json_string_or_null(c->file);
	printf(", \"sigstruct_file\": ");
	json_string_or_null(c->sigstruct_file);
	printf(", \"in_mapping\": %s", c->entry ? "true" : "false");
	printf(", \"debug\": %s", c->debug < 0 ? "null" :
	       c->debug ? "true" : "false");
	printf(", \"loadable\": %s", c->reason == REL_LOADABLE ?
	       "true" : "false");
	printf(", \"reason\": ");
	if (c->reason == REL_LOADABLE)
		printf("null");
	else
		json_string(rel_reason_name(c->reason));
	printf(", \"error\": ");
	json_string_or_null(c->error ? rel_error_name(c->error) : NULL);
	printf(", \"message\": ");
	json_string(c->message);
	printf("}");
}

/* --list DIR */
static void run_list(struct result *res, const char *path)
{
	struct machine_src src;
	struct rel_machine m;
	struct rel_dir dir;
	size_t i, loadable = 0;
	const struct rel_candidate *c;

	if (evaluate_dir(res, &dir, path, &m, &src))
		return;
	for (i = 0; i < dir.nr_cands; i++)
		loadable += dir.cands[i].reason == REL_LOADABLE;
	set_outcome(res, OUT_SUCCESS, "%zu releases, %zu loadable",
		    dir.nr_cands, loadable);
	output_done = true;

	if (opt_json) {
		printf("{\"outcome\": \"success\", \"exit_code\": 0, \"directory\": ");
		json_string(path);
		printf(", ");
		json_machine(&m, &src);
		printf(", \"loadable\": %zu, \"releases\": [", loadable);
		for (i = 0; i < dir.nr_cands; i++) {
			printf("%s", i ? ", " : "");
			json_candidate(&dir.cands[i]);
		}
		printf("]}\n");
	} else {
		printf("%s: %zu release file sets, %zu loadable\n", path,
		       dir.nr_cands, loadable);
		print_machine(&m, &src);
		printf("%-9s %-12s %-5s %s\n", "VERSION", "KIND", "DEBUG",
		       "LOADABLE, OR WHY NOT");
		for (i = 0; i < dir.nr_cands; i++) {
			c = &dir.cands[i];
			printf("%-9s %-12s %-5s ", c->version,
			       rel_kind_name(c->kind), debug_text(c->debug));
			if (c->reason == REL_LOADABLE)
				printf("yes: %s\n", c->file);
			else
				printf("no (%s): %s\n",
				       rel_reason_name(c->reason), c->message);
		}
	}
	fflush(stdout);
	rel_dir_free(&dir);
}

/* --plan DIR */
static void run_plan(struct result *res, const char *path)
{
	const struct rel_candidate *c;
	char msg[MSG_LEN], running[16];
	enum rel_reason reason = REL_LOADABLE;
	struct machine_src src;
	struct rel_machine m;
	struct rel_dir dir;

	if (evaluate_dir(res, &dir, path, &m, &src))
		return;
	c = rel_dir_plan(&dir, opt_version, &m, &reason, msg, sizeof(msg));
	rel_version_str(&m.running, running, sizeof(running));
	if (c)
		set_outcome(res, OUT_SUCCESS, "update %s -> %s from %s (%s)",
			    running, c->version, c->file,
			    rel_kind_name(c->kind));
	else
		set_outcome(res, OUT_NOTHING_LOADABLE, "%s", msg);
	output_done = true;

	if (opt_json) {
		printf("{\"outcome\": ");
		json_string(c ? "found" : outcome_name(res->outcome));
		printf(", \"exit_code\": %d, ", res->outcome);
		json_machine(&m, &src);
		printf(", \"version\": ");
		json_string_or_null(c ? c->version : opt_version);
		printf(", \"kind\": ");
		json_string_or_null(c ? rel_kind_name(c->kind) : NULL);
		printf(", \"file\": ");
		json_string_or_null(c ? c->file : NULL);
		printf(", \"debug\": %s", !c ? "null" :
		       c->debug ? "true" : "false");
		printf(", \"reason\": ");
		json_string_or_null(c ? NULL : rel_reason_name(reason));
		printf(", \"message\": ");
		json_string(res->message);
		printf("}\n");
	} else if (c) {
		printf("plan: %s\n", res->message);
	} else {
		printf("plan: nothing loadable (%s): %s\n",
		       rel_reason_name(reason), res->message);
	}
	fflush(stdout);
	rel_dir_free(&dir);
}

/* DIR, or --version X.Y.Z DIR: choose, convert and upload */
static void run_release(struct result *res, const char *path)
{
	enum rel_reason reason = REL_LOADABLE;
	const struct rel_candidate *c;
	struct machine_src src;
	struct rel_machine m;
	struct rel_dir dir;
	char msg[MSG_LEN];
	struct image img;

	from_release = true;
	if (open_dir(res, &dir, path))
		return;
	/* The running module may not change between choice and upload */
	if (take_lock(res)) {
		rel_dir_free(&dir);
		return;
	}
	if (read_machine(res, &m, &src))
		goto out;
	rel_dir_evaluate(&dir, &m);
	c = rel_dir_plan(&dir, opt_version, &m, &reason, msg, sizeof(msg));
	if (!c) {
		set_outcome(res, OUT_NOTHING_LOADABLE,
			    "%s (%s); nothing was uploaded", msg,
			    rel_reason_name(reason));
		goto out;
	}

	img.size = c->image.size;
	img.data = malloc(img.size);
	if (!img.data) {
		set_outcome(res, OUT_IO_ERROR, "out of memory");
		goto out;
	}
	memcpy(img.data, c->image.data, img.size);
	snprintf(res->release, sizeof(res->release), "%s", c->version);
	snprintf(res->release_file, sizeof(res->release_file), "%s/%s", path,
		 c->file);
	info("release %s: %s (%s%s), converted to a 0x200 image", c->version,
	     res->release_file, rel_kind_name(c->kind),
	     c->debug ? ", debug module" : "");
	rel_dir_free(&dir);
	upload(res, &img, res->release_file);
	return;
out:
	release_lock();
	rel_dir_free(&dir);
}

/* ---- --convert IN OUT ---- */

static enum outcome convert_outcome(enum rel_error err)
{
	static const enum outcome map[REL_NR_ERRORS] = {
		[REL_OK]		= OUT_SUCCESS,
		[REL_TRUNCATED]		= OUT_TRUNCATED,
		[REL_BAD_SIGNATURE]	= OUT_BAD_SIGNATURE,
		[REL_BAD_VERSION]	= OUT_BAD_VERSION,
		[REL_BAD_CHECKSUM]	= OUT_BAD_CHECKSUM,
		[REL_LENGTH_MISMATCH]	= OUT_LENGTH_MISMATCH,
		[REL_BAD_LAYOUT]	= OUT_BAD_LAYOUT,
		[REL_TOO_LARGE]		= OUT_TOO_LARGE,
		[REL_RESERVED]		= OUT_RESERVED,
		[REL_BAD_SIGSTRUCT]	= OUT_BAD_SIGSTRUCT,
		[REL_IMAGE_CHECK]	= OUT_IMAGE_CHECK,
		[REL_NO_FILE]		= OUT_USAGE,
		[REL_READ_ERROR]	= OUT_IO_ERROR,
	};

	return (unsigned int)err < REL_NR_ERRORS ? map[err] : OUT_IO_ERROR;
}

/*
 * Write @size bytes to @out all or nothing: into a temporary file beside
 * it, renamed over it once complete.  0, or -1 with the outcome set.
 */
static int write_file_atomic(struct result *res, const char *out,
			     const void *data, size_t size)
{
	char tmp[PATH_MAX];
	mode_t mask;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= (int)sizeof(tmp)) {
		set_outcome(res, OUT_USAGE, "output name too long: %s", out);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		set_outcome(res, OUT_IO_ERROR,
			    "cannot create a temporary file beside %s: %s",
			    out, strerror(errno));
		return -1;
	}
	mask = umask(0);
	umask(mask);
	err = write_all(fd, data, size);
	if (!err && fchmod(fd, 0644 & ~mask))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, out))
		err = -errno;
	if (err) {
		unlink(tmp);
		set_outcome(res, OUT_IO_ERROR,
			    "cannot write %s: %s; nothing was written there",
			    out, strerror(-err));
		return -1;
	}
	return 0;
}

/* The .sigstruct beside a .bin, or "" */
static void sigstruct_beside(const char *in, char *buf, size_t size)
{
	size_t len = strlen(in);
	struct stat st;

	buf[0] = '\0';
	if (len < 4 || strcmp(in + len - 4, ".bin"))
		return;
	snprintf(buf, size, "%.*s.sigstruct", (int)(len - 4), in);
	if (stat(buf, &st))
		buf[0] = '\0';
}

static void run_convert(struct result *res, const char *in, const char *out)
{
	char sig_path[PATH_MAX], msg[MSG_LEN];
	size_t size, sig_size = 0;
	struct rel_image img;
	u8 *data, *sig = NULL;
	enum rel_error err;
	int rerr;

	/* A full disk or file size limit is an error, not death */
	signal(SIGXFSZ, SIG_IGN);

	rerr = rel_read_file(in, &data, &size, msg, sizeof(msg));
	if (rerr) {
		set_outcome(res, rerr == -ENOMEM ? OUT_IO_ERROR : OUT_USAGE,
			    "%s", msg);
		return;
	}
	sigstruct_beside(in, sig_path, sizeof(sig_path));
	if (*sig_path &&
	    rel_read_file(sig_path, &sig, &sig_size, msg, sizeof(msg))) {
		free(data);
		set_outcome(res, OUT_USAGE, "%s", msg);
		return;
	}

	err = rel_convert(data, size, sig, sig_size, &img, msg, sizeof(msg));
	free(data);
	free(sig);
	if (err) {
		set_outcome(res, convert_outcome(err), "%s%s%s: %s", in,
			    *sig_path ? " with " : "", sig_path, msg);
		if (err == REL_BAD_SIGNATURE && !*sig_path &&
		    strlen(in) > 4 && !strcmp(in + strlen(in) - 4, ".bin"))
			snprintf(res->message + strlen(res->message),
				 sizeof(res->message) - strlen(res->message),
				 " (a module .bin needs its .sigstruct beside it)");
		return;
	}
	if (!write_file_atomic(res, out, img.data, img.size))
		set_outcome(res, OUT_SUCCESS,
			    "%s (%s%s): wrote %s, a 0x200 image of %zu bytes with %u module pages, a %s module listing %u CPUs",
			    in, rel_kind_name(img.kind),
			    *sig_path ? " with its .sigstruct" : "", out,
			    img.size, img.module_pages,
			    img.debug ? "debug" : "production", img.nr_cpus);
	if (opt_json && res->outcome == OUT_SUCCESS) {
		printf("{\"outcome\": \"success\", \"exit_code\": 0, \"input_kind\": ");
		json_string(rel_kind_name(img.kind));
		printf(", \"output\": ");
		json_string(out);
		printf(", \"size\": %zu, \"module_pages\": %u", img.size,
		       img.module_pages);
		printf(", \"debug\": %s, \"cpus\": %u, \"message\": ",
		       img.debug ? "true" : "false", img.nr_cpus);
		json_string(res->message);
		printf("}\n");
		fflush(stdout);
		output_done = true;
	}
	rel_image_free(&img);
}

static void report(const struct result *res)
{
	if (output_done)
		return;
	if (opt_json && mode != MODE_UPLOAD) {
		printf("{\"outcome\": ");
		json_string(outcome_name(res->outcome));
		printf(", \"exit_code\": %d, \"message\": ", res->outcome);
		json_string(res->message);
		printf("}\n");
		fflush(stdout);
		return;
	}
	if (opt_json) {
		printf("{\"outcome\": ");
		json_string(outcome_name(res->outcome));
		printf(", \"exit_code\": %d, \"error\": ", res->outcome);
		json_string(res->error);
		printf(", \"version_before\": ");
		json_string(res->version_before);
		printf(", \"version_after\": ");
		json_string(res->version_after);
		printf(", \"elapsed_ms\": %llu, \"cancel_requested\": %s",
		       ms_since(&start_time),
		       cancel_requested ? "true" : "false");
		printf(", \"state_after\": ");
		json_string(res->state_after);
		printf(", \"backstop\": ");
		if (*res->backstop)
			json_string(res->backstop);
		else
			printf("null");
		if (res->outcome == OUT_LOCKED && res->lock_holder)
			printf(", \"lock_holder_pid\": %d",
			       (int)res->lock_holder);
		else
			printf(", \"lock_holder_pid\": null");
		/* Only from a DIR: the keys of an IMAGE upload stay as they were */
		if (from_release) {
			printf(", \"release\": ");
			json_string_or_null(res->release);
			printf(", \"release_file\": ");
			json_string_or_null(res->release_file);
			printf(", \"message\": ");
			json_string(res->message);
		}
		printf("}\n");
		fflush(stdout);
		return;
	}

	/* --quiet: only failures, and the answer to a cancel */
	if (opt_quiet && res->outcome == OUT_SUCCESS && !cancel_requested)
		return;
	warnmsg("%s: %s", outcome_name(res->outcome), res->message);
	if (res->outcome == OUT_USAGE)
		fprintf(stderr, "Try '%s --help' for more information.\n",
			PROG);
}

static void print_help(void)
{
	size_t i;
	const char *p;

	printf("Usage: %s [UPLOAD] IMAGE\n"
	       "       %s [UPLOAD] [--debug] [--version X.Y.Z] DIR\n"
	       "       %s --list [--json] [--debug] [MACHINE] DIR\n"
	       "       %s --plan [--json] [--debug] [--version X.Y.Z] [MACHINE] DIR\n"
	       "       %s --convert [--json] IN OUT\n"
	       "       %s --help\n"
	       "UPLOAD:  [--nonblock] [--timeout MS] [--json] [--quiet]\n"
	       "MACHINE: [--running X.Y.Z] [--seamldr X.Y.Z] [--cpuid EAX]\n"
	       "\n"
	       "Update the TDX module at runtime.  IMAGE (a tdx_blob 0x200 image) is\n"
	       "uploaded as it is, through the firmware-upload interface in\n"
	       "  " FW_DIR "\n"
	       "and the version and the update state are read from\n"
	       "  " DEV_DIR "\n"
	       "The tool waits for the kernel to finish and reports the outcome.  All\n"
	       "messages go to stderr.\n"
	       "\n"
	       "Upload options (UPLOAD):\n"
	       "  --nonblock    do not wait for TD builds in flight; fail with \"busy\"\n"
	       "                instead (writes \"nonblock\" to update_mode)\n"
	       "  --timeout MS  wait at most MS milliseconds, 1..3600000, for TD builds in\n"
	       "                flight (writes MS to update_timeout_ms)\n"
	       "  --json        print one JSON object with the result on stdout, and no\n"
	       "                messages on stderr\n"
	       "  --quiet       no progress or information; print only failures\n"
	       "  --help        show this help and exit\n"
	       "\n"
	       "update_mode and update_timeout_ms are device-wide settings: --nonblock and\n"
	       "--timeout change them for everybody while the upload runs.  Their previous\n"
	       "values are read first and restored after the upload.\n"
	       "\n"
	       "Ctrl-C (SIGINT) or SIGTERM asks the kernel to cancel the update and waits\n"
	       "for the final outcome.  A cancel is only possible while waiting for TD\n"
	       "builds; once the update is past the point of no return it completes, and\n"
	       "the tool then reports success.  One that comes before the upload has\n"
	       "started ends the tool with \"cancelled\", and nothing is changed.\n"
	       "\n"
	       "Two uploads must never run at once.  While it uploads, the tool holds an\n"
	       "exclusive lock (flock) on\n"
	       "  " LOCK_FILE "\n"
	       "with its PID in the file; another invocation then exits with \"locked\"\n"
	       "and names the holder, without touching the upload files.  Anything else\n"
	       "that writes to the upload files should take the same lock, e.g. with\n"
	       "flock(1).\n"
	       "\n"
	       "The image upload needs root (CAP_SYS_RAWIO).\n"
	       "\n"
	       "Release directories.  DIR is a TDX module release as Intel publishes\n"
	       "it, unpacked: " REL_MAPPING_FILE ", joined_files/<major.minor>/\n"
	       "tdx_module_<x.y.z>.blob (0x100 blobs, or 0x200 images) and\n"
	       "separate_files/<major.minor>/<x.y.z>/tdx_module_<x.y.z>.bin and .sigstruct.\n"
	       "Given DIR, the tool chooses the newest release that can replace the\n"
	       "running module with the TDs kept (or the one --version names, and\n"
	       "refuses it if it cannot), converts it to a 0x200 image in memory,\n"
	       "checks it with the kernel's own image checks and uploads it as above.\n"
	       "A release is loadable if, checked in this order:\n"
	       "  - " REL_MAPPING_FILE " lists it (not-in-mapping);\n"
	       "  - it has the running module's major.minor (other-line);\n"
	       "  - its update number is above the running one (older,\n"
	       "    already-running: the same one is not newer);\n"
	       "  - the running module is at least its\n"
	       "    min_module_version_for_td_preserving (below-min-td-preserving);\n"
	       "  - the P-SEAMLDR has the major.minor of one of its\n"
	       "    min_seamldr_versions and at least its update (seamldr-too-old);\n"
	       "  - its files are there (no-file) and well formed (checksum, format);\n"
	       "  - its sigstruct lists this CPU's CPUID.1.EAX, the stepping\n"
	       "    (bits 3:0) ignored (cpu-not-listed);\n"
	       "  - it is not a debug module, unless --debug is given (debug).\n"
	       "The first rule a release breaks is the reason shown (in parentheses\n"
	       "above).  Of one version, the joined file is preferred.  The running\n"
	       "version and the P-SEAMLDR's are read from " DEV_DIR "/version\n"
	       "and seamldr_version (root only), the CPU's signature with cpuid.\n"
	       "\n"
	       "  --list        list every release in DIR: version, kind (0x100-blob,\n"
	       "                0x200-image, separate; blob or none if unreadable),\n"
	       "                debug or not, and whether it is loadable here, or why not\n"
	       "  --plan        show the release an upload from DIR would load, or why\n"
	       "                there is none (exit code 14); uploads nothing\n"
	       "  --version X.Y.Z  load (or plan) that release, not the newest\n"
	       "  --debug       allow debug modules\n"
	       "  --running X.Y.Z, --seamldr X.Y.Z, --cpuid EAX\n"
	       "                with --list and --plan, check against these instead of\n"
	       "                this machine's (EAX: CPUID.1.EAX in hex); they then\n"
	       "                need neither TDX nor root\n"
	       "  --convert     write IN, a 0x100 blob, a .bin with its .sigstruct beside\n"
	       "                it, or a 0x200 image (checked, then copied), to OUT as a\n"
	       "                0x200 image; OUT is replaced only when complete\n"
	       "\n"
	       "Exit codes (outcome, meaning):\n",
	       PROG, PROG, PROG, PROG, PROG, PROG);

	for (i = 0; i < ARRAY_SIZE(outcomes); i++) {
		printf("  %2d  %-21s ", outcomes[i].code, outcomes[i].name);
		for (p = outcomes[i].help; *p; p++) {
			putchar(*p);
			if (*p == '\n')
				printf("%*s", 4 + 2 + 22, "");
		}
		putchar('\n');
	}

	printf("\n"
	       "--json prints {\"outcome\", \"exit_code\", \"error\" (raw error attribute,\n"
	       "\"\" on success or if nothing was uploaded), \"version_before\",\n"
	       "\"version_after\", \"elapsed_ms\" (run time of the tool),\n"
	       "\"cancel_requested\", \"state_after\" (update_state at the end),\n"
	       "\"backstop\" (update_backstop: \"none\" or \"avoid-compat-sensitive\";\n"
	       "null where the kernel has no such attribute or it was not read),\n"
	       "\"lock_holder_pid\" (for \"locked\": the holder's PID; else, or if\n"
	       "unknown, null)}; from a DIR also \"release\", \"release_file\" (the\n"
	       "version and file chosen, or null) and \"message\".  With --list,\n"
	       "--plan and --convert it prints their result, or {\"outcome\",\n"
	       "\"exit_code\", \"message\"} on an error.\n"
	       "\n"
	       "Environment:\n"
	       "  TDX_SYSFS_ROOT  prefix for both sysfs directories and the lock file (for\n"
	       "                  testing), default \"\"\n");
}

/* Parse a --timeout value: decimal milliseconds, 1..TIMEOUT_MAX_MS */
static unsigned long parse_timeout(const char *s)
{
	unsigned long val;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	val = strtoul(s, &end, 10);
	if (errno || *end || val > TIMEOUT_MAX_MS)
		return 0;
	return val;
}

/* The first usage error wins: set it only if none is set */
static void __printf(2, 3)
usage_error(struct result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->message[0])
		return;
	res->outcome = OUT_USAGE;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static void set_mode(struct result *res, enum mode m)
{
	if (mode != MODE_UPLOAD && mode != m)
		usage_error(res,
			    "give only one of --list, --plan and --convert");
	mode = m;
}

/* Combinations of options and arguments that make no sense */
static void check_usage(struct result *res, int nargs, char **args)
{
	bool machine = opt_running || opt_seamldr || opt_cpuid;
	struct stat st;

	if ((mode == MODE_CONVERT && nargs != 2) ||
	    (mode != MODE_CONVERT && nargs != 1)) {
		if (mode == MODE_CONVERT)
			usage_error(res, "--convert needs IN and OUT");
		else if (mode != MODE_UPLOAD)
			usage_error(res, nargs ? "more than one DIR given" :
				    "no DIR given");
		else
			usage_error(res, nargs ? "more than one IMAGE given" :
				    "no IMAGE given");
		return;
	}
	if (machine && mode != MODE_LIST && mode != MODE_PLAN)
		usage_error(res,
			    "--running, --seamldr and --cpuid go only with --list and --plan; an upload checks the machine itself");
	if ((opt_nonblock || opt_timeout_ms) && mode != MODE_UPLOAD)
		usage_error(res, "--nonblock and --timeout go only with an upload");
	if (opt_quiet && (mode == MODE_LIST || mode == MODE_PLAN))
		usage_error(res, "--quiet does not go with --list and --plan");
	if (opt_version && mode != MODE_UPLOAD && mode != MODE_PLAN)
		usage_error(res, "--version goes only with --plan or a DIR to upload from");
	if (opt_debug && mode == MODE_CONVERT)
		usage_error(res, "--debug does not go with --convert");
	if (mode == MODE_UPLOAD && (opt_version || opt_debug) &&
	    (stat(args[0], &st) || !S_ISDIR(st.st_mode)))
		usage_error(res, "%s is not a release directory: --version and --debug need one",
			    args[0]);
}

/* What the mode asks for, on the arguments check_usage() accepted */
static void run(struct result *res, char **args)
{
	struct stat st;

	switch (mode) {
	case MODE_LIST:
		run_list(res, args[0]);
		break;
	case MODE_PLAN:
		run_plan(res, args[0]);
		break;
	case MODE_CONVERT:
		run_convert(res, args[0], args[1]);
		break;
	case MODE_UPLOAD:
		if (!stat(args[0], &st) && S_ISDIR(st.st_mode))
			run_release(res, args[0]);
		else
			run_file(res, args[0]);
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "nonblock",	no_argument,		NULL, 'n' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "list",	no_argument,		NULL, 'L' },
		{ "plan",	no_argument,		NULL, 'P' },
		{ "convert",	no_argument,		NULL, 'C' },
		{ "version",	required_argument,	NULL, 'V' },
		{ "debug",	no_argument,		NULL, 'D' },
		{ "running",	required_argument,	NULL, 'R' },
		{ "seamldr",	required_argument,	NULL, 'S' },
		{ "cpuid",	required_argument,	NULL, 'U' },
		{ NULL,		0,			NULL, 0 },
	};
	struct rel_version ver;
	struct result res;
	const char *root;
	unsigned int eax;
	int c;

	setup_signals();
	clock_gettime(CLOCK_MONOTONIC, &start_time);
	memset(&res, 0, sizeof(res));
	stderr_is_tty = isatty(STDERR_FILENO);
	root = getenv("TDX_SYSFS_ROOT");
	if (root)
		sysfs_root = root;

	/* Collect the first usage error; --json may come after it */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt_nonblock = true;
			break;
		case 't':
			opt_timeout_ms = parse_timeout(optarg);
			if (!opt_timeout_ms)
				usage_error(&res,
					    "invalid --timeout '%s': give milliseconds, 1..%lu",
					    optarg, TIMEOUT_MAX_MS);
			break;
		case 'j':
			opt_json = true;
			break;
		case 'q':
			opt_quiet = true;
			break;
		case 'h':
			print_help();
			return 0;
		case 'L':
			set_mode(&res, MODE_LIST);
			break;
		case 'P':
			set_mode(&res, MODE_PLAN);
			break;
		case 'C':
			set_mode(&res, MODE_CONVERT);
			break;
		case 'D':
			opt_debug = true;
			break;
		case 'V':
		case 'R':
		case 'S':
			if (rel_version_parse(optarg, &ver))
				usage_error(&res,
					    "invalid %s '%s': give a version X.Y.Z, e.g. 1.5.06",
					    c == 'V' ? "--version" :
					    c == 'R' ? "--running" : "--seamldr",
					    optarg);
			if (c == 'V')
				opt_version = optarg;
			else if (c == 'R')
				opt_running = optarg;
			else
				opt_seamldr = optarg;
			break;
		case 'U':
			if (parse_cpuid(optarg, &eax))
				usage_error(&res,
					    "invalid --cpuid '%s': give CPUID.1.EAX in hex, e.g. 0x806f8",
					    optarg);
			opt_cpuid = optarg;
			break;
		case ':':
			usage_error(&res, "option '%s' needs a value",
				    argv[optind - 1]);
			break;
		default:
			if (optopt)
				usage_error(&res, "unknown option '-%c'",
					    optopt);
			else
				usage_error(&res, "unknown option '%s'",
					    argv[optind - 1]);
			break;
		}
	}
	check_usage(&res, argc - optind, argv + optind);
	if (!res.message[0])
		run(&res, argv + optind);

	report(&res);
	return res.outcome;
}
