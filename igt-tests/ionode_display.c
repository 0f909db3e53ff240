// SPDX-License-Identifier: MIT
/*
 * ionode_display - ionode buffers scanned out by a KMS display (vkms).
 *
 * vkms imports an ionode dma-buf as a framebuffer (drm_gem_shmem: attach,
 * map, vmap) and its CPU composer reads it at every frame, so what it
 * shows is observable: the CRTC's CRC (debugfs crc/data, one CRC per
 * composed frame) and the writeback connector's copy of the frame. The
 * reference is vkms' own memory: a dumb buffer holding the same pixels must
 * give the same CRC, and one pixel changed must give another (the CRC is
 * over the composed frame, which ignores the X byte of XRGB8888).
 *
 *  - scanout-wc, scanout-cached: a buffer of each heap, write-combined and
 *    cached, with a per-pixel pattern: CRC equal to the dumb reference,
 *    different after one pixel changed in place (vkms reads the buffer,
 *    not a copy) and equal again once it is put back; the writeback frame
 *    equals the pixels; used bytes back to where they were.
 *  - flip-sequence: three buffers flipped with nonblocking commits and
 *    flip events; every event names the buffer flipped to, sequences
 *    increase, and the frames after it have that buffer's reference CRC.
 *    A flip requested while one is pending either fails with EBUSY (and
 *    sends no event) or, when the first one completed meanwhile, is
 *    accepted and sends its own event.
 *  - bad-fb: framebuffers the display cannot take fail with DRM's errno
 *    (pitch too small, buffer too small for height * pitch, offset past
 *    the end, larger than the buffer, wider than vkms allows, an offset
 *    overflowing 32 bits, an unknown format; a valid framebuffer smaller
 *    than the mode, one not covering the CRTC, a format the primary plane
 *    lacks) and change nothing: no framebuffer left, the frame on screen
 *    unchanged, the buffers freed; then a framebuffer with a padded pitch
 *    shows the right frame. (Only refused framebuffers have an offset:
 *    6.1's vkms applies a framebuffer's offset twice when it reads it.)
 *  - dmabuf-lifetime: the dma-buf, mapping and handle closed while the
 *    framebuffer is on screen: the frame stays right and the memory stays
 *    used until the framebuffer is removed; removing the one on screen
 *    takes it off the plane (the frame goes black) and frees the memory;
 *    the pipe works afterwards.
 *
 * Needs vkms (built in on the full tier; `make vkms` builds one for the
 * stock kernel, which make check loads) and debugfs for the CRCs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "igt_track.h"
#include "ionode_peer_test.h"

/* How long a nonblocking flip may take to complete (TCG, debug kernel). */
#define FLIP_TIMEOUT_MS		10000
/* Flips of flip-sequence, over FLIP_BUFS buffers. */
#define FLIPS			9
#define FLIP_BUFS		3
/* vkms' largest framebuffer width (XRES_MAX). */
#define VKMS_MAX_WIDTH		8192

static int ion = -1;
static struct ionode_heaps heaps;

/*
 * Before every subtest, on the new fd (ionode_fresh_fd()): tracked, so
 * that release_all() inside a subtest drops its buffers too.
 */
static void fresh_heaps(int f)
{
	track_fd(f);
	ionode_put_heaps(&heaps);
	ionode_get_heaps(f, &heaps);
}

#define subtest_f(...) ionode_subtest_f(&ion, __VA_ARGS__)

static uint64_t total_used(void)
{
	return ionode_total_used(ion);
}

/* ---- pixels -------------------------------------------------------------- */

/* Where a framebuffer's pixels are in its buffer. */
struct layout {
	uint32_t width, height, pitch, offset;
};

static struct layout mode_layout(const struct kms_pipe *k)
{
	return (struct layout){
		.width = k->mode.hdisplay,
		.height = k->mode.vdisplay,
		.pitch = k->mode.hdisplay * 4u,
	};
}

/* Pixel (@x, @y) of pattern @seed: every one differs, X byte included. */
static uint32_t pixel(uint32_t seed, uint32_t x, uint32_t y)
{
	uint32_t v = seed ^ (x * 0x9e3779b1u) ^ (y * 0x85ebca77u);

	v ^= v >> 15;
	v *= 0x2c1b3c6du;
	v ^= v >> 12;
	return v;
}

