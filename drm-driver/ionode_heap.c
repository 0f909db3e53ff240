// SPDX-License-Identifier: GPL-2.0
/*
 * ionode heap layer: registration, selection by heap mask in priority order
 * (ION's fallback rule) and per-heap accounting.
 *
 * Heaps are registered once, while the driver probes, and never change while
 * the device is registered, so walking idev->heaps[] needs no lock.
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

/**
 * ionode_heap_add - register a heap
 * @idev: the ionode device
 * @heap: heap with @ops, @name, @type, @flags and @max_alloc filled in
 *
 * The heap gets the next id, which is also its place in the fallback order.
 *
 * Return: 0 or -ENOSPC when IONODE_MAX_HEAPS heaps already exist.
 */
int ionode_heap_add(struct ionode_device *idev, struct ionode_heap *heap)
{
	if (idev->num_heaps >= IONODE_MAX_HEAPS)
		return -ENOSPC;

	heap->id = idev->num_heaps;
	heap->idev = idev;
	mutex_init(&heap->lock);
	idev->heaps[idev->num_heaps++] = heap;
	return 0;
}

/**
 * ionode_heaps_destroy - unregister and free every heap
 * @idev: the ionode device, with no buffer left
 */
void ionode_heaps_destroy(struct ionode_device *idev)
{
	while (idev->num_heaps) {
		struct ionode_heap *heap = idev->heaps[--idev->num_heaps];

		idev->heaps[idev->num_heaps] = NULL;
		WARN_ON(heap->buffers || heap->used_bytes);
		mutex_destroy(&heap->lock);
		if (heap->ops->destroy)
			heap->ops->destroy(heap);
		else
			kfree(heap);
	}
}

static bool ionode_heap_can_serve(const struct ionode_heap *heap, u32 flags,
				  u64 align)
{
	bool contig = heap->flags & IONODE_HEAP_CONTIGUOUS;

	if ((flags & IONODE_BO_CONTIGUOUS) && !contig)
		return false;
	/* Only a contiguous heap can place a buffer on a coarser boundary. */
	if (align > PAGE_SIZE &&
	    (!contig || align > (heap->max_align ?: heap->max_alloc)))
		return false;
	return true;
}

/**
 * ionode_heap_candidates - the heaps of a mask able to serve a request
 * @idev: the ionode device
 * @heap_mask: heaps the caller accepts
 * @flags: IONODE_BO_* flags
 * @align: power-of-two alignment, at least PAGE_SIZE
 * @size: requested size in bytes, not yet rounded
 * @trusted: the caller is a kernel driver, which may use restricted heaps
 * @out_mask: the heaps worth trying
 *
 * Return: 0; -EPERM when only restricted heaps could serve the request;
 * otherwise -EINVAL when no heap of the mask exists or can meet @flags and
 * @align, -E2BIG when @size exceeds the max_alloc of every heap that could.
 */
int ionode_heap_candidates(struct ionode_device *idev, u64 heap_mask,
			   u32 flags, u64 align, u64 size, bool trusted,
			   u64 *out_mask)
{
	bool suitable = false, refused = false;
	unsigned int i;

	*out_mask = 0;
	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];
		/* max_alloc is page aligned: no overflow when rounding later */
		bool fits = size <= heap->max_alloc;

		if (!(heap_mask & BIT_ULL(heap->id)) ||
		    !ionode_heap_can_serve(heap, flags, align))
			continue;
		if (!trusted && ionode_policy_heap_restricted(heap) &&
		    !ionode_policy_privileged()) {
			refused |= fits;
			continue;
		}
		suitable = true;
		if (fits)
			*out_mask |= BIT_ULL(heap->id);
	}

	if (*out_mask)
		return 0;
	/* Only a heap the caller may not use could have served. */
	if (refused)
		return -EPERM;
	return suitable ? -E2BIG : -EINVAL;
}

/* Claims @size bytes of the heap's limit; false when it would be passed. */
static bool ionode_heap_reserve(struct ionode_heap *heap, u64 size)
{
	u64 limit = ionode_policy_heap_limit(heap);
	bool ok;

	mutex_lock(&heap->lock);
	ok = !limit || (size <= limit && heap->used_bytes <= limit - size);
	if (ok)
		heap->used_bytes += size;
	mutex_unlock(&heap->lock);
	return ok;
}

