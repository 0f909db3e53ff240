// SPDX-License-Identifier: MIT
/*
 * ionode_v4l2_test.c - ionode buffers through v4l2-glue's test device
 * (ionode_v4l2_test.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "igt.h"
#include "igt_track.h"
#include "ionode_v4l2_test.h"

static int *test_ion;
static struct ionode_heaps *test_heaps;

/*
 * Before every subtest, on the new fd (ionode_fresh_fd()): tracked, so
 * that release_all() inside a subtest drops its buffers too.
 */
static void fresh_heaps(int f)
{
	track_fd(f);
	ionode_put_heaps(test_heaps);
	ionode_get_heaps(f, test_heaps);
}

void m2m_test_setup(int *ion, struct ionode_heaps *heaps)
{
	test_ion = ion;
	test_heaps = heaps;
	*ion = igt_ionode_open();
	ionode_get_heaps(*ion, heaps);
	ionode_set_fresh_hook(fresh_heaps);
	igt_require_f(find_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M,
				 (char [64]){ 0 }, 64),
		      "ionode_v4l2.ko is not loaded\n");
}

void m2m_test_teardown(void)
{
	release_all();
	ionode_put_heaps(test_heaps);
}

/* A cached ionode buffer from heap @name on @fd, exported and mapped. */
/* A cached ionode buffer from heap @name on @fd, exported and mapped. */
struct fbuf ionode_fbuf_fd(int fd, const char *name, size_t size,
			   uint64_t align)
{
	const struct drm_ionode_heap_info *h = ionode_heap(test_heaps, name);
	struct ionode_mapped m;

	igt_assert_f(h, "no heap %s\n", name);
	m = ionode_mapped_new(fd, h->id, size, align, IONODE_BO_CACHED);
	return (struct fbuf){ .dmabuf = m.dmabuf, .handle = m.handle,
			      .ptr = m.ptr, .len = m.size };
}

struct fbuf ionode_fbuf(const char *name, size_t size, uint64_t align)
{
	return ionode_fbuf_fd(*test_ion, name, size, align);
}

bool heap_ok(const char *name, uint64_t size, unsigned int count)
{
	const struct drm_ionode_heap_info *h = ionode_heap(test_heaps, name);

	return h && ionode_heap_fits(h, size, count);
}

/* carveout=SIZE@BASE,... as carveout0, carveout1...; returns the count. */
int get_carveouts(struct carveout *co, int max)
{
	int n = 0;

	while (n < max && ionode_carveout_range(n, &co[n].base, &co[n].size)) {
		snprintf(co[n].name, sizeof(co[n].name), "carveout%d", n);
		n++;
	}
	return n;
}

struct m2m m2m_open_fmt(const char *card, uint32_t w, uint32_t h,
			uint32_t fourcc)
{
	struct m2m m;

	m.fd = open_video(M2M_DRIVER, card, V4L2_CAP_VIDEO_M2M);
	m.size = set_fmt(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, w, h, fourcc);
	igt_assert_eq(set_fmt(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h, fourcc),
		      m.size);
	return m;
}

struct m2m m2m_open(const char *card)
{
	return m2m_open_fmt(card, M2M_W, M2M_H, V4L2_PIX_FMT_RGB24);
}

/* ---- frame contents ------------------------------------------------------ */

/* CPU access bracket on a buffer that has a dma-buf. */
void cpu_begin(const struct fbuf *b, uint64_t dir)
{
	if (b->dmabuf >= 0)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | dir);
}

void cpu_end(const struct fbuf *b, uint64_t dir)
{
	if (b->dmabuf >= 0)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | dir);
}

void fill_frame(const struct fbuf *b, uint32_t size, uint32_t seed)
{
	cpu_begin(b, DMA_BUF_SYNC_WRITE);
	fill_pattern(b->ptr, size, seed, 0);
	cpu_end(b, DMA_BUF_SYNC_WRITE);
}

/* Every byte of @got is 255 minus the byte of @want. */
void check_inverse(const uint8_t *got, const uint8_t *want, uint32_t size,
		   const char *what)
{
	uint32_t i;

	for (i = 0; i < size; i++) {
		unsigned int g = got[i], w = 255u - want[i];

		igt_assert_f(g == w, "%s: byte %u of %u is %#04x, expected %#04x\n",
			     what, i, size, g, w);
	}
}

void check_frame(const struct fbuf *b, uint32_t size, uint32_t seed)
{
	uint8_t *want = malloc(size);

	igt_assert(want);
	fill_pattern(want, size, seed, 0);
	cpu_begin(b, DMA_BUF_SYNC_READ);
	check_inverse(b->ptr, want, size, "CAPTURE frame");
	cpu_end(b, DMA_BUF_SYNC_READ);
	free(want);
}

/*
 * Queue frame @frame (pattern seed @frame, timestamp @frame + 1 us) in
 * OUTPUT buffer @i and an empty CAPTURE buffer @i, each as DMABUF when it
 * has a dma-buf, else as the device's MMAP buffer.
 */
static void queue_frame(struct m2m *m, struct fbuf *out, struct fbuf *cap,
			unsigned int i, unsigned int frame)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	fill_frame(&out[i], m->size, frame);
	if (out[i].dmabuf >= 0)
		igt_assert_eq(qbuf_dmabuf(m->fd, O, i, out[i].dmabuf, m->size,
					  frame + 1), 0);
	else
		qbuf_mmap(m->fd, O, i, m->size, frame + 1);
	if (cap[i].dmabuf >= 0)
		igt_assert_eq(qbuf_dmabuf(m->fd, C, i, cap[i].dmabuf, 0, 0), 0);
	else
		qbuf_mmap(m->fd, C, i, 0, 0);
}

