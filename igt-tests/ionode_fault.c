// SPDX-License-Identifier: MIT
/*
 * ionode_fault - ionode's ioctl paths under injected allocation failures.
 *
 * Needs a kernel with FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and their
 * debugfs (the project's full debug kernel: make check KERNEL=full); on
 * Debian's stock kernel it skips.
 *
 * Failures are injected only into this process (task-filter with
 * /proc/self/make-it-fail set around each ionode system call, never around
 * page faults, which would wake the OOM killer) and, where the kernel has
 * the stack-trace filter, only into allocations made on ionode's behalf.
 * probability=100 with an interval drawn from a seeded generator makes a
 * run reproducible: IONODE_SEED and IONODE_FAULT_ITERS set the seed and the
 * number of iterations. The count of injected failures is read back from
 * the "times" budget.
 *
 * The paths: create in every heap, export, import, mmap, CPU-access sync
 * and, when ionode_v4l2.ko's "ionode-m2m" test device is there, a frame
 * through it: open, formats, REQBUFS, QBUF of ionode dma-bufs (the glue
 * attaches and maps them) or of the device's own MMAP buffers (allocated
 * from ionode in the kernel), STREAMON and DQBUF.
 *
 * Every failure must come back as an errno, a frame that makes it through
 * must hold the right bytes, and at the end ionode's accounting must be
 * back to zero and kmemleak must find nothing of ionode's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <xf86drm.h>

#include "igt_v4l2.h"
#include "ionode_test.h"

#define FAULT_BUDGET	100000000LL
#define MAX_LIVE	16

/* The V4L2 round's frame: GREY, one page. */
#define M2M_W		64
#define M2M_H		64
#define M2M_SIZE	(M2M_W * M2M_H)
#define M2M_TIMEOUT_MS	10000

static const char *const fail_types[] = { "failslab", "fail_page_alloc" };

static int fd = -1, fd2 = -1;
static struct ionode_heaps heaps;
static char m2m_path[64];	/* empty: no ionode_v4l2 test device */
static unsigned int m2m_rounds, m2m_frames;
static unsigned long long rng;
static long long injected_before;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(rng >> 33) % n;
}

static int write_file(const char *path, const char *val)
{
	int f = open(path, O_WRONLY), ret = 0;

	if (f < 0)
		return -errno;
	if (write(f, val, strlen(val)) < 0)
		ret = -errno;
	close(f);
	return ret;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int f = open(path, O_RDONLY);
	ssize_t n;

	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void fault_set(const char *type, const char *knob, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", type, knob);
	igt_assert_f(write_file(path, val) == 0, "cannot write %s to %s\n",
		     val, path);
}

static long long fault_times(const char *type)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/times", type);
	igt_assert_eq(read_file(path, buf, sizeof(buf)), 0);
	return atoll(buf);
}

static long long injected(void)
{
	long long n = 0;
	unsigned int i;

	for (i = 0; i < 2; i++)
		n += FAULT_BUDGET - fault_times(fail_types[i]);
	return n;
}

/*
 * Turns injection on or off for the current process only. The file stays
 * open: opening it while armed would itself allocate, fail with ENOMEM and
 * leave the process armed. Writing to it allocates nothing.
 */
static void arm(bool on)
{
	static int make_it_fail = -1;

	if (make_it_fail < 0)
		make_it_fail = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	igt_assert(make_it_fail >= 0);
	igt_assert_eq(write(make_it_fail, on ? "1" : "0", 1), 1);
}

