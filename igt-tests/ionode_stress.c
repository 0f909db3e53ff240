// SPDX-License-Identifier: MIT
/*
 * ionode_stress - ionode under concurrent, hostile use.
 *
 * create-close-race: threads creating buffers while others GEM_CLOSE the
 *	handles they are about to get (handles are predictable: the lowest
 *	free id). CREATE must never touch the object once its handle is
 *	visible, and its reply must always describe the buffer it made.
 * hammer: threads of several processes sharing one DRM fd (and so one
 *	handle space) race create, close, PRIME export and import (ionode's
 *	and vgem's dma-bufs), mmap through the DRM fd and the dma-buf,
 *	DMA_BUF_IOCTL_SYNC, BO_INFO, MAP_OFFSET, QUERY_HEAPS, fd passing over
 *	a Unix socket and reopening the device, with random and hostile
 *	arguments. Every errno must be one the ABI allows; afterwards every
 *	heap's used_bytes is back where it was and debugfs lists none of the
 *	test's clients.
 * hammer-unprivileged: the same with carveout0 restricted and the child
 *	processes as uid 1000: they get EPERM, never a carveout0 buffer, from
 *	a CREATE naming carveout0, yet use root's carveout0 buffers.
 *
 * IONODE_SEED=N reproduces a run's random choices (each worker draws from
 * its own generator seeded from N; the interleaving is the scheduler's).
 * IONODE_STRESS_SECONDS sets each subtest's duration (default 20 s for the
 * race, 15 s for each hammer).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "igt_stress.h"
#include "ionode_test.h"

#define KiB		1024ull
#define RW		(PROT_READ | PROT_WRITE)

static int fd = -1;
static struct ionode_heaps heaps;
static uint64_t seed;
static size_t page;

static double seconds(double dflt)
{
	const char *s = getenv("IONODE_STRESS_SECONDS");

	return s && atof(s) > 0 ? atof(s) : dflt;
}

/* ---- heap accounting and debugfs ---------------------------------------- */

/*
 * No open DRM file and no ionode client with buffers belongs to any of
 * @pids (processes that have exited), and @self holds @self_files files.
 */
static void assert_no_clients(const pid_t *pids, int n, int self_files)
{
	int i;

	if (ionode_debugfs_lines_of("clients", getpid()) < 0) {
		igt_info("debugfs not available: client lists not checked\n");
		return;
	}
	for (i = 0; i < n; i++) {
		igt_assert_f(ionode_debugfs_lines_of("clients", pids[i]) == 0,
			     "DRM clients still lists pid %d\n", pids[i]);
		igt_assert_f(ionode_debugfs_lines_of("ionode_clients", pids[i]) == 0,
			     "ionode_clients still lists pid %d\n", pids[i]);
	}
	igt_assert_eq(ionode_debugfs_lines_of("clients", getpid()), self_files);
	igt_assert_eq(ionode_debugfs_lines_of("ionode_clients", getpid()), 0);
}

/* ---- create-close-race -------------------------------------------------- */

static struct {
	int fd;
	double end;
	uint32_t heap;
	atomic_ulong creates, stolen;
} race;

#define RACE_HANDLES	2
#define PREEMPT_CTL	"/sys/kernel/debug/sched/preempt"

/*
 * CREATE's window is a few instructions long: a closer on another CPU
 * rarely lands in it by timing alone, but a closer on the same CPU does
 * whenever the creator is preempted inside it. With PREEMPT_DYNAMIC (the
 * stock kernel) the race switches the kernel to full preemption for its
 * duration, and each CPU runs a creator and a closer.
 */
static char saved_preempt[32];

static void preempt_full(void)
{
	char buf[128], *open_p, *close_p;

	if (read_text(PREEMPT_CTL, buf, sizeof(buf)) ||
	    !(open_p = strchr(buf, '(')) || !(close_p = strchr(open_p, ')')))
		return;
	snprintf(saved_preempt, sizeof(saved_preempt), "%.*s",
		 (int)(close_p - open_p - 1), open_p + 1);
	if (write_text(PREEMPT_CTL, "full"))
		saved_preempt[0] = '\0';
	else
		igt_info("kernel preemption: full (was %s)\n", saved_preempt);
}

static void preempt_restore(void)
{
	if (saved_preempt[0])
		igt_assert_eq(write_text(PREEMPT_CTL, saved_preempt), 0);
	saved_preempt[0] = '\0';
}

