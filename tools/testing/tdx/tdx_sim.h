/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Control of the simulated TDX module and P-SEAMLDR, for tests.  The
 * code under test never sees this header: it issues SEAMCALLs.
 */
#ifndef _TDX_SIM_H
#define _TDX_SIM_H

#include <linux/types.h>
#include "tdx_sim_image.h"

/* Fault on every matching call, not just a number of them. */
#define TDX_SIM_FAULT_ALWAYS	0

/* Index for per-leaf knobs: TDX leaves 0..71, then the P-SEAMLDR two. */
#define TDX_SIM_NR_MODULE_LEAVES	72
#define TDX_SIM_NR_LEAVES	(TDX_SIM_NR_MODULE_LEAVES + 2)

void tdx_sim_default_module(struct tdx_sim_module_desc *desc);
int tdx_sim_reset(u32 remaining);
void tdx_sim_reload(void);
int tdx_sim_add_fault(u64 leaf, int cpu, unsigned int skip,
		      unsigned int times, u64 status);
void tdx_sim_clear_faults(void);
unsigned int tdx_sim_faults_fired(void);
int tdx_sim_set_latency_us(u64 leaf, unsigned int us);
unsigned long tdx_sim_calls(u64 leaf);
unsigned long tdx_sim_boot_calls(u64 leaf);
unsigned long tdx_sim_seamldr_overlaps(void);
unsigned int tdx_sim_sensitive_tds(void);
unsigned int tdx_sim_live_tds(void);
void tdx_sim_running_module(struct tdx_sim_module_desc *desc);
u32 tdx_sim_remaining_updates(void);

#endif /* _TDX_SIM_H */
