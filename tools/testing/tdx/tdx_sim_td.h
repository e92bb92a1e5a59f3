/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building a TD the way KVM does, through upstream's tdh_*() wrappers and
 * an HKID from tdx_guest_keyid_alloc(): the executable stand-in for KVM's
 * TDX VM ioctls, which cannot run in a guest without VMX.  Each TD also
 * keeps its own SHA-384 of what it added, computed independently of the
 * module, to check the MRTD the module reports.
 *
 * The build hold is the caller's, as in KVM: it is taken before the VM's
 * locks and handed to the TD (tdx_build_hold_move()) once
 * tdx_sim_td_init() succeeded.
 */
#ifndef _TDX_SIM_TD_H
#define _TDX_SIM_TD_H

#include <linux/types.h>
#include <crypto/sha2.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

/**
 * struct tdx_sim_td - one TD under construction
 * @hold: its build hold, from a successful INIT_VM to finalize or teardown
 * @td: the TD as upstream's wrappers know it (its TDR page)
 * @hkid: its private key ID, 0 when none is held (guest KeyIDs are > 0)
 * @pages: private pages added, @nr_pages of @max_pages
 * @nr_pages: pages added so far
 * @max_pages: room in @pages
 * @created: TDH.MNG.CREATE succeeded; teardown must free the HKID
 * @tdcs_added: TDCS pages the module took (TDH.MNG.ADDCX), the first ones
 * @finalized: TDH.MR.FINALIZE succeeded
 * @status: status of the last SEAMCALL that failed
 * @expect: independent SHA-384 of what was added
 * @expected_mrtd: its digest, after finalize
 */
struct tdx_sim_td {
	struct tdx_build_hold hold;
	struct tdx_td td;
	int hkid;
	struct page **pages;
	unsigned int nr_pages;
	unsigned int max_pages;
	bool created;
	unsigned int tdcs_added;
	bool finalized;
	u64 status;
	struct sha384_ctx expect;
	u8 expected_mrtd[SHA384_DIGEST_SIZE];
};

/* TDH.PHYMEM.CACHE.WB calls that may resume before the flush gives up */
#define TDX_SIM_TD_WB_RETRIES	10000

int tdx_sim_td_init(struct tdx_sim_td *td, unsigned int max_pages);
int tdx_sim_td_add_page(struct tdx_sim_td *td, u64 gpa, const void *data,
			bool measure);
int tdx_sim_td_finalize(struct tdx_sim_td *td);
int tdx_sim_td_read_mrtd(struct tdx_sim_td *td, u8 *mrtd);
void tdx_sim_td_destroy(struct tdx_sim_td *td);

#endif /* _TDX_SIM_TD_H */
