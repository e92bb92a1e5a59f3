// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the programs that run in the test VM; see
 * tdx_vmlib.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tdx_vmlib.h"

#define VM_CHUNK_SIZE	256
#define VM_RECORD_SIZE	128
#define VM_UPLOAD_POLL_MS	120000

/* What every image keeps of the running module, but the update number. */
#define VM_MOD_MAJOR		1
#define VM_MOD_MINOR		5
#define VM_MOD_HANDOFF		4
#define VM_MOD_MIN_HANDOFF	2
#define VM_MOD_FEATURES0	((1ULL << 1) | (1ULL << 47))

double vm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

void vm_sleep_us(unsigned int us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void vm_sleep_ms(unsigned int ms)
{
	vm_sleep_us(ms * 1000);
}

int vm_read(const char *path, char *buf, size_t size)
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

int vm_write(const char *path, const char *val)
{
	char buf[256];
	ssize_t n;
	int fd, err, len;

	len = snprintf(buf, sizeof(buf), "%s\n", val);
	if (len < 0 || len >= (int)sizeof(buf))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return n == len ? 0 : -EIO;
}

long vm_read_long(const char *path)
{
	char buf[64], *end;
	long v;
	int ret = vm_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < 0)
		return -EINVAL;
	return v;
}

bool vm_read_is(const char *path, const char *want)
{
	char buf[128];

	return !vm_read(path, buf, sizeof(buf)) && !strcmp(buf, want);
}

bool vm_wait_for(const char *path, const char *want, unsigned int timeout_ms)
{
	double end = vm_now_ms() + timeout_ms;

	while (!vm_read_is(path, want)) {
		if (vm_now_ms() > end)
			return false;
		vm_sleep_ms(2);
	}
	return true;
}

int vm_sim_write(const char *param, const char *fmt, ...)
{
	char path[128], val[192];
	va_list ap;

	snprintf(path, sizeof(path), VM_SIM_DIR "%s", param);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return vm_write(path, val);
}

long vm_sim_long(const char *param)
{
	char path[128];

	snprintf(path, sizeof(path), VM_SIM_DIR "%s", param);
	return vm_read_long(path);
}

int vm_sim_fault(unsigned long long leaf, int cpu, unsigned int skip,
		 unsigned int times, unsigned long long status)
{
	return vm_sim_write("fault", "%#llx %d %u %u %#llx", leaf, cpu, skip,
			    times, status);
}

int vm_sim_running(unsigned int *update, unsigned int *crypto)
{
	unsigned int major, minor;
	char buf[64];
	int ret = vm_read(VM_SIM_DIR "running", buf, sizeof(buf));

	if (ret)
		return ret;
	if (sscanf(buf, "%u.%u.%u %u", &major, &minor, update, crypto) != 4)
		return -EINVAL;
	return 0;
}

