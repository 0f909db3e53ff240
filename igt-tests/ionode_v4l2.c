// SPDX-License-Identifier: MIT
/*
 * ionode_v4l2 - ionode buffers in V4L2: the vb2 glue and its test device.
 *
 * Needs v4l2-glue/ionode_v4l2.ko with its default instances (as
 * tools/vm/vm-run loads it): "ionode-m2m" (no constraints),
 * "ionode-m2m-contig" (contiguous only), "ionode-m2m-dma32" (32-bit DMA
 * mask) and "ionode-m2m-align1m" (1 MiB aligned buffers). Each is a
 * mem2mem video node whose CAPTURE frame is the byte-wise inverse
 * (255 - x) of its OUTPUT frame. vivid and vgem are used when present.
 *
 * What is checked: frames streamed through the device with buffers from
 * every ionode heap (V4L2_MEMORY_DMABUF), from the device itself (MMAP,
 * allocated from ionode) and from other exporters (vgem, vivid) come out
 * byte-exact; QBUF refuses with EINVAL a buffer that breaks a declared
 * constraint (scattered for a contiguous-only device, out of reach of a
 * 32-bit mask, misaligned) and accepts the ones that meet it; EXPBUF'd
 * device buffers are ionode buffers that ionode accounts to the client of
 * the process that opened the video node (not to its "kernel" client); vivid captures into ionode buffers the same bytes as into its
 * own; whatever order the fds, handles and mappings go away in, every
 * byte goes back to the heaps; and v4l2-compliance -s passes without a
 * warning on the device, streaming MMAP and (vivid exporting) DMABUF.
 *
 * A carveout above 4 GiB (for dma32-rejects-unreachable) needs a guest
 * with RAM there, e.g. VM_MEM=6G tools/vm/vm-run
 * -a 'memmap=64M$0x140000000' -p carveout=64M@0x40000000,64M@0x140000000.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "igt_track.h"
#include "igt_v4l2.h"
#include "ionode_test.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MiB		(1024ull * 1024)
#define GiB		(1024 * MiB)

/* Frame geometry used by most subtests: not a power of two on purpose. */
#define WIDTH		352
#define HEIGHT		288
#define NBUF		3
#define FRAMES		8

#define DEV_PLAIN	"ionode-m2m"
#define DEV_CONTIG	"ionode-m2m-contig"
#define DEV_DMA32	"ionode-m2m-dma32"
#define DEV_ALIGN	"ionode-m2m-align1m"
#define ALIGN_BYTES	MiB

/* ---- state, released at the start of every subtest --------------------- */

static int ion = -1;		/* this subtest's ionode render node */
static struct ionode_heaps heaps;
static size_t page;

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

#define subtest(name) ionode_subtest(&ion, name)

/* ---- ionode -------------------------------------------------------------- */

/* Sum of used_bytes over every heap. */
static uint64_t total_used(void)
{
	return ionode_total_used(ion);
}

/**
 * struct fbuf - a frame buffer as the test sees it
 * @dmabuf: dma-buf fd, -1 for a device MMAP buffer without one.
 * @handle: ionode handle, 0 if none.
 * @ptr: CPU mapping.
 * @len: bytes mapped (the buffer size).
 */
struct fbuf {
	int dmabuf;
	uint32_t handle;
	uint8_t *ptr;
	size_t len;
};

/* A cached ionode buffer from heap @name on @fd, exported and mapped. */
static struct fbuf ionode_fbuf_fd(int fd, const char *name, size_t size,
				  uint64_t align)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);
	struct ionode_mapped m;

	igt_assert_f(h, "no heap %s\n", name);
	m = ionode_mapped_new(fd, h->id, size, align, IONODE_BO_CACHED);
	return (struct fbuf){ .dmabuf = m.dmabuf, .handle = m.handle,
			      .ptr = m.ptr, .len = m.size };
}

static struct fbuf ionode_fbuf(const char *name, size_t size, uint64_t align)
{
	return ionode_fbuf_fd(ion, name, size, align);
}

static bool heap_ok(const char *name, uint64_t size, unsigned int count)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	return h && ionode_heap_fits(h, size, count);
}

/* ---- carveouts, from ionode's module parameter ------------------------- */

struct carveout {
	char name[IONODE_HEAP_NAME_LEN];
	uint64_t base, size;
};

