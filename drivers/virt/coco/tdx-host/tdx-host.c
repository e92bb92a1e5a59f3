// SPDX-License-Identifier: GPL-2.0
/*
 * The tdx_host device: what userspace sees of the TDX module, and the
 * firmware-upload device "tdx_module" that updates it at runtime.
 *
 * The upload uses the fw_upload ABI upstream uses, so existing tooling
 * works, but reports precisely why an update did not happen instead of
 * one catch-all error: see tdx_host_errors[].  By default an upload waits
 * for the TD builds in flight (new builds wait behind it), up to the
 * deadline in update_timeout_ms; in "nonblock" mode it fails at once with
 * device-busy instead.
 */
#define pr_fmt(fmt) "tdx_host: " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/firmware.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <asm/tdx_update.h>

/**
 * struct tdx_host - the device's state
 * @fwl: the firmware-upload device, NULL without runtime update support
 * @timeout_ms: deadline for an upload's wait for builds
 * @nonblock: uploads fail with device-busy instead of waiting
 * @lock: protects @req, @active and @removing against cancel and remove
 * @req: the current upload's request
 * @active: @req is in use, from prepare until the update returned
 * @removing: the device goes away: refuse new uploads
 */
struct tdx_host {
	struct fw_upload *fwl;
	unsigned int timeout_ms;
	bool nonblock;
	spinlock_t lock;	/* see above */
	struct tdx_update_request req;
	bool active;
	bool removing;
};

static struct tdx_host tdx_host = {
	.timeout_ms = TDX_UPDATE_DEFAULT_TIMEOUT_MS,
	.lock = __SPIN_LOCK_UNLOCKED(tdx_host.lock),
};

static struct platform_device *tdx_host_pdev;

/* ---- errno to what userspace sees, in one place ------------------- */

static const struct {
	int err;
	enum fw_upload_err fw;
} tdx_host_errors[] = {
	{ -EMSGSIZE,	FW_UPLOAD_ERR_INVALID_SIZE },	/* wrong length */
	{ -EINVAL,	FW_UPLOAD_ERR_FW_INVALID },	/* malformed image */
	{ -EBUSY,	FW_UPLOAD_ERR_BUSY },		/* builds, backstop */
	{ -ETIMEDOUT,	FW_UPLOAD_ERR_TIMEOUT },	/* deadline */
	{ -ECANCELED,	FW_UPLOAD_ERR_CANCELED },	/* cancel */
	{ -EIO,		FW_UPLOAD_ERR_HW_ERROR },	/* a SEAMCALL failed */
	{ -ENXIO,	FW_UPLOAD_ERR_HW_ERROR },	/* TDX is dead */
	{ -EOPNOTSUPP,	FW_UPLOAD_ERR_HW_ERROR },	/* no runtime update */
	{ -ENOSPC,	FW_UPLOAD_ERR_WEAROUT },	/* no updates remain */
	{ -ENOMEM,	FW_UPLOAD_ERR_RW_ERROR },
};

static enum fw_upload_err tdx_host_fw_err(int err)
{
	int i;

	if (!err)
		return FW_UPLOAD_ERR_NONE;
	for (i = 0; i < ARRAY_SIZE(tdx_host_errors); i++)
		if (tdx_host_errors[i].err == err)
			return tdx_host_errors[i].fw;
	return FW_UPLOAD_ERR_RW_ERROR;
}

/* ---- fw_upload ops ------------------------------------------------ */

