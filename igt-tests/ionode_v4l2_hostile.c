// SPDX-License-Identifier: MIT
/*
 * ionode_v4l2_hostile - the V4L2 glue and its test device against hostile
 * callers (issue #9).
 *
 * The V4L2 nodes are open to the video group and ionode's render node to
 * everyone: every value userspace passes is an attack. What is checked:
 *
 *  - payload, length and data offset of re-queued DMABUF buffers: a
 *    smaller dma-buf queued on an index that had a larger one, with the
 *    old payload, is refused at VIDIOC_QBUF with EINVAL (videobuf2 6.1
 *    checks the payload against the plane's previous length), as are
 *    lengths beyond the dma-buf or below the format and multi-planar
 *    buffers; after each, the instance still makes a correct frame and
 *    close() returns at once;
 *  - VIDIOC_CREATE_BUFS sizes: a 4 GiB plane, a plane above the largest
 *    frame, a huge count and many calls are bounded (EINVAL, ENOMEM or
 *    fewer buffers) and a refused call allocates nothing;
 *  - mmap offsets: after CREATE_BUFS of large OUTPUT buffers every
 *    offset of each queue maps that queue's buffer (checked through the
 *    frames the device makes from what was written there);
 *  - MMAP buffers are charged to the user who opened the video node:
 *    ionode's client_limit bounds them, restricted heaps refuse an
 *    unprivileged opener, debugfs lists them under the opener (pid), not
 *    under "kernel", also after VIDIOC_EXPBUF and the video fd's close,
 *    and everything drains when the last fd goes.
 *
 * Needs v4l2-glue/ionode_v4l2.ko with its default instances; the policy
 * subtests need root (they change /sys/module/ionode/parameters and drop
 * privileges in a child) and restore every parameter they change.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "igt_track.h"
#include "ionode_v4l2_test.h"

#define RW		(PROT_READ | PROT_WRITE)
#define KiB		1024ull
#define MiB		(1024 * KiB)
#define GiB		(1024 * MiB)

#define OUT		V4L2_BUF_TYPE_VIDEO_OUTPUT
#define CAP		V4L2_BUF_TYPE_VIDEO_CAPTURE
#define DMABUF		V4L2_MEMORY_DMABUF
#define MMAP		V4L2_MEMORY_MMAP


/* The device's largest frame and the glue's bounds (ionode_m2m_dev.c). */
#define BIG_W		1920
#define BIG_H		1088
#define BIG_FRAME	(BIG_W * BIG_H * 3)
#define MAX_PLANE	(6 * MiB)
#define QUEUE_LIMIT	(64 * MiB)
#define CAP_OFFSET	(1 * GiB)

#define UNPRIV_ID	1000
#define VIDEO_GID	44	/* Debian's "video" group */

static int ion = -1;
static struct ionode_heaps heaps;
static char saved_limit[64], saved_restricted[256];
static bool params_saved;

/* ---- module parameters ----------------------------------------------------- */

static void restore_params(void)
{
	if (!params_saved)
		return;
	ionode_param_set("client_limit", saved_limit);
	ionode_param_set("restricted_heaps", saved_restricted);
}

static void require_root_policy(void)
{
	igt_require_f(geteuid() == 0 && params_saved &&
		      access(IONODE_PARAM_DIR "/client_limit", W_OK) == 0,
		      "needs root and ionode's policy parameters\n");
}

/* ---- state, released at the start of every subtest --------------------- */

/*
 * Every subtest starts here: what a failed one left (fds, mappings,
 * parameters) is released, ionode is opened afresh (untracked: @ion is
 * only ever closed by ionode_fresh_fd()) and the heap list read again.
 */
static void fresh(void)
{
	release_all();
	restore_params();
	ionode_fresh_fd(&ion);
	ionode_put_heaps(&heaps);
	ionode_get_heaps(ion, &heaps);
}

