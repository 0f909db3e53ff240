// SPDX-License-Identifier: GPL-2.0
/*
 * ionode system heap: buffers made of pages from the page allocator, not
 * physically contiguous.
 *
 * Buffers are made of chunks of 2 MiB, 64 KiB and single pages
 * (ionode_pool_orders): each chunk is the largest that fits what is left,
 * taken from the pools of freed memory (ionode_pool.c: already zeroed and
 * in the buffer's caching mode) or else from the page allocator. 2 MiB
 * chunks are only taken where the buddy allocator has them free, without
 * reclaim or compaction; once an order has failed, the page allocator is
 * not asked for it again for that buffer. Fresh pages come zeroed
 * (__GFP_ZERO) and are charged to the allocating task's memory cgroup;
 * fresh write-combined chunks get their attribute in one batch.
 *
 * The same allocator serves heap modules whose memory must come from one
 * zone (ionode_heap_pages_alloc(), e.g. the system-dma32 heap): their
 * chunks skip the pools, which hold pages of any zone, and go back to the
 * page allocator when freed.
 */
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <asm/set_memory.h>

#include "ionode_backing.h"
#include "ionode_drv.h"
#include "ionode_heap.h"
#include "ionode_pool.h"

/*
 * Every page is charged to the memory cgroup of the task that allocates it
 * (__GFP_ACCOUNT) until it goes back to the page allocator, whoever drops
 * the last reference (the pools keep it charged, see ionode_pool.c). The
 * smaller orders may not invoke the OOM killer: a user asking for more
 * than its cgroup or the machine has gets -ENOMEM (__GFP_RETRY_MAYFAIL,
 * which also makes the memory cgroup charge fail instead of OOM-killing
 * inside the cgroup), never another process killed in its place.
 */
#define LOW_ORDER_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP | \
			 __GFP_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
#define HIGH_ORDER_GFP	(((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
			   __GFP_NORETRY) & ~__GFP_RECLAIM) | __GFP_COMP | \
			 __GFP_ACCOUNT)

static const gfp_t order_gfp[IONODE_POOL_NR_ORDERS] = {
	HIGH_ORDER_GFP, LOW_ORDER_GFP, LOW_ORDER_GFP
};

/* page->private of a chunk's head while it is fresh from the allocator */
#define SYSTEM_CHUNK_FRESH	1UL

/*
 * The page allocator flags for order index @i from zone @zone: 0 or
 * __GFP_HIGHMEM for any (highest first), else __GFP_DMA32 or __GFP_DMA,
 * which exclude __GFP_HIGHMEM.
 */
static gfp_t system_gfp(unsigned int i, gfp_t zone)
{
	return zone ? (order_gfp[i] & ~__GFP_HIGHMEM) | zone : order_gfp[i];
}

/*
 * The largest chunk that fits @pages_left pages: from the pools (only for
 * @zone 0: a pooled allocation), else from the page allocator, in @zone,
 * unless it failed that order before (@failed, a mask of order indices).
 */
static struct page *system_get_chunk(const void *owner, bool wc,
				     unsigned long pages_left,
				     unsigned int *failed, gfp_t zone)
{
	unsigned int i;

	for (i = 0; i < IONODE_POOL_NR_ORDERS; i++) {
		unsigned int order = ionode_pool_orders[i];
		struct page *page;

		if (pages_left < (1UL << order))
			continue;
		page = zone ? NULL : ionode_pool_take(owner, wc, order);
		if (page)
			return page;
		if (*failed & BIT(i))
			continue;
		page = alloc_pages(system_gfp(i, zone), order);
		if (page) {
			page->private = SYSTEM_CHUNK_FRESH;
			return page;
		}
		*failed |= BIT(i);
	}
	return NULL;
}

/*
 * Undoes a partial allocation of pages[0..count): chunks from the pools go
 * back to them, fresh ones to the page allocator (through the pools'
 * worker when their attribute may have been changed by @wc_tried).
 */
static void system_unwind(struct page **pages, unsigned long count, bool wc,
			  bool wc_tried)
{
	unsigned long i = 0;

	while (i < count) {
		struct page *page = pages[i];
		unsigned long n = 1UL << compound_order(page);

		if (page->private == SYSTEM_CHUNK_FRESH)
			ionode_pool_free_chunk(page, wc_tried);
		else
			ionode_pool_put_pages(&pages[i], n, wc, true);
		i += n;
	}
}

/* Gives fresh write-combined chunks their attribute, in one batch. */
static int system_make_wc(struct page **pages, unsigned long npages)
{
#ifdef CONFIG_X86
	unsigned long i, n, nfresh = 0;
	struct page **fresh;
	int ret;

	for (i = 0; i < npages; i += n) {
		n = 1UL << compound_order(pages[i]);
		if (pages[i]->private == SYSTEM_CHUNK_FRESH)
			nfresh += n;
	}
	if (!nfresh)
		return 0;
	if (nfresh > INT_MAX)
		return -E2BIG;
	fresh = kvmalloc_array(nfresh, sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	for (i = 0, nfresh = 0; i < npages; i += n) {
		unsigned long j;

		n = 1UL << compound_order(pages[i]);
		if (pages[i]->private == SYSTEM_CHUNK_FRESH)
			for (j = 0; j < n; j++)
				fresh[nfresh++] = pages[i + j];
	}
	ret = set_pages_array_wc(fresh, nfresh);
	kvfree(fresh);
	return ret;
#else
	return 0;
#endif
}

/*
 * A buffer of @size bytes: with the pools for @zone 0, else without them
 * and from @zone (see system_gfp()).
 */
static struct ionode_backing *system_alloc(size_t size, u32 flags, gfp_t zone)
{
	unsigned long npages = size >> PAGE_SHIFT;
	bool wc = !(flags & IONODE_BO_CACHED);
	const void *owner = ionode_pool_owner();
	bool drained = false, wc_tried = false;
	unsigned int failed = 0;
	struct ionode_backing *b;
	unsigned long i = 0;
	struct page **pages;
	int ret;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	while (i < npages) {
		struct page *page;
		unsigned long j, n;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free;
		}

		page = system_get_chunk(owner, wc, npages - i, &failed, zone);
		if (!page && !drained) {
			/* The cgroup may be full of its own pooled memory. */
			drained = true;
			if (ionode_pool_release_owner(owner)) {
				failed = 0;
				continue;
			}
		}
		if (!page) {
			ret = -ENOMEM;
			goto err_free;
		}
		n = 1UL << compound_order(page);
		for (j = 0; j < n; j++)
			pages[i + j] = nth_page(page, j);
		i += n;
	}

	if (wc) {
		wc_tried = true;
		ret = system_make_wc(pages, npages);
		if (ret)
			goto err_free;
	}

	b = ionode_backing_pages_create(pages, size, flags, false, true);
	if (!b) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < npages; i += 1UL << compound_order(pages[i]))
		pages[i]->private = 0;
	return b;

