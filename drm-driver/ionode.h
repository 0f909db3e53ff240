/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode's in-kernel API, for drivers that want their buffers
 * to come from ionode heaps (the V4L2 glue, for example).
 *
 * Heaps are named as in uapi/ionode_drm.h; flags are IONODE_BO_*.
 *
 * Two kinds of allocation exist:
 *  - ionode_alloc(): the driver's own buffers, charged to ionode's "kernel"
 *    client, which may use restricted heaps and has no client limit;
 *  - ionode_client_alloc(): buffers a user asked for through the driver
 *    (V4L2 MMAP buffers, for example), charged to a client that stands for
 *    the user who opened the driver's file (ionode_client_open()), with
 *    the same limits, heap restrictions and accounting as a DRM file of
 *    that user.
 */
#ifndef __IONODE_H__
#define __IONODE_H__

#include <linux/types.h>

#include "ionode_drm.h"

struct dma_buf;
struct dma_buf_attachment;
struct ionode_client;

int ionode_heap_id(const char *name);
struct dma_buf *ionode_alloc(size_t size, u64 align, u64 heap_mask, u32 flags);

struct ionode_client *ionode_client_open(const char *label);
void ionode_client_close(struct ionode_client *client);
struct dma_buf *ionode_client_alloc(struct ionode_client *client, size_t size,
				    u64 align, u64 heap_mask, u32 flags);

int ionode_attach_constraints(struct dma_buf_attachment *attach,
			      bool contiguous, u64 align);

#endif /* __IONODE_H__ */
