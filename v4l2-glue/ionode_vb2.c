// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_vb2 - videobuf2 memory operations for devices with DMA
 * constraints: imported dma-bufs are checked against the device's
 * declared constraints before the device may touch them, and MMAP buffers
 * come from ionode heaps. See ionode_vb2.h for how drivers use it.
 *
 * Why not vb2-dma-contig or vb2-vmalloc? vb2-dma-contig maps an imported
 * dma-buf and only checks that its first contiguous run covers the plane:
 * a scatter-gather buffer fails with EFAULT and a kernel log line that
 * does not say which device or buffer, and it never checks the device's
 * DMA mask or the start alignment, so a driver gets a DMA address its
 * engine cannot use (silent bad DMA); nor can it tell a contiguous-only
 * device from a scatter-gather one: it always demands contiguity.
 * vb2-vmalloc does not map imported dma-bufs for the device at all (it
 * only vmaps them), so there is nothing to check and no DMA address.
 * Neither allocates MMAP buffers that userspace can hand to ionode.
 *
 * Checks, on the DMA side of the attachment's sg_table (the addresses the
 * device will use, after any IOMMU or swiotlb bouncing), over the part of
 * the dma-buf the plane covers:
 *  - contiguous: each segment starts where the previous one ended;
 *  - DMA mask: the last byte of every segment is below the device's mask
 *    (and bus limit);
 *  - alignment: the first DMA address is a multiple of the declared one;
 *  - size: the dma-buf holds the plane and the plane is not below the
 *    declared minimum.
 * Exporters are expected to refuse mappings a device cannot reach (ionode
 * does, for carveouts that swiotlb cannot bounce); an exporter that hands
 * out such addresses anyway is caught by the mask check.
 *
 * Cache maintenance: the device's CPU accesses go through
 * ionode_vb2_begin_cpu_access()/ionode_vb2_end_cpu_access(), i.e. the
 * exporter's dma_buf_begin_cpu_access()/dma_buf_end_cpu_access(), which
 * sync every mapping of the buffer (including swiotlb bounce buffers).
 * MMAP buffers, whose userspace users do not sync themselves, are synced
 * for the device in &vb2_mem_ops.prepare and for the CPU in
 * &vb2_mem_ops.finish, like vb2-dma-contig does; imported buffers are left
 * to the userspace that shares them (DMA_BUF_IOCTL_SYNC), as V4L2 requires.
 */
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <media/videobuf2-core.h>

#include "ionode.h"
#include "ionode_vb2.h"

/**
 * struct ionode_vb2_buf - one plane of a vb2 buffer
 * @dev: the device the plane is mapped for.
 * @vb: the vb2 buffer the plane belongs to.
 * @dbuf: the dma-buf: ionode's for MMAP planes (we hold a reference),
 *	the imported one for DMABUF planes (vb2 holds the reference).
 * @attach: @dev's attachment to @dbuf.
 * @sgt: @dbuf mapped for @dev, NULL while not mapped.
 * @dma_dir: direction of the mapping, the queue's.
 * @size: the plane's length in bytes.
 * @dma_addr: first DMA address of the plane while mapped, else 0.
 * @mmap: the plane was allocated by us (V4L2_MEMORY_MMAP).
 * @vmap_lock: protects @map.
 * @map: kernel mapping of @dbuf, when one was asked for.
 */
struct ionode_vb2_buf {
	struct device *dev;
	struct vb2_buffer *vb;
	struct dma_buf *dbuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	enum dma_data_direction dma_dir;
	unsigned long size;
	dma_addr_t dma_addr;
	bool mmap;
	struct mutex vmap_lock; /* protects map */
	struct iosys_map map;
};

/* ---- constraints --------------------------------------------------------- */

struct ionode_vb2_devres {
	struct ionode_vb2_constraints c;
};

/* Serializes updates and copies of the constraints stored in devres. */
static DEFINE_SPINLOCK(ionode_vb2_constraints_lock);

