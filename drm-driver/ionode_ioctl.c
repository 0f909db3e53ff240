// SPDX-License-Identifier: GPL-2.0
/*
 * ionode driver-private ioctls. Each one validates every field of its
 * argument before acting on any of it; the DRM core copies the struct back
 * to userspace after the handler, including on error.
 */
#include <linux/dma-buf.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>

#include "ionode_drv.h"

/* Size of struct drm_ionode_heap_info in uapi version 1.0: 80 bytes. */
#define IONODE_HEAP_INFO_SIZE_V1 \
	offsetofend(struct drm_ionode_heap_info, max_alloc)

int ionode_ioctl_query_heaps(struct drm_device *dev, void *data,
			     struct drm_file *file)
{
	struct ionode_device *idev = to_ionode_dev(dev);
	struct drm_ionode_query_heaps *args = data;
	u32 elem_size = args->elem_size;
	u8 __user *dst = u64_to_user_ptr(args->heaps);
	struct drm_ionode_heap_info *info;
	struct ionode_heap *heap;
	unsigned int i, n = 0;
	int idx, ret = 0;

	if (elem_size && elem_size < IONODE_HEAP_INFO_SIZE_V1)
		return -EINVAL;

	args->elem_size = sizeof(struct drm_ionode_heap_info);
	if (args->count && !elem_size)
		return -EINVAL;

	/*
	 * Heap modules come and go: one consistent list, taken under the
	 * heaps' lock and copied out after it (a fault there may sleep on
	 * mmap_lock, which a heap removal waiting for readers may hold).
	 */
	info = kcalloc(IONODE_MAX_HEAPS, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	idx = ionode_heaps_read_lock();
	ionode_for_each_heap(idev, heap)
		ionode_heap_fill_info(heap, &info[n++]);
	ionode_heaps_read_unlock(idx);

	if (args->count && args->count < n) {
		ret = -ENOSPC;
	} else if (args->count) {
		for (i = 0; i < n; i++) {
			if (copy_to_user(dst + (size_t)i * elem_size, &info[i],
					 min_t(size_t, elem_size,
					       sizeof(info[i])))) {
				ret = -EFAULT;
				break;
			}
		}
	}
	kfree(info);
	args->count = n;
	return ret;
}

int ionode_ioctl_create(struct drm_device *dev, void *data,
			struct drm_file *file)
{
	struct drm_ionode_create *args = data;
	struct ionode_bo *bo;
	u32 handle, heap_id;
	u64 size;
	int ret;

	if (args->pad)
		return -EINVAL;

	bo = ionode_bo_create(to_ionode_dev(dev), file->driver_priv, args->size,
			      args->align, args->heap_mask, args->flags);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	/*
	 * Read what the reply needs while our reference holds the object:
	 * once the handle exists another thread may close it (handles are
	 * predictable) and free the object under us.
	 */
	size = bo->base.size;
	heap_id = ionode_bo_heap_id(bo);
	ret = drm_gem_handle_create(file, &bo->base, &handle);
	drm_gem_object_put(&bo->base);
	if (ret)
		return ret;

	args->size = size;
	args->handle = handle;
	args->heap_id = heap_id;
	return 0;
}

/* What DRM_IOCTL_IONODE_ALLOC_FD accepts in fd_flags, as dma-buf heaps. */
#define IONODE_FD_FLAGS		(O_CLOEXEC | O_ACCMODE)

int ionode_ioctl_alloc_fd(struct drm_device *dev, void *data,
			  struct drm_file *file)
{
	struct drm_ionode_alloc_fd *args = data;
	struct dma_buf *dmabuf;
	struct ionode_bo *bo;
	u32 heap_id;
	u64 size;
	int fd;

	if (args->fd_flags & ~IONODE_FD_FLAGS)
		return -EINVAL;

	bo = ionode_bo_create(to_ionode_dev(dev), file->driver_priv, args->size,
			      args->align, args->heap_mask, args->flags);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	size = bo->base.size;
	heap_id = ionode_bo_heap_id(bo);
	/* The dma-buf takes its own reference; ours goes either way. */
	dmabuf = ionode_gem_prime_export(&bo->base, args->fd_flags);
	drm_gem_object_put(&bo->base);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = dma_buf_fd(dmabuf, args->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	/* Published: another thread may close it; dmabuf is not ours now. */
	args->size = size;
	args->fd = fd;
	args->heap_id = heap_id;
	return 0;
}

/**
 * ionode_map_offset - the fake offset to mmap() a buffer through a DRM fd
 * @file: the DRM file holding @handle
 * @dev: the DRM device
 * @handle: a GEM handle: an ionode buffer or an imported one (whose
 *	mappings go to its exporter's mmap)
 * @offset: the offset, made on first use (most buffers are never mapped
 *	through DRM)
 *
 * DRM_IOCTL_IONODE_MAP_OFFSET, and &drm_driver.dumb_map_offset: unlike
 * drm_gem_dumb_map_offset() it maps imported buffers too, which Mesa's
 * kms_swrast maps that way when it imports a dma-buf.
 *
 * Return: 0, -ENOENT for a bad handle, or -ENOMEM.
 */
int ionode_map_offset(struct drm_file *file, struct drm_device *dev,
		      u32 handle, u64 *offset)
{
	struct drm_gem_object *obj;
	int ret;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		*offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

int ionode_ioctl_map_offset(struct drm_device *dev, void *data,
			    struct drm_file *file)
{
	struct drm_ionode_map_offset *args = data;

	if (args->pad)
		return -EINVAL;
	return ionode_map_offset(file, dev, args->handle, &args->offset);
}

int ionode_ioctl_bo_info(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct drm_ionode_bo_info *args = data;
	struct drm_gem_object *obj;
	struct ionode_bo *bo;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_ionode_bo(obj);

	args->size = obj->size;
	args->heap_id = ionode_bo_heap_id(bo);
	args->flags = bo->flags;
	args->attrs = 0;
	if (bo->contiguous)
		args->attrs |= IONODE_ATTR_CONTIGUOUS;
	if (obj->import_attach)
		args->attrs |= IONODE_ATTR_IMPORTED;
	else if (obj->dma_buf)
		args->attrs |= IONODE_ATTR_EXPORTED;
	if (!obj->import_attach && !ionode_bo_backing(bo))
		args->attrs |= IONODE_ATTR_UNBACKED;
	args->pad2 = 0;

	drm_gem_object_put(obj);
	return 0;
}
