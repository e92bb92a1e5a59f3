/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The TD-build test device, /dev/tdx_td_test: the stand-in for KVM's TDX
 * VM ioctls in test kernels, where KVM cannot run (no VMX in the test
 * guest, or no KVM TDX in the base).  Every open file is one TD during
 * build.  Commands have the shape of KVM_MEMORY_ENCRYPT_OP's struct
 * kvm_tdx_cmd.
 *
 *  TDX_TD_INIT_VM          data -> struct tdx_td_init_vm.  Takes the TD's
 *                          build hold (waits while a module update is
 *                          pending; O_NONBLOCK on the file: EAGAIN
 *                          instead; the wait is killable: a fatal
 *                          signal ends it and no hold is taken) and
 *                          runs TDH.MNG.CREATE, KEY.CONFIG and INIT.
 *  TDX_TD_INIT_MEM_REGION  data -> struct tdx_td_init_mem_region; flags
 *                          TDX_TD_MEASURE extends the MRTD with the
 *                          content.  Adds nr_pages pages from source_addr
 *                          at gpa.  On return, as with KVM, the struct is
 *                          advanced past the pages that were added
 *                          (nr_pages 0 when all were).
 *  TDX_TD_FINALIZE_VM      TDH.MR.FINALIZE; gives the build hold back.
 *  TDX_TD_GET_MRTD         data -> struct tdx_td_mrtd, after finalize.
 *
 * close() (or the death of the process) gives the hold back if the build
 * never finished and tears the TD down.  A SEAMCALL failure returns EIO
 * with the TDX status in hw_error.  Root only.
 */
#ifndef _UAPI_TDX_TD_TEST_H
#define _UAPI_TDX_TD_TEST_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define TDX_TD_TEST_DEVICE	"/dev/tdx_td_test"

enum tdx_td_cmd_id {
	TDX_TD_INIT_VM = 0,
	TDX_TD_INIT_MEM_REGION = 1,
	TDX_TD_FINALIZE_VM = 2,
	TDX_TD_GET_MRTD = 3,
};

struct tdx_td_cmd {
	__u32 id;		/* enum tdx_td_cmd_id */
	__u32 flags;		/* per command; unknown bits: EINVAL */
	__u64 data;		/* user pointer to the command's struct */
	__u64 hw_error;		/* out: TDX status of a failed SEAMCALL */
};

/* Most pages one TD may add. */
#define TDX_TD_MAX_PAGES	512

struct tdx_td_init_vm {
	__u32 max_pages;	/* 1..TDX_TD_MAX_PAGES */
	__u32 reserved;		/* must be 0 */
};

/* INIT_MEM_REGION flags */
#define TDX_TD_MEASURE		_BITUL(0)

struct tdx_td_init_mem_region {
	__u64 source_addr;	/* user address, nr_pages * 4096 bytes */
	__u64 gpa;		/* 4096-byte aligned */
	__u64 nr_pages;
};

struct tdx_td_mrtd {
	__u8 mrtd[48];
};

#define TDX_TD_IOC_CMD		_IOWR('T', 0xba, struct tdx_td_cmd)

#endif /* _UAPI_TDX_TD_TEST_H */
