/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode_vb2 - videobuf2 memory operations that check imported dma-bufs
 * against a device's DMA constraints and allocate MMAP buffers from ionode.
 *
 * A videobuf2 driver uses them in three steps:
 *
 * 1. At probe time, after setting its DMA mask, declare what its DMA
 *    engine needs:
 *
 *	static const struct ionode_vb2_constraints c = {
 *		.contiguous = true,
 *		.align = SZ_64K,
 *	};
 *	ret = ionode_vb2_set_constraints(dev, &c);
 *
 * 2. Use the memory operations on its queues, with that device as
 *    &vb2_queue.dev (or as the plane's entry in alloc_devs[]):
 *
 *	q->mem_ops = &ionode_vb2_memops;
 *	q->io_modes = VB2_MMAP | VB2_DMABUF;
 *	q->dev = dev;
 *
 * 3. In &vb2_ops.buf_prepare, check what userspace said about the planes
 *    (payload, length, data offset) with ionode_vb2_check_payload():
 *    videobuf2 6.1 does not check all of it against the buffer really
 *    queued.
 *
 * 4. Program the DMA engine with ionode_vb2_plane_dma_addr() (contiguous
 *    devices) or ionode_vb2_plane_sgt() (scatter-gather devices), and
 *    bracket any CPU access to a plane with ionode_vb2_begin_cpu_access()
 *    and ionode_vb2_end_cpu_access(). Never use more of a plane than
 *    vb2_plane_size().
 *
 * V4L2_MEMORY_DMABUF: every dma-buf queued on the device, whoever exported
 * it, is mapped for the device when it is queued and checked there:
 * contiguous in the device's DMA address space if the device asked for it,
 * every byte the device can touch below its DMA mask, the first DMA address
 * aligned, the plane at least the minimum size. A buffer that does not pass
 * fails VIDIOC_QBUF (and VIDIOC_PREPARE_BUF) with EINVAL, and a dev_dbg() line
 * on the device names the unmet constraint (enable it with dynamic debug:
 * "module ionode_v4l2 +p").
 *
 * V4L2_MEMORY_MMAP: buffers are allocated from ionode, from the heaps the
 * constraints name, so VIDIOC_EXPBUF hands out ionode's own dma-buf that
 * userspace can import into ionode. A driver whose MMAP buffers are asked
 * for by users (any V4L2 driver) opens an ionode client for each open
 * file and gives it to the file's queues:
 *
 *	ctx->client = ionode_client_open("my-driver");      // open()
 *	ionode_vb2_queue_set_client(&ctx->queue, ctx->client);
 *	...
 *	vb2_queue_release(&ctx->queue);                      // release()
 *	ionode_vb2_queue_set_client(&ctx->queue, NULL);
 *	ionode_client_close(ctx->client);
 *
 * so that the buffers are charged to that user, with ionode's client
 * limit, heap limits and restricted heaps applied as to the user's own
 * DRM file, even after EXPBUF. A queue without a client allocates with
 * ionode_alloc(), charged to ionode's "kernel" client and unlimited. The
 * same checks apply to the allocated buffer.
 *
 * V4L2_MEMORY_USERPTR is not supported: do not set VB2_USERPTR.
 */
#ifndef __IONODE_VB2_H__
#define __IONODE_VB2_H__

#include <linux/dma-direction.h>
#include <linux/types.h>

struct device;
struct ionode_client;
struct sg_table;
struct vb2_buffer;
struct vb2_mem_ops;
struct vb2_queue;

/**
 * struct ionode_vb2_constraints - what a device's DMA engine needs
 * @contiguous: every plane must be one contiguous range in the device's DMA
 *	address space (no scatter-gather). Without an IOMMU this means
 *	physically contiguous memory (the "system-contig", "cma" and
 *	carveout heaps of ionode).
 * @align: required alignment of a plane's first DMA address in bytes: 0 or
 *	1 for none, otherwise a power of two.
 * @min_size: smallest plane, in bytes, the device accepts (0 for no
 *	minimum beyond what the queue asks for). MMAP planes are allocated at
 *	least this large.
 * @heap_mask: heaps MMAP buffers are allocated from, as
 *	BIT_ULL(ionode_heap_id(name)) bits tried in ionode's priority order;
 *	0 means any heap that can meet @contiguous and @align.
 * @heap_flags: IONODE_BO_* flags for MMAP allocations: IONODE_BO_CACHED
 *	for cached CPU mappings. IONODE_BO_CONTIGUOUS is added when
 *	@contiguous is set.
 *
 * The device's DMA mask is not part of the constraints: it is the one the
 * driver set on the device (dma_set_mask()), together with the bus limit,
 * as the DMA API itself uses it.
 */
struct ionode_vb2_constraints {
	bool contiguous;
	u64 align;
	u64 min_size;
	u64 heap_mask;
	u32 heap_flags;
};

extern const struct vb2_mem_ops ionode_vb2_memops;

int ionode_vb2_set_constraints(struct device *dev,
			       const struct ionode_vb2_constraints *c);
void ionode_vb2_get_constraints(struct device *dev,
				struct ionode_vb2_constraints *c);
int ionode_vb2_queue_set_client(struct vb2_queue *q,
				struct ionode_client *client);

dma_addr_t ionode_vb2_plane_dma_addr(struct vb2_buffer *vb,
				     unsigned int plane);
struct sg_table *ionode_vb2_plane_sgt(struct vb2_buffer *vb,
				      unsigned int plane);
int ionode_vb2_check_payload(struct vb2_buffer *vb);
int ionode_vb2_begin_cpu_access(struct vb2_buffer *vb, unsigned int plane,
				enum dma_data_direction dir);
int ionode_vb2_end_cpu_access(struct vb2_buffer *vb, unsigned int plane,
			      enum dma_data_direction dir);

#endif /* __IONODE_VB2_H__ */
