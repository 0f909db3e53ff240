// SPDX-License-Identifier: GPL-2.0
/*
 * ionode heap layer: registration, selection by heap mask in priority order
 * (ION's fallback rule) and per-heap accounting.
 *
 * ionode's own heaps are added while the driver probes; heap modules add
 * and remove theirs at any time (ionode_heap_register()). Readers of
 * idev->heaps[] (allocation, the query ioctl, sysfs, debugfs, fdinfo) walk
 * it under SRCU, ionode_heaps_read_lock(): they may sleep, and a heap
 * being removed waits for them (synchronize_srcu()) before its owner may
 * free it. Writers serialise on ionode_heaps_mutex, which also guards the
 * heaps' sysfs directories and the device heap modules register with.
 *
 * Ids. A heap's id is its bit in a heap mask, and masks outlive heaps (a
 * program may have computed one before a module unloaded). So an id is
 * tied to the name it was first given to, for the device's life: a heap
 * registered again under the same name gets its old id back, and no other
 * name ever gets it. A mask bit whose heap is gone selects nothing
 * (-EINVAL when no other heap of the mask exists, as for any id that names
 * no heap). New names get the lowest id never handed out, so a module's
 * heap comes last in the fallback order.
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "ionode_backing.h"
#include "ionode_drv.h"
#include "ionode_heap.h"

DEFINE_STATIC_SRCU(ionode_heaps_srcu);
static DEFINE_MUTEX(ionode_heaps_mutex); /* heaps[], heap sysfs, heap_dev */
static struct ionode_device *heap_dev; /* where heap modules register */

/**
 * ionode_heaps_read_lock - start walking heaps
 *
 * Heaps seen until ionode_heaps_read_unlock() stay registered (or at least
 * in memory, with their ops callable). The section may sleep.
 *
 * Return: the cookie for ionode_heaps_read_unlock().
 */
int ionode_heaps_read_lock(void)
	__acquires(ionode_heaps_srcu)
{
	return srcu_read_lock(&ionode_heaps_srcu);
}

/**
 * ionode_heaps_read_unlock - end what ionode_heaps_read_lock() started
 * @idx: its cookie
 */
void ionode_heaps_read_unlock(int idx) __releases(ionode_heaps_srcu)
{
	srcu_read_unlock(&ionode_heaps_srcu, idx);
}

/**
 * ionode_heaps_lock - exclude heap registration and removal
 */
void ionode_heaps_lock(void)
{
	mutex_lock(&ionode_heaps_mutex);
}

/**
 * ionode_heaps_unlock - undo ionode_heaps_lock()
 */
void ionode_heaps_unlock(void)
{
	mutex_unlock(&ionode_heaps_mutex);
}

/**
 * ionode_heap_get - the heap with an id
 * @idev: the ionode device
 * @id: heap id
 *
 * Context: under ionode_heaps_read_lock() or ionode_heaps_lock().
 * Return: the heap, or NULL when @id names none (or one being removed).
 */
struct ionode_heap *ionode_heap_get(struct ionode_device *idev, unsigned int id)
{
	struct ionode_heap *heap;

	if (id >= IONODE_MAX_HEAPS)
		return NULL;
	heap = srcu_dereference_check(idev->heaps[id], &ionode_heaps_srcu,
				      lockdep_is_held(&ionode_heaps_mutex));
	return heap && !READ_ONCE(heap->dead) ? heap : NULL;
}

/**
 * ionode_heap_iter_next - the next heap of an ionode_for_each_heap() walk
 * @it: the walk's position, advanced past the heap returned
 *
 * Return: the registered heap with the lowest id at or above @it->id, or
 * NULL when none is left.
 */
struct ionode_heap *ionode_heap_iter_next(struct ionode_heap_iter *it)
{
	struct ionode_heap *heap = NULL;

	while (!heap && it->id < READ_ONCE(it->dev->num_heaps))
		heap = ionode_heap_get(it->dev, it->id++);
	return heap;
}

/* The id @heap gets on @idev: its name's old one, or a new one. */
static int ionode_heap_pick_id(struct ionode_device *idev,
			       const struct ionode_heap *heap)
{
	unsigned int i;

	for (i = 0; i < idev->num_heaps; i++) {
		if (strcmp(idev->heap_names[i], heap->name))
			continue;
		return rcu_access_pointer(idev->heaps[i]) ? -EEXIST : i;
	}
	if (idev->num_heaps >= IONODE_MAX_HEAPS)
		return -ENOSPC;
	return idev->num_heaps;
}

