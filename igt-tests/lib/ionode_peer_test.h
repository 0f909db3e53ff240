/* SPDX-License-Identifier: MIT */
/*
 * ionode_peer_test.h - helpers of the tests that share ionode buffers with
 * upstream peers (ionode_peers, ionode_display): buffers exported and
 * mapped for a peer, the heaps' used bytes coming back after a peer let go,
 * a dynamic subtest per heap, and vkms' display pipe (tools/lib/kms_pipe.h)
 * with ionode framebuffers.
 *
 * Like ionode_test.h, every helper asserts that what it wraps worked; fds
 * and mappings it opens are tracked (igt_track.h).
 */
#ifndef IONODE_PEER_TEST_H
#define IONODE_PEER_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "kms_pipe.h"
#include "ionode_test.h"

/**
 * pbuf - an ionode buffer shared with a peer (struct ionode_mapped):
 * handle, dma-buf (tracked fd), CPU mapping of the dma-buf (tracked), size
 */
#define pbuf ionode_mapped

/** PEER_RELEASE_WAIT_MS - how long a peer's deferred dma-buf release may take */
#define PEER_RELEASE_WAIT_MS	5000

/** peer_heap_names - the heaps every peer is tried with (NULL-terminated) */
extern const char *const peer_heap_names[];

/**
 * peer_require_heap - heap @name of @heaps; skips unless it exists and can
 * serve @count buffers of @size bytes
 */
const struct drm_ionode_heap_info *peer_require_heap(const struct ionode_heaps *heaps,
						     const char *name,
						     uint64_t size,
						     unsigned int count);

/**
 * assert_used_back - the heaps of @ion hold @baseline bytes again. A peer
 * may drop its last dma-buf reference from a worker (fput is then
 * deferred), so the accounting gets PEER_RELEASE_WAIT_MS to settle; it
 * must settle exactly.
 */
void assert_used_back(int ion, uint64_t baseline);

/**
 * pbuf_new_flags - a buffer of @size bytes from heap @h with @flags
 * (0: write-combined, IONODE_BO_CACHED), exported and mapped; asserts it
 * is zero-filled
 */
struct pbuf pbuf_new_flags(int ion, const struct drm_ionode_heap_info *h,
			   size_t size, uint32_t flags);

/** pbuf_new - pbuf_new_flags() of a cached buffer */
struct pbuf pbuf_new(int ion, const struct drm_ionode_heap_info *h,
		     size_t size);

/** pbuf_fill - fill_pattern(@seed) over the buffer, in a sync bracket */
void pbuf_fill(const struct pbuf *b, uint32_t seed);

/** pbuf_free - unmap, close the dma-buf and the handle */
void pbuf_free(int ion, struct pbuf *b);

/**
 * peer_heap_subtests - subtest @name, with @test(heap) as a dynamic
 * subtest per heap of peer_heap_names, each on a fresh ionode fd in *@ionp
 * (ionode_dynamic_f())
 */
void peer_heap_subtests(int *ionp, const char *name,
			void (*test)(const char *heap));

/**
 * vkms_open - vkms' pipe; loads vkms, skips where there is none, asserts
 * that it can be used; its fd is tracked
 */
void vkms_open(struct kms_pipe *k);

/**
 * vkms_fb - @b as an XRGB8888 framebuffer of the mode's size (pitch
 * hdisplay * 4, offset 0) on @k (asserts)
 */
uint32_t vkms_fb(struct kms_pipe *k, const struct pbuf *b);

/** vkms_writeback - vkms composes @src_fb and writes the frame into @dst_fb */
void vkms_writeback(struct kms_pipe *k, uint32_t src_fb, uint32_t dst_fb);

/**
 * check_writeback - the first @bytes of @dst are those of @src pixel for
 * pixel (XRGB8888), the X byte set to 0xff
 */
void check_writeback(const struct pbuf *src, const struct pbuf *dst,
		     size_t bytes);

#endif /* IONODE_PEER_TEST_H */
