// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tdx_td_test: the TD-build test device, standing in for KVM's TDX
 * VM ioctls, which cannot run in a guest without VMX.  Every open file is
 * one VM with one TD under construction; the commands have KVM's shapes
 * (uapi/tdx_td_test.h) and follow arch/x86/kvm/vmx/tdx.c: INIT_VM takes a
 * build hold before the VM's locks and hands it to the TD once the TD is
 * initialized, FINALIZE_VM gives it back, and so does teardown of a TD
 * whose build never finished, after the TD is gone from the module.
 */
#define pr_fmt(fmt) "tdx_td_test: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "tdx_sim_abi.h"
#include "tdx_sim_td.h"
#include "uapi/tdx_td_test.h"

/* vCPUs per VM: enough to take a nest of vCPU mutexes as KVM does. */
#define TD_NR_VCPUS	2

/**
 * struct td_vm - one open file: a VM and its TD
 * @lock: kvm->lock
 * @vcpu_mutex: each vCPU's vcpu->mutex, taken after @lock
 * @slots_lock: kvm->slots_lock, taken after the vCPU mutexes
 * @td: the TD; changed with all three held (every command that changes
 *	it takes them, as tdx_vm_state_guard does), or at release
 * @inited: INIT_VM succeeded
 *
 * The locks are KVM's, in KVM's order.  INIT_VM takes its build hold
 * before any of them, so no task ever waits for the update gate while
 * holding one.
 */
struct td_vm {
	struct mutex lock;	/* see above */
	struct mutex vcpu_mutex[TD_NR_VCPUS];	/* see above */
	struct mutex slots_lock;	/* see above */
	struct tdx_sim_td td;
	bool inited;
};

/* tdx_acquire_vm_state_locks(): kvm->lock, every vcpu->mutex, slots_lock */
static int td_vm_lock_all(struct td_vm *vm)
{
	int i, ret;

	if (mutex_lock_killable(&vm->lock))
		return -EINTR;
	for (i = 0; i < TD_NR_VCPUS; i++) {
		ret = mutex_lock_killable_nest_lock(&vm->vcpu_mutex[i],
						    &vm->lock);
		if (ret)
			goto unwind;
	}
	mutex_lock(&vm->slots_lock);
	return 0;

unwind:
	while (i--)
		mutex_unlock(&vm->vcpu_mutex[i]);
	mutex_unlock(&vm->lock);
	return ret;
}

static void td_vm_unlock_all(struct td_vm *vm)
{
	int i;

	mutex_unlock(&vm->slots_lock);
	for (i = 0; i < TD_NR_VCPUS; i++)
		mutex_unlock(&vm->vcpu_mutex[i]);
	mutex_unlock(&vm->lock);
}

static int td_open(struct inode *inode, struct file *file)
{
	struct td_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	int i;

	if (!vm)
		return -ENOMEM;
	mutex_init(&vm->lock);
	for (i = 0; i < TD_NR_VCPUS; i++)
		mutex_init(&vm->vcpu_mutex[i]);
	mutex_init(&vm->slots_lock);
	file->private_data = vm;
	return 0;
}

/* The VM is gone (tdx_vm_destroy()): tear the TD down, hold last. */
static int td_release(struct inode *inode, struct file *file)
{
	struct td_vm *vm = file->private_data;

	tdx_sim_td_destroy(&vm->td);
	kfree(vm);
	return 0;
}

/* tdx_td_init(): under every VM lock, @hold taken before them. */
static int td_init_vm(struct td_vm *vm, struct tdx_td_cmd *cmd,
		      struct tdx_build_hold *hold)
{
	struct tdx_td_init_vm args;
	int ret;

	if (copy_from_user(&args, u64_to_user_ptr(cmd->data), sizeof(args)))
		return -EFAULT;
	if (args.reserved || !args.max_pages ||
	    args.max_pages > TDX_TD_MAX_PAGES)
		return -EINVAL;
	if (vm->inited)
		return -EEXIST;

	ret = tdx_sim_td_init(&vm->td, args.max_pages);
	if (ret) {
		cmd->hw_error = vm->td.status;
		tdx_sim_td_destroy(&vm->td);
		return ret;
	}
	tdx_build_hold_move(&vm->td.hold, hold);
	vm->inited = true;
	return 0;
}