static void fault_setup(void)
{
	char start[32], end[32];
	bool ranged;
	unsigned int i;

	ranged = read_file("/sys/module/ionode/sections/.text", start,
			   sizeof(start)) == 0 &&
		 read_file("/sys/module/ionode/sections/.data", end,
			   sizeof(end)) == 0 &&
		 access("/sys/kernel/debug/failslab/require-start", W_OK) == 0;
	igt_info("injecting %s\n", ranged ? "into ionode's call chains only" :
		 "into this process's allocations (no stack-trace filter)");

	for (i = 0; i < 2; i++) {
		const char *t = fail_types[i];
		char budget[32];

		fault_set(t, "probability", "0");
		fault_set(t, "task-filter", "Y");
		fault_set(t, "verbose", "0");
		fault_set(t, "space", "0");
		fault_set(t, "ignore-gfp-wait", "N");
		if (!strcmp(t, "fail_page_alloc"))
			fault_set(t, "ignore-gfp-highmem", "N");
		if (ranged) {
			fault_set(t, "require-start", start);
			fault_set(t, "require-end", end);
			fault_set(t, "stacktrace-depth", "32");
		}
		snprintf(budget, sizeof(budget), "%lld", FAULT_BUDGET);
		fault_set(t, "times", budget);
		fault_set(t, "interval", "1");
		fault_set(t, "probability", "100");
	}
}

static void fault_teardown(void)
{
	arm(false);
	write_file("/sys/kernel/debug/failslab/probability", "0");
	write_file("/sys/kernel/debug/fail_page_alloc/probability", "0");
}

static void set_interval(unsigned int interval)
{
	char buf[16];
	unsigned int i;

	snprintf(buf, sizeof(buf), "%u", interval);
	for (i = 0; i < 2; i++)
		fault_set(fail_types[i], "interval", buf);
}

/*
 * Under injection any errno is a correct answer except those that would
 * mean a failure path left the object or the arguments in a bad state.
 */
static void check_errno(const char *what, int ret, int err)
{
	if (!ret)
		return;
	igt_assert_f(err != EINVAL && err != ENOENT && err != EBADF &&
		     err != EFAULT,
		     "%s failed with %s under fault injection\n", what,
		     igt_errno_name(err));
}

/* Kernel reports logged after our marker in /dev/kmsg. */
static const char kmsg_marker[] = "ionode_fault: injection starts";
static const char *const report_words[] = {
	"Oops", "BUG:", "WARNING:", "KASAN", "general protection fault",
	"possible recursive locking", "circular locking", "DMA-API",
};

static void kmsg_mark(void)
{
	igt_assert_eq(write_file("/dev/kmsg", kmsg_marker), 0);
}

static int kmsg_reports(void)
{
	int f = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), reports = 0;
	bool after = false;
	char line[8192];
	ssize_t n;

	igt_assert(f >= 0);
	while ((n = read(f, line, sizeof(line) - 1)) != 0) {
		unsigned int i;

		if (n < 0) {
			if (errno == EPIPE)
				continue;	/* overwritten records */
			break;			/* EAGAIN: the end */
		}
		line[n] = '\0';
		if (strstr(line, kmsg_marker)) {
			after = true;
			continue;
		}
		for (i = 0; after && i < sizeof(report_words) / sizeof(*report_words); i++)
			if (strstr(line, report_words[i])) {
				igt_warn("kernel: %s", line);
				reports++;
				break;
			}
	}
	close(f);
	return reports;
}

/**
 * struct live - a buffer alive across iterations
 * @handle: GEM handle in fd, 0 if none.
 * @dmabuf: exported fd, -1 if none.
 * @size: its size.
 */
struct live {
	uint32_t handle;
	int dmabuf;
	uint64_t size;
};

static struct live live[MAX_LIVE];

static void drop(struct live *l)
{
	if (l->handle)
		ionode_bo_close(fd, l->handle);
	if (l->dmabuf >= 0)
		close(l->dmabuf);
	l->handle = 0;
	l->dmabuf = -1;
}

/* An ioctl issued with injection armed; 0, or -1 after check_errno(). */
static int armed_ioctl(int f, unsigned long req, void *arg, const char *what)
{
	int ret;

	arm(true);
	ret = ioctl(f, req, arg);
	arm(false);
	check_errno(what, ret, errno);
	return ret ? -1 : 0;
}

