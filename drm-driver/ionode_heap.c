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
	if (align > PAGE_SIZE && (!contig || align > heap->max_alloc))
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
 * @out_mask: the heaps worth trying
 *
 * Return: 0, -EINVAL when no heap of the mask exists or can meet @flags and
 * @align, -E2BIG when @size exceeds every such heap's max_alloc.
 */
int ionode_heap_candidates(struct ionode_device *idev, u64 heap_mask,
			   u32 flags, u64 align, u64 size, u64 *out_mask)
{
	bool suitable = false;
	unsigned int i;

	*out_mask = 0;
	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];

		if (!(heap_mask & BIT_ULL(heap->id)) ||
		    !ionode_heap_can_serve(heap, flags, align))
			continue;
		suitable = true;
		/* max_alloc is page aligned: no overflow when rounding later */
		if (size <= heap->max_alloc)
			*out_mask |= BIT_ULL(heap->id);
	}

	if (!suitable)
		return -EINVAL;
	return *out_mask ? 0 : -E2BIG;
}

/**
 * ionode_heap_alloc - back a buffer from the first heap that has room
 * @idev: the ionode device
 * @bo: buffer whose size and flags are set
 * @heap_mask: candidates from ionode_heap_candidates()
 * @align: power-of-two alignment, at least PAGE_SIZE
 *
 * Heaps are tried in id order; an exhausted heap (-ENOMEM) makes way for
 * the next one. On success @bo->heap is set and the heap's counters grow.
 *
 * Return: 0, -ENOMEM when every heap is exhausted, or the first other error.
 */
int ionode_heap_alloc(struct ionode_device *idev, struct ionode_bo *bo,
		      u64 heap_mask, u64 align)
{
	unsigned int i;
	int ret;

	for (i = 0; i < idev->num_heaps; i++) {
		struct ionode_heap *heap = idev->heaps[i];

		if (!(heap_mask & BIT_ULL(heap->id)))
			continue;

		ret = heap->ops->allocate(heap, bo, align);
		if (!ret) {
			ret = ionode_heap_set_wc(bo, true);
			if (ret)
				heap->ops->release(heap, bo);
		}
		if (ret == -ENOMEM)
			continue;
		if (ret)
			return ret;

		bo->heap = heap;
		mutex_lock(&heap->lock);
		heap->used_bytes += bo->base.size;
		heap->buffers++;
		mutex_unlock(&heap->lock);
		return 0;
	}
	return -ENOMEM;
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
