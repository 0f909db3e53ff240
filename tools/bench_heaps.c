// SPDX-License-Identifier: MIT
/*
 * bench_heaps - ionode's heaps against the upstream allocators that hand
 * out dma-bufs, buffer by buffer, in one run with interleaved rounds.
 *
 * Allocators (one table entry each, allocators[] below):
 *
 *   ionode system (wc)       the system heap, default flags (write-combined):
 *                            CREATE, PRIME export, GEM_CLOSE
 *   ionode system (cached)   the same with IONODE_BO_CACHED
 *   ionode system (wc, ALLOC_FD), ionode system (cached, ALLOC_FD)
 *                            the same two straight to a dma-buf fd in one
 *                            DRM_IOCTL_IONODE_ALLOC_FD, no GEM handle
 *   ionode system-contig, the first carveout, cma (cached): for context,
 *                            where present
 *   dma-heap system          /dev/dma_heap/system: the kernel's, or the
 *                            test-only module tools/bench/peers builds for
 *                            the stock kernel
 *   dma-heap cma             the CMA area's dma-heap (debug kernel)
 *   udmabuf                  a sealed memfd turned into a dma-buf
 *                            (memfd_create, ftruncate, F_SEAL_SHRINK,
 *                            UDMABUF_CREATE, close of the memfd)
 *   vgem                     a vgem dumb buffer (MODE_CREATE_DUMB on vgem's
 *                            card node, PRIME export, GEM_CLOSE)
 *
 * at 4 KiB, 64 KiB, 1 MiB, 8 MiB and 32 MiB (a size above an allocator's
 * max_alloc or free bytes is skipped). Measurements, each from nothing back
 * to nothing, the median and 99th percentile (nearest rank) of each:
 *
 *   alloc      allocate to a dma-buf fd and free (ionode: CREATE, PRIME
 *              export, GEM_CLOSE, close of the fd), back to back, pools
 *              warm: what freeing and reusing memory as fast as the CPU
 *              can costs (a pool that zeroes freed memory off the caller's
 *              path is measured at its zeroing throughput);
 *   paced      the same, each iteration after a pause (-p, 30 ms by
 *              default: a camera's frame period): what a pipeline
 *              allocating at frame rate sees, the pool's hit latency when
 *              its worker keeps up;
 *   cold       the same right after `echo 3 > /proc/sys/vm/drop_caches`,
 *              which runs every shrinker: empty pools, for every allocator;
 *   written, wpaced
 *              alloc and paced again with buffers that are written
 *              between their allocation and their free (one byte per page
 *              through a mapping of the dma-buf fd; that part is not
 *              timed): an allocator that can tell memory nobody wrote
 *              from memory somebody did (ionode's pools) must zero these
 *              before reuse, as a camera's or a GPU's buffers would be;
 *   touch      on a new buffer: mmap of its dma-buf fd, one write to every
 *              page, munmap; also the page faults it took (getrusage()
 *              ru_minflt);
 *   sync       DMA_BUF_IOCTL_SYNC START then END (read/write) on a mapped
 *              buffer no device has attached;
 *   noop       against it, two ioctls on the same dma-buf fd that
 *              dma_buf_ioctl() rejects at once (an unknown command:
 *              ENOTTY): what two system calls into the dma-buf cost, so
 *              that the ratio sync/noop is what SYNC itself adds;
 *   import     the dma-buf fd imported into vgem and released
 *              (drmPrimeFDToHandle + GEM_CLOSE: attach, map, unmap,
 *              detach). A vgem buffer imported into vgem is a self-import,
 *              no attachment; it is marked so.
 *
 * The iterations of every allocator at one size run in rounds, the
 * allocators in a rotating order, each round after unrecorded warm-up
 * iterations (none for cold), so that a change in the machine's load
 * weighs on all alike. Results are checked in passing: a new buffer reads
 * as zero, also after the same memory was written and freed, and writes
 * through one mapping are seen through the next. A failed check fails the
 * run on an ionode heap and is a warning on a peer.
 *
 * One line per allocator and size on stdout as it goes, and with -o every
 * figure in a JSON file, which tools/bench/report.py turns into the
 * Markdown table, the targets and the chart.
 *
 *   bench_heaps [-o FILE.json] [-f FACTOR] [-p MS] [-s SIZE,...] [-a ID,...]
 *
 * Exit status: 0, 1 when a check or an unexpected call failed, 2 for bad
 * usage, 77 when ionode is not loaded. Missing allocators are reported.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include <xf86drm.h>

#include "libionode.h"
#include "tool_util.h"

#define DMA_HEAP_DIR	"/dev/dma_heap"
#define UDMABUF_DEV	"/dev/udmabuf"
#define DROP_CACHES	"/proc/sys/vm/drop_caches"
#define WARMUP		1
#define ROUNDS		8
#define NO_LIMIT	UINT64_MAX
#define PAUSE_MS	30	/* before each paced alloc+free: 30 frames/s */
/* An ioctl command dma_buf_ioctl() does not know: -ENOTTY, nothing done. */
#define DMA_BUF_IOCTL_NOOP	_IOW(DMA_BUF_BASE, 0x7f, uint64_t)

static const char *prog = "bench_heaps";

enum metric {
	M_ALLOC, M_PACED, M_COLD, M_TOUCH, M_FAULTS, M_SYNC, M_NOOP, M_IMPORT,
	M_WRITTEN, M_WPACED, NMETRICS
};

