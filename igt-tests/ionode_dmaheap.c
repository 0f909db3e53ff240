// SPDX-License-Identifier: MIT
/*
 * ionode_dmaheap - ionode's heaps behind the kernel's dma-buf heap uapi
 * (/dev/dma_heap/<name>, DMA_HEAP_IOCTL_ALLOC of <linux/dma-heap.h>), on a
 * kernel without dma-buf heaps of its own, or under /dev/<dmaheap_dir> on
 * one that has them.
 *
 * nodes: every ionode heap has a character device under its dma-heap name
 *	(cma as "reserved"), nothing else is there, and each allocates a
 *	cached buffer from its own heap.
 * own-heaps-left-alone: on a kernel with dma-buf heaps, /dev/dma_heap is
 *	the kernel's and ionode's nodes are elsewhere (skips elsewhere).
 * bad-ioctls: other ioctls, bad fd/heap flags, a non-zero fd, zero and
 *	overflowing sizes, a size beyond the heap, a bad pointer: each
 *	refused as upstream refuses it, nothing left behind; sizes rounded to
 *	pages, fd flags honoured.
 * struct-sizes: older (smaller) and newer (larger) structs, as the
 *	extensible-struct rules say.
 * share-render-node: a buffer from a heap node imported into a render-node
 *	client is the same object (same handle twice, same dma-buf back), on
 *	its heap, and both sides see each other's bytes.
 * accounting: an open heap file is a client: its fdinfo, debugfs and the
 *	heap's usage count its buffers, which stay charged after the file is
 *	closed until the last reference goes.
 * limits: client_limit per open heap file, heap_limits across both doors.
 * restricted: a restricted heap's node is root's (restricted_gid's when
 *	set) and follows the policy; the privilege rule also applies at open
 *	(root without CAP_SYS_ADMIN) and at allocation (a file opened before).
 * module-unload: an open heap file and each live buffer hold the module;
 *	unloading then is refused, and the buffer still works.
 * unbind: the nodes go with the device, an open heap file's allocations
 *	fail with ENODEV, its buffer lives on; bound again, the nodes are back.
 * upstream-selftest: the kernel's own tools/testing/selftests/dmabuf-heaps
 *	/dmabuf-heap.c, built from linux-source-6.1 next to this binary,
 *	passes every case for every heap (vgem import included).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include "igt_track.h"
#include "ionode_test.h"

#define MiB (1024 * 1024ull)

static int fd = -1;
static struct ionode_heaps heaps;
static char param_dir[64];
static char dev_dir[96];		/* /dev/<dmaheap_dir> */
static char class_dir[96];	/* /sys/class/<dmaheap_dir> */
static char saved[4][256];
static const char *const params[4] = {
	"client_limit", "heap_limits", "restricted_heaps", "restricted_gid",
};

/* The name of @h under the dma-heap directory. */
static const char *dh_name(const struct drm_ionode_heap_info *h)
{
	return h->type == IONODE_HEAP_TYPE_CMA ? "reserved" : h->name;
}

/* Whether the class device @cls/@name is ionode's (its parent). */
static bool is_ionode_dev(const char *cls, const char *name)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/device", cls, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(strrchr(target, '/') ?: target, "/ionode");
}

/* Attribute @attr of node @name's class device, newline stripped. */
static int class_attr(const char *name, const char *attr, char *buf)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s/%s", class_dir, name, attr);
	ret = read_text(path, buf, 64);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static void require_nodes(void)
{
	igt_require_f(param_dir[0], "ionode offers no dma-heap nodes (dmaheap_dir empty)\n");
	igt_require_f(is_ionode_dev(class_dir, "system"),
		      "%s/system is not ionode's\n", class_dir);
}

static int heap_open(const char *name, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
	return open(path, flags | O_CLOEXEC);
}

static int heap_open_ok(const char *name)
{
	int h = heap_open(name, O_RDWR);

	igt_assert_f(h >= 0, "open %s/%s: %s\n", dev_dir, name,
		     strerror(errno));
	return track_fd(h);
}