static enum fw_upload_err tdx_host_prepare(struct fw_upload *fwl,
					   const u8 *data, u32 size)
{
	struct tdx_host *host = fwl->dd_handle;
	int ret;

	/*
	 * "unsupported" may only mean that no module answered yet:
	 * tdx_module_update() probes again and decides.
	 */
	if (tdx_update_state() == TDX_UPDATE_DEAD) {
		dev_err(&tdx_host_pdev->dev,
			"update refused: TDX is unusable after a failed update\n");
		return FW_UPLOAD_ERR_HW_ERROR;
	}
	ret = tdx_module_update_check(data, size);
	if (ret)
		return tdx_host_fw_err(ret);

	spin_lock(&host->lock);
	if (host->removing) {
		spin_unlock(&host->lock);
		return FW_UPLOAD_ERR_CANCELED;
	}
	tdx_update_request_init(&host->req, READ_ONCE(host->timeout_ms),
				READ_ONCE(host->nonblock));
	host->active = true;
	spin_unlock(&host->lock);
	return FW_UPLOAD_ERR_NONE;
}

static enum fw_upload_err tdx_host_write(struct fw_upload *fwl,
					 const u8 *data, u32 offset, u32 size,
					 u32 *written)
{
	struct tdx_host *host = fwl->dd_handle;
	int ret;

	/* The whole image is installed at once. */
	ret = offset ? -ENOMEM : tdx_module_update(&host->req, data, size);
	spin_lock(&host->lock);
	host->active = false;
	spin_unlock(&host->lock);
	*written = size;
	return tdx_host_fw_err(ret);
}

static enum fw_upload_err tdx_host_poll_complete(struct fw_upload *fwl)
{
	/* tdx_host_write() returns when the update is over. */
	return FW_UPLOAD_ERR_NONE;
}

/*
 * Runs under the upload's own lock, in the task that wrote to "cancel",
 * also when no upload runs.  It must not wait for the update, and never
 * touches the update gate: tdx_module_update_cancel() only flags the
 * request and wakes its waiter.  Before the image is complete there is
 * nothing to call off here; writing -1 to "loading" aborts the transfer.
 */
static void tdx_host_cancel(struct fw_upload *fwl)
{
	struct tdx_host *host = fwl->dd_handle;
	bool called_off = true;

	spin_lock(&host->lock);
	if (host->active)
		called_off = tdx_module_update_cancel(&host->req);
	spin_unlock(&host->lock);

	if (!called_off)
		dev_info(&tdx_host_pdev->dev,
			 "cancel ignored: the update is past the point of no return and will complete\n");
}

static const struct fw_upload_ops tdx_host_upload_ops = {
	.prepare = tdx_host_prepare,
	.write = tdx_host_write,
	.poll_complete = tdx_host_poll_complete,
	.cancel = tdx_host_cancel,
};

/* ---- attributes --------------------------------------------------- */

static ssize_t version_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct tdx_module_version v;
	int ret = tdx_module_version(&v);

	if (ret)
		return ret;
	return sysfs_emit(buf, "%u.%u.%02u\n", v.major, v.minor, v.update);
}
static DEVICE_ATTR_RO(version);

static ssize_t seamldr_version_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct tdx_module_version v;
	int ret = tdx_seamldr_version(&v);

	if (ret)
		return ret;
	return sysfs_emit(buf, "%u.%u.%02u\n", v.major, v.minor, v.update);
}
static DEVICE_ATTR_ADMIN_RO(seamldr_version);

static ssize_t num_remaining_updates_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	u32 remaining;
	int ret = tdx_update_remaining(&remaining);

	if (ret)
		return ret;
	return sysfs_emit(buf, "%u\n", remaining);
}
static DEVICE_ATTR_ADMIN_RO(num_remaining_updates);

static ssize_t update_state_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  tdx_update_state_name(tdx_update_state()));
}
static DEVICE_ATTR_RO(update_state);

static ssize_t builds_in_flight_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", tdx_builds_in_flight());
}
static DEVICE_ATTR_RO(builds_in_flight);

static ssize_t update_timeout_ms_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(tdx_host.timeout_ms));
}

/*
 * Milliseconds as a person writes them: decimal digits, the first not 0,
 * then at most a newline.  kstrtouint() alone also takes a sign, and
 * stops at a NUL with whatever follows it unread.
 */