static const char *const metric_key[NMETRICS] = {
	"alloc", "paced", "cold", "touch", "faults", "sync", "noop", "import",
	"written", "wpaced",
};

/*
 * Iterations per allocator and size, over all rounds: many where one is
 * cheap, few where one takes tens of milliseconds under TCG; cold and
 * paced ones are few everywhere (each pays for a drop_caches or a pause).
 * faults and noop are counted in the touch and sync iterations (their 0
 * here is replaced); written and wpaced are half of alloc and paced (set
 * in main()). Scaled by -f.
 */
struct size_plan {
	uint64_t size;
	unsigned int n[NMETRICS];
};

static const struct size_plan default_plan[] = {
	/*                   alloc paced cold touch faults sync noop import */
	{ 4 << 10,	{ 400,  60,   40, 100,  0,    200,  0,   100 } },
	{ 64 << 10,	{ 400,  60,   40, 100,  0,    200,  0,   100 } },
	{ 1 << 20,	{ 100,  40,   24,  40,  0,    100,  0,    60 } },
	{ 8 << 20,	{  60,  24,   16,  24,  0,    100,  0,    24 } },
	{ 32 << 20,	{  32,  16,   12,  16,  0,    100,  0,    12 } },
};
#define NSIZES		(sizeof(default_plan) / sizeof(default_plan[0]))

struct allocator;
typedef int (*alloc_fn)(const struct allocator *a, uint64_t size, int *dmabuf);
typedef void (*setup_fn)(struct allocator *a);

/*
 * One row of the results. A new way to get a dma-buf is one entry in
 * allocators[] and one small alloc function: allocate @size bytes and
 * return a dma-buf fd that holds the only reference to the buffer, or
 * -errno (-ENOMEM, -E2BIG, -EPERM, -EDQUOT skip the size).
 */
struct allocator {
	const char *id;		/* JSON key */
	const char *heap;	/* ionode heap name or type, dma-heap name */
	uint32_t bo_flags;	/* ionode IONODE_BO_* flags */
	bool peer;		/* an upstream allocator ionode is compared with */
	bool contig;		/* hands out physically contiguous memory */
	bool lazy;		/* gets its memory at first use, not at alloc */
	bool self_import;	/* a vgem buffer: vgem imports its own */
	const char *via;	/* ionode: the ioctl, in the label, if not CREATE */
	setup_fn setup;
	alloc_fn alloc;
	/* Filled by setup. */
	char label[64];
	int fd;			/* render node, dma-heap or udmabuf device */
	uint64_t mask;		/* ionode heap mask */
	uint64_t max_alloc;	/* largest buffer, or NO_LIMIT */
	uint64_t free_bytes;	/* bytes left, or NO_LIMIT */
	char why[128];		/* why it is missing; empty when present */
};

/* One allocator at one size: its samples so far, then its results. */
struct meas {
	struct allocator *a;
	const struct size_plan *plan;
	uint64_t *samples[NMETRICS];	/* ns, faults for M_FAULTS */
	unsigned int n[NMETRICS];	/* samples taken */
	double median[NMETRICS], p99[NMETRICS];	/* us, faults for M_FAULTS */
	char skip[128];		/* why the size was skipped; empty if measured */
};

static struct drm_ionode_heap_info *ionode_heaps;
static unsigned int pause_ms = PAUSE_MS;
static uint32_t ionode_heap_count;
static int ionode_fd = -1, vgem_fd = -1;
static bool have_drop_caches;
static double factor = 1.0;
static long page_size;
static int status;

static void setup_ionode(struct allocator *a);
static void setup_dma_heap(struct allocator *a);
static void setup_udmabuf(struct allocator *a);
static void setup_vgem(struct allocator *a);
static int ionode_alloc(const struct allocator *a, uint64_t size, int *dmabuf);
static int ionode_alloc_fd(const struct allocator *a, uint64_t size, int *dmabuf);
static int dma_heap_alloc(const struct allocator *a, uint64_t size, int *dmabuf);
static int udmabuf_alloc(const struct allocator *a, uint64_t size, int *dmabuf);
static int vgem_alloc(const struct allocator *a, uint64_t size, int *dmabuf);

static struct allocator allocators[] = {
	{ .id = "ionode-system-wc", .heap = "system", .bo_flags = 0,
	  .setup = setup_ionode, .alloc = ionode_alloc },
	{ .id = "ionode-system-cached", .heap = "system", .bo_flags = IONODE_BO_CACHED,
	  .setup = setup_ionode, .alloc = ionode_alloc },
	{ .id = "ionode-system-wc-fd", .heap = "system", .bo_flags = 0,
	  .via = "ALLOC_FD", .setup = setup_ionode, .alloc = ionode_alloc_fd },
	{ .id = "ionode-system-cached-fd", .heap = "system",
	  .bo_flags = IONODE_BO_CACHED, .via = "ALLOC_FD",
	  .setup = setup_ionode, .alloc = ionode_alloc_fd },
	{ .id = "ionode-system-contig", .heap = "system-contig",
	  .bo_flags = IONODE_BO_CACHED, .contig = true,
	  .setup = setup_ionode, .alloc = ionode_alloc },
	{ .id = "ionode-carveout", .heap = "carveout", .bo_flags = IONODE_BO_CACHED,
	  .contig = true, .setup = setup_ionode, .alloc = ionode_alloc },
	{ .id = "ionode-cma", .heap = "cma", .bo_flags = IONODE_BO_CACHED,
	  .contig = true, .setup = setup_ionode, .alloc = ionode_alloc },
	{ .id = "dma-heap-system", .heap = "system", .peer = true,
	  .setup = setup_dma_heap, .alloc = dma_heap_alloc },
	{ .id = "dma-heap-cma", .heap = NULL, .peer = true, .contig = true,
	  .setup = setup_dma_heap, .alloc = dma_heap_alloc },
	{ .id = "udmabuf", .peer = true,
	  .setup = setup_udmabuf, .alloc = udmabuf_alloc },
	{ .id = "vgem", .peer = true, .lazy = true, .self_import = true,
	  .setup = setup_vgem, .alloc = vgem_alloc },
};
#define NALLOCATORS	(sizeof(allocators) / sizeof(allocators[0]))

