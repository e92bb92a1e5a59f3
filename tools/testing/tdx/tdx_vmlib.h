/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the programs that run in the test VM (tdx-stress,
 * tdx-faults, tdx-bench): sysfs, the simulator's control parameters,
 * the TD-build test device with an independent MRTD, update images and
 * uploads through fw_upload.  Every function returns 0 or -errno unless
 * it says otherwise, and is safe to call from several threads at once.
 */
#ifndef _TDX_VMLIB_H
#define _TDX_VMLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "tdx_sim_image.h"
#include "tdx_td_test.h"
#include "sha384.h"

#ifndef __printf
#define __printf(a, b)	__attribute__(\
				(format(printf, a, b)))
#endif

#define VM_FW_DIR	"/sys/class/firmware/tdx_module/"
#define VM_HOST_DIR	"/sys/devices/faux/tdx_host/"
#define VM_SIM_DIR	"/sys/module/tdx_sim/parameters/"
#define VM_PAGE_SIZE	4096
#define VM_MRTD_SIZE	48

/* ---- time ---- */
double vm_now_ms(void);
void vm_sleep_ms(unsigned int ms);
void vm_sleep_us(unsigned int us);

/* ---- sysfs ---- */
/* Reads @path into @buf, trailing blanks and newlines stripped. */
int vm_read(const char *path, char *buf, size_t size);
/* Writes @val and a newline, as echo does. */
int vm_write(const char *path, const char *val);
/* A decimal attribute, or -errno. */
long vm_read_long(const char *path);
bool vm_read_is(const char *path, const char *want);
/* Polls until @path reads @want; false after @timeout_ms. */
bool vm_wait_for(const char *path, const char *want, unsigned int timeout_ms);

/* ---- the simulator (VM_SIM_DIR) ---- */
__printf(2, 3)
int vm_sim_write(const char *param, const char *fmt, ...);
long vm_sim_long(const char *param);
/* Adds a fault: @cpu -1 for any, @times 0 for always. */
int vm_sim_fault(unsigned long long leaf, int cpu, unsigned int skip,
		 unsigned int times, unsigned long long status);
/* The running module: version update number and crypto library. */
int vm_sim_running(unsigned int *update, unsigned int *crypto);

/* ---- TDs through /dev/tdx_td_test ---- */
/**
 * struct vm_td - one TD under construction, with its expected MRTD
 * @fd: the open device, one TD; -1 when closed
 * @next_gpa: where the next page goes
 * @pages: pages added
 * @hw_error: TDX status of the last failed command
 * @expect: SHA-384 of the records the module measures, kept here
 */
struct vm_td {
	int fd;
	unsigned long long next_gpa;
	unsigned int pages;
	unsigned long long hw_error;
	struct sha384_ctx expect;
};

/* Opens the device; @nonblock: INIT_VM fails with EAGAIN, never waits. */
int vm_td_open(struct vm_td *td, bool nonblock);
int vm_td_cmd(struct vm_td *td, unsigned int id, unsigned int flags,
	      void *data);
int vm_td_init(struct vm_td *td, unsigned int max_pages);
/*
 * Adds @n pages from @buf (measured if @measure).  The expected MRTD
 * follows the pages the kernel reports added, also on failure.
 */
int vm_td_add(struct vm_td *td, const void *buf, unsigned int n,
	      bool measure);
int vm_td_finalize(struct vm_td *td);
/* After finalize: 1 if the MRTD is the expected one, 0 if not, -errno. */
int vm_td_check(struct vm_td *td, unsigned char mrtd[VM_MRTD_SIZE]);
void vm_td_close(struct vm_td *td);
/* Deterministic page content, different for each @seed. */
void vm_fill(void *buf, size_t npages, unsigned int seed);

/* ---- images and uploads ---- */
/*
 * A valid image of module 1.5.@update with crypto library @crypto, in a
 * buffer from malloc(); NULL when out of memory.
 */
unsigned char *vm_make_image(unsigned int update, unsigned int crypto,
			     unsigned int module_pages, size_t *size);

/**
 * struct vm_upload - one update through /sys/class/firmware/tdx_module
 * @image: the image
 * @size: its size
 * @poll_ms: give up polling for the end after this long (0: 120 s)
 * @cancel_ms: write "1" to cancel once, this long after "1" went to
 *	loading, if the upload has not ended by then (0: never)
 * @ret: 0 when the sysfs ABI worked (outcome in @error), else -errno
 * @error: the fw_upload error ("" on success), e.g. "device-busy"
 * @cancel_ret: what the write to cancel returned, 0 or -errno; 1 if there
 *	was none
 * @start_ms: when "0" went to loading
 * @end_ms: when status read idle again
 */
struct vm_upload {
	const unsigned char *image;
	size_t size;
	unsigned int poll_ms;
	unsigned int cancel_ms;
	int ret;
	char error[128];
	int cancel_ret;
	double start_ms;
	double end_ms;
};

/*
 * Runs one upload to the end, its cancel included, from the calling
 * thread.  Only one may run at a time.
 */
int vm_upload(struct vm_upload *up);
/* Asks the running upload to stop ("1" to cancel). */
int vm_upload_cancel(void);

#endif /* _TDX_VMLIB_H */