/* DMA_HEAP_IOCTL_ALLOC; 0 and the dma-buf in *@out, or an errno. */
static int heap_alloc(int h, uint64_t len, uint32_t fd_flags,
		      uint64_t heap_flags, int *out)
{
	struct dma_heap_allocation_data data = {
		.len = len, .fd_flags = fd_flags, .heap_flags = heap_flags,
	};

	*out = -1;
	if (ioctl(h, DMA_HEAP_IOCTL_ALLOC, &data))
		return errno;
	igt_assert(data.fd > 2);
	*out = track_fd((int)data.fd);
	return 0;
}

static int heap_alloc_ok(int h, uint64_t len)
{
	int ret, buf;

	ret = heap_alloc(h, len, O_RDWR | O_CLOEXEC, 0, &buf);
	igt_assert_f(!ret, "DMA_HEAP_IOCTL_ALLOC of %" PRIu64 " bytes: %s\n",
		     len, igt_errno_name(ret));
	return buf;
}

static uint64_t dmabuf_size(int buf)
{
	off_t size = lseek(buf, 0, SEEK_END);

	igt_assert(size > 0);
	return size;
}

static bool fdinfo_has(int f, const char *line)
{
	char path[64], text[4096];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	return strstr(text, line);
}

static int64_t fdinfo_mem(int f, const char *heap)
{
	char key[64];

	snprintf(key, sizeof(key), "drm-memory-%s", heap);
	return ionode_fdinfo_value(f, key);
}

/* The first heap other than system, for the tests that restrict one. */
static const struct drm_ionode_heap_info *other_heap(void)
{
	uint32_t i;

	for (i = 0; i < heaps.count; i++)
		if (strcmp(heaps.info[i].name, "system"))
			return &heaps.info[i];
	igt_skip_on_f(true, "only the system heap\n");
	return NULL;
}

static void test_nodes(void)
{
	struct dirent *e;
	unsigned int found = 0;
	uint32_t i;
	DIR *d;

	require_nodes();
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		struct drm_ionode_bo_info info;
		char path[PATH_MAX], attr[64];
		struct stat st;
		uint32_t handle;
		int hf, buf;

		snprintf(path, sizeof(path), "%s/%s", dev_dir, dh_name(h));
		igt_assert_f(stat(path, &st) == 0, "%s: %s\n", path,
			     strerror(errno));
		igt_assert(S_ISCHR(st.st_mode));
		igt_assert(is_ionode_dev(class_dir, dh_name(h)));
		igt_assert_eq(class_attr(dh_name(h), "ionode_heap", attr), 0);
		igt_assert_f(!strcmp(attr, h->name), "%s: ionode_heap %s\n",
			     dh_name(h), attr);
		igt_assert_eq(class_attr(dh_name(h), "restricted", attr), 0);
		igt_assert_f(!strcmp(attr, "0"), "%s: restricted %s\n",
			     dh_name(h), attr);

		hf = heap_open_ok(dh_name(h));
		buf = heap_alloc_ok(hf, 64 * 1024);
		igt_assert_eq_u64(dmabuf_size(buf), 64 * 1024);
		handle = ionode_bo_import(fd, buf);
		info = ionode_bo_info_get(fd, handle);
		igt_assert_eq_u32(info.heap_id, h->id);
		igt_assert_eq_u32(info.flags, IONODE_BO_CACHED);
		igt_assert(info.attrs & IONODE_ATTR_EXPORTED);
		igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
		ionode_bo_close(fd, handle);
		close_fd(buf);
		close_fd(hf);
	}

	d = opendir(dev_dir);
	igt_assert(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < heaps.count; i++)
			if (!strcmp(e->d_name, dh_name(&heaps.info[i])))
				break;
		igt_assert_f(i < heaps.count, "%s/%s is no ionode heap\n",
			     dev_dir, e->d_name);
		found++;
	}
	closedir(d);
	igt_assert_eq(found, heaps.count);
}