/* Bytes used in every carveout heap now. */
static uint64_t carveouts_used(void)
{
	struct ionode_heaps now;
	uint64_t sum = 0;
	uint32_t i;

	ionode_get_heaps(ion, &now);
	for (i = 0; i < now.count; i++)
		if (now.info[i].type == IONODE_HEAP_TYPE_CARVEOUT)
			sum += now.info[i].used_bytes;
	ionode_put_heaps(&now);
	return sum;
}

/* ---- buffers --------------------------------------------------------------- */

/* An exported, mapped "system" heap buffer of @size bytes. */
static int sys_dmabuf(uint64_t size, uint8_t **ptr)
{
	struct drm_ionode_create req = {
		.size = size,
		.heap_mask = ionode_system_mask(&heaps),
		.flags = IONODE_BO_CACHED,
	};
	int dmabuf;

	ionode_bo_create_ex(ion, &req);
	dmabuf = track_fd(ionode_bo_export(ion, req.handle));
	ionode_bo_close(ion, req.handle);
	if (ptr)
		*ptr = track_map(dmabuf_mmap(dmabuf, req.size, 0, RW), req.size);
	return dmabuf;
}

/* QBUF a DMABUF buffer with every field chosen; 0 or the errno. */
static int qbuf_raw(int fd, uint32_t type, uint32_t index, int dmabuf,
		    uint32_t length, uint32_t bytesused)
{
	struct v4l2_buffer b = v4l2_buf(type, DMABUF, index);

	b.m.fd = dmabuf;
	b.length = length;
	b.bytesused = bytesused;
	return igt_ioctl(fd, VIDIOC_QBUF, &b) ? errno : 0;
}

/* CREATE_BUFS of @count @memory buffers of @size bytes; 0 or the errno. */
static int create_bufs(int fd, uint32_t type, uint32_t memory, uint32_t count,
		       uint32_t size, struct v4l2_create_buffers *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->count = count;
	cb->memory = memory;
	cb->format.type = type;
	igt_assert_eq(igt_ioctl(fd, VIDIOC_G_FMT, &cb->format), 0);
	cb->format.fmt.pix.sizeimage = size;
	return igt_ioctl(fd, VIDIOC_CREATE_BUFS, cb) ? errno : 0;
}

/* ---- frames ---------------------------------------------------------------- */

/*
 * The CAPTURE frame @cap (@cap_size bytes) is the inverse of the first
 * @in_len bytes of @in, then 0xff (OUTPUT bytes past the payload are 0).
 */