static unsigned int max_u(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage: %s\n", strerror(errno));
	return ru.ru_minflt;
}

static const char *fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v >= (1 << 20) && !(v & ((1 << 20) - 1)))
		snprintf(buf, len, "%" PRIu64 " MiB", v >> 20);
	else if (v >= (1 << 20))
		snprintf(buf, len, "%.1f MiB", v / 1048576.0);
	else
		snprintf(buf, len, "%" PRIu64 " KiB", v >> 10);
	return buf;
}

/*
 * "on" or "off" from the kernel's configuration (/proc/config.gz, which
 * debug kernels have, else /boot/config-RELEASE, which Debian installs,
 * else the build tree's .config), or from /proc/kallsyms (kasan_report
 * exists only in KASAN kernels); "unknown" if none of them can tell.
 */
static const char *kasan_state(const char *release)
{
	char path[3][160], line[256];
	const char *state = "unknown";
	unsigned int i;
	FILE *f;

	snprintf(path[0], sizeof(path[0]), "/proc/config.gz");
	snprintf(path[1], sizeof(path[1]), "/boot/config-%s", release);
	snprintf(path[2], sizeof(path[2]), "/lib/modules/%s/build/.config", release);
	for (i = 0; i < 3; i++) {
		bool found = false;

		if (access(path[i], R_OK))
			continue;
		f = i ? fopen(path[i], "r") :
			popen("gzip -dc /proc/config.gz 2>/dev/null", "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "CONFIG_KASAN=y", 14))
				found = true;
			/* Any option proves the file was read. */
			if (!strncmp(line, "CONFIG_", 7))
				state = "off";
		}
		if (i ? fclose(f) : pclose(f))
			state = "unknown";
		if (strcmp(state, "unknown"))
			return found ? "on" : state;
	}

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return "unknown";
	state = "off";
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		if (name && !strcmp(name, " kasan_report\n")) {
			state = "on";
			break;
		}
	}
	fclose(f);
	return state;
}

/*
 * The allocators: setup fills label, fd and limits or says in why what is
 * missing; alloc returns a dma-buf fd holding the only reference.
 */

/* "ionode HEAP (wc)", "ionode HEAP (cached, ALLOC_FD)": unique per row. */
static void ionode_label(struct allocator *a, const char *heap)
{
	snprintf(a->label, sizeof(a->label), "ionode %s (%s%s%s)", heap,
		 a->bo_flags & IONODE_BO_CACHED ? "cached" : "wc",
		 a->via ? ", " : "", a->via ? a->via : "");
}

static void setup_ionode(struct allocator *a)
{
	const struct drm_ionode_heap_info *info = NULL;
	uint32_t i;

	ionode_label(a, a->heap);
	if (ionode_fd < 0) {
		snprintf(a->why, sizeof(a->why), "no ionode device");
		return;
	}
	if (!strcmp(a->heap, "carveout")) {
		/* The first carveout, whatever its number. */
		for (i = 0; i < ionode_heap_count && !info; i++)
			if (ionode_heaps[i].type == IONODE_HEAP_TYPE_CARVEOUT)
				info = &ionode_heaps[i];
	} else {
		info = ionode_find_heap(ionode_heaps, ionode_heap_count, a->heap);
	}
	if (!info) {
		snprintf(a->why, sizeof(a->why), "no such ionode heap%s",
			 !strcmp(a->heap, "cma") ? " (the kernel has no CMA area)" :
			 !strcmp(a->heap, "carveout") ? " (no carveout= given)" : "");
		return;
	}
	ionode_label(a, info->name);
	if (info->id >= 64) {
		snprintf(a->why, sizeof(a->why), "heap id %u beyond the mask", info->id);
		return;
	}
	a->fd = ionode_fd;
	a->mask = 1ull << info->id;
	a->max_alloc = info->max_alloc;
	a->free_bytes = info->free_bytes == IONODE_SIZE_UNKNOWN ? NO_LIMIT :
			info->free_bytes;
}

/*
 * PRIME-exports @handle on @fd into *@dmabuf and closes the handle, which
 * the dma-buf then holds alone; on failure nothing is left.
 */
static int export_handle(int fd, uint32_t handle, int *dmabuf)
{
	int ret = ionode_export(fd, handle, dmabuf);

	if (ret) {
		ionode_close(fd, handle);
		return ret;
	}
	ret = ionode_close(fd, handle);
	if (ret)
		close(*dmabuf);
	return ret;
}

static int ionode_alloc(const struct allocator *a, uint64_t size, int *dmabuf)
{
	struct drm_ionode_create c = {
		.size = size, .heap_mask = a->mask, .flags = a->bo_flags,
	};
	int ret;

	ret = ionode_create_ex(a->fd, &c);
	if (ret)
		return ret;
	return export_handle(a->fd, c.handle, dmabuf);
}

