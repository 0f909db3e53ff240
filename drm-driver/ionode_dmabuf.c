// SPDX-License-Identifier: GPL-2.0
/*
 * ionode PRIME export: the dma_buf_ops of ionode buffers.
 *
 * Every importer gets its own sg_table, built for its device: segments no
 * longer than dma_get_max_seg_size() of that device. Page-backed buffers
 * are mapped with dma_map_sgtable() (which bounces through swiotlb where
 * the device's DMA mask cannot reach the pages); memory without struct
 * pages (carveouts) with dma_map_resource(), which fails rather than
 * bounce when the device cannot reach it. begin/end_cpu_access, which
 * DMA_BUF_IOCTL_SYNC calls, sync each mapped attachment for the CPU and
 * back for its device (dma_map_resource() mappings need no sync: they are
 * never bounced, and carveouts are used on cache-coherent platforms).
 */
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/swiotlb.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <drm/drm_prime.h>

#include "ionode_drv.h"

/**
 * struct ionode_attachment - one importer of an ionode buffer
 * @dev: the importing device.
 * @sgt: the buffer in segments the device accepts.
 * @max_seg: the segment limit @sgt was built with.
 * @dir: direction of the current mapping.
 * @mapped: @sgt is DMA-mapped for @dev.
 * @node: entry in &ionode_bo.attachments.
 */
struct ionode_attachment {
	struct device *dev;
	struct sg_table sgt;
	unsigned int max_seg;
	enum dma_data_direction dir;
	bool mapped;
	struct list_head node;
};

static int ionode_dmabuf_attach(struct dma_buf *dma_buf,
				struct dma_buf_attachment *attach)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	unsigned int max_seg = dma_get_max_seg_size(attach->dev);
	struct ionode_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	max_seg = max_t(unsigned int, round_down(max_seg, PAGE_SIZE), PAGE_SIZE);
	if (bo->pages)
		ret = sg_alloc_table_from_pages_segment(&a->sgt, bo->pages,
							ionode_bo_npages(bo), 0,
							bo->base.size, max_seg,
							GFP_KERNEL);
	else
		ret = sg_alloc_table(&a->sgt,
				     DIV_ROUND_UP_ULL(bo->base.size, max_seg),
				     GFP_KERNEL);
	if (ret) {
		kfree(a);
		return ret;
	}

	a->dev = attach->dev;
	a->max_seg = max_seg;
	attach->priv = a;

	mutex_lock(&bo->lock);
	list_add(&a->node, &bo->attachments);
	mutex_unlock(&bo->lock);
	return 0;
}

static void ionode_dmabuf_detach(struct dma_buf *dma_buf,
				 struct dma_buf_attachment *attach)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	struct ionode_attachment *a = attach->priv;

	mutex_lock(&bo->lock);
	list_del(&a->node);
	mutex_unlock(&bo->lock);

	WARN_ON(a->mapped);
	sg_free_table(&a->sgt);
	kfree(a);
}

/*
 * An exporter must respect each importer's DMA limits. Where a device maps
 * memory directly (no IOMMU or other dma_map_ops), the DMA API WARNs and
 * fails when the device's mask cannot reach the memory and swiotlb cannot
 * bounce it (memory without struct pages is never bounced): refuse such
 * an importer up front, with an error it can report.
 */
static bool ionode_reachable(struct device *dev, const struct ionode_bo *bo)
{
	unsigned long i;

	if (!dev->dma_mask)
		return false;
	if (get_dma_ops(dev))
		return true;
	if (!bo->pages)
		return dma_capable(dev, phys_to_dma(dev, bo->paddr),
				   bo->base.size, false);
	if (is_swiotlb_active(dev))
		return true;
	for (i = 0; i < ionode_bo_npages(bo); i++)
		if (!dma_capable(dev, phys_to_dma(dev, page_to_phys(bo->pages[i])),
				 PAGE_SIZE, true))
			return false;
	return true;
}

/* Maps a buffer without struct pages, segment by segment. */
static int ionode_map_resource(struct ionode_bo *bo, struct ionode_attachment *a,
			       enum dma_data_direction dir)
{
	struct scatterlist *sg;
	u64 offset = 0;
	int i;

