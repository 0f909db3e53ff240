// SPDX-License-Identifier: MIT
/*
 * bench_heaps - ionode's heaps against the kernel's own dma-buf heaps
 * (the devices in /dev/dma_heap), buffer by buffer, in the same run:
 *
 *   ionode system          vs  dma-heap system
 *   ionode cma             vs  dma-heap <the CMA one> ("reserved": the
 *                              default CMA area, any heap but "system")
 *   ionode system-contig, the first carveout: no upstream counterpart,
 *                              measured for context
 *
 * at 4 KiB, 64 KiB, 1 MiB and 8 MiB (a size above a heap's max_alloc or
 * free bytes is skipped). For each heap and size, N times each (-n), it
 * measures the median and 99th percentile of:
 *
 *   alloc+free   ionode: DRM_IOCTL_IONODE_CREATE + PRIME export + GEM_CLOSE
 *                + close of the dma-buf fd; dma-heap: DMA_HEAP_IOCTL_ALLOC +
 *                close. Both hand userspace a dma-buf fd, so both are the
 *                cost of a shareable buffer, from nothing back to nothing.
 *   mmap+touch   mmap of the dma-buf fd, one write to every page (a page
 *                fault each, unless the exporter maps the whole buffer in
 *                mmap), munmap.
 *   sync pair    DMA_BUF_IOCTL_SYNC START then END (read/write) on a
 *                mapped buffer with no device attached: the ioctls' own cost.
 *
 * The N iterations run in rounds that alternate between the two heaps of a
 * pair, each round after a few unrecorded warm-up iterations, so that a
 * change in the machine's load weighs on both heaps alike.
 *
 * ionode buffers are cached (IONODE_BO_CACHED), as dma-heap buffers are;
 * -w makes them write-combined. Results are checked in passing, so that
 * the numbers cannot come from doing nothing: a new buffer must read as
 * zero, also after the same memory was written and freed, and the writes
 * through one mapping must be seen through the next. A failed check fails
 * the run on an ionode heap and is a warning on a dma-heap.
 *
 * The header names the kernel release and whether KASAN is on: a debug
 * kernel, like an emulated CPU, inflates every number; compare rows of one
 * run, not runs of different kernels.
 *
 *   bench_heaps [-n ITERATIONS] [-w]
 *
 * Exit status: 0, 1 when a check or an unexpected call failed, 2 for bad
 * usage, 77 when ionode is not loaded. Missing heaps are only reported.
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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include <xf86drm.h>

#include "libionode.h"
#include "tool_util.h"

#define DMA_HEAP_DIR	"/dev/dma_heap"
#define DEFAULT_ITERS	100
#define WARMUP		3
#define ROUNDS		4
#define NO_LIMIT	UINT64_MAX

static const char *prog = "bench_heaps";

static const uint64_t sizes[] = { 4 << 10, 64 << 10, 1 << 20, 8 << 20 };
#define NSIZES		(sizeof(sizes) / sizeof(sizes[0]))

enum { M_ALLOC, M_TOUCH, M_SYNC, NMETRICS };

struct heap {
	char label[48];
	bool dmaheap;		/* a /dev/dma_heap heap, else ionode's */
	int fd;			/* ionode render node or dma-heap device */
	uint64_t mask;		/* ionode heap mask */
	uint64_t max_alloc;	/* largest buffer, or NO_LIMIT */
	uint64_t free_bytes;	/* bytes left, or NO_LIMIT */
	char why[96];		/* why it is missing; empty when present */
};

/* One heap at one size: its samples so far, then its results. */
struct meas {
	const struct heap *h;
	uint64_t size;
	uint64_t *samples[NMETRICS];	/* nanoseconds, iters of each */
	unsigned int n;			/* samples taken */
	double median[NMETRICS], p99[NMETRICS];	/* microseconds */
	char skip[96];		/* why the size was skipped; empty if measured */
};

static unsigned int iters = DEFAULT_ITERS;
static uint32_t bo_flags = IONODE_BO_CACHED;
static long page_size;
static int status;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
 * @src gets where the answer came from.
 */
