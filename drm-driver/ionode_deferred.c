// SPDX-License-Identifier: GPL-2.0
/*
 * ionode deferred buffers: memory chosen at the first use, by the devices
 * that will use it.
 *
 * An IONODE_BO_DEFERRED buffer is created with its size, its creator's
 * heap mask (already filtered by policy with the creator's credentials),
 * flags and alignment, and no memory. It can be exported, imported into
 * other drivers and attached like any buffer. Its first use (an importer
 * mapping its attachment, a CPU fault, vmap, DMA_BUF_IOCTL_SYNC) comes
 * here, under the buffer's lock, and the memory is placed where every
 * device attached at that moment can reach it:
 *
 *  - a device behind a translating IOMMU reaches any memory, and any
 *    memory is contiguous in its DMA space;
 *  - any other device reaches memory below its DMA mask (and bus limit),
 *    without bounce buffers: a deferred buffer is placed, never bounced;
 *  - an importer may declare through ionode_attach_constraints() that it
 *    needs physically contiguous memory and a start alignment (the V4L2
 *    glue does for contiguous queues).
 *
 * The heaps of the mask are tried in order; a heap's memory is allocated
 * and then checked against every device (the heaps do not describe where
 * their memory will lie before they allocate it: the system heap's pages
 * are wherever the buddy allocator finds them), and given back if a
 * device cannot reach it. The first heap whose memory every device
 * reaches wins. The memory is charged then, to the creator: its client
 * (limits, accounting) and its memory cgroup, remembered at creation.
 *
 * A device attaching after the memory exists and unable to reach it is
 * refused at map time, as for any buffer; ionode does not migrate the
 * memory (a migration would have to zap every CPU mapping and re-map
 * every live attachment, which importers that keep their sg_table mapped,
 * as most do, do not allow).
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

#include <drm/drm_drv.h>

#include "ionode.h"
#include "ionode_backing.h"
#include "ionode_drv.h"

/**
 * ionode_dev_translated - whether a device's DMA goes through a translating
 *	IOMMU
 * @dev: the device
 *
 * Such a device reaches any memory, contiguous in its DMA space, whatever
 * its DMA mask (even one below 32 bits, which the DMA API still calls
 * addressing limited).
 *
 * Return: true when @dev is attached to a paging IOMMU domain.
 */
bool ionode_dev_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && (domain->type & __IOMMU_DOMAIN_PAGING);
}

/**
 * struct ionode_placement - what the devices of a deferred buffer need
 * @flags: IONODE_BO_* flags for the heap, IONODE_BO_CONTIGUOUS added when
 *	a device that needs contiguity has no IOMMU.
 * @align: the largest alignment asked for.
 * @why: the last constraint a heap failed, for the final message.
 * @who: the device whose constraint it was.
 */
struct ionode_placement {
	u32 flags;
	u64 align;
	const char *why;
	struct device *who;
};

static void ionode_placement_gather(struct ionode_bo *bo,
				    struct ionode_placement *p)
{
	struct ionode_attachment *a;

	p->flags = bo->flags & ~IONODE_BO_DEFERRED;
	p->align = bo->align;
	p->why = NULL;
	p->who = NULL;
	list_for_each_entry(a, &bo->attachments, node) {
		if (a->contiguous && !ionode_dev_translated(a->dev))
			p->flags |= IONODE_BO_CONTIGUOUS;
		p->align = max(p->align, a->align);
	}
}

/* Whether every attached device can reach @b; says which one cannot. */
static bool ionode_placement_fits(struct ionode_bo *bo,
				  struct ionode_backing *b,
				  struct ionode_placement *p)
{
	struct ionode_attachment *a;

	list_for_each_entry(a, &bo->attachments, node) {
		if (ionode_dev_translated(a->dev))
			continue;
		if (!b->ops->reachable(b, a->dev, false)) {
			dev_dbg(a->dev, "ionode: heap %s memory out of reach of DMA mask %#llx\n",
				b->heap->name, dma_get_mask(a->dev));
			p->why = "DMA mask";
			p->who = a->dev;
			return false;
		}
	}
	return true;
}

/*
 * Memory from the first heap of the buffer's mask that meets every
 * attached device's constraints, or an ERR_PTR: the last heap's error
 * (-ENOMEM, -EDQUOT) when a heap that could have served was out of memory
 * or at its limit, else -EINVAL.
 */
static struct ionode_backing *ionode_placement_alloc(struct ionode_bo *bo)
{
	struct ionode_device *idev = to_ionode_dev(bo->base.dev);
	size_t size = bo->base.size;
	struct ionode_placement p;
	struct ionode_backing *b = NULL;
	struct ionode_heap *heap;
	int ret = -EINVAL, idx;

