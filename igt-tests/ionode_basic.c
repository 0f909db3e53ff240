// SPDX-License-Identifier: MIT
/*
 * ionode_basic - device identity, heap query and buffer creation ABI.
 *
 * Checks what uapi/ionode_drm.h promises for DRM_IOCTL_VERSION, the node
 * layout, DRM_IOCTL_IONODE_QUERY_HEAPS, DRM_IOCTL_IONODE_CREATE,
 * DRM_IOCTL_IONODE_MAP_OFFSET, DRM_IOCTL_IONODE_BO_INFO, GEM_CLOSE and
 * DRM_IOCTL_IONODE_ALLOC_FD,
 * including the exact errno of every invalid argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "ionode_test.h"

/*
 * The smallest elem_size the uapi accepts: "A non-zero @elem_size below the
 * version-1 size (80) is -EINVAL": the struct as uapi 1.0 defines it.
 */
#define HEAP_INFO_V1_SIZE	80
#define MiB			(1024ull * 1024)

static int fd = -1;
static struct ionode_heaps heaps;
static size_t page;

/* Every subtest starts on a fresh DRM fd (see ionode_subtest()). */
#define subtest(name) ionode_subtest(&fd, name)
#define subtest_f(...) ionode_subtest_f(&fd, __VA_ARGS__)

/* Create with a filled request, expecting failure with @err. */
static void create_expect(struct drm_ionode_create req, int err)
{
	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, err);
}

static struct drm_ionode_create create_req(uint64_t size, uint64_t mask,
					   uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size,
		.heap_mask = mask,
		.flags = flags,
	};

	return req;
}

/* ---- device identity --------------------------------------------------- */

/* The render node answers DRM_IOCTL_VERSION as "ionode" with the uapi major. */
static void test_driver_version(void)
{
	drmVersionPtr v = drmGetVersion(fd);

	igt_assert(v);
	igt_assert_f(v->name && strcmp(v->name, IONODE_DRIVER_NAME) == 0,
		     "driver name is \"%s\"\n", v->name ? v->name : "(null)");
	igt_assert_eq(v->version_major, IONODE_UAPI_MAJOR);
	igt_assert_lte(IONODE_UAPI_MINOR, v->version_minor);
	igt_info("driver %s %d.%d.%d (%s)\n", v->name, v->version_major,
		 v->version_minor, v->version_patchlevel, v->desc);
	drmFreeVersion(v);
}

/*
 * libdrm's device enumeration lists one ionode device with both a primary
 * (card) and a render node, both open, both are ionode, and the render node
 * is the one ionode_open() found.
 */
static void test_device_nodes(void)
{
	drmDevicePtr devs[64], dev = NULL;
	struct stat st_fd, st_node;
	int n, i, found = 0, card, render;

	igt_assert_eq(fstat(fd, &st_fd), 0);
	n = drmGetDevices2(0, devs, 64);
	igt_assert_f(n > 0, "drmGetDevices2 found no device (%d)\n", n);
	for (i = 0; i < n; i++) {
		if (!(devs[i]->available_nodes & (1 << DRM_NODE_RENDER)))
			continue;
		if (stat(devs[i]->nodes[DRM_NODE_RENDER], &st_node) == 0 &&
		    st_node.st_rdev == st_fd.st_rdev) {
			dev = devs[i];
			found++;
		}
	}
	igt_assert_f(found == 1, "drmGetDevices2 lists the ionode render node "
		     "%d times\n", found);
	igt_assert(dev->available_nodes & (1 << DRM_NODE_PRIMARY));
	igt_info("render node %s, primary node %s\n",
		 dev->nodes[DRM_NODE_RENDER], dev->nodes[DRM_NODE_PRIMARY]);

	render = open(dev->nodes[DRM_NODE_RENDER], O_RDWR | O_CLOEXEC);
	igt_assert_f(render >= 0, "open %s\n", dev->nodes[DRM_NODE_RENDER]);
	card = open(dev->nodes[DRM_NODE_PRIMARY], O_RDWR | O_CLOEXEC);
	igt_assert_f(card >= 0, "open %s\n", dev->nodes[DRM_NODE_PRIMARY]);
	igt_assert_eq(ionode_is_ionode(render), 1);
	igt_assert_eq(ionode_is_ionode(card), 1);
	igt_assert_eq(drmGetNodeTypeFromFd(render), DRM_NODE_RENDER);
	igt_assert_eq(drmGetNodeTypeFromFd(card), DRM_NODE_PRIMARY);
	close(card);
	close(render);
	drmFreeDevices(devs, n);
}

/*
 * No mode-setting: DRM_IOCTL_MODE_GETRESOURCES on the card node fails with
 * EOPNOTSUPP (DRM core's answer for a driver without DRIVER_MODESET), so
 * drmModeGetResources() returns NULL.
 */
static void test_no_modeset(void)
{
	struct drm_mode_card_res res = { 0 };
	int card = igt_ionode_open_card();

	do_ioctl_err(card, DRM_IOCTL_MODE_GETRESOURCES, &res, EOPNOTSUPP);
	igt_assert(drmModeGetResources(card) == NULL);
	close(card);
}