static const char *kasan_state(const char *release, char *src, size_t len)
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
		if (strcmp(state, "unknown")) {
			snprintf(src, len, "%s", path[i]);
			return found ? "on" : state;
		}
	}

	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		snprintf(src, len, "no kernel config or /proc/kallsyms");
		return "unknown";
	}
	state = "off";
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		if (name && !strcmp(name, " kasan_report\n")) {
			state = "on";
			break;
		}
	}
	fclose(f);
	snprintf(src, len, "/proc/kallsyms");
	return state;
}

/* Allocates a buffer of @size and returns its dma-buf fd (no GEM handle left). */
static int heap_alloc(const struct heap *h, uint64_t size, int *dmabuf)
{
	struct drm_ionode_create c = {
		.size = size, .heap_mask = h->mask, .flags = bo_flags,
	};
	int ret;

	if (h->dmaheap) {
		struct dma_heap_allocation_data d = {
			.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &d))
			return -errno;
		*dmabuf = d.fd;
		return 0;
	}

	ret = ionode_create_ex(h->fd, &c);
	if (ret)
		return ret;
	ret = ionode_export(h->fd, c.handle, dmabuf);
	if (ret) {
		ionode_close(h->fd, c.handle);
		return ret;
	}
	/* The dma-buf keeps the buffer; the handle can go. */
	ret = ionode_close(h->fd, c.handle);
	if (ret)
		close(*dmabuf);
	return ret;
}

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
 * reported, and fails the run for an ionode heap (a dma-heap's is only a
 * warning: not ours to assert).
 */