static void test_own_heaps_left_alone(void)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	d = opendir("/sys/class/dma_heap");
	igt_require_f(d, "the kernel has no dma-buf heaps\n");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (is_ionode_dev("/sys/class/dma_heap", e->d_name))
			continue;
		n++;
	}
	closedir(d);
	igt_require_f(n, "/sys/class/dma_heap holds ionode's heaps only: the kernel has none\n");

	/*
	 * Every heap there is the kernel's; ionode's are elsewhere. A CMA
	 * heap of the kernel's has the name ionode gives its cma heap.
	 */
	d = opendir("/sys/class/dma_heap");
	igt_assert(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		igt_assert_f(!is_ionode_dev("/sys/class/dma_heap", e->d_name),
			     "ionode's %s is in /sys/class/dma_heap\n",
			     e->d_name);
		igt_info("the kernel's heap: %s\n", e->d_name);
		if (strcmp(e->d_name, "system") &&
		    ionode_heap(&heaps, "cma"))
			igt_assert_f(!strcmp(e->d_name, "reserved"),
				     "the kernel's CMA heap is %s, ionode's is reserved\n",
				     e->d_name);
	}
	closedir(d);
	igt_info("the kernel's dma-buf heaps: %u; ionode's dmaheap_dir: '%s'\n",
		 n, param_dir);
	if (strcmp(param_dir, "dma_heap") && param_dir[0])
		test_nodes();
}

static void test_bad_ioctls(void)
{
	const struct drm_ionode_heap_info *big = &heaps.info[0];
	struct ionode_usage before = ionode_usage_now(fd);
	struct dma_heap_allocation_data data;
	int hf, buf, tty, flags;
	uint32_t i;

	require_nodes();
	hf = heap_open_ok("system");

	/* Not a dma-heap ioctl: another type, another number. */
	memset(&data, 0, sizeof(data));
	data.len = 4096;
	data.fd_flags = O_RDWR;
	do_ioctl_err(hf, _IOWR('X', 0, struct dma_heap_allocation_data), &data,
		     ENOTTY);
	do_ioctl_err(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 1,
			       struct dma_heap_allocation_data), &data, EINVAL);
	igt_assert_eq(ioctl(hf, TCGETS, &tty), -1);
	igt_assert_eq(errno, ENOTTY);
	igt_assert(!isatty(hf));
	/* Upstream reads no argument from a command without _IOC_WRITE. */
	do_ioctl_err(hf, _IOR(DMA_HEAP_IOC_MAGIC, 0,
			      struct dma_heap_allocation_data), &data, EINVAL);

	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR | O_NONBLOCK, 0, &buf), EINVAL);
	igt_assert_eq(heap_alloc(hf, MiB, ~(O_RDWR | O_CLOEXEC), 0, &buf),
		      EINVAL);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 1, &buf), EINVAL);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 1ull << 63, &buf), EINVAL);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 0x111111, &buf), EINVAL);
	igt_assert_eq(heap_alloc(hf, 0, O_RDWR, 0, &buf), EINVAL);
	/* PAGE_ALIGN() of these wraps to 0. */
	igt_assert_eq(heap_alloc(hf, ~0ull, O_RDWR, 0, &buf), EINVAL);
	igt_assert_eq(heap_alloc(hf, ~0ull - 4094, O_RDWR, 0, &buf), EINVAL);
	/* This one does not wrap: too large for any heap. */
	igt_assert_eq(heap_alloc(hf, ~0ull - 4095, O_RDWR, 0, &buf), E2BIG);
	/* The fd field is an output and must come in zero. */
	data = (struct dma_heap_allocation_data){ .len = MiB, .fd = 5,
						  .fd_flags = O_RDWR };
	do_ioctl_err(hf, DMA_HEAP_IOCTL_ALLOC, &data, EINVAL);
	do_ioctl_err(hf, DMA_HEAP_IOCTL_ALLOC, (void *)8, EFAULT);
	close_fd(hf);

	/* Larger than a heap can ever serve. */
	for (i = 0; i < heaps.count; i++)
		if (heaps.info[i].max_alloc < big->max_alloc)
			big = &heaps.info[i];
	hf = heap_open_ok(dh_name(big));
	igt_assert_eq(heap_alloc(hf, big->max_alloc + 4096, O_RDWR, 0, &buf),
		      E2BIG);
	close_fd(hf);
	ionode_assert_usage_back(fd, &before);

	/* Sizes are rounded up to pages; fd flags are the new file's. */
	hf = heap_open_ok("system");
	igt_assert_eq(heap_alloc(hf, 1, O_RDONLY, 0, &buf), 0);
	igt_assert_eq_u64(dmabuf_size(buf), ionode_page_size());
	flags = fcntl(buf, F_GETFL);
	igt_assert_eq(flags & O_ACCMODE, O_RDONLY);
	igt_assert_eq(fcntl(buf, F_GETFD), 0);
	igt_assert(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, buf,
			0) == MAP_FAILED);
	close_fd(buf);
	igt_assert_eq(heap_alloc(hf, MiB + 1, O_RDWR | O_CLOEXEC, 0, &buf), 0);
	igt_assert_eq_u64(dmabuf_size(buf), MiB + ionode_page_size());
	igt_assert_eq(fcntl(buf, F_GETFL) & O_ACCMODE, O_RDWR);
	igt_assert_eq(fcntl(buf, F_GETFD), FD_CLOEXEC);
	close_fd(buf);
	close_fd(hf);
	ionode_assert_usage_back(fd, &before);
}