/* The same in one call: DRM_IOCTL_IONODE_ALLOC_FD, no GEM handle. */
static int ionode_alloc_fd(const struct allocator *a, uint64_t size, int *dmabuf)
{
	return ionode_create_fd(a->fd, size, a->mask, a->bo_flags, dmabuf, NULL);
}

/* The first dma-heap other than "system", by name, or NULL. */
static char *dma_heap_cma_name(void)
{
	char *best = NULL;
	struct dirent *de;
	DIR *d;

	d = opendir(DMA_HEAP_DIR);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "system"))
			continue;
		if (!best || strcmp(de->d_name, best) < 0) {
			free(best);
			best = strdup(de->d_name);
		}
	}
	closedir(d);
	return best;
}

static void setup_dma_heap(struct allocator *a)
{
	char path[64], *name = NULL;
	uint32_t i;

	a->max_alloc = NO_LIMIT;
	a->free_bytes = NO_LIMIT;
	if (a->heap) {
		snprintf(a->label, sizeof(a->label), "dma-heap %s", a->heap);
	} else {
		name = dma_heap_cma_name();
		snprintf(a->label, sizeof(a->label), "dma-heap %s",
			 name ? name : "(cma)");
		/* Both draw from the default CMA area: ionode knows what is free. */
		for (i = 0; i < ionode_heap_count; i++)
			if (ionode_heaps[i].type == IONODE_HEAP_TYPE_CMA &&
			    ionode_heaps[i].free_bytes != IONODE_SIZE_UNKNOWN)
				a->free_bytes = ionode_heaps[i].free_bytes;
	}
	if (access(DMA_HEAP_DIR, F_OK)) {
		snprintf(a->why, sizeof(a->why), "no " DMA_HEAP_DIR
			 " (kernel without CONFIG_DMABUF_HEAPS, peer module not loaded)");
		goto out;
	}
	if (!a->heap && !name) {
		snprintf(a->why, sizeof(a->why),
			 "no CMA dma-heap (needs CONFIG_DMABUF_HEAPS_CMA and a CMA area)");
		goto out;
	}
	snprintf(path, sizeof(path), DMA_HEAP_DIR "/%.40s", a->heap ? a->heap : name);
	a->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		snprintf(a->why, sizeof(a->why), "%s: %s", path, strerror(errno));
out:
	free(name);
}

static int dma_heap_alloc(const struct allocator *a, uint64_t size, int *dmabuf)
{
	struct dma_heap_allocation_data d = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(a->fd, DMA_HEAP_IOCTL_ALLOC, &d))
		return -errno;
	*dmabuf = d.fd;
	return 0;
}

static void setup_udmabuf(struct allocator *a)
{
	snprintf(a->label, sizeof(a->label), "udmabuf");
	/* The module's size_limit_mb, 64 by default; the sizes stay below. */
	a->max_alloc = NO_LIMIT;
	a->free_bytes = NO_LIMIT;
	a->fd = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (a->fd < 0)
		snprintf(a->why, sizeof(a->why), UDMABUF_DEV ": %s%s", strerror(errno),
			 errno == ENOENT ? " (kernel without CONFIG_UDMABUF, peer module not loaded)" : "");
}

static int udmabuf_alloc(const struct allocator *a, uint64_t size, int *dmabuf)
{
	struct udmabuf_create c = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size,
	};
	int memfd, fd, ret = 0;

	memfd = memfd_create("bench_heaps", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, size) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		goto out;
	}
	c.memfd = memfd;
	fd = ioctl(a->fd, UDMABUF_CREATE, &c);
	if (fd < 0)
		ret = -errno;
	else
		*dmabuf = fd;
out:
	/* The dma-buf holds the memfd's pages. */
	close(memfd);
	return ret;
}

static void setup_vgem(struct allocator *a)
{
	snprintf(a->label, sizeof(a->label), "vgem");
	a->max_alloc = NO_LIMIT;
	a->free_bytes = NO_LIMIT;
	if (vgem_fd < 0) {
		snprintf(a->why, sizeof(a->why), "no vgem device (modprobe vgem)");
		return;
	}
	a->fd = vgem_fd;
}

static int vgem_alloc(const struct allocator *a, uint64_t size, int *dmabuf)
{
	/* Rows of one page: any page-aligned size. */
	struct drm_mode_create_dumb c = {
		.width = page_size / 4, .bpp = 32, .height = size / page_size,
	};
	int ret;

	if (size % page_size)
		return -EINVAL;
	ret = ionode_ioctl(a->fd, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	if (ret)
		return ret;
	return export_handle(a->fd, c.handle, dmabuf);
}

/* The measurements. */

static void *map(int dmabuf, uint64_t size, int prot, const char *what)
{
	void *p;
	int ret;

	ret = ionode_dmabuf_mmap(dmabuf, size, prot, &p);
	if (ret)
		die("%s: mmap: %s\n", what, strerror(-ret));
	return p;
}

/*
 * Checks a buffer's content: every byte zero, except, with @stamp non-zero,
 * the first 64-bit word of each page, which must be @stamp. A mismatch is
 * reported, and fails the run for an ionode heap (a peer's is only a
 * warning: not ours to assert).
 */
static void check(const struct allocator *a, int dmabuf, uint64_t size,
		  uint64_t stamp, const char *when)
{
	const uint64_t *p = map(dmabuf, size, PROT_READ, a->label);
	size_t words = size / sizeof(*p), per_page = page_size / sizeof(*p), i;

	for (i = 0; i < words; i++) {
		uint64_t want = (stamp && !(i % per_page)) ? stamp : 0;

		if (p[i] != want) {
			fprintf(stderr, "%s: %s%s: %s: byte %zu of a %" PRIu64
				"-byte buffer holds %#" PRIx64 " (8 bytes), expected %#"
				PRIx64 "\n", prog, a->peer ? "warning: " : "",
				a->label, when, i * sizeof(*p), size, p[i], want);
			if (!a->peer)
				status = 1;
			break;
		}
	}
	munmap((void *)p, size);
}

static int alloc_or_die(const struct meas *m, int *fd)
{
	int ret = m->a->alloc(m->a, m->plan->size, fd);

	if (ret)
		die("%s: allocating %" PRIu64 " bytes: %s\n", m->a->label,
		    m->plan->size, strerror(-ret));
	return *fd;
}

static void drop_caches(void)
{
	int fd = open(DROP_CACHES, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "3\n", 2) != 2)
		die(DROP_CACHES ": %s\n", strerror(errno));
	close(fd);
}