/* Runs the calling thread on CPU @i modulo the CPUs it may use. */
static void pin(int i)
{
	cpu_set_t all, one;
	int n = 0, cpu;

	if (sched_getaffinity(0, sizeof(all), &all))
		return;
	i %= CPU_COUNT(&all);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all) && n++ == i)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static void *race_creator(void *arg)
{
	unsigned long i;

	pin((int)(uintptr_t)arg);
	for (i = 0; stress_failed() == 0; i++) {
		struct drm_ionode_create c = {
			.size = 4 * KiB, .heap_mask = 1ull << race.heap,
		};
		struct drm_gem_close gc = { 0 };

		if ((i & 31) == 0 && stress_now() > race.end)
			break;
		if (drmIoctl(race.fd, DRM_IOCTL_IONODE_CREATE, &c)) {
			stress_expect(0, "CREATE of 4 KiB failed: %s\n",
			       igt_errno_name(errno));
			break;
		}
		stress_expect(c.size == 4 * KiB && c.heap_id == race.heap &&
		       c.handle != 0 && c.pad == 0,
		       "CREATE returned 0 with a garbage reply: size %llu, "
		       "heap %u (expected %u), handle %u\n",
		       (unsigned long long)c.size, c.heap_id, race.heap,
		       c.handle);
		atomic_fetch_add(&race.creates, 1);
		/*
		 * Handles 1 and 2 are the closers' to close: they spin on
		 * them, so they close a new one right after CREATE makes it
		 * visible, inside CREATE. Beyond those (the closers fell
		 * behind) a creator closes its own.
		 */
		if (c.handle <= RACE_HANDLES)
			continue;
		gc.handle = c.handle;
		if (drmIoctl(race.fd, DRM_IOCTL_GEM_CLOSE, &gc))
			stress_expect(errno == EINVAL, "GEM_CLOSE: %s\n",
			       igt_errno_name(errno));
	}
	return stress_thread_done();
}

static void *race_closer(void *arg)
{
	unsigned long i;

	pin((int)(uintptr_t)arg);	/* beside a creator */
	for (i = 0; stress_failed() == 0; i++) {
		struct drm_gem_close gc = { .handle = 1 + i % RACE_HANDLES };

		if ((i & 255) == 0 && stress_now() > race.end)
			break;
		if (drmIoctl(race.fd, DRM_IOCTL_GEM_CLOSE, &gc) == 0)
			atomic_fetch_add(&race.stolen, 1);
		else
			stress_expect(errno == EINVAL, "GEM_CLOSE: %s\n",
			       igt_errno_name(errno));
	}
	return stress_thread_done();
}

/*
 * Two threads create 4 KiB system buffers on one fd while two others spin
 * closing handles 1 and 2, which the creators leave to them (one of each
 * per CPU, under full preemption when the kernel can switch to it): a new
 * handle is closed, and its object freed, as soon as CREATE makes it
 * visible, often before CREATE returns. Every successful CREATE must
 * report 4 KiB and the system heap, no thread may die in the kernel, and
 * once the fd is closed the heap is back where it was.
 */
static void test_create_close_race(void)
{
	pthread_t t[4];
	struct ionode_usage before;
	int mfd = igt_ionode_open(), i;

	before = ionode_usage_now(mfd);
	stress_reset();
	race.fd = fd;
	race.heap = ionode_heap(&heaps, "system")->id;
	preempt_full();
	race.end = stress_now() + seconds(20);
	atomic_store(&race.creates, 0);
	atomic_store(&race.stolen, 0);
	for (i = 0; i < 4; i++)
		igt_assert_eq(pthread_create(&t[i], NULL,
					     i < 2 ? race_creator : race_closer,
					     (void *)(uintptr_t)(i % 2)), 0);
	stress_join(t, 4, race.end);	/* a failure restores in the fixture */
	preempt_restore();
	igt_info("%lu creates, %lu handles closed by another thread\n",
		 atomic_load(&race.creates), atomic_load(&race.stolen));
	stress_assert_ok();
	igt_assert(atomic_load(&race.stolen) > 0);

	ionode_fresh_fd(&fd);
	ionode_assert_usage_back(mfd, &before);
	close(mfd);
}

/* ---- hammer -------------------------------------------------------------- */

#define PROCS		3	/* this one and two children */
#define THREADS		2	/* per process */
#define MAX_OWN		16
#define MAX_BUFS	8

#define N_OPS		16	/* entries of ops[], below the operations */

