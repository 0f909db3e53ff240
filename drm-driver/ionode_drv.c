// SPDX-License-Identifier: GPL-2.0
/*
 * ionode - ION-style heap allocator on a DRM render node.
 *
 * Userspace allocates buffers from named heaps with GEM ioctls on
 * /dev/dri/renderD*, maps them, and shares them as PRIME dma-buf fds.
 * This file registers the DRM device and its heaps.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>

#include "ionode_drv.h"
#include "ionode_pool.h"

static const struct drm_ioctl_desc ionode_ioctls[] = {
	DRM_IOCTL_DEF_DRV(IONODE_QUERY_HEAPS, ionode_ioctl_query_heaps,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IONODE_CREATE, ionode_ioctl_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IONODE_MAP_OFFSET, ionode_ioctl_map_offset,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IONODE_BO_INFO, ionode_ioctl_bo_info,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IONODE_ALLOC_FD, ionode_ioctl_alloc_fd,
			  DRM_RENDER_ALLOW),
};

static const struct file_operations ionode_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.show_fdinfo = ionode_client_show_fdinfo,
};

/* Not static: the KUnit suites make devices of their own with it. */
const struct drm_driver ionode_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.ioctls = ionode_ioctls,
	.num_ioctls = ARRAY_SIZE(ionode_ioctls),
	.fops = &ionode_fops,
	.open = ionode_client_drm_open,
	.postclose = ionode_client_drm_postclose,
	.debugfs_init = ionode_debugfs_init,

	.prime_handle_to_fd = drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle = drm_gem_prime_fd_to_handle,
	.gem_prime_import = ionode_gem_prime_import,
	.gem_prime_import_sg_table = ionode_gem_prime_import_sg_table,
	.gem_prime_mmap = drm_gem_prime_mmap,

	/* Card node only; DESTROY_DUMB is DRM core's. */
	.dumb_create = ionode_dumb_create,
	.dumb_map_offset = ionode_map_offset,

	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = DRIVER_DATE,
	.major = IONODE_UAPI_MAJOR,
	.minor = IONODE_UAPI_MINOR,
};

static struct platform_device *ionode_pdev;

/*
 * The last reference to the DRM device is gone: no file, buffer or client
 * is left (each holds one), so the heaps can go.
 */
static void ionode_drm_release(struct drm_device *drm, void *data)
{
	struct ionode_device *idev = to_ionode_dev(drm);

	ionode_heaps_destroy(idev);
	WARN_ON(!list_empty(&idev->clients));
	WARN_ON(!list_empty(&idev->bos));
	mutex_destroy(&idev->clients_lock);
	mutex_destroy(&idev->bos_lock);
}

static int ionode_probe(struct platform_device *pdev)
{
	struct ionode_device *idev;
	int ret;

	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/*
	 * ionode's device only maps what it imports to describe it, no
	 * hardware walks those segments: no segment limit (the default would
	 * be 64 KiB, which exporters then have to split their buffers for).
	 */
	ret = dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	if (ret)
		return ret;

	idev = devm_drm_dev_alloc(&pdev->dev, &ionode_drm_driver,
				  struct ionode_device, drm);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	platform_set_drvdata(pdev, idev);
	mutex_init(&idev->clients_lock);
	INIT_LIST_HEAD(&idev->clients);
	mutex_init(&idev->bos_lock);
	INIT_LIST_HEAD(&idev->bos);
	/* Heaps live as long as the DRM device: buffers outlive an unbind. */
	ret = drmm_add_action_or_reset(&idev->drm, ionode_drm_release, NULL);
	if (ret)
		return ret;

	idev->kernel_client = ionode_client_create(idev, "kernel", "kernel",
						   true);
	if (!idev->kernel_client)
		return -ENOMEM;

	/* Registration order is the fallback order: cheapest memory first. */
	ret = ionode_system_heap_create(idev);
	if (!ret)
		ret = ionode_contig_heap_create(idev);
	if (!ret)
		ret = ionode_cma_heap_create(idev, &pdev->dev);
	if (!ret)
		ret = ionode_carveout_heaps_create(idev);
	if (ret)
		goto err_client;

	ret = ionode_sysfs_init(idev, &pdev->dev);
	if (ret)
		goto err_client;

	ret = drm_dev_register(&idev->drm, 0);
	if (ret)
		goto err_sysfs;

	ionode_kapi_register(idev);
	ionode_dmaheap_register(idev);
	drm_info(&idev->drm, "%u heap(s) registered\n", idev->num_heaps);
	return 0;

err_sysfs:
	ionode_sysfs_fini(idev);
err_client:
	ionode_client_put(idev->kernel_client);
	return ret;
}

/*
 * Unbind, also with clients still open. From here on ioctls and mmap() of
 * the device's files fail with -ENODEV (the DRM core checks
 * drm_dev_is_unplugged(); ionode's allocation paths run inside
 * drm_dev_enter()). What exists stays valid until its last reference goes:
 * buffers are ordinary memory, not device memory, so their CPU mappings,
 * their kernel mappings and the dma-bufs other drivers and processes hold
 * keep working, and each buffer keeps the DRM device (and so its heap and
 * client) alive; the heaps go in ionode_drm_release().
 */
static int ionode_remove(struct platform_device *pdev)
{
	struct ionode_device *idev = platform_get_drvdata(pdev);

	ionode_kapi_register(NULL);
	ionode_dmaheap_unregister();
	drm_dev_unplug(&idev->drm);
	ionode_sysfs_fini(idev);
	ionode_client_put(idev->kernel_client);
	return 0;
}

static struct platform_driver ionode_platform_driver = {
	.probe = ionode_probe,
	.remove = ionode_remove,
	.driver = {
		.name = DRIVER_NAME,
	},
};

static int __init ionode_init(void)
{
	int ret;

	ret = ionode_pool_init();
	if (ret)
		return ret;

	ret = ionode_carveout_init();
	if (ret)
		goto err_pool;

	ret = platform_driver_register(&ionode_platform_driver);
	if (ret)
		goto err_carveout;

	ionode_pdev = platform_device_register_simple(DRIVER_NAME, -1, NULL, 0);
	if (IS_ERR(ionode_pdev)) {
		ret = PTR_ERR(ionode_pdev);
		goto err_driver;
	}
	if (!platform_get_drvdata(ionode_pdev)) {
		/* Probe failed: its error went to the kernel log. */
		ret = -ENODEV;
		goto err_device;
	}
	return 0;

err_device:
	platform_device_unregister(ionode_pdev);
err_driver:
	platform_driver_unregister(&ionode_platform_driver);
err_carveout:
	ionode_carveout_exit();
err_pool:
	ionode_pool_exit();
	return ret;
}

static void __exit ionode_exit(void)
{
	/*
	 * Freed buffers whose pages still wait to become write-back hold no
	 * reference on the module: free them while their heaps and device
	 * are still there.
	 */
	ionode_heap_flush_deferred();
	platform_device_unregister(ionode_pdev);
	platform_driver_unregister(&ionode_platform_driver);
	ionode_carveout_exit();
	ionode_pool_exit();
}

module_init(ionode_init);
module_exit(ionode_exit);

MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