	for_each_sgtable_sg(&a->sgt, sg, i) {
		size_t len = min_t(u64, a->max_seg, bo->base.size - offset);
		dma_addr_t addr = dma_map_resource(a->dev, bo->paddr + offset,
						   len, dir, 0);

		if (dma_mapping_error(a->dev, addr)) {
			a->sgt.nents = i;
			goto err_unmap;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = len;
		offset += len;
	}
	a->sgt.nents = a->sgt.orig_nents;
	return 0;

err_unmap:
	for_each_sgtable_dma_sg(&a->sgt, sg, i)
		dma_unmap_resource(a->dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, 0);
	a->sgt.nents = 0;
	return -EIO;
}

static void ionode_unmap_resource(struct ionode_attachment *a,
				  enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(&a->sgt, sg, i)
		dma_unmap_resource(a->dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, 0);
	a->sgt.nents = 0;
}

static struct sg_table *ionode_dmabuf_map(struct dma_buf_attachment *attach,
					  enum dma_data_direction dir)
{
	struct ionode_bo *bo = to_ionode_bo(attach->dmabuf->priv);
	struct ionode_attachment *a = attach->priv;
	int ret;

	mutex_lock(&bo->lock);
	if (a->mapped) {
		ret = -EBUSY;
		goto out;
	}
	if (!ionode_reachable(a->dev, bo)) {
		dev_dbg(a->dev, "ionode buffer out of reach of the DMA mask %#llx\n",
			dma_get_mask(a->dev));
		ret = -EINVAL;
		goto out;
	}
	if (bo->pages)
		ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
	else
		ret = ionode_map_resource(bo, a, dir);
	if (!ret) {
		a->mapped = true;
		a->dir = dir;
	}
out:
	mutex_unlock(&bo->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void ionode_dmabuf_unmap(struct dma_buf_attachment *attach,
				struct sg_table *sgt,
				enum dma_data_direction dir)
{
	struct ionode_bo *bo = to_ionode_bo(attach->dmabuf->priv);
	struct ionode_attachment *a = attach->priv;

	mutex_lock(&bo->lock);
	if (!WARN_ON(!a->mapped)) {
		if (bo->pages)
			dma_unmap_sgtable(a->dev, sgt, dir, 0);
		else
			ionode_unmap_resource(a, dir);
		a->mapped = false;
	}
	mutex_unlock(&bo->lock);
}

/*
 * Each mapped attachment is synced in the direction it was mapped with, not
 * in @dir (the CPU's): the DMA API wants the two to match, and the mapping's
 * direction already says what is needed. Memory a device only read
 * (DMA_TO_DEVICE) needs nothing before the CPU looks at it, and needs the
 * CPU's writes pushed out (or bounced) before the device reads it again;
 * memory a device writes needs the opposite.
 */
static int ionode_dmabuf_begin_cpu_access(struct dma_buf *dma_buf,
					  enum dma_data_direction dir)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	struct ionode_attachment *a;

	mutex_lock(&bo->lock);
	if (bo->vmap_count)
		invalidate_kernel_vmap_range(bo->vaddr, bo->base.size);
	list_for_each_entry(a, &bo->attachments, node)
		if (a->mapped && bo->pages)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
	mutex_unlock(&bo->lock);
	return 0;
}

static int ionode_dmabuf_end_cpu_access(struct dma_buf *dma_buf,
					enum dma_data_direction dir)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	struct ionode_attachment *a;

	mutex_lock(&bo->lock);
	if (bo->vmap_count)
		flush_kernel_vmap_range(bo->vaddr, bo->base.size);
	list_for_each_entry(a, &bo->attachments, node)
		if (a->mapped && bo->pages)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	mutex_unlock(&bo->lock);
	return 0;
}

static const struct dma_buf_ops ionode_dmabuf_ops = {
	.attach = ionode_dmabuf_attach,
	.detach = ionode_dmabuf_detach,
	.map_dma_buf = ionode_dmabuf_map,
	.unmap_dma_buf = ionode_dmabuf_unmap,
	.begin_cpu_access = ionode_dmabuf_begin_cpu_access,
	.end_cpu_access = ionode_dmabuf_end_cpu_access,
	.release = drm_gem_dmabuf_release,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
};

/**
 * ionode_is_ionode_dmabuf - tell whether ionode exported a dma-buf
 * @dma_buf: any dma-buf
 *
 * Return: true when @dma_buf->priv is an ionode GEM object.
 */
bool ionode_is_ionode_dmabuf(const struct dma_buf *dma_buf)
{
	return dma_buf->ops == &ionode_dmabuf_ops;
}

/**
 * ionode_gem_prime_export - &drm_gem_object_funcs.export for ionode
 * @obj: an ionode buffer (never an imported one: DRM re-exports those)
 * @flags: O_CLOEXEC / O_RDWR flags of the new file
 *
 * Return: the new dma-buf, which holds a reference on @obj, the DRM device
 * and this module, or an ERR_PTR.
 */
struct dma_buf *ionode_gem_prime_export(struct drm_gem_object *obj, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);

	exp_info.ops = &ionode_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;

	return drm_gem_dmabuf_export(obj->dev, &exp_info);
}