static void test_struct_sizes(void)
{
	struct older {
		uint64_t len;
		uint32_t fd;
		uint32_t fd_flags;
	} old = { .len = MiB, .fd_flags = O_RDWR | O_CLOEXEC };
	struct len_fd {
		uint64_t len;
		uint32_t fd;
	} tiny = { .len = 8192 };
	struct newer {
		uint64_t len;
		uint32_t fd;
		uint32_t fd_flags;
		uint64_t heap_flags;
		uint64_t garbage[3];
	} new = { .len = MiB, .fd_flags = O_RDWR,
		  .garbage = { 0xffffffff, 0x88888888, 0x11111111 } };
	struct huge {
		struct dma_heap_allocation_data data;
		uint8_t tail[232];
	} huge;
	struct ionode_usage before = ionode_usage_now(fd);
	int hf;

	require_nodes();
	hf = heap_open_ok("system");

	do_ioctl(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct older), &old);
	track_fd(old.fd);
	igt_assert_eq_u64(dmabuf_size(old.fd), MiB);
	igt_assert_eq(fcntl(old.fd, F_GETFD), FD_CLOEXEC);
	close_fd(old.fd);

	/* No fd_flags in the struct: zero, a read-only fd. */
	do_ioctl(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct len_fd), &tiny);
	track_fd(tiny.fd);
	igt_assert_eq_u64(dmabuf_size(tiny.fd), 8192);
	igt_assert_eq(fcntl(tiny.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close_fd(tiny.fd);

	/* A newer caller's unknown fields are ignored and come back as is. */
	do_ioctl(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct newer), &new);
	track_fd(new.fd);
	igt_assert_eq_u64(dmabuf_size(new.fd), MiB);
	igt_assert_eq_u64(new.garbage[0], 0xffffffff);
	igt_assert_eq_u64(new.garbage[1], 0x88888888);
	igt_assert_eq_u64(new.garbage[2], 0x11111111);
	close_fd(new.fd);
	new.fd = 0;
	new.heap_flags = 1;
	do_ioctl_err(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct newer), &new,
		     EINVAL);

	/* Larger than the kernel's stack buffer. */
	memset(&huge, 0xa5, sizeof(huge));
	huge.data = (struct dma_heap_allocation_data){ .len = 4096,
						       .fd_flags = O_RDWR };
	do_ioctl(hf, _IOWR(DMA_HEAP_IOC_MAGIC, 0, struct huge), &huge);
	track_fd(huge.data.fd);
	igt_assert_eq(huge.tail[0], 0xa5);
	igt_assert_eq(huge.tail[sizeof(huge.tail) - 1], 0xa5);
	close_fd(huge.data.fd);

	close_fd(hf);
	ionode_assert_usage_back(fd, &before);
}