/* The pause before a paced alloc+free: the CPU idles, workers run. */
static void pause_frame(void)
{
	struct timespec ts = {
		.tv_sec = pause_ms / 1000, .tv_nsec = (pause_ms % 1000) * 1000000L,
	};
	int ret;

	while ((ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts)) == EINTR)
		;
	if (ret)
		die("clock_nanosleep: %s\n", strerror(ret));
}

/*
 * Writes @stamp to the first bytes of every page of dma-buf @fd through a
 * new mapping, then unmaps it: a first touch, and what makes a buffer
 * written.
 */
static void touch_pages(const struct allocator *a, int fd, uint64_t size,
			uint64_t stamp)
{
	uint8_t *p = map(fd, size, PROT_READ | PROT_WRITE, a->label);
	uint64_t off;

	for (off = 0; off < size; off += page_size)
		*(volatile uint64_t *)(p + off) = stamp;
	munmap(p, size);
}

/*
 * One alloc+free of a buffer written in between (touch_pages()); returns
 * the nanoseconds of the allocation and of the free, not of the writes.
 */
static uint64_t written_alloc_free(struct meas *m)
{
	uint64_t t0, t1, t2;
	int fd;

	t0 = now_ns();
	alloc_or_die(m, &fd);
	t1 = now_ns();
	touch_pages(m->a, fd, m->plan->size, 0x5a);
	t2 = now_ns();
	close(fd);
	return (t1 - t0) + (now_ns() - t2);
}

static void record(struct meas *m, enum metric k, unsigned int i, uint64_t v)
{
	if (i >= WARMUP || k == M_COLD)
		m->samples[k][m->n[k]++] = v;
}

/* This round's share of metric @k's iterations. */
static unsigned int share(const struct meas *m, enum metric k, unsigned int r)
{
	unsigned int n = m->plan->n[k];

	return n * (r + 1) / ROUNDS - n * r / ROUNDS;
}

/*
 * Round @r of every measurement for @m's allocator and size. Returns false
 * when the allocation fails for want of memory or permission (@m->skip says
 * so); dies on other errors.
 */