static void check_negative(const uint8_t *cap, uint32_t cap_size,
			   const uint8_t *in, uint32_t in_len)
{
	uint32_t i;

	for (i = 0; i < cap_size; i++) {
		unsigned int want = i < in_len ? 255u - in[i] : 255u;

		igt_assert_f(cap[i] == want, "CAPTURE byte %u of %u is %#04x, expected %#04x\n",
			     i, cap_size, cap[i], want);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* close() of a video fd returns at once (a dead job used to hang it). */
static void close_promptly(int fd)
{
	double t = now_s();

	close_fd(fd);
	igt_assert_f(now_s() - t < 5.0, "close() took %.1f s\n", now_s() - t);
}

/* ---- payload, length, data offset ---------------------------------------- */

/*
 * The defect-2 context: OUTPUT GREY 16x16 (256-byte frames), CAPTURE
 * RGB24 1920x1088, one DMABUF buffer each, streaming.
 */
struct small_big {
	int fd, cap_dmabuf;
	uint32_t out_size, cap_size;
	uint8_t *cap;
};

static struct small_big small_big_open(void)
{
	struct small_big s;

	s.fd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
	s.out_size = set_fmt(s.fd, OUT, 16, 16, V4L2_PIX_FMT_GREY);
	s.cap_size = set_fmt(s.fd, CAP, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
	igt_assert_eq(s.out_size, 256);
	s.cap_dmabuf = sys_dmabuf(s.cap_size, &s.cap);
	reqbufs(s.fd, OUT, DMABUF, 2);
	reqbufs(s.fd, CAP, DMABUF, 1);
	stream(s.fd, OUT, true);
	stream(s.fd, CAP, true);
	return s;
}

/*
 * One frame from OUTPUT buffer @index holding dma-buf @dmabuf (mapped at
 * @in) with @bytesused bytes queued: checked byte by byte, the payload
 * clamped to @len (the OUTPUT plane).
 */
static void small_big_frame(struct small_big *s, uint32_t index, int dmabuf,
			    uint8_t *in, uint32_t length, uint32_t bytesused,
			    uint32_t seed)
{
	uint32_t in_len = bytesused ? bytesused : length;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(in, length, seed, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	igt_assert_eq(qbuf_raw(s->fd, OUT, index, dmabuf, length, bytesused), 0);
	igt_assert_eq(qbuf_raw(s->fd, CAP, 0, s->cap_dmabuf, 0, 0), 0);
	dqbuf(s->fd, CAP, DMABUF);
	dqbuf(s->fd, OUT, DMABUF);
	dmabuf_sync(s->cap_dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_negative(s->cap, s->cap_size, in,
		       in_len < s->cap_size ? in_len : s->cap_size);
	dmabuf_sync(s->cap_dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * After an abuse: a good frame on index @index, then close promptly.
 * Payload 0 (the whole plane): a QBUF that vb2 refuses after looking at
 * the dma-buf resets the index's planes, and with them the length that
 * vb2 checks a payload against.
 */
static void small_big_good_and_close(struct small_big *s, uint32_t index)
{
	uint8_t *p;
	int d = sys_dmabuf(4 * KiB, &p);

	small_big_frame(s, index, d, p, 4 * KiB, 0, 99);
	close_promptly(s->fd);
}

/*
 * The reproducer of issue #9 defect 2: frame 1 from an 8 MiB dma-buf with
 * an 8 MiB payload, then the same index with a 4 KiB dma-buf, length
 * 4096 and the 8 MiB payload. The job used to read 6 MiB past the 4 KiB
 * mapping (Oops, KASAN vmalloc-out-of-bounds), then close() hung.
 */
static void test_requeue_smaller(uint32_t length)
{
	uint64_t before = ionode_total_used(ion);
	struct small_big s = small_big_open();
	uint8_t *big, *small;
	int dbig = sys_dmabuf(8 * MiB, &big);
	int dsmall = sys_dmabuf(4 * KiB, &small);

	/* Payload 0: the whole 8 MiB, which becomes the plane's length. */
	small_big_frame(&s, 0, dbig, big, 8 * MiB, 0, 1);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, dsmall, length, 8 * MiB), EINVAL);
	/* Also with bytesused 0 meaning "the old length". */
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, dsmall, length, 0), 0);
	igt_assert_eq(qbuf_raw(s.fd, CAP, 0, s.cap_dmabuf, 0, 0), 0);
	dqbuf(s.fd, CAP, DMABUF);
	dqbuf(s.fd, OUT, DMABUF);
	small_big_good_and_close(&s, 0);
	release_all();
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/*
 * Lengths that do not fit the dma-buf or the format, payloads that do not
 * fit the length, on fresh and re-queued indices. (A QBUF refused once
 * vb2 has looked at the dma-buf resets the index's planes: length and
 * minimum length 0, so the next one must give payload 0 and only the
 * driver's checks stand between a short plane and the job.)
 */
static void test_bad_lengths(void)
{
	struct small_big s = small_big_open();
	uint8_t *p, *big;
	int d = sys_dmabuf(4 * KiB, &p);
	int dbig = sys_dmabuf(64 * KiB, &big);

	/* Length beyond the dma-buf, on a fresh index and a used one. */
	igt_assert_eq(qbuf_raw(s.fd, OUT, 1, d, 8 * KiB, 256), EINVAL);
	small_big_frame(&s, 1, d, p, 4 * KiB, 0, 2);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 1, d, 8 * KiB, 256), EINVAL);
	/* Below the format's frame, vb2's minimum length reset meanwhile. */
	igt_assert_eq(qbuf_raw(s.fd, OUT, 1, d, 128, 0), EINVAL);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 1, d, 255, 0), EINVAL);
	/* Payload above the length given with it: fresh index, then used. */
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, dbig, 4 * KiB, 8 * KiB), EINVAL);
	small_big_frame(&s, 0, dbig, big, 64 * KiB, 0, 3);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, dbig, 4 * KiB, 64 * KiB), EINVAL);
	small_big_frame(&s, 0, dbig, big, 64 * KiB, 0, 4);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, d, 0, 64 * KiB), EINVAL);
	small_big_frame(&s, 0, dbig, big, 64 * KiB, 0, 5);
	igt_assert_eq(qbuf_raw(s.fd, OUT, 0, d, 4 * KiB, 64 * KiB), EINVAL);
	/* A CAPTURE buffer smaller than its frame, before and after a reset. */
	igt_assert_eq(qbuf_raw(s.fd, CAP, 0, d, 0, 0), EINVAL);
	igt_assert_eq(qbuf_raw(s.fd, CAP, 0, s.cap_dmabuf, 4 * KiB, 0), EINVAL);
	igt_assert_eq(qbuf_raw(s.fd, CAP, 0, d, 0, 0), EINVAL);
	/* A short payload is fine: the rest counts as zero. */
	small_big_frame(&s, 0, dbig, big, 64 * KiB, 0, 6);
	small_big_frame(&s, 0, dbig, big, 64 * KiB, 100, 7);
	small_big_good_and_close(&s, 1);
}

