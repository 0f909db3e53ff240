// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_heap_dma32: the "system-dma32" heap, in a module of its own.
 *
 * Buffers of pages below 4 GiB (ZONE_DMA32, or ZONE_DMA below it), for
 * 32-bit devices without an IOMMU, which would otherwise see their
 * buffers bounced through swiotlb or refused. The pages are made by
 * ionode's system heap allocator restricted to the zone
 * (ionode_heap_pages_alloc()): zeroed, charged to the allocating task's
 * memory cgroup, in chunks of up to 2 MiB, never pooled. The heap reports
 * the zones' size and free memory in the query ioctl.
 *
 * It registers through ionode's heap module API (ionode_heap.h): loading
 * the module adds the heap to the ionode device, unloading removes it;
 * every live buffer holds a reference on this module, so rmmod is refused
 * while one exists. See Documentation/heaps.rst.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include "ionode_heap.h"

#define DMA32_HEAP_NAME	"system-dma32"

static struct ionode_heap dma32_heap;

/* Managed and free bytes of the zones below 4 GiB, on every node. */
static void dma32_zone_bytes(u64 *total, u64 *free)
{
	unsigned long managed = 0, nr_free = 0;
	int nid;

	for_each_online_node(nid) {
		struct pglist_data *pgdat = NODE_DATA(nid);
		enum zone_type z;

		for (z = 0; z <= ZONE_DMA32; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			managed += zone_managed_pages(zone);
			nr_free += zone_page_state(zone, NR_FREE_PAGES);
		}
	}
	*total = (u64)managed << PAGE_SHIFT;
	*free = (u64)nr_free << PAGE_SHIFT;
}

static struct ionode_backing *dma32_heap_allocate(struct ionode_heap *heap,
						  size_t size, size_t align,
						  u32 flags)
{
	return ionode_heap_pages_alloc(size, flags, __GFP_DMA32);
}

static void dma32_heap_release(struct ionode_heap *heap,
			       struct ionode_backing *b)
{
	ionode_heap_pages_free(b);
}

static void dma32_heap_query(struct ionode_heap *heap, u64 *total, u64 *free)
{
	dma32_zone_bytes(total, free);
}

static const struct ionode_heap_ops dma32_heap_ops = {
	.allocate = dma32_heap_allocate,
	.release = dma32_heap_release,
	.query = dma32_heap_query,
};

static int __init dma32_heap_init(void)
{
	u64 total, free;

	dma32_zone_bytes(&total, &free);
	if (!total) {
		pr_info("ionode_heap_dma32: no memory below 4 GiB\n");
		return -ENODEV;
	}

	dma32_heap.ops = &dma32_heap_ops;
	dma32_heap.owner = THIS_MODULE;
	strscpy(dma32_heap.name, DMA32_HEAP_NAME, sizeof(dma32_heap.name));
	dma32_heap.type = IONODE_HEAP_TYPE_SYSTEM;
	dma32_heap.flags = 0;
	/* As the system heap: no buffer may take more than half the zones. */
	dma32_heap.max_alloc = PAGE_ALIGN(total / 2);
	return ionode_heap_register(&dma32_heap);
}

static void __exit dma32_heap_exit(void)
{
	/* No buffer is left: each holds a reference on this module. */
	WARN_ON(ionode_heap_unregister(&dma32_heap));
}

module_init(dma32_heap_init);
module_exit(dma32_heap_exit);

MODULE_DESCRIPTION("ionode system-dma32 heap: pages below 4 GiB for 32-bit devices");
MODULE_LICENSE("GPL");