static bool measure_round(struct meas *m, unsigned int r)
{
	const struct allocator *a = m->a;
	uint64_t size = m->plan->size, stamp = 0, t0, t1, t2, off;
	unsigned int i, n;
	uint32_t handle;
	uint8_t *p;
	long f0;
	int fd, ret;

	/* A new buffer reads as zero. */
	ret = a->alloc(a, size, &fd);
	if (ret == -ENOMEM || ret == -E2BIG || ret == -EPERM || ret == -EDQUOT) {
		snprintf(m->skip, sizeof(m->skip), "skipped: allocation fails: %s",
			 strerror(-ret));
		return false;
	}
	if (ret)
		die("%s: allocating %" PRIu64 " bytes: %s\n", a->label, size,
		    strerror(-ret));
	check(a, fd, size, 0, "new buffer");
	close(fd);

	/* First touch of new buffers; the last one's writes are checked. */
	n = WARMUP + share(m, M_TOUCH, r);
	for (i = 0; i < n; i++) {
		alloc_or_die(m, &fd);
		stamp = ((uint64_t)r << 32) | (i + 1);
		f0 = minflt();
		t0 = now_ns();
		touch_pages(a, fd, size, stamp);
		t1 = now_ns();
		record(m, M_TOUCH, i, t1 - t0);
		record(m, M_FAULTS, i, minflt() - f0);
		if (i + 1 == n)
			check(a, fd, size, stamp, "after the first touch");
		close(fd);
	}

	/* SYNC START + END against two rejected ioctls, on one mapped buffer. */
	alloc_or_die(m, &fd);
	p = map(fd, size, PROT_READ | PROT_WRITE, a->label);
	n = WARMUP + share(m, M_SYNC, r);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = ionode_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		if (!ret)
			ret = ionode_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		t1 = now_ns();
		if (ret)
			die("%s: DMA_BUF_IOCTL_SYNC: %s\n", a->label, strerror(-ret));
		if (ioctl(fd, DMA_BUF_IOCTL_NOOP, &off) != -1 || errno != ENOTTY ||
		    ioctl(fd, DMA_BUF_IOCTL_NOOP, &off) != -1 || errno != ENOTTY)
			die("%s: the no-op ioctl did not fail with ENOTTY\n", a->label);
		t2 = now_ns();
		record(m, M_SYNC, i, t1 - t0);
		record(m, M_NOOP, i, t2 - t1);
	}
	munmap(p, size);

	/* The same buffer imported into vgem and released. */
	n = vgem_fd < 0 ? 0 : WARMUP + share(m, M_IMPORT, r);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = ionode_import(vgem_fd, fd, &handle);
		if (ret)
			die("%s: importing into vgem: %s\n", a->label, strerror(-ret));
		ret = ionode_close(vgem_fd, handle);
		if (ret)
			die("%s: GEM_CLOSE in vgem: %s\n", a->label, strerror(-ret));
		record(m, M_IMPORT, i, now_ns() - t0);
	}
	close(fd);

	/* Allocate to a dma-buf fd and free, pools warm. */
	n = WARMUP + share(m, M_ALLOC, r);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		alloc_or_die(m, &fd);
		close(fd);
		record(m, M_ALLOC, i, now_ns() - t0);
	}

	/* Memory written above and freed must come back zeroed. */
	alloc_or_die(m, &fd);
	check(a, fd, size, 0, "buffer allocated after the loops");
	close(fd);

	/* The same from empty pools: every shrinker run first. */
	n = have_drop_caches ? share(m, M_COLD, r) : 0;
	for (i = 0; i < n; i++) {
		drop_caches();
		t0 = now_ns();
		alloc_or_die(m, &fd);
		close(fd);
		record(m, M_COLD, i, now_ns() - t0);
	}

	/*
	 * The same at frame rate: a pause before each iteration, the
	 * warm-up's included. After the cold loop, whose drop_caches left the
	 * pools at most its last buffer, not the back-to-back loop's backlog
	 * of memory to zero: as in a pipeline recycling a buffer a frame.
	 */
	n = pause_ms ? WARMUP + share(m, M_PACED, r) : 0;
	for (i = 0; i < n; i++) {
		pause_frame();
		t0 = now_ns();
		alloc_or_die(m, &fd);
		close(fd);
		record(m, M_PACED, i, now_ns() - t0);
	}

	/*
	 * Memory written and freed comes back zeroed also after a pause, when
	 * a pool had the time to zero it off the caller's path.
	 */
	if (n) {
		alloc_or_die(m, &fd);
		p = map(fd, size, PROT_READ | PROT_WRITE, a->label);
		memset(p, 0xa5, size);
		munmap(p, size);
		close(fd);
		pause_frame();
		alloc_or_die(m, &fd);
		check(a, fd, size, 0, "buffer allocated after a pause");
		close(fd);
	}

	/*
	 * Written buffers at frame rate, then back to back: the writes are
	 * not timed, the allocation and the free are.
	 */
	n = pause_ms ? WARMUP + share(m, M_WPACED, r) : 0;
	for (i = 0; i < n; i++) {
		pause_frame();
		record(m, M_WPACED, i, written_alloc_free(m));
	}
	n = WARMUP + share(m, M_WRITTEN, r);
	for (i = 0; i < n; i++)
		record(m, M_WRITTEN, i, written_alloc_free(m));

	/* And what was written comes back zeroed. */
	alloc_or_die(m, &fd);
	check(a, fd, size, 0, "buffer allocated after written ones");
	close(fd);
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and nearest-rank 99th percentile of s[0..n), divided by @div. */
static void stats(uint64_t *s, unsigned int n, double div, double *median, double *p99)
{
	unsigned int rank = (99 * n + 99) / 100;

	if (!n) {
		*median = *p99 = -1;
		return;
	}
	qsort(s, n, sizeof(*s), cmp_u64);
	if (n % 2)
		*median = s[n / 2] / div;
	else
		*median = (s[n / 2 - 1] + s[n / 2]) / 2.0 / div;
	*p99 = s[rank - 1] / div;
}

static void print_header(void)
{
	printf("%-34s %-7s %10s %10s %10s %10s %8s %8s %8s %9s %10s %10s\n",
	       "allocator", "size", "alloc", "paced", "cold", "touch", "faults",
	       "sync", "noop", "import", "written", "wpaced");
}

static void print_row(const struct meas *m)
{
	unsigned int k;
	char sz[24];

	printf("%-34s %-7s", m->a->label, fmt_size(sz, sizeof(sz), m->plan->size));
	if (m->skip[0]) {
		printf(" %s\n", m->skip);
		return;
	}
	for (k = 0; k < NMETRICS; k++) {
		int w = k <= M_TOUCH || k >= M_WRITTEN ? 10 :
			k == M_IMPORT ? 9 : 8;

		if (!m->n[k])
			printf(" %*s", w, "-");
		else
			printf(" %*.*f", w, k == M_FAULTS ? 0 : 1, m->median[k]);
	}
	printf("\n");
	fflush(stdout);
}

/*
 * Measures every present allocator at one size, in rounds that visit the
 * allocators in a rotating order.
 */