static void check(const struct heap *h, int dmabuf, uint64_t size,
		  uint64_t stamp, const char *when)
{
	const uint64_t *p = map(dmabuf, size, PROT_READ, h->label);
	size_t words = size / sizeof(*p), per_page = page_size / sizeof(*p), i;

	for (i = 0; i < words; i++) {
		uint64_t want = (stamp && !(i % per_page)) ? stamp : 0;

		if (p[i] != want) {
			fprintf(stderr, "%s: %s%s: %s: byte %zu of a %" PRIu64
				"-byte buffer holds %#" PRIx64 " (8 bytes), expected %#"
				PRIx64 "\n", prog, h->dmaheap ? "warning: " : "",
				h->label, when, i * sizeof(*p), size, p[i], want);
			if (!h->dmaheap)
				status = 1;
			break;
		}
	}
	munmap((void *)p, size);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and nearest-rank 99th percentile of s[0..n), in microseconds. */
static void stats(uint64_t *s, unsigned int n, double *median, double *p99)
{
	unsigned int rank = (99 * n + 99) / 100;

	qsort(s, n, sizeof(*s), cmp_u64);
	if (n % 2)
		*median = s[n / 2] / 1e3;
	else
		*median = (s[n / 2 - 1] + s[n / 2]) / 2e3;
	*p99 = s[rank - 1] / 1e3;
}

/*
 * One round of @count iterations of each measurement for @m's heap and
 * size, after WARMUP unrecorded ones. Returns false when the allocation
 * fails for want of memory or permission (@m->skip says so); dies on other
 * errors.
 */
static bool measure_round(struct meas *m, unsigned int count)
{
	const struct heap *h = m->h;
	uint64_t size = m->size, stamp = 0, t0, *out;
	unsigned int i;
	int fd, ret;
	uint8_t *p;

	/* A new buffer reads as zero. */
	ret = heap_alloc(h, size, &fd);
	if (ret == -ENOMEM || ret == -E2BIG || ret == -EPERM || ret == -EDQUOT) {
		snprintf(m->skip, sizeof(m->skip), "skipped: allocation fails: %s",
			 strerror(-ret));
		return false;
	}
	if (ret)
		die("%s: allocating %" PRIu64 " bytes: %s\n", h->label, size,
		    strerror(-ret));
	check(h, fd, size, 0, "new buffer");

	/* (b) mmap, write the first word of every page, munmap. */
	out = m->samples[M_TOUCH] + m->n;
	for (i = 0; i < WARMUP + count; i++) {
		uint64_t off;

		t0 = now_ns();
		p = map(fd, size, PROT_READ | PROT_WRITE, h->label);
		stamp = i + 1;
		for (off = 0; off < size; off += page_size)
			*(volatile uint64_t *)(p + off) = stamp;
		munmap(p, size);
		if (i >= WARMUP)
			out[i - WARMUP] = now_ns() - t0;
	}
	check(h, fd, size, stamp, "after the mmap+touch loop");

	/* (c) DMA_BUF_IOCTL_SYNC START + END on a mapped buffer. */
	out = m->samples[M_SYNC] + m->n;
	p = map(fd, size, PROT_READ | PROT_WRITE, h->label);
	for (i = 0; i < WARMUP + count; i++) {
		t0 = now_ns();
		ret = ionode_dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		if (!ret)
			ret = ionode_dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		if (i >= WARMUP)
			out[i - WARMUP] = now_ns() - t0;
		if (ret)
			die("%s: DMA_BUF_IOCTL_SYNC: %s\n", h->label, strerror(-ret));
	}
	munmap(p, size);
	close(fd);

	/* (a) allocate to a dma-buf fd and free, nothing else. */
	out = m->samples[M_ALLOC] + m->n;
	for (i = 0; i < WARMUP + count; i++) {
		t0 = now_ns();
		ret = heap_alloc(h, size, &fd);
		if (ret)
			die("%s: allocating %" PRIu64 " bytes (iteration %u): %s\n",
			    h->label, size, i, strerror(-ret));
		close(fd);
		if (i >= WARMUP)
			out[i - WARMUP] = now_ns() - t0;
	}

	/* Memory written above and freed must come back zeroed. */
	ret = heap_alloc(h, size, &fd);
	if (ret)
		die("%s: allocating %" PRIu64 " bytes: %s\n", h->label, size,
		    strerror(-ret));
	check(h, fd, size, 0, "buffer allocated after the loops");
	close(fd);
	m->n += count;
	return true;
}

static void ionode_heap(struct heap *h, int ion, const struct drm_ionode_heap_info *hi,
			uint32_t count, const char *name, uint32_t type)
{
	const struct drm_ionode_heap_info *info = NULL;
	uint32_t i;

	memset(h, 0, sizeof(*h));
	h->fd = ion;
	if (name) {
		snprintf(h->label, sizeof(h->label), "ionode %s", name);
		info = ionode_find_heap(hi, count, name);
	} else {
		for (i = 0; i < count && !info; i++)
			if (hi[i].type == type)
				info = &hi[i];
		snprintf(h->label, sizeof(h->label), "ionode %s",
			 info ? info->name : ionode_heap_type_name(type));
	}
	if (!info) {
		snprintf(h->why, sizeof(h->why), "no such ionode heap%s",
			 type == IONODE_HEAP_TYPE_CMA ? " (the kernel has no CMA area)" :
			 type == IONODE_HEAP_TYPE_CARVEOUT ? " (no carveout= given)" : "");
		return;
	}
	if (info->id >= 64) {
		snprintf(h->why, sizeof(h->why), "heap id %u beyond the mask", info->id);
		return;
	}
	h->mask = 1ull << info->id;
	h->max_alloc = info->max_alloc;
	h->free_bytes = info->free_bytes == IONODE_SIZE_UNKNOWN ? NO_LIMIT :
			info->free_bytes;
}

/* @name: the heap's name in /dev/dma_heap, or NULL when none was found. */
static void dma_heap(struct heap *h, const char *name, uint64_t free_bytes)
{
	bool no_dir = access(DMA_HEAP_DIR, F_OK);
	char path[300];

	memset(h, 0, sizeof(*h));
	h->dmaheap = true;
	h->fd = -1;
	h->max_alloc = NO_LIMIT;
	h->free_bytes = free_bytes;
	snprintf(h->label, sizeof(h->label), "dma-heap %s", name ? name : "(cma)");
	if (no_dir) {
		snprintf(h->why, sizeof(h->why),
			 "no " DMA_HEAP_DIR " (kernel without CONFIG_DMABUF_HEAPS)");
		return;
	}
	if (!name) {
		snprintf(h->why, sizeof(h->why),
			 "no CMA dma-heap (needs CONFIG_DMABUF_HEAPS_CMA and a CMA area)");
		return;
	}
	snprintf(path, sizeof(path), DMA_HEAP_DIR "/%s", name);
	h->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (h->fd < 0)
		snprintf(h->why, sizeof(h->why), DMA_HEAP_DIR "/%s: %s", name,
			 strerror(errno));
}

/* The first dma-heap other than "system", by name, or NULL. */
static char *dma_heap_cma_name(void)
{
	struct dirent *de;
	char *best = NULL;
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

static void print_header(void)
{
	printf("%-22s %-7s %20s %20s %20s\n", "", "", "alloc+free (us)",
	       "mmap+touch (us)", "sync pair (us)");
	printf("%-22s %-7s %9s %10s %9s %10s %9s %10s\n", "heap", "size",
	       "median", "p99", "median", "p99", "median", "p99");
}

static void print_row(const struct meas *m)
{
	unsigned int k;
	char sz[24];

	printf("%-22s %-7s", m->h->label, fmt_size(sz, sizeof(sz), m->size));
	if (m->skip[0]) {
		printf(" %s\n", m->skip);
		return;
	}
	for (k = 0; k < NMETRICS; k++)
		printf(" %9.1f %10.1f", m->median[k], m->p99[k]);
	printf("\n");
}

static void print_ratio(const struct meas *a, const struct meas *b)
{
	unsigned int k;

	printf("%-30s", "  ratio ionode/dma-heap");
	for (k = 0; k < NMETRICS; k++)
		printf(" %8.2fx%*s", a->median[k] / b->median[k],
		       k + 1 < NMETRICS ? 11 : 0, "");
	printf("\n");
}

/*
 * Measures heap @a, and heap @b when not NULL, at @size and prints their
 * rows (and the ratio of their medians). The iterations are split into
 * rounds that alternate between the two heaps, so that a change in the
 * machine's load (another VM, say) weighs on both alike.
 */
static void bench(const struct heap *a, const struct heap *b, uint64_t size)
{
	unsigned int rounds = iters < ROUNDS ? iters : ROUNDS, r, j, k;
	struct meas m[2];
	char lim[24];

	memset(m, 0, sizeof(m));
	for (j = 0; j < 2; j++) {
		struct meas *x = &m[j];

		x->h = j ? b : a;
		x->size = size;
		if (!x->h)
			continue;
		if (size > x->h->max_alloc)
			snprintf(x->skip, sizeof(x->skip), "skipped: above the heap's max_alloc (%s)",
				 fmt_size(lim, sizeof(lim), x->h->max_alloc));
		else if (size > x->h->free_bytes)
			snprintf(x->skip, sizeof(x->skip), "skipped: above the heap's free bytes (%s)",
				 fmt_size(lim, sizeof(lim), x->h->free_bytes));
		for (k = 0; k < NMETRICS && !x->skip[0]; k++) {
			x->samples[k] = calloc(iters, sizeof(uint64_t));
			if (!x->samples[k])
				die("out of memory\n");
		}
	}

	for (r = 0; r < rounds; r++) {
		unsigned int count = iters * (r + 1) / rounds - iters * r / rounds;

		for (j = 0; j < 2; j++) {
			struct meas *x = &m[(r % 2) ? 1 - j : j];

			if (x->h && !x->skip[0])
				measure_round(x, count);
		}
	}

	for (j = 0; j < 2; j++) {
		struct meas *x = &m[j];

		if (!x->h)
			continue;
		if (!x->skip[0])
			for (k = 0; k < NMETRICS; k++)
				stats(x->samples[k], iters, &x->median[k], &x->p99[k]);
		print_row(x);
		for (k = 0; k < NMETRICS; k++)
			free(x->samples[k]);
	}
	if (b && !m[0].skip[0] && !m[1].skip[0])
		print_ratio(&m[0], &m[1]);
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-n ITERATIONS] [-w]\n"
		"  -n  measured iterations per heap, size and measurement (default %u)\n"
		"  -w  write-combined ionode buffers instead of cached ones\n",
		prog, DEFAULT_ITERS);
}