static void test_share_render_node(void)
{
	const size_t size = 2 * MiB;
	struct drm_ionode_bo_info info;
	uint32_t handle, again;
	uint8_t *p, *q;
	int hf, buf, back;

	require_nodes();
	hf = heap_open_ok("system");
	buf = heap_alloc_ok(hf, size);
	p = dmabuf_mmap(buf, size, 0, PROT_READ | PROT_WRITE);
	check_zero(p, size);
	dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	fill_pattern(p, size, 7, 0);
	dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);

	/* The render-node client gets ionode's object itself, once. */
	handle = ionode_bo_import(fd, buf);
	again = ionode_bo_import(fd, buf);
	igt_assert_eq_u32(handle, again);
	info = ionode_bo_info_get(fd, handle);
	igt_assert_eq_u32(info.heap_id, ionode_heap(&heaps, "system")->id);
	igt_assert_eq_u64(info.size, size);
	igt_assert(info.attrs & IONODE_ATTR_EXPORTED);
	igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
	back = track_fd(ionode_bo_export(fd, handle));
	igt_assert(same_inode(buf, back));
	/* Not a foreign import: not counted as one. */
	igt_assert_eq(fdinfo_mem(fd, "imported"), 0);

	q = ionode_bo_mmap(fd, handle, size, PROT_READ | PROT_WRITE);
	check_pattern(q, size, 7, 0);
	fill_pattern(q, size, 8, 0);
	munmap(q, size);
	dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, size, 8, 0);
	dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, size);

	/* The heap file goes; the render node's handle keeps the buffer. */
	close_fd(hf);
	close_fd(buf);
	close_fd(back);
	q = ionode_bo_mmap(fd, handle, size, PROT_READ);
	check_pattern(q, size, 8, 0);
	munmap(q, size);
	ionode_bo_close(fd, handle);
}

/* Whether debugfs "ionode_clients" has a dma-heap client of ours in @heap. */
static bool debugfs_dmaheap_line(const char *heap, uint64_t bytes)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], text[16384], want[64];
	char *line;

	if (!ionode_find_debugfs(dir, sizeof(dir)))
		return false;
	snprintf(path, sizeof(path), "%s/ionode_clients", dir);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	snprintf(want, sizeof(want), " %d ", getpid());
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char b[32];

		snprintf(b, sizeof(b), " %" PRIu64 " ", bytes);
		if (strstr(line, want) && strstr(line, heap) &&
		    strstr(line, b) && strstr(line, " dma-heap"))
			return true;
	}
	return false;
}

static void test_accounting(void)
{
	struct ionode_client_usage u0, u1;
	uint64_t used = ionode_heap_used(fd, "system");
	int hf, buf, hf2;
	bool dbg;

	require_nodes();
	hf = heap_open_ok("system");
	hf2 = heap_open_ok("system");
	igt_assert(fdinfo_has(hf, "\ndrm-driver:\tionode\n"));
	igt_assert(fdinfo_has(hf, "\nionode-heap:\tsystem\n"));
	igt_assert(ionode_fdinfo_value(hf, "drm-client-id") > 0);
	igt_assert(ionode_fdinfo_value(hf, "drm-client-id") !=
		   ionode_fdinfo_value(hf2, "drm-client-id"));
	igt_assert_eq(fdinfo_mem(hf, "system"), 0);
	dbg = ionode_client_usage(getpid(), "system", &u0);

	buf = heap_alloc_ok(hf, 3 * MiB);
	igt_assert_eq(fdinfo_mem(hf, "system"), 3 * 1024);
	igt_assert_eq(fdinfo_mem(hf2, "system"), 0);
	igt_assert_eq(fdinfo_mem(fd, "system"), 0);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used + 3 * MiB);
	if (dbg) {
		igt_assert(ionode_client_usage(getpid(), "system", &u1));
		igt_assert_eq_u64(u1.bytes, u0.bytes + 3 * MiB);
		igt_assert_eq_u64(u1.buffers, u0.buffers + 1);
		igt_assert(debugfs_dmaheap_line("system", 3 * MiB));
	}

	/* Still charged to the closed file's client while the buffer lives. */
	close_fd(hf);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used + 3 * MiB);
	if (dbg)
		igt_assert(debugfs_dmaheap_line("system", 3 * MiB));
	close_fd(buf);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used);
	if (dbg) {
		igt_assert(ionode_client_usage(getpid(), "system", &u1));
		igt_assert_eq_u64(u1.bytes, u0.bytes);
		igt_assert(!debugfs_dmaheap_line("system", 3 * MiB));
	}
	close_fd(hf2);
}

