// SPDX-License-Identifier: GPL-2.0
/*
 * ionode backing memory described by its physical range alone: carveouts,
 * which usually have no struct page. The heap reserves the range and keeps
 * a kernel mapping of it in the buffer's caching mode (memremap()), which
 * also holds the range's PAT memtype that user mappings then get. Faults
 * insert pfns; importers get dma_map_resource(), which never bounces: a
 * device whose mask cannot reach the range is refused.
 */
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "ionode_backing.h"

/**
 * struct pfn_backing - a physical range
 * @base: the generic backing.
 * @paddr: physical start, page aligned.
 * @kaddr: the heap's kernel mapping of the range, for the buffer's life.
 */
struct pfn_backing {
	struct ionode_backing base;
	phys_addr_t paddr;
	void *kaddr;
};

static struct pfn_backing *to_pfn(struct ionode_backing *b)
{
	return container_of(b, struct pfn_backing, base);
}

static unsigned long pfn_pfn(struct ionode_backing *b, pgoff_t pgoff)
{
	return PHYS_PFN(to_pfn(b)->paddr) + pgoff;
}

static void *pfn_vmap(struct ionode_backing *b)
{
	return to_pfn(b)->kaddr;	/* the heap's, lifelong */
}

static void pfn_vunmap(struct ionode_backing *b, void *vaddr)
{
}

/* Segment lengths go in the CPU-side length; there is no page to name. */
static int pfn_build_sgt(struct ionode_backing *b, struct sg_table *sgt,
			 unsigned int max_seg)
{
	struct scatterlist *sg;
	size_t offset = 0;
	int ret, i;

	ret = sg_alloc_table(sgt, DIV_ROUND_UP_ULL(b->size, max_seg),
			     GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, i) {
		sg->length = min_t(size_t, max_seg, b->size - offset);
		offset += sg->length;
	}
	return 0;
}

/*
 * dma_map_resource() never bounces, so the range itself must lie below the
 * mask of a device that is addressing limited (one behind an IOMMU is not:
 * its DMA ops report a 32-bit required mask). Physical addresses are
 * compared with the mask, i.e. DMA addresses are taken to equal physical
 * ones on the direct mapping (true on x86). The public DMA API has no
 * phys-to-DMA translation for a device; a bus with an offset would need
 * one.
 */
static bool pfn_reachable(struct ionode_backing *b, struct device *dev,
			  bool bounce)
{
	if (!dev->dma_mask)
		return false;
	if (!dma_addressing_limited(dev))
		return true;
	return to_pfn(b)->paddr + b->size - 1 <=
	       min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
}

static void pfn_unmap(struct ionode_backing *b, struct device *dev,
		      struct sg_table *sgt, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		dma_unmap_resource(dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, 0);
	sgt->nents = 0;
}

static int pfn_map(struct ionode_backing *b, struct device *dev,
		   struct sg_table *sgt, enum dma_data_direction dir)
{
	phys_addr_t paddr = to_pfn(b)->paddr;
	struct scatterlist *sg;
	int i;

	for_each_sgtable_sg(sgt, sg, i) {
		dma_addr_t addr = dma_map_resource(dev, paddr, sg->length,
						   dir, 0);

		if (dma_mapping_error(dev, addr)) {
			sgt->nents = i;
			pfn_unmap(b, dev, sgt, dir);
			return -EIO;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
		paddr += sg->length;
	}
	sgt->nents = sgt->orig_nents;
	return 0;
}

static const struct ionode_backing_ops pfn_backing_ops = {
	.pfn = pfn_pfn,
	.vmap = pfn_vmap,
	.vunmap = pfn_vunmap,
	.build_sgt = pfn_build_sgt,
	.reachable = pfn_reachable,
	.map = pfn_map,
	.unmap = pfn_unmap,
	/*
	 * No .sync: dma_map_resource() mappings are never bounced, and
	 * carveouts are used on cache-coherent platforms. No .set_wc: the
	 * heap's memremap() sets the range's caching mode.
	 */
};

/**
 * ionode_backing_pfn_create - describe a zeroed physical range as backing
 *	memory
 * @paddr: physical start, page aligned
 * @kaddr: the heap's kernel mapping of the range in the caching mode
 *	@flags asks for, kept until the heap releases the range
 * @size: bytes, page aligned
 * @flags: IONODE_BO_* flags of the allocation
 *
 * Return: the backing (contiguous), or NULL when out of memory.
 */
struct ionode_backing *ionode_backing_pfn_create(phys_addr_t paddr,
						 void *kaddr, size_t size,
						 u32 flags)
{
	struct pfn_backing *fb = kzalloc(sizeof(*fb), GFP_KERNEL_ACCOUNT);

	if (!fb)
		return NULL;
	ionode_backing_init(&fb->base, &pfn_backing_ops, size, flags, true);
	fb->paddr = paddr;
	fb->kaddr = kaddr;
	return &fb->base;
}
EXPORT_SYMBOL_GPL(ionode_backing_pfn_create);

/**
 * ionode_backing_pfn_paddr - physical start of a pfn backing
 * @b: a backing from ionode_backing_pfn_create()
 *
 * Return: the physical address given at creation.
 */
phys_addr_t ionode_backing_pfn_paddr(struct ionode_backing *b)
{
	return to_pfn(b)->paddr;
}
EXPORT_SYMBOL_GPL(ionode_backing_pfn_paddr);

/**
 * ionode_backing_pfn_kaddr - the heap's kernel mapping of a pfn backing
 * @b: a backing from ionode_backing_pfn_create()
 *
 * Return: the mapping given at creation.
 */
void *ionode_backing_pfn_kaddr(struct ionode_backing *b)
{
	return to_pfn(b)->kaddr;
}
EXPORT_SYMBOL_GPL(ionode_backing_pfn_kaddr);

/**
 * ionode_backing_pfn_destroy - free the description (not the range)
 * @b: a backing from ionode_backing_pfn_create()
 */
void ionode_backing_pfn_destroy(struct ionode_backing *b)
{
	kfree(to_pfn(b));
}
EXPORT_SYMBOL_GPL(ionode_backing_pfn_destroy);