int main(int argc, char **argv)
{
	struct heap pairs[2][2], solo[2];
	struct drm_ionode_heap_info *hi;
	char kasan_src[160], *cma_name;
	drmVersionPtr ver;
	struct utsname un;
	unsigned int s, k;
	uint32_t count;
	uint64_t t0;
	int opt, ion, ret;

	while ((opt = getopt(argc, argv, "n:wh")) != -1) {
		switch (opt) {
		case 'n':
			iters = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			bo_flags = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!iters || iters > 1000000 || optind != argc) {
		usage(stderr);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);

	ion = ionode_open();
	if (ion < 0) {
		fprintf(stderr, "%s: no ionode device: %s\n", prog, strerror(-ion));
		return 77;
	}
	ret = ionode_query_heaps(ion, &hi, &count);
	if (ret)
		die("DRM_IOCTL_IONODE_QUERY_HEAPS: %s\n", strerror(-ret));

	ionode_heap(&pairs[0][0], ion, hi, count, "system", IONODE_HEAP_TYPE_SYSTEM);
	dma_heap(&pairs[0][1], "system", NO_LIMIT);
	ionode_heap(&pairs[1][0], ion, hi, count, "cma", IONODE_HEAP_TYPE_CMA);
	/* Both draw from the default CMA area: ionode knows what is free. */
	cma_name = dma_heap_cma_name();
	dma_heap(&pairs[1][1], cma_name,
		 pairs[1][0].why[0] ? NO_LIMIT : pairs[1][0].free_bytes);
	free(cma_name);
	ionode_heap(&solo[0], ion, hi, count, "system-contig", IONODE_HEAP_TYPE_SYSTEM_CONTIG);
	ionode_heap(&solo[1], ion, hi, count, NULL, IONODE_HEAP_TYPE_CARVEOUT);

	if (uname(&un))
		die("uname: %s\n", strerror(errno));
	ver = drmGetVersion(ion);
	printf("%s: kernel %s, KASAN %s (%s), ionode %d.%d.%d\n", prog, un.release,
	       kasan_state(un.release, kasan_src, sizeof(kasan_src)), kasan_src,
	       ver ? ver->version_major : -1, ver ? ver->version_minor : -1,
	       ver ? ver->version_patchlevel : -1);
	drmFreeVersion(ver);
	printf("  %u iterations per measurement, in %u rounds alternating between the\n"
	       "  heaps of a pair (%u warm-up iterations each); %s ionode buffers,\n"
	       "  cached dma-heap buffers; median and 99th percentile in microseconds\n\n",
	       iters, iters < ROUNDS ? iters : ROUNDS, WARMUP,
	       bo_flags & IONODE_BO_CACHED ? "cached" : "write-combined");

	t0 = now_ns();
	print_header();
	for (k = 0; k < 2; k++) {
		struct heap *a = pairs[k][0].why[0] ? NULL : &pairs[k][0];
		struct heap *b = pairs[k][1].why[0] ? NULL : &pairs[k][1];

		printf("\n");
		for (s = 0; s < 2; s++)
			if (pairs[k][s].why[0])
				printf("%-22s %-7s skipped: %s\n", pairs[k][s].label,
				       "-", pairs[k][s].why);
		for (s = 0; s < NSIZES && (a || b); s++)
			bench(a ? a : b, a ? b : NULL, sizes[s]);
	}
	printf("\n");
	for (k = 0; k < 2; k++) {
		if (solo[k].why[0]) {
			printf("%-22s %-7s skipped: %s\n", solo[k].label, "-", solo[k].why);
			continue;
		}
		for (s = 0; s < NSIZES; s++)
			bench(&solo[k], NULL, sizes[s]);
	}
	printf("\n%s: %.0f s%s\n", prog, (now_ns() - t0) / 1e9,
	       status ? ", FAILED: a buffer did not hold what it should (see above)" : "");

	for (k = 0; k < 2; k++)
		if (pairs[k][1].fd >= 0)
			close(pairs[k][1].fd);
	free(hi);
	close(ion);
	return status;
}
