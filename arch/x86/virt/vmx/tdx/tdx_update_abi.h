/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TDX module and P-SEAMLDR ABI used by runtime module update and by
 * TD build.  Architectural definitions only; software state lives in
 * update.h.
 *
 * Values marked "unconfirmed" are not published in a form we could check;
 * each is named here once and nowhere else.
 */
#ifndef _X86_VIRT_TDX_UPDATE_ABI_H
#define _X86_VIRT_TDX_UPDATE_ABI_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/build_bug.h>
#include <asm/tdx.h>
#include "tdx_blob.h"
#include "tdx.h"		/* TDH_SYS_INIT, TDH_SYS_RD, TDH_SYS_LP_INIT */

/* SEAMCALL leaves (TDX module) */
#define TDH_MNG_ADDCX			1
#define TDH_MEM_PAGE_ADD		2
#define TDH_MNG_KEY_CONFIG		8
#define TDH_MNG_CREATE			9
#define TDH_MNG_RD			11
#define TDH_MR_EXTEND			16
#define TDH_MR_FINALIZE			17
#define TDH_MNG_KEY_FREEID		20
#define TDH_MNG_INIT			21
#define TDH_SYS_SHUTDOWN		52
#define TDH_SYS_UPDATE			53

/* P-SEAMLDR leaves: SEAMCALL with bit 63 set */
#define P_SEAMLDR_LEAF			BIT_ULL(63)
#define P_SEAMLDR_INFO			(P_SEAMLDR_LEAF | 0)
#define P_SEAMLDR_INSTALL		(P_SEAMLDR_LEAF | 1)

/* Completion status: the class lives in the upper 32 bits. */
#define TDX_STATUS_MASK			GENMASK_ULL(63, 32)
#define TDX_OPERAND_INVALID		0xC000010000000000ULL
#define TDX_OPERAND_BUSY		0x8000020000000000ULL
#define TDX_OP_STATE_INCORRECT		0xC000030000000000ULL
/* unconfirmed: the status of a SEAMCALL issued after TDH.SYS.SHUTDOWN */
#define TDX_SYS_SHUTDOWN_STATUS		0xC000050800000000ULL
#define TDX_UPDATE_COMPAT_SENSITIVE	0x8000051200000000ULL
/* unconfirmed: P-SEAMLDR failure statuses (the kernel only tests != 0) */
#define P_SEAMLDR_EBADPARAM		0x8000000000000001ULL
#define P_SEAMLDR_EBADSIG		0x8000000000000002ULL
#define P_SEAMLDR_ENOSPC		0x8000000000000003ULL
#define P_SEAMLDR_EBADCALL		0x8000000000000004ULL
#define P_SEAMLDR_EBUSY			0x8000000000000005ULL

static inline bool tdx_status_is(u64 status, u64 code)
{
	return (status & TDX_STATUS_MASK) == (code & TDX_STATUS_MASK);
}

/* TDH.SYS.SHUTDOWN: RCX = handoff version | AVOID_COMPAT_SENSITIVE */
#define TDX_SYS_SHUTDOWN_AVOID_COMPAT_SENSITIVE	BIT_ULL(16)

/* TDX_FEATURES0 bits */
#define TDX_FEATURES0_TD_PRESERVING	BIT_ULL(1)
#define TDX_FEATURES0_UPDATE_COMPAT	BIT_ULL(47)

/* Global metadata fields read with TDH.SYS.RD (RDX = field, R8 = value) */
#define TDX_MD_FEATURES0		0x0A00000300000008ULL
#define TDX_MD_NATIVE_HANDOFF_VERSION	0x8900000100000000ULL
/* unconfirmed: module version fields */
#define TDX_MD_MINOR_VERSION		0x0800000100000003ULL
#define TDX_MD_MAJOR_VERSION		0x0800000100000004ULL
#define TDX_MD_UPDATE_VERSION		0x0800000100000005ULL

/*
 * TD-scope field read with TDH.MNG.RD: the MRTD, 48 bytes read as six
 * 64-bit elements at consecutive field ids.  unconfirmed: the field id.
 */
#define TDX_MD_TD_MRTD			0x9110000300000010ULL
#define TDX_MRTD_SIZE			48

/* TDH.MR.EXTEND measures 256-byte chunks. */
#define TDX_EXTENDMR_CHUNK		256

/* SEAMLDR_PARAMS: exactly one page, handed to SEAMLDR.INSTALL. */
#define SEAMLDR_PARAMS_VERSION		0
#define SEAMLDR_SCENARIO_UPDATE		1

struct seamldr_params {
	u32 version;
	u32 scenario;
	u64 sigstruct_pa[TDX_SEAMLDR_MAX_SIGSTRUCT_PAGES];
	u8 reserved[80];
	u64 num_module_pages;
	u64 module_pages_pa[TDX_BLOB_MAX_MODULE_PAGES];
} __packed;
static_assert(sizeof(struct seamldr_params) == TDX_PAGE_SIZE);

/* SEAMLDR.INFO: RCX = physical address of this 256-byte aligned block. */
struct seamldr_info {
	u32 version;
	u32 attributes;
	u32 vendor_id;
	u32 build_date;
	u16 build_num;
	u16 minor_version;
	u16 major_version;
	u16 update_version;
	u32 acm_x2apicid;
	u32 num_remaining_updates;
	u8 seam_info[128];
	u8 seam_ready;
	u8 seam_debug;
	u8 p_seam_ready;
	u8 reserved[93];
} __packed __aligned(256);
static_assert(sizeof(struct seamldr_info) == 256);

#endif /* _X86_VIRT_TDX_UPDATE_ABI_H */