/*
 * hammer-unprivileged: carveout0 is restricted and the child processes
 * run as uid/gid 1000 (this one stays root).
 */
#define USER_ID		1000
static bool unprivileged;	/* this process is USER_ID */
static uint64_t restricted;	/* heaps restricted for the hammer */
static char saved_restricted[256];
static bool restricted_saved;

static void restore_restricted(void)
{
	if (restricted_saved)
		ionode_param_set("restricted_heaps", saved_restricted);
	restricted_saved = false;
	restricted = 0;
}

/* Per process, shared by its threads. */
static struct {
	double end;
	int vgem;		/* vgem's card node, or -1 */
	int sock[2];		/* SOCK_DGRAM pair shared by every process */
	atomic_ulong ops[N_OPS], ok[N_OPS];
} hammer;

struct worker {
	uint64_t rng;
	int priv;		/* this worker's own ionode fd, or -1 */
	uint32_t own[MAX_OWN];	/* handles it created on the shared fd */
	int n_own;
	int bufs[MAX_BUFS];	/* dma-buf fds, ionode's or vgem's */
	int n_bufs;
};

/* Set by an operation that got through to the buffer (counted in ok[]). */
static _Thread_local bool op_ok;

static bool errno_in(int err, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (err == ok[i])
			return true;
	return false;
}

/* An ioctl that must succeed or fail with one of the listed errnos. */
#define try_ioctl(f, req, arg, ...) ({ \
	const int __ok[] = { __VA_ARGS__ }; \
	int __r = drmIoctl((f), (req), (arg)); \
	if (__r) \
		stress_expect(errno_in(errno, __ok, sizeof(__ok) / sizeof(int)), \
		       "%s:%d: " #req ": unexpected %s\n", __func__, \
		       __LINE__, igt_errno_name(errno)); \
	__r; \
})

/* An ioctl that must fail with exactly @err. */
#define bad_ioctl(f, req, arg, err) do { \
	int __r = drmIoctl((f), (req), (arg)); \
	stress_expect(__r == -1 && errno == (err), "%s:%d: " #req ": expected %s, " \
	       "got %d (%s)\n", __func__, __LINE__, igt_errno_name(err), __r, \
	       __r ? igt_errno_name(errno) : "success"); \
} while (0)

static int pick_fd(struct worker *w)
{
	return w->priv >= 0 && stress_rndn(&w->rng, 3) == 0 ? w->priv : fd;
}

/* A handle of the shared fd: one of ours, or any small number. */
static uint32_t pick_handle(struct worker *w)
{
	if (w->n_own && stress_rndn(&w->rng, 4))
		return w->own[stress_rndn(&w->rng, w->n_own)];
	return stress_rndn(&w->rng, 48);
}

static void keep_buf(struct worker *w, int dfd)
{
	if (w->n_bufs == MAX_BUFS) {
		close(w->bufs[0]);
		memmove(&w->bufs[0], &w->bufs[1], sizeof(w->bufs[0]) * (MAX_BUFS - 1));
		w->n_bufs--;
	}
	w->bufs[w->n_bufs++] = dfd;
}

/* One of the worker's dma-buf fds, or -1. */
static int pick_buf(struct worker *w)
{
	return w->n_bufs ? w->bufs[stress_rndn(&w->rng, w->n_bufs)] : -1;
}

/* Is ionode the dma-buf's exporter (its fdinfo's exp_name)? */
static bool ionode_exported(int dfd)
{
	char path[64], text[1024];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", dfd);
	return read_text(path, text, sizeof(text)) == 0 &&
	       strstr(text, "exp_name:\tionode\n") != NULL;
}

/* Reads (and writes, if @write) a word in every page of @len bytes at @p. */
static void touch(void *p, size_t len, uint32_t val, bool write)
{
	volatile uint32_t *q;
	size_t off;

	for (off = 0; off < len; off += page) {
		q = (volatile uint32_t *)((char *)p + off);
		if (write)
			*q = val;
		(void)*q;
	}
}

