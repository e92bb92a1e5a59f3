// SPDX-License-Identifier: GPL-2.0
/*
 * The SEAMCALLs of a TD build, as KVM issues them.  KVM TDX is not part
 * of this tree; the TD-build test device in tools/testing/tdx stands in
 * for it and uses these, together with the update gate, exactly as KVM
 * would.
 */
#include <linux/export.h>
#include <asm/tdx.h>
#include <asm/tdx_update.h>

#include "tdx_update_abi.h"

/**
 * tdh_mng_create() - create a TD around its TDR page
 * @tdr_pa: physical address of the TDR page
 * @hkid: the TD's private HKID
 *
 * Return: TDX completion status.
 */
u64 tdh_mng_create(u64 tdr_pa, u16 hkid)
{
	struct tdx_module_args args = { .rcx = tdr_pa, .rdx = hkid };

	return seamcall(TDH_MNG_CREATE, &args);
}
EXPORT_SYMBOL_GPL(tdh_mng_create);

/**
 * tdh_mng_key_config() - program the TD's key on this package
 * @tdr_pa: physical address of the TDR page
 *
 * Return: TDX completion status.
 */
u64 tdh_mng_key_config(u64 tdr_pa)
{
	struct tdx_module_args args = { .rcx = tdr_pa };

	return seamcall(TDH_MNG_KEY_CONFIG, &args);
}
EXPORT_SYMBOL_GPL(tdh_mng_key_config);

/**
 * tdh_mng_init() - initialize the TD; its measurement starts here
 * @tdr_pa: physical address of the TDR page
 * @td_params_pa: physical address of TD_PARAMS
 *
 * From here to tdh_mr_finalize() the TD is in an update-sensitive
 * section: the caller must hold a build hold (tdx_build_begin()).
 *
 * Return: TDX completion status.
 */
u64 tdh_mng_init(u64 tdr_pa, u64 td_params_pa)
{
	struct tdx_module_args args = { .rcx = tdr_pa, .rdx = td_params_pa };

	return seamcall(TDH_MNG_INIT, &args);
}
EXPORT_SYMBOL_GPL(tdh_mng_init);

/**
 * tdh_mem_page_add() - add an initial private page to a TD in build
 * @tdr_pa: physical address of the TDR page
 * @gpa: guest physical address of the page
 * @hpa: physical address of the page that becomes private
 * @source_pa: physical address of the content to copy in
 *
 * Return: TDX completion status.
 */
u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 hpa, u64 source_pa)
{
	struct tdx_module_args args = {
		.rcx = gpa, .rdx = tdr_pa, .r8 = hpa, .r9 = source_pa,
	};

	return seamcall(TDH_MEM_PAGE_ADD, &args);
}
EXPORT_SYMBOL_GPL(tdh_mem_page_add);

/**
 * tdh_mr_extend() - measure a 256-byte chunk of an added page
 * @tdr_pa: physical address of the TDR page
 * @gpa: guest physical address of the chunk, 256-byte aligned
 *
 * Return: TDX completion status.
 */
u64 tdh_mr_extend(u64 tdr_pa, u64 gpa)
{
	struct tdx_module_args args = { .rcx = gpa, .rdx = tdr_pa };

	return seamcall(TDH_MR_EXTEND, &args);
}
EXPORT_SYMBOL_GPL(tdh_mr_extend);

/**
 * tdh_mr_finalize() - close the TD's measurement; the build ends here
 * @tdr_pa: physical address of the TDR page
 *
 * Return: TDX completion status.
 */
u64 tdh_mr_finalize(u64 tdr_pa)
{
	struct tdx_module_args args = { .rcx = tdr_pa };

	return seamcall(TDH_MR_FINALIZE, &args);
}
EXPORT_SYMBOL_GPL(tdh_mr_finalize);

/**
 * tdh_mng_key_freeid() - free the TD's HKID; the last step of teardown
 * @tdr_pa: physical address of the TDR page
 *
 * Return: TDX completion status.
 */
u64 tdh_mng_key_freeid(u64 tdr_pa)
{
	struct tdx_module_args args = { .rcx = tdr_pa };

	return seamcall(TDH_MNG_KEY_FREEID, &args);
}
EXPORT_SYMBOL_GPL(tdh_mng_key_freeid);

/**
 * tdh_mng_rd() - read one TD-scope metadata field
 * @tdr_pa: physical address of the TDR page
 * @field: field id
 * @value: the field's value on success
 *
 * Return: TDX completion status.
 */
u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *value)
{
	struct tdx_module_args args = { .rcx = tdr_pa, .rdx = field };
	u64 status = seamcall_ret(TDH_MNG_RD, &args);

	*value = args.r8;
	return status;
}
EXPORT_SYMBOL_GPL(tdh_mng_rd);