static void ionode_vb2_devres_release(struct device *dev, void *res)
{
}

/**
 * ionode_vb2_set_constraints - declare a device's DMA constraints
 * @dev: the device that vb2 queues using &ionode_vb2_memops map buffers
 *	for (&vb2_queue.dev or an entry of its alloc_devs[])
 * @c: the constraints; copied
 *
 * The copy is device-managed: it goes away when @dev's driver unbinds.
 * Calling it again replaces the previous constraints; buffers already
 * queued are not checked again until they are queued again. A device that
 * never declared constraints is treated as a scatter-gather device without
 * alignment or size requirements: only its DMA mask is checked.
 *
 * Context: process context, typically the driver's probe().
 * Return: 0, -EINVAL for an alignment that is not a power of two or
 * unknown heap flags, or -ENOMEM.
 */
int ionode_vb2_set_constraints(struct device *dev,
			       const struct ionode_vb2_constraints *c)
{
	struct ionode_vb2_devres *new, *old;
	unsigned long flags;

	if (c->align > 1 && !is_power_of_2(c->align))
		return -EINVAL;
	if (c->heap_flags & ~IONODE_BO_FLAGS)
		return -EINVAL;

	new = devres_alloc(ionode_vb2_devres_release, sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->c = *c;

	spin_lock_irqsave(&ionode_vb2_constraints_lock, flags);
	old = devres_find(dev, ionode_vb2_devres_release, NULL, NULL);
	if (old) {
		old->c = *c;
	} else {
		devres_add(dev, new);
		new = NULL;
	}
	spin_unlock_irqrestore(&ionode_vb2_constraints_lock, flags);

	if (new)
		devres_free(new);
	return 0;
}
EXPORT_SYMBOL_GPL(ionode_vb2_set_constraints);

/**
 * ionode_vb2_get_constraints - the constraints a device declared
 * @dev: the device
 * @c: filled with a copy of @dev's constraints, or all zero (no
 *	constraints, any heap) when it declared none
 *
 * Context: any context.
 */
void ionode_vb2_get_constraints(struct device *dev,
				struct ionode_vb2_constraints *c)
{
	struct ionode_vb2_devres *res;
	unsigned long flags;

	spin_lock_irqsave(&ionode_vb2_constraints_lock, flags);
	res = devres_find(dev, ionode_vb2_devres_release, NULL, NULL);
	if (res)
		*c = res->c;
	else
		memset(c, 0, sizeof(*c));
	spin_unlock_irqrestore(&ionode_vb2_constraints_lock, flags);
}
EXPORT_SYMBOL_GPL(ionode_vb2_get_constraints);

/* ---- clients --------------------------------------------------------------- */

/*
 * Which ionode client each queue's MMAP buffers are charged to: vb2 6.1
 * has no field for a memory allocator's per-queue data, so the glue
 * keeps a small table keyed by the queue.
 */
struct ionode_vb2_qclient {
	struct hlist_node node;
	const struct vb2_queue *q;
	struct ionode_client *client;
};

#define IONODE_VB2_QCLIENT_BITS	6
static DEFINE_HASHTABLE(ionode_vb2_qclients, IONODE_VB2_QCLIENT_BITS);
/* Protects ionode_vb2_qclients. */
static DEFINE_SPINLOCK(ionode_vb2_qclients_lock);

/* Caller holds ionode_vb2_qclients_lock. */
static struct ionode_vb2_qclient *ionode_vb2_qclient_find(const struct vb2_queue *q)
{
	struct ionode_vb2_qclient *e;

	hash_for_each_possible(ionode_vb2_qclients, e, node, (unsigned long)q)
		if (e->q == q)
			return e;
	return NULL;
}

/**
 * ionode_vb2_queue_set_client - charge a queue's MMAP buffers to a client
 * @q: a queue using &ionode_vb2_memops
 * @client: the ionode client, from ionode_client_open(), standing for the
 *	user who opened the driver's file; NULL to forget @q's client
 *
 * From then on, MMAP buffers of @q are allocated with ionode_client_alloc()
 * for @client: they count against ionode's client_limit and heap limits,
 * restricted heaps refuse them unless the task asking for them (the one
 * in VIDIOC_REQBUFS or VIDIOC_CREATE_BUFS) is privileged, and ionode's
 * accounting (debugfs, sysfs) lists them under that client, also after
 * VIDIOC_EXPBUF, until they are freed. A queue with no client has its
 * MMAP buffers allocated with ionode_alloc(), charged to ionode's
 * "kernel" client with none of those limits: only for queues whose
 * buffers no user asks for.
 *
 * The driver keeps @client open while @q may allocate, and calls this
 * with NULL before it frees @q (after vb2_queue_release()) and before
 * ionode_client_close(); buffers already allocated keep their client
 * charged on their own.
 *
 * Context: process context.
 * Return: 0, or -ENOMEM.
 */
int ionode_vb2_queue_set_client(struct vb2_queue *q,
				struct ionode_client *client)
{
	struct ionode_vb2_qclient *old, *new = NULL;

	if (client) {
		new = kzalloc(sizeof(*new), GFP_KERNEL);
		if (!new)
			return -ENOMEM;
		new->q = q;
		new->client = client;
	}

	spin_lock(&ionode_vb2_qclients_lock);
	old = ionode_vb2_qclient_find(q);
	if (old)
		hash_del(&old->node);
	if (new)
		hash_add(ionode_vb2_qclients, &new->node, (unsigned long)q);
	spin_unlock(&ionode_vb2_qclients_lock);

	kfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(ionode_vb2_queue_set_client);

/* The client @q's MMAP buffers are charged to, or NULL for ionode's own. */
static struct ionode_client *ionode_vb2_queue_client(const struct vb2_queue *q)
{
	struct ionode_vb2_qclient *e;
	struct ionode_client *client;

	spin_lock(&ionode_vb2_qclients_lock);
	e = ionode_vb2_qclient_find(q);
	client = e ? e->client : NULL;
	spin_unlock(&ionode_vb2_qclients_lock);
	return client;
}

/* ---- checks --------------------------------------------------------------- */

/* Highest DMA address @dev can use: its mask, within its bus limit. */
static u64 ionode_vb2_dma_limit(struct device *dev)
{
	u64 limit = dma_get_mask(dev);

	if (dev->bus_dma_limit)
		limit = min_t(u64, limit, dev->bus_dma_limit);
	return limit;
}

/* The plane index of @buf in its vb2 buffer, for messages. */
static int ionode_vb2_plane_of(const struct ionode_vb2_buf *buf)
{
	unsigned int p;

	for (p = 0; p < buf->vb->num_planes; p++)
		if (buf->vb->planes[p].mem_priv == buf)
			return p;
	return -1;
}

/* dev_dbg() naming the buffer, the plane and the exporter. */
static __printf(2, 3) void buf_dbg(const struct ionode_vb2_buf *buf,
				   const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dev_dbg(buf->dev, "%s buffer %u plane %d, %s dma-buf: %pV",
		buf->mmap ? "MMAP" : "DMABUF", buf->vb->index,
		ionode_vb2_plane_of(buf), buf->dbuf->exp_name, &vaf);
	va_end(args);
}

/*
 * Check the mapping @sgt of @buf against @c and the device's DMA mask, over
 * the first @buf->size bytes, and set @buf->dma_addr. The failure message
 * names the first unmet constraint.
 */
static int ionode_vb2_check(struct ionode_vb2_buf *buf,
			    const struct ionode_vb2_constraints *c,
			    struct sg_table *sgt)
{
	u64 limit = ionode_vb2_dma_limit(buf->dev);
	u64 start = 0, next = 0, covered = 0;
	unsigned int runs = 0, i;
	struct scatterlist *sg;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 addr = sg_dma_address(sg);
		u64 len = sg_dma_len(sg);

		if (covered >= buf->size)
			break;
		if (!len)
			continue;
		if (addr + len - 1 < addr || addr + len - 1 > limit) {
			buf_dbg(buf, "segment %u at %#llx+%#llx is beyond the DMA mask %#llx\n",
				i, addr, len, limit);
			return -EINVAL;
		}
		if (!runs) {
			start = addr;
			runs = 1;
		} else if (addr != next) {
			runs++;
		}
		next = addr + len;
		covered += len;
	}

	if (covered < buf->size) {
		buf_dbg(buf, "the mapping covers %llu of the plane's %lu bytes\n",
			covered, buf->size);
		return -EINVAL;
	}
	if (c->contiguous && runs > 1) {
		buf_dbg(buf, "not contiguous in DMA space (%u segments)\n", runs);
		return -EINVAL;
	}
	if (c->align > 1 && !IS_ALIGNED(start, c->align)) {
		buf_dbg(buf, "start %#llx is not aligned to %#llx bytes\n",
			start, c->align);
		return -EINVAL;
	}

	buf->dma_addr = start;
	return 0;
}

/* Map @buf for its device and check it; on failure nothing stays mapped. */
static int ionode_vb2_map_checked(struct ionode_vb2_buf *buf)
{
	struct ionode_vb2_constraints c;
	struct sg_table *sgt;
	int ret;

	sgt = dma_buf_map_attachment(buf->attach, buf->dma_dir);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		buf_dbg(buf, "the exporter refused to map it for the device (error %d, DMA mask %#llx)\n",
			ret, ionode_vb2_dma_limit(buf->dev));
		/* Transient failures keep their errno; the rest is EINVAL. */
		if (ret != -ENOMEM && ret != -EINTR && ret != -ERESTARTSYS)
			ret = -EINVAL;
		return ret;
	}

	ionode_vb2_get_constraints(buf->dev, &c);
	ret = ionode_vb2_check(buf, &c, sgt);
	if (ret) {
		dma_buf_unmap_attachment(buf->attach, sgt, buf->dma_dir);
		return ret;
	}
	buf->sgt = sgt;
	return 0;
}