/**
 * ionode_heap_add - register a heap
 * @idev: the ionode device
 * @heap: heap with @ops, @name, @type, @flags and @max_alloc filled in
 *
 * The heap gets the id its name had before on @idev, else the next one,
 * which is also its place in the fallback order. Its counters start at 0.
 *
 * Return: 0, -EEXIST when a heap of that name is registered, or -ENOSPC
 * when IONODE_MAX_HEAPS ids are handed out.
 */
int ionode_heap_add(struct ionode_device *idev, struct ionode_heap *heap)
{
	int id;

	mutex_lock(&ionode_heaps_mutex);
	id = ionode_heap_pick_id(idev, heap);
	if (id < 0) {
		mutex_unlock(&ionode_heaps_mutex);
		return id;
	}
	heap->id = id;
	heap->idev = idev;
	heap->dead = false;
	heap->used_bytes = 0;
	heap->peak_bytes = 0;
	heap->buffers = 0;
	heap->sysfs = NULL;
	mutex_init(&heap->lock);
	strscpy(idev->heap_names[id], heap->name, IONODE_HEAP_NAME_LEN);
	if (id == idev->num_heaps)
		WRITE_ONCE(idev->num_heaps, id + 1);
	rcu_assign_pointer(idev->heaps[id], heap);
	mutex_unlock(&ionode_heaps_mutex);
	return 0;
}

/* Takes @heap off its device's list; ionode_heaps_mutex held. */
static void ionode_heap_unlink(struct ionode_heap *heap)
{
	struct ionode_device *idev = heap->idev;

	RCU_INIT_POINTER(idev->heaps[heap->id], NULL);
	heap->idev = NULL;
}

/**
 * ionode_heap_remove - take a heap off its device, if it is not in use
 * @heap: a heap added with ionode_heap_add()
 *
 * New allocations stop choosing the heap at once; when no buffer of it is
 * left once those in flight are done, it leaves its device's list (its id
 * stays reserved for its name) and its sysfs directory goes. The caller
 * then owns @heap again; it is not destroyed.
 *
 * Context: process context; may sleep (waits for every heap reader).
 * Return: 0 (also when the heap's device went away before), or -EBUSY
 * when buffers of the heap are alive: the heap then stays registered.
 */
int ionode_heap_remove(struct ionode_heap *heap)
{
	bool busy;

	if (heap->external)
		ionode_dmaheap_heap_removed(heap);

	mutex_lock(&ionode_heaps_mutex);
	if (!heap->idev) {
		mutex_unlock(&ionode_heaps_mutex);
		return 0;
	}
	WRITE_ONCE(heap->dead, true);
	/* Allocations that saw it alive have finished, counted or not. */
	synchronize_srcu(&ionode_heaps_srcu);
	mutex_lock(&heap->lock);
	busy = heap->buffers || heap->used_bytes;
	mutex_unlock(&heap->lock);
	if (busy) {
		WRITE_ONCE(heap->dead, false);
		mutex_unlock(&ionode_heaps_mutex);
		return -EBUSY;
	}
	ionode_sysfs_remove_heap(heap);
	ionode_heap_unlink(heap);
	mutex_unlock(&ionode_heaps_mutex);
	/* No reader still holds it: the caller may free it. */
	synchronize_srcu(&ionode_heaps_srcu);
	mutex_destroy(&heap->lock);
	return 0;
}

/**
 * ionode_heaps_destroy - unregister and free every heap
 * @idev: the ionode device, with no buffer left
 *
 * Heaps of ionode_heap_register() are only taken off the device: their
 * module unregisters them (then a no-op) and frees them.
 */
void ionode_heaps_destroy(struct ionode_device *idev)
{
	struct ionode_heap *heap;
	unsigned int i;

	mutex_lock(&ionode_heaps_mutex);
	for (i = idev->num_heaps; i-- > 0;) {
		heap = rcu_dereference_protected(idev->heaps[i],
						 lockdep_is_held(&ionode_heaps_mutex));
		if (!heap)
			continue;
		WARN_ON(heap->buffers || heap->used_bytes);
		ionode_heap_unlink(heap);
		if (heap->external)
			continue;
		mutex_destroy(&heap->lock);
		if (heap->ops->destroy)
			heap->ops->destroy(heap);
		else
			kfree(heap);
	}
	idev->num_heaps = 0;
	mutex_unlock(&ionode_heaps_mutex);
	/*
	 * No synchronize_srcu(): every walker of this device's heaps holds a
	 * reference on it (a file, a buffer, a client) or goes through sysfs
	 * and debugfs, which are gone. This may run under mmap_lock (the
	 * last buffer unmapped), which a walker copying to userspace takes.
	 */
}

