// SPDX-License-Identifier: MIT
/*
 * ionode_prime - sharing ionode buffers as dma-bufs.
 *
 * PRIME export/import within one DRM file, across DRM files and processes
 * (SCM_RIGHTS), buffer lifetime when handles, fds and whole DRM files go
 * away, the errors for bad handles, flags and fds, and interoperation with
 * another exporter/importer: vgem (skipped when vgem is not available).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "ionode_test.h"

#define RW		(PROT_READ | PROT_WRITE)

static int fd = -1;
static int vgem = -1;
static struct ionode_heaps heaps;
static uint64_t sys_mask;
static size_t page;

/* Every subtest starts on a fresh DRM fd (see ionode_subtest()). */
#define subtest(name) ionode_subtest(&fd, name)
#define subtest_f(...) ionode_subtest_f(&fd, __VA_ARGS__)

/* ---- helpers ------------------------------------------------------------ */

/* PRIME_FD_TO_HANDLE expected to fail with @err. */
static void import_expect(int dfd, int err)
{
	struct drm_prime_handle args = { .fd = dfd };

	do_ioctl_err(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args, err);
}

struct vgem_bo {
	uint32_t handle;
	uint64_t size;
};

/* A vgem dumb buffer of @height rows of 4096 bytes. */
static struct vgem_bo vgem_create(uint32_t height)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = height, .bpp = 32,
	};
	struct vgem_bo bo;

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	bo.handle = c.handle;
	bo.size = c.size;
	igt_assert_eq_u64(bo.size, (uint64_t)height * 4096);
	return bo;
}

static void *vgem_mmap(uint32_t handle, size_t size)
{
	struct drm_mode_map_dumb m = { .handle = handle };
	void *p;

	do_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &m);
	p = mmap(NULL, size, RW, MAP_SHARED, vgem, (off_t)m.offset);
	igt_assert_f(p != MAP_FAILED, "vgem mmap failed: %s\n",
		     igt_errno_name(errno));
	return p;
}

static int prime_export(int dfd, uint32_t handle)
{
	int out = -1;

	igt_assert_f(drmPrimeHandleToFD(dfd, handle, DRM_CLOEXEC | DRM_RDWR,
					&out) == 0,
		     "export failed: %s\n", igt_errno_name(errno));
	return out;
}

static uint32_t prime_import(int dfd, int dmabuf)
{
	uint32_t h = 0;

	igt_assert_f(drmPrimeFDToHandle(dfd, dmabuf, &h) == 0,
		     "import failed: %s\n", igt_errno_name(errno));
	return h;
}

static void gem_close(int dfd, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = handle };

	do_ioctl(dfd, DRM_IOCTL_GEM_CLOSE, &cl);
}

/* ---- ionode only ------------------------------------------------------- */

