/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode heap modules: what a heap that lives in a module of its own
 * includes. See Documentation/heaps.rst, "Heaps in modules".
 *
 * The heap fills a &struct ionode_heap (ionode_drv.h: name, type, flags,
 * max_alloc, ops, owner = THIS_MODULE) and registers it with
 * ionode_heap_register() at module init, unregisters it with
 * ionode_heap_unregister() at module exit. Its ops describe memory with
 * the backings of ionode_backing.h, or take it ready-made from
 * ionode_heap_pages_alloc(), the system heap's allocator restricted to a
 * zone.
 */
#ifndef __IONODE_HEAP_H__
#define __IONODE_HEAP_H__

#include <linux/gfp.h>
#include <linux/types.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

int ionode_heap_register(struct ionode_heap *heap);
int ionode_heap_unregister(struct ionode_heap *heap);

struct ionode_backing *ionode_heap_pages_alloc(size_t size, u32 flags,
					       gfp_t zone);
void ionode_heap_pages_free(struct ionode_backing *b);

#endif /* __IONODE_HEAP_H__ */
