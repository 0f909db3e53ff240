// SPDX-License-Identifier: GPL-2.0
/*
 * ionode in-kernel API: other drivers allocate from ionode heaps and get
 * dma-bufs back, exported with ionode's own dma_buf_ops, so that userspace
 * can import them into ionode (and see them in its accounting) and hand
 * them to any other importer. A driver's own buffers are charged to the
 * "kernel" client, which may use restricted heaps; buffers a driver
 * allocates for a user are charged to a client standing for that user,
 * with the limits and restrictions of a DRM file of that user.
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
	ionode_heap_set_device(idev);
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
	int ret = -ENODEV;

	mutex_lock(&kapi_lock);
	if (kapi_dev)
		ret = ionode_heap_lookup_id(kapi_dev, name);
	mutex_unlock(&kapi_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(ionode_heap_id);

/* Allocates for @client on its device and exports the buffer. */
static struct dma_buf *ionode_kapi_alloc(struct ionode_client *client,
					 size_t size, u64 align, u64 heap_mask,
					 u32 flags)
{
	struct dma_buf *dma_buf;
	struct ionode_bo *bo;

	bo = ionode_bo_create(client->idev, client, size, align, heap_mask,
			      flags);
	if (IS_ERR(bo))
		return ERR_CAST(bo);
	/* The dma-buf takes its own reference on the object. */
	dma_buf = ionode_gem_prime_export(&bo->base, O_RDWR | O_CLOEXEC);
	drm_gem_object_put(&bo->base);
	return dma_buf;
}

/**
 * ionode_alloc - allocate a zeroed buffer from ionode heaps as a dma-buf
 * @size: size in bytes, non-zero; rounded up to the page size
 * @align: 0 or a power-of-two alignment of the start address
 * @heap_mask: heaps to try, BIT_ULL(ionode_heap_id(name)) each, tried in
 *	ionode's priority order with fallback on exhaustion
 * @flags: IONODE_BO_CACHED and/or IONODE_BO_CONTIGUOUS
 *
 * The buffer is charged to ionode's "kernel" client, which has no client
 * limit and may use restricted heaps: use it for the driver's own buffers
 * only, and ionode_client_alloc() for buffers a user asks for. Its pages
 * are charged to the memory cgroup of the calling task.
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

	mutex_lock(&kapi_lock);
	if (kapi_dev)
		dma_buf = ionode_kapi_alloc(kapi_dev->kernel_client, size, align,
					    heap_mask, flags);
	else
		dma_buf = ERR_PTR(-ENODEV);
	mutex_unlock(&kapi_lock);
	return dma_buf;
}
EXPORT_SYMBOL_GPL(ionode_alloc);

/**
 * ionode_client_open - make an ionode client for the calling task
 * @label: how the client reaches ionode, shown in ionode's accounting
 *	(for example "v4l2"); at most 15 characters are kept
 *
 * A driver that allocates buffers on behalf of a user (V4L2 MMAP buffers,
 * for example) calls this when that user opens the driver's file, and
 * allocates with ionode_client_alloc(). The client records the task's
 * thread group id and command name and is listed in ionode's per-client
 * accounting (debugfs "clients") like a DRM file of that task; its
 * buffers count against client_limit and may not come from restricted
 * heaps unless the allocating task is privileged.
 *
 * Context: process context; may sleep.
 * Return: the client, or an ERR_PTR: -ENODEV without an ionode device,
 * -ENOMEM. Release it with ionode_client_close().
 */
struct ionode_client *ionode_client_open(const char *label)
{
	struct ionode_client *client = ERR_PTR(-ENODEV);

	mutex_lock(&kapi_lock);
	if (kapi_dev) {
		client = ionode_client_create(kapi_dev, NULL, label, false);
		if (!client)
			client = ERR_PTR(-ENOMEM);
	}
	mutex_unlock(&kapi_lock);
	return client;
}
EXPORT_SYMBOL_GPL(ionode_client_open);

/**
 * ionode_client_close - the user a client stands for closed its file
 * @client: a client from ionode_client_open(), or NULL
 *
 * Buffers the client allocated stay charged to it until they are freed
 * (for example dma-bufs exported to userspace); the client is listed as
 * closed until then.
 *
 * Context: process context; may sleep.
 */
void ionode_client_close(struct ionode_client *client)
{
	if (!IS_ERR_OR_NULL(client))
		ionode_client_mark_closed(client);
}
EXPORT_SYMBOL_GPL(ionode_client_close);

/**
 * ionode_client_alloc - allocate a zeroed buffer charged to a client
 * @client: a client from ionode_client_open()
 * @size: size in bytes, non-zero; rounded up to the page size
 * @align: 0 or a power-of-two alignment of the start address
 * @heap_mask: heaps to try, as for ionode_alloc()
 * @flags: IONODE_BO_CACHED and/or IONODE_BO_CONTIGUOUS
 *
 * Like ionode_alloc(), but the buffer is charged to @client for its whole
 * life: client_limit applies, and restricted heaps are used only when the
 * calling task is privileged (CAP_SYS_ADMIN or restricted_gid, judged in
 * the initial user namespace). The pages are charged to the calling
 * task's memory cgroup.
 *
 * Context: process context; may sleep.
 * Return: the dma-buf (its only reference is the caller's), or an ERR_PTR
 * with the errno that DRM_IOCTL_IONODE_CREATE documents, or -ENODEV when
 * the client's device is gone (unbound).
 */
struct dma_buf *ionode_client_alloc(struct ionode_client *client, size_t size,
				    u64 align, u64 heap_mask, u32 flags)
{
	if (IS_ERR_OR_NULL(client))
		return ERR_PTR(-EINVAL);
	return ionode_kapi_alloc(client, size, align, heap_mask, flags);
}
EXPORT_SYMBOL_GPL(ionode_client_alloc);