/* carveout=SIZE@BASE,... as carveout0, carveout1...; returns the count. */
static int get_carveouts(struct carveout *co, int max)
{
	int n = 0;

	while (n < max && ionode_carveout_range(n, &co[n].base, &co[n].size)) {
		snprintf(co[n].name, sizeof(co[n].name), "carveout%d", n);
		n++;
	}
	return n;
}

/* ---- V4L2 ---------------------------------------------------------------- */

/**
 * struct m2m - an open context of a test device instance
 * @fd: the video node, non-blocking.
 * @size: frame size in bytes (both queues).
 */
struct m2m {
	int fd;
	uint32_t size;
};

static struct m2m m2m_open_fmt(const char *card, uint32_t w, uint32_t h,
			       uint32_t fourcc)
{
	struct m2m m;

	m.fd = open_video("ionode_v4l2", card, V4L2_CAP_VIDEO_M2M);
	m.size = set_fmt(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, w, h, fourcc);
	igt_assert_eq(set_fmt(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h, fourcc),
		      m.size);
	return m;
}

static struct m2m m2m_open(const char *card)
{
	return m2m_open_fmt(card, WIDTH, HEIGHT, V4L2_PIX_FMT_RGB24);
}

/* ---- frame contents ------------------------------------------------------ */

/* CPU access bracket on a buffer that has a dma-buf. */
static void cpu_begin(const struct fbuf *b, uint64_t dir)
{
	if (b->dmabuf >= 0)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | dir);
}

static void cpu_end(const struct fbuf *b, uint64_t dir)
{
	if (b->dmabuf >= 0)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | dir);
}

static void fill_frame(const struct fbuf *b, uint32_t size, uint32_t seed)
{
	cpu_begin(b, DMA_BUF_SYNC_WRITE);
	fill_pattern(b->ptr, size, seed, 0);
	cpu_end(b, DMA_BUF_SYNC_WRITE);
}

/* Every byte of @got is 255 minus the byte of @want. */
static void check_inverse(const uint8_t *got, const uint8_t *want,
			  uint32_t size, const char *what)
{
	uint32_t i;

	for (i = 0; i < size; i++) {
		unsigned int g = got[i], w = 255u - want[i];

		igt_assert_f(g == w, "%s: byte %u of %u is %#04x, expected %#04x\n",
			     what, i, size, g, w);
	}
}

static void check_frame(const struct fbuf *b, uint32_t size, uint32_t seed)
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
 * Stream @frames frames through @m: OUTPUT buffers @out and CAPTURE buffers
 * @cap (DMABUF when they have a dma-buf fd, else the device's MMAP buffers,
 * already requested), @n of each. Frame f goes through buffer f % n with
 * pattern seed f; every CAPTURE byte, sequence number, timestamp and
 * payload is checked. Leaves both queues streamed off with their buffers.
 */
static void run_frames(struct m2m *m, struct fbuf *out, struct fbuf *cap,
		       unsigned int n, unsigned int frames)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t omem = out[0].dmabuf >= 0 ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	uint32_t cmem = cap[0].dmabuf >= 0 ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	unsigned int f, next;

	for (next = 0; next < n && next < frames; next++) {
		fill_frame(&out[next], m->size, next);
		if (omem == V4L2_MEMORY_DMABUF)
			igt_assert_eq(qbuf_dmabuf(m->fd, O, next, out[next].dmabuf,
						  m->size, next + 1), 0);
		else
			qbuf_mmap(m->fd, O, next, m->size, next + 1);
		if (cmem == V4L2_MEMORY_DMABUF)
			igt_assert_eq(qbuf_dmabuf(m->fd, C, next, cap[next].dmabuf,
						  0, 0), 0);
		else
			qbuf_mmap(m->fd, C, next, 0, 0);
	}
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

		if (next < frames) {
			fill_frame(&out[i], m->size, next);
			if (omem == V4L2_MEMORY_DMABUF)
				igt_assert_eq(qbuf_dmabuf(m->fd, O, i, out[i].dmabuf,
							  m->size, next + 1), 0);
			else
				qbuf_mmap(m->fd, O, i, m->size, next + 1);
			if (cmem == V4L2_MEMORY_DMABUF)
				igt_assert_eq(qbuf_dmabuf(m->fd, C, i,
							  cap[i].dmabuf, 0, 0), 0);
			else
				qbuf_mmap(m->fd, C, i, 0, 0);
			next++;
		}
	}
	stream(m->fd, O, false);
	stream(m->fd, C, false);
}