/*
 * Dumb buffers: on the card node only (render nodes refuse the ioctls), a
 * zeroed, mappable, exportable and accounted ionode buffer whose pitch is
 * 64-byte aligned, from the first of cma, system-contig and system that
 * can hold it.
 * DRM_CAP_DUMB_BUFFER stays unanswered: 6.1 reports it only for KMS
 * drivers (as for vgem), and Mesa's kms_swrast does not ask.
 */
/* DRM_CAP_PRIME reports both import and export. */
static void test_prime_caps(void)
{
	uint64_t val = 0;

	igt_assert_eq(drmGetCap(fd, DRM_CAP_PRIME, &val), 0);
	igt_assert_eq_u64(val, DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
}

/* ---- heap query -------------------------------------------------------- */

/*
 * Two-pass query by hand: count first, then fill. Every entry is sane: ids
 * unique and < 64, names NUL-terminated, non-empty and unique, known type
 * and flags, zero pad, the byte counts consistent; the system-contig and
 * CMA types carry IONODE_HEAP_CONTIGUOUS, the system type does not (the
 * uapi does not say for carveouts); the system heaps have no fixed size;
 * the "system" heap exists with type SYSTEM.
 */
static void test_query_heaps(void)
{
	struct drm_ionode_query_heaps q = { 0 };
	struct drm_ionode_heap_info *arr;
	uint64_t ids = 0;
	bool have_system = false;
	uint32_t n, i, j;

	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	n = q.count;
	igt_assert_lt(0, n);
	igt_assert_lte(n, IONODE_MAX_HEAPS);
	/* The kernel's element is at least this header's struct. */
	igt_assert_lte(sizeof(struct drm_ionode_heap_info), q.elem_size);

	arr = calloc(n, sizeof(*arr));
	igt_assert(arr);
	q.count = n;
	q.elem_size = sizeof(*arr);
	q.heaps = (uintptr_t)arr;
	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	igt_assert_eq(q.count, n);

	for (i = 0; i < n; i++) {
		const struct drm_ionode_heap_info *h = &arr[i];

		igt_assert_f(memchr(h->name, '\0', sizeof(h->name)),
			     "heap %u name not NUL-terminated\n", i);
		igt_info("heap %u: id %u \"%s\" type %u flags %#x total %llu "
			 "used %llu free %llu max_alloc %llu\n", i, h->id,
			 h->name, h->type, h->flags,
			 (unsigned long long)h->total_bytes,
			 (unsigned long long)h->used_bytes,
			 (unsigned long long)h->free_bytes,
			 (unsigned long long)h->max_alloc);
		igt_assert_f(h->name[0], "heap %u has an empty name\n", i);
		igt_assert_lt(h->id, IONODE_MAX_HEAPS);
		igt_assert_f(!(ids & (1ull << h->id)), "heap id %u twice\n",
			     h->id);
		ids |= 1ull << h->id;
		for (j = 0; j < i; j++)
			igt_assert_f(strcmp(arr[j].name, h->name) != 0,
				     "heap name \"%s\" twice\n", h->name);
		igt_assert_lte(h->type, IONODE_HEAP_TYPE_CMA);
		igt_assert_eq(h->flags & ~(IONODE_HEAP_CONTIGUOUS |
					   IONODE_HEAP_RESTRICTED), 0);
		igt_assert_eq(h->pad, 0);
		igt_assert_lt(0, h->max_alloc);
		if (h->type == IONODE_HEAP_TYPE_SYSTEM)
			igt_assert(!(h->flags & IONODE_HEAP_CONTIGUOUS));
		if (h->type == IONODE_HEAP_TYPE_SYSTEM_CONTIG ||
		    h->type == IONODE_HEAP_TYPE_CMA)
			igt_assert(h->flags & IONODE_HEAP_CONTIGUOUS);
		if (h->total_bytes != IONODE_SIZE_UNKNOWN) {
			igt_assert_lte_u64(h->used_bytes, h->total_bytes);
			igt_assert_lte_u64(h->max_alloc, h->total_bytes);
			if (h->free_bytes != IONODE_SIZE_UNKNOWN)
				igt_assert_lte_u64(h->free_bytes, h->total_bytes);
		}
		if (strcmp(h->name, "system") == 0) {
			have_system = true;
			igt_assert_eq(h->type, IONODE_HEAP_TYPE_SYSTEM);
		}
		if (h->type == IONODE_HEAP_TYPE_SYSTEM ||
		    h->type == IONODE_HEAP_TYPE_SYSTEM_CONTIG)
			igt_assert_eq_u64(h->total_bytes, IONODE_SIZE_UNKNOWN);
	}
	igt_assert_f(have_system, "no heap named \"system\"\n");
	free(arr);
}

/* count 0, elem_size 0, heaps 0 only reports the count and element size. */
static void test_query_heaps_count_only(void)
{
	struct drm_ionode_query_heaps q = { .count = 0 };

	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	igt_assert_eq(q.count, heaps.count);
	igt_assert_lte(sizeof(struct drm_ionode_heap_info), q.elem_size);
	igt_assert_eq_u64(q.heaps, 0);
}

/* A non-zero count below the number of heaps is ENOSPC with count updated. */
static void test_query_heaps_enospc(void)
{
	struct drm_ionode_heap_info *arr;
	uint32_t n = heaps.count, c;

	igt_require_f(n >= 2, "needs two heaps, the driver has %u\n", n);
	arr = calloc(n, sizeof(*arr));
	igt_assert(arr);
	for (c = 1; c < n; c++) {
		struct drm_ionode_query_heaps q = {
			.count = c,
			.elem_size = sizeof(*arr),
			.heaps = (uintptr_t)arr,
		};

		do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, ENOSPC);
		igt_assert_eq(q.count, n);
	}
	free(arr);
}

