// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tdx_td_test: the TD-build test device, standing in for KVM's TDX
 * VM ioctls, which Linux 6.12 lacks.  Every open file is one TD under
 * construction; the commands have KVM's shapes (uapi/tdx_td_test.h) and
 * use the update gate exactly as KVM would: INIT_VM takes the build
 * hold, FINALIZE_VM gives it back, and so does release() for a TD whose
 * build never finished, including when its process is killed.
 */
#define pr_fmt(fmt) "tdx_td_test: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "tdx_update_abi.h"
#include "tdx_sim_td.h"
#include "uapi/tdx_td_test.h"

/**
 * struct td_file - one open file, one TD
 * @lock: serializes commands on this TD.  Held while INIT_VM waits for
 *	its build hold (a killable wait), so it nests outside update_rwsem.
 * @td: the TD
 * @inited: INIT_VM succeeded
 */
struct td_file {
	struct mutex lock;	/* see above */
	struct tdx_sim_td td;
	bool inited;
};

static int td_open(struct inode *inode, struct file *file)
{
	struct td_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	file->private_data = tf;
	return 0;
}

/* Last reference gone: give the hold back if the build never finished. */
static int td_release(struct inode *inode, struct file *file)
{
	struct td_file *tf = file->private_data;

	tdx_sim_td_destroy(&tf->td);
	mutex_destroy(&tf->lock);
	kfree(tf);
	return 0;
}

static int td_init_vm(struct td_file *tf, struct file *file,
		      struct tdx_td_cmd *cmd)
{
	struct tdx_td_init_vm args;
	int ret;

	if (cmd->flags)
		return -EINVAL;
	if (copy_from_user(&args, u64_to_user_ptr(cmd->data), sizeof(args)))
		return -EFAULT;
	if (args.reserved || !args.max_pages ||
	    args.max_pages > TDX_TD_MAX_PAGES)
		return -EINVAL;
	if (tf->inited)
		return -EEXIST;

	ret = tdx_sim_td_init(&tf->td, args.max_pages,
			      file->f_flags & O_NONBLOCK);
	if (ret) {
		cmd->hw_error = tf->td.status;
		tdx_sim_td_destroy(&tf->td);
		return ret;
	}
	tf->inited = true;
	return 0;
}

static int td_init_mem_region(struct td_file *tf, struct tdx_td_cmd *cmd)
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
	if (!tf->inited || tf->td.finalized || !args.nr_pages ||
	    !IS_ALIGNED(args.gpa, TDX_PAGE_SIZE) ||
	    args.gpa + args.nr_pages * TDX_PAGE_SIZE <= args.gpa)
		return -EINVAL;
	if (args.nr_pages > tf->td.max_pages - tf->td.nr_pages)
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
		ret = tdx_sim_td_add_page(&tf->td,
					  args.gpa + i * TDX_PAGE_SIZE, buf,
					  cmd->flags & TDX_TD_MEASURE);
		if (ret)
			break;
	}
	if (ret == -EIO)
		cmd->hw_error = tf->td.status;
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

static int td_finalize_vm(struct td_file *tf, struct tdx_td_cmd *cmd)
{
	int ret;

	if (cmd->flags || !tf->inited || tf->td.finalized)
		return -EINVAL;
	ret = tdx_sim_td_finalize(&tf->td);
	if (ret == -EIO)
		cmd->hw_error = tf->td.status;
	return ret;
}

static int td_get_mrtd(struct td_file *tf, struct tdx_td_cmd *cmd)
{
	struct tdx_td_mrtd out;
	int ret;

	if (cmd->flags || !tf->td.finalized)
		return -EINVAL;
	ret = tdx_sim_td_read_mrtd(&tf->td, out.mrtd);
	if (ret) {
		cmd->hw_error = tf->td.status;
		return ret;
	}
	if (copy_to_user(u64_to_user_ptr(cmd->data), &out, sizeof(out)))
		return -EFAULT;
	return 0;
}

static long td_ioctl(struct file *file, unsigned int ioc, unsigned long arg)
{
	struct td_file *tf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct tdx_td_cmd cmd;
	int ret;

	if (ioc != TDX_TD_IOC_CMD)
		return -ENOTTY;
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	cmd.hw_error = 0;

	if (mutex_lock_killable(&tf->lock))
		return -EINTR;
	switch (cmd.id) {
	case TDX_TD_INIT_VM:
		ret = td_init_vm(tf, file, &cmd);
		break;
	case TDX_TD_INIT_MEM_REGION:
		ret = td_init_mem_region(tf, &cmd);
		break;
	case TDX_TD_FINALIZE_VM:
		ret = td_finalize_vm(tf, &cmd);
		break;
	case TDX_TD_GET_MRTD:
		ret = td_get_mrtd(tf, &cmd);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&tf->lock);

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