/* Stream through @card with ionode buffers from @out_heap / @cap_heap. */
static void stream_heaps(const char *card, const char *out_heap,
			 const char *cap_heap, unsigned int frames)
{
	struct m2m m = m2m_open(card);
	struct fbuf out[NBUF], cap[NBUF];
	unsigned int i;

	igt_info("%s: OUTPUT from %s, CAPTURE from %s\n", card, out_heap,
		 cap_heap);
	for (i = 0; i < NBUF; i++) {
		out[i] = ionode_fbuf(out_heap, m.size, 0);
		cap[i] = ionode_fbuf(cap_heap, m.size, 0);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, NBUF);
	run_frames(&m, out, cap, NBUF, frames);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, 0);
	/*
	 * REQBUFS 0 unmapped them from the device: the last frame of each
	 * CAPTURE buffer must have survived (a swiotlb bounce buffer copied
	 * back at unmap would have overwritten it).
	 */
	for (i = 0; i < NBUF && i < frames; i++)
		check_frame(&cap[i], m.size,
			    frames - 1 - (frames - 1 - i) % NBUF);
	close_fd(m.fd);
}

/* Both queues from every heap of @type (-1: the heap named @name). */
static void test_dmabuf_stream(uint32_t type, const char *name)
{
	uint64_t before = total_used();
	int done = 0;
	uint32_t i;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (name ? strcmp(h->name, name) : h->type != type)
			continue;
		if (!ionode_heap_fits(h, WIDTH * HEIGHT * 3, 2 * NBUF))
			continue;
		stream_heaps(DEV_PLAIN, h->name, h->name, FRAMES);
		done++;
	}
	igt_require_f(done, "no usable heap of that kind\n");
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before);
}

/* ---- MMAP ---------------------------------------------------------------- */

static void mmap_fbufs(struct m2m *m, uint32_t type, struct fbuf *b,
		       unsigned int n)
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

static void test_mmap_stream(const char *card)
{
	uint64_t before = total_used();
	struct m2m m = m2m_open(card);
	struct fbuf out[NBUF], cap[NBUF];

	mmap_fbufs(&m, V4L2_BUF_TYPE_VIDEO_OUTPUT, out, NBUF);
	mmap_fbufs(&m, V4L2_BUF_TYPE_VIDEO_CAPTURE, cap, NBUF);
	/* Device buffers come from ionode. */
	igt_assert_lte_u64(before + 2 * NBUF * ionode_round_page(m.size),
			   total_used());
	run_frames(&m, out, cap, NBUF, FRAMES);
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before);
}

/* EXPBUF gives ionode's own buffer, accounted to the video node's opener. */

static bool debugfs_clients(char *path, size_t len)
{
	struct stat st;
	int i;

	if (stat("/sys/kernel/debug/dri", &st) != 0 && geteuid() == 0)
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	for (i = 0; i < 512; i++) {
		snprintf(path, len, "/sys/kernel/debug/dri/%d/ionode_clients", i);
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Bytes and buffers in heap @heap of this process's clients (not the
 * "kernel" one), from debugfs.
 */
static bool opener_usage(const char *heap, uint64_t *bytes, uint64_t *buffers)
{
	char path[96], line[256], comm[64], state[32], hname[64];
	unsigned long long id, b, n;
	int pid;
	FILE *f;

	*bytes = *buffers = 0;
	if (!debugfs_clients(path, sizeof(path)))
		return false;
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %d %63s %31s %63s %llu %llu", &id, &pid,
			   comm, state, hname, &b, &n) != 7)
			continue;
		if (pid == getpid() && strcmp(state, "kernel") &&
		    !strcmp(hname, heap)) {
			*bytes += b;
			*buffers += n;
		}
	}
	fclose(f);
	return true;
}