/* A non-zero elem_size below the version-1 size (80) is EINVAL. */
static void test_query_heaps_small_elem(void)
{
	static const uint32_t sizes[] = { 1, 4, 8, 32, 48, 63, 64, 79 };
	struct drm_ionode_heap_info *arr;
	unsigned int i;

	arr = calloc(heaps.count, HEAP_INFO_V1_SIZE);
	igt_assert(arr);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct drm_ionode_query_heaps q = {
			.count = heaps.count,
			.elem_size = sizes[i],
			.heaps = (uintptr_t)arr,
		};

		do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EINVAL);
		/* ... also when only asking for the count. */
		q.count = 0;
		q.elem_size = sizes[i];
		q.heaps = 0;
		do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EINVAL);
	}
	free(arr);
}

/*
 * elem_size equal to the documented version-1 size (80) is accepted: the
 * kernel writes 80 bytes per entry at a stride of 80 and nothing past the
 * array.
 */
static void test_query_heaps_min_elem(void)
{
	const uint32_t stride = HEAP_INFO_V1_SIZE;
	struct drm_ionode_query_heaps q = {
		.count = heaps.count,
		.elem_size = stride,
	};
	uint8_t *buf;
	uint32_t i, b;

	buf = malloc(stride * (heaps.count + 1));
	igt_assert(buf);
	memset(buf, 0xaa, stride * (heaps.count + 1));
	q.heaps = (uintptr_t)buf;
	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	igt_assert_eq(q.count, heaps.count);
	for (i = 0; i < heaps.count; i++) {
		struct drm_ionode_heap_info e;

		memset(&e, 0, sizeof(e));
		memcpy(&e, buf + i * stride, stride);
		igt_assert_eq(e.id, heaps.info[i].id);
		igt_assert_eq(e.type, heaps.info[i].type);
		igt_assert(strcmp(e.name, heaps.info[i].name) == 0);
	}
	for (b = 0; b < stride; b++)
		igt_assert_f(buf[heaps.count * stride + b] == 0xaa,
			     "byte %u past the array written\n", b);
	free(buf);
}

/* A NULL or unmapped heaps pointer with a big enough count is EFAULT. */
static void test_query_heaps_bad_pointer(void)
{
	struct drm_ionode_query_heaps q = {
		.count = heaps.count,
		.elem_size = sizeof(struct drm_ionode_heap_info),
		.heaps = 0,
	};
	void *hole;

	do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EFAULT);

	hole = mmap(NULL, 64 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	igt_assert(hole != MAP_FAILED);
	q.count = heaps.count;
	q.elem_size = sizeof(struct drm_ionode_heap_info);
	q.heaps = (uintptr_t)hole;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, EFAULT);
	munmap(hole, 64 * page);
}

/*
 * A larger elem_size (a newer binary's struct) works: entries land at a
 * stride of elem_size, hold the same data as a normal query, and the bytes
 * past the kernel's element size are left untouched.
 */
static void test_query_heaps_large_elem(void)
{
	const uint32_t stride = 128;
	struct drm_ionode_query_heaps q = { 0 };
	uint8_t *buf;
	uint32_t ksize, i, b;

	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	ksize = q.elem_size;
	igt_assert_eq(q.count, heaps.count);

	buf = malloc(stride * heaps.count);
	igt_assert(buf);
	memset(buf, 0xaa, stride * heaps.count);
	q.count = heaps.count;
	q.elem_size = stride;
	q.heaps = (uintptr_t)buf;
	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	igt_assert_eq(q.count, heaps.count);
	igt_assert_eq(q.elem_size, ksize);

	for (i = 0; i < heaps.count; i++) {
		struct drm_ionode_heap_info e;
		const struct drm_ionode_heap_info *ref = &heaps.info[i];

		memcpy(&e, buf + i * stride, sizeof(e));
		igt_assert_eq(e.id, ref->id);
		igt_assert_eq(e.type, ref->type);
		igt_assert_eq(e.flags, ref->flags);
		igt_assert(strcmp(e.name, ref->name) == 0);
		igt_assert_eq_u64(e.total_bytes, ref->total_bytes);
		igt_assert_eq_u64(e.max_alloc, ref->max_alloc);
		for (b = ksize; b < stride; b++)
			igt_assert_f(buf[i * stride + b] == 0xaa,
				     "entry %u byte %u (past the kernel's %u) "
				     "was written: %#x\n", i, b, ksize,
				     buf[i * stride + b]);
	}
	free(buf);
}