static void ionode_vb2_unmap(struct ionode_vb2_buf *buf)
{
	dma_buf_unmap_attachment(buf->attach, buf->sgt, buf->dma_dir);
	buf->sgt = NULL;
	buf->dma_addr = 0;
}

static void ionode_vb2_vunmap(struct ionode_vb2_buf *buf)
{
	mutex_lock(&buf->vmap_lock);
	if (!iosys_map_is_null(&buf->map)) {
		dma_buf_vunmap(buf->dbuf, &buf->map);
		iosys_map_clear(&buf->map);
	}
	mutex_unlock(&buf->vmap_lock);
}

static struct ionode_vb2_buf *ionode_vb2_buf_new(struct vb2_buffer *vb,
						 struct device *dev,
						 unsigned long size)
{
	struct ionode_vb2_buf *buf = kzalloc(sizeof(*buf), GFP_KERNEL);

	if (!buf)
		return NULL;
	buf->dev = get_device(dev);
	buf->vb = vb;
	buf->size = size;
	buf->dma_dir = vb->vb2_queue->dma_dir;
	mutex_init(&buf->vmap_lock);
	return buf;
}

static void ionode_vb2_buf_free(struct ionode_vb2_buf *buf)
{
	mutex_destroy(&buf->vmap_lock);
	put_device(buf->dev);
	kfree(buf);
}