static void test_expbuf_import(void)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	uint64_t before_total = total_used(), kb0, kn0, kb1, kn1;
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	struct m2m m = m2m_open(DEV_PLAIN);
	struct fbuf out[NBUF], cap[NBUF];
	uint32_t handles[NBUF];
	int dmabufs[NBUF];
	bool have_debugfs;
	unsigned int i;

	igt_require(sys);
	have_debugfs = opener_usage("system", &kb0, &kn0);
	mmap_fbufs(&m, O, out, NBUF);
	mmap_fbufs(&m, C, cap, NBUF);

	for (i = 0; i < NBUF; i++) {
		struct drm_ionode_bo_info info;

		dmabufs[i] = expbuf(m.fd, C, i);
		handles[i] = ionode_bo_import(ion, dmabufs[i]);
		/* The same buffer, not a foreign import. */
		igt_assert_eq(ionode_bo_import(ion, dmabufs[i]), handles[i]);
		info = ionode_bo_info_get(ion, handles[i]);
		igt_assert_eq_u64(info.size, ionode_round_page(m.size));
		igt_assert_eq(info.heap_id, sys->id);
		igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
		igt_assert(info.attrs & IONODE_ATTR_EXPORTED);
		igt_assert(info.flags & IONODE_BO_CACHED);
	}
	igt_assert_eq_u64(total_used(),
			  before_total + 2 * NBUF * ionode_round_page(m.size));
	if (have_debugfs) {
		igt_assert(opener_usage("system", &kb1, &kn1));
		igt_assert_eq_u64(kn1, kn0 + 2 * NBUF);
		igt_assert_eq_u64(kb1, kb0 + 2 * NBUF * ionode_round_page(m.size));
	} else {
		igt_info("no debugfs: the opener's client not checked\n");
	}

	/* Frames the device writes are in the buffers ionode hands out. */
	run_frames(&m, out, cap, NBUF, NBUF);
	for (i = 0; i < NBUF; i++) {
		uint8_t *p = track_map(ionode_bo_mmap(ion, handles[i], m.size,
						      PROT_READ), m.size);
		struct fbuf viaion = { .dmabuf = dmabufs[i], .ptr = p };

		check_frame(&viaion, m.size, i);
	}

	/* REQBUFS(0) orphans the buffers: the exports keep them alive. */
	for (i = 0; i < NBUF; i++) {
		unmap(out[i].ptr);
		unmap(cap[i].ptr);
	}
	reqbufs(m.fd, O, V4L2_MEMORY_MMAP, 0);
	reqbufs(m.fd, C, V4L2_MEMORY_MMAP, 0);
	igt_assert_eq_u64(total_used(),
			  before_total + NBUF * ionode_round_page(m.size));
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before_total);
	if (have_debugfs) {
		igt_assert(opener_usage("system", &kb1, &kn1));
		igt_assert_eq_u64(kn1, kn0);
		igt_assert_eq_u64(kb1, kb0);
	}
}

/* ---- constraints ---------------------------------------------------------- */

/* A message from the kernel log since @kmsg was opened contains @needle. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

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
static void expect_rejected(const char *card, const struct fbuf *b,
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

static void test_contig_rejects_scattered(void)
{
	struct fbuf b;
	int i;

	igt_require(heap_ok("system", WIDTH * HEIGHT * 3, 4));
	/*
	 * A system-heap buffer of 4 x 64 KiB chunks and 11 pages: not
	 * physically contiguous (ionode merges pages that happen to be).
	 */
	for (i = 0; i < 3; i++) {
		b = ionode_fbuf("system", WIDTH * HEIGHT * 3, 0);
		expect_rejected(DEV_CONTIG, &b, "not contiguous in DMA space");
	}
	/* The unconstrained device takes the same buffers. */
	stream_heaps(DEV_PLAIN, "system", "system", 2);
}

static void test_contig_accepts_contiguous(void)
{
	int done = 0;
	uint32_t i;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (!(h->flags & IONODE_HEAP_CONTIGUOUS) ||
		    !ionode_heap_fits(h, WIDTH * HEIGHT * 3, 2 * NBUF))
			continue;
		stream_heaps(DEV_CONTIG, h->name, h->name, FRAMES);
		done++;
	}
	igt_require_f(done, "no contiguous heap\n");
}

static void test_dma32_rejects_unreachable(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i, done = 0;
	struct fbuf b;

	for (i = 0; i < n; i++) {
		if (co[i].base + co[i].size <= 4 * GiB ||
		    !heap_ok(co[i].name, WIDTH * HEIGHT * 3, 2 * NBUF))
			continue;
		igt_info("%s at %#llx is above 4 GiB\n", co[i].name,
			 (unsigned long long)co[i].base);
		b = ionode_fbuf(co[i].name, WIDTH * HEIGHT * 3, 0);
		expect_rejected(DEV_DMA32, &b, "refused to map it for the device");
		/* A 64-bit device streams from the same heap. */
		stream_heaps(DEV_PLAIN, co[i].name, co[i].name, 2);
		done++;
	}
	igt_require_f(done, "no carveout above 4 GiB (see the comment at the top)\n");
}

