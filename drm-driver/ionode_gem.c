// SPDX-License-Identifier: GPL-2.0
/*
 * ionode GEM objects: creation from a heap, CPU mappings (mmap through the
 * DRM fd or the dma-buf fd, kernel vmap) and import of foreign dma-bufs.
 */
#include <linux/dma-buf.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <drm/drm_vma_manager.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

/**
 * ionode_bo_heap_id - the id of the heap a buffer's memory came from
 * @bo: the buffer
 *
 * Return: the heap id, or IONODE_HEAP_ID_NONE for an imported buffer and
 * for a deferred one without memory yet.
 */
u32 ionode_bo_heap_id(const struct ionode_bo *bo)
{
	struct ionode_backing *b = ionode_bo_backing(bo);

	return b ? b->heap->id : IONODE_HEAP_ID_NONE;
}

static void ionode_gem_free(struct drm_gem_object *obj)
{
	struct ionode_bo *bo = to_ionode_bo(obj);
	struct drm_device *dev = obj->dev;

	WARN_ON(bo->vmap_count);
	WARN_ON(!list_empty(&bo->attachments));

	if (obj->import_attach)
		drm_prime_gem_destroy(obj, bo->import_sgt);
	if (bo->owner)
		ionode_client_detach_bo(bo);
	if (bo->backing)
		ionode_heap_free(bo->backing);
	mem_cgroup_put(bo->memcg);
	drm_gem_object_release(obj);
	mutex_destroy(&bo->lock);
	kfree(bo);
	/* The buffer's reference: the heaps and clients go with the last. */
	drm_dev_put(dev);
}

/**
 * ionode_fault_window - the user addresses one fault maps
 * @addr: the faulting address, page aligned
 * @vm_start: start of the mapping
 * @vm_end: end of the mapping
 * @left: pages of the object from @addr's page to its end, at least one
 * @start: out: first address to map
 * @end: out: end of the addresses to map
 *
 * The window is the PMD_SIZE-aligned range of user addresses around @addr,
 * the span of the one page table @addr's PTE lives in, clipped to the
 * mapping and to the object: a mapping at an offset into the object, or
 * at an address that is not PMD_SIZE aligned, gets partial windows at its
 * ends, and no window reaches past the object's last page.
 */
void ionode_fault_window(unsigned long addr, unsigned long vm_start,
			 unsigned long vm_end, unsigned long left,
			 unsigned long *start, unsigned long *end)
{
	unsigned long base = addr & PMD_MASK;

	*start = max(base, vm_start);
	*end = min(base + PMD_SIZE, vm_end);
	if (left < (*end - addr) >> PAGE_SHIFT)
		*end = addr + (left << PAGE_SHIFT);
}

/**
 * struct ionode_fill - state of ionode_fill_pte() over a window
 * @vma: the mapping.
 * @backing: the buffer's memory.
 * @pgoff: page of the object at the address being filled.
 * @prot: protection of every PTE, caching mode included.
 * @have_prot: @prot was read from the faulting page's PTE.
 */
struct ionode_fill {
	struct vm_area_struct *vma;
	struct ionode_backing *backing;
	pgoff_t pgoff;
	pgprot_t prot;
	bool have_prot;
};

/* apply_to_existing_page_range() callback: the PTE's protection. */
static int ionode_read_prot(pte_t *pte, unsigned long addr, void *data)
{
	struct ionode_fill *f = data;

	f->prot = pte_pgprot(pte_mkclean(ptep_get(pte)));
	f->have_prot = true;
	return 0;
}

/*
 * apply_to_page_range() callback, under the page table's lock: a special
 * PTE (no struct page behind it as far as the MM is concerned, as
 * vmf_insert_pfn() makes) for each address with none. A PTE already there
 * (the faulting page, or pages of a racing fault) is left alone.
 */