static void bench_size(struct meas *ms, unsigned int count)
{
	unsigned int r, j, k;

	for (r = 0; r < ROUNDS; r++)
		for (j = 0; j < count; j++) {
			struct meas *m = &ms[(j + r) % count];

			if (!m->skip[0])
				measure_round(m, r);
		}
	for (j = 0; j < count; j++) {
		struct meas *m = &ms[j];

		for (k = 0; k < NMETRICS && !m->skip[0]; k++)
			stats(m->samples[k], m->n[k], k == M_FAULTS ? 1 : 1e3,
			      &m->median[k], &m->p99[k]);
		print_row(m);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (v < 0)
		fprintf(f, "null");
	else
		fprintf(f, "%.3f", v);
}

/* Every allocator, and every measured size of each, with -o. */
static void write_json(const char *path, const struct utsname *un, const char *kasan,
		       drmVersionPtr ver, struct meas (*ms)[NALLOCATORS],
		       unsigned int nsizes, const uint64_t *sizes, double secs)
{
	unsigned int i, s, k;
	bool first;
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		die("%s: %s\n", path, strerror(errno));
	fprintf(f, "{\n  \"tool\": \"bench_heaps\",\n  \"version\": 1,\n  \"kernel\": ");
	json_str(f, un->release);
	fprintf(f, ",\n  \"kasan\": ");
	json_str(f, kasan);
	fprintf(f, ",\n  \"ionode\": \"%d.%d.%d\",\n",
		ver ? ver->version_major : -1, ver ? ver->version_minor : -1,
		ver ? ver->version_patchlevel : -1);
	fprintf(f, "  \"rounds\": %u,\n  \"warmup\": %u,\n  \"cold\": %s,\n"
		"  \"pause_ms\": %u,\n  \"seconds\": %.0f,\n  \"checks_failed\": %s,\n"
		"  \"sizes\": [",
		ROUNDS, WARMUP, have_drop_caches ? "true" : "false", pause_ms, secs,
		status ? "true" : "false");
	for (s = 0; s < nsizes; s++)
		fprintf(f, "%s%" PRIu64, s ? ", " : "", sizes[s]);
	fprintf(f, "],\n  \"allocators\": [\n");
	for (i = 0; i < NALLOCATORS; i++) {
		const struct allocator *a = &allocators[i];

		fprintf(f, "    {\"id\": ");
		json_str(f, a->id);
		fprintf(f, ", \"label\": ");
		json_str(f, a->label);
		fprintf(f, ", \"peer\": %s, \"contig\": %s, \"lazy\": %s, \"self_import\": %s,",
			a->peer ? "true" : "false", a->contig ? "true" : "false",
			a->lazy ? "true" : "false", a->self_import ? "true" : "false");
		fprintf(f, "\n     \"missing\": ");
		if (a->why[0])
			json_str(f, a->why);
		else
			fprintf(f, "null");
		fprintf(f, ",\n     \"results\": [");
		first = true;
		for (s = 0; s < nsizes && !a->why[0]; s++) {
			const struct meas *m = &ms[s][i];

			fprintf(f, "%s\n       {\"size\": %" PRIu64, first ? "" : ",",
				sizes[s]);
			first = false;
			if (m->skip[0]) {
				fprintf(f, ", \"skipped\": ");
				json_str(f, m->skip);
				fprintf(f, "}");
				continue;
			}
			for (k = 0; k < NMETRICS; k++) {
				fprintf(f, ",\n        \"%s\": {\"median\": ", metric_key[k]);
				json_num(f, m->n[k] ? m->median[k] : -1);
				fprintf(f, ", \"p99\": ");
				json_num(f, m->n[k] ? m->p99[k] : -1);
				fprintf(f, ", \"n\": %u}", m->n[k]);
			}
			fprintf(f, "}");
		}
		fprintf(f, "%s]}%s\n", first ? "" : "\n     ",
			i + 1 < NALLOCATORS ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f))
		die("%s: %s\n", path, strerror(errno));
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-o FILE.json] [-f FACTOR] [-p MS] [-s SIZE,...] [-a ID,...]\n"
		"  -o  write every figure to FILE.json (tools/bench/report.py reads it)\n"
		"  -f  multiply every iteration count by FACTOR (default 1; at least 1\n"
		"      iteration per round)\n"
		"  -p  pause MS milliseconds before each paced alloc+free (default %d,\n"
		"      a frame at 30 frames/s; 0: no paced alloc+free, at most 1000)\n"
		"  -s  only these sizes, in KiB (default 4,64,1024,8192,32768)\n"
		"  -a  only these allocators, by id:",
		prog, PAUSE_MS);
	for (unsigned int i = 0; i < NALLOCATORS; i++)
		fprintf(f, " %s", allocators[i].id);
	fprintf(f, "\n");
}