static void test_dma32_accepts_reachable(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i;

	/*
	 * Page-backed buffers anywhere (swiotlb bounces what is above 4 GiB)
	 * and carveouts below 4 GiB.
	 */
	stream_heaps(DEV_DMA32, "system", "system", FRAMES);
	if (heap_ok("system-contig", WIDTH * HEIGHT * 3, 2 * NBUF))
		stream_heaps(DEV_DMA32, "system-contig", "system-contig", FRAMES);
	for (i = 0; i < n; i++)
		if (co[i].base + co[i].size <= 4 * GiB &&
		    heap_ok(co[i].name, WIDTH * HEIGHT * 3, NBUF))
			stream_heaps(DEV_DMA32, co[i].name, "system", FRAMES);
}

static void test_align(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i;
	const char *cname = NULL;
	uint32_t size = ionode_round_page(WIDTH * HEIGHT * 3);
	struct m2m m;
	struct fbuf pad, out[NBUF], cap[NBUF];

	/* Aligned on request: accepted. */
	igt_require(heap_ok("system-contig", ALIGN_BYTES, 2 * NBUF));
	m = m2m_open(DEV_ALIGN);
	for (i = 0; i < NBUF; i++) {
		out[i] = ionode_fbuf("system-contig", size, ALIGN_BYTES);
		cap[i] = ionode_fbuf("system-contig", size, ALIGN_BYTES);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, NBUF);
	run_frames(&m, out, cap, NBUF, FRAMES);
	close_fd(m.fd);

	/*
	 * Misaligned: in an empty carveout (1 MiB aligned base, first fit),
	 * a buffer allocated after a one-page one starts one page in.
	 */
	for (i = 0; i < n; i++)
		if (co[i].base % ALIGN_BYTES == 0 && heap_ok(co[i].name, size, 2) &&
		    ionode_heap_used(ion, co[i].name) == 0 && co[i].base + co[i].size <= 4 * GiB) {
			cname = co[i].name;
			break;
		}
	igt_require_f(cname, "no empty, aligned carveout\n");
	pad = ionode_fbuf(cname, page, 0);
	out[0] = ionode_fbuf(cname, size, 0);
	expect_rejected(DEV_ALIGN, &out[0], "is not aligned to");
	(void)pad;
}

/* ---- other exporters ------------------------------------------------------ */

static int open_vgem(void)
{
	int v = igt_open_vgem();

	igt_require_f(v >= 0, "no vgem\n");
	return track_fd(v);
}

/* A vgem dumb buffer of at least @size bytes, exported and mapped. */
static struct fbuf vgem_fbuf(int vgem, uint32_t size)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = (size + 4095) / 4096, .bpp = 32,
	};
	struct drm_mode_map_dumb md = { 0 };
	struct fbuf b;
	void *p;

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	md.handle = c.handle;
	do_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &md);
	p = mmap(NULL, c.size, RW, MAP_SHARED, vgem, (off_t)md.offset);
	igt_assert(p != MAP_FAILED);
	b.ptr = track_map(p, c.size);
	b.len = c.size;
	b.handle = 0;
	igt_assert_eq(drmPrimeHandleToFD(vgem, c.handle, DRM_CLOEXEC | DRM_RDWR,
					 &b.dmabuf), 0);
	track_fd(b.dmabuf);
	return b;
}

static void test_vgem_import(void)
{
	int vgem = open_vgem();
	struct m2m m = m2m_open(DEV_PLAIN);
	struct fbuf out[NBUF], cap[NBUF], b;
	unsigned int i;

	for (i = 0; i < NBUF; i++) {
		out[i] = vgem_fbuf(vgem, m.size);
		cap[i] = i & 1 ? vgem_fbuf(vgem, m.size) :
				 ionode_fbuf("system", m.size, 0);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, NBUF);
	run_frames(&m, out, cap, NBUF, FRAMES);

	/* shmem pages: scattered, so not for a contiguous-only device. */
	b = vgem_fbuf(vgem, 4 * MiB + 64 * 1024 + 4096);
	expect_rejected(DEV_CONTIG, &b, "not contiguous in DMA space");
}

static int vivid_capture(uint32_t w, uint32_t h, uint32_t fourcc,
			 uint32_t *size)
{
	int fd = open_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE);
	struct v4l2_input in = { .index = 0 };

	do_ioctl(fd, VIDIOC_S_INPUT, &in.index);
	*size = set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h, fourcc);
	return fd;
}