/* tdx_vcpu_init_mem_region(): a vCPU ioctl. */
static int td_init_mem_region(struct td_vm *vm, struct tdx_td_cmd *cmd)
{
	struct tdx_td_init_mem_region args;
	u8 __user *src;
	void *buf;
	u64 i;
	int ret = 0;

	if (cmd->flags & ~TDX_TD_MEASURE)
		return -EINVAL;
	if (copy_from_user(&args, u64_to_user_ptr(cmd->data), sizeof(args)))
		return -EFAULT;
	if (!vm->inited || vm->td.finalized || !args.nr_pages ||
	    !IS_ALIGNED(args.gpa, TDX_PAGE_SIZE) ||
	    args.gpa + args.nr_pages * TDX_PAGE_SIZE <= args.gpa)
		return -EINVAL;
	if (args.nr_pages > vm->td.max_pages - vm->td.nr_pages)
		return -ENOSPC;

	buf = kmalloc(TDX_PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	src = u64_to_user_ptr(args.source_addr);
	for (i = 0; i < args.nr_pages && !ret; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (copy_from_user(buf, src + i * TDX_PAGE_SIZE,
				   TDX_PAGE_SIZE)) {
			ret = -EFAULT;
			break;
		}
		ret = tdx_sim_td_add_page(&vm->td,
					  args.gpa + i * TDX_PAGE_SIZE, buf,
					  cmd->flags & TDX_TD_MEASURE);
		if (ret)
			break;
	}
	if (ret == -EIO)
		cmd->hw_error = vm->td.status;
	kfree(buf);

	/* As KVM does: say how far it got, so the caller can go on. */
	args.gpa += i * TDX_PAGE_SIZE;
	args.source_addr += i * TDX_PAGE_SIZE;
	args.nr_pages -= i;
	if (copy_to_user(u64_to_user_ptr(cmd->data), &args, sizeof(args)) &&
	    !ret)
		ret = -EFAULT;
	return ret;
}

/* tdx_td_finalize() */
static int td_finalize_vm(struct td_vm *vm, struct tdx_td_cmd *cmd)
{
	int ret;

	if (cmd->flags || !vm->inited || vm->td.finalized)
		return -EINVAL;
	ret = tdx_sim_td_finalize(&vm->td);
	if (ret == -EIO)
		cmd->hw_error = vm->td.status;
	return ret;
}

static int td_get_mrtd(struct td_vm *vm, struct tdx_td_cmd *cmd)
{
	struct tdx_td_mrtd out;
	int ret;

	if (cmd->flags || !vm->td.finalized)
		return -EINVAL;
	ret = tdx_sim_td_read_mrtd(&vm->td, out.mrtd);
	if (ret) {
		cmd->hw_error = vm->td.status;
		return ret;
	}
	if (copy_to_user(u64_to_user_ptr(cmd->data), &out, sizeof(out)))
		return -EFAULT;
	return 0;
}

/* The VM ioctls, as tdx_vm_ioctl() runs them. */
static int td_vm_ioctl(struct file *file, struct td_vm *vm,
		       struct tdx_td_cmd *cmd)
{
	struct tdx_build_hold hold = {};
	int ret;

	if (cmd->id == TDX_TD_INIT_VM) {
		if (cmd->flags)
			return -EINVAL;
		ret = tdx_build_begin(&hold, file->f_flags & O_NONBLOCK);
		if (ret)
			return ret;
	}
	ret = td_vm_lock_all(vm);
	if (ret) {
		tdx_build_end(&hold);
		return ret;
	}
	if (cmd->id == TDX_TD_INIT_VM) {
		ret = td_init_vm(vm, cmd, &hold);
		/* Given back here unless the TD took it. */
		tdx_build_end(&hold);
	} else {
		ret = td_finalize_vm(vm, cmd);
	}
	td_vm_unlock_all(vm);
	return ret;
}

static long td_ioctl(struct file *file, unsigned int ioc, unsigned long arg)
{
	struct td_vm *vm = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct tdx_td_cmd cmd;
	int ret;

	if (ioc != TDX_TD_IOC_CMD)
		return -ENOTTY;
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	cmd.hw_error = 0;

	switch (cmd.id) {
	case TDX_TD_INIT_VM:
	case TDX_TD_FINALIZE_VM:
		ret = td_vm_ioctl(file, vm, &cmd);
		break;
	case TDX_TD_INIT_MEM_REGION:
		/* tdx_vcpu_unlocked_ioctl(): the same locks as a VM ioctl. */
		ret = td_vm_lock_all(vm);
		if (ret)
			return ret;
		ret = td_init_mem_region(vm, &cmd);
		td_vm_unlock_all(vm);
		break;
	case TDX_TD_GET_MRTD:
		if (mutex_lock_killable(&vm->lock))
			return -EINTR;
		ret = td_get_mrtd(vm, &cmd);
		mutex_unlock(&vm->lock);
		break;
	default:
		ret = -EINVAL;
	}

	if (copy_to_user(uarg, &cmd, sizeof(cmd)) && !ret)
		ret = -EFAULT;
	return ret;
}

static const struct file_operations td_fops = {
	.owner = THIS_MODULE,
	.open = td_open,
	.release = td_release,
	.unlocked_ioctl = td_ioctl,
};

static struct miscdevice td_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tdx_td_test",
	.fops = &td_fops,
	.mode = 0600,
};

static int __init td_dev_init(void)
{
	return misc_register(&td_dev);
}
device_initcall(td_dev_init);