/* DRM_IOCTL_IONODE_CREATE with injection armed; 0 or -1 (errno checked). */
static int armed_create(struct drm_ionode_create *c)
{
	int ret;

	arm(true);
	ret = drmIoctl(fd, DRM_IOCTL_IONODE_CREATE, c);
	arm(false);
	check_errno("create", ret, errno);
	return ret ? -1 : 0;
}

/* PRIME export with injection armed; 0 or -1 (errno checked). */
static int armed_export(uint32_t handle, int *dmabuf)
{
	int ret;

	arm(true);
	ret = drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, dmabuf);
	arm(false);
	check_errno("export", ret, errno);
	return ret ? -1 : 0;
}

static int m2m_fmt(int vfd, uint32_t type)
{
	struct v4l2_format f = { .type = type };

	f.fmt.pix.width = M2M_W;
	f.fmt.pix.height = M2M_H;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_GREY;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	return armed_ioctl(vfd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT");
}

static int m2m_reqbufs(int vfd, uint32_t type, uint32_t memory)
{
	struct v4l2_requestbuffers rb = {
		.count = 1, .type = type, .memory = memory,
	};

	return armed_ioctl(vfd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS");
}

static int m2m_qbuf(int vfd, uint32_t type, uint32_t memory, int dmabuf,
		    uint32_t bytesused)
{
	struct v4l2_buffer b = v4l2_buf(type, memory, 0);

	b.m.fd = dmabuf;
	b.bytesused = bytesused;
	return armed_ioctl(vfd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
}

/* The frame's first M2M_SIZE bytes: 255 - 0, the OUTPUT buffer is new. */
static void m2m_check(const uint8_t *p)
{
	unsigned int i;

	for (i = 0; i < M2M_SIZE; i++)
		igt_assert_f(p[i] == 0xff, "CAPTURE byte %u is %#x, not 0xff\n",
			     i, p[i]);
}

/*
 * A frame through the test device: @in (a new, zeroed buffer of at least a
 * page) as the OUTPUT buffer; as CAPTURE buffer either a second ionode
 * buffer from @heap or the device's own MMAP buffer. Every step that can
 * allocate runs armed; when they all succeed the frame must be right.
 */
static void m2m_round(struct live *in, const struct drm_ionode_heap_info *heap)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct drm_ionode_create c = {
		.size = M2M_SIZE, .heap_mask = 1ull << heap->id,
		.flags = IONODE_BO_CACHED,
	};
	uint32_t cmem = rnd(2) ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	struct v4l2_buffer b;
	struct pollfd pfd;
	int vfd, out = -1, ret;
	uint8_t *p;

	m2m_rounds++;
	if (armed_export(in->handle, &in->dmabuf)) {
		in->dmabuf = -1;
		return;
	}
	if (cmem == V4L2_MEMORY_DMABUF) {
		if (armed_create(&c))
			return;
		ret = armed_export(c.handle, &out);
		ionode_bo_close(fd, c.handle);	/* the dma-buf keeps it */
		if (ret)
			return;
	}

	arm(true);
	vfd = open(m2m_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	arm(false);
	check_errno("open", vfd < 0 ? -1 : 0, errno);
	if (vfd < 0)
		goto out;
	if (m2m_fmt(vfd, O) || m2m_fmt(vfd, C) ||
	    m2m_reqbufs(vfd, O, V4L2_MEMORY_DMABUF) ||
	    m2m_reqbufs(vfd, C, cmem) ||
	    m2m_qbuf(vfd, O, V4L2_MEMORY_DMABUF, in->dmabuf, M2M_SIZE) ||
	    m2m_qbuf(vfd, C, cmem, out, 0) ||
	    armed_ioctl(vfd, VIDIOC_STREAMON, (int[]){ O }, "VIDIOC_STREAMON") ||
	    armed_ioctl(vfd, VIDIOC_STREAMON, (int[]){ C }, "VIDIOC_STREAMON"))
		goto close;

	pfd.fd = vfd;
	pfd.events = POLLIN;
	igt_assert_f(poll(&pfd, 1, M2M_TIMEOUT_MS) == 1,
		     "no frame within %d ms\n", M2M_TIMEOUT_MS);
	b = v4l2_buf(C, cmem, 0);
	if (armed_ioctl(vfd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF"))
		goto close;
	igt_assert_f(!(b.flags & V4L2_BUF_FLAG_ERROR),
		     "the frame came back with V4L2_BUF_FLAG_ERROR\n");
	igt_assert_eq(b.bytesused, M2M_SIZE);

	if (cmem == V4L2_MEMORY_DMABUF) {
		p = mmap(NULL, M2M_SIZE, PROT_READ, MAP_SHARED, out, 0);
	} else {
		b = v4l2_buf(C, cmem, 0);
		igt_assert_eq(ioctl(vfd, VIDIOC_QUERYBUF, &b), 0);
		p = mmap(NULL, M2M_SIZE, PROT_READ, MAP_SHARED, vfd,
			 b.m.offset);
	}
	igt_assert_f(p != MAP_FAILED, "mmap of the frame: %s\n",
		     igt_errno_name(errno));
	m2m_check(p);
	munmap(p, M2M_SIZE);
	m2m_frames++;
close:
	close(vfd);
out:
	if (out >= 0)
		close(out);
}

static void step(void)
{
	struct live *l = &live[rnd(MAX_LIVE)];
	const struct drm_ionode_heap_info *heap = &heaps.info[rnd(heaps.count)];
	struct drm_ionode_create c = { 0 };
	int ret;

	drop(l);
	set_interval(1 + rnd(8));

	c.size = (uint64_t)(1 + rnd(256)) * ionode_page_size();
	if (c.size > heap->max_alloc)
		c.size = heap->max_alloc;
	c.heap_mask = 1ull << heap->id;
	c.flags = rnd(2) ? IONODE_BO_CACHED : 0;
	if (armed_create(&c))
		return;
	l->handle = c.handle;
	l->size = c.size;

	switch (rnd(5)) {
	case 0: {	/* export, import into a second client, sync */
		uint32_t h2;
		int dmabuf;

		if (armed_export(l->handle, &dmabuf))
			break;
		l->dmabuf = dmabuf;
		arm(true);
		ret = drmPrimeFDToHandle(fd2, dmabuf, &h2);
		arm(false);
		check_errno("import", ret, errno);
		if (!ret)
			ionode_bo_close(fd2, h2);
		break;
	}
	case 1: {	/* map through the DRM fd, touch outside injection */
		struct drm_ionode_map_offset mo = { .handle = l->handle };
		void *p;

		arm(true);
		ret = drmIoctl(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo);
		p = ret ? MAP_FAILED : mmap(NULL, l->size, PROT_READ | PROT_WRITE,
					    MAP_SHARED, fd, mo.offset);
		arm(false);
		check_errno("map offset", ret, errno);
		if (ret)
			break;
		if (p == MAP_FAILED) {
			check_errno("mmap", -1, errno);
			break;
		}
		memset(p, 0x5a, l->size);
		munmap(p, l->size);
		break;
	}
	case 2: {	/* CPU-access sync on the dma-buf */
		struct dma_buf_sync s = {
			.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		};
		int dmabuf;

		ret = drmPrimeHandleToFD(fd, l->handle, DRM_CLOEXEC | DRM_RDWR,
					 &dmabuf);
		igt_assert_eq(ret, 0);
		l->dmabuf = dmabuf;
		arm(true);
		ret = ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
		if (!ret) {
			s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
			ret = ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
		}
		arm(false);
		check_errno("sync", ret, errno);
		break;
	}
	case 3:		/* a frame through the V4L2 test device */
		if (m2m_path[0])
			m2m_round(l, heap);
		break;
	default:	/* keep it alive for a while */
		break;
	}
}

/* Number of kmemleak reports whose backtrace names ionode. */
static int ionode_leaks(void)
{
	static char buf[1 << 20];
	int leaks = 0, f;
	char *obj;
	ssize_t n;

	igt_assert_eq(write_file("/sys/kernel/debug/kmemleak", "scan"), 0);
	sleep(1);
	igt_assert_eq(write_file("/sys/kernel/debug/kmemleak", "scan"), 0);
	f = open("/sys/kernel/debug/kmemleak", O_RDONLY);
	igt_assert(f >= 0);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	igt_assert(n >= 0);
	buf[n] = '\0';

	for (obj = strstr(buf, "unreferenced object"); obj;) {
		char *next = strstr(obj + 1, "unreferenced object");

		if (next)
			*next = '\0';
		if (strstr(obj, "ionode")) {
			igt_warn("kmemleak:\n%s\n", obj);
			leaks++;
		}
		if (next)
			*next = 'u';
		obj = next;
	}
	return leaks;
}

igt_main
{
	igt_fixture {
		igt_require_f(access("/sys/kernel/debug/failslab", F_OK) == 0 &&
			      access("/sys/kernel/debug/fail_page_alloc", F_OK) == 0,
			      "no failslab/fail_page_alloc in debugfs: needs the full debug kernel (make check KERNEL=full)\n");
		fd = igt_ionode_open();
		fd2 = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		if (!find_video("ionode_v4l2", "ionode-m2m", V4L2_CAP_VIDEO_M2M,
				m2m_path, sizeof(m2m_path)))
			m2m_path[0] = '\0';
	}

	igt_subtest("ioctls-under-fault-injection") {
		const char *seed_env = getenv("IONODE_SEED");
		const char *iters_env = getenv("IONODE_FAULT_ITERS");
		unsigned long long seed = seed_env ? strtoull(seed_env, NULL, 0) :
					  0x10de;
		unsigned int iters = iters_env ? atoi(iters_env) : 2000;
		unsigned int i;
		long long count;
		bool kmemleak = access("/sys/kernel/debug/kmemleak", F_OK) == 0;
		int leaks = 0, oopses;

		rng = seed;
		for (i = 0; i < MAX_LIVE; i++)
			live[i].dmabuf = -1;
		igt_assert_eq_u64(ionode_total_used(fd), 0);
		if (kmemleak)
			write_file("/sys/kernel/debug/kmemleak", "clear");

		kmsg_mark();
		fault_setup();
		injected_before = injected();
		for (i = 0; i < iters; i++)
			step();
		count = injected() - injected_before;
		fault_teardown();

		for (i = 0; i < MAX_LIVE; i++)
			drop(&live[i]);
		igt_assert_eq_u64(ionode_total_used(fd), 0);
		if (kmemleak)
			leaks = ionode_leaks();
		oopses = kmsg_reports();
		igt_info("V4L2 rounds: %u, %u frames through (%s)\n",
			 m2m_rounds, m2m_frames,
			 m2m_path[0] ? m2m_path : "no ionode-m2m device");
		igt_info("fault injection: %u iterations, %lld injected failures, %d oopses, %d leaks (seed %#llx)%s\n",
			 iters, count, oopses, leaks, seed,
			 kmemleak ? "" : " [no kmemleak in this kernel]");
		igt_assert_f(count > 0, "no failure was injected\n");
		igt_assert_f(!m2m_path[0] || m2m_frames > 0,
			     "no frame made it through the V4L2 test device\n");
		igt_assert_eq(oopses, 0);
		igt_assert_eq(leaks, 0);
	}

	igt_fixture {
		fault_teardown();
		ionode_put_heaps(&heaps);
		close(fd2);
		close(fd);
	}
}