/* A count above the number of heaps succeeds, reports the real count and
 * leaves the spare entries untouched. */
static void test_query_heaps_count_larger(void)
{
	const uint32_t extra = 3;
	uint32_t n = heaps.count, i;
	struct drm_ionode_query_heaps q = { 0 };
	uint8_t *buf;
	size_t sz = sizeof(struct drm_ionode_heap_info);

	buf = malloc(sz * (n + extra));
	igt_assert(buf);
	memset(buf, 0xaa, sz * (n + extra));
	q.count = n + extra;
	q.elem_size = sz;
	q.heaps = (uintptr_t)buf;
	do_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
	igt_assert_eq(q.count, n);
	for (i = n * sz; i < (n + extra) * sz; i++)
		igt_assert_f(buf[i] == 0xaa, "spare byte %u written\n", i);
	free(buf);
}

/* ---- create / close ---------------------------------------------------- */

/*
 * Buffers of assorted sizes are created on the system heap with the size
 * rounded up to the page size, and bo_info agrees; then they close.
 */
static void test_create_close(void)
{
	const uint64_t sizes[] = {
		1, 100, page - 1, page, page + 1, 3 * page + 5, 17 * page,
		MiB - 1, MiB, MiB + 1, 5 * MiB + 3,
	};
	uint64_t sys = ionode_system_mask(&heaps);
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct drm_ionode_create req = create_req(sizes[i], sys, 0);
		struct drm_ionode_bo_info info;

		ionode_bo_create_ex(fd, &req);
		igt_assert_eq_u64(req.size, ionode_round_page(sizes[i]));
		igt_assert_eq(req.heap_id, ionode_heap(&heaps, "system")->id);
		igt_assert_eq(req.pad, 0);
		info = ionode_bo_info_get(fd, req.handle);
		igt_assert_eq_u64(info.size, req.size);
		igt_assert_eq(info.heap_id, req.heap_id);
		igt_assert_eq(info.flags, 0);
		ionode_bo_close(fd, req.handle);
	}
}

/* Many live buffers get distinct handles, and every one closes once. */
static void test_create_many(void)
{
	static uint32_t handles[128];
	uint64_t sys = ionode_system_mask(&heaps);
	unsigned int i, j;

	for (i = 0; i < 128; i++) {
		handles[i] = ionode_bo_create(fd, page * (1 + i % 4), sys,
					      i % 2 ? IONODE_BO_CACHED : 0);
		for (j = 0; j < i; j++)
			igt_assert_neq(handles[i], handles[j]);
	}
	for (i = 0; i < 128; i++)
		ionode_bo_close(fd, handles[i]);
	for (i = 0; i < 128; i++) {
		struct drm_ionode_bo_info info = { .handle = handles[i] };

		do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, ENOENT);
	}
}

/*
 * bo_info reports the size, the heap, the create flags, no import/export
 * attribute on a fresh buffer and a zero pad2.
 */
static void test_bo_info(void)
{
	uint64_t sys = ionode_system_mask(&heaps);
	uint32_t flags[] = { 0, IONODE_BO_CACHED };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct drm_ionode_create req = create_req(3 * page, sys, flags[i]);
		struct drm_ionode_bo_info info = { 0 };

		ionode_bo_create_ex(fd, &req);
		info.handle = req.handle;
		do_ioctl(fd, DRM_IOCTL_IONODE_BO_INFO, &info);
		igt_assert_eq(info.handle, req.handle);
		igt_assert_eq_u64(info.size, 3 * page);
		igt_assert_eq(info.heap_id, req.heap_id);
		igt_assert_eq(info.flags, flags[i]);
		igt_assert_eq(info.attrs & (IONODE_ATTR_IMPORTED |
					    IONODE_ATTR_EXPORTED), 0);
		igt_assert_eq(info.pad2, 0);
		ionode_bo_close(fd, req.handle);
	}
}

/*
 * Heaps are tried in query order: with a mask naming the heaps from index
 * i on, the first of them that can serve a page serves it.
 */
static void test_create_heap_order(void)
{
	uint32_t i, j, checked = 0;

	for (i = 0; i < heaps.count; i++) {
		struct drm_ionode_create req;
		uint64_t mask = 0;

		if (!ionode_heap_usable(&heaps.info[i], page))
			continue;
		for (j = i; j < heaps.count; j++)
			mask |= 1ull << heaps.info[j].id;
		req = create_req(page, mask, 0);
		ionode_bo_create_ex(fd, &req);
		igt_assert_f(req.heap_id == heaps.info[i].id,
			     "mask %#llx served by heap %u, expected %u (%s)\n",
			     (unsigned long long)mask, req.heap_id,
			     heaps.info[i].id, heaps.info[i].name);
		ionode_bo_close(fd, req.handle);
		checked++;
	}
	igt_assert_lt(0, checked);
}

/* Mask bits naming no heap are ignored while one named heap exists. */
static void test_create_mask_extra_bits(void)
{
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	uint64_t extra = ~ionode_all_heaps_mask(&heaps);
	struct drm_ionode_create req;

	igt_assert(sys);
	igt_require(extra);
	req = create_req(page, (1ull << sys->id) | extra, 0);
	ionode_bo_create_ex(fd, &req);
	igt_assert_eq(req.heap_id, sys->id);
	ionode_bo_close(fd, req.handle);
}

