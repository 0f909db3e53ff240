// SPDX-License-Identifier: GPL-2.0
/*
 * ionode dumb buffers: DRM_IOCTL_MODE_CREATE_DUMB on the card node, for
 * generic DRM clients such as Mesa's kms_swrast (GBM and EGL on a device
 * without a Mesa driver of its own), as vgem offers them. Render nodes
 * refuse the dumb ioctls (DRM core: they are not DRM_RENDER_ALLOW).
 *
 * A dumb buffer is an ordinary ionode buffer, write-combined, from the
 * first heap of the dumb_heaps module parameter that can serve it
 * (scanout-friendly: contiguous where a heap can, else system), created
 * through ionode_bo_create() like any other, so it is charged, limited
 * and accounted to the caller's DRM file. DRM_IOCTL_MODE_MAP_DUMB is
 * ionode_map_offset(), which also maps imported buffers (Mesa maps the
 * dma-bufs it imports so); DRM_IOCTL_MODE_DESTROY_DUMB is DRM core's (a
 * handle close).
 */
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include "ionode_drv.h"

/* Rows of a dumb buffer start on this boundary (scanout engines want it). */
#define IONODE_DUMB_PITCH_ALIGN	64

static char *dumb_heaps = "cma,system-contig,system";
module_param(dumb_heaps, charp, 0444);
MODULE_PARM_DESC(dumb_heaps,
		 "Heaps dumb buffers come from, tried in this order (default: cma,system-contig,system; names not present are skipped)");

/* A buffer of @size bytes from the first dumb heap that serves it. */
static struct ionode_bo *ionode_dumb_alloc(struct ionode_device *idev,
					   struct ionode_client *client,
					   u64 size)
{
	struct ionode_bo *bo = ERR_PTR(-EINVAL);
	char *list, *cur, *name;

	list = kstrdup(dumb_heaps ?: "", GFP_KERNEL);
	if (!list)
		return ERR_PTR(-ENOMEM);
	cur = list;
	while ((name = strsep(&cur, ","))) {
		int id = ionode_heap_lookup_id(idev, strim(name));

		if (id < 0)
			continue;
		bo = ionode_bo_create(idev, client, size, 0, BIT_ULL(id), 0);
		if (!IS_ERR(bo) || PTR_ERR(bo) == -EINTR)
			break;
	}
	kfree(list);
	return bo;
}

/**
 * ionode_dumb_create - &drm_driver.dumb_create for ionode
 * @file: the caller's DRM file (a card node: DRM core keeps render nodes
 *	out)
 * @dev: the DRM device
 * @args: width, height and bpp, checked for overflow by DRM core; pitch,
 *	size and handle are filled in
 *
 * Return: 0, -EINVAL for non-zero flags or a pitch beyond 32 bits, or the
 * error of the last dumb heap tried (see DRM_IOCTL_IONODE_CREATE).
 */
int ionode_dumb_create(struct drm_file *file, struct drm_device *dev,
		       struct drm_mode_create_dumb *args)
{
	u64 pitch = ALIGN((u64)args->width * DIV_ROUND_UP(args->bpp, 8),
			  IONODE_DUMB_PITCH_ALIGN);
	struct ionode_bo *bo;
	u32 handle;
	u64 size;
	int ret;

	if (args->flags || pitch > U32_MAX)
		return -EINVAL;

	bo = ionode_dumb_alloc(to_ionode_dev(dev), file->driver_priv,
			       pitch * args->height);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	/* As for DRM_IOCTL_IONODE_CREATE: read before the handle exists. */
	size = bo->base.size;
	ret = drm_gem_handle_create(file, &bo->base, &handle);
	drm_gem_object_put(&bo->base);
	if (ret)
		return ret;

	args->pitch = pitch;
	args->size = size;
	args->handle = handle;
	return 0;
}
