// SPDX-License-Identifier: GPL-2.0
/*
 * ionode PRIME export: the dma_buf_ops of ionode buffers.
 *
 * Every importer gets its own sg_table, built by the buffer's backing
 * memory for its device: segments no longer than dma_get_max_seg_size() of
 * that device, DMA-mapped for it when it maps the attachment, after the
 * backing has said the device can reach the memory (importers that cannot
 * are refused with -EINVAL and a dev_dbg() naming their mask, rather than
 * given an address they cannot use). begin/end_cpu_access, which
 * DMA_BUF_IOCTL_SYNC calls, sync each mapped attachment for the CPU and
 * back for its device. Nothing here knows what kind of memory it is.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <drm/drm_prime.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

/* The buffer's memory in segments @a's device accepts; bo->lock held. */
static int ionode_attachment_build(struct ionode_bo *bo,
				   struct ionode_attachment *a)
{
	unsigned int max_seg = dma_get_max_seg_size(a->dev);

	max_seg = max_t(unsigned int, round_down(max_seg, PAGE_SIZE), PAGE_SIZE);
	ionode_backing_expose(bo->backing);
	return bo->backing->ops->build_sgt(bo->backing, &a->sgt, max_seg);
}

/*
 * A buffer with memory gets the importer's sg_table now; a deferred one
 * without gets it at the first map, after its memory was placed with this
 * device among those it must suit.
 */
static int ionode_dmabuf_attach(struct dma_buf *dma_buf,
				struct dma_buf_attachment *attach)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	struct ionode_attachment *a;
	int ret = 0;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dev = attach->dev;

	mutex_lock(&bo->lock);
	if (bo->backing)
		ret = ionode_attachment_build(bo, a);
	if (!ret) {
		attach->priv = a;
		list_add(&a->node, &bo->attachments);
	}
	mutex_unlock(&bo->lock);
	if (ret)
		kfree(a);
	return ret;
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
	/* A deferred buffer's first use: memory every attached device suits. */
	ret = ionode_bo_populate(bo);
	if (!ret && !a->sgt.sgl)
		ret = ionode_attachment_build(bo, a);
	if (ret)
		goto out;
	/*
	 * An exporter must respect each importer's DMA limits: the DMA API
	 * WARNs when a device's mask cannot reach memory it cannot bounce.
	 * A device behind a translating IOMMU reaches everything, even with
	 * a mask below 32 bits, which the DMA API calls addressing limited.
	 */
	if (!ionode_dev_translated(a->dev) &&
	    !bo->backing->ops->reachable(bo->backing, a->dev, true)) {
		dev_dbg(a->dev, "ionode buffer out of reach of the DMA mask %#llx\n",
			dma_get_mask(a->dev));
		ret = -EINVAL;
		goto out;
	}
	ret = bo->backing->ops->map(bo->backing, a->dev, &a->sgt, dir);
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
		bo->backing->ops->unmap(bo->backing, a->dev, sgt, dir);
		a->mapped = false;
	}
	mutex_unlock(&bo->lock);
}

/* Syncs one attachment, if mapped, for the CPU or for its device. */
static void ionode_attachment_sync(struct ionode_bo *bo,
				   struct ionode_attachment *a, bool for_cpu)
{
	struct ionode_backing *b = bo->backing;

	if (a->mapped && b->ops->sync)
		b->ops->sync(b, a->dev, &a->sgt, a->dir, for_cpu);
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
	int ret;

	mutex_lock(&bo->lock);
	/* DMA_BUF_IOCTL_SYNC is a first use of a deferred buffer. */
	ret = ionode_bo_populate(bo);
	if (!ret && bo->vmap_count)
		invalidate_kernel_vmap_range(bo->vaddr, bo->base.size);
	if (!ret)
		list_for_each_entry(a, &bo->attachments, node)
			ionode_attachment_sync(bo, a, true);
	mutex_unlock(&bo->lock);
	return ret;
}

static int ionode_dmabuf_end_cpu_access(struct dma_buf *dma_buf,
					enum dma_data_direction dir)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);
	struct ionode_attachment *a;

	mutex_lock(&bo->lock);
	/* Nothing to flush before the first use: no memory, no mapping. */
	if (bo->vmap_count)
		flush_kernel_vmap_range(bo->vaddr, bo->base.size);
	list_for_each_entry(a, &bo->attachments, node)
		ionode_attachment_sync(bo, a, false);
	mutex_unlock(&bo->lock);
	return 0;
}

/* The buffer forgets the dma-buf before it goes (debugfs reads its name). */
static void ionode_dmabuf_release(struct dma_buf *dma_buf)
{
	struct ionode_bo *bo = to_ionode_bo(dma_buf->priv);

	mutex_lock(&bo->lock);
	if (bo->dmabuf == dma_buf)
		bo->dmabuf = NULL;
	mutex_unlock(&bo->lock);
	drm_gem_dmabuf_release(dma_buf);
}

static const struct dma_buf_ops ionode_dmabuf_ops = {
	.attach = ionode_dmabuf_attach,
	.detach = ionode_dmabuf_detach,
	.map_dma_buf = ionode_dmabuf_map,
	.unmap_dma_buf = ionode_dmabuf_unmap,
	.begin_cpu_access = ionode_dmabuf_begin_cpu_access,
	.end_cpu_access = ionode_dmabuf_end_cpu_access,
	.release = ionode_dmabuf_release,
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
	struct ionode_bo *bo = to_ionode_bo(obj);
	struct dma_buf *dma_buf;

	exp_info.ops = &ionode_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;

	dma_buf = drm_gem_dmabuf_export(obj->dev, &exp_info);
	if (!IS_ERR(dma_buf)) {
		mutex_lock(&bo->lock);
		bo->dmabuf = dma_buf;
		mutex_unlock(&bo->lock);
	}
	return dma_buf;
}