int vm_td_open(struct vm_td *td, bool nonblock)
{
	memset(td, 0, sizeof(*td));
	td->fd = open(TDX_TD_TEST_DEVICE,
		      O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (td->fd < 0)
		return -errno;
	sha384_init(&td->expect);
	return 0;
}

int vm_td_cmd(struct vm_td *td, unsigned int id, unsigned int flags,
	      void *data)
{
	struct tdx_td_cmd cmd = {
		.id = id,
		.flags = flags,
		.data = (uintptr_t)data,
	};

	if (ioctl(td->fd, TDX_TD_IOC_CMD, &cmd)) {
		td->hw_error = cmd.hw_error;
		return -errno;
	}
	return 0;
}

int vm_td_init(struct vm_td *td, unsigned int max_pages)
{
	struct tdx_td_init_vm arg = { .max_pages = max_pages };

	return vm_td_cmd(td, TDX_TD_INIT_VM, 0, &arg);
}

/* One 128-byte record: the operation's name, then the GPA at byte 16. */
static void expect_record(struct vm_td *td, const char *op,
			  unsigned long long gpa)
{
	unsigned char rec[VM_RECORD_SIZE] = {};
	int i;

	memcpy(rec, op, strlen(op));
	for (i = 0; i < 8; i++)
		rec[16 + i] = (unsigned char)(gpa >> (8 * i));
	sha384_update(&td->expect, rec, sizeof(rec));
}

int vm_td_add(struct vm_td *td, const void *buf, unsigned int n,
	      bool measure)
{
	struct tdx_td_init_mem_region arg = {
		.source_addr = (uintptr_t)buf,
		.gpa = td->next_gpa,
		.nr_pages = n,
	};
	const unsigned char *p = buf;
	unsigned int i, c, added;
	int ret;

	ret = vm_td_cmd(td, TDX_TD_INIT_MEM_REGION,
			measure ? TDX_TD_MEASURE : 0, &arg);
	/* As with KVM, the struct says how far the kernel got. */
	added = n - (unsigned int)arg.nr_pages;
	if (arg.nr_pages > n)
		added = 0;
	for (i = 0; i < added; i++, p += VM_PAGE_SIZE) {
		unsigned long long gpa = td->next_gpa;

		expect_record(td, "MEM.PAGE.ADD", gpa);
		for (c = 0; measure && c < VM_PAGE_SIZE / VM_CHUNK_SIZE; c++) {
			expect_record(td, "MR.EXTEND", gpa + c * VM_CHUNK_SIZE);
			sha384_update(&td->expect, p + c * VM_CHUNK_SIZE,
				      VM_CHUNK_SIZE);
		}
		td->next_gpa += VM_PAGE_SIZE;
		td->pages++;
	}
	return ret;
}

int vm_td_finalize(struct vm_td *td)
{
	return vm_td_cmd(td, TDX_TD_FINALIZE_VM, 0, NULL);
}

int vm_td_check(struct vm_td *td, unsigned char mrtd[VM_MRTD_SIZE])
{
	struct tdx_td_mrtd arg = {};
	unsigned char want[VM_MRTD_SIZE];
	struct sha384_ctx c = td->expect;
	int ret = vm_td_cmd(td, TDX_TD_GET_MRTD, 0, &arg);

	if (ret)
		return ret;
	sha384_final(&c, want);
	if (mrtd)
		memcpy(mrtd, arg.mrtd, VM_MRTD_SIZE);
	return !memcmp(arg.mrtd, want, VM_MRTD_SIZE);
}

void vm_td_close(struct vm_td *td)
{
	if (td->fd >= 0)
		close(td->fd);
	td->fd = -1;
}

void vm_fill(void *buf, size_t npages, unsigned int seed)
{
	uint32_t x = seed * 2654435761u + 1;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < npages * VM_PAGE_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

unsigned char *vm_make_image(unsigned int update, unsigned int crypto,
			     unsigned int module_pages, size_t *size)
{
	struct tdx_sim_module_desc desc = {
		.major = VM_MOD_MAJOR,
		.minor = VM_MOD_MINOR,
		.update = (u16)update,
		.handoff_version = VM_MOD_HANDOFF,
		.min_handoff_version = VM_MOD_MIN_HANDOFF,
		.crypto_lib_version = crypto,
		.features0 = VM_MOD_FEATURES0,
	};
	unsigned char *buf;

	*size = tdx_sim_image_size(module_pages);
	buf = calloc(1, *size);
	if (buf)
		tdx_sim_make_image(buf, &desc, module_pages);
	return buf;
}

/* The cancel of @up, once, if it is due at @cancel_at (0: not, or done) */
static void upload_cancel_due(struct vm_upload *up, double *cancel_at)
{
	if (!*cancel_at || vm_now_ms() < *cancel_at)
		return;
	*cancel_at = 0;
	up->cancel_ret = vm_upload_cancel();
}

static int write_all(int fd, const unsigned char *p, size_t len,
		     struct vm_upload *up, double *cancel_at)
{
	while (len) {
		size_t n = len > VM_PAGE_SIZE ? VM_PAGE_SIZE : len;
		ssize_t w;

		upload_cancel_due(up, cancel_at);
		w = write(fd, p, n);

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

int vm_upload(struct vm_upload *up)
{
	unsigned int poll_ms = up->poll_ms ? up->poll_ms : VM_UPLOAD_POLL_MS;
	double deadline, cancel_at = 0;
	int fd, ret;

	up->error[0] = '\0';
	up->cancel_ret = 1;
	up->start_ms = vm_now_ms();
	up->end_ms = up->start_ms;
	if (up->cancel_ms)
		cancel_at = up->start_ms + up->cancel_ms;
	ret = vm_write(VM_FW_DIR "loading", "1");
	if (ret)
		goto out;
	fd = open(VM_FW_DIR "data", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto abort;
	}
	ret = write_all(fd, up->image, up->size, up, &cancel_at);
	close(fd);
	if (ret)
		goto abort;
	upload_cancel_due(up, &cancel_at);
	up->start_ms = vm_now_ms();
	ret = vm_write(VM_FW_DIR "loading", "0");
	if (ret)
		goto abort;

	deadline = vm_now_ms() + poll_ms;
	while (!vm_read_is(VM_FW_DIR "status", "idle")) {
		if (vm_now_ms() > deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		upload_cancel_due(up, &cancel_at);
		vm_sleep_us(500);
	}
	up->end_ms = vm_now_ms();
	ret = vm_read(VM_FW_DIR "error", up->error, sizeof(up->error));
	goto out;
abort:
	vm_write(VM_FW_DIR "loading", "-1");
out:
	up->ret = ret;
	return ret;
}

int vm_upload_cancel(void)
{
	return vm_write(VM_FW_DIR "cancel", "1");
}
