// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_peer_dma_heap - Linux 6.1's dma-buf heap core and its system heap
 * as one test-only module, for `make bench` on kernels built without
 * CONFIG_DMABUF_HEAPS (Debian's stock kernel).
 *
 * The two upstream files are included unmodified. Each registers an
 * initcall (subsys_initcall(dma_heap_init) and
 * module_init(system_heap_create)), and one module can have only one
 * init_module: both macros are silenced while the files are compiled and
 * this module's own init calls the two functions in the order the built-in
 * kernel runs them. The module has no exit function, as the upstream code
 * has no way to remove a heap: it stays loaded until the (test) machine is
 * switched off.
 */
#include <linux/init.h>
#include <linux/module.h>

#pragma push_macro("module_init")
#pragma push_macro("subsys_initcall")
#undef module_init
#undef subsys_initcall
#define module_init(fn)
#define subsys_initcall(fn)

#include "dma-heap.c"
#include "system_heap.c"

#pragma pop_macro("subsys_initcall")
#pragma pop_macro("module_init")

static int __init ionode_peer_dma_heap_init(void)
{
	int ret;

	ret = dma_heap_init();
	if (ret)
		return ret;
	return system_heap_create();
}
module_init(ionode_peer_dma_heap_init);

/* Built in, the files need no import; as a module they do. */
MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("Linux 6.1 dma-buf heaps (core + system), test-only, for ionode's benchmark");