static void op_create(struct worker *w)
{
	static const uint64_t sizes[] = { 4 * KiB, 8 * KiB, 12 * KiB,
					  64 * KiB, 256 * KiB };
	uint64_t all = ionode_all_heaps_mask(&heaps);
	struct drm_ionode_create c = {
		.size = stress_rndn(&w->rng, 2) ? sizes[stress_rndn(&w->rng, 5)] :
			1 + stress_rndn(&w->rng, 256 * KiB),
		.heap_mask = stress_rnd(&w->rng) & all,
		.flags = stress_rndn(&w->rng, 4) ? IONODE_BO_CACHED * stress_rndn(&w->rng, 2) :
			IONODE_BO_CONTIGUOUS,
	};
	uint64_t want = ionode_round_page(c.size);
	int f = pick_fd(w), eperm;

	if (!c.heap_mask)
		c.heap_mask = all;
	/* EPERM only for the unprivileged, when a restricted heap is named. */
	eperm = unprivileged && (c.heap_mask & restricted) ? EPERM : ENOMEM;
	if (c.flags & IONODE_BO_CONTIGUOUS) {
		/* Heaps that cannot be contiguous: EINVAL when only they are named. */
		if (try_ioctl(f, DRM_IOCTL_IONODE_CREATE, &c, ENOMEM, EINVAL, E2BIG,
			      eperm))
			return;
	} else if (try_ioctl(f, DRM_IOCTL_IONODE_CREATE, &c, ENOMEM, eperm)) {
		return;
	}
	op_ok = true;
	stress_expect(!unprivileged || c.heap_id >= 64 ||
	       !(restricted & (1ull << c.heap_id)),
	       "uid %d got a buffer from restricted heap %u\n", USER_ID,
	       c.heap_id);
	stress_expect(c.size == want && c.handle && c.heap_id < 64 &&
	       (c.heap_mask & (1ull << c.heap_id)),
	       "CREATE reply: size %llu (want %llu), handle %u, heap %u not "
	       "in mask %#llx\n", (unsigned long long)c.size,
	       (unsigned long long)want, c.handle, c.heap_id,
	       (unsigned long long)c.heap_mask);
	if (f != fd)
		return;		/* the private fd's close frees it */
	if (w->n_own == MAX_OWN) {
		struct drm_gem_close gc = { .handle = w->own[0] };

		try_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc, EINVAL);
		memmove(&w->own[0], &w->own[1], sizeof(w->own[0]) * (MAX_OWN - 1));
		w->n_own--;
	}
	w->own[w->n_own++] = c.handle;
}

static void op_create_bad(struct worker *w)
{
	uint64_t all = ionode_all_heaps_mask(&heaps);
	struct drm_ionode_create c = { .size = 4 * KiB, .heap_mask = all };
	int err = EINVAL;

	switch (stress_rndn(&w->rng, 8)) {
	case 0: c.size = 0; break;
	case 1: c.size = ~0ull - stress_rndn(&w->rng, 4096); err = E2BIG; break;
	case 2: c.flags = 1u << (3 + stress_rndn(&w->rng, 29)); break;
	case 3: c.pad = 1 + stress_rndn(&w->rng, 1000); break;
	case 4: c.align = 3 + 2 * stress_rndn(&w->rng, 1000); break;
	case 5: c.heap_mask = 0; break;
	case 6: c.heap_mask = 1ull << (63 - stress_rndn(&w->rng, 64 - heaps.count)); break;
	default:
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_CREATE,
			  (void *)(uintptr_t)(1 + stress_rndn(&w->rng, 4095)), EFAULT);
		return;
	}
	bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_CREATE, &c, err);
}

/* GEM_CLOSE of a handle of ours, or (@any) of any number. */
static void close_handle(struct worker *w, bool any)
{
	struct drm_gem_close gc = { 0 };
	int i;

	if (!any && w->n_own) {
		i = stress_rndn(&w->rng, w->n_own);
		gc.handle = w->own[i];
		w->own[i] = w->own[--w->n_own];
	} else {
		gc.handle = stress_rndn(&w->rng, 8) ? stress_rndn(&w->rng, 48) : ~0u;
	}
	try_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc, EINVAL);
}

static void op_close(struct worker *w)
{
	close_handle(w, false);
}

static void op_close_any(struct worker *w)
{
	close_handle(w, true);
}

static void op_export(struct worker *w)
{
	struct drm_prime_handle p = {
		.handle = pick_handle(w),
		.flags = DRM_CLOEXEC | (stress_rndn(&w->rng, 4) ? DRM_RDWR : 0),
	};

	if (!stress_rndn(&w->rng, 16)) {
		p.flags = 0x100;
		bad_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, EINVAL);
		return;
	}
	if (try_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, ENOENT) == 0) {
		keep_buf(w, p.fd);
		op_ok = true;
	}
}