static bool listed(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct meas (*ms)[NALLOCATORS];
	struct size_plan plan[NSIZES];
	const char *json = NULL, *only_sizes = NULL, *only = NULL;
	uint64_t sizes[NSIZES], t0;
	unsigned int i, s, k, nsizes = 0, count;
	drmVersionPtr ver;
	struct utsname un;
	const char *kasan;
	char *end;
	int opt, ret;
	long pause;

	while ((opt = getopt(argc, argv, "o:f:p:s:a:h")) != -1) {
		switch (opt) {
		case 'o':
			json = optarg;
			break;
		case 'f':
			factor = strtod(optarg, NULL);
			break;
		case 'p':
			errno = 0;
			pause = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || pause < 0 || pause > 1000) {
				usage(stderr);
				return 2;
			}
			pause_ms = pause;
			break;
		case 's':
			only_sizes = optarg;
			break;
		case 'a':
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!(factor > 0 && factor <= 100) || optind != argc) {
		usage(stderr);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);

	for (s = 0; s < NSIZES; s++) {
		char kib[24];

		snprintf(kib, sizeof(kib), "%" PRIu64, default_plan[s].size >> 10);
		if (only_sizes && !listed(only_sizes, kib))
			continue;
		plan[nsizes] = default_plan[s];
		for (k = 0; k < NMETRICS; k++) {
			unsigned int n = plan[nsizes].n[k] * factor + 0.5;

			plan[nsizes].n[k] = n < ROUNDS ? ROUNDS : n;
		}
		/* Counted in the same iterations as touch and sync. */
		plan[nsizes].n[M_FAULTS] = plan[nsizes].n[M_TOUCH];
		plan[nsizes].n[M_NOOP] = plan[nsizes].n[M_SYNC];
		plan[nsizes].n[M_WRITTEN] = max_u(plan[nsizes].n[M_ALLOC] / 2,
						  ROUNDS);
		plan[nsizes].n[M_WPACED] = max_u(plan[nsizes].n[M_PACED] / 2,
						 ROUNDS);
		if (!pause_ms)
			plan[nsizes].n[M_PACED] = plan[nsizes].n[M_WPACED] = 0;
		sizes[nsizes] = plan[nsizes].size;
		nsizes++;
	}
	if (!nsizes) {
		usage(stderr);
		return 2;
	}

	ionode_fd = ionode_open();
	if (ionode_fd < 0) {
		fprintf(stderr, "%s: no ionode device: %s\n", prog, strerror(-ionode_fd));
		return 77;
	}
	ret = ionode_query_heaps(ionode_fd, &ionode_heaps, &ionode_heap_count);
	if (ret)
		die("DRM_IOCTL_IONODE_QUERY_HEAPS: %s\n", strerror(-ret));
	vgem_fd = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	have_drop_caches = !access(DROP_CACHES, W_OK);

	for (i = 0; i < NALLOCATORS; i++) {
		struct allocator *a = &allocators[i];

		a->fd = -1;
		a->setup(a);
		if (only && !listed(only, a->id))
			snprintf(a->why, sizeof(a->why), "not asked for (-a)");
	}

	if (uname(&un))
		die("uname: %s\n", strerror(errno));
	kasan = kasan_state(un.release);
	ver = drmGetVersion(ionode_fd);
	printf("%s: kernel %s, KASAN %s, ionode %d.%d.%d\n", prog, un.release, kasan,
	       ver ? ver->version_major : -1, ver ? ver->version_minor : -1,
	       ver ? ver->version_patchlevel : -1);
	printf("  medians: microseconds, faults per first touch; %u rounds over the\n"
	       "  allocators, %u warm-up iteration(s) each; alloc: back to back; paced:\n"
	       "  ",
	       ROUNDS, WARMUP);
	if (pause_ms)
		printf("each after a %u ms pause", pause_ms);
	else
		printf("not measured (-p 0)");
	printf("; cold: %s; no-op: two rejected\n"
	       "  ioctls (ENOTTY) against a SYNC pair; import: into vgem and back%s;\n"
	       "  written, wpaced: alloc and paced of buffers written in between\n"
	       "  (the writes not timed)\n",
	       have_drop_caches ? "after drop_caches" :
	       "not measured (" DROP_CACHES " not writable)",
	       vgem_fd < 0 ? " (no vgem: not measured)" : "");
	if (!strcmp(kasan, "on"))
		printf("  KASAN is on: absolute times are distorted, compare ratios only\n");
	for (i = 0; i < NALLOCATORS; i++)
		if (allocators[i].why[0])
			printf("  %s: missing: %s\n", allocators[i].label, allocators[i].why);
	printf("\n");
	print_header();

	ms = calloc(nsizes, sizeof(*ms));
	if (!ms)
		die("out of memory\n");
	t0 = now_ns();
	for (s = 0; s < nsizes; s++) {
		struct meas row[NALLOCATORS];
		char lim[24];

		count = 0;
		for (i = 0; i < NALLOCATORS; i++) {
			struct allocator *a = &allocators[i];
			struct meas *m = &row[count];

			if (a->why[0])
				continue;
			memset(m, 0, sizeof(*m));
			m->a = a;
			m->plan = &plan[s];
			if (plan[s].size > a->max_alloc)
				snprintf(m->skip, sizeof(m->skip),
					 "skipped: above the heap's max_alloc (%s)",
					 fmt_size(lim, sizeof(lim), a->max_alloc));
			else if (plan[s].size > a->free_bytes)
				snprintf(m->skip, sizeof(m->skip),
					 "skipped: above the heap's free bytes (%s)",
					 fmt_size(lim, sizeof(lim), a->free_bytes));
			for (k = 0; k < NMETRICS && !m->skip[0]; k++) {
				m->samples[k] = calloc(plan[s].n[k] ? plan[s].n[k] : 1,
						       sizeof(uint64_t));
				if (!m->samples[k])
					die("out of memory\n");
			}
			count++;
		}
		bench_size(row, count);
		for (i = 0, k = 0; i < NALLOCATORS; i++) {
			if (allocators[i].why[0])
				continue;
			ms[s][i] = row[k];
			for (unsigned int j = 0; j < NMETRICS; j++) {
				free(row[k].samples[j]);
				ms[s][i].samples[j] = NULL;
			}
			k++;
		}
	}
	printf("\n%s: %.0f s%s\n", prog, (now_ns() - t0) / 1e9,
	       status ? ", FAILED: a buffer did not hold what it should (see above)" : "");
	if (json)
		write_json(json, &un, kasan, ver, ms, nsizes, sizes, (now_ns() - t0) / 1e9);

	drmFreeVersion(ver);
	for (i = 0; i < NALLOCATORS; i++)
		if (allocators[i].fd >= 0 && allocators[i].fd != ionode_fd &&
		    allocators[i].fd != vgem_fd)
			close(allocators[i].fd);
	free(ms);
	free(ionode_heaps);
	if (vgem_fd >= 0)
		close(vgem_fd);
	close(ionode_fd);
	return status;
}