static void test_limits(void)
{
	const uint64_t page = ionode_page_size();
	uint64_t mask = 1ull << ionode_heap(&heaps, "system")->id;
	int hf, hf2, buf, b2;
	char limit[64];
	uint32_t h;

	require_nodes();
	ionode_param_set("client_limit", "1M");
	hf = heap_open_ok("system");
	igt_assert_eq(heap_alloc(hf, 2 * MiB, O_RDWR, 0, &buf), EDQUOT);
	buf = heap_alloc_ok(hf, MiB);
	igt_assert_eq(heap_alloc(hf, page, O_RDWR, 0, &b2), EDQUOT);
	/* Another open file is another client. */
	hf2 = heap_open_ok("system");
	b2 = heap_alloc_ok(hf2, page);
	close_fd(b2);
	close_fd(hf2);
	/* Freed bytes are the client's to use again. */
	close_fd(buf);
	buf = heap_alloc_ok(hf, MiB);
	close_fd(buf);
	close_fd(hf);
	ionode_param_set("client_limit", "0");

	/* A heap limit counts both doors together. */
	/* Others' buffers in system count too: 2 MiB more than now. */
	snprintf(limit, sizeof(limit), "system:%" PRIu64,
		 (uint64_t)(ionode_heap_used(fd, "system") + 2 * MiB));
	ionode_param_set("heap_limits", limit);
	hf = heap_open_ok("system");
	h = ionode_bo_create(fd, MiB + MiB / 2, mask, 0);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 0, &buf), EDQUOT);
	buf = heap_alloc_ok(hf, MiB / 2);
	{
		struct drm_ionode_create req = { .size = page,
						 .heap_mask = mask };

		do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, EDQUOT);
	}
	ionode_bo_close(fd, h);
	b2 = heap_alloc_ok(hf, MiB);
	close_fd(b2);
	close_fd(buf);
	close_fd(hf);
	ionode_param_set("heap_limits", "");
}

/* Drops CAP_SYS_ADMIN from this (root) process for good. */
static void drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	igt_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	data[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	data[0].inheritable &= ~(1u << CAP_SYS_ADMIN);
	igt_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

static void assert_node(const char *name, mode_t mode, gid_t gid)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
	igt_assert_eq(stat(path, &st), 0);
	igt_assert_f((st.st_mode & 07777) == mode && st.st_gid == gid,
		     "%s: mode %o gid %u, expected %o gid %u\n", path,
		     st.st_mode & 07777, st.st_gid, mode, gid);
	igt_assert_eq(st.st_uid, 0);
}

static void test_restricted(void)
{
	const gid_t group = 4242;
	const struct drm_ionode_heap_info *r;
	int early;

	require_nodes();
	igt_require(getuid() == 0);
	r = other_heap();
	assert_node(dh_name(r), 0666, 0);
	early = heap_open_ok(dh_name(r));

	ionode_param_set("restricted_gid", "-1");
	ionode_param_set("restricted_heaps", r->name);
	assert_node(dh_name(r), 0600, 0);
	assert_node("system", 0666, 0);
	{
		char attr[64];

		igt_assert_eq(class_attr(dh_name(r), "restricted", attr), 0);
		igt_assert(!strcmp(attr, "1"));
		igt_assert_eq(class_attr("system", "restricted", attr), 0);
		igt_assert(!strcmp(attr, "0"));
	}
	igt_fork(child, 1) {
		int hf, buf;

		become_user(65534, 65534, NULL, 0);
		igt_assert_eq(heap_open(dh_name(r), O_RDWR), -1);
		igt_assert_eq(errno, EACCES);
		/* A file opened before: the rule holds at allocation. */
		igt_assert_eq(heap_alloc(early, MiB, O_RDWR, 0, &buf), EPERM);
		hf = heap_open_ok("system");
		buf = heap_alloc_ok(hf, MiB);
		close_fd(buf);
		close_fd(hf);
	}
	igt_waitchildren();
	/* Root without CAP_SYS_ADMIN may open the node, ionode refuses. */
	igt_fork(child, 1) {
		drop_sys_admin();
		igt_assert_eq(heap_open(dh_name(r), O_RDWR), -1);
		igt_assert_eq(errno, EPERM);
	}
	igt_waitchildren();

	ionode_param_set("restricted_gid", "4242");
	assert_node(dh_name(r), 0660, group);
	igt_fork(child, 1) {
		int hf, buf;

		become_user(65534, 65534, &group, 1);
		hf = heap_open_ok(dh_name(r));
		buf = heap_alloc_ok(hf, MiB);
		close_fd(buf);
		buf = heap_alloc_ok(early, MiB);
		close_fd(buf);
		close_fd(hf);
	}
	igt_waitchildren();
	igt_fork(child, 1) {
		become_user(65534, 65534, NULL, 0);
		igt_assert_eq(heap_open(dh_name(r), O_RDWR), -1);
		igt_assert_eq(errno, EACCES);
	}
	igt_waitchildren();

	ionode_param_set("restricted_heaps", "");
	assert_node(dh_name(r), 0666, 0);
	ionode_param_set("restricted_gid", "-1");
	assert_node(dh_name(r), 0666, 0);
	close_fd(early);
}