/* Power-of-two alignments up to the page size work on the system heap. */
static void test_create_align_small(void)
{
	uint64_t aligns[] = { 0, 1, 2, 64, 256, page / 2, page };
	uint64_t sys = ionode_system_mask(&heaps);
	unsigned int i;

	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		struct drm_ionode_create req = create_req(2 * page, sys, 0);

		req.align = aligns[i];
		ionode_bo_create_ex(fd, &req);
		ionode_bo_close(fd, req.handle);
	}
}

/* Alignments above the page size work on a contiguous heap. */
static void test_create_align_contig(void)
{
	const struct drm_ionode_heap_info *h = ionode_contig_heap(&heaps,
								  16 * page);
	uint64_t align;

	igt_require_f(h, "no usable contiguous heap\n");
	for (align = 2 * page; align <= 16 * page; align *= 2) {
		struct drm_ionode_create req = create_req(page, 1ull << h->id, 0);

		req.align = align;
		ionode_bo_create_ex(fd, &req);
		igt_assert_eq(req.heap_id, h->id);
		ionode_bo_close(fd, req.handle);
	}
}

/*
 * IONODE_BO_CONTIGUOUS over every heap lands on a contiguous heap and the
 * buffer reports IONODE_ATTR_CONTIGUOUS and the flag.
 */
static void test_create_contiguous(void)
{
	const struct drm_ionode_heap_info *h = ionode_contig_heap(&heaps,
								  4 * page);
	struct drm_ionode_create req;
	struct drm_ionode_bo_info info;

	igt_require_f(h, "no usable contiguous heap\n");
	req = create_req(4 * page, ionode_all_heaps_mask(&heaps),
			 IONODE_BO_CONTIGUOUS);
	ionode_bo_create_ex(fd, &req);
	igt_assert_f(ionode_heap_by_id(&heaps, req.heap_id)->flags &
		     IONODE_HEAP_CONTIGUOUS, "contiguous buffer served by "
		     "non-contiguous heap %u\n", req.heap_id);
	info = ionode_bo_info_get(fd, req.handle);
	igt_assert_eq(info.flags, IONODE_BO_CONTIGUOUS);
	igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, req.handle);

	/* Every buffer of a contiguous heap is contiguous, flag or not. */
	req = create_req(4 * page, 1ull << h->id, 0);
	ionode_bo_create_ex(fd, &req);
	info = ionode_bo_info_get(fd, req.handle);
	igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, req.handle);
}

/* used_bytes of the system heap grows by the buffer size and drops back. */
static void test_heap_used_bytes(void)
{
	uint64_t before, during, after;
	uint32_t h;

	before = ionode_heap_used(fd, "system");
	h = ionode_bo_create(fd, MiB, ionode_system_mask(&heaps), 0);
	during = ionode_heap_used(fd, "system");
	ionode_bo_close(fd, h);
	after = ionode_heap_used(fd, "system");
	igt_assert_eq_u64(during, before + MiB);
	igt_assert_eq_u64(after, before);
}

/*
 * Allocating from a fixed-size heap until it is full ends with ENOMEM (not
 * E2BIG: each request is within max_alloc), and freeing gives it all back.
 */
static void test_heap_exhaustion(void)
{
	static uint32_t handles[1024];
	const struct drm_ionode_heap_info *h = NULL;
	uint64_t chunk, used_before;
	unsigned int i, n = 0;
	int ret = 0;

	for (i = 0; i < heaps.count && !h; i++)
		if (heaps.info[i].total_bytes != IONODE_SIZE_UNKNOWN &&
		    ionode_heap_usable(&heaps.info[i], page))
			h = &heaps.info[i];
	igt_require_f(h, "no heap with a fixed size\n");

	chunk = h->max_alloc & ~(uint64_t)(page - 1);
	if (chunk > h->total_bytes)
		chunk = h->total_bytes & ~(uint64_t)(page - 1);
	igt_assert_lte_u64(page, chunk);
	if (h->total_bytes / chunk > 512)
		chunk = ionode_round_page(h->total_bytes / 512);
	igt_info("exhausting heap %s (%llu bytes) with %llu-byte buffers\n",
		 h->name, (unsigned long long)h->total_bytes,
		 (unsigned long long)chunk);
	used_before = ionode_heap_used(fd, h->name);

	for (n = 0; n < 1024; n++) {
		ret = ionode_create(fd, chunk, 1ull << h->id, 0, &handles[n]);
		if (ret)
			break;
	}
	for (i = 0; i < n; i++)
		ionode_bo_close(fd, handles[i]);
	igt_assert_f(n < 1024, "heap never filled up\n");
	igt_assert_errno(ret, ENOMEM);
	igt_assert_lt(0, n);
	igt_assert_eq_u64(ionode_heap_used(fd, h->name), used_before);
}

/* ---- invalid create arguments ------------------------------------------- */

/* size 0 is EINVAL. */
static void test_bad_size_zero(void)
{
	create_expect(create_req(0, ionode_system_mask(&heaps), 0), EINVAL);
	create_expect(create_req(0, ionode_all_heaps_mask(&heaps), 0), EINVAL);
}