static void ionode_heap_settle(struct ionode_heap *heap, u64 size, bool ok)
{
	mutex_lock(&heap->lock);
	if (ok) {
		heap->buffers++;
		heap->peak_bytes = max(heap->peak_bytes, heap->used_bytes);
	} else {
		heap->used_bytes -= size;
	}
	mutex_unlock(&heap->lock);
}

/* Takes @b's memory back and uncounts it; its caching attribute is WB. */
static void ionode_heap_release(struct ionode_backing *b)
{
	struct ionode_heap *heap = b->heap;
	size_t size = b->size;

	heap->ops->release(heap, b);
	mutex_lock(&heap->lock);
	heap->used_bytes -= size;
	heap->buffers--;
	mutex_unlock(&heap->lock);
}

static int ionode_backing_set_wc(struct ionode_backing *b, bool wc)
{
	return b->ops->set_wc ? b->ops->set_wc(b, wc) : 0;
}

/*
 * Switching the kernel's mapping of a buffer's memory back to write-back
 * can fail when the page-table split it needs cannot get memory. Memory
 * that may still be write-combined must never go back to the page
 * allocator, so it waits here and is retried until the switch succeeds,
 * holding its heap's DRM device until then.
 */
static LIST_HEAD(ionode_wb_pending);
static DEFINE_MUTEX(ionode_wb_lock); /* protects ionode_wb_pending */
static void ionode_wb_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ionode_wb_work, ionode_wb_work_fn);

static void ionode_wb_work_fn(struct work_struct *work)
{
	struct ionode_backing *b, *tmp;
	LIST_HEAD(done);
	bool again;

	mutex_lock(&ionode_wb_lock);
	list_for_each_entry_safe(b, tmp, &ionode_wb_pending, node)
		if (!ionode_backing_set_wc(b, false))
			list_move_tail(&b->node, &done);
	again = !list_empty(&ionode_wb_pending);
	mutex_unlock(&ionode_wb_lock);

	list_for_each_entry_safe(b, tmp, &done, node) {
		struct drm_device *drm = &b->heap->idev->drm;

		list_del_init(&b->node);
		ionode_heap_release(b);
		drm_dev_put(drm);
	}
	if (again)
		schedule_delayed_work(&ionode_wb_work, HZ / 10);
}

/**
 * ionode_heap_flush_deferred - wait until all memory waiting for its
 *	write-back switch is back in its heap
 *
 * Called before the module goes away.
 */
void ionode_heap_flush_deferred(void)
{
	for (;;) {
		bool empty;

		flush_delayed_work(&ionode_wb_work);
		mutex_lock(&ionode_wb_lock);
		empty = list_empty(&ionode_wb_pending);
		mutex_unlock(&ionode_wb_lock);
		if (empty)
			break;
		msleep(20);
	}
}

/*
 * Puts fresh memory in its caching mode. On failure the memory goes back
 * to its heap (or, when even the write-back attribute cannot be restored
 * at once, to the worker above) and the caller tries the next heap.
 */
static bool ionode_heap_make_wc(struct ionode_backing *b)
{
	if (!ionode_backing_set_wc(b, true))
		return true;
	/*
	 * 6.1's set_pages_array_wc() leaves the pages it changed before
	 * failing as they are: put them all back to write-back.
	 */
	ionode_heap_free(b);
	return false;
}

/**
 * ionode_heap_alloc - memory from the first heap of a mask that has room
 * @idev: the ionode device
 * @heap_mask: candidates from ionode_heap_candidates()
 * @size: bytes, page aligned
 * @align: power-of-two alignment, at least PAGE_SIZE
 * @flags: IONODE_BO_* flags
 *
 * Heaps are tried in id order; a heap that is exhausted (-ENOMEM), at its
 * heap_limits byte limit, or whose memory cannot be switched to the
 * buffer's caching mode makes way for the next one. The heap's counters
 * grow by the memory returned.
 *
 * Return: the backing memory (its @heap set), or an ERR_PTR: -EDQUOT when
 * every heap failed and one of them for its limit; -ENOMEM when every heap
 * is exhausted; or the first other error.
 */
struct ionode_backing *ionode_heap_alloc(struct ionode_device *idev,
					 u64 heap_mask, size_t size,
					 size_t align, u32 flags)
{
	struct ionode_backing *b;
	bool limited = false;
	unsigned int i;

	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];

		if (!(heap_mask & BIT_ULL(heap->id)))
			continue;
		if (!ionode_heap_reserve(heap, size)) {
			limited = true;
			continue;
		}

		b = heap->ops->allocate(heap, size, align, flags);
		ionode_heap_settle(heap, size, !IS_ERR(b));
		if (IS_ERR(b)) {
			if (PTR_ERR(b) == -ENOMEM)
				continue;
			return b;
		}
		b->heap = heap;
		if (ionode_heap_make_wc(b))
			return b;
	}
	return ERR_PTR(limited ? -EDQUOT : -ENOMEM);
}

