/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the update gate and the update engine.  Other
 * kernel code uses <asm/tdx_update.h>.
 */
#ifndef _X86_VIRT_TDX_UPDATE_H
#define _X86_VIRT_TDX_UPDATE_H

#include <asm/tdx_update.h>

/*
 * How updates and builds are coordinated.  Only GATE exists outside test
 * kernels; the other two reproduce what upstream's drafts (fail fast on
 * the AVOID_COMPAT_SENSITIVE conflict) and upstream's merged code (no
 * coordination at all) do, so that tests can show what the gate prevents.
 */
enum tdx_update_policy {
	TDX_POLICY_GATE,
	TDX_POLICY_FAILFAST,
	TDX_POLICY_NONE,
};

#ifdef CONFIG_TDX_MODULE_UPDATE_TEST_HOOKS
void tdx_update_set_policy(enum tdx_update_policy policy);
enum tdx_update_policy tdx_update_policy(void);
int tdx_update_test_reprobe(void (*power_cycle)(void *data), void *data);
int tdx_gate_test_exclude_builds(void);
void tdx_gate_test_admit_builds(void);
#define TDX_UPDATE_TEST_MAX_START_DELAY_MS	10000U
void tdx_update_test_set_start_delay(unsigned int ms);
#else
static inline enum tdx_update_policy tdx_update_policy(void)
{
	return TDX_POLICY_GATE;
}
#endif

void tdx_gate_set_state(enum tdx_update_state state);
void tdx_gate_close(void);
void tdx_gate_open(enum tdx_update_state state);
int tdx_gate_lock_updates(bool nonblock);
void tdx_gate_set_updating(void);
void tdx_gate_unlock_updates(void);

#endif /* _X86_VIRT_TDX_UPDATE_H */