static void op_import(struct worker *w)
{
	struct drm_prime_handle p = { .fd = pick_buf(w) };
	int f = pick_fd(w);

	if (p.fd < 0 || !stress_rndn(&w->rng, 16)) {
		/* Not a dma-buf: a closed fd or a socket. */
		p.fd = stress_rndn(&w->rng, 2) ? -1 : hammer.sock[0];
		try_ioctl(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, EBADF, EINVAL);
		return;
	}
	if (try_ioctl(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p, ENOMEM))
		return;
	op_ok = true;
	if (f == fd && w->n_own < MAX_OWN && stress_rndn(&w->rng, 2))
		w->own[w->n_own++] = p.handle;
	else if (f == fd) {
		struct drm_gem_close gc = { .handle = p.handle };

		try_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc, EINVAL);
	}
}

/* BO_INFO, checking whatever it returns; 0 or -1. */
static int bo_info(int f, uint32_t handle, struct drm_ionode_bo_info *i)
{
	*i = (struct drm_ionode_bo_info){ .handle = handle };
	if (try_ioctl(f, DRM_IOCTL_IONODE_BO_INFO, i, ENOENT))
		return -1;
	stress_expect(i->size && i->size % page == 0 && i->pad2 == 0 &&
	       !(i->attrs & ~(IONODE_ATTR_CONTIGUOUS | IONODE_ATTR_IMPORTED |
			      IONODE_ATTR_EXPORTED)) &&
	       !(i->flags & ~IONODE_BO_FLAGS) &&
	       ((i->attrs & IONODE_ATTR_IMPORTED) ?
		i->heap_id == IONODE_HEAP_ID_NONE :
		ionode_heap_by_id(&heaps, i->heap_id) != NULL),
	       "BO_INFO of %u: size %llu heap %u flags %#x attrs %#x pad2 %u\n",
	       handle, (unsigned long long)i->size, i->heap_id, i->flags,
	       i->attrs, i->pad2);
	return 0;
}

static void op_mmap_drm(struct worker *w)
{
	struct drm_ionode_map_offset mo = { .handle = pick_handle(w) };
	struct drm_ionode_bo_info info;
	int f = fd;
	void *p;

	if (bo_info(fd, mo.handle, &info) ||
	    try_ioctl(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, ENOENT))
		return;
	/* Someone else's offset on the private fd: refused unless shared. */
	if (w->priv >= 0 && !stress_rndn(&w->rng, 8))
		f = w->priv;
	p = mmap(NULL, info.size, RW, MAP_SHARED, f, (off_t)mo.offset);
	if (p == MAP_FAILED) {
		/*
		 * The handle may name another (smaller) buffer by now, or
		 * none: the offset then belongs to a buffer this file no
		 * longer holds (EACCES), as the private fd's may; an
		 * imported one is mapped by its exporter, which may refuse.
		 */
		stress_expect(errno == EINVAL || errno == EACCES ||
		       (info.attrs & IONODE_ATTR_IMPORTED),
		       "mmap of a DRM offset: %s\n", igt_errno_name(errno));
		return;
	}
	touch(p, info.size, (uint32_t)stress_rnd(&w->rng), true);
	op_ok = true;
	munmap(p, info.size);
	/* Copy-on-write mappings of ionode's own buffers are refused. */
	p = mmap(NULL, page, RW, MAP_PRIVATE, fd, (off_t)mo.offset);
	if (p == MAP_FAILED)
		return;
	munmap(p, page);
	stress_expect(bo_info(fd, mo.handle, &info) || (info.attrs & IONODE_ATTR_IMPORTED),
	       "MAP_PRIVATE of the DRM offset of %u succeeded\n", mo.handle);
}

static uint64_t sync_flags(struct worker *w, uint64_t start_end)
{
	static const uint64_t rw[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE,
				       DMA_BUF_SYNC_RW };

	return start_end | rw[stress_rndn(&w->rng, 3)];
}