/* Pattern @seed into @base laid out as @l, each pixel ORed with @or. */
static void fill_pixels(uint8_t *base, const struct layout *l, uint32_t seed,
			uint32_t or)
{
	uint32_t x, y;

	for (y = 0; y < l->height; y++) {
		uint32_t *line = (uint32_t *)(base + l->offset +
					      (size_t)y * l->pitch);

		for (x = 0; x < l->width; x++)
			line[x] = pixel(seed, x, y) | or;
	}
}

/* Pattern @seed into ionode buffer @b, X bytes as the pattern has them. */
static void fill_buf(const struct pbuf *b, const struct layout *l,
		     uint32_t seed)
{
	igt_assert(l->offset + (uint64_t)(l->height - 1) * l->pitch +
		   l->width * 4ull <= b->size);
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pixels(b->ptr, l, seed, 0);
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* Pattern @seed into the dumb reference, X bytes 0xff. */
static void fill_dumb(const struct kms_pipe *k, const struct kms_dumb *d,
		      uint32_t seed)
{
	struct layout l = mode_layout(k);

	l.pitch = d->pitch;
	fill_pixels(d->map, &l, seed, 0xff000000u);
}

/* Pixel (@x, @y) of @b (mode layout) XORed with @mask, in a sync bracket. */
static void flip_pixel(const struct kms_pipe *k, const struct pbuf *b,
		       uint32_t x, uint32_t y, uint32_t mask)
{
	uint32_t *p = (uint32_t *)(b->ptr + (size_t)y * k->mode.hdisplay * 4 +
				   x * 4);

	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	*p ^= mask;
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

/* ---- the display --------------------------------------------------------- */

/* Mode-sized framebuffers of @b's heap: skip unless it serves @count. */
static const struct drm_ionode_heap_info *require_mode_heap(const struct kms_pipe *k,
							    const char *heap,
							    unsigned int count)
{
	return peer_require_heap(&heaps, heap,
				 (uint64_t)k->mode.hdisplay *
				 k->mode.vdisplay * 4, count);
}

/*
 * vkms' dumb buffer; its mapping is tracked (it holds the device file
 * open, and the pipe's DRM master with it, after a failed subtest).
 */
static void dumb_new(struct kms_pipe *k, struct kms_dumb *d)
{
	int ret = kms_pipe_dumb(k, d);

	igt_assert_f(ret == 0, "vkms dumb buffer: %s\n", igt_errno_name(-ret));
	track_map(d->map, d->size);
}

static void dumb_free(struct kms_pipe *k, struct kms_dumb *d)
{
	unmap(d->map);
	d->map = NULL;
	kms_pipe_dumb_free(k, d);
}

/* Start capturing CRCs (the crc/data fd is tracked: -EBUSY if leaked). */
static void crc_start(struct kms_pipe *k)
{
	int ret = kms_pipe_crc_start(k);

	igt_require_f(ret != -ENOENT, "no CRC files in debugfs (not mounted?)\n");
	igt_assert_f(ret == 0, "starting CRC capture: %s\n",
		     igt_errno_name(-ret));
	track_fd(k->crc_fd);
}

static void crc_stop(struct kms_pipe *k)
{
	untrack_fd(k->crc_fd);
	kms_pipe_crc_stop(k);
}

/* The CRC of the first frame composed entirely after @after. */
static uint32_t crc_after(struct kms_pipe *k, uint32_t after)
{
	uint32_t frame, crc;
	int ret = kms_pipe_crc_get(k, after + 1, &frame, &crc);

	igt_assert_f(ret == 0, "reading a CRC: %s\n", igt_errno_name(-ret));
	igt_debug("frame %u: crc 0x%08x\n", frame, crc);
	return crc;
}

/*
 * The CRC of a frame composed after everything done so far: vkms composes
 * a frame from a worker queued at its vblank, so a frame after the current
 * one saw every write and commit that came before.
 */
static uint32_t crc_now(struct kms_pipe *k)
{
	uint32_t seq;
	int ret = kms_pipe_vblank(k, &seq);

	igt_assert_f(ret == 0, "vblank counter: %s\n", igt_errno_name(-ret));
	return crc_after(k, seq);
}

/* Show @fb with a blocking commit (asserts). */
static void show(struct kms_pipe *k, uint32_t fb)
{
	int ret = kms_pipe_show(k, fb, 0, NULL);

	igt_assert_f(ret == 0, "showing framebuffer %u: %s\n", fb,
		     igt_errno_name(-ret));
}

/* The CRC of pattern @seed shown from the dumb reference (CRCs running). */
static uint32_t ref_crc(struct kms_pipe *k, struct kms_dumb *d, uint32_t seed)
{
	fill_dumb(k, d, seed);
	show(k, d->fb);
	return crc_now(k);
}

/* Number of framebuffers the pipe's file owns. */
static int fb_count(const struct kms_pipe *k)
{
	drmModeResPtr r = drmModeGetResources(k->fd);
	int n;

	igt_assert_f(r, "GETRESOURCES: %s\n", igt_errno_name(errno));
	n = r->count_fbs;
	drmModeFreeResources(r);
	return n;
}

/* ---- scanout-wc, scanout-cached ------------------------------------------ */

static void test_scanout(const char *heap, uint32_t flags)
{
	const uint32_t seed = 0x5ca9;
	const struct drm_ionode_heap_info *h;
	struct drm_ionode_bo_info info;
	uint32_t fb, dst_fb, ref, crc, x, y;
	struct kms_dumb dumb;
	struct pbuf src, dst;
	struct kms_pipe k;
	struct layout l;
	uint64_t baseline;

	vkms_open(&k);
	igt_require_f(k.wb, "vkms without writeback (enable_writeback=0?)\n");
	l = mode_layout(&k);
	h = require_mode_heap(&k, heap, 2);
	dumb_new(&k, &dumb);
	baseline = total_used();

	src = pbuf_new_flags(ion, h, (size_t)l.pitch * l.height, flags);
	info = ionode_bo_info_get(ion, src.handle);
	igt_assert_eq(info.flags & IONODE_BO_CACHED, flags);
	igt_assert_eq_u64(total_used(), baseline + src.size);
	fill_buf(&src, &l, seed);
	fb = vkms_fb(&k, &src);

	show(&k, dumb.fb);
	crc_start(&k);
	ref = ref_crc(&k, &dumb, seed);

	show(&k, fb);
	crc = crc_now(&k);
	igt_assert_f(crc == ref,
		     "%s buffer on screen: crc 0x%08x, the same pixels in vkms' memory 0x%08x\n",
		     heap, crc, ref);

	/* One pixel, in place: vkms reads the buffer at every frame. */
	x = l.width / 3;
	y = l.height / 2;
	flip_pixel(&k, &src, x, y, 0x00000100u);
	crc = crc_now(&k);
	igt_assert_f(crc != ref,
		     "pixel (%u, %u) changed, the crc did not (0x%08x)\n", x, y,
		     crc);
	flip_pixel(&k, &src, x, y, 0x00000100u);
	crc = crc_now(&k);
	igt_assert_f(crc == ref,
		     "pixel (%u, %u) put back: crc 0x%08x, 0x%08x before\n", x,
		     y, crc, ref);
	crc_stop(&k);

	/* The frame written back is the buffer's pixels. */
	dst = pbuf_new_flags(ion, h, src.size, flags);
	dst_fb = vkms_fb(&k, &dst);
	vkms_writeback(&k, fb, dst_fb);
	check_writeback(&src, &dst, src.size);

	igt_assert_eq(kms_pipe_off(&k), 0);
	igt_assert_eq(kms_pipe_rm_fb(&k, fb), 0);
	igt_assert_eq(kms_pipe_rm_fb(&k, dst_fb), 0);
	dumb_free(&k, &dumb);
	pbuf_free(ion, &src);
	pbuf_free(ion, &dst);
	assert_used_back(ion, baseline);
	untrack_fd(k.fd);
	kms_pipe_close(&k);
}

static void test_scanout_wc(const char *heap)
{
	test_scanout(heap, 0);
}

static void test_scanout_cached(const char *heap)
{
	test_scanout(heap, IONODE_BO_CACHED);
}

/* ---- flip-sequence ------------------------------------------------------- */

/* Wait for the next flip event; asserts it names buffer @want. */
static uint32_t wait_flip(struct kms_pipe *k, uintptr_t want, uint32_t after)
{
	uint32_t seq;
	void *user;
	int ret = kms_pipe_wait_flip(k, FLIP_TIMEOUT_MS, &seq, &user);

	igt_assert_f(ret == 0, "flip event: %s\n", igt_errno_name(-ret));
	igt_assert_f((uintptr_t)user == want,
		     "flip event for buffer %zu, expected %zu\n",
		     (size_t)(uintptr_t)user - 1, (size_t)want - 1);
	igt_assert_f((int32_t)(seq - after) > 0,
		     "flip event at sequence %u, the previous one at %u\n",
		     seq, after);
	return seq;
}

/* Nothing more on the pipe's fd: no event nobody asked for. */
static void assert_no_event(struct kms_pipe *k)
{
	int ret = kms_pipe_wait_flip(k, 100, NULL, NULL);

	igt_assert_f(ret == -ETIMEDOUT, "unexpected flip event (%s)\n",
		     igt_errno_name(-ret));
}

static void test_flip_sequence(void)
{
	const struct drm_ionode_heap_info *h;
	uint32_t fbs[FLIP_BUFS], refs[FLIP_BUFS], seq = 0, crc;
	unsigned int i, j, n, busy = 0, raced = 0;
	struct pbuf bufs[FLIP_BUFS];
	struct kms_dumb dumb;
	struct kms_pipe k;
	struct layout l;
	uint64_t baseline;
	int ret;

	vkms_open(&k);
	l = mode_layout(&k);
	h = require_mode_heap(&k, "system", FLIP_BUFS);
	dumb_new(&k, &dumb);
	baseline = total_used();

	/* Alternately write-combined and cached. */
	for (i = 0; i < FLIP_BUFS; i++) {
		bufs[i] = pbuf_new_flags(ion, h, (size_t)l.pitch * l.height,
					 i % 2 ? IONODE_BO_CACHED : 0);
		fill_buf(&bufs[i], &l, 0xf11b + i);
		fbs[i] = vkms_fb(&k, &bufs[i]);
	}

	show(&k, dumb.fb);
	crc_start(&k);
	for (i = 0; i < FLIP_BUFS; i++) {
		refs[i] = ref_crc(&k, &dumb, 0xf11b + i);
		for (j = 0; j < i; j++)
			igt_assert_f(refs[i] != refs[j],
				     "patterns %u and %u give one crc 0x%08x\n",
				     i, j, refs[i]);
	}

	for (n = 0; n < FLIPS; n++) {
		unsigned int cur = n % FLIP_BUFS, next = (n + 1) % FLIP_BUFS;

		/* User data: the buffer's index + 1 (0 would be NULL). */
		ret = kms_pipe_show(&k, fbs[cur], KMS_PIPE_NONBLOCK,
				    (void *)(uintptr_t)(cur + 1));
		igt_assert_f(ret == 0, "flip %u to buffer %u: %s\n", n, cur,
			     igt_errno_name(-ret));
		/* Every other flip: another one while it is pending. */
		ret = -EAGAIN;
		if (n % 2)
			ret = kms_pipe_show(&k, fbs[next], KMS_PIPE_NONBLOCK,
					    (void *)(uintptr_t)(next + 1));
		igt_assert_f(ret == -EAGAIN || ret == -EBUSY || ret == 0,
			     "flip while one is pending: %s\n",
			     igt_errno_name(-ret));
		seq = wait_flip(&k, cur + 1, seq);
		if (ret == -EBUSY) {
			busy++;
		} else if (ret == 0) {
			/* The first one had completed: both have events. */
			raced++;
			seq = wait_flip(&k, next + 1, seq);
			cur = next;
		}
		crc = crc_after(&k, seq);
		igt_assert_f(crc == refs[cur],
			     "flip %u to buffer %u (event at %u): crc 0x%08x, its reference 0x%08x\n",
			     n, cur, seq, crc, refs[cur]);
	}
	assert_no_event(&k);
	igt_info("%u flips; a second flip while one was pending: %u EBUSY, %u after it completed\n",
		 FLIPS, busy, raced);
	crc_stop(&k);

	igt_assert_eq(kms_pipe_off(&k), 0);
	dumb_free(&k, &dumb);
	for (i = 0; i < FLIP_BUFS; i++) {
		igt_assert_eq(kms_pipe_rm_fb(&k, fbs[i]), 0);
		pbuf_free(ion, &bufs[i]);
	}
	assert_used_back(ion, baseline);
	untrack_fd(k.fd);
	kms_pipe_close(&k);
}

/* ---- bad-fb -------------------------------------------------------------- */

/* ADDFB2 of @dmabuf as @l in @format must fail with @err and add nothing. */
static void add_fb_fails(struct kms_pipe *k, int dmabuf, const struct layout *l,
			 uint32_t format, int err, const char *what)
{
	int before = fb_count(k), ret;
	uint32_t fb = 0;

	ret = kms_pipe_add_fb(k, dmabuf, l->width, l->height, format, l->pitch,
			      l->offset, &fb);
	igt_assert_f(ret == -err,
		     "%s (%ux%u pitch %u offset %u): %s, expected %s\n", what,
		     l->width, l->height, l->pitch, l->offset,
		     ret ? igt_errno_name(-ret) : "added", igt_errno_name(err));
	igt_assert_eq(fb_count(k), before);
}

/* Showing @fb must fail with @err and leave the frame as it was (@ref). */
static void show_fails(struct kms_pipe *k, uint32_t fb, int err, uint32_t ref,
		       const char *what)
{
	int ret = kms_pipe_show(k, fb, 0, NULL);
	uint32_t crc;

	igt_assert_f(ret == -err, "showing %s: %s, expected %s\n", what,
		     ret ? igt_errno_name(-ret) : "shown",
		     igt_errno_name(err));
	crc = crc_now(k);
	igt_assert_f(crc == ref,
		     "after the refused %s: crc 0x%08x, 0x%08x before\n", what,
		     crc, ref);
}

static void test_bad_fb(void)
{
	const uint32_t seed = 0xbadf, good_seed = 0x600d;
	const size_t page = ionode_page_size();
	const struct drm_ionode_heap_info *h;
	struct pbuf full, small, good;
	struct layout ml, l;
	uint32_t half_fb, argb_fb, good_fb, ref, crc;
	struct kms_dumb dumb;
	struct kms_pipe k;
	uint64_t baseline;
	size_t bytes;
	int fbs, ret;

	vkms_open(&k);
	ml = mode_layout(&k);
	bytes = (size_t)ml.pitch * ml.height;
	h = require_mode_heap(&k, "system", 3);
	dumb_new(&k, &dumb);
	fbs = fb_count(&k);
	baseline = total_used();

	full = pbuf_new(ion, h, bytes);
	small = pbuf_new(ion, h, bytes - page);
	igt_assert_eq_u64(full.size, ionode_round_page(bytes));

	/* ADDFB2: DRM core checks against the buffer vkms imported. */
	l = ml;
	l.pitch = ml.pitch - 4;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "pitch one pixel short of the width");
	l.pitch = 0;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "pitch 0");
	add_fb_fails(&k, small.dmabuf, &ml, DRM_FORMAT_XRGB8888, EINVAL,
		     "buffer one page short of height * pitch");
	l = ml;
	l.offset = page;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "offset pushing the last line past the buffer");
	l = ml;
	l.width = ml.width + 1;
	l.pitch = l.width * 4;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "wider than the buffer");
	l = ml;
	l.height = ml.height + 1;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "taller than the buffer");
	l = (struct layout){ .width = VKMS_MAX_WIDTH + 1, .height = 1,
			     .pitch = (VKMS_MAX_WIDTH + 1) * 4 };
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, EINVAL,
		     "wider than vkms' maximum");
	l = ml;
	l.offset = UINT32_MAX - (uint32_t)bytes + 1;
	add_fb_fails(&k, full.dmabuf, &l, DRM_FORMAT_XRGB8888, ERANGE,
		     "offset + height * pitch beyond 32 bits");
	add_fb_fails(&k, full.dmabuf, &ml, fourcc_code('I', 'O', 'N', '?'),
		     EINVAL, "unknown format");

	/* Valid framebuffers the primary plane cannot show. */
	show(&k, dumb.fb);
	crc_start(&k);
	ref = ref_crc(&k, &dumb, seed);
	fill_buf(&full, &ml, seed);

	l = ml;
	l.width /= 2;
	l.height /= 2;
	igt_assert_eq(kms_pipe_add_fb(&k, full.dmabuf, l.width, l.height,
				      DRM_FORMAT_XRGB8888, l.pitch, 0,
				      &half_fb), 0);
	/* Its source rectangle would have to be the mode's, outside it. */
	show_fails(&k, half_fb, ENOSPC, ref, "a framebuffer half the mode's size");
	/* Shown at its size, it would not cover the CRTC. */
	ret = drmModeSetPlane(k.fd, k.plane, k.crtc, half_fb, 0, 0, 0,
			      l.width, l.height, 0, 0, l.width << 16,
			      l.height << 16) ? -errno : 0;
	igt_assert_f(ret == -EINVAL,
		     "half-size primary plane: %s, expected EINVAL\n",
		     ret ? igt_errno_name(-ret) : "shown");
	crc = crc_now(&k);
	igt_assert_f(crc == ref, "after the refused plane: crc 0x%08x, 0x%08x before\n",
		     crc, ref);
	/*
	 * One framebuffer of the buffer at a time: kms_pipe_add_fb() drops
	 * its GEM handle, so a second import while the first framebuffer
	 * lives is a second attachment mapping the same pages for vkms,
	 * which DMA-API debug reports as overlapping mappings.
	 */
	igt_assert_eq(kms_pipe_rm_fb(&k, half_fb), 0);
	/* vkms' primary plane has no alpha formats. */
	igt_assert_eq(kms_pipe_add_fb(&k, full.dmabuf, ml.width, ml.height,
				      DRM_FORMAT_ARGB8888, ml.pitch, 0,
				      &argb_fb), 0);
	show_fails(&k, argb_fb, EINVAL, ref, "an ARGB8888 framebuffer");
	igt_assert_eq(kms_pipe_rm_fb(&k, argb_fb), 0);
	igt_assert_eq(fb_count(&k), fbs);

	/* Nothing of the refused ones holds ionode memory. */
	pbuf_free(ion, &full);
	pbuf_free(ion, &small);
	assert_used_back(ion, baseline);

	/*
	 * The pipe still works: a padded pitch, done right. Not an offset:
	 * 6.1's vkms adds fb->offsets[0] to drm_gem_fb_vmap()'s data
	 * address, which already includes it, and reads past the buffer.
	 */
	l = ml;
	l.pitch = ml.pitch + 256;
	good = pbuf_new(ion, h, (size_t)l.pitch * l.height);
	fill_buf(&good, &l, good_seed);
	igt_assert_eq(kms_pipe_add_fb(&k, good.dmabuf, l.width, l.height,
				      DRM_FORMAT_XRGB8888, l.pitch, l.offset,
				      &good_fb), 0);
	ref = ref_crc(&k, &dumb, good_seed);
	show(&k, good_fb);
	crc = crc_now(&k);
	igt_assert_f(crc == ref,
		     "pitch %u: crc 0x%08x, the same pixels in vkms' memory 0x%08x\n",
		     l.pitch, crc, ref);
	crc_stop(&k);

	igt_assert_eq(kms_pipe_off(&k), 0);
	igt_assert_eq(kms_pipe_rm_fb(&k, good_fb), 0);
	pbuf_free(ion, &good);
	dumb_free(&k, &dumb);
	assert_used_back(ion, baseline);
	untrack_fd(k.fd);
	kms_pipe_close(&k);
}