/**
 * ionode_heap_set_device - the device heap modules register with
 * @idev: the registered device, or NULL when it goes away
 */
void ionode_heap_set_device(struct ionode_device *idev)
{
	mutex_lock(&ionode_heaps_mutex);
	heap_dev = idev;
	mutex_unlock(&ionode_heaps_mutex);
}

/**
 * ionode_heap_register - add a heap from a heap module
 * @heap: the heap, zeroed and then filled in: @heap->ops (@allocate and
 *	@release at least; @destroy is never called), @heap->name (unique,
 *	no '/'), @heap->type (an &enum ionode_heap_type), @heap->flags
 *	(IONODE_HEAP_CONTIGUOUS or 0), @heap->max_alloc (page aligned,
 *	non-zero), @heap->max_align for a contiguous heap, and
 *	@heap->owner = THIS_MODULE
 *
 * The heap joins the ionode device: DRM_IOCTL_IONODE_QUERY_HEAPS lists it,
 * heap masks select it by its id, and it gets sysfs and debugfs entries,
 * the administrator's heap_limits and restricted_heaps for its name, and
 * per-client accounting, like ionode's own heaps. Its id is the one its
 * name had before on this device, else the lowest never handed out (the
 * heap is then tried after every older one); it stays the same until
 * ionode_heap_unregister(), and no other name ever gets it while the
 * device lives. Every buffer of the heap holds a reference on
 * @heap->owner from allocation to release, so the module cannot be
 * unloaded while one lives.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a badly filled @heap; -EEXIST when a heap of
 * that name exists; -ENOSPC when every id is taken; -ENODEV when no ionode
 * device is registered (not loaded, or unbound); -ENOMEM.
 */
int ionode_heap_register(struct ionode_heap *heap)
{
	struct ionode_device *idev;
	int ret;

	if (!heap->ops || !heap->ops->allocate || !heap->ops->release ||
	    !heap->name[0] || strchr(heap->name, '/') ||
	    strnlen(heap->name, sizeof(heap->name)) == sizeof(heap->name) ||
	    heap->type > IONODE_HEAP_TYPE_CMA ||
	    (heap->flags & ~IONODE_HEAP_CONTIGUOUS) ||
	    !heap->max_alloc || !PAGE_ALIGNED(heap->max_alloc))
		return -EINVAL;

	mutex_lock(&ionode_heaps_mutex);
	idev = heap_dev;
	if (idev)
		drm_dev_get(&idev->drm);
	mutex_unlock(&ionode_heaps_mutex);
	if (!idev)
		return -ENODEV;

	heap->external = true;
	ret = ionode_heap_add(idev, heap);
	if (ret)
		goto out;

	mutex_lock(&ionode_heaps_mutex);
	/* The device may have been unbound meanwhile: then no sysfs. */
	ret = ionode_sysfs_add_heap(idev, heap);
	if (ret)
		ionode_heap_unlink(heap);
	mutex_unlock(&ionode_heaps_mutex);
	if (ret) {
		synchronize_srcu(&ionode_heaps_srcu);
		mutex_destroy(&heap->lock);
		goto out;
	}
	drm_info(&idev->drm, "heap %s registered with id %u by %s\n",
		 heap->name, heap->id,
		 heap->owner ? module_name(heap->owner) : "the kernel");
	ionode_dmaheap_heap_added(heap);
out:
	drm_dev_put(&idev->drm);
	return ret;
}
EXPORT_SYMBOL_GPL(ionode_heap_register);

/**
 * ionode_heap_unregister - remove a heap added with ionode_heap_register()
 * @heap: the heap
 *
 * New allocations stop choosing the heap, and allocations in flight are
 * waited for. A heap module calls this from its exit function, when no
 * buffer of the heap can be alive (each holds a reference on the module);
 * called earlier, it refuses while buffers live. Afterwards the heap's id
 * selects nothing until a heap of the same name registers again. When the
 * ionode device went away first, the heap was already taken off it and
 * this only returns 0.
 *
 * Context: process context; may sleep.
 * Return: 0, after which @heap is the caller's to free; -EBUSY when
 * buffers of the heap are alive (the heap then stays registered).
 */
