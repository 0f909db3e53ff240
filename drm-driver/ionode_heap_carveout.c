// SPDX-License-Identifier: GPL-2.0
/*
 * ionode carveout heaps: physical ranges set aside at boot (for example
 * with memmap=SIZE$BASE) and handed to ionode with the module parameter
 * carveout=SIZE@BASE[,SIZE@BASE...]. Each range becomes a heap named
 * carveoutN, managed with the kernel's genalloc.
 *
 * A reserved range usually has no struct page, so carveout buffers are
 * described by their physical address only: each buffer keeps a memremap()
 * of its range in its caching mode, which also reserves that mode (PAT) for
 * user mappings, made at fault time a window at a time; importers get
 * dma_map_resource().
 */
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/cacheflush.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

static char *carveout;
module_param(carveout, charp, 0444);
MODULE_PARM_DESC(carveout,
		 "Carveout heaps: SIZE@BASE[,SIZE@BASE...], ranges reserved at boot (e.g. memmap=SIZE$BASE)");

#define CARVEOUT_MAX_ALIGN	SZ_1G

/**
 * struct carveout_region - one carveout range, for the module's lifetime
 * @pool: allocator over [@base, @base + @size).
 * @base: physical start, page aligned.
 * @size: length in bytes, page aligned.
 *
 * The ranges outlive the device: buffers of an unbound device keep their
 * ranges until they are freed, while a device bound again allocates from
 * the same pools.
 */
struct carveout_region {
	struct gen_pool *pool;
	phys_addr_t base;
	u64 size;
};

static struct carveout_region regions[IONODE_MAX_HEAPS];
static unsigned int num_regions;

/**
 * struct carveout_heap - a carveout heap of one device
 * @heap: the generic heap.
 * @region: the range it allocates from.
 */
struct carveout_heap {
	struct ionode_heap heap;
	struct carveout_region *region;
};

static struct carveout_heap *to_carveout(struct ionode_heap *heap)
{
	return container_of(heap, struct carveout_heap, heap);
}

/**
 * ionode_carveout_range_alloc - carve a range out of a carveout's pool
 * @pool: the carveout's genalloc pool, page granular
 * @size: bytes, page aligned
 * @align: power-of-two alignment of the physical start, at least PAGE_SIZE
 *
 * Return: the physical start, or 0 when no free range fits.
 */
unsigned long ionode_carveout_range_alloc(struct gen_pool *pool, u64 size,
					  u64 align)
{
	struct genpool_data_align data = { .align = align };

	/* genalloc takes the alignment as an int */
	if (size > ULONG_MAX || align > CARVEOUT_MAX_ALIGN)
		return 0;
	return gen_pool_alloc_algo(pool, size, gen_pool_first_fit_align, &data);
}

static struct ionode_backing *carveout_heap_allocate(struct ionode_heap *heap,
						     size_t size, size_t align,
						     u32 flags)
{
	struct carveout_region *r = to_carveout(heap)->region;
	struct ionode_backing *b;
	unsigned long addr;
	void *vaddr;

	addr = ionode_carveout_range_alloc(r->pool, size, align);
	if (!addr)
		return ERR_PTR(-ENOMEM);

	/* Write-back or write-combined: the PAT memtype of the range too. */
	vaddr = memremap(addr, size, (flags & IONODE_BO_CACHED) ? MEMREMAP_WB :
			 MEMREMAP_WC);
	if (!vaddr)
		goto err_free;
	memset(vaddr, 0, size);

	b = ionode_backing_pfn_create(addr, vaddr, size, flags);
	if (b)
		return b;
	memunmap(vaddr);
err_free:
	gen_pool_free(r->pool, addr, size);
	return ERR_PTR(-ENOMEM);
}

static void carveout_heap_release(struct ionode_heap *heap,
				  struct ionode_backing *b)
{
	void *kaddr = ionode_backing_pfn_kaddr(b);

#ifdef CONFIG_X86
	/*
	 * Write back and drop the buffer's cached lines, so that none can
	 * later land on top of what a write-combined user of the same range
	 * writes.
	 */
	if (b->flags & IONODE_BO_CACHED)
		clflush_cache_range(kaddr, b->size);
#endif
	memunmap(kaddr);
	gen_pool_free(to_carveout(heap)->region->pool,
		      ionode_backing_pfn_paddr(b), b->size);
	ionode_backing_pfn_destroy(b);
}

static void carveout_heap_query(struct ionode_heap *heap, u64 *total,
				u64 *free)
{
	struct carveout_region *r = to_carveout(heap)->region;

	*total = r->size;
	*free = gen_pool_avail(r->pool);
}

