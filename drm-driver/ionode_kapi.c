// SPDX-License-Identifier: GPL-2.0
/*
 * ionode in-kernel API: other drivers allocate from ionode heaps and get
 * dma-bufs back. Such buffers are charged to the "kernel" client, may use
 * restricted heaps and are exported with ionode's own dma_buf_ops, so that
 * userspace can import them into ionode (and see them in its accounting)
 * and hand them to any other importer.
 */
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/fcntl.h>
#include <linux/mutex.h>

#include "ionode.h"
#include "ionode_drv.h"

static DEFINE_MUTEX(kapi_lock);
static struct ionode_device *kapi_dev;

/**
 * ionode_kapi_register - make a device the one the in-kernel API serves
 * @idev: the probed device, or NULL when it goes away
 */
void ionode_kapi_register(struct ionode_device *idev)
{
	mutex_lock(&kapi_lock);
	kapi_dev = idev;
	mutex_unlock(&kapi_lock);
}

/**
 * ionode_heap_id - look up a heap by name
 * @name: heap name, as listed by DRM_IOCTL_IONODE_QUERY_HEAPS
 *
 * The id's bit in a heap mask selects the heap: BIT_ULL(id).
 *
 * Context: process context.
 * Return: the heap id, -ENOENT when no heap has that name, or -ENODEV
 * when no ionode device is registered.
 */
int ionode_heap_id(const char *name)
{
	struct ionode_heap *heap;
	int ret = -ENODEV;

	mutex_lock(&kapi_lock);
	if (kapi_dev) {
		heap = ionode_heap_by_name(kapi_dev, name);
		ret = heap ? heap->id : -ENOENT;
	}
	mutex_unlock(&kapi_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(ionode_heap_id);

/**
 * ionode_alloc - allocate a zeroed buffer from ionode heaps as a dma-buf
 * @size: size in bytes, non-zero; rounded up to the page size
 * @align: 0 or a power-of-two alignment of the start address
 * @heap_mask: heaps to try, BIT_ULL(ionode_heap_id(name)) each, tried in
 *	ionode's priority order with fallback on exhaustion
 * @flags: IONODE_BO_CACHED and/or IONODE_BO_CONTIGUOUS
 *
 * The dma-buf is the only reference to the buffer: dma_buf_put() frees it.
 * It can be given to userspace with dma_buf_fd().
 *
 * Context: process context; may sleep.
 * Return: the dma-buf, or an ERR_PTR with the errno that
 * DRM_IOCTL_IONODE_CREATE documents, or -ENODEV without an ionode device.
 */
struct dma_buf *ionode_alloc(size_t size, u64 align, u64 heap_mask, u32 flags)
{
	struct dma_buf *dma_buf;
	struct ionode_bo *bo;

	mutex_lock(&kapi_lock);
	if (!kapi_dev) {
		dma_buf = ERR_PTR(-ENODEV);
		goto out;
	}

	bo = ionode_bo_create(kapi_dev, kapi_dev->kernel_client, size, align,
			      heap_mask, flags);
	if (IS_ERR(bo)) {
		dma_buf = ERR_CAST(bo);
		goto out;
	}
	/* The dma-buf takes its own reference on the object. */
	dma_buf = ionode_gem_prime_export(&bo->base, O_RDWR | O_CLOEXEC);
	drm_gem_object_put(&bo->base);
out:
	mutex_unlock(&kapi_lock);
	return dma_buf;
}
EXPORT_SYMBOL_GPL(ionode_alloc);