/* ---- dmabuf-lifetime ----------------------------------------------------- */

static void test_dmabuf_lifetime(const char *heap)
{
	const uint32_t seed_a = 0x11fe, seed_b = 0x7173;
	const struct drm_ionode_heap_info *h;
	uint32_t fb_a, fb_b, ref_a, ref_b, ref_black, crc;
	uint64_t baseline, held;
	struct kms_dumb dumb;
	struct pbuf a, b;
	struct kms_pipe k;
	struct layout l;
	drmModePlanePtr pl;

	vkms_open(&k);
	l = mode_layout(&k);
	h = require_mode_heap(&k, heap, 2);
	dumb_new(&k, &dumb);
	baseline = total_used();

	a = pbuf_new_flags(ion, h, (size_t)l.pitch * l.height, 0);
	b = pbuf_new(ion, h, (size_t)l.pitch * l.height);
	held = a.size + b.size;
	fill_buf(&a, &l, seed_a);
	fill_buf(&b, &l, seed_b);
	fb_a = vkms_fb(&k, &a);
	fb_b = vkms_fb(&k, &b);

	show(&k, dumb.fb);
	crc_start(&k);
	/* vkms composes a plane-less CRTC on opaque black. */
	memset(dumb.map, 0, dumb.size);
	ref_black = crc_now(&k);
	ref_b = ref_crc(&k, &dumb, seed_b);
	ref_a = ref_crc(&k, &dumb, seed_a);
	show(&k, fb_a);

	/* ionode's side let go: the framebuffers hold both buffers. */
	pbuf_free(ion, &a);
	pbuf_free(ion, &b);
	igt_assert_eq_u64(total_used(), baseline + held);
	crc = crc_now(&k);
	igt_assert_f(crc == ref_a,
		     "buffer A closed on ionode's side: crc 0x%08x, its reference 0x%08x\n",
		     crc, ref_a);

	/* A off screen: still held by its framebuffer. */
	show(&k, fb_b);
	crc = crc_now(&k);
	igt_assert_f(crc == ref_b, "buffer B: crc 0x%08x, its reference 0x%08x\n",
		     crc, ref_b);
	igt_assert_eq_u64(total_used(), baseline + held);
	igt_assert_eq(kms_pipe_rm_fb(&k, fb_a), 0);
	assert_used_back(ion, baseline + held / 2);
	crc = crc_now(&k);
	igt_assert_f(crc == ref_b,
		     "buffer A's framebuffer removed: crc 0x%08x, B's reference 0x%08x\n",
		     crc, ref_b);

	/* Removing the framebuffer on screen takes it off the plane. */
	igt_assert_eq(kms_pipe_rm_fb(&k, fb_b), 0);
	assert_used_back(ion, baseline);
	pl = drmModeGetPlane(k.fd, k.plane);
	igt_assert(pl);
	igt_assert_eq(pl->fb_id, 0);
	drmModeFreePlane(pl);
	crc = crc_now(&k);
	igt_assert_f(crc == ref_black,
		     "the framebuffer on screen removed: crc 0x%08x, black 0x%08x\n",
		     crc, ref_black);

	/* And the pipe works on. */
	show(&k, dumb.fb);
	crc = crc_now(&k);
	igt_assert_f(crc == ref_a,
		     "vkms' buffer shown again: crc 0x%08x, 0x%08x before\n",
		     crc, ref_a);
	crc_stop(&k);
	igt_assert_eq(kms_pipe_off(&k), 0);
	dumb_free(&k, &dumb);
	untrack_fd(k.fd);
	kms_pipe_close(&k);
}

igt_main
{
	igt_fixture
		ionode_set_fresh_hook(fresh_heaps);
	peer_heap_subtests(&ion, "scanout-wc", test_scanout_wc);
	peer_heap_subtests(&ion, "scanout-cached", test_scanout_cached);
	subtest_f("flip-sequence")
		test_flip_sequence();
	subtest_f("bad-fb")
		test_bad_fb();
	peer_heap_subtests(&ion, "dmabuf-lifetime", test_dmabuf_lifetime);

	igt_fixture {
		release_all();
		ionode_put_heaps(&heaps);
	}
}