/* ---- callbacks for all buffers ------------------------------------------- */

static void *ionode_vb2_cookie(struct vb2_buffer *vb, void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	return &buf->dma_addr;
}

static void *ionode_vb2_vaddr(struct vb2_buffer *vb, void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;
	struct iosys_map map;
	void *vaddr = NULL;

	mutex_lock(&buf->vmap_lock);
	if (iosys_map_is_null(&buf->map)) {
		if (dma_buf_vmap(buf->dbuf, &map)) {
			buf_dbg(buf, "no kernel mapping\n");
			goto out;
		}
		if (map.is_iomem) {
			/* Not usable as a plain pointer. */
			dma_buf_vunmap(buf->dbuf, &map);
			buf_dbg(buf, "kernel mapping is I/O memory\n");
			goto out;
		}
		buf->map = map;
	}
	vaddr = buf->map.vaddr;
out:
	mutex_unlock(&buf->vmap_lock);
	return vaddr;
}

/* ---- callbacks for MMAP buffers ------------------------------------------- */

static void *ionode_vb2_alloc(struct vb2_buffer *vb, struct device *dev,
			      unsigned long size)
{
	struct ionode_client *client = ionode_vb2_queue_client(vb->vb2_queue);
	struct ionode_vb2_constraints c;
	struct ionode_vb2_buf *buf;
	struct dma_buf *dbuf;
	size_t alloc_size;
	u64 align, heaps;
	u32 flags;
	int ret;

	if (WARN_ON(!dev))
		return ERR_PTR(-EINVAL);

	ionode_vb2_get_constraints(dev, &c);
	alloc_size = PAGE_ALIGN(max_t(u64, size, c.min_size));
	align = c.align > PAGE_SIZE ? c.align : 0;
	heaps = c.heap_mask ?: U64_MAX;
	flags = c.heap_flags | (c.contiguous ? IONODE_BO_CONTIGUOUS : 0);
	/* The user's buffer, charged to the user, unless nobody asked. */
	if (client)
		dbuf = ionode_client_alloc(client, alloc_size, align, heaps, flags);
	else
		dbuf = ionode_alloc(alloc_size, align, heaps, flags);
	if (IS_ERR(dbuf)) {
		dev_dbg(dev, "MMAP buffer %u: ionode cannot allocate %zu bytes (heaps %#llx, align %#llx): %ld\n",
			vb->index, alloc_size, c.heap_mask, c.align,
			PTR_ERR(dbuf));
		return ERR_CAST(dbuf);
	}

	buf = ionode_vb2_buf_new(vb, dev, size);
	if (!buf) {
		ret = -ENOMEM;
		goto err_put;
	}
	buf->mmap = true;
	buf->dbuf = dbuf;

	buf->attach = dma_buf_attach(dbuf, dev);
	if (IS_ERR(buf->attach)) {
		ret = PTR_ERR(buf->attach);
		goto err_free;
	}
	/* MMAP buffers stay mapped for the device for their whole life. */
	ret = ionode_vb2_map_checked(buf);
	if (ret)
		goto err_detach;
	return buf;

err_detach:
	dma_buf_detach(dbuf, buf->attach);
err_free:
	ionode_vb2_buf_free(buf);
err_put:
	dma_buf_put(dbuf);
	return ERR_PTR(ret);
}