void run_frames(struct m2m *m, struct fbuf *out, struct fbuf *cap,
		unsigned int n, unsigned int frames)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t omem = out[0].dmabuf >= 0 ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	uint32_t cmem = cap[0].dmabuf >= 0 ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	unsigned int f, next;

	for (next = 0; next < n && next < frames; next++)
		queue_frame(m, out, cap, next, next);
	stream(m->fd, O, true);
	stream(m->fd, C, true);

	for (f = 0; f < frames; f++) {
		struct v4l2_buffer cb = dqbuf(m->fd, C, cmem);
		struct v4l2_buffer ob = dqbuf(m->fd, O, omem);
		unsigned int i = f % n;

		igt_assert_eq(cb.index, i);
		igt_assert_eq(ob.index, i);
		igt_assert_eq(cb.sequence, f);
		igt_assert_eq(ob.sequence, f);
		igt_assert_eq(cb.bytesused, m->size);
		igt_assert_eq(cb.timestamp.tv_sec, (f + 1) / 1000000);
		igt_assert_eq(cb.timestamp.tv_usec, (f + 1) % 1000000);
		check_frame(&cap[i], m->size, f);

		if (next < frames)
			queue_frame(m, out, cap, i, next++);
	}
	stream(m->fd, O, false);
	stream(m->fd, C, false);
}

/* Stream through @card with ionode buffers from @out_heap / @cap_heap. */
void stream_heaps(const char *card, const char *out_heap,
		  const char *cap_heap, unsigned int frames)
{
	struct m2m m = m2m_open(card);
	struct fbuf out[M2M_NBUF], cap[M2M_NBUF];
	unsigned int i;

	igt_info("%s: OUTPUT from %s, CAPTURE from %s\n", card, out_heap,
		 cap_heap);
	for (i = 0; i < M2M_NBUF; i++) {
		out[i] = ionode_fbuf(out_heap, m.size, 0);
		cap[i] = ionode_fbuf(cap_heap, m.size, 0);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, M2M_NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, M2M_NBUF);
	run_frames(&m, out, cap, M2M_NBUF, frames);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, 0);
	/*
	 * REQBUFS 0 unmapped them from the device: the last frame of each
	 * CAPTURE buffer must have survived (a swiotlb bounce buffer copied
	 * back at unmap would have overwritten it).
	 */
	for (i = 0; i < M2M_NBUF && i < frames; i++)
		check_frame(&cap[i], m.size,
			    frames - 1 - (frames - 1 - i) % M2M_NBUF);
	close_fd(m.fd);
}

void mmap_fbufs(struct m2m *m, uint32_t type, struct fbuf *b, unsigned int n)
{
	unsigned int i;

	reqbufs(m->fd, type, V4L2_MEMORY_MMAP, n);
	for (i = 0; i < n; i++) {
		b[i].dmabuf = -1;
		b[i].handle = 0;
		b[i].ptr = mmap_vbuf(m->fd, type, i, &b[i].len);
		igt_assert_lte(m->size, b[i].len);
	}
}

/* /dev/kmsg, positioned at its end (-1 without it). */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* A message from the kernel log since kmsg_open() contains @needle. */
static bool kmsg_find(int fd, const char *needle)
{
	char rec[2048];
	ssize_t n;
	bool found = false;

	if (fd < 0)
		return false;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

/* Turn on ionode_v4l2's dev_dbg() lines; false if not possible. */
static bool dyndbg_on(void)
{
	struct stat st;
	FILE *f;
	bool ok;

	if (stat("/sys/kernel/debug/dynamic_debug", &st) != 0 && geteuid() == 0)
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	f = fopen("/sys/kernel/debug/dynamic_debug/control", "w");
	if (!f)
		return false;
	ok = fputs("module ionode_v4l2 +p\n", f) >= 0;
	return fclose(f) == 0 && ok;
}

/*
 * QBUF (and PREPARE_BUF) of @b on both queues of @card fails with EINVAL;
 * with dynamic debug, the log names @reason.
 */
void expect_rejected(const char *card, const struct fbuf *b,
		     const char *reason)
{
	const uint32_t types[] = {
		V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE,
	};
	struct m2m m = m2m_open(card);
	bool dbg = dyndbg_on();
	int kmsg = kmsg_open();
	unsigned int t;

	for (t = 0; t < 2; t++) {
		struct v4l2_buffer pb = v4l2_buf(types[t], V4L2_MEMORY_DMABUF, 0);

		reqbufs(m.fd, types[t], V4L2_MEMORY_DMABUF, 1);
		igt_assert_eq(qbuf_dmabuf(m.fd, types[t], 0, b->dmabuf, m.size, 1),
			      EINVAL);
		pb.m.fd = b->dmabuf;
		do_ioctl_err(m.fd, VIDIOC_PREPARE_BUF, &pb, EINVAL);
		/* Still usable: nothing half-attached stays behind. */
		reqbufs(m.fd, types[t], V4L2_MEMORY_DMABUF, 0);
	}
	if (dbg && kmsg >= 0)
		igt_assert_f(kmsg_find(kmsg, reason),
			     "no \"%s\" in the kernel log\n", reason);
	else
		igt_info("dynamic debug unavailable: reason not checked\n");
	if (kmsg >= 0)
		close(kmsg);
	close_fd(m.fd);
}