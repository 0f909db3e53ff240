// SPDX-License-Identifier: MIT
/*
 * ionode_peer_test.c - helpers of the tests that share ionode buffers with
 * upstream peers. See ionode_peer_test.h.
 */
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <drm_fourcc.h>

#include "igt_track.h"
#include "ionode_peer_test.h"

/* The heaps the kernel and VM have (the others' subtests skip). */
const char *const peer_heap_names[] = {
	"system", "system-contig", "carveout0", "cma", NULL,
};

/* How long a vkms writeback may take (TCG, the debug kernel). */
#define WRITEBACK_TIMEOUT_MS	20000

const struct drm_ionode_heap_info *peer_require_heap(const struct ionode_heaps *heaps,
						     const char *name,
						     uint64_t size,
						     unsigned int count)
{
	const struct drm_ionode_heap_info *h = ionode_heap(heaps, name);

	igt_require_f(h, "no heap %s here\n", name);
	igt_require_f(ionode_heap_fits(h, size, count),
		      "heap %s cannot serve %u x %llu bytes\n", name, count,
		      (unsigned long long)ionode_round_page(size));
	return h;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void assert_used_back(int ion, uint64_t baseline)
{
	uint64_t deadline = now_ms() + PEER_RELEASE_WAIT_MS, used;

	while ((used = ionode_total_used(ion)) != baseline &&
	       now_ms() < deadline)
		usleep(10000);
	igt_assert_f(used == baseline,
		     "heaps hold %llu bytes, %llu before the subtest\n",
		     (unsigned long long)used, (unsigned long long)baseline);
}

struct pbuf pbuf_new_flags(int ion, const struct drm_ionode_heap_info *h,
			   size_t size, uint32_t flags)
{
	struct pbuf b = ionode_mapped_new(ion, h->id, size, 0, flags);

	dmabuf_sync(b.dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_zero(b.ptr, b.size);
	dmabuf_sync(b.dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	return b;
}

struct pbuf pbuf_new(int ion, const struct drm_ionode_heap_info *h,
		     size_t size)
{
	return pbuf_new_flags(ion, h, size, IONODE_BO_CACHED);
}

void pbuf_fill(const struct pbuf *b, uint32_t seed)
{
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(b->ptr, b->size, seed, 0);
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

void pbuf_free(int ion, struct pbuf *b)
{
	unmap(b->ptr);
	close_fd(b->dmabuf);
	ionode_bo_close(ion, b->handle);
}

void peer_heap_subtests(int *ionp, const char *name,
			void (*test)(const char *heap))
{
	/* Static: the harness may long-jump back into the loop. */
	static size_t i;

	ionode_subtest_with_dynamic(ionp, name)
		for (i = 0; peer_heap_names[i]; i++)
			ionode_dynamic_f(ionp, "%s", peer_heap_names[i])
				test(peer_heap_names[i]);
}

void vkms_open(struct kms_pipe *k)
{
	int ret;

	igt_require_f(igt_modprobe("vkms"),
		      "no vkms on this kernel (the full tier has it; `make vkms`"
		      " builds one for the stock kernel)\n");
	ret = kms_pipe_open(k, "vkms");
	igt_assert_f(ret == 0, "vkms is loaded but its pipe cannot be used: %s\n",
		     igt_errno_name(-ret));
	track_fd(k->fd);
}

uint32_t vkms_fb(struct kms_pipe *k, const struct pbuf *b)
{
	uint32_t fb;

	igt_assert_eq(kms_pipe_add_fb(k, b->dmabuf, k->mode.hdisplay,
				      k->mode.vdisplay, DRM_FORMAT_XRGB8888,
				      k->mode.hdisplay * 4, 0, &fb), 0);
	return fb;
}

void vkms_writeback(struct kms_pipe *k, uint32_t src_fb, uint32_t dst_fb)
{
	int ret = kms_pipe_writeback(k, src_fb, dst_fb, WRITEBACK_TIMEOUT_MS);

	igt_assert_f(ret == 0, "writeback: %s\n", igt_errno_name(-ret));
}

void check_writeback(const struct pbuf *src, const struct pbuf *dst,
		     size_t bytes)
{
	const uint32_t *s = (const uint32_t *)src->ptr;
	const uint32_t *d = (const uint32_t *)dst->ptr;
	size_t i;

	dmabuf_sync(src->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	dmabuf_sync(dst->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < bytes / 4; i++) {
		igt_assert_f(d[i] == (s[i] | 0xff000000u),
			     "pixel %zu: 0x%08x written back, 0x%08x scanned out\n",
			     i, d[i], s[i]);
	}
	dmabuf_sync(dst->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	dmabuf_sync(src->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}