static void ionode_vb2_put(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;
	struct dma_buf *dbuf = buf->dbuf;

	ionode_vb2_vunmap(buf);
	ionode_vb2_unmap(buf);
	dma_buf_detach(dbuf, buf->attach);
	ionode_vb2_buf_free(buf);
	/* Mappings and exported fds hold their own references. */
	dma_buf_put(dbuf);
}

/*
 * VIDIOC_EXPBUF: the MMAP buffer is an ionode dma-buf, hand it out as is.
 * Its file was opened read-write by ionode whatever access mode @flags
 * asks for; the video node gives the same access through mmap() anyway.
 */
static struct dma_buf *ionode_vb2_get_dmabuf(struct vb2_buffer *vb,
					     void *buf_priv,
					     unsigned long flags)
{
	struct ionode_vb2_buf *buf = buf_priv;

	get_dma_buf(buf->dbuf);
	return buf->dbuf;
}

/* Users of the buffer: our reference, every mmap() and every exported fd. */
static unsigned int ionode_vb2_num_users(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	return file_count(buf->dbuf->file);
}

static int ionode_vb2_mmap(void *buf_priv, struct vm_area_struct *vma)
{
	struct ionode_vb2_buf *buf = buf_priv;

	/* vb2_mmap() checked the length and set vm_pgoff to 0. */
	return dma_buf_mmap(buf->dbuf, vma, 0);
}