static void op_mmap_dmabuf(struct worker *w)
{
	int b = pick_buf(w);
	struct dma_buf_sync s;
	bool writable;
	off_t size;
	void *p;

	if (b < 0)
		return;
	size = lseek(b, 0, SEEK_END);
	stress_expect(size > 0 && size % (off_t)page == 0, "dma-buf size %lld\n",
	       (long long)size);
	if (size <= 0)
		return;
	if (!stress_rndn(&w->rng, 8)) {
		/* Past the end, or copy-on-write: refused. */
		bool past = stress_rndn(&w->rng, 2);

		p = mmap(NULL, page, RW, past ? MAP_SHARED : MAP_PRIVATE, b,
			 past ? size : 0);
		stress_expect(p == MAP_FAILED || !ionode_exported(b),
		       "hostile mmap of an ionode dma-buf succeeded\n");
		if (p != MAP_FAILED)
			munmap(p, page);
		return;
	}
	/* Exported without DRM_RDWR: read-only, PROT_WRITE is EACCES. */
	writable = (fcntl(b, F_GETFL) & O_ACCMODE) == O_RDWR;
	p = mmap(NULL, (size_t)size, writable ? RW : PROT_READ, MAP_SHARED, b, 0);
	if (p == MAP_FAILED) {
		stress_expect(!ionode_exported(b), "mmap of an ionode dma-buf: %s\n",
		       igt_errno_name(errno));
		return;
	}
	s.flags = sync_flags(w, DMA_BUF_SYNC_START);
	try_ioctl(b, DMA_BUF_IOCTL_SYNC, &s, EINVAL);
	touch(p, (size_t)size, (uint32_t)stress_rnd(&w->rng), writable);
	op_ok = true;
	s.flags = sync_flags(w, DMA_BUF_SYNC_END);
	try_ioctl(b, DMA_BUF_IOCTL_SYNC, &s, EINVAL);
	munmap(p, (size_t)size);
}

static void op_sync(struct worker *w)
{
	int b = pick_buf(w);
	struct dma_buf_sync s;

	if (b < 0)
		return;
	switch (stress_rndn(&w->rng, 4)) {
	case 0:	/* unknown bits, or no direction */
		s.flags = stress_rndn(&w->rng, 2) ? 1ull << (3 + stress_rndn(&w->rng, 61)) :
			DMA_BUF_SYNC_END;
		bad_ioctl(b, DMA_BUF_IOCTL_SYNC, &s, EINVAL);
		break;
	default: /* a bracket, possibly unbalanced by other threads */
		s.flags = sync_flags(w, DMA_BUF_SYNC_START);
		try_ioctl(b, DMA_BUF_IOCTL_SYNC, &s, EINVAL);
		s.flags = sync_flags(w, DMA_BUF_SYNC_END);
		try_ioctl(b, DMA_BUF_IOCTL_SYNC, &s, EINVAL);
	}
}

static void op_bo_info(struct worker *w)
{
	struct drm_ionode_bo_info i = { .handle = pick_handle(w) };

	if (stress_rndn(&w->rng, 8)) {
		bo_info(pick_fd(w), i.handle, &i);
		return;
	}
	i.pad = 1 + stress_rndn(&w->rng, 100);
	bad_ioctl(fd, DRM_IOCTL_IONODE_BO_INFO, &i, EINVAL);
}

static void op_query(struct worker *w)
{
	struct drm_ionode_heap_info info[IONODE_MAX_HEAPS];
	struct drm_ionode_query_heaps q = { 0 };
	uint32_t n = heaps.count, i;

	switch (stress_rndn(&w->rng, 5)) {
	case 0:
		q.count = n;
		q.elem_size = sizeof(info[0]);
		q.heaps = 1 + stress_rndn(&w->rng, 4095);	/* (void *)1 and friends */
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EFAULT);
		return;
	case 1:
		q.count = n;
		q.elem_size = 1 + stress_rndn(&w->rng, 79);
		q.heaps = (uintptr_t)info;
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EINVAL);
		return;
	case 2:
		if (n > 1) {
			q.count = n - 1;
			q.elem_size = sizeof(info[0]);
			q.heaps = (uintptr_t)info;
			bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_QUERY_HEAPS, &q,
				  ENOSPC);
			stress_expect(q.count == n, "QUERY_HEAPS ENOSPC count %u\n",
			       q.count);
		}
		return;
	default:
		q.count = n;
		q.elem_size = sizeof(info[0]);
		q.heaps = (uintptr_t)info;
		if (try_ioctl(pick_fd(w), DRM_IOCTL_IONODE_QUERY_HEAPS, &q, 0))
			return;
		for (i = 0; i < n; i++)
			stress_expect(info[i].total_bytes == IONODE_SIZE_UNKNOWN ||
			       info[i].used_bytes <= info[i].total_bytes,
			       "heap %s: used %llu > total %llu\n", info[i].name,
			       (unsigned long long)info[i].used_bytes,
			       (unsigned long long)info[i].total_bytes);
	}
}