static int ionode_fill_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct ionode_fill *f = data;
	struct ionode_backing *b = f->backing;

	if (pte_none(ptep_get(pte))) {
		unsigned long pfn = b->ops->pfn(b, f->pgoff);

		set_pte_at(f->vma->vm_mm, addr, pte,
			   pte_mkspecial(pfn_pte(pfn, f->prot)));
		update_mmu_cache(f->vma, addr, pte);
	}
	f->pgoff++;
	return 0;
}

/*
 * Fault-around: one fault maps the whole window around the faulting
 * address (ionode_fault_window(): up to PMD_SIZE, one page table), so
 * touching a fresh mapping of N bytes takes N / 2 MiB faults, not one per
 * page.
 *
 * Why PTEs and not one PMD entry per 2 MiB: on 6.1 a PMD entry of a
 * VM_PFNMAP mapping cannot be marked special (pmd_special() does not exist
 * yet), so GUP-fast would take it for a huge page with struct pages to pin
 * (TTM removed its huge PFN mappings for that reason), and for carveouts
 * without struct pages there is no page to take at all. Special PTEs are
 * refused by GUP, fast or slow, like the VM_PFNMAP VMA itself.
 *
 * Why VM_PFNMAP and not vm_insert_pages() (VM_MIXEDMAP): normal PTEs of
 * page-backed buffers would let get_user_pages() pin pages that the heap
 * takes back and hands out again when the buffer is freed; no user mapping
 * of buffer memory may ever be pinned.
 *
 * How: the faulting page goes through vmf_insert_pfn(), which checks the
 * pfn against the protection (L1TF) and applies the memory's PAT memtype
 * to the PTE's caching mode: the memtype the backing set up for the
 * buffer's life, which may differ from what vm_page_prot asks for (an MTRR
 * can turn a write-back carveout uncached). That PTE's protection is then
 * reused for the rest of the window, which apply_to_page_range() fills
 * under one page-table walk and one lock, as i915's remap_io_sg() does at
 * fault time: one pfn lookup and one PTE store per page, rather than a
 * walk, a lock and a PAT lookup (a walk of the iomem resources for RAM)
 * per page. The memtype covers the whole buffer (one memremap() or one
 * set_pages_array_wc()), so one page's PAT answer is every page's. The
 * window lies in the faulting address's page table, which the first
 * insertion allocated: filling it allocates nothing and cannot fail.
 * Existing PTEs are skipped, not replaced, so racing faults on the same
 * window (under the mmap read lock, each under the page table's lock in
 * turn) agree; nothing but munmap (under the write lock) ever removes
 * them.
 */
static vm_fault_t ionode_gem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct drm_gem_object *obj = vma->vm_private_data;
	struct ionode_bo *bo = to_ionode_bo(obj);
	struct ionode_backing *b = ionode_bo_backing(bo);
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long start, end;
	struct ionode_fill f = { .vma = vma };
	pgoff_t pgoff;
	vm_fault_t ret;
	int err;

	/* ionode_gem_mmap() made vm_pgoff an offset into the object. */
	pgoff = vmf->pgoff;
	if (pgoff >= ionode_bo_npages(bo))
		return VM_FAULT_SIGBUS;

	/* A CPU access is a first use of a deferred buffer. */
	if (!b) {
		err = ionode_bo_populate_unlocked(bo);
		if (err)
			return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		b = ionode_bo_backing(bo);
	}
	f.backing = b;
	ionode_backing_expose(b);

	ret = vmf_insert_pfn(vma, addr, b->ops->pfn(b, pgoff));
	if (ret != VM_FAULT_NOPAGE)
		return ret;

	ionode_fault_window(addr, vma->vm_start, vma->vm_end,
			    ionode_bo_npages(bo) - pgoff, &start, &end);
	if (end - start <= PAGE_SIZE)
		return ret;

	/* The PTE just inserted, or a racing fault's: the same pfn and PAT. */
	apply_to_existing_page_range(vma->vm_mm, addr, PAGE_SIZE,
				     ionode_read_prot, &f);
	if (WARN_ON_ONCE(!f.have_prot))
		return ret;

	f.pgoff = pgoff - ((addr - start) >> PAGE_SHIFT);
	apply_to_page_range(vma->vm_mm, start, end - start, ionode_fill_pte,
			    &f);
	return ret;
}