/* Importing a buffer's dma-buf into the same fd gives back its handle. */
static void test_export_import_same_fd(void)
{
	uint32_t h = ionode_bo_create(fd, 4 * page, sys_mask, 0);
	int dmabuf = ionode_bo_export(fd, h);

	igt_assert_eq(ionode_bo_import(fd, dmabuf), h);
	igt_assert_eq(ionode_bo_import(fd, dmabuf), h);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* IONODE_ATTR_EXPORTED appears on export, IMPORTED never on our own buffer. */
static void test_exported_attr(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, IONODE_BO_CACHED);
	struct drm_ionode_bo_info info = ionode_bo_info_get(fd, h);
	int dmabuf;

	igt_assert_eq(info.attrs & (IONODE_ATTR_EXPORTED | IONODE_ATTR_IMPORTED), 0);
	dmabuf = ionode_bo_export(fd, h);
	info = ionode_bo_info_get(fd, h);
	igt_assert(info.attrs & IONODE_ATTR_EXPORTED);
	igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
	igt_assert_eq(info.flags, IONODE_BO_CACHED);
	igt_assert_eq(info.heap_id, ionode_heap(&heaps, "system")->id);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* Exporting twice gives two fds of one dma-buf (same inode). */
static void test_export_twice(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	int a = ionode_bo_export(fd, h);
	int b = ionode_bo_export(fd, h);

	igt_assert_neq(a, b);
	igt_assert(same_inode(a, b));
	close(a);
	close(b);
	ionode_bo_close(fd, h);
}

/* libionode's export gives a close-on-exec, read-write fd. */
static void test_export_flags(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	int dmabuf = ionode_bo_export(fd, h);

	igt_assert(fcntl(dmabuf, F_GETFD) & FD_CLOEXEC);
	igt_assert_eq(fcntl(dmabuf, F_GETFL) & O_ACCMODE, O_RDWR);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* Exporting a handle that does not exist is ENOENT. */
static void test_export_bad_handle(void)
{
	const uint32_t handles[] = { 0, 0xdeadbeef };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct drm_prime_handle args = {
			.handle = handles[i], .flags = DRM_CLOEXEC, .fd = -1,
		};

		do_ioctl_err(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &args, ENOENT);
	}
}

/* Export flags other than DRM_CLOEXEC | DRM_RDWR are EINVAL (DRM core). */
static void test_export_bad_flags(void)
{
	const uint32_t flags[] = { O_WRONLY, O_NONBLOCK, 1u << 30,
				   DRM_CLOEXEC | DRM_RDWR | O_APPEND };
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	unsigned int i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct drm_prime_handle args = {
			.handle = h, .flags = flags[i], .fd = -1,
		};

		do_ioctl_err(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &args, EINVAL);
	}
	ionode_bo_close(fd, h);
}

/*
 * Import in a second DRM fd of the device: a handle to the same buffer
 * (same size and heap, not IONODE_ATTR_IMPORTED: ionode is not "another
 * exporter"), its mapping shows the bytes, writes through it show up in
 * the first fd, and importing again gives the same handle.
 */
static void test_import_second_fd(void)
{
	const size_t size = 16 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0);
	struct drm_ionode_bo_info info = ionode_bo_info_get(fd, h), info2;
	int dmabuf = ionode_bo_export(fd, h);
	int fd2 = ionode_open();
	void *p1 = ionode_bo_mmap(fd, h, size, RW), *p2;
	uint32_t h2;

	igt_assert_lte(0, fd2);
	fill_pattern(p1, size, 0x11, 0);
	h2 = ionode_bo_import(fd2, dmabuf);
	info2 = ionode_bo_info_get(fd2, h2);
	igt_assert_eq_u64(info2.size, size);
	igt_assert_eq(info2.heap_id, info.heap_id);
	igt_assert_eq(info2.flags, info.flags);
	igt_assert(!(info2.attrs & IONODE_ATTR_IMPORTED));

	p2 = ionode_bo_mmap(fd2, h2, size, RW);
	check_pattern(p2, size, 0x11, 0);
	fill_pattern(p2, size, 0x22, 0);
	check_pattern(p1, size, 0x22, 0);
	igt_assert_eq(ionode_bo_import(fd2, dmabuf), h2);

	munmap(p1, size);
	munmap(p2, size);
	close(fd2);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/*
 * The dma-buf fd keeps the buffer after its only handle is closed: the fd
 * maps directly and shows the bytes, and re-importing gives a handle (whose
 * bo_info has the size) whose DRM mapping shows them too.
 */
static void test_close_handle_keep_fd(void)
{
	const size_t size = 8 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, IONODE_BO_CACHED);
	int dmabuf = ionode_bo_export(fd, h);
	void *p = ionode_bo_mmap(fd, h, size, RW);
	struct drm_ionode_bo_info info;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(p, size, 0x33, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(p, size);
	ionode_bo_close(fd, h);

	p = dmabuf_mmap(dmabuf, size, 0, RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, size, 0x33, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, size);

	h = ionode_bo_import(fd, dmabuf);
	info = ionode_bo_info_get(fd, h);
	igt_assert_eq_u64(info.size, size);
	igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
	p = ionode_bo_mmap(fd, h, size, PROT_READ);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, size, 0x33, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, size);
	ionode_bo_close(fd, h);
	close(dmabuf);
}