	ionode_placement_gather(bo, &p);
	idx = ionode_heaps_read_lock();
	ionode_for_each_heap(idev, heap) {
		u64 one = BIT_ULL(heap->id), mask;

		if (!(bo->heap_mask & one))
			continue;
		/* Contiguity and alignment the heap cannot give. */
		if (ionode_heap_candidates(idev, one, p.flags, p.align, size,
					   true, &mask)) {
			p.why = p.flags & IONODE_BO_CONTIGUOUS ?
				"contiguous memory" : "alignment";
			continue;
		}
		b = ionode_heap_alloc(idev, one, size, p.align, p.flags);
		if (IS_ERR(b)) {
			ret = PTR_ERR(b);
			b = NULL;
			continue;
		}
		if (ionode_placement_fits(bo, b, &p))
			break;
		ionode_heap_free(b);
		b = NULL;
	}
	ionode_heaps_read_unlock(idx);
	if (b)
		return b;
	if (ret == -EINVAL)
		dev_dbg(idev->drm.dev,
			"deferred buffer of %zu bytes: no heap of mask %#llx meets %s%s%s\n",
			size, bo->heap_mask, p.why ?: "the constraints",
			p.who ? " of " : "", p.who ? dev_name(p.who) : "");
	return ERR_PTR(ret);
}

/**
 * ionode_bo_populate - give a deferred buffer its memory at its first use
 * @bo: the buffer, its lock held
 *
 * Does nothing for a buffer that has memory. Otherwise places the memory
 * for every device attached now (see the top of this file), charges it to
 * the creator's client and memory cgroup, and publishes it.
 *
 * Return: 0; -EDQUOT when the creator's client limit, or every suitable
 * heap's limit, is reached; -ENOMEM when the suitable heaps are out of
 * memory; -EINVAL when no heap of the mask meets the attached devices'
 * constraints; -ENODEV when the device is unbound; -EINVAL for an
 * imported buffer, which has no memory of ionode's.
 */
int ionode_bo_populate(struct ionode_bo *bo)
{
	struct ionode_device *idev = to_ionode_dev(bo->base.dev);
	struct mem_cgroup *old;
	struct ionode_backing *b;
	int ret, idx;

	lockdep_assert_held(&bo->lock);
	if (bo->backing)
		return 0;
	if (!bo->owner)
		return -EINVAL;
	if (!drm_dev_enter(&idev->drm, &idx))
		return -ENODEV;

	ret = ionode_client_reserve(bo->owner, bo->base.size);
	if (ret)
		goto out;
	/* The pages are the creator's: charge its cgroup, not the caller's. */
	old = set_active_memcg(bo->memcg);
	b = ionode_placement_alloc(bo);
	set_active_memcg(old);
	if (IS_ERR(b)) {
		ret = PTR_ERR(b);
		ionode_client_unreserve(bo->owner, bo->base.size);
		goto out;
	}
	bo->contiguous = b->contiguous;
	/* Lockless readers (the fault handler) see a complete backing. */
	smp_store_release(&bo->backing, b);
	ionode_client_charge_bo(bo);
	mem_cgroup_put(bo->memcg);
	bo->memcg = NULL;
out:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ionode_bo_populate_unlocked - ionode_bo_populate() for callers without the lock
 * @bo: the buffer
 *
 * Return: as ionode_bo_populate().
 */
int ionode_bo_populate_unlocked(struct ionode_bo *bo)
{
	int ret;

	if (ionode_bo_backing(bo))
		return 0;
	mutex_lock(&bo->lock);
	ret = ionode_bo_populate(bo);
	mutex_unlock(&bo->lock);
	return ret;
}

/**
 * ionode_attach_constraints - declare what an importer needs of an ionode buffer
 * @attach: the importer's attachment to a dma-buf, from dma_buf_attach()
 * @contiguous: the device needs the buffer physically contiguous (unless
 *	it sits behind a translating IOMMU, which makes any memory contiguous
 *	in its DMA space)
 * @align: 0, or the power-of-two alignment the device needs for the
 *	buffer's start address
 *
 * Counts when the buffer is deferred (IONODE_BO_DEFERRED) and still has no
 * memory: its first use places the memory so that it meets the
 * constraints of every attached device. Memory that exists already is not
 * moved; the importer checks it when it maps it, as for any buffer.
 *
 * Context: process context; the attachment must not be mapped yet.
 * Return: 0, -EINVAL for a bad @align, -EOPNOTSUPP when the dma-buf is not
 * an ionode buffer (nothing to declare to).
 */
int ionode_attach_constraints(struct dma_buf_attachment *attach,
			      bool contiguous, u64 align)
{
	struct ionode_attachment *a;
	struct ionode_bo *bo;

	if (!ionode_is_ionode_dmabuf(attach->dmabuf))
		return -EOPNOTSUPP;
	if (align && !is_power_of_2(align))
		return -EINVAL;
	bo = to_ionode_bo(attach->dmabuf->priv);
	a = attach->priv;
	mutex_lock(&bo->lock);
	a->contiguous = contiguous;
	a->align = align;
	mutex_unlock(&bo->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(ionode_attach_constraints);