/* QBUF of an MMAP buffer: what userspace wrote must reach the device. */
static void ionode_vb2_prepare(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	if (!buf->mmap || buf->vb->skip_cache_sync_on_prepare)
		return;
	if (!iosys_map_is_null(&buf->map))
		flush_kernel_vmap_range(buf->map.vaddr, buf->size);
	dma_sync_sgtable_for_device(buf->dev, buf->sgt, buf->dma_dir);
}

/* DQBUF of an MMAP buffer: what the device wrote must reach userspace. */
static void ionode_vb2_finish(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	if (!buf->mmap || buf->vb->skip_cache_sync_on_finish)
		return;
	if (!iosys_map_is_null(&buf->map))
		invalidate_kernel_vmap_range(buf->map.vaddr, buf->size);
	dma_sync_sgtable_for_cpu(buf->dev, buf->sgt, buf->dma_dir);
}

/* ---- callbacks for DMABUF buffers ----------------------------------------- */

static void *ionode_vb2_attach_dmabuf(struct vb2_buffer *vb,
				      struct device *dev,
				      struct dma_buf *dbuf,
				      unsigned long size)
{
	struct ionode_vb2_constraints c;
	struct ionode_vb2_buf *buf;

	if (WARN_ON(!dev))
		return ERR_PTR(-EINVAL);

	buf = ionode_vb2_buf_new(vb, dev, size);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->dbuf = dbuf;

	ionode_vb2_get_constraints(dev, &c);
	if (dbuf->size < size) {
		buf_dbg(buf, "%zu bytes, smaller than the plane's %lu\n",
			dbuf->size, size);
		goto err_inval;
	}
	if (size < c.min_size) {
		buf_dbg(buf, "plane of %lu bytes, below the device's minimum of %llu\n",
			size, c.min_size);
		goto err_inval;
	}

	buf->attach = dma_buf_attach(dbuf, dev);
	if (IS_ERR(buf->attach)) {
		void *err = buf->attach;

		buf_dbg(buf, "cannot attach: %ld\n", PTR_ERR(err));
		ionode_vb2_buf_free(buf);
		return err;
	}
	/*
	 * A deferred ionode buffer gets memory this device can use at its
	 * first use; -EOPNOTSUPP: another exporter's buffer, checked at map.
	 */
	if (c.contiguous || c.align > 1)
		ionode_attach_constraints(buf->attach, c.contiguous,
					  c.align > 1 ? c.align : 0);
	return buf;

err_inval:
	ionode_vb2_buf_free(buf);
	return ERR_PTR(-EINVAL);
}

static void ionode_vb2_detach_dmabuf(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	/* vb2 unmaps before it detaches; be safe if it did not. */
	if (WARN_ON(buf->sgt))
		ionode_vb2_unmap(buf);
	ionode_vb2_vunmap(buf);
	dma_buf_detach(buf->dbuf, buf->attach);
	ionode_vb2_buf_free(buf);
}

/*
 * QBUF of a DMABUF buffer: map it for the device and check it before the
 * device may use it. An error here makes VIDIOC_QBUF fail with it.
 */
static int ionode_vb2_map_dmabuf(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	if (WARN_ON(buf->sgt))
		return 0;
	return ionode_vb2_map_checked(buf);
}

/* DQBUF of a DMABUF buffer: the device is done with it. */
static void ionode_vb2_unmap_dmabuf(void *buf_priv)
{
	struct ionode_vb2_buf *buf = buf_priv;

	if (WARN_ON(!buf->sgt))
		return;
	ionode_vb2_vunmap(buf);
	ionode_vb2_unmap(buf);
}