/* A vgem dumb buffer exported as a dma-buf (vgem's handle closed). */
static void op_vgem(struct worker *w)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = 1 + stress_rndn(&w->rng, 16), .bpp = 32,
	};
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_gem_close gc = { 0 };

	if (hammer.vgem < 0 ||
	    try_ioctl(hammer.vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c, ENOMEM))
		return;
	p.handle = c.handle;
	if (try_ioctl(hammer.vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p, ENOMEM) == 0) {
		keep_buf(w, p.fd);
		op_ok = true;
	}
	gc.handle = c.handle;
	try_ioctl(hammer.vgem, DRM_IOCTL_GEM_CLOSE, &gc, 0);
}

static void op_send(struct worker *w)
{
	char ctrl[CMSG_SPACE(sizeof(int))] = { 0 };
	int b = pick_buf(w);
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (b < 0)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &b, sizeof(int));
	op_ok = sendmsg(hammer.sock[0], &m, MSG_DONTWAIT) == 1;
	if (!op_ok)
		stress_expect(errno == EAGAIN || errno == ENOBUFS ||
		       errno == ETOOMANYREFS, "sendmsg: %s\n",
		       igt_errno_name(errno));
}

static void op_recv(struct worker *w)
{
	char ctrl[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	struct cmsghdr *c;
	int rfd;

	if (recvmsg(hammer.sock[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1) {
		stress_expect(errno == EAGAIN, "recvmsg: %s\n", igt_errno_name(errno));
		return;
	}
	c = CMSG_FIRSTHDR(&m);
	stress_expect(c && c->cmsg_type == SCM_RIGHTS && !(m.msg_flags & MSG_CTRUNC),
	       "a message without its fd\n");
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&rfd, CMSG_DATA(c), sizeof(int));
	keep_buf(w, rfd);
	op_ok = true;
}

static void op_reopen(struct worker *w)
{
	if (w->priv >= 0)
		close(w->priv);	/* frees every buffer only it held */
	w->priv = ionode_open();
	/*
	 * Without udev the render node is root's alone (libionode then finds
	 * no node it can identify: ENODEV).
	 */
	stress_expect(w->priv >= 0 || (unprivileged && (w->priv == -EACCES ||
						  w->priv == -ENODEV)),
	       "reopening ionode: %s\n", igt_errno_name(-w->priv));
	w->priv = w->priv < 0 ? -1 : w->priv;
}

static void op_bad_ptr(struct worker *w)
{
	void *bad = (void *)(uintptr_t)(stress_rndn(&w->rng, 2) ? 1 : 0xfff0);

	switch (stress_rndn(&w->rng, 4)) {
	case 0:
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_BO_INFO, bad, EFAULT);
		break;
	case 1:
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_MAP_OFFSET, bad, EFAULT);
		break;
	case 2:
		bad_ioctl(pick_fd(w), DRM_IOCTL_IONODE_QUERY_HEAPS, bad, EFAULT);
		break;
	default: {
		struct drm_ionode_map_offset mo = { .handle = pick_handle(w),
						    .pad = 1 };

		bad_ioctl(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, EINVAL);
	}
	}
}

static const struct {
	const char *name;
	void (*run)(struct worker *w);
} ops[N_OPS] = {
	{ "create", op_create }, { "create-bad", op_create_bad },
	{ "close", op_close }, { "close-any", op_close_any },
	{ "export", op_export }, { "import", op_import },
	{ "mmap-drm", op_mmap_drm }, { "mmap-dmabuf", op_mmap_dmabuf },
	{ "sync", op_sync }, { "bo-info", op_bo_info }, { "query", op_query },
	{ "vgem", op_vgem }, { "send", op_send }, { "recv", op_recv },
	{ "reopen", op_reopen }, { "bad-ptr", op_bad_ptr },
};

static void *hammer_worker(void *arg)
{
	struct worker w = { .rng = (uint64_t)(uintptr_t)arg, .priv = -1 };
	unsigned long n;
	int i;

	for (n = 0; stress_failed() == 0; n++) {
		uint32_t op = stress_rndn(&w.rng, N_OPS);

		if ((n & 15) == 0 && stress_now() > hammer.end)
			break;
		atomic_fetch_add(&hammer.ops[op], 1);
		op_ok = false;
		ops[op].run(&w);
		if (op_ok)
			atomic_fetch_add(&hammer.ok[op], 1);
	}
	for (i = 0; i < w.n_bufs; i++)
		close(w.bufs[i]);
	if (w.priv >= 0)
		close(w.priv);
	for (i = 0; i < w.n_own; i++) {
		struct drm_gem_close gc = { .handle = w.own[i] };

		try_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc, EINVAL);
	}
	return stress_thread_done();
}