/* 1 << 62 bytes exceeds every heap's max_alloc: E2BIG. */
static void test_bad_size_huge(void)
{
	uint32_t i;

	for (i = 0; i < heaps.count; i++)
		igt_require(heaps.info[i].max_alloc < (1ull << 62));
	create_expect(create_req(1ull << 62, ionode_all_heaps_mask(&heaps), 0),
		      E2BIG);
}

/* A size whose page rounding overflows is E2BIG, as the uapi spells out. */
static void test_bad_size_overflow(void)
{
	uint64_t all = ionode_all_heaps_mask(&heaps);

	create_expect(create_req(~0ull, all, 0), E2BIG);
	create_expect(create_req(~0ull - page + 2, all, 0), E2BIG);
	create_expect(create_req(~0ull, ionode_system_mask(&heaps), 0), E2BIG);
}

/* One byte more than a heap's max_alloc, asking that heap only: E2BIG. */
static void test_bad_size_max_alloc(void)
{
	uint32_t i, checked = 0;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (h->flags & IONODE_HEAP_RESTRICTED ||
		    h->max_alloc >= ~0ull - page)
			continue;
		create_expect(create_req(h->max_alloc + 1, 1ull << h->id, 0),
			      E2BIG);
		checked++;
	}
	igt_assert_lt(0, checked);
}

/* An alignment that is not a power of two is EINVAL, whatever the heaps. */
static void test_bad_align(void)
{
	const uint64_t aligns[] = {
		3, 5, 100, page - 1, page + 1, 3 * page, (1ull << 63) | 1, ~0ull,
	};
	uint64_t masks[] = {
		ionode_system_mask(&heaps), ionode_all_heaps_mask(&heaps),
	};
	unsigned int i, m;

	for (m = 0; m < 2; m++) {
		for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
			struct drm_ionode_create req = create_req(page, masks[m], 0);

			req.align = aligns[i];
			create_expect(req, EINVAL);
		}
	}
}

/*
 * The system heap cannot meet an alignment above the page size, so a mask
 * naming only it has no heap left: EINVAL.
 */
static void test_bad_align_system(void)
{
	const uint64_t aligns[] = { 2 * page, 16 * page, MiB, 1ull << 40 };
	unsigned int i;

	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		struct drm_ionode_create req =
			create_req(page, ionode_system_mask(&heaps), 0);

		req.align = aligns[i];
		create_expect(req, EINVAL);
	}
}

/* Unknown create flags are EINVAL. */
static void test_bad_flags(void)
{
	const uint32_t flags[] = {
		1u << 3, 1u << 4, 1u << 16, 1u << 31,
		(uint32_t)~IONODE_BO_FLAGS, IONODE_BO_CACHED | (1u << 7),
	};
	unsigned int i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		create_expect(create_req(page, ionode_all_heaps_mask(&heaps),
					 flags[i]), EINVAL);
}

/* ---- DRM_IOCTL_IONODE_ALLOC_FD ------------------------------------------ */

static int alloc_fd(struct drm_ionode_alloc_fd *req)
{
	return drmIoctl(fd, DRM_IOCTL_IONODE_ALLOC_FD, req) ? -errno : 0;
}

/*
 * One call gives a dma-buf fd of a zeroed buffer with the size, heap and
 * access mode asked for; importing it into the same file gives a handle to
 * the same buffer; it is charged while any of them holds it.
 */