/**
 * DOC: ionode_vb2_memops
 *
 * ionode_vb2_memops are the vb2 memory operations with constraint checks:
 * MMAP (ionode heaps, EXPBUF gives ionode's dma-buf) and DMABUF (any
 * exporter, checked at QBUF); no USERPTR. The cookie of a plane is a
 * pointer to its first DMA address (&dma_addr_t), as with vb2-dma-contig;
 * ionode_vb2_plane_dma_addr() and ionode_vb2_plane_sgt() are the typed
 * accessors. See ionode_vb2.h.
 */
const struct vb2_mem_ops ionode_vb2_memops = {
	.alloc		= ionode_vb2_alloc,
	.put		= ionode_vb2_put,
	.get_dmabuf	= ionode_vb2_get_dmabuf,
	.prepare	= ionode_vb2_prepare,
	.finish		= ionode_vb2_finish,
	.attach_dmabuf	= ionode_vb2_attach_dmabuf,
	.detach_dmabuf	= ionode_vb2_detach_dmabuf,
	.map_dmabuf	= ionode_vb2_map_dmabuf,
	.unmap_dmabuf	= ionode_vb2_unmap_dmabuf,
	.vaddr		= ionode_vb2_vaddr,
	.cookie		= ionode_vb2_cookie,
	.num_users	= ionode_vb2_num_users,
	.mmap		= ionode_vb2_mmap,
};
EXPORT_SYMBOL_GPL(ionode_vb2_memops);

/* ---- accessors for drivers ------------------------------------------------ */

static struct ionode_vb2_buf *ionode_vb2_plane(struct vb2_buffer *vb,
					       unsigned int plane)
{
	if (WARN_ON_ONCE(vb->vb2_queue->mem_ops != &ionode_vb2_memops))
		return NULL;
	if (plane >= vb->num_planes)
		return NULL;
	return vb->planes[plane].mem_priv;
}

/**
 * ionode_vb2_plane_dma_addr - first DMA address of a plane
 * @vb: a buffer of a queue using &ionode_vb2_memops
 * @plane: plane index
 *
 * For a device that declared itself contiguous-only this is the DMA
 * address of the whole plane; scatter-gather devices want
 * ionode_vb2_plane_sgt().
 *
 * Context: while the buffer is queued (owned by the driver).
 * Return: the DMA address, or 0 when the plane is not mapped.
 */
dma_addr_t ionode_vb2_plane_dma_addr(struct vb2_buffer *vb, unsigned int plane)
{
	struct ionode_vb2_buf *buf = ionode_vb2_plane(vb, plane);

	return buf ? buf->dma_addr : 0;
}
EXPORT_SYMBOL_GPL(ionode_vb2_plane_dma_addr);

/**
 * ionode_vb2_plane_sgt - a plane's mapping for the device
 * @vb: a buffer of a queue using &ionode_vb2_memops
 * @plane: plane index
 *
 * Walk the DMA side with for_each_sgtable_dma_sg(); the segments cover at
 * least the plane's length and passed the device's constraints.
 *
 * Context: while the buffer is queued (owned by the driver).
 * Return: the sg_table, or NULL when the plane is not mapped.
 */
struct sg_table *ionode_vb2_plane_sgt(struct vb2_buffer *vb, unsigned int plane)
{
	struct ionode_vb2_buf *buf = ionode_vb2_plane(vb, plane);

	return buf ? buf->sgt : NULL;
}
EXPORT_SYMBOL_GPL(ionode_vb2_plane_sgt);

