// SPDX-License-Identifier: GPL-2.0
/*
 * ionode backing memory with struct pages: the system, system-contig and
 * cma heaps. The heap allocates the pages (zeroed) and an array naming
 * each PAGE_SIZE page; this file does the rest: faults, vmap, one sg_table
 * per importer, DMA mapping with bouncing where a device's mask cannot
 * reach a page, cache maintenance, and the kernel mapping's caching
 * attribute for write-combined buffers.
 */
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include <asm/set_memory.h>

#include "ionode_backing.h"
#include "ionode_drm.h"

/**
 * struct pages_backing - memory made of pages
 * @base: the generic backing.
 * @pages: one entry per PAGE_SIZE page, owned by the heap.
 * @npages: number of entries of @pages.
 * @preset: the heap keeps the memory in its caching mode (pools), so
 *	there is nothing to switch.
 */
struct pages_backing {
	struct ionode_backing base;
	struct page **pages;
	unsigned long npages;
	bool preset;
};

static struct pages_backing *to_pages(struct ionode_backing *b)
{
	return container_of(b, struct pages_backing, base);
}

static unsigned long pages_pfn(struct ionode_backing *b, pgoff_t pgoff)
{
	return page_to_pfn(to_pages(b)->pages[pgoff]);
}

static void *pages_vmap(struct ionode_backing *b)
{
	struct pages_backing *pb = to_pages(b);

	return vmap(pb->pages, pb->npages, VM_MAP,
		    ionode_caching_pgprot(b->flags, PAGE_KERNEL));
}

static void pages_vunmap(struct ionode_backing *b, void *vaddr)
{
	vunmap(vaddr);
}

static int pages_build_sgt(struct ionode_backing *b, struct sg_table *sgt,
			   unsigned int max_seg)
{
	struct pages_backing *pb = to_pages(b);

	return sg_alloc_table_from_pages_segment(sgt, pb->pages, pb->npages, 0,
						 b->size, max_seg, GFP_KERNEL);
}

/*
 * Whether the bounce buffers swiotlb would use for @dev lie below @limit
 * (the pool is_swiotlb_buffer() reads). swiotlb's default pool is below
 * 4 GiB, out of reach of a device with a narrower mask (QEMU's edu
 * device: 28 bits), for which swiotlb_map() fails with a WARN.
 */
static bool pages_bounce_reachable(struct device *dev, u64 limit)
{
#ifdef CONFIG_SWIOTLB
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && mem->nslabs && mem->end - 1 <= limit;
#else
	return false;
#endif
}

/*
 * Decided with the public DMA API, and swiotlb's pool. A device that is
 * not addressing limited reaches all memory (directly, or through an
 * IOMMU, whose DMA ops report a 32-bit required mask; callers skip the
 * check for a device behind an IOMMU, whatever its mask); a limited one
 * still gets every page where swiotlb may bounce for it, which
 * dma_max_mapping_size() tells (it is SIZE_MAX otherwise), if the bounce
 * buffers are within its reach. Else each page must lie below the
 * device's mask: this compares physical addresses, i.e. assumes DMA
 * addresses equal physical ones on the direct mapping, which holds on the
 * platforms ionode supports (x86) but not where the bus adds an offset.
 */
static bool pages_reachable(struct ionode_backing *b, struct device *dev,
			    bool bounce)
{
	struct pages_backing *pb = to_pages(b);
	u64 limit;
	unsigned long i;

	if (!dev->dma_mask)
		return false;
	if (!dma_addressing_limited(dev))
		return true;
	limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	if (bounce && dma_max_mapping_size(dev) != SIZE_MAX &&
	    pages_bounce_reachable(dev, limit))
		return true;
	for (i = 0; i < pb->npages; i++)
		if (page_to_phys(pb->pages[i]) + PAGE_SIZE - 1 > limit)
			return false;
	return true;
}

static int pages_map(struct ionode_backing *b, struct device *dev,
		     struct sg_table *sgt, enum dma_data_direction dir)
{
	return dma_map_sgtable(dev, sgt, dir, 0);
}

static void pages_unmap(struct ionode_backing *b, struct device *dev,
			struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_sgtable(dev, sgt, dir, 0);
}

static void pages_sync(struct ionode_backing *b, struct device *dev,
		       struct sg_table *sgt, enum dma_data_direction dir,
		       bool for_cpu)
{
	if (for_cpu)
		dma_sync_sgtable_for_cpu(dev, sgt, dir);
	else
		dma_sync_sgtable_for_device(dev, sgt, dir);
}

/*
 * A write-combined user or kernel mapping of RAM must agree with the
 * kernel's linear mapping of the same pages: on x86 PAT would otherwise
 * quietly turn the mapping back to write-back. Switch the linear mapping
 * of write-combined buffers for their lifetime, as TTM does.
 */
static int pages_set_wc(struct ionode_backing *b, bool wc)
{
#ifdef CONFIG_X86
	struct pages_backing *pb = to_pages(b);

	if ((b->flags & IONODE_BO_CACHED) || pb->preset)
		return 0;
	if (pb->npages > INT_MAX)
		return -E2BIG;
	return wc ? set_pages_array_wc(pb->pages, pb->npages) :
		    set_pages_array_wb(pb->pages, pb->npages);
#else
	return 0;
#endif
}

static const struct ionode_backing_ops pages_backing_ops = {
	.pfn = pages_pfn,
	.vmap = pages_vmap,
	.vunmap = pages_vunmap,
	.build_sgt = pages_build_sgt,
	.reachable = pages_reachable,
	.map = pages_map,
	.unmap = pages_unmap,
	.sync = pages_sync,
	.set_wc = pages_set_wc,
};

/**
 * ionode_backing_pages_create - describe zeroed pages as backing memory
 * @pages: one entry per PAGE_SIZE page; still the heap's, which frees it
 *	after ionode_backing_pages_destroy()
 * @size: bytes, page aligned
 * @flags: IONODE_BO_* flags of the allocation (caching mode)
 * @contiguous: the pages are physically contiguous
 * @preset: the heap gives the memory in the caching mode of @flags and
 *	takes it back so (its pools keep write-combined pages
 *	write-combined); otherwise the heap layer switches the kernel's
 *	mapping of write-combined memory when it is allocated and freed
 *
 * Return: the backing, or NULL when out of memory.
 */
struct ionode_backing *ionode_backing_pages_create(struct page **pages,
						   size_t size, u32 flags,
						   bool contiguous, bool preset)
{
	struct pages_backing *pb = kzalloc(sizeof(*pb), GFP_KERNEL_ACCOUNT);

	if (!pb)
		return NULL;
	ionode_backing_init(&pb->base, &pages_backing_ops, size, flags,
			    contiguous);
	pb->pages = pages;
	pb->npages = size >> PAGE_SHIFT;
	pb->preset = preset;
	return &pb->base;
}
EXPORT_SYMBOL_GPL(ionode_backing_pages_create);

/**
 * ionode_backing_pages - the page array of a page backing
 * @b: a backing from ionode_backing_pages_create()
 *
 * Return: the array given at creation.
 */
struct page **ionode_backing_pages(struct ionode_backing *b)
{
	return to_pages(b)->pages;
}
EXPORT_SYMBOL_GPL(ionode_backing_pages);

/**
 * ionode_backing_pages_destroy - free the description (not the pages)
 * @b: a backing from ionode_backing_pages_create()
 */
void ionode_backing_pages_destroy(struct ionode_backing *b)
{
	kfree(to_pages(b));
}
EXPORT_SYMBOL_GPL(ionode_backing_pages_destroy);
