/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode's in-kernel API, for drivers that want their buffers
 * to come from ionode heaps (the V4L2 glue, for example).
 *
 * Heaps are named as in uapi/ionode_drm.h; flags are IONODE_BO_*.
 */
#ifndef __IONODE_H__
#define __IONODE_H__

#include <linux/types.h>

#include "ionode_drm.h"

struct dma_buf;

int ionode_heap_id(const char *name);
struct dma_buf *ionode_alloc(size_t size, u64 align, u64 heap_mask, u32 flags);

#endif /* __IONODE_H__ */