/* Runs THREADS workers in this process; worker seeds follow from @index. */
static void hammer_process(int index)
{
	pthread_t t[THREADS];
	int i;

	stress_reset();	/* this process's threads */
	for (i = 0; i < THREADS; i++)
		igt_assert_eq(pthread_create(&t[i], NULL, hammer_worker,
			(void *)(uintptr_t)(seed + 1000003ull * (index * THREADS + i))),
			0);
	stress_join(t, THREADS, hammer.end);
	stress_assert_ok();
}

/*
 * PROCS processes of THREADS threads each share the test's DRM fd (and
 * vgem's, and a Unix socket pair); each thread runs random operations
 * (hammer_worker()) until the time is up and then closes what it holds.
 * Once the children are gone and the shared fd is reopened, every heap's
 * used_bytes must be what it was and no client of theirs may remain.
 */
static void test_hammer(bool unpriv)
{
	static pid_t *pids;
	struct ionode_usage before;
	unsigned long total = 0;
	int mfd = igt_ionode_open(), i, self_files;
	char dummy;

	if (unpriv) {
		const struct drm_ionode_heap_info *co =
			ionode_heap(&heaps, "carveout0");

		igt_require_f(geteuid() == 0 && co &&
			      ionode_param_read("restricted_heaps",
						saved_restricted,
						sizeof(saved_restricted)) == 0,
			      "needs root, carveout0 and ionode's parameters\n");
		restricted_saved = true;
		ionode_param_set("restricted_heaps", "carveout0");
		restricted = 1ull << co->id;
	}

	if (!pids) {
		pids = mmap(NULL, page, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		igt_assert(pids != MAP_FAILED);
	}
	memset(pids, 0, page);
	hammer.vgem = igt_open_vgem();
	if (hammer.vgem < 0)
		igt_info("no vgem: foreign dma-bufs not exercised\n");
	igt_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
				 hammer.sock), 0);
	self_files = ionode_debugfs_lines_of("clients", getpid());
	before = ionode_usage_now(mfd);
	stress_reset();
	for (i = 0; i < N_OPS; i++) {
		atomic_store(&hammer.ops[i], 0);
		atomic_store(&hammer.ok[i], 0);
	}
	hammer.end = stress_now() + seconds(15);
	igt_info("seed %" PRIu64 " (IONODE_SEED), %d processes x %d threads, "
		 "%.0f s\n", seed, PROCS, THREADS, hammer.end - stress_now());

	igt_fork(child, PROCS - 1) {
		pids[child] = getpid();
		if (unpriv) {
			become_user(USER_ID, USER_ID, NULL, 0);
			unprivileged = true;
		}
		hammer_process(child + 1);
	}
	hammer_process(0);
	igt_waitchildren();

	for (i = 0; i < N_OPS; i++)
		total += atomic_load(&hammer.ops[i]);
	igt_info("this process: %lu operations (of which got through):", total);
	for (i = 0; i < N_OPS; i++)
		igt_info(" %s %lu (%lu)", ops[i].name,
			 atomic_load(&hammer.ops[i]), atomic_load(&hammer.ok[i]));
	igt_info("\n");

	/* Fds still in flight die with the socket. */
	while (recv(hammer.sock[1], &dummy, 1, MSG_DONTWAIT) == 1)
		;
	close(hammer.sock[0]);
	close(hammer.sock[1]);
	if (hammer.vgem >= 0)
		close(hammer.vgem);
	ionode_fresh_fd(&fd);
	ionode_assert_usage_back(mfd, &before);
	assert_no_clients(pids, PROCS - 1, self_files);
	close(mfd);
	restore_restricted();
}

igt_main
{
	igt_fixture {
		const char *s = getenv("IONODE_SEED");

		page = ionode_page_size();
		seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		igt_require(ionode_heap(&heaps, "system"));
	}

	ionode_subtest(&fd, "create-close-race")
		test_create_close_race();
	ionode_subtest(&fd, "hammer")
		test_hammer(false);
	ionode_subtest(&fd, "hammer-unprivileged")
		test_hammer(true);

	igt_fixture {
		preempt_restore();
		restore_restricted();
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