int ionode_heap_unregister(struct ionode_heap *heap)
{
	struct ionode_device *idev;
	char name[IONODE_HEAP_NAME_LEN];
	int ret;

	strscpy(name, heap->name, sizeof(name));
	mutex_lock(&ionode_heaps_mutex);
	idev = heap->idev;
	if (idev)
		drm_dev_get(&idev->drm);
	mutex_unlock(&ionode_heaps_mutex);

	ret = ionode_heap_remove(heap);
	if (idev) {
		if (!ret)
			drm_info(&idev->drm, "heap %s unregistered\n", name);
		drm_dev_put(&idev->drm);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(ionode_heap_unregister);

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
	struct ionode_heap *heap;
	int idx;

	*out_mask = 0;
	idx = ionode_heaps_read_lock();
	ionode_for_each_heap(idev, heap) {
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
	ionode_heaps_read_unlock(idx);

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

/*
 * Takes @b's memory back and uncounts it; its caching attribute is WB.
 * The heap may be unregistered and freed as soon as its last buffer is
 * uncounted: nothing of it is touched after that but its module's
 * reference, dropped last.
 */
static void ionode_heap_release(struct ionode_backing *b)
{
	struct ionode_heap *heap = b->heap;
	struct module *owner = heap->owner;
	size_t size = b->size;

	heap->ops->release(heap, b);
	mutex_lock(&heap->lock);
	heap->used_bytes -= size;
	heap->buffers--;
	mutex_unlock(&heap->lock);
	module_put(owner);
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
 * buffer's caching mode makes way for the next one, as does a heap being
 * unregistered or whose module is unloading. The heap's counters grow by
 * the memory returned, which holds a reference on the heap's module.
 *
 * Return: the backing memory (its @heap set), or an ERR_PTR: -EDQUOT when
 * every heap failed and one of them for its limit; -ENOMEM when every heap
 * is exhausted; or the first other error.
 */
struct ionode_backing *ionode_heap_alloc(struct ionode_device *idev,
					 u64 heap_mask, size_t size,
					 size_t align, u32 flags)
{
	struct ionode_backing *b = NULL;
	struct ionode_heap *heap;
	bool limited = false;
	int idx;

	idx = ionode_heaps_read_lock();
	ionode_for_each_heap(idev, heap) {
		if (!(heap_mask & BIT_ULL(heap->id)))
			continue;
		/* Fails once the heap's module has begun to unload. */
		if (!try_module_get(heap->owner))
			continue;
		if (!ionode_heap_reserve(heap, size)) {
			module_put(heap->owner);
			limited = true;
			continue;
		}

		b = heap->ops->allocate(heap, size, align, flags);
		ionode_heap_settle(heap, size, !IS_ERR(b));
		if (IS_ERR(b)) {
			module_put(heap->owner);
			if (PTR_ERR(b) == -ENOMEM) {
				b = NULL;
				continue;
			}
			break;
		}
		b->heap = heap;
		if (ionode_heap_make_wc(b))
			break;
		b = NULL;
	}
	ionode_heaps_read_unlock(idx);
	return b ?: ERR_PTR(limited ? -EDQUOT : -ENOMEM);
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
 * @heap: the heap, under ionode_heaps_read_lock()
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
 * Context: under ionode_heaps_read_lock(), which keeps the heap valid.
 * Return: the heap or NULL.
 */
struct ionode_heap *ionode_heap_by_name(struct ionode_device *idev,
					const char *name)
{
	struct ionode_heap *heap;

	ionode_for_each_heap(idev, heap)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

/**
 * ionode_heap_lookup_id - the id of the heap with a name
 * @idev: the ionode device
 * @name: heap name
 *
 * Return: the id, or -ENOENT when no heap of that name is registered.
 */
int ionode_heap_lookup_id(struct ionode_device *idev, const char *name)
{
	struct ionode_heap *heap;
	int idx, id;

	idx = ionode_heaps_read_lock();
	heap = ionode_heap_by_name(idev, name);
	id = heap ? heap->id : -ENOENT;
	ionode_heaps_read_unlock(idx);
	return id;
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
	struct ionode_heap *heap;
	int idx;

	seq_printf(m, "%-3s %-16s %-14s %14s %14s %14s %8s %14s %s\n", "id",
		   "name", "type", "total", "used", "peak", "buffers", "limit",
		   "restricted");
	idx = ionode_heaps_read_lock();
	ionode_for_each_heap(idev, heap) {
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
	ionode_heaps_read_unlock(idx);
}
