// SPDX-License-Identifier: GPL-2.0
/*
 * ionode cma heap: physically contiguous buffers from the kernel's CMA
 * area (cma=SIZE on the command line), registered only on kernels built
 * with CONFIG_DMA_CMA and a CMA area present.
 *
 * Linux 6.1 exports neither cma_alloc() nor the default CMA area to
 * modules, so the heap goes through the DMA API: dma_alloc_pages() on the
 * ionode device takes from the default CMA area first. The DMA API would
 * fall back to the page allocator when CMA is exhausted; the heap refuses
 * up front (-ENOMEM, so the caller's next heap is tried) when the area has
 * fewer free pages than asked for, and never asks for a single page (which
 * the DMA API serves from the page allocator), so that "cma" means CMA
 * memory.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

#define CMA_GFP		(GFP_KERNEL | __GFP_NOWARN)
#define CMA_MIN_BYTES	(2 * PAGE_SIZE)

/*
 * dma_alloc_pages() also maps the pages for the ionode device, which never
 * does DMA: call that by-product a read-only mapping. DMA-API debug then
 * leaves it out of its overlap tracking, which would otherwise flag every
 * importer that maps the buffer for writing ("overlapping mappings aren't
 * supported") because of a mapping nobody uses.
 */
#define CMA_DMA_DIR	DMA_TO_DEVICE

/**
 * struct cma_heap - the cma heap
 * @heap: the generic heap.
 * @dev: device the DMA API allocates for.
 * @lock: serialises the free-page check with the allocation.
 */
struct cma_heap {
	struct ionode_heap heap;
	struct device *dev;
	struct mutex lock; /* makes check-then-allocate atomic among us */
};

/**
 * struct cma_buffer - what the DMA API needs back to free a buffer
 * @dma: DMA address for the ionode device.
 * @size: bytes allocated, at least the buffer's size.
 * @page: first page.
 */
struct cma_buffer {
	dma_addr_t dma;
	size_t size;
	struct page *page;
};

static struct cma_heap *to_cma(struct ionode_heap *heap)
{
	return container_of(heap, struct cma_heap, heap);
}

static u64 cma_free_bytes(void)
{
	return (u64)global_zone_page_state(NR_FREE_CMA_PAGES) << PAGE_SHIFT;
}

static struct ionode_backing *cma_heap_allocate(struct ionode_heap *heap,
						size_t size, size_t align,
						u32 flags)
{
	struct cma_heap *cma = to_cma(heap);
	unsigned long npages = size >> PAGE_SHIFT;
	struct ionode_backing *b = NULL;
	struct page **pages;
	struct cma_buffer *buf;
	unsigned long i;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!buf || !pages)
		goto err_free;

	/*
	 * CMA aligns a block to its own size, up to CONFIG_CMA_ALIGNMENT. And
	 * dma_alloc_contiguous() leaves a single page to the page allocator on
	 * a device without a CMA area of its own: ask for at least two, so
	 * that a one-page buffer comes from the CMA area too.
	 */
	buf->size = max3(size, align, (size_t)CMA_MIN_BYTES);

	mutex_lock(&cma->lock);
	if (cma_free_bytes() >= buf->size)
		buf->page = dma_alloc_pages(cma->dev, buf->size, &buf->dma,
					    CMA_DMA_DIR, CMA_GFP);
	mutex_unlock(&cma->lock);
	if (!buf->page)
		goto err_free;
	/* dma_alloc_pages() maps for the device: check it like any mapping. */
	if (dma_mapping_error(cma->dev, buf->dma))
		goto err_dma;

	for (i = 0; i < npages; i++)
		pages[i] = nth_page(buf->page, i);
	b = ionode_backing_pages_create(pages, size, flags, true, false);
	if (!b)
		goto err_dma;
	b->priv = buf;
	return b;

err_dma:
	dma_free_pages(cma->dev, buf->size, buf->page, buf->dma, CMA_DMA_DIR);
err_free:
	kvfree(pages);
	kfree(buf);
	return ERR_PTR(-ENOMEM);
}

static void cma_heap_release(struct ionode_heap *heap, struct ionode_backing *b)
{
	struct cma_buffer *buf = b->priv;

	dma_free_pages(to_cma(heap)->dev, buf->size, buf->page, buf->dma,
		       CMA_DMA_DIR);
	kfree(buf);
	kvfree(ionode_backing_pages(b));
	ionode_backing_pages_destroy(b);
}

static void cma_heap_query(struct ionode_heap *heap, u64 *total, u64 *free)
{
	*free = cma_free_bytes();
}

static void cma_heap_destroy(struct ionode_heap *heap)
{
	struct cma_heap *cma = to_cma(heap);

	mutex_destroy(&cma->lock);
	kfree(cma);
}

static const struct ionode_heap_ops cma_heap_ops = {
	.allocate = cma_heap_allocate,
	.release = cma_heap_release,
	.query = cma_heap_query,
	.destroy = cma_heap_destroy,
};

/**
 * ionode_cma_heap_create - register the "cma" heap if there is a CMA area
 * @idev: the ionode device
 * @dev: device to allocate for (the ionode platform device)
 *
 * Return: 0, also when the kernel has no CMA area (no heap then), or a
 * negative errno.
 */
int ionode_cma_heap_create(struct ionode_device *idev, struct device *dev)
{
	u64 size = cma_free_bytes();
	struct cma_heap *cma;
	int ret;

	if (!size) {
		drm_info(&idev->drm, "no CMA area: cma heap not registered\n");
		return 0;
	}

	cma = kzalloc(sizeof(*cma), GFP_KERNEL);
	if (!cma)
		return -ENOMEM;

	mutex_init(&cma->lock);
	cma->dev = dev;
	cma->heap.ops = &cma_heap_ops;
	strscpy(cma->heap.name, "cma", sizeof(cma->heap.name));
	cma->heap.type = IONODE_HEAP_TYPE_CMA;
	cma->heap.flags = IONODE_HEAP_CONTIGUOUS;
	/* The area's size is not exported; what is free at load bounds it. */
	cma->heap.max_alloc = PAGE_ALIGN_DOWN(size);
	cma->heap.max_align = PAGE_SIZE << CONFIG_CMA_ALIGNMENT;

	ret = ionode_heap_add(idev, &cma->heap);
	if (ret) {
		cma_heap_destroy(&cma->heap);
		return ret;
	}
	drm_info(&idev->drm, "cma: %llu MiB free in the CMA area\n", size >> 20);
	return 0;
}