/* The dma-buf's size, as lseek(SEEK_END) reports it, is the buffer's. */
static void test_dmabuf_size(void)
{
	uint32_t h = ionode_bo_create(fd, 5 * page + 1, sys_mask, 0);
	int dmabuf = ionode_bo_export(fd, h);

	igt_assert_eq(lseek(dmabuf, 0, SEEK_END), 6 * page);
	igt_assert_eq(lseek(dmabuf, 0, SEEK_SET), 0);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* Importing an fd that is not open is EBADF. */
static void test_import_invalid_fd(void)
{
	int closed = dup(fd);

	igt_assert_lte(0, closed);
	close(closed);
	import_expect(-1, EBADF);
	import_expect(closed, EBADF);
	import_expect(1 << 28, EBADF);
}

/* Importing an open fd that is not a dma-buf is EINVAL. */
static void test_import_non_dmabuf(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipes[2];

	igt_assert_lte(0, efd);
	igt_assert_lte(0, null);
	igt_assert_eq(pipe(pipes), 0);
	import_expect(efd, EINVAL);
	import_expect(null, EINVAL);
	import_expect(pipes[0], EINVAL);
	import_expect(fd, EINVAL);
	close(efd);
	close(null);
	close(pipes[0]);
	close(pipes[1]);
}

/*
 * A dma-buf fd passed to another process over a Unix socket (SCM_RIGHTS)
 * maps there and shows the bytes; the child also imports it into its own
 * DRM fd, writes a reply pattern, and the parent reads the reply.
 */
static void test_fd_passing_fork(void)
{
	const size_t size = 32 * page;
	int sv[2], dmabuf;
	uint32_t h;
	void *p;
	char ack = 0;
	ssize_t n;

	igt_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

	/* Forked before the export: the child can only get the fd by SCM_RIGHTS. */
	igt_fork(child, 1) {
		int rfd = recv_fd(sv[1]);
		int cfd = ionode_open();
		uint32_t ch;
		void *cp;

		igt_assert_lte(0, cfd);
		cp = dmabuf_mmap(rfd, size, 0, RW);
		dmabuf_sync(rfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		check_pattern(cp, size, 0x600d, 0);
		dmabuf_sync(rfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

		ch = ionode_bo_import(cfd, rfd);
		igt_assert_eq_u64(ionode_bo_info_get(cfd, ch).size, size);

		dmabuf_sync(rfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill_pattern(cp, size, 0xbeef, 0);
		dmabuf_sync(rfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		munmap(cp, size);
		close(rfd);
		close(cfd);
		ack = 'k';
		igt_assert_eq(write(sv[1], &ack, 1), 1);
	}
	close(sv[1]);

	h = ionode_bo_create(fd, size, sys_mask, IONODE_BO_CACHED);
	dmabuf = ionode_bo_export(fd, h);
	p = ionode_bo_mmap(fd, h, size, RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(p, size, 0x600d, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	send_fd(sv[0], dmabuf);

	n = read(sv[0], &ack, 1);
	igt_waitchildren();
	igt_assert_eq(n, 1);
	igt_assert_eq(ack, 'k');

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, size, 0xbeef, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, size);
	close(sv[0]);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/*
 * The dma-buf outlives the DRM file that made it: after closing that fd
 * entirely, the dma-buf fd still maps and reads, and imports into another
 * DRM fd with the same bytes.
 */
static void test_lifetime_drm_fd_closed(void)
{
	const size_t size = 8 * page;
	int fd2 = ionode_open();
	int dmabuf;
	uint32_t h;
	void *p;

	igt_assert_lte(0, fd2);
	h = ionode_bo_create(fd2, size, sys_mask, 0);
	p = ionode_bo_mmap(fd2, h, size, RW);
	fill_pattern(p, size, 0x44, 0);
	munmap(p, size);
	dmabuf = ionode_bo_export(fd2, h);
	close(fd2);

	p = dmabuf_mmap(dmabuf, size, 0, RW);
	check_pattern(p, size, 0x44, 0);
	fill_pattern(p, size, 0x45, 0);
	munmap(p, size);

	h = ionode_bo_import(fd, dmabuf);
	p = ionode_bo_mmap(fd, h, size, PROT_READ);
	check_pattern(p, size, 0x45, 0);
	munmap(p, size);
	ionode_bo_close(fd, h);
	close(dmabuf);
}

/*
 * An importing DRM fd keeps the buffer after the exporter closed its
 * handle and the dma-buf fd.
 */
static void test_lifetime_importer(void)
{
	const size_t size = 4 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0), h2;
	int dmabuf = ionode_bo_export(fd, h);
	int fd2 = ionode_open();
	void *p = ionode_bo_mmap(fd, h, size, RW);

	igt_assert_lte(0, fd2);
	fill_pattern(p, size, 0x55, 0);
	munmap(p, size);
	h2 = ionode_bo_import(fd2, dmabuf);
	ionode_bo_close(fd, h);
	close(dmabuf);

	p = ionode_bo_mmap(fd2, h2, size, PROT_READ);
	check_pattern(p, size, 0x55, 0);
	munmap(p, size);
	close(fd2);
}

/* ---- with vgem ---------------------------------------------------------- */

/*
 * A vgem dumb buffer imported into ionode: bo_info says IONODE_ATTR_IMPORTED,
 * heap IONODE_HEAP_ID_NONE and vgem's size.
 */
static void test_vgem_import_bo_info(void)
{
	struct vgem_bo bo = vgem_create(16);
	int dmabuf = prime_export(vgem, bo.handle);
	uint32_t h = ionode_bo_import(fd, dmabuf);
	struct drm_ionode_bo_info info = ionode_bo_info_get(fd, h);

	igt_assert(info.attrs & IONODE_ATTR_IMPORTED);
	igt_assert_eq_u32(info.heap_id, IONODE_HEAP_ID_NONE);
	igt_assert_eq_u64(info.size, bo.size);
	ionode_bo_close(fd, h);
	close(dmabuf);
	gem_close(vgem, bo.handle);
}

/*
 * Bytes written through vgem's mapping read back through ionode's mapping
 * of the imported handle (ionode forwards the mmap to the exporter).
 */
static void test_vgem_import_read(void)
{
	struct vgem_bo bo = vgem_create(16);
	void *vp = vgem_mmap(bo.handle, bo.size), *ip;
	int dmabuf;
	uint32_t h;

	fill_pattern(vp, bo.size, 0x66, 0);
	dmabuf = prime_export(vgem, bo.handle);
	h = ionode_bo_import(fd, dmabuf);
	ip = ionode_bo_mmap(fd, h, bo.size, PROT_READ);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(ip, bo.size, 0x66, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(ip, bo.size);
	munmap(vp, bo.size);
	ionode_bo_close(fd, h);
	close(dmabuf);
	gem_close(vgem, bo.handle);
}

/* Bytes written through ionode's mapping of a vgem buffer show in vgem's. */
static void test_vgem_import_write(void)
{
	struct vgem_bo bo = vgem_create(32);
	void *vp = vgem_mmap(bo.handle, bo.size), *ip;
	int dmabuf = prime_export(vgem, bo.handle);
	uint32_t h = ionode_bo_import(fd, dmabuf);

	ip = ionode_bo_mmap(fd, h, bo.size, RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(ip, bo.size, 0x77, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	check_pattern(vp, bo.size, 0x77, 0);
	munmap(ip, bo.size);
	munmap(vp, bo.size);
	ionode_bo_close(fd, h);
	close(dmabuf);
	gem_close(vgem, bo.handle);
}

/*
 * Re-importing vgem's dma-buf gives the same ionode handle, and ionode
 * re-exports the very same dma-buf (DRM core keeps the import's dma-buf).
 */
static void test_vgem_import_same_handle(void)
{
	struct vgem_bo bo = vgem_create(4);
	int dmabuf = prime_export(vgem, bo.handle), again;
	uint32_t h = ionode_bo_import(fd, dmabuf);

	igt_assert_eq(ionode_bo_import(fd, dmabuf), h);
	again = ionode_bo_export(fd, h);
	igt_assert(same_inode(dmabuf, again));
	close(again);
	ionode_bo_close(fd, h);
	close(dmabuf);
	gem_close(vgem, bo.handle);
}

/*
 * ionode's import keeps a vgem buffer alive after vgem dropped its handle,
 * mapping and dma-buf fd.
 */
static void test_vgem_import_lifetime(void)
{
	struct vgem_bo bo = vgem_create(8);
	void *vp = vgem_mmap(bo.handle, bo.size), *ip;
	int dmabuf;
	uint32_t h;
	uint64_t size = bo.size;

	fill_pattern(vp, size, 0x88, 0);
	munmap(vp, size);
	dmabuf = prime_export(vgem, bo.handle);
	h = ionode_bo_import(fd, dmabuf);
	gem_close(vgem, bo.handle);
	close(dmabuf);

	ip = ionode_bo_mmap(fd, h, size, PROT_READ);
	check_pattern(ip, size, 0x88, 0);
	munmap(ip, size);
	ionode_bo_close(fd, h);
}

/*
 * An ionode buffer imported into vgem (vgem attaches and maps it for its
 * device). vgem cannot CPU-map an import through its own node: DRM core's
 * drm_gem_dumb_map_offset() refuses imported objects with EINVAL. vgem's
 * re-export is the same dma-buf; with ionode's handle and fd gone, vgem's
 * import keeps the buffer: the re-exported fd maps with the bytes, and
 * bytes written there show up through a fresh ionode import.
 */
static void test_export_to_vgem(void)
{
	const size_t size = 16 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0), vh;
	int dmabuf = ionode_bo_export(fd, h), vfd;
	void *p = ionode_bo_mmap(fd, h, size, RW);
	struct drm_mode_map_dumb m;

	fill_pattern(p, size, 0x99, 0);
	munmap(p, size);

	vh = prime_import(vgem, dmabuf);
	m = (struct drm_mode_map_dumb){ .handle = vh };
	do_ioctl_err(vgem, DRM_IOCTL_MODE_MAP_DUMB, &m, EINVAL);
	vfd = prime_export(vgem, vh);
	igt_assert(same_inode(vfd, dmabuf));

	ionode_bo_close(fd, h);
	close(dmabuf);

	dmabuf_rewrite(vfd, size, 0x99, 0xaa);

	h = ionode_bo_import(fd, vfd);
	p = ionode_bo_mmap(fd, h, size, PROT_READ);
	check_pattern(p, size, 0xaa, 0);
	munmap(p, size);
	ionode_bo_close(fd, h);
	close(vfd);
	gem_close(vgem, vh);
}

igt_main
{
	igt_fixture {
		fd = igt_ionode_open();
		page = ionode_page_size();
		ionode_get_heaps(fd, &heaps);
		sys_mask = ionode_system_mask(&heaps);
	}

	subtest("export-import-same-fd")
		test_export_import_same_fd();
	subtest("exported-attr")
		test_exported_attr();
	subtest("export-twice")
		test_export_twice();
	subtest("export-flags")
		test_export_flags();
	subtest("export-bad-handle")
		test_export_bad_handle();
	subtest("export-bad-flags")
		test_export_bad_flags();
	subtest("import-second-fd")
		test_import_second_fd();
	subtest("close-handle-keep-fd")
		test_close_handle_keep_fd();
	subtest("dmabuf-size")
		test_dmabuf_size();
	subtest("import-invalid-fd")
		test_import_invalid_fd();
	subtest("import-non-dmabuf")
		test_import_non_dmabuf();
	subtest("fd-passing-fork")
		test_fd_passing_fork();
	subtest("lifetime-drm-fd-closed")
		test_lifetime_drm_fd_closed();
	subtest("lifetime-importer")
		test_lifetime_importer();

	igt_subtest_group {
		igt_fixture {
			vgem = igt_open_vgem();
			igt_require_f(vgem >= 0, "vgem is not available\n");
		}
		subtest("vgem-import-bo-info")
			test_vgem_import_bo_info();
		subtest("vgem-import-read")
			test_vgem_import_read();
		subtest("vgem-import-write")
			test_vgem_import_write();
		subtest("vgem-import-same-handle")
			test_vgem_import_same_handle();
		subtest("vgem-import-lifetime")
			test_vgem_import_lifetime();
		subtest("export-to-vgem")
			test_export_to_vgem();
		igt_fixture
			close(vgem);
	}

	igt_fixture {
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