static void test_alloc_fd(void)
{
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	uint64_t used = ionode_heap_used(fd, "system");
	struct drm_ionode_alloc_fd req = {
		.size = 3 * page + 5, .heap_mask = 1ull << sys->id,
		.flags = IONODE_BO_CACHED, .fd_flags = O_CLOEXEC | O_RDWR,
	};
	struct drm_ionode_bo_info info;
	uint32_t h;
	void *p;

	igt_assert_eq(alloc_fd(&req), 0);
	igt_assert_eq_u64(req.size, 4 * page);
	igt_assert_eq(req.heap_id, sys->id);
	igt_assert(req.fd >= 0);
	igt_assert_eq(fcntl(req.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	igt_assert_eq(fcntl(req.fd, F_GETFL) & O_ACCMODE, O_RDWR);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used + 4 * page);

	p = dmabuf_mmap(req.fd, 4 * page, 0, PROT_READ | PROT_WRITE);
	dmabuf_sync(req.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_zero(p, 4 * page);
	fill_pattern(p, 4 * page, 7, 0);
	dmabuf_sync(req.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, 4 * page);

	h = ionode_bo_import(fd, req.fd);
	info = ionode_bo_info_get(fd, h);
	igt_assert_eq(info.heap_id, sys->id);	/* ours, not an import */
	igt_assert_eq(info.flags, IONODE_BO_CACHED);
	close(req.fd);
	p = ionode_bo_mmap(fd, h, 4 * page, PROT_READ);
	check_pattern(p, 4 * page, 7, 0);
	munmap(p, 4 * page);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used + 4 * page);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used);

	req.fd_flags = O_RDONLY;
	req.flags = 0;
	igt_assert_eq(alloc_fd(&req), 0);
	igt_assert_eq(fcntl(req.fd, F_GETFD) & FD_CLOEXEC, 0);
	igt_assert_eq(fcntl(req.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(req.fd);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used);
}

/* Every bad argument: the errno of CREATE, nothing allocated, no fd. */
static void test_alloc_fd_bad(void)
{
	uint64_t sys = ionode_system_mask(&heaps);
	uint64_t used = ionode_total_used(fd);
	const struct {
		struct drm_ionode_alloc_fd req;
		int err;
	} bad[] = {
		{ { .size = 0, .heap_mask = sys, .fd_flags = O_RDWR }, EINVAL },
		{ { .size = ~0ull, .heap_mask = sys, .fd_flags = O_RDWR }, E2BIG },
		{ { .size = page, .heap_mask = 0, .fd_flags = O_RDWR }, EINVAL },
		{ { .size = page, .heap_mask = sys, .flags = 1u << 5,
		    .fd_flags = O_RDWR }, EINVAL },
		{ { .size = page, .heap_mask = sys, .align = 3,
		    .fd_flags = O_RDWR }, EINVAL },
		{ { .size = page, .heap_mask = sys,
		    .fd_flags = O_RDWR | O_NONBLOCK }, EINVAL },
		{ { .size = page, .heap_mask = sys, .fd_flags = 1u << 31 },
		  EINVAL },
	};
	struct rlimit rl, none;
	unsigned int i;
	int probe;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drm_ionode_alloc_fd req = bad[i].req;

		req.fd = -1;
		igt_assert_errno(alloc_fd(&req), bad[i].err);
		igt_assert_eq(req.fd, -1);
	}
	igt_assert_eq_u64(ionode_total_used(fd), used);

	/* No fd left: EMFILE, and the buffer is gone again. */
	probe = dup(0);
	igt_assert(probe >= 0);
	close(probe);
	igt_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	none = rl;
	none.rlim_cur = probe;
	igt_assert_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
	{
		struct drm_ionode_alloc_fd req = {
			.size = MiB, .heap_mask = sys, .fd_flags = O_RDWR,
		};

		igt_assert_errno(alloc_fd(&req), EMFILE);
	}
	igt_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	igt_assert_eq_u64(ionode_total_used(fd), used);
}

/* Non-zero create pad is EINVAL. */
static void test_bad_pad(void)
{
	struct drm_ionode_create req = create_req(page,
						  ionode_system_mask(&heaps), 0);

	req.pad = 1;
	create_expect(req, EINVAL);
	req.pad = 0x80000000u;
	create_expect(req, EINVAL);
}

/* An empty heap mask is EINVAL. */
static void test_bad_heap_mask_zero(void)
{
	create_expect(create_req(page, 0, 0), EINVAL);
}

/* A mask naming no existing heap (bit 63, or every unused bit) is EINVAL. */
static void test_bad_heap_mask_nonexistent(void)
{
	uint64_t unused = ~ionode_all_heaps_mask(&heaps);

	igt_require(unused);
	create_expect(create_req(page, unused, 0), EINVAL);
	if (unused & (1ull << 63))
		create_expect(create_req(page, 1ull << 63, 0), EINVAL);
}

/*
 * IONODE_BO_CONTIGUOUS with a mask naming only the (non-contiguous) system
 * heap: no heap of the mask can meet the flags, EINVAL.
 */
static void test_bad_contig_on_system(void)
{
	create_expect(create_req(MiB, ionode_system_mask(&heaps),
				 IONODE_BO_CONTIGUOUS), EINVAL);
	create_expect(create_req(page, ionode_system_mask(&heaps),
				 IONODE_BO_CONTIGUOUS | IONODE_BO_CACHED),
		      EINVAL);
}

/* ---- handles ------------------------------------------------------------ */

/*
 * Handles that do not exist: MAP_OFFSET and BO_INFO say ENOENT; GEM_CLOSE
 * says EINVAL (DRM core's drm_gem_handle_delete() answer).
 */
static void test_bad_handle(void)
{
	const uint32_t handles[] = { 0, 0x7fffffff, 0xdeadbeef, 0xffffffff };
	unsigned int i;

	for (i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		struct drm_ionode_map_offset mo = { .handle = handles[i] };
		struct drm_ionode_bo_info info = { .handle = handles[i] };
		struct drm_gem_close cl = { .handle = handles[i] };

		do_ioctl_err(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, ENOENT);
		do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, ENOENT);
		do_ioctl_err(fd, DRM_IOCTL_GEM_CLOSE, &cl, EINVAL);
	}
}

/* After GEM_CLOSE the handle is gone: close again EINVAL, lookups ENOENT. */
static void test_close_twice(void)
{
	uint32_t h = ionode_bo_create(fd, page, ionode_system_mask(&heaps), 0);
	struct drm_gem_close cl = { .handle = h };
	struct drm_ionode_map_offset mo = { .handle = h };
	struct drm_ionode_bo_info info = { .handle = h };

	do_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl);
	do_ioctl_err(fd, DRM_IOCTL_GEM_CLOSE, &cl, EINVAL);
	do_ioctl_err(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, ENOENT);
	do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, ENOENT);
}

