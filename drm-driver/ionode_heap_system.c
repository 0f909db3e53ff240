// SPDX-License-Identifier: GPL-2.0
/*
 * ionode system heap: buffers made of pages from the page allocator, not
 * physically contiguous.
 *
 * Like the dma-buf system heap it prefers 1 MiB and 64 KiB chunks (sizes
 * IOMMUs map cheaply) and falls back to single pages, never retrying a
 * larger order once one has failed. Pages come zeroed (__GFP_ZERO) and are
 * charged to the allocating task's memory cgroup.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

/*
 * Every page is charged to the memory cgroup of the task that allocates it
 * (__GFP_ACCOUNT) until it is freed, whoever drops the last reference.
 * None of the orders may invoke the OOM killer: a user asking for more than
 * its cgroup or the machine has gets -ENOMEM (__GFP_RETRY_MAYFAIL, which
 * also makes the memory cgroup charge fail instead of OOM-killing inside
 * the cgroup), never another process killed in its place.
 */
#define LOW_ORDER_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP | \
			 __GFP_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
#define MID_ORDER_GFP	LOW_ORDER_GFP
#define HIGH_ORDER_GFP	(((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
			   __GFP_NORETRY) & ~__GFP_RECLAIM) | __GFP_COMP | \
			 __GFP_ACCOUNT)

static const gfp_t order_gfp[] = { HIGH_ORDER_GFP, MID_ORDER_GFP, LOW_ORDER_GFP };
static const unsigned int orders[] = { 8, 4, 0 };

static struct page *system_alloc_chunk(unsigned long pages_left,
				       unsigned int max_order)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		struct page *page;

		if (orders[i] > max_order || pages_left < (1UL << orders[i]))
			continue;
		page = alloc_pages(order_gfp[i], orders[i]);
		if (page)
			return page;
	}
	return NULL;
}

/* Frees pages[0..count), which were allocated as compound chunks. */
static void system_free_pages(struct page **pages, unsigned long count)
{
	unsigned long i = 0;

	while (i < count) {
		unsigned int order = compound_order(pages[i]);

		__free_pages(pages[i], order);
		i += 1UL << order;
	}
}

static struct ionode_backing *system_heap_allocate(struct ionode_heap *heap,
						   size_t size, size_t align,
						   u32 flags)
{
	unsigned long npages = size >> PAGE_SHIFT;
	unsigned int max_order = orders[0];
	struct ionode_backing *b;
	unsigned long i = 0;
	struct page **pages;
	int ret;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	while (i < npages) {
		struct page *page;
		unsigned long j;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free;
		}

		page = system_alloc_chunk(npages - i, max_order);
		if (!page) {
			ret = -ENOMEM;
			goto err_free;
		}
		max_order = compound_order(page);
		for (j = 0; j < (1UL << max_order); j++)
			pages[i + j] = nth_page(page, j);
		i += 1UL << max_order;
	}

	b = ionode_backing_pages_create(pages, size, flags, false);
	if (b)
		return b;
	ret = -ENOMEM;
err_free:
	system_free_pages(pages, i);
	kvfree(pages);
	return ERR_PTR(ret);
}

static void system_heap_release(struct ionode_heap *heap,
				struct ionode_backing *b)
{
	struct page **pages = ionode_backing_pages(b);

	system_free_pages(pages, b->size >> PAGE_SHIFT);
	kvfree(pages);
	ionode_backing_pages_destroy(b);
}

static const struct ionode_heap_ops system_heap_ops = {
	.allocate = system_heap_allocate,
	.release = system_heap_release,
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
