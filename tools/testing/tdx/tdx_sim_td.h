/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building a TD the way KVM does (KVM TDX is not in this tree): through
 * the update gate and the TD build SEAMCALLs.  Used by the KUnit suites
 * and by the TD-build test device.  Each TD also keeps its own SHA-384 of
 * what it added, computed with the kernel's crypto API independently of
 * the module, to check the MRTD the module reports.
 */
#ifndef _TDX_SIM_TD_H
#define _TDX_SIM_TD_H

#include <linux/types.h>
#include <asm/tdx_update.h>

struct crypto_shash;
struct shash_desc;

/**
 * struct tdx_sim_td - one TD under construction
 * @hold: its build hold
 * @tdr: the TDR page
 * @pages: private pages added, @nr_pages of @max_pages
 * @nr_pages: pages added so far
 * @max_pages: room in @pages
 * @created: TDH.MNG.CREATE succeeded; teardown must free the HKID
 * @finalized: TDH.MR.FINALIZE succeeded
 * @status: status of the last SEAMCALL that failed
 * @expect: independent SHA-384 of what was added
 * @expected_mrtd: its digest, after finalize
 */
struct tdx_sim_td {
	struct tdx_build_hold hold;
	struct page *tdr;
	struct page **pages;
	unsigned int nr_pages;
	unsigned int max_pages;
	bool created;
	bool finalized;
	u64 status;
	struct shash_desc *expect;
	u8 expected_mrtd[48];
};

int tdx_sim_td_init(struct tdx_sim_td *td, unsigned int max_pages,
		    bool nonblock);
int tdx_sim_td_add_page(struct tdx_sim_td *td, u64 gpa, const void *data,
			bool measure);
int tdx_sim_td_finalize(struct tdx_sim_td *td);
int tdx_sim_td_read_mrtd(struct tdx_sim_td *td, u8 *mrtd);
int tdx_sim_td_check_mrtd(struct tdx_sim_td *td);
void tdx_sim_td_destroy(struct tdx_sim_td *td);

#endif /* _TDX_SIM_TD_H */
