/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode backing memory: what a heap hands out, behind one ops table.
 *
 * A buffer (&struct ionode_bo) holds a pointer to its backing and never
 * looks inside: the fault handler asks it for a pfn, vmap for a kernel
 * mapping, every importer for an sg_table built and DMA-mapped for its
 * device, DMA_BUF_IOCTL_SYNC for cache maintenance. Two implementations
 * exist, and a heap picks one: memory with struct pages
 * (ionode_backing_pages.c: system, system-contig, cma) and a physical
 * range that may have none (ionode_backing_pfn.c: carveouts).
 */
#ifndef __IONODE_BACKING_H__
#define __IONODE_BACKING_H__

#include <linux/compiler.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/pgtable.h>
#include <linux/types.h>

#include "ionode_drm.h"

struct device;
struct ionode_heap;
struct page;
struct sg_table;

struct ionode_backing;

/**
 * struct ionode_backing_ops - what a kind of backing memory does
 * @pfn: the page frame at page @pgoff of the memory, for the fault
 *	handler, which calls it for every page of a window under the page
 *	table's spinlock: it must not sleep. The PTE's caching mode comes
 *	from the memory's PAT memtype, which the backing keeps in line with
 *	its caching mode, the same for the whole memory.
 * @vmap: a kernel mapping of the whole memory in its caching mode, or
 *	NULL. Undone by @vunmap.
 * @vunmap: undoes @vmap.
 * @build_sgt: describe the memory in @sgt for an importer, in segments of
 *	at most @max_seg bytes (a multiple of PAGE_SIZE). Freed with
 *	sg_free_table() by the caller.
 * @reachable: whether @dev can reach the memory through the DMA API
 *	without a mapping failure: its DMA mask, or bouncing when @bounce
 *	(placement of a deferred buffer asks without: no bounce buffers).
 * @map: DMA-map @sgt, built by @build_sgt, for @dev. Return 0 or an errno.
 * @unmap: undoes @map.
 * @sync: sync @sgt, mapped for @dev in direction @dir, for the CPU
 *	(@for_cpu) or for the device. Optional: memory never bounced and
 *	used on coherent platforms needs none.
 * @set_wc: switch the kernel's own mapping of the memory to
 *	write-combined (@wc) or back to write-back, so that it agrees with
 *	write-combined user mappings. Optional. Return 0 or an errno; a
 *	failed switch may have changed part of the memory.
 */
struct ionode_backing_ops {
	unsigned long (*pfn)(struct ionode_backing *b, pgoff_t pgoff);
	void *(*vmap)(struct ionode_backing *b);
	void (*vunmap)(struct ionode_backing *b, void *vaddr);
	int (*build_sgt)(struct ionode_backing *b, struct sg_table *sgt,
			 unsigned int max_seg);
	bool (*reachable)(struct ionode_backing *b, struct device *dev,
			  bool bounce);
	int (*map)(struct ionode_backing *b, struct device *dev,
		   struct sg_table *sgt, enum dma_data_direction dir);
	void (*unmap)(struct ionode_backing *b, struct device *dev,
		      struct sg_table *sgt, enum dma_data_direction dir);
	void (*sync)(struct ionode_backing *b, struct device *dev,
		     struct sg_table *sgt, enum dma_data_direction dir,
		     bool for_cpu);
	int (*set_wc)(struct ionode_backing *b, bool wc);
};

/**
 * struct ionode_backing - the memory of one buffer
 * @ops: what this kind of memory does.
 * @heap: the heap it came from; set by the heap layer.
 * @size: bytes, page aligned.
 * @flags: IONODE_BO_* flags it was allocated with (caching mode).
 * @contiguous: physically contiguous.
 * @exposed: the memory has been reachable from outside the driver: mapped
 *	into a user page table, vmapped for the kernel, or described to an
 *	importer in an sg_table. Until then it still holds what the heap
 *	gave, zeroes, and the system heap files it as clean when it is freed
 *	(no zeroing). Set with ionode_backing_expose().
 * @priv: the heap's own data about the memory.
 * @node: entry in the list of memory waiting for its write-back switch
 *	(ionode_heap.c).
 */
struct ionode_backing {
	const struct ionode_backing_ops *ops;
	struct ionode_heap *heap;
	size_t size;
	u32 flags;
	bool contiguous;
	bool exposed;
	void *priv;
	struct list_head node;
};

/**
 * ionode_backing_expose - note that the memory may now be written
 * @b: the backing
 *
 * Called before the memory's pfns go into a page table, a kernel mapping
 * or an importer's sg_table. Never undone.
 */
static inline void ionode_backing_expose(struct ionode_backing *b)
{
	if (!READ_ONCE(b->exposed))
		WRITE_ONCE(b->exposed, true);
}

/**
 * ionode_caching_pgprot - the page protection of a mapping of a buffer
 * @flags: the buffer's IONODE_BO_* flags
 * @prot: the protection without caching attributes
 *
 * Return: @prot for IONODE_BO_CACHED buffers, else write-combined.
 */
static inline pgprot_t ionode_caching_pgprot(u32 flags, pgprot_t prot)
{
	return (flags & IONODE_BO_CACHED) ? prot : pgprot_writecombine(prot);
}

/**
 * ionode_backing_init - fill in the generic part of a backing
 * @b: the backing, embedded in its implementation's struct
 * @ops: the implementation's ops
 * @size: bytes, page aligned
 * @flags: IONODE_BO_* flags of the allocation
 * @contiguous: the memory is physically contiguous
 */
static inline void ionode_backing_init(struct ionode_backing *b,
				       const struct ionode_backing_ops *ops,
				       size_t size, u32 flags, bool contiguous)
{
	b->ops = ops;
	b->heap = NULL;
	b->size = size;
	b->flags = flags;
	b->contiguous = contiguous;
	b->exposed = false;
	b->priv = NULL;
	INIT_LIST_HEAD(&b->node);
}

/* ionode_backing_pages.c: memory with struct pages */
struct ionode_backing *ionode_backing_pages_create(struct page **pages,
						   size_t size, u32 flags,
						   bool contiguous, bool preset);
struct page **ionode_backing_pages(struct ionode_backing *b);
void ionode_backing_pages_destroy(struct ionode_backing *b);

/* ionode_backing_pfn.c: a physical range, struct pages or not */
struct ionode_backing *ionode_backing_pfn_create(phys_addr_t paddr,
						 void *kaddr, size_t size,
						 u32 flags);
phys_addr_t ionode_backing_pfn_paddr(struct ionode_backing *b);
void *ionode_backing_pfn_kaddr(struct ionode_backing *b);
void ionode_backing_pfn_destroy(struct ionode_backing *b);

#endif /* __IONODE_BACKING_H__ */