/* Set vivid control @name to its menu entry @item (or value). */
static void vivid_ctrl(int fd, const char *name, const char *item, int value)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_control c = { 0 };

	while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (!strcmp((char *)q.name, name))
			break;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	igt_assert_f(!strcmp((char *)q.name, name), "vivid has no %s control\n",
		     name);
	c.id = q.id;
	c.value = value;
	if (item) {
		struct v4l2_querymenu m = { .id = q.id };

		for (m.index = q.minimum; m.index <= (uint32_t)q.maximum; m.index++)
			if (ioctl(fd, VIDIOC_QUERYMENU, &m) == 0 &&
			    !strcmp((char *)m.name, item))
				break;
		igt_assert_f(m.index <= (uint32_t)q.maximum,
			     "no \"%s\" in %s\n", item, name);
		c.value = m.index;
	}
	do_ioctl(fd, VIDIOC_S_CTRL, &c);
}

/* Capture @n frames from vivid into @bufs; the last one's index. */
static unsigned int vivid_grab(int fd, struct fbuf *bufs, unsigned int n,
			       uint32_t memory, uint32_t size)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer b;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (memory == V4L2_MEMORY_DMABUF)
			igt_assert_eq(qbuf_dmabuf(fd, C, i, bufs[i].dmabuf, 0, 0), 0);
		else
			qbuf_mmap(fd, C, i, 0, 0);
	}
	stream(fd, C, true);
	for (i = 0; i < n; i++) {
		b = dqbuf(fd, C, memory);
		igt_assert_eq(b.bytesused, size);
	}
	stream(fd, C, false);
	return b.index;
}

static void test_vivid_capture(const char *pattern)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *heap_names[] = { "system", "system-contig", "carveout0" };
	struct fbuf ref[NBUF], bufs[NBUF];
	uint32_t size, i, h, last;
	uint8_t *want;
	int fd;

	fd = vivid_capture(640, 360, V4L2_PIX_FMT_RGB24, &size);
	vivid_ctrl(fd, "Test Pattern", pattern, 0);
	vivid_ctrl(fd, "OSD Text Mode", "None", 0);

	/* Reference: vivid's own (MMAP) buffers. */
	mmap_fbufs(&(struct m2m){ .fd = fd, .size = size }, C, ref, NBUF);
	last = vivid_grab(fd, ref, NBUF, V4L2_MEMORY_MMAP, size);
	want = malloc(size);
	igt_assert(want);
	memcpy(want, ref[last].ptr, size);
	for (i = 0; i < NBUF; i++)
		unmap(ref[i].ptr);
	reqbufs(fd, C, V4L2_MEMORY_MMAP, 0);

	if (!strcmp(pattern, "100% White")) {
		for (i = 0; i < size; i++)
			igt_assert_f(want[i] == want[i % 3],
				     "vivid's white frame is not uniform at %u\n", i);
		igt_assert_neq(want[0], 0);
	}

	for (h = 0; h < sizeof(heap_names) / sizeof(heap_names[0]); h++) {
		if (!heap_ok(heap_names[h], size, NBUF))
			continue;
		igt_info("vivid into %s\n", heap_names[h]);
		for (i = 0; i < NBUF; i++) {
			bufs[i] = ionode_fbuf(heap_names[h], size, 0);
			memset(bufs[i].ptr, 0, size);
		}
		reqbufs(fd, C, V4L2_MEMORY_DMABUF, NBUF);
		vivid_grab(fd, bufs, NBUF, V4L2_MEMORY_DMABUF, size);
		for (i = 0; i < NBUF; i++) {
			cpu_begin(&bufs[i], DMA_BUF_SYNC_READ);
			igt_assert_f(!memcmp(bufs[i].ptr, want, size),
				     "vivid frame in %s buffer %u differs from its MMAP frame\n",
				     heap_names[h], i);
			cpu_end(&bufs[i], DMA_BUF_SYNC_READ);
		}
		reqbufs(fd, C, V4L2_MEMORY_DMABUF, 0);
	}
	free(want);
}

