/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of the TDX module and P-SEAMLDR ABI that the simulator needs
 * and the kernel's own headers do not define (leaf numbers come from
 * arch/x86/virt/vmx/tdx/tdx.h, the common statuses from
 * asm/shared/tdx_errno.h).
 *
 * Values marked "unconfirmed" are not published in a form we could check;
 * each is named here once and nowhere else.
 */
#ifndef _TDX_SIM_ABI_H
#define _TDX_SIM_ABI_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <asm/shared/tdx_errno.h>
#include "tdx_blob.h"

/* P-SEAMLDR leaves: SEAMCALL with bit 63 set */
#define P_SEAMLDR_LEAF			BIT_ULL(63)
#define P_SEAMLDR_INFO			(P_SEAMLDR_LEAF | 0)
#define P_SEAMLDR_INSTALL		(P_SEAMLDR_LEAF | 1)

/* A leaf's number is in bits 15:0, its version in bits 23:16. */
#define TDX_LEAF_NUMBER(fn)		((fn) & 0xffff)

/* TDX module completion statuses (the TDX module ABI) */
#define TDX_SYS_INIT_NOT_PENDING	0xC000050000000000ULL
#define TDX_SYS_LP_INIT_NOT_DONE	0xC000050200000000ULL
#define TDX_SYS_LP_INIT_DONE		0xC000050300000000ULL
#define TDX_SYS_NOT_READY		0xC000050500000000ULL
#define TDX_SYS_SHUTDOWN		0xC000050600000000ULL
#define TDX_SYS_KEY_CONFIG_NOT_PENDING	0xC000050700000000ULL
#define TDX_SYS_STATE_INCORRECT		0xC000050800000000ULL
#define TDX_SYS_INVALID_HANDOFF		0xC000050900000000ULL
#define TDX_SYS_CONFIG_NOT_PENDING	0xC000050C00000000ULL
#define TDX_OP_STATE_INCORRECT		0xC000060800000000ULL
#define TDX_INVALID_TDMR		0xC0000A0000000000ULL
#define TDX_NON_ORDERED_TDMR		0xC0000A0100000000ULL
#define TDX_TDMR_ALREADY_INITIALIZED	0x00000A0300000000ULL
#define TDX_METADATA_FIELD_ID_INCORRECT	0xC0000C0000000000ULL
/* unconfirmed: TDH.PHYMEM.PAGE.RECLAIM of a TDR whose TD still owns pages */
#define TDX_TD_ASSOCIATED_PAGES_EXIST	0xC000040300000000ULL

/*
 * Page types in the module's page metadata, returned in RCX by
 * TDH.PHYMEM.PAGE.RECLAIM.  unconfirmed: the values.
 */
#define TDX_PT_REG			3
#define TDX_PT_TDR			4
#define TDX_PT_TDCX			5
/* unconfirmed: P-SEAMLDR failure statuses (the kernel only tests != 0) */
#define P_SEAMLDR_EBADPARAM		0x8000000000000001ULL
#define P_SEAMLDR_EBADSIG		0x8000000000000002ULL
#define P_SEAMLDR_ENOSPC		0x8000000000000003ULL
#define P_SEAMLDR_EBADCALL		0x8000000000000004ULL
#define P_SEAMLDR_EBUSY			0x8000000000000005ULL

/* Global metadata fields read with TDH.SYS.RD (RDX = field, R8 = value) */
#define TDX_MD_MINOR_VERSION		0x0800000100000003ULL
#define TDX_MD_MAJOR_VERSION		0x0800000100000004ULL
#define TDX_MD_UPDATE_VERSION		0x0800000100000005ULL
#define TDX_MD_FEATURES0		0x0A00000300000008ULL
#define TDX_MD_NATIVE_HANDOFF_VERSION	0x8900000100000000ULL
#define TDX_MD_MAX_TDMRS		0x9100000100000008ULL
#define TDX_MD_MAX_RESERVED_PER_TDMR	0x9100000100000009ULL
#define TDX_MD_PAMT_4K_ENTRY_SIZE	0x9100000100000010ULL
#define TDX_MD_PAMT_2M_ENTRY_SIZE	0x9100000100000011ULL
#define TDX_MD_PAMT_1G_ENTRY_SIZE	0x9100000100000012ULL
#define TDX_MD_TDR_BASE_SIZE		0x9800000100000000ULL
#define TDX_MD_TDCS_BASE_SIZE		0x9800000100000100ULL
#define TDX_MD_TDVPS_BASE_SIZE		0x9800000100000200ULL
#define TDX_MD_ATTRIBUTES_FIXED0	0x1900000300000000ULL
#define TDX_MD_ATTRIBUTES_FIXED1	0x1900000300000001ULL
#define TDX_MD_XFAM_FIXED0		0x1900000300000002ULL
#define TDX_MD_XFAM_FIXED1		0x1900000300000003ULL
#define TDX_MD_NUM_CPUID_CONFIG		0x9900000100000004ULL
#define TDX_MD_MAX_VCPUS_PER_TD		0x9900000100000008ULL

/*
 * TD-scope field read with TDH.MNG.RD: the MRTD, 48 bytes read as six
 * 64-bit elements at consecutive field ids.  unconfirmed: the field id.
 */
#define TDX_MD_TD_MRTD			0x9110000300000010ULL
#define TDX_MRTD_SIZE			48

/* TDH.MR.EXTEND measures 256-byte chunks. */
#define TDX_EXTENDMR_CHUNK		256

/* TDH.SYS.CONFIG: TDMRs are 1 GiB aligned, described by 512-aligned info */
#define TDX_TDMR_ALIGN			SZ_1G
#define TDX_TDMR_INFO_ALIGN		512

/*
 * SEAMLDR_PARAMS, as the P-SEAMLDR reads it: exactly one page, handed to
 * SEAMLDR.INSTALL.  The kernel's own copy is private to seamldr.c.
 */
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

#endif /* _TDX_SIM_ABI_H */