static long module_refcnt(void)
{
	char text[32];

	igt_assert_eq(read_text("/sys/module/ionode/refcnt", text,
				sizeof(text)), 0);
	return strtol(text, NULL, 10);
}

/*
 * An open heap file holds the module twice (its cdev and its fops), a
 * dma-buf once (its ops' owner).
 */
static void test_module_unload(void)
{
	long r0, r_open, r_alloc;
	uint8_t *p;
	int hf, buf;

	require_nodes();
	igt_require(getuid() == 0);
	r0 = module_refcnt();
	hf = heap_open_ok("system");
	r_open = module_refcnt();
	buf = heap_alloc_ok(hf, MiB);
	r_alloc = module_refcnt();
	close_fd(hf);
	igt_info("ionode refcnt: %ld, heap file open %ld, with a buffer %ld, file closed %ld\n",
		 r0, r_open, r_alloc, module_refcnt());
	igt_assert_eq(r_open, r0 + 2);
	igt_assert_eq(r_alloc, r0 + 3);
	igt_assert_eq(module_refcnt(), r0 + 1);

	/* The live buffer holds ionode: unloading it now is refused. */
	igt_assert_eq(syscall(SYS_delete_module, "ionode", O_NONBLOCK), -1);
	igt_assert_f(errno == EWOULDBLOCK || errno == EBUSY,
		     "delete_module: %s\n", strerror(errno));
	igt_assert(access("/sys/module/ionode", F_OK) == 0);
	p = dmabuf_mmap(buf, MiB, 0, PROT_READ | PROT_WRITE);
	check_zero(p, MiB);
	fill_pattern(p, MiB, 3, 0);
	check_pattern(p, MiB, 3, 0);
	munmap(p, MiB);
	close_fd(buf);
	igt_assert_eq(module_refcnt(), r0);
}

#define DRV_DIR		"/sys/bus/platform/drivers/ionode"

static void drv_write(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), DRV_DIR "/%s", file);
	igt_assert_eq(write_text(path, "ionode"), 0);
}

static bool bound(void)
{
	return access(DRV_DIR "/ionode", F_OK) == 0;
}

/*
 * Unbind with a heap file open and a buffer of it alive: the nodes go,
 * the file's allocations fail with ENODEV (also after the device is bound
 * again: the file belongs to the old one), the buffer keeps working; a
 * bound device has its nodes back.
 */
static void test_unbind(void)
{
	char path[PATH_MAX];
	int hf, hf2, buf, b2;
	uint8_t *p;

	require_nodes();
	igt_require(geteuid() == 0 && access(DRV_DIR "/unbind", W_OK) == 0);
	snprintf(path, sizeof(path), "%s/system", dev_dir);
	hf = heap_open_ok("system");
	buf = heap_alloc_ok(hf, MiB);
	p = dmabuf_mmap(buf, MiB, 0, PROT_READ | PROT_WRITE);
	fill_pattern(p, MiB, 5, 0);

	drv_write("unbind");
	igt_assert(!bound());
	igt_assert(access(path, F_OK) == -1 && errno == ENOENT);
	igt_assert(access(class_dir, F_OK) == -1 && errno == ENOENT);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 0, &b2), ENODEV);
	igt_assert_eq(fdinfo_mem(hf, "system"), 1024);
	dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_pattern(p, MiB, 5, 0);
	dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);

	drv_write("bind");
	igt_assert(bound());
	igt_assert_eq(access(path, F_OK), 0);
	hf2 = heap_open_ok("system");
	b2 = heap_alloc_ok(hf2, MiB);
	close_fd(b2);
	close_fd(hf2);
	igt_assert_eq(heap_alloc(hf, MiB, O_RDWR, 0, &b2), ENODEV);
	check_pattern(p, MiB, 5, 0);
	munmap(p, MiB);
	close_fd(buf);
	close_fd(hf);
}