/**
 * ionode_vb2_check_payload - check what userspace says about a buffer's planes
 * @vb: a buffer of a queue using &ionode_vb2_memops, being prepared
 *
 * videobuf2 leaves a driver to trust values that userspace chose at
 * VIDIOC_QBUF: in 6.1 the payload (bytesused) of a single-planar DMABUF
 * buffer is checked against the plane's *previous* length, not the one
 * of the dma-buf being queued, and data_offset is only checked for
 * multi-planar OUTPUT buffers. Called from &vb2_ops.buf_prepare, this
 * checks for every plane that its length is within what ionode_vb2
 * mapped and checked for the device, that the payload is within the
 * length, and that data_offset is within the payload (0, or below a
 * non-zero payload). A driver that calls it may then use payload and
 * data_offset to address the plane.
 *
 * Context: &vb2_ops.buf_prepare (the queue's lock held).
 * Return: 0, or -EINVAL (with a dev_dbg() line) for a plane that does not fit.
 */
int ionode_vb2_check_payload(struct vb2_buffer *vb)
{
	unsigned int p;

	for (p = 0; p < vb->num_planes; p++) {
		struct ionode_vb2_buf *buf = ionode_vb2_plane(vb, p);
		const struct vb2_plane *plane = &vb->planes[p];

		if (!buf)
			return -EINVAL;
		if (plane->length > buf->size) {
			buf_dbg(buf, "length %u exceeds the %lu bytes mapped\n",
				plane->length, buf->size);
			return -EINVAL;
		}
		if (plane->bytesused > plane->length) {
			buf_dbg(buf, "payload of %u bytes exceeds the length %u\n",
				plane->bytesused, plane->length);
			return -EINVAL;
		}
		if (plane->data_offset && plane->data_offset >= plane->bytesused) {
			buf_dbg(buf, "data offset %u is not below the payload %u\n",
				plane->data_offset, plane->bytesused);
			return -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(ionode_vb2_check_payload);

/**
 * ionode_vb2_begin_cpu_access - prepare a plane for CPU access by the driver
 * @vb: a buffer of a queue using &ionode_vb2_memops
 * @plane: plane index
 * @dir: DMA_FROM_DEVICE to read, DMA_TO_DEVICE to write, DMA_BIDIRECTIONAL
 *	for both (as DMA_BUF_SYNC_READ/WRITE/RW)
 *
 * Calls dma_buf_begin_cpu_access() on the plane's dma-buf, so that the
 * exporter syncs every mapping of it for the CPU. Access the plane through
 * vb2_plane_vaddr() until ionode_vb2_end_cpu_access() with the same @dir.
 *
 * Context: process context; may sleep.
 * Return: 0 or the exporter's negative errno.
 */
int ionode_vb2_begin_cpu_access(struct vb2_buffer *vb, unsigned int plane,
				enum dma_data_direction dir)
{
	struct ionode_vb2_buf *buf = ionode_vb2_plane(vb, plane);

	if (!buf)
		return -EINVAL;
	return dma_buf_begin_cpu_access(buf->dbuf, dir);
}
EXPORT_SYMBOL_GPL(ionode_vb2_begin_cpu_access);

/**
 * ionode_vb2_end_cpu_access - end CPU access by the driver to a plane
 * @vb: a buffer of a queue using &ionode_vb2_memops
 * @plane: plane index
 * @dir: the direction given to ionode_vb2_begin_cpu_access()
 *
 * Calls dma_buf_end_cpu_access(), so that what the CPU wrote reaches every
 * mapping of the buffer, including swiotlb bounce buffers.
 *
 * Context: process context; may sleep.
 * Return: 0 or the exporter's negative errno.
 */
int ionode_vb2_end_cpu_access(struct vb2_buffer *vb, unsigned int plane,
			      enum dma_data_direction dir)
{
	struct ionode_vb2_buf *buf = ionode_vb2_plane(vb, plane);

	if (!buf)
		return -EINVAL;
	return dma_buf_end_cpu_access(buf->dbuf, dir);
}
EXPORT_SYMBOL_GPL(ionode_vb2_end_cpu_access);

MODULE_IMPORT_NS(DMA_BUF);