err_free:
	system_unwind(pages, i, wc, wc_tried);
	kvfree(pages);
	return ERR_PTR(ret);
}

static struct ionode_backing *system_heap_allocate(struct ionode_heap *heap,
						   size_t size, size_t align,
						   u32 flags)
{
	return system_alloc(size, flags, 0);
}

static void system_heap_release(struct ionode_heap *heap,
				struct ionode_backing *b)
{
	struct page **pages = ionode_backing_pages(b);

	ionode_pool_put_pages(pages, b->size >> PAGE_SHIFT,
			      !(b->flags & IONODE_BO_CACHED), !b->exposed);
	kvfree(pages);
	ionode_backing_pages_destroy(b);
}

/**
 * ionode_heap_pages_alloc - memory made like the system heap's, from one
 *	zone, for a heap module
 * @size: bytes, page aligned and non-zero (what &ionode_heap_ops.allocate
 *	gets)
 * @flags: the buffer's IONODE_BO_* flags (IONODE_BO_CACHED or not)
 * @zone: where the pages must come from: __GFP_DMA32 (below 4 GiB),
 *	__GFP_DMA, or 0 for anywhere
 *
 * Zeroed pages in chunks of 2 MiB, 64 KiB and single pages, charged to the
 * calling task's memory cgroup without ever invoking the OOM killer, and
 * in the caching mode of @flags, as the "system" heap gives them, but
 * never from or to its pools: those hold pages of any zone, and a scarce
 * zone's pages are better back in the page allocator than kept idle.
 * Not physically contiguous.
 *
 * Context: process context; may sleep. A fatal signal interrupts it.
 * Return: the backing memory, to be given back with
 * ionode_heap_pages_free(); ERR_PTR(-ENOMEM) when the zone (or the
 * cgroup) has no room, -EINTR, or -EINVAL for a bad @zone or @size.
 */
struct ionode_backing *ionode_heap_pages_alloc(size_t size, u32 flags,
					       gfp_t zone)
{
	if ((zone != __GFP_DMA32 && zone != __GFP_DMA && zone) ||
	    !size || !PAGE_ALIGNED(size))
		return ERR_PTR(-EINVAL);
	/* Zone 0 would take from the pools; a module's pages never do. */
	return system_alloc(size, flags, zone ?: __GFP_HIGHMEM);
}
EXPORT_SYMBOL_GPL(ionode_heap_pages_alloc);

/**
 * ionode_heap_pages_free - give back memory of ionode_heap_pages_alloc()
 * @b: the backing; its memory in the caching mode it was allocated in
 *	(&ionode_heap_ops.release gets it so)
 *
 * The pages go back to the page allocator, write-combined ones once the
 * pools' worker has restored their write-back attribute.
 *
 * Context: process context.
 */
void ionode_heap_pages_free(struct ionode_backing *b)
{
	struct page **pages = ionode_backing_pages(b);
	unsigned long i = 0, npages = b->size >> PAGE_SHIFT;
	bool wc = !(b->flags & IONODE_BO_CACHED);

	while (i < npages) {
		struct page *page = pages[i];

		/* The chunk's order, read before it goes. */
		i += 1UL << compound_order(page);
		ionode_pool_free_chunk(page, wc);
	}
	kvfree(pages);
	ionode_backing_pages_destroy(b);
}
EXPORT_SYMBOL_GPL(ionode_heap_pages_free);

static u64 system_heap_pooled(struct ionode_heap *heap)
{
	struct ionode_pool_stats st;

	ionode_pool_get_stats(&st);
	return st.clean_bytes[0] + st.clean_bytes[1] + st.dirty_bytes;
}

static const struct ionode_heap_ops system_heap_ops = {
	.allocate = system_heap_allocate,
	.release = system_heap_release,
	.pooled = system_heap_pooled,
};

/**
 * ionode_system_heap_create - register the "system" heap
 * @idev: the ionode device
 *
 * Return: 0 or a negative errno.
 */
int ionode_system_heap_create(struct ionode_device *idev)
{
	struct ionode_heap *heap;
	int ret;

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return -ENOMEM;

	heap->ops = &system_heap_ops;
	strscpy(heap->name, "system", sizeof(heap->name));
	heap->type = IONODE_HEAP_TYPE_SYSTEM;
	heap->flags = 0;
	/* No single buffer may take more than half of the machine's RAM. */
	heap->max_alloc = PAGE_ALIGN(((u64)totalram_pages() << PAGE_SHIFT) / 2);

	ret = ionode_heap_add(idev, heap);
	if (ret)
		kfree(heap);
	return ret;
}