/* Non-zero pad in MAP_OFFSET and BO_INFO is EINVAL, even for a good handle. */
static void test_bad_pad_map_info(void)
{
	uint32_t h = ionode_bo_create(fd, page, ionode_system_mask(&heaps), 0);
	struct drm_ionode_map_offset mo = { .handle = h, .pad = 1 };
	struct drm_ionode_bo_info info = { .handle = h, .pad = 1 };

	do_ioctl_err(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, EINVAL);
	do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, EINVAL);
	mo.pad = 0x80000000u;
	info.pad = 0x80000000u;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, EINVAL);
	do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, EINVAL);
	ionode_bo_close(fd, h);
}

/* Driver ioctl numbers past the defined ones are EINVAL (DRM core). */
static void test_unknown_ioctl(void)
{
	struct drm_ionode_bo_info info = { 0 };

	do_ioctl_err(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x20,
				  struct drm_ionode_bo_info), &info, EINVAL);
	do_ioctl_err(fd, DRM_IOWR(DRM_COMMAND_BASE + 0x5f,
				  struct drm_ionode_bo_info), &info, EINVAL);
}

/*
 * Handles are per DRM file: a buffer created in one fd is invisible by
 * handle in another (ENOENT, and GEM_CLOSE EINVAL), and stays valid in its
 * own fd.
 */
static void test_handles_per_fd(void)
{
	uint32_t h = ionode_bo_create(fd, page, ionode_system_mask(&heaps), 0);
	int fd2 = ionode_open();
	struct drm_ionode_map_offset mo = { .handle = h };
	struct drm_ionode_bo_info info = { .handle = h };
	struct drm_gem_close cl = { .handle = h };

	igt_assert_lte(0, fd2);
	do_ioctl_err(fd2, DRM_IOCTL_IONODE_BO_INFO, &info, ENOENT);
	do_ioctl_err(fd2, DRM_IOCTL_IONODE_MAP_OFFSET, &mo, ENOENT);
	do_ioctl_err(fd2, DRM_IOCTL_GEM_CLOSE, &cl, EINVAL);
	info = ionode_bo_info_get(fd, h);
	igt_assert_eq_u64(info.size, page);
	close(fd2);
	ionode_bo_close(fd, h);
}

igt_main
{
	igt_fixture {
		fd = igt_ionode_open();
		page = ionode_page_size();
		ionode_get_heaps(fd, &heaps);
	}

	subtest("driver-version")
		test_driver_version();
	subtest("device-nodes")
		test_device_nodes();
	subtest("no-modeset")
		test_no_modeset();
	subtest("prime-caps")
		test_prime_caps();

	subtest("query-heaps")
		test_query_heaps();
	subtest("query-heaps-count-only")
		test_query_heaps_count_only();
	subtest("query-heaps-enospc")
		test_query_heaps_enospc();
	subtest("query-heaps-small-elem")
		test_query_heaps_small_elem();
	subtest("query-heaps-min-elem")
		test_query_heaps_min_elem();
	subtest("query-heaps-bad-pointer")
		test_query_heaps_bad_pointer();
	subtest("query-heaps-large-elem")
		test_query_heaps_large_elem();
	subtest("query-heaps-count-larger")
		test_query_heaps_count_larger();

	subtest("create-close")
		test_create_close();
	subtest("create-many")
		test_create_many();
	subtest("bo-info")
		test_bo_info();
	subtest("create-heap-order")
		test_create_heap_order();
	subtest("create-mask-extra-bits")
		test_create_mask_extra_bits();
	subtest("create-align-small")
		test_create_align_small();
	subtest("create-align-contig")
		test_create_align_contig();
	subtest("create-contiguous")
		test_create_contiguous();
	subtest("heap-used-bytes")
		test_heap_used_bytes();
	subtest("heap-exhaustion")
		test_heap_exhaustion();

	subtest("bad-size-zero")
		test_bad_size_zero();
	subtest("bad-size-huge")
		test_bad_size_huge();
	subtest("bad-size-overflow")
		test_bad_size_overflow();
	subtest("bad-size-max-alloc")
		test_bad_size_max_alloc();
	subtest("bad-align")
		test_bad_align();
	subtest("bad-align-system")
		test_bad_align_system();
	subtest("bad-flags")
		test_bad_flags();
	subtest("alloc-fd")
		test_alloc_fd();
	subtest("alloc-fd-bad")
		test_alloc_fd_bad();
	subtest("bad-pad")
		test_bad_pad();
	subtest("bad-heap-mask-zero")
		test_bad_heap_mask_zero();
	subtest("bad-heap-mask-nonexistent")
		test_bad_heap_mask_nonexistent();
	subtest("bad-contig-on-system")
		test_bad_contig_on_system();

	subtest("bad-handle")
		test_bad_handle();
	subtest("close-twice")
		test_close_twice();
	subtest("bad-pad-map-offset-bo-info")
		test_bad_pad_map_info();
	subtest("unknown-ioctl")
		test_unknown_ioctl();
	subtest("handles-per-fd")
		test_handles_per_fd();

	igt_fixture {
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