/* vivid's exported frames as OUTPUT of the test device. */
static void test_vivid_export(void)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct fbuf src[NBUF], cap;
	struct m2m m;
	uint32_t size;
	unsigned int i, last;
	int fd;

	fd = vivid_capture(640, 360, V4L2_PIX_FMT_YUYV, &size);
	vivid_ctrl(fd, "OSD Text Mode", "None", 0);
	mmap_fbufs(&(struct m2m){ .fd = fd, .size = size }, C, src, NBUF);
	last = vivid_grab(fd, src, NBUF, V4L2_MEMORY_MMAP, size);
	src[last].dmabuf = expbuf(fd, C, last);

	m = m2m_open_fmt(DEV_PLAIN, 640, 360, V4L2_PIX_FMT_YUYV);
	igt_assert_eq(m.size, size);
	cap = ionode_fbuf("system", size, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 1);
	reqbufs(m.fd, C, V4L2_MEMORY_DMABUF, 1);
	igt_assert_eq(qbuf_dmabuf(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 0,
				  src[last].dmabuf, size, 1), 0);
	igt_assert_eq(qbuf_dmabuf(m.fd, C, 0, cap.dmabuf, 0, 0), 0);
	stream(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, true);
	stream(m.fd, C, true);
	dqbuf(m.fd, C, V4L2_MEMORY_DMABUF);
	dqbuf(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF);
	cpu_begin(&cap, DMA_BUF_SYNC_READ);
	check_inverse(cap.ptr, src[last].ptr, size, "inverted vivid frame");
	cpu_end(&cap, DMA_BUF_SYNC_READ);
	for (i = 0; i < size && src[last].ptr[i] == src[last].ptr[0]; i++)
		;
	igt_assert_f(i < size, "vivid frame is blank\n");
}

/* ---- lifetime ------------------------------------------------------------- */

enum holder { H_VIDEO, H_DMABUF, H_IONODE, H_MMAP, H_COUNT };

static const char * const holder_names[] = {
	"video fd", "dma-buf fd", "ionode fd", "mapping",
};

static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	t = a[i]; a[i] = a[j]; a[j] = t;
	for (i++, j = n - 1; i < j; i++, j--) {
		t = a[i]; a[i] = a[j]; a[j] = t;
	}
	return true;
}

/*
 * One buffer, held four ways; every order of letting go frees it exactly
 * when the last holder goes. @mmap_side: the device allocated it (MMAP,
 * EXPBUF, imported into ionode) or ionode did (queued as DMABUF into a
 * streaming device).
 */
static void test_close_any_order(bool mmap_side)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t size = 320 * 240 * 3;
	int order[H_COUNT] = { 0, 1, 2, 3 };
	uint64_t before = total_used();	/* ion only observes */
	int perms = 0;

	do {
		int vfd, dmabuf, ionfd, k;
		uint8_t *ptr;
		size_t len;

		ionfd = track_fd(igt_ionode_open());
		vfd = open_video("ionode_v4l2", DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
		if (mmap_side) {
			reqbufs(vfd, O, V4L2_MEMORY_MMAP, 1);
			ptr = mmap_vbuf(vfd, O, 0, &len);
			dmabuf = expbuf(vfd, O, 0);
			ionode_bo_import(ionfd, dmabuf);
		} else {
			struct fbuf b = ionode_fbuf_fd(ionfd, "system", size, 0);

			dmabuf = b.dmabuf;
			ptr = b.ptr;
			reqbufs(vfd, O, V4L2_MEMORY_DMABUF, 1);
			igt_assert_eq(qbuf_dmabuf(vfd, O, 0, dmabuf, size, 1), 0);
			stream(vfd, O, true);
		}
		igt_assert_eq_u64(total_used(), before + ionode_round_page(size));

		for (k = 0; k < H_COUNT; k++) {
			igt_assert_f(total_used() > before,
				     "buffer freed after letting go of %d holders\n", k);
			igt_debug("release %s\n", holder_names[order[k]]);
			switch (order[k]) {
			case H_VIDEO:
				close_fd(vfd);
				break;
			case H_DMABUF:
				close_fd(dmabuf);
				break;
			case H_IONODE:
				close_fd(ionfd);
				break;
			case H_MMAP:
				unmap(ptr);
				break;
			}
		}
		igt_assert_f(total_used() == before,
			     "order %s, %s, %s, %s leaves %llu bytes behind\n",
			     holder_names[order[0]], holder_names[order[1]],
			     holder_names[order[2]], holder_names[order[3]],
			     (unsigned long long)(total_used() - before));
		perms++;
	} while (next_perm(order, H_COUNT));
	igt_assert_eq(perms, 24);
}

/* ---- v4l2-compliance ------------------------------------------------------- */

/*
 * v4l2-compliance -s on the unconstrained instance, streaming MMAP and
 * (with vivid as exporter) DMABUF: no failure, no warning.
 */
