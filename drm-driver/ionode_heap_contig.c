// SPDX-License-Identifier: GPL-2.0
/*
 * ionode system-contig heap: physically contiguous buffers from the page
 * allocator, up to the largest order it hands out (4 MiB with 4 KiB pages
 * and MAX_ORDER 11).
 *
 * A block of order max(order(size), order(align)) is naturally aligned to
 * its own size, which gives the requested alignment; it is split into
 * single pages and the tail beyond the buffer goes straight back.
 */
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

#define CONTIG_MAX_ORDER	(MAX_ORDER - 1)
/* Charged to the allocator's memory cgroup; -ENOMEM, never an OOM kill. */
#define CONTIG_GFP		(GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
				 __GFP_RETRY_MAYFAIL | __GFP_ACCOUNT)

static struct ionode_backing *contig_heap_allocate(struct ionode_heap *heap,
						   size_t size, size_t align,
						   u32 flags)
{
	unsigned long npages = size >> PAGE_SHIFT;
	unsigned int order = max(get_order(size), get_order(align));
	struct ionode_backing *b;
	struct page **pages, *page;
	unsigned long i;

	if (order > CONTIG_MAX_ORDER)
		return ERR_PTR(-E2BIG);

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	page = alloc_pages(CONTIG_GFP, order);
	if (!page) {
		kvfree(pages);
		return ERR_PTR(-ENOMEM);
	}

	split_page(page, order);
	for (i = 0; i < npages; i++)
		pages[i] = nth_page(page, i);
	for (; i < (1UL << order); i++)
		__free_page(nth_page(page, i));

	b = ionode_backing_pages_create(pages, size, flags, true, false);
	if (b)
		return b;
	for (i = 0; i < npages; i++)
		__free_page(pages[i]);
	kvfree(pages);
	return ERR_PTR(-ENOMEM);
}

static void contig_heap_release(struct ionode_heap *heap,
				struct ionode_backing *b)
{
	struct page **pages = ionode_backing_pages(b);
	unsigned long i;

	for (i = 0; i < b->size >> PAGE_SHIFT; i++)
		__free_page(pages[i]);
	kvfree(pages);
	ionode_backing_pages_destroy(b);
}

static const struct ionode_heap_ops contig_heap_ops = {
	.allocate = contig_heap_allocate,
	.release = contig_heap_release,
};

/**
 * ionode_contig_heap_create - register the "system-contig" heap
 * @idev: the ionode device
 *
 * Return: 0 or a negative errno.
 */
int ionode_contig_heap_create(struct ionode_device *idev)
{
	struct ionode_heap *heap;
	int ret;

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return -ENOMEM;

	heap->ops = &contig_heap_ops;
	strscpy(heap->name, "system-contig", sizeof(heap->name));
	heap->type = IONODE_HEAP_TYPE_SYSTEM_CONTIG;
	heap->flags = IONODE_HEAP_CONTIGUOUS;
	heap->max_alloc = PAGE_SIZE << CONTIG_MAX_ORDER;

	ret = ionode_heap_add(idev, heap);
	if (ret)
		kfree(heap);
	return ret;
}