/*
 * The same with MMAP OUTPUT buffers, whose length vb2 knows: payloads
 * past it are refused, and a payload of 0 is the whole plane.
 */
static void test_mmap_payload(void)
{
	int fd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
	uint32_t out_size = set_fmt(fd, OUT, 16, 16, V4L2_PIX_FMT_GREY);
	uint32_t cap_size = set_fmt(fd, CAP, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
	struct v4l2_buffer b = v4l2_buf(OUT, MMAP, 0);
	uint8_t *in, *cap;
	size_t in_len, cap_len;

	reqbufs(fd, OUT, MMAP, 1);
	reqbufs(fd, CAP, MMAP, 1);
	in = mmap_vbuf(fd, OUT, 0, &in_len);
	cap = mmap_vbuf(fd, CAP, 0, &cap_len);
	igt_assert_eq(in_len, out_size);
	fill_pattern(in, in_len, 5, 0);
	stream(fd, OUT, true);
	stream(fd, CAP, true);
	b.bytesused = in_len + 1;
	do_ioctl_err(fd, VIDIOC_QBUF, &b, EINVAL);
	b.bytesused = 8 * MiB;
	do_ioctl_err(fd, VIDIOC_QBUF, &b, EINVAL);
	qbuf_mmap(fd, OUT, 0, in_len, 1);
	qbuf_mmap(fd, CAP, 0, 0, 1);
	dqbuf(fd, CAP, MMAP);
	dqbuf(fd, OUT, MMAP);
	check_negative(cap, cap_size, in, in_len);
	close_promptly(fd);
}

/* Multi-planar buffers on a single-planar device: refused, nothing read. */
static void test_mplane_refused(void)
{
	struct small_big s = small_big_open();
	struct v4l2_plane planes[VIDEO_MAX_PLANES + 1];
	struct v4l2_buffer b = v4l2_buf(V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
					DMABUF, 0);
	uint8_t *p;
	int d = sys_dmabuf(4 * KiB, &p);

	memset(planes, 0, sizeof(planes));
	planes[0].m.fd = d;
	planes[0].length = 4 * KiB;
	planes[0].bytesused = 256;
	planes[0].data_offset = 256;	/* >= bytesused */
	b.m.planes = planes;
	b.length = 1;
	do_ioctl_err(s.fd, VIDIOC_QBUF, &b, EINVAL);
	b.length = VIDEO_MAX_PLANES + 1;
	do_ioctl_err(s.fd, VIDIOC_QBUF, &b, EINVAL);
	b.m.planes = (void *)16;	/* not a user pointer */
	b.length = 1;
	igt_assert_eq(igt_ioctl(s.fd, VIDIOC_QBUF, &b), -1);
	igt_assert_f(errno == EFAULT || errno == EINVAL, "QBUF: %s\n",
		     igt_errno_name(errno));
	small_big_good_and_close(&s, 0);
}

/* ---- CREATE_BUFS ------------------------------------------------------------ */

/*
 * Oversize and overflowing CREATE_BUFS: every refusal leaves the heaps
 * as they were, and what is accepted stays within the queue's limit.
 */
static void test_create_bufs_bounds(uint32_t type)
{
	const uint32_t sizes[] = {
		UINT32_MAX, 0x80000000u, 256 * MiB, MAX_PLANE + 4096,
	};
	uint64_t before = ionode_total_used(ion), used;
	int fd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
	uint32_t frame = set_fmt(fd, type, 320, 240, V4L2_PIX_FMT_RGB24);
	struct v4l2_create_buffers cb;
	unsigned int i, total = 0;
	int err;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		igt_assert_f(create_bufs(fd, type, MMAP, 1, sizes[i], &cb) == EINVAL,
			     "CREATE_BUFS of a %u-byte plane: %s, count %u\n",
			     sizes[i], igt_errno_name(errno), cb.count);
		igt_assert_eq_u64(ionode_total_used(ion), before);
		igt_assert_eq(create_bufs(fd, type, MMAP, UINT32_MAX, sizes[i], &cb),
			      EINVAL);
		igt_assert_eq_u64(ionode_total_used(ion), before);
	}
	/* Smaller than the format: EINVAL too. */
	igt_assert_eq(create_bufs(fd, type, MMAP, 1, frame - 1, &cb), EINVAL);

	/* A huge count of the largest planes: within the queue's limit. */
	igt_assert_eq(create_bufs(fd, type, MMAP, UINT32_MAX, MAX_PLANE, &cb), 0);
	igt_assert_lte(1, cb.count);
	igt_assert_lte_u64(cb.count * MAX_PLANE, QUEUE_LIMIT);
	igt_assert_eq_u64(ionode_total_used(ion), before + cb.count * MAX_PLANE);
	total = cb.count;
	/* Then one by one: refused once the limit is reached, nothing taken. */
	for (i = 0; i < 64; i++) {
		used = ionode_total_used(ion);
		err = create_bufs(fd, type, MMAP, 1, 4 * MiB, &cb);
		if (err) {
			igt_assert_eq(err, ENOMEM);
			igt_assert_eq_u64(ionode_total_used(ion), used);
			break;
		}
		igt_assert_eq(cb.count, 1);
		igt_assert_eq(cb.index, total);
		total++;
		igt_assert_lte_u64(used - before + 4 * MiB, QUEUE_LIMIT);
	}
	igt_assert_f(i < 64, "64 more CREATE_BUFS of 4 MiB accepted\n");
	reqbufs(fd, type, MMAP, 0);
	igt_assert_eq_u64(ionode_total_used(ion), before);
	/* REQBUFS of as many as vb2 allows: within the limit too. */
	set_fmt(fd, type, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
	{
		struct v4l2_requestbuffers rb = {
			.count = 32, .type = type, .memory = MMAP,
		};

		do_ioctl(fd, VIDIOC_REQBUFS, &rb);
		igt_assert_lte_u64((uint64_t)rb.count * BIG_FRAME, QUEUE_LIMIT);
	}
	close_promptly(fd);
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/* ---- mmap offsets ----------------------------------------------------------- */

/*
 * Large OUTPUT buffers from CREATE_BUFS, as many as are accepted: every
 * OUTPUT offset stays below the CAPTURE base and maps its own buffer; a
 * pattern written through each OUTPUT mapping comes back inverted in the
 * CAPTURE buffer (mapped through its own offset).
 */
static void test_mmap_offsets(void)
{
	const uint32_t huge[] = { 256 * MiB, MAX_PLANE };
	uint64_t before = ionode_total_used(ion);
	int fd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
	uint32_t size = set_fmt(fd, OUT, 320, 240, V4L2_PIX_FMT_RGB24);
	struct v4l2_create_buffers cb;
	uint8_t *outp[32], *cap;
	uint32_t n = 0, i, h, prev_end = 0;
	size_t len;

	igt_assert_eq(set_fmt(fd, CAP, 320, 240, V4L2_PIX_FMT_RGB24), size);
	for (h = 0; h < 2; h++) {
		uint64_t asked = 0;

		/*
		 * Huge ones until they reach the CAPTURE base, then the
		 * largest allowed until refused (or one past the limit).
		 */
		while (asked < (h ? QUEUE_LIMIT + MAX_PLANE : CAP_OFFSET) &&
		       create_bufs(fd, OUT, MMAP, 1, huge[h], &cb) == 0) {
			igt_assert_eq(cb.index, n);
			n++;
			asked += huge[h];
		}
		igt_info("%u OUTPUT buffers after %u-byte requests\n", n, huge[h]);
	}
	igt_assert_lte(1, n);
	reqbufs(fd, CAP, MMAP, 1);

	for (i = 0; i < n; i++) {
		struct v4l2_buffer b = v4l2_buf(OUT, MMAP, i);

		do_ioctl(fd, VIDIOC_QUERYBUF, &b);
		igt_assert_f(b.m.offset < CAP_OFFSET,
			     "OUTPUT buffer %u at offset %#x, in CAPTURE's range\n",
			     i, b.m.offset);
		igt_assert_lte_u64(prev_end, b.m.offset);
		prev_end = b.m.offset + b.length;
		outp[i] = mmap_vbuf(fd, OUT, i, &len);
		igt_assert_eq_u64(len, b.length);
		fill_pattern(outp[i], size, 100 + i, 0);
	}
	{
		struct v4l2_buffer b = v4l2_buf(CAP, MMAP, 0);

		do_ioctl(fd, VIDIOC_QUERYBUF, &b);
		igt_assert_lte_u64(CAP_OFFSET, b.m.offset);
	}
	cap = mmap_vbuf(fd, CAP, 0, &len);

	stream(fd, OUT, true);
	stream(fd, CAP, true);
	for (i = 0; i < n; i++) {
		qbuf_mmap(fd, OUT, i, size, i + 1);
		qbuf_mmap(fd, CAP, 0, 0, 0);
		dqbuf(fd, CAP, MMAP);
		dqbuf(fd, OUT, MMAP);
		check_negative(cap, size, outp[i], size);
	}
	close_promptly(fd);
	release_all();
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/* ---- who pays for MMAP buffers -------------------------------------------- */

/*
 * Open the test device as an unprivileged user: uid/gid UNPRIV_ID, in
 * the video node's group (as the video group is on a real system).
 */
static int open_video_unprivileged(const char *card)
{
	char path[64];
	struct stat st;
	gid_t g;

	igt_assert(find_video(M2M_DRIVER, card, V4L2_CAP_VIDEO_M2M, path,
			      sizeof(path)));
	igt_assert_eq(stat(path, &st), 0);
	g = st.st_gid;
	igt_assert_neq(g, 0);
	igt_assert_eq(setgroups(1, &g), 0);
	igt_assert_eq(setgid(UNPRIV_ID), 0);
	igt_assert_eq(setuid(UNPRIV_ID), 0);
	igt_assert_neq(setuid(0), 0);
	return open_video(M2M_DRIVER, card, V4L2_CAP_VIDEO_M2M);
}

/* Let the video node's group read and write it (root, before forking). */
static void video_node_group_rw(const char *card)
{
	char path[64];

	igt_assert(find_video(M2M_DRIVER, card, V4L2_CAP_VIDEO_M2M, path,
			      sizeof(path)));
	igt_assert_eq(chown(path, (uid_t)-1, VIDEO_GID), 0);
	igt_assert_eq(chmod(path, 0660), 0);
}

/*
 * client_limit=16M: an unprivileged opener's MMAP buffers stop at 16 MiB
 * over both queues of its file (vb2 reports ENOMEM when not one buffer
 * could be allocated, and gives fewer buffers than asked for otherwise);
 * below the limit the same sizes are served. Nothing is left behind.
 */
static void test_client_limit(void)
{
	uint64_t before = ionode_total_used(ion);

	require_root_policy();
	ionode_param_set("client_limit", "16M");
	video_node_group_rw(DEV_PLAIN);
	igt_fork(child, 1) {
		int fd = open_video_unprivileged(DEV_PLAIN);
		struct v4l2_requestbuffers rb = {
			.count = 4, .type = OUT, .memory = MMAP,
		};
		struct v4l2_create_buffers cb;

		set_fmt(fd, OUT, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
		set_fmt(fd, CAP, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
		/* 2 x 6 MiB fit, a third does not. */
		do_ioctl(fd, VIDIOC_REQBUFS, &rb);
		igt_assert_eq(rb.count, 2);
		igt_assert_eq(create_bufs(fd, CAP, MMAP, 1, BIG_FRAME, &cb), ENOMEM);
		igt_assert_eq(create_bufs(fd, OUT, MMAP, 1, BIG_FRAME, &cb), ENOMEM);
		/* Freed, the same sizes fit again. */
		reqbufs(fd, OUT, MMAP, 0);
		reqbufs(fd, CAP, MMAP, 2);
		igt_assert_eq(create_bufs(fd, OUT, MMAP, 1, BIG_FRAME, &cb), ENOMEM);
		close_promptly(fd);
	}
	igt_waitchildren();
	restore_params();
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/*
 * restricted_heaps naming every carveout: on the contiguous instance, an
 * unprivileged opener's 6 MiB MMAP buffers (more than system-contig
 * serves) never come from a carveout: refused with ENOMEM, or served by
 * an unrestricted contiguous heap that can (cma); root gets them.
 */
static void test_restricted_heaps(void)
{
	char list[256] = "";
	const struct drm_ionode_heap_info *sc = ionode_heap(&heaps, "system-contig");
	bool other_fit = false;
	uint64_t before = ionode_total_used(ion);
	uint32_t i;
	int fd;

	require_root_policy();
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (h->type == IONODE_HEAP_TYPE_CARVEOUT) {
			if (*list)
				strcat(list, ",");
			strcat(list, h->name);
			igt_require_f(h->used_bytes == 0, "%s in use\n", h->name);
		} else if ((h->flags & IONODE_HEAP_CONTIGUOUS) &&
			   h->max_alloc >= BIG_FRAME && strcmp(h->name, "system-contig")) {
			other_fit = true;
		}
	}
	igt_require_f(*list, "no carveout\n");
	igt_require(!sc || sc->max_alloc < BIG_FRAME);
	ionode_param_set("restricted_heaps", list);
	video_node_group_rw(DEV_CONTIG);

	igt_fork(child, 1) {
		int vfd = open_video_unprivileged(DEV_CONTIG);
		struct v4l2_requestbuffers rb = {
			.count = 1, .type = OUT, .memory = MMAP,
		};
		int err;

		set_fmt(vfd, OUT, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
		err = igt_ioctl(vfd, VIDIOC_REQBUFS, &rb) ? errno : 0;
		igt_info("unprivileged REQBUFS on %s: %s\n", DEV_CONTIG,
			 err ? igt_errno_name(err) : "served");
		igt_assert_eq(err, other_fit ? 0 : ENOMEM);
		igt_assert_eq_u64(carveouts_used(), 0);
		close_fd(vfd);
	}
	igt_waitchildren();
	igt_assert_eq_u64(carveouts_used(), 0);

	/* Root is served (from a carveout unless cma could). */
	fd = open_video(M2M_DRIVER, DEV_CONTIG, V4L2_CAP_VIDEO_M2M);
	set_fmt(fd, OUT, BIG_W, BIG_H, V4L2_PIX_FMT_RGB24);
	reqbufs(fd, OUT, MMAP, 1);
	if (!other_fit)
		igt_assert_lte_u64(BIG_FRAME, carveouts_used());
	close_promptly(fd);
	restore_params();
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/* ---- accounting ------------------------------------------------------------- */

/* Usage of @pid's clients over every heap; skips without debugfs. */
static struct ionode_client_usage client_usage(pid_t pid)
{
	struct ionode_client_usage u;

	igt_require_f(ionode_client_usage(pid, NULL, &u), "no ionode debugfs\n");
	return u;
}

/*
 * MMAP buffers are charged to the opener (its pid), not to "kernel";
 * an EXPBUF'd one stays charged to it after the video fd is closed, and
 * the charge goes with the last fd.
 */
static void test_accounting(void)
{
	uint64_t before = ionode_total_used(ion);
	struct ionode_client_usage u0 = client_usage(getpid()), u;
	int fd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
	uint32_t size = set_fmt(fd, OUT, 320, 240, V4L2_PIX_FMT_RGB24);
	uint64_t one = ionode_round_page(size);
	int dmabuf;

	set_fmt(fd, CAP, 320, 240, V4L2_PIX_FMT_RGB24);
	reqbufs(fd, OUT, MMAP, 2);
	reqbufs(fd, CAP, MMAP, 3);
	u = client_usage(getpid());
	igt_assert_eq_u64(u.buffers, u0.buffers + 5);
	igt_assert_eq_u64(u.bytes, u0.bytes + 5 * one);
	igt_assert_eq_u64(u.kernel_bytes, u0.kernel_bytes);
	igt_assert_eq_u64(ionode_total_used(ion), before + 5 * one);

	dmabuf = expbuf(fd, CAP, 1);
	close_promptly(fd);
	u = client_usage(getpid());
	igt_assert_eq_u64(u.buffers, u0.buffers + 1);
	igt_assert_eq_u64(u.bytes, u0.bytes + one);
	igt_assert_eq_u64(u.kernel_bytes, u0.kernel_bytes);
	igt_assert_eq_u64(ionode_total_used(ion), before + one);

	close_fd(dmabuf);
	u = client_usage(getpid());
	igt_assert_eq_u64(u.buffers, u0.buffers);
	igt_assert_eq_u64(u.bytes, u0.bytes);
	igt_assert_eq_u64(ionode_total_used(ion), before);
}

/* ---- main ------------------------------------------------------------------- */

igt_main
{
	igt_fixture {
		ionode_fresh_fd(&ion);
		ionode_get_heaps(ion, &heaps);
		igt_require_f(find_video(M2M_DRIVER, DEV_PLAIN,
					 V4L2_CAP_VIDEO_M2M,
					 (char [64]){ 0 }, 64),
			      "ionode_v4l2.ko is not loaded\n");
		params_saved = !ionode_param_read("client_limit", saved_limit,
						  sizeof(saved_limit)) &&
			       !ionode_param_read("restricted_heaps", saved_restricted,
						  sizeof(saved_restricted));
	}

	igt_subtest("requeue-smaller-dmabuf") {
		fresh();
		test_requeue_smaller(4096);
	}
	igt_subtest("requeue-smaller-dmabuf-length-0") {
		fresh();
		test_requeue_smaller(0);
	}
	igt_subtest("dmabuf-bad-lengths") {
		fresh();
		test_bad_lengths();
	}
	igt_subtest("mmap-bad-payload") {
		fresh();
		test_mmap_payload();
	}
	igt_subtest("mplane-refused") {
		fresh();
		test_mplane_refused();
	}
	igt_subtest("create-bufs-bounds-output") {
		fresh();
		test_create_bufs_bounds(OUT);
	}
	igt_subtest("create-bufs-bounds-capture") {
		fresh();
		test_create_bufs_bounds(CAP);
	}
	igt_subtest("mmap-offsets-large-output") {
		fresh();
		test_mmap_offsets();
	}
	igt_subtest("mmap-client-limit") {
		fresh();
		test_client_limit();
	}
	igt_subtest("mmap-restricted-heaps") {
		fresh();
		test_restricted_heaps();
	}
	igt_subtest("mmap-accounting-opener") {
		fresh();
		test_accounting();
	}

	igt_fixture {
		release_all();
		restore_params();
		ionode_put_heaps(&heaps);
		close(ion);
	}
}