static void test_v4l2_compliance(void)
{
	char node[64], vivid[64], cmd[256], line[1024];
	unsigned int total = 0, ok = 0, failed = 1, warnings = 1;
	bool have_total = false;
	FILE *p;
	int status;

	igt_require_f(access("/usr/bin/v4l2-compliance", X_OK) == 0,
		      "v4l2-compliance is not installed (v4l-utils)\n");
	igt_require(find_video("ionode_v4l2", DEV_PLAIN, V4L2_CAP_VIDEO_M2M,
			       node, sizeof(node)));
	if (!find_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE, vivid,
			sizeof(vivid)))
		vivid[0] = 0;
	snprintf(cmd, sizeof(cmd), "v4l2-compliance -d %s -s%s%s 2>&1", node,
		 vivid[0] ? " -e " : "", vivid);
	igt_info("%s\n", cmd);

	p = popen(cmd, "r");
	igt_assert(p);
	while (fgets(line, sizeof(line), p)) {
		char *l = strrchr(line, '\r') ? strrchr(line, '\r') + 1 : line;

		if (strstr(l, "fail:") || strstr(l, "warn:"))
			igt_info("%s", l);
		if (!strncmp(l, "Total for ", 10)) {
			char *t = strchr(l, ':');

			have_total = t && sscanf(t, ": %u, Succeeded: %u, Failed: %u, Warnings: %u",
						 &total, &ok, &failed, &warnings) == 4;
			igt_info("%s", l);
		}
	}
	status = pclose(p);
	igt_assert_f(have_total, "no summary from v4l2-compliance (status %d)\n",
		     status);
	igt_assert_eq(failed, 0);
	igt_assert_eq(warnings, 0);
	igt_assert_eq(ok, total);
}

/* ---- main ------------------------------------------------------------------ */

igt_main
{
	igt_fixture {
		page = ionode_page_size();
		ion = igt_ionode_open();
		ionode_get_heaps(ion, &heaps);
		ionode_set_fresh_hook(fresh_heaps);
		igt_require_f(find_video("ionode_v4l2", DEV_PLAIN,
					 V4L2_CAP_VIDEO_M2M,
					 (char [64]){ 0 }, 64),
			      "ionode_v4l2.ko is not loaded\n");
	}

	/* One dynamic subtest per heap type. */
	ionode_subtest_with_dynamic(&ion, "dmabuf-stream") {
		ionode_dynamic_f(&ion, "system")
			test_dmabuf_stream(IONODE_HEAP_TYPE_SYSTEM, NULL);
		ionode_dynamic_f(&ion, "system-contig")
			test_dmabuf_stream(IONODE_HEAP_TYPE_SYSTEM_CONTIG, NULL);
		ionode_dynamic_f(&ion, "cma")
			test_dmabuf_stream(IONODE_HEAP_TYPE_CMA, NULL);
		ionode_dynamic_f(&ion, "carveout")
			test_dmabuf_stream(IONODE_HEAP_TYPE_CARVEOUT, NULL);
	}
	subtest("dmabuf-stream-mixed") {
		const struct drm_ionode_heap_info *c =
			ionode_contig_heap(&heaps, WIDTH * HEIGHT * 3);

		igt_require(c);
		stream_heaps(DEV_PLAIN, "system", c->name, FRAMES);
		stream_heaps(DEV_PLAIN, c->name, "system", FRAMES);
	}
	subtest("mmap-stream")
		test_mmap_stream(DEV_PLAIN);
	subtest("mmap-stream-contig")
		test_mmap_stream(DEV_CONTIG);
	subtest("mmap-stream-dma32")
		test_mmap_stream(DEV_DMA32);
	subtest("mmap-stream-align1m")
		test_mmap_stream(DEV_ALIGN);
	subtest("expbuf-import-accounting")
		test_expbuf_import();
	subtest("contig-rejects-scattered")
		test_contig_rejects_scattered();
	subtest("contig-accepts-contiguous")
		test_contig_accepts_contiguous();
	subtest("dma32-rejects-unreachable")
		test_dma32_rejects_unreachable();
	subtest("dma32-accepts-reachable")
		test_dma32_accepts_reachable();
	subtest("align-checks-start")
		test_align();
	subtest("vgem-import")
		test_vgem_import();
	subtest("vivid-capture-colorbar")
		test_vivid_capture("75% Colorbar");
	subtest("vivid-capture-white")
		test_vivid_capture("100% White");
	subtest("vivid-export-to-m2m")
		test_vivid_export();
	subtest("close-any-order-mmap")
		test_close_any_order(true);
	subtest("close-any-order-dmabuf")
		test_close_any_order(false);
	subtest("v4l2-compliance")
		test_v4l2_compliance();

	igt_fixture {
		release_all();
		ionode_put_heaps(&heaps);
	}
}