/* build/dmabuf-heaps/dmabuf-heap next to this binary. */
static bool selftest_path(char *path, size_t len)
{
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return false;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, len, "%s/dmabuf-heaps/dmabuf-heap", self);
	return access(path, X_OK) == 0;
}

/*
 * Runs the selftest in a mount namespace of its own where /dev/dma_heap is
 * ionode's directory (a bind mount when dmaheap_dir is another name), and
 * returns its output and exit status.
 */
static int run_selftest(const char *path, char *out, size_t len)
{
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	igt_assert_eq(pipe(pipefd), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		if (strcmp(dev_dir, "/dev/dma_heap") &&
		    (unshare(CLONE_NEWNS) ||
		     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		     (mkdir("/dev/dma_heap", 0755) && errno != EEXIST) ||
		     mount(dev_dir, "/dev/dma_heap", NULL, MS_BIND, NULL))) {
			perror("bind mount on /dev/dma_heap");
			_exit(126);
		}
		execl(path, path, (char *)NULL);
		perror(path);
		_exit(127);
	}
	close(pipefd[1]);
	while (got < len - 1 &&
	       (n = read(pipefd[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(pipefd[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_upstream_selftest(void)
{
	static char out[65536];
	char path[PATH_MAX], head[128];
	unsigned int ok = 0, fail = 0, tested = 0;
	const char *p;
	uint32_t i;
	int vgem, rc;

	require_nodes();
	igt_require_f(selftest_path(path, sizeof(path)),
		      "%s not built (no linux-source-6.1?)\n", path);
	igt_require(getuid() == 0 || !strcmp(dev_dir, "/dev/dma_heap"));
	/* Its import case only runs with vgem there. */
	vgem = igt_open_vgem();
	igt_assert_f(vgem >= 0, "vgem is needed for the selftest's import case\n");
	close(vgem);

	rc = run_selftest(path, out, sizeof(out));
	igt_info("%s", out);
	igt_assert_f(!strstr(out, "Could not open vgem"),
		     "the import case did not run\n");
	for (p = out; (p = strstr(p, "OK\n")); p++)
		ok++;
	for (p = out; (p = strstr(p, "FAIL")); p++)
		fail++;
	for (i = 0; i < heaps.count; i++) {
		snprintf(head, sizeof(head), "Testing heap: %s\n",
			 dh_name(&heaps.info[i]));
		igt_assert_f(strstr(out, head), "heap %s not tested\n",
			     dh_name(&heaps.info[i]));
		tested++;
	}
	igt_info("upstream dmabuf-heap selftest: exit status %d, %u heap(s), %u OK, %u FAIL\n",
		 rc, tested, ok, fail);
	igt_assert_eq(rc, 0);
	igt_assert_eq(fail, 0);
	/* Six cases per heap. */
	igt_assert_eq(ok, 6 * tested);
}

static void fresh(int f)
{
	unsigned int i;

	(void)f;
	for (i = 0; i < 4; i++)
		ionode_param_set(params[i], saved[i]);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		unsigned int i;

		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		for (i = 0; i < 4; i++)
			igt_assert_eq(ionode_param_read(params[i], saved[i],
							sizeof(saved[i])), 0);
		igt_assert_eq(ionode_param_read("dmaheap_dir", param_dir,
						sizeof(param_dir)), 0);
		snprintf(dev_dir, sizeof(dev_dir), "/dev/%s", param_dir);
		snprintf(class_dir, sizeof(class_dir), "/sys/class/%s",
			 param_dir);
		ionode_set_fresh_hook(fresh);
	}

	subtest("nodes")
		test_nodes();
	subtest("own-heaps-left-alone")
		test_own_heaps_left_alone();
	subtest("bad-ioctls")
		test_bad_ioctls();
	subtest("struct-sizes")
		test_struct_sizes();
	subtest("share-render-node")
		test_share_render_node();
	subtest("accounting")
		test_accounting();
	subtest("limits")
		test_limits();
	subtest("restricted")
		test_restricted();
	subtest("module-unload")
		test_module_unload();
	subtest("upstream-selftest")
		test_upstream_selftest();
	subtest("unbind")
		test_unbind();

	igt_fixture {
		if (geteuid() == 0 && !bound())
			drv_write("bind");
		fresh(fd);
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