static const struct vm_operations_struct ionode_gem_vm_ops = {
	.fault = ionode_gem_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

/* Called by drm_gem_mmap_obj() and drm_gem_prime_mmap(), object referenced. */
static int ionode_gem_mmap(struct drm_gem_object *obj,
			   struct vm_area_struct *vma)
{
	struct ionode_bo *bo = to_ionode_bo(obj);
	pgprot_t prot;
	int ret;

	if (obj->import_attach) {
		pgoff_t pgoff = vma->vm_pgoff - drm_vma_node_start(&obj->vma_node);

		/* The exporter's vm_ops take over; it keeps its own refs. */
		vma->vm_private_data = NULL;
		vma->vm_ops = NULL;
		ret = dma_buf_mmap(obj->import_attach->dmabuf, vma, pgoff);
		if (ret)
			return ret;
		vma->vm_flags |= VM_DONTEXPAND;
		drm_gem_object_put(obj);
		return 0;
	}

	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;

	/*
	 * Both mmap paths hand us the object's fake offset plus the page
	 * offset into it; keep only the latter. The fake offset is made on
	 * the first DRM_IOCTL_IONODE_MAP_OFFSET, not with the buffer (most
	 * buffers are only ever mapped through their dma-buf, if at all), so
	 * a dma-buf mapping made before it exists must not depend on it.
	 */
	vma->vm_pgoff -= drm_vma_node_start(&obj->vma_node);

	/*
	 * Every buffer is mapped at fault time, a window around each fault
	 * (ionode_gem_fault()), memory without struct pages too:
	 * remap_pfn_range() would map it whole up front, but in 6.1 its error
	 * path (a page table allocation failing) warns in PAT's untrack_pfn().
	 * VM_PFNMAP: no user mapping of buffer memory can be pinned.
	 */
	vma->vm_flags |= VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	prot = vm_get_page_prot(vma->vm_flags);
	vma->vm_page_prot = ionode_caching_pgprot(bo->flags, prot);
	return 0;	/* ionode_gem_fault() fills it in */
}

static int ionode_gem_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct ionode_bo *bo = to_ionode_bo(obj);
	int ret = 0;

	if (obj->import_attach)
		return dma_buf_vmap(obj->import_attach->dmabuf, map);

	mutex_lock(&bo->lock);
	/* A kernel mapping is a first use of a deferred buffer. */
	ret = ionode_bo_populate(bo);
	if (ret)
		goto out;
	if (!bo->vmap_count) {
		ionode_backing_expose(bo->backing);
		bo->vaddr = bo->backing->ops->vmap(bo->backing);
		if (!bo->vaddr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	bo->vmap_count++;
	iosys_map_set_vaddr(map, bo->vaddr);
out:
	mutex_unlock(&bo->lock);
	return ret;
}

static void ionode_gem_vunmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct ionode_bo *bo = to_ionode_bo(obj);

	if (obj->import_attach) {
		dma_buf_vunmap(obj->import_attach->dmabuf, map);
		return;
	}

	mutex_lock(&bo->lock);
	if (!WARN_ON(!bo->vmap_count) && !--bo->vmap_count) {
		bo->backing->ops->vunmap(bo->backing, bo->vaddr);
		bo->vaddr = NULL;
	}
	mutex_unlock(&bo->lock);
}

static void ionode_gem_print_info(struct drm_printer *p, unsigned int indent,
				  const struct drm_gem_object *obj)
{
	const struct ionode_bo *bo = container_of(obj, struct ionode_bo, base);
	struct ionode_backing *b = ionode_bo_backing(bo);

	drm_printf_indent(p, indent, "heap=%s\n",
			  b ? b->heap->name :
			  obj->import_attach ? "(imported)" : "(no memory yet)");
	drm_printf_indent(p, indent, "flags=0x%x contiguous=%d vmap_count=%u\n",
			  bo->flags, bo->contiguous, bo->vmap_count);
}

/* Handles to foreign buffers are counted per file; see ionode_client.c. */
static int ionode_gem_open(struct drm_gem_object *obj, struct drm_file *file)
{
	if (obj->import_attach)
		ionode_client_count_import(file, obj, true);
	return 0;
}

static void ionode_gem_close(struct drm_gem_object *obj, struct drm_file *file)
{
	if (obj->import_attach)
		ionode_client_count_import(file, obj, false);
}

static const struct drm_gem_object_funcs ionode_gem_funcs = {
	.free = ionode_gem_free,
	.open = ionode_gem_open,
	.close = ionode_gem_close,
	.print_info = ionode_gem_print_info,
	.export = ionode_gem_prime_export,
	.vmap = ionode_gem_vmap,
	.vunmap = ionode_gem_vunmap,
	.mmap = ionode_gem_mmap,
	.vm_ops = &ionode_gem_vm_ops,
};

static struct ionode_bo *ionode_bo_alloc(struct drm_device *dev, size_t size)
{
	struct ionode_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	bo->base.funcs = &ionode_gem_funcs;
	mutex_init(&bo->lock);
	INIT_LIST_HEAD(&bo->attachments);
	/* Dropped by ionode_gem_free(), whatever path frees the object. */
	drm_dev_get(dev);
	drm_gem_private_object_init(dev, &bo->base, size);
	return bo;
}

/**
 * ionode_bo_check_args - validate the size, alignment and flags of a request
 * @size: requested size in bytes
 * @align: in: 0 or the requested alignment; out: the alignment to use, a
 *	power of two of at least PAGE_SIZE
 * @flags: IONODE_BO_* flags
 *
 * Return: 0, or -EINVAL for a zero size, unknown flags or an alignment that
 * is not a power of two.
 */
int ionode_bo_check_args(u64 size, u64 *align, u32 flags)
{
	if (!size || (flags & ~IONODE_BO_FLAGS))
		return -EINVAL;
	if (*align && !is_power_of_2(*align))
		return -EINVAL;
	*align = max_t(u64, *align, PAGE_SIZE);
	return 0;
}

/**
 * ionode_bo_create - allocate a zeroed buffer from the first suitable heap
 * @idev: the ionode device
 * @client: client to charge; a kernel client may use restricted heaps
 * @size: size in bytes, non-zero
 * @align: 0 or a power-of-two alignment
 * @heap_mask: heaps the caller accepts
 * @flags: IONODE_BO_* flags
 *
 * The whole creation, top to bottom: check the request, choose the heaps
 * (policy), charge the client, take memory from the first heap that has
 * room (heap limits, caching mode), make the object and give it to the
 * client. Each step is a call into the file that owns it; one unwind path.
 *
 * An IONODE_BO_DEFERRED request stops after the policy: the object gets
 * the heaps to try and no memory, no charge; ionode_bo_populate() does the
 * rest at its first use.
 *
 * Return: the new object with one reference, or an ERR_PTR: -EINVAL for
 * bad flags, a bad alignment or a mask no heap of which can serve; -EPERM
 * when only restricted heaps could; -E2BIG when @size is too large for all
 * of them; -EDQUOT when a limit is hit; -ENOMEM when they are exhausted;
 * -ENODEV when the device is unbound.
 */
struct ionode_bo *ionode_bo_create(struct ionode_device *idev,
				   struct ionode_client *client, u64 size,
				   u64 align, u64 heap_mask, u32 flags)
{
	struct ionode_backing *backing;
	struct ionode_bo *bo;
	u64 candidates;
	int ret, idx;

	ret = ionode_bo_check_args(size, &align, flags);
	if (ret)
		return ERR_PTR(ret);

	ret = ionode_heap_candidates(idev, heap_mask, flags, align, size,
				     client->kernel, &candidates);
	if (ret)
		return ERR_PTR(ret);
	/* max_alloc is page aligned: a candidate's size does not overflow. */
	size = PAGE_ALIGN(size);

	/* No new memory for a device that is going away (unbind). */
	if (!drm_dev_enter(&idev->drm, &idx))
		return ERR_PTR(-ENODEV);

	if (flags & IONODE_BO_DEFERRED) {
		bo = ionode_bo_alloc(&idev->drm, size);
		if (!IS_ERR(bo)) {
			bo->flags = flags;
			bo->heap_mask = candidates;
			bo->align = align;
			/* The creator's cgroup (or the one charged for it). */
			bo->memcg = get_mem_cgroup_from_mm(NULL);
			ionode_client_attach_bo(client, bo);
		}
		drm_dev_exit(idx);
		return bo;
	}

	ret = ionode_client_reserve(client, size);
	if (ret)
		goto err_exit;

	backing = ionode_heap_alloc(idev, candidates, size, align, flags);
	if (IS_ERR(backing)) {
		ret = PTR_ERR(backing);
		goto err_unreserve;
	}

	bo = ionode_bo_alloc(&idev->drm, size);
	if (IS_ERR(bo)) {
		ret = PTR_ERR(bo);
		goto err_free;
	}
	bo->flags = flags;
	bo->backing = backing;
	bo->contiguous = backing->contiguous;
	ionode_client_attach_bo(client, bo);
	drm_dev_exit(idx);
	return bo;

err_free:
	ionode_heap_free(backing);
err_unreserve:
	ionode_client_unreserve(client, size);
err_exit:
	drm_dev_exit(idx);
	return ERR_PTR(ret);
}

/**
 * ionode_gem_prime_import - &drm_driver.gem_prime_import for ionode
 * @dev: the DRM device
 * @dma_buf: the dma-buf to import
 *
 * A dma-buf that this device exported gives back its own GEM object, so a
 * round trip through an fd yields the same buffer; any other dma-buf is
 * attached and mapped for the ionode device.
 *
 * Return: a referenced GEM object or an ERR_PTR: -EINVAL for a foreign
 * dma-buf whose size is not a whole number of pages.
 */
struct drm_gem_object *ionode_gem_prime_import(struct drm_device *dev,
					       struct dma_buf *dma_buf)
{
	if (ionode_is_ionode_dmabuf(dma_buf)) {
		struct drm_gem_object *obj = dma_buf->priv;

		if (obj->dev == dev) {
			drm_gem_object_get(obj);
			return obj;
		}
	}
	/*
	 * A GEM object is made of whole pages (drm_gem_private_object_init()
	 * BUG()s otherwise), and rounding a foreign buffer up would let
	 * userspace map bytes past the exporter's end: refuse such buffers.
	 */
	if (!PAGE_ALIGNED(dma_buf->size)) {
		drm_dbg_prime(dev, "dma-buf of %zu bytes is not page aligned\n",
			      dma_buf->size);
		return ERR_PTR(-EINVAL);
	}
	return drm_gem_prime_import(dev, dma_buf);
}

/**
 * ionode_gem_prime_import_sg_table - wrap a foreign buffer in a GEM object
 * @dev: the DRM device
 * @attach: ionode's attachment to the foreign dma-buf
 * @sgt: the mapping of it for the ionode device
 *
 * Return: a new GEM object or an ERR_PTR.
 */
struct drm_gem_object *
ionode_gem_prime_import_sg_table(struct drm_device *dev,
				 struct dma_buf_attachment *attach,
				 struct sg_table *sgt)
{
	struct ionode_bo *bo;

	bo = ionode_bo_alloc(dev, attach->dmabuf->size);
	if (IS_ERR(bo))
		return ERR_CAST(bo);

	bo->import_sgt = sgt;
	bo->contiguous = drm_prime_get_contiguous_size(sgt) >= bo->base.size;
	return &bo->base;
}