/**
 * ionode_heap_free - give memory back to its heap
 * @b: memory from ionode_heap_alloc()
 *
 * When the memory's write-back attribute cannot be restored at once, a
 * worker retries and gives it back later.
 */
void ionode_heap_free(struct ionode_backing *b)
{
	if (!ionode_backing_set_wc(b, false)) {
		ionode_heap_release(b);
		return;
	}
	drm_dbg_driver(&b->heap->idev->drm,
		       "%zu bytes wait for their write-back switch\n", b->size);
	drm_dev_get(&b->heap->idev->drm);
	mutex_lock(&ionode_wb_lock);
	list_add_tail(&b->node, &ionode_wb_pending);
	mutex_unlock(&ionode_wb_lock);
	schedule_delayed_work(&ionode_wb_work, HZ / 10);
}

/**
 * ionode_heap_fill_info - describe a heap for DRM_IOCTL_IONODE_QUERY_HEAPS
 * @heap: the heap
 * @info: filled in, padding zeroed
 */
void ionode_heap_fill_info(struct ionode_heap *heap,
			   struct drm_ionode_heap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = heap->id;
	info->type = heap->type;
	info->flags = heap->flags;
	if (ionode_policy_heap_restricted(heap))
		info->flags |= IONODE_HEAP_RESTRICTED;
	strscpy(info->name, heap->name, sizeof(info->name));
	info->max_alloc = heap->max_alloc;
	info->total_bytes = IONODE_SIZE_UNKNOWN;
	info->free_bytes = IONODE_SIZE_UNKNOWN;
	if (heap->ops->query)
		heap->ops->query(heap, &info->total_bytes, &info->free_bytes);
	if (heap->ops->pooled)
		info->pool_bytes = heap->ops->pooled(heap);

	mutex_lock(&heap->lock);
	info->used_bytes = heap->used_bytes;
	mutex_unlock(&heap->lock);
}

/**
 * ionode_heap_by_name - look a heap up by its name
 * @idev: the ionode device
 * @name: heap name
 *
 * Return: the heap or NULL.
 */
struct ionode_heap *ionode_heap_by_name(struct ionode_device *idev,
					const char *name)
{
	unsigned int i;

	for (i = 0; i < idev->num_heaps; i++)
		if (!strcmp(idev->heaps[i]->name, name))
			return idev->heaps[i];
	return NULL;
}

static const char *const ionode_heap_type_names[] = {
	[IONODE_HEAP_TYPE_SYSTEM] = "system",
	[IONODE_HEAP_TYPE_SYSTEM_CONTIG] = "system-contig",
	[IONODE_HEAP_TYPE_CARVEOUT] = "carveout",
	[IONODE_HEAP_TYPE_CMA] = "cma",
};

/**
 * ionode_heaps_show - print every heap's usage, for debugfs
 * @m: the seq_file
 * @idev: the ionode device
 */
void ionode_heaps_show(struct seq_file *m, struct ionode_device *idev)
{
	unsigned int i;

	seq_printf(m, "%-3s %-16s %-14s %14s %14s %14s %8s %14s %s\n", "id",
		   "name", "type", "total", "used", "peak", "buffers", "limit",
		   "restricted");
	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];
		struct drm_ionode_heap_info info;
		u64 peak, buffers;

		ionode_heap_fill_info(heap, &info);
		mutex_lock(&heap->lock);
		peak = heap->peak_bytes;
		buffers = heap->buffers;
		mutex_unlock(&heap->lock);

		seq_printf(m, "%-3u %-16s %-14s ", heap->id, heap->name,
			   ionode_heap_type_names[heap->type]);
		if (info.total_bytes == IONODE_SIZE_UNKNOWN)
			seq_printf(m, "%14s ", "-");
		else
			seq_printf(m, "%14llu ", info.total_bytes);
		seq_printf(m, "%14llu %14llu %8llu %14llu %s\n", info.used_bytes,
			   peak, buffers, ionode_policy_heap_limit(heap),
			   (info.flags & IONODE_HEAP_RESTRICTED) ? "yes" : "no");
	}
}
