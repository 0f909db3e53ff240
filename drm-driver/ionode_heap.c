// SPDX-License-Identifier: GPL-2.0
/*
 * ionode heap layer: registration, selection by heap mask in priority order
 * (ION's fallback rule) and per-heap accounting.
 *
 * Heaps are registered once, while the driver probes, and never change while
 * the device is registered, so walking idev->heaps[] needs no lock.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/set_memory.h>

#include "ionode_drv.h"

/*
 * A write-combined user or kernel mapping of RAM must agree with the
 * kernel's linear mapping of the same pages: on x86 PAT would otherwise
 * quietly turn the mapping back to write-back. Switch the linear mapping
 * of page-backed write-combined buffers for their lifetime, as TTM does.
 */
static int ionode_heap_set_wc(struct ionode_bo *bo, bool wc)
{
#ifdef CONFIG_X86
	unsigned long npages = ionode_bo_npages(bo);

	if (!bo->pages || (bo->flags & IONODE_BO_CACHED))
		return 0;
	if (npages > INT_MAX)
		return -E2BIG;
	return wc ? set_pages_array_wc(bo->pages, npages) :
		    set_pages_array_wb(bo->pages, npages);
#else
	return 0;
#endif
}

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

/**
 * ionode_heap_alloc - back a buffer from the first heap that has room
 * @idev: the ionode device
 * @bo: buffer whose size and flags are set
 * @heap_mask: candidates from ionode_heap_candidates()
 * @align: power-of-two alignment, at least PAGE_SIZE
 *
 * Heaps are tried in id order; a heap that is exhausted (-ENOMEM) or at
 * its heap_limits byte limit makes way for the next one. On success
 * @bo->heap is set and the heap's counters grow.
 *
 * Return: 0; -EDQUOT when every heap failed and one of them for its limit;
 * -ENOMEM when every heap is exhausted; or the first other error.
 */
int ionode_heap_alloc(struct ionode_device *idev, struct ionode_bo *bo,
		      u64 heap_mask, u64 align)
{
	u64 size = bo->base.size;
	bool limited = false;
	unsigned int i;
	int ret;

	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];

		if (!(heap_mask & BIT_ULL(heap->id)))
			continue;
		if (!ionode_heap_reserve(heap, size)) {
			limited = true;
			continue;
		}

		ret = heap->ops->allocate(heap, bo, align);
		if (!ret) {
			ret = ionode_heap_set_wc(bo, true);
			if (ret)
				heap->ops->release(heap, bo);
		}
		ionode_heap_settle(heap, size, !ret);
		if (ret == -ENOMEM)
			continue;
		if (ret)
			return ret;

		bo->heap = heap;
		return 0;
	}
	return limited ? -EDQUOT : -ENOMEM;
}

/**
 * ionode_heap_free - give a buffer's memory back to its heap
 * @bo: buffer allocated by ionode_heap_alloc()
 */
void ionode_heap_free(struct ionode_bo *bo)
{
	struct ionode_heap *heap = bo->heap;

	WARN_ON(ionode_heap_set_wc(bo, false));
	heap->ops->release(heap, bo);
	mutex_lock(&heap->lock);
	heap->used_bytes -= bo->base.size;
	heap->buffers--;
	mutex_unlock(&heap->lock);
	bo->heap = NULL;
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