static int parse_ms(const char *buf, size_t count, unsigned int *ms)
{
	size_t i, len = count;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || buf[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isdigit(buf[i]))
			return -EINVAL;
	/* sysfs ends the buffer with a NUL after @count bytes. */
	return kstrtouint(buf, 10, ms) ? -EINVAL : 0;
}

static ssize_t update_timeout_ms_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned int ms;

	if (parse_ms(buf, count, &ms) || ms > TDX_UPDATE_MAX_TIMEOUT_MS)
		return -EINVAL;
	WRITE_ONCE(tdx_host.timeout_ms, ms);
	return count;
}
static DEVICE_ATTR_RW(update_timeout_ms);

static ssize_t update_mode_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(tdx_host.nonblock) ? "nonblock" : "block");
}

static ssize_t update_mode_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	if (sysfs_streq(buf, "block"))
		WRITE_ONCE(tdx_host.nonblock, false);
	else if (sysfs_streq(buf, "nonblock"))
		WRITE_ONCE(tdx_host.nonblock, true);
	else
		return -EINVAL;
	return count;
}
static DEVICE_ATTR_RW(update_mode);

static struct attribute *tdx_host_attrs[] = {
	&dev_attr_version.attr,
	&dev_attr_seamldr_version.attr,
	&dev_attr_num_remaining_updates.attr,
	&dev_attr_update_state.attr,
	&dev_attr_builds_in_flight.attr,
	&dev_attr_update_timeout_ms.attr,
	&dev_attr_update_mode.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tdx_host);

/* ---- device ------------------------------------------------------- */

static int tdx_host_probe(struct platform_device *pdev)
{
	struct tdx_module_version v;
	struct fw_upload *fwl;

	/*
	 * A module that answers and cannot be updated gets no upload
	 * device.  One that does not answer yet may still be initialized
	 * later (KVM does it on first use): register, and let the update
	 * decide then.
	 */
	if (tdx_update_state() == TDX_UPDATE_UNSUPPORTED &&
	    !tdx_module_version(&v)) {
		dev_info(&pdev->dev, "no runtime update: tdx_module not registered\n");
		return 0;
	}
	fwl = firmware_upload_register(THIS_MODULE, &pdev->dev, "tdx_module",
				       &tdx_host_upload_ops, &tdx_host);
	if (IS_ERR(fwl))
		return PTR_ERR(fwl);
	tdx_host.fwl = fwl;
	return 0;
}

static void tdx_host_remove(struct platform_device *pdev)
{
	/* An upload that has not started its update yet must not start it. */
	spin_lock(&tdx_host.lock);
	tdx_host.removing = true;
	spin_unlock(&tdx_host.lock);
	if (tdx_host.fwl)
		firmware_upload_unregister(tdx_host.fwl);
	tdx_host.fwl = NULL;
}

static struct platform_driver tdx_host_driver = {
	.probe = tdx_host_probe,
	.remove = tdx_host_remove,
	.driver = {
		.name = "tdx_host",
		.dev_groups = tdx_host_groups,
	},
};

static int __init tdx_host_init(void)
{
	int ret;

	if (!boot_cpu_has(X86_FEATURE_TDX_HOST_PLATFORM))
		return -ENODEV;
	tdx_update_request_init(&tdx_host.req, 0, false);
	ret = platform_driver_register(&tdx_host_driver);
	if (ret)
		return ret;
	tdx_host_pdev = platform_device_register_simple("tdx_host", -1, NULL, 0);
	if (IS_ERR(tdx_host_pdev)) {
		platform_driver_unregister(&tdx_host_driver);
		return PTR_ERR(tdx_host_pdev);
	}
	return 0;
}
module_init(tdx_host_init);

static void __exit tdx_host_exit(void)
{
	platform_device_unregister(tdx_host_pdev);
	platform_driver_unregister(&tdx_host_driver);
}
module_exit(tdx_host_exit);

MODULE_DESCRIPTION("TDX host: module version and runtime module update");
MODULE_LICENSE("GPL");