static void carveout_heap_destroy(struct ionode_heap *heap)
{
	kfree(to_carveout(heap));
}

static const struct ionode_heap_ops carveout_heap_ops = {
	.allocate = carveout_heap_allocate,
	.release = carveout_heap_release,
	.query = carveout_heap_query,
	.destroy = carveout_heap_destroy,
};

static int carveout_region_add(void *ctx, unsigned int index,
			       phys_addr_t base, u64 size)
{
	struct carveout_region *r;
	int ret;

	if (index >= ARRAY_SIZE(regions))
		return -ENOSPC;
	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) || !base ||
	    base + size < base) {
		pr_err("carveout%u: bad range %#llx@%pa\n", index, size, &base);
		return -EINVAL;
	}
	/* Never hand out RAM the kernel itself manages. */
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("carveout%u: %#llx@%pa overlaps System RAM; reserve it at boot (memmap=)\n",
		       index, size, &base);
		return -EINVAL;
	}

	r = &regions[index];
	r->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!r->pool)
		return -ENOMEM;
	ret = gen_pool_add(r->pool, base, size, NUMA_NO_NODE);
	if (ret) {
		gen_pool_destroy(r->pool);
		r->pool = NULL;
		return ret;
	}
	r->base = base;
	r->size = size;
	num_regions = index + 1;
	return 0;
}

/**
 * ionode_carveout_init - set up the carveout= ranges when the module loads
 *
 * Return: 0 (also when no carveout is configured) or a negative errno for
 * a malformed or unusable range.
 */
int ionode_carveout_init(void)
{
	int ret;

	if (!carveout || !*carveout)
		return 0;

	ret = ionode_carveout_parse(carveout, carveout_region_add, NULL);
	if (ret == -EINVAL)
		pr_err("carveout=%s: expected SIZE@BASE[,SIZE@BASE...]\n",
		       carveout);
	if (ret)
		ionode_carveout_exit();
	return ret;
}

/**
 * ionode_carveout_exit - release the carveout ranges when the module goes
 *
 * Every buffer is gone by then: each held a reference on the module.
 */
void ionode_carveout_exit(void)
{
	while (num_regions) {
		struct carveout_region *r = &regions[--num_regions];

		if (r->pool)
			gen_pool_destroy(r->pool);
		r->pool = NULL;
	}
}

/**
 * ionode_carveout_parse - parse a carveout= list
 * @spec: SIZE@BASE[,SIZE@BASE...], sizes and bases with memparse() suffixes
 * @add: called for each range, in order, with its index; parsing stops at
 *	its first error
 * @ctx: passed to @add
 *
 * Return: 0, -EINVAL for a malformed item, or the first error of @add.
 */
int ionode_carveout_parse(const char *spec,
			  int (*add)(void *ctx, unsigned int index,
				     phys_addr_t base, u64 size),
			  void *ctx)
{
	char *buf, *cur, *item;
	unsigned int index = 0;
	int ret = 0;

	buf = kstrdup(spec, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	cur = buf;
	while ((item = strsep(&cur, ",")) != NULL) {
		char *end;
		u64 size = memparse(item, &end);
		u64 base;

		if (end == item || *end != '@') {
			ret = -EINVAL;
			break;
		}
		item = end + 1;
		base = memparse(item, &end);
		if (end == item || *end || base != (phys_addr_t)base) {
			ret = -EINVAL;
			break;
		}
		ret = add(ctx, index++, base, size);
		if (ret)
			break;
	}

	kfree(buf);
	return ret;
}

/**
 * ionode_carveout_heaps_create - register one heap per carveout= range
 * @idev: the ionode device
 *
 * Return: 0 (also when no carveout is configured) or -ENOMEM.
 */
int ionode_carveout_heaps_create(struct ionode_device *idev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < num_regions; i++) {
		struct carveout_region *r = &regions[i];
		struct carveout_heap *co;

		co = kzalloc(sizeof(*co), GFP_KERNEL);
		if (!co)
			return -ENOMEM;
		co->region = r;
		co->heap.ops = &carveout_heap_ops;
		snprintf(co->heap.name, sizeof(co->heap.name), "carveout%u", i);
		co->heap.type = IONODE_HEAP_TYPE_CARVEOUT;
		co->heap.flags = IONODE_HEAP_CONTIGUOUS;
		co->heap.max_alloc = r->size;
		co->heap.max_align = min_t(u64, r->size, CARVEOUT_MAX_ALIGN);

		ret = ionode_heap_add(idev, &co->heap);
		if (ret) {
			kfree(co);
			return ret;
		}
		drm_info(&idev->drm, "%s: %llu MiB at %pa\n", co->heap.name,
			 r->size >> 20, &r->base);
	}
	return 0;
}
