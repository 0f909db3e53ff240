// SPDX-License-Identifier: MIT
/*
 * ionode_heap_module - a heap in a module of its own: the system-dma32 heap
 * module (drm-driver/ionode_heap_dma32.ko) loaded, used, refused unload
 * while its buffers live, unloaded, loaded again.
 *
 * The test loads and unloads the module itself (finit_module() and
 * delete_module(), so it needs root) and leaves it unloaded. It finds the
 * module built for the running kernel: $IONODE_HEAP_DMA32_KO if set, else
 * build/full/drm-driver/ (make check KERNEL=full's build) or drm-driver/
 * of the repository holding this binary, whichever was built for this
 * kernel (modinfo's vermagic).
 *
 * What it checks: the heap appears in the query ioctl, sysfs and debugfs
 * with a new id (never one of another heap's) and goes from all three on
 * unload; its buffers are zeroed, mappable, shareable over PRIME, counted
 * (query, sysfs, fdinfo, debugfs) and made of pages below 4 GiB (the free
 * pages of the zones below 4 GiB, /proc/zoneinfo, drop by the buffer's
 * size; physical addresses are never reported, the KUnit suite
 * ionode_heap_pages checks them on the debug kernel); the administrator's
 * heap_limits and restricted_heaps apply to it by name; every buffer holds
 * the module (its refcnt), so delete_module() fails with EWOULDBLOCK while
 * a handle, a dma-buf or a mapping of one lives; once unloaded, a mask
 * naming only its id is EINVAL and the id goes to no other heap; loaded
 * again, the heap gets the same id back; across an unbind of the ionode
 * device, a live buffer keeps the module and its bytes, and the module
 * loads again on the device bound anew. Where /dev/dma_heap is ionode's
 * (the stock kernel), the heap has a node there while it is registered,
 * and an open heap file holds the module too (dma-heap-node).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <sys/mman.h>

#include "ionode_heap_test.h"

#define HEAP		"system-dma32"
#define MODULE		"ionode_heap_dma32"
#define MODULE_DIR	"/sys/module/" MODULE
#define FOUR_GIB	(4ull << 30)

static char ko_path[PATH_MAX];
static bool loaded_at_start;

/* ---- the module ---------------------------------------------------------- */

static bool module_loaded(void)
{
	return access(MODULE_DIR, F_OK) == 0;
}

/* The vermagic of a module file, by modinfo; "" when unreadable. */
static void ko_vermagic(const char *path, char *buf, size_t len)
{
	char cmd[PATH_MAX + 64];
	FILE *p;

	buf[0] = '\0';
	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(buf, len, p))
		buf[0] = '\0';
	pclose(p);
}

/* Whether @path exists and was built for the running kernel. */
static bool ko_for_this_kernel(const char *path)
{
	char magic[256];
	struct utsname u;
	size_t n;

	if (access(path, R_OK) || uname(&u))
		return false;
	ko_vermagic(path, magic, sizeof(magic));
	n = strlen(u.release);
	return strncmp(magic, u.release, n) == 0 && magic[n] == ' ';
}

/* Finds the module built for this kernel into ko_path; false if none. */
static bool find_module(void)
{
	static const char *const rel[] = {
		"../../build/full/drm-driver/" MODULE ".ko",
		"../../drm-driver/" MODULE ".ko",
	};
	const char *env = getenv("IONODE_HEAP_DMA32_KO");
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;
	unsigned int i;

	if (env && *env) {
		snprintf(ko_path, sizeof(ko_path), "%s", env);
		return ko_for_this_kernel(ko_path);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	slash[1] = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(ko_path, sizeof(ko_path), "%s%s", exe, rel[i]);
		if (ko_for_this_kernel(ko_path))
			return true;
	}
	ko_path[0] = '\0';
	return false;
}

/* finit_module(): 0 or -errno. */
static int load_module(void)
{
	int kfd = open(ko_path, O_RDONLY | O_CLOEXEC), ret;

	igt_assert_f(kfd >= 0, "cannot open %s: %s\n", ko_path,
		     igt_errno_name(errno));
	ret = syscall(SYS_finit_module, kfd, "", 0) ? -errno : 0;
	close(kfd);
	return ret;
}

/* delete_module() as rmmod does it (O_NONBLOCK): 0 or -errno. */
static int unload_module(void)
{
	return syscall(SYS_delete_module, MODULE, O_NONBLOCK) ? -errno : 0;
}

static void ensure_loaded(void)
{
	int ret;

	if (module_loaded())
		return;
	ret = load_module();
	igt_assert_f(ret == 0, "loading %s: %s\n", ko_path,
		     igt_errno_name(-ret));
	igt_assert(module_loaded());
}

static void ensure_unloaded(void)
{
	int ret;

	if (!module_loaded())
		return;
	ret = unload_module();
	igt_assert_f(ret == 0, "unloading " MODULE ": %s\n",
		     igt_errno_name(-ret));
	igt_assert(!module_loaded());
}

/* The module's reference count (/sys/module/.../refcnt). */
static long module_refcnt(void)
{
	char buf[32];
	int ret = read_text(MODULE_DIR "/refcnt", buf, sizeof(buf));

	igt_assert_f(ret == 0, "cannot read " MODULE_DIR "/refcnt: %s\n",
		     igt_errno_name(-ret));
	return strtol(buf, NULL, 10);
}

/* ---- what userspace sees of the heap ------------------------------------ */

/* Free bytes of the zones below 4 GiB (DMA, DMA32), from /proc/zoneinfo. */
static uint64_t low_zones_free(void)
{
	char line[256], zone[32];
	bool in_low = false;
	uint64_t pages = 0;
	unsigned long long v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d, zone %31s", zone) == 1) {
			in_low = !strcmp(zone, "DMA") || !strcmp(zone, "DMA32");
			continue;
		}
		if (in_low && sscanf(line, " pages free %llu", &v) == 1)
			pages += v;
	}
	fclose(f);
	return pages * page;
}

/*
 * Waits (up to 10 s) until no freed write-combined memory waits in the
 * pools' stale list for the page allocator (debugfs ionode_pools): freed
 * asynchronously, it would hide an allocation's drop in free memory.
 */
static void wait_stale_freed(void)
{
	char path[600], buf[4096];
	unsigned long long stale;
	unsigned int tries;
	const char *p;

	if (!find_debugfs())
		return;
	snprintf(path, sizeof(path), "%s/ionode_pools", debugfs_dir);
	for (tries = 0; tries < 100; tries++) {
		igt_assert_eq(read_text(path, buf, sizeof(buf)), 0);
		p = strstr(buf, " stale ");
		igt_assert_f(p && sscanf(p, " stale %llu", &stale) == 1,
			     "cannot parse %s: \"%s\"\n", path, buf);
		if (!stale)
			return;
		usleep(100 * 1000);
	}
	igt_warn("%llu stale bytes still in the pools\n", stale);
}

/* A heap named @name is in sysfs. */
static bool in_sysfs(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_HEAPS "/%s", name);
	return access(path, F_OK) == 0;
}

/* The id of debugfs ionode_heaps' row for @name, -1 without one. */
static int debugfs_id(const char *name)
{
	char path[600], buf[16384], *line, *save = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/ionode_heaps", debugfs_dir);
	ret = read_text(path, buf, sizeof(buf));
	igt_assert_f(ret == 0, "cannot read %s: %s\n", path,
		     igt_errno_name(-ret));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char row[IONODE_HEAP_NAME_LEN];
		unsigned int id;

		if (sscanf(line, "%u %31s", &id, row) == 2 && !strcmp(row, name))
			return id;
	}
	return -1;
}

static bool fdinfo_has(int f, const char *key)
{
	struct fdinfo fi;
	unsigned int i;

	fdinfo_read(f, &fi);
	for (i = 0; i < fi.n_mem; i++)
		if (!strcmp(fi.mem[i].key, key))
			return true;
	return false;
}

/*
 * The heap's id as last seen while loaded; UINT32_MAX before the first
 * load in this run.
 */
static uint32_t dma32_id = UINT32_MAX;

/* The loaded heap: in the query, consistent with sysfs and debugfs. */
static struct drm_ionode_heap_info check_present(void)
{
	struct drm_ionode_heap_info h = heap_now(HEAP);
	uint32_t i;

	igt_assert_eq(h.type, IONODE_HEAP_TYPE_SYSTEM);
	igt_assert_eq(h.flags & IONODE_HEAP_CONTIGUOUS, 0);
	igt_assert_lt(h.id, IONODE_MAX_HEAPS);
	/* Its own id: no other heap listed has it. */
	for (i = 0; i < heaps.count; i++)
		if (strcmp(heaps.info[i].name, HEAP))
			igt_assert_neq(heaps.info[i].id, h.id);
	/* The zones below 4 GiB: fixed size, at most 4 GiB. */
	igt_assert_neq_u64(h.total_bytes, IONODE_SIZE_UNKNOWN);
	igt_assert(h.total_bytes > 0 && h.total_bytes <= FOUR_GIB);
	igt_assert_lte_u64(h.free_bytes, h.total_bytes);
	igt_assert(h.max_alloc > 0 && h.max_alloc <= h.total_bytes / 2 + page);
	igt_assert_eq_u64(h.pool_bytes, 0);

	igt_assert_f(in_sysfs(HEAP), "no " SYSFS_HEAPS "/" HEAP "\n");
	igt_assert_eq(sysfs_heap(HEAP, "type"), IONODE_HEAP_TYPE_SYSTEM);
	igt_assert_eq(sysfs_heap(HEAP, "total_bytes"), (int64_t)h.total_bytes);
	if (find_debugfs())
		igt_assert_eq(debugfs_id(HEAP), h.id);
	igt_assert_f(fdinfo_has(fd, HEAP), "fdinfo lacks drm-memory-" HEAP "\n");
	return h;
}

/* The unloaded heap: in none of the query, sysfs, debugfs, fdinfo. */
static void check_absent(void)
{
	igt_assert_f(!find_heap(HEAP), HEAP " still listed\n");
	igt_assert_f(!in_sysfs(HEAP), SYSFS_HEAPS "/" HEAP " still there\n");
	if (find_debugfs())
		igt_assert_f(debugfs_id(HEAP) < 0,
			     "ionode_heaps still lists " HEAP "\n");
	igt_assert_f(!fdinfo_has(fd, HEAP), "fdinfo still has drm-memory-" HEAP "\n");
}

/* ---- subtests ------------------------------------------------------------ */

/*
 * Loading the module adds the heap: listed last (newest id, so last in the
 * fallback order), with an id no other heap has, the ids of the others
 * unchanged; in sysfs, debugfs and fdinfo; empty; the module unused; a
 * holder of ionode.ko (it uses its symbols). Loading it twice is EEXIST.
 */
static void test_register(void)
{
	static struct drm_ionode_heap_info before[IONODE_MAX_HEAPS];
	static uint32_t n_before;
	struct drm_ionode_heap_info h;
	uint32_t i;

	ensure_unloaded();
	refresh_heaps();
	check_absent();
	n_before = heaps.count;
	memcpy(before, heaps.info, n_before * sizeof(before[0]));

	igt_assert_eq(load_module(), 0);
	h = check_present();
	igt_info(HEAP ": id %u, %llu MiB below 4 GiB, %llu MiB free, "
		 "max_alloc %llu MiB\n", h.id,
		 (unsigned long long)h.total_bytes >> 20,
		 (unsigned long long)h.free_bytes >> 20,
		 (unsigned long long)h.max_alloc >> 20);
	igt_assert_eq(heaps.count, n_before + 1);
	igt_assert_f(!strcmp(heaps.info[heaps.count - 1].name, HEAP),
		     HEAP " is not listed last\n");
	for (i = 0; i < n_before; i++) {
		igt_assert_eq(heap_now(before[i].name).id, before[i].id);
		igt_assert_lt(before[i].id, h.id);
	}
	if (dma32_id != UINT32_MAX)
		igt_assert_eq(h.id, dma32_id);
	dma32_id = h.id;

	igt_assert_eq_u64(h.used_bytes, 0);
	igt_assert_eq(sysfs_heap(HEAP, "used_bytes"), 0);
	igt_assert_eq(sysfs_heap(HEAP, "buffers"), 0);
	igt_assert_eq(module_refcnt(), 0);
	igt_assert(access("/sys/module/ionode/holders/" MODULE, F_OK) == 0);
	igt_assert_eq(load_module(), -EEXIST);
}

/*
 * Buffers of the heap, write-combined and cached: served by it, zeroed,
 * taken from the zones below 4 GiB (their free memory drops by at least
 * half the buffer: pages on per-CPU lists are not counted free, the rest
 * must be), mappable through the DRM fd and the dma-buf, imported by a
 * second client as the same buffer of the same heap, counted in the query,
 * sysfs and fdinfo, each holding one reference on the module; all of it
 * back to zero when closed. DRM_IOCTL_IONODE_ALLOC_FD serves from it too;
 * too large is E2BIG; system, with the lower id, comes first in a mask
 * naming both.
 */
static void test_alloc(void)
{
	/* Cached first: freed at once, not through the pools' worker. */
	const uint32_t flag_sets[] = { IONODE_BO_CACHED, 0 };
	struct drm_ionode_heap_info h;
	struct drm_ionode_alloc_fd af;
	uint64_t size = 64 * MiB;
	unsigned int i;

	ensure_loaded();
	h = check_present();
	if (size > h.max_alloc)
		size = h.max_alloc;
	if (size > h.free_bytes / 2)
		size = (h.free_bytes / 2) & ~(uint64_t)(page - 1);
	igt_require_f(size >= 16 * MiB, "only %llu MiB free below 4 GiB\n",
		      (unsigned long long)h.free_bytes >> 20);

	for (i = 0; i < 2; i++) {
		uint32_t flags = flag_sets[i], seed = 0x3200 + i, h2;
		struct drm_ionode_create req;
		struct drm_ionode_bo_info info;
		uint64_t free_before, free_after;
		uint8_t *cpu, *dbuf, *cpu2;
		struct fdinfo fi;
		int dmabuf, fd2;

		wait_stale_freed();
		free_before = low_zones_free();
		req = create_ok(size, 0, 1ull << h.id, flags);
		free_after = low_zones_free();
		igt_assert_eq(req.heap_id, h.id);
		igt_info("flags %#x: %" PRIu64 " MiB buffer, free below 4 GiB "
			 "%" PRIu64 " -> %" PRIu64 " MiB\n", flags, size >> 20,
			 free_before >> 20, free_after >> 20);
		igt_assert_f(free_after < free_before &&
			     free_before - free_after >= size / 2,
			     "free memory below 4 GiB went from %" PRIu64
			     " to %" PRIu64 " bytes for a %" PRIu64
			     "-byte buffer\n", free_before, free_after, size);

		info = ionode_bo_info_get(fd, req.handle);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.flags, flags);
		igt_assert_eq(info.attrs & IONODE_ATTR_CONTIGUOUS, 0);
		igt_assert_eq_u64(heap_now(HEAP).used_bytes, size);
		igt_assert_eq(sysfs_heap(HEAP, "used_bytes"), (int64_t)size);
		igt_assert_eq(sysfs_heap(HEAP, "buffers"), 1);
		fdinfo_read(fd, &fi);
		igt_assert_eq_u64(fdinfo_kib(&fi, HEAP), size / KiB);
		igt_assert_eq(module_refcnt(), 1);

		cpu = bo_map(fd, req.handle, size);
		check_zero(cpu, size);
		fill_pattern(cpu, size, seed, 0);

		dmabuf = bo_export(fd, req.handle);
		dbuf = dmabuf_map(dmabuf, size, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		check_pattern(dbuf, size, seed, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

		fd2 = open_ionode2();
		h2 = ionode_bo_import(fd2, dmabuf);
		info = ionode_bo_info_get(fd2, h2);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.attrs & IONODE_ATTR_IMPORTED, 0);
		cpu2 = bo_map(fd2, h2, size);
		check_pattern(cpu2, size, seed, 0);
		unmap(cpu2);
		ionode_bo_close(fd2, h2);
		close_fd(fd2);
		/* Still one buffer: one reference on the module. */
		igt_assert_eq(module_refcnt(), 1);

		unmap(cpu);
		unmap(dbuf);
		ionode_bo_close(fd, req.handle);
		close_fd(dmabuf);
		igt_assert_eq_u64(heap_now(HEAP).used_bytes, 0);
		igt_assert_eq(sysfs_heap(HEAP, "buffers"), 0);
		igt_assert_eq(module_refcnt(), 0);
	}

	memset(&af, 0, sizeof(af));
	af.size = MiB;
	af.heap_mask = 1ull << h.id;
	af.fd_flags = O_RDWR | O_CLOEXEC;
	do_ioctl(fd, DRM_IOCTL_IONODE_ALLOC_FD, &af);
	igt_assert_eq(af.heap_id, h.id);
	track_fd(af.fd);
	igt_assert_eq(module_refcnt(), 1);
	close_fd(af.fd);
	igt_assert_eq(module_refcnt(), 0);

	create_err(h.max_alloc + page, 0, 1ull << h.id, 0, E2BIG);
	ionode_bo_close(fd, create_in("system", MiB, 0,
				      (1ull << h.id) | hmask("system"), 0));
	igt_assert_eq_u64(heap_now(HEAP).used_bytes, 0);
}

/*
 * The administrator's policy applies to the heap by name, as to ionode's
 * own: heap_limits=system-dma32:1M fails a request past it with EDQUOT
 * (sysfs limit_bytes shows it); restricted_heaps=system-dma32 sets the
 * flag in the query and refuses an unprivileged process with EPERM, while
 * root is served.
 */
static void test_policy(void)
{
	struct drm_ionode_heap_info h;
	uint32_t handle;

	require_policy_control();
	ensure_loaded();
	h = check_present();

	ionode_param_set("heap_limits", HEAP ":1M");
	igt_assert_eq(sysfs_heap(HEAP, "limit_bytes"), (int64_t)MiB);
	handle = create_in(HEAP, 512 * KiB, 0, 1ull << h.id, 0);
	create_err(MiB, 0, 1ull << h.id, 0, EDQUOT);
	ionode_bo_close(fd, handle);
	ionode_param_set("heap_limits", "");

	ionode_param_set("restricted_heaps", HEAP);
	igt_assert(heap_now(HEAP).flags & IONODE_HEAP_RESTRICTED);
	igt_fork(child, 1) {
		become_user(65534, 65534, NULL, 0);
		create_err(page, 0, 1ull << h.id, 0, EPERM);
	}
	igt_waitchildren();
	ionode_bo_close(fd, create_in(HEAP, page, 0, 1ull << h.id, 0));
	ionode_param_set("restricted_heaps", "");
	igt_assert_eq(heap_now(HEAP).flags & IONODE_HEAP_RESTRICTED, 0);
	igt_assert_eq_u64(heap_now(HEAP).used_bytes, 0);
}

/* delete_module() is refused (EWOULDBLOCK); the heap stays, same id. */
static void assert_unload_refused(const char *holder)
{
	int ret = unload_module();

	igt_assert_f(ret == -EWOULDBLOCK, "unload with %s alive: %s\n", holder,
		     igt_errno_name(-ret));
	igt_assert(module_loaded());
	igt_assert_eq(heap_now(HEAP).id, dma32_id);
}

/*
 * While anything keeps a buffer of the heap, the module cannot unload: a
 * GEM handle, a dma-buf fd alone (handle closed), a CPU mapping alone
 * (handle and dma-buf closed). The heap stays usable meanwhile. Once the
 * last is gone, it unloads.
 */
static void test_unload_busy(void)
{
	struct drm_ionode_heap_info h;
	uint32_t handle;
	uint8_t *cpu;
	int dmabuf;

	ensure_loaded();
	h = check_present();

	handle = create_in(HEAP, 2 * MiB, 0, 1ull << h.id, 0);
	assert_unload_refused("a GEM handle");

	dmabuf = bo_export(fd, handle);
	cpu = dmabuf_map(dmabuf, 2 * MiB, 0);
	ionode_bo_close(fd, handle);
	assert_unload_refused("a dma-buf fd");
	/* Still serving new buffers meanwhile. */
	ionode_bo_close(fd, create_in(HEAP, MiB, 0, 1ull << h.id, 0));

	close_fd(dmabuf);
	assert_unload_refused("a mapping");
	igt_assert_eq(module_refcnt(), 1);
	check_zero(cpu, 2 * MiB);

	unmap(cpu);
	igt_assert_eq(module_refcnt(), 0);
	igt_assert_eq(unload_module(), 0);
	igt_assert(!module_loaded());
	refresh_heaps();
	check_absent();
}

/*
 * Unloaded: the heap is gone from the query, sysfs, debugfs and fdinfo;
 * the other heaps keep their ids; its id selects nothing (alone, EINVAL,
 * as any id naming no heap; with system, system serves) and no heap has it.
 */
static void test_unregister(void)
{
	struct drm_ionode_create req;
	uint32_t i;

	ensure_loaded();
	dma32_id = check_present().id;
	ensure_unloaded();

	refresh_heaps();
	check_absent();
	for (i = 0; i < heaps.count; i++)
		igt_assert_neq(heaps.info[i].id, dma32_id);
	create_err(page, 0, 1ull << dma32_id, 0, EINVAL);
	req = create_ok(page, 0, (1ull << dma32_id) | hmask("system"), 0);
	igt_assert_eq(req.heap_id, hid("system"));
	ionode_bo_close(fd, req.handle);
}

/*
 * Loaded again, the heap comes back under its name with the id it had
 * (an id stays its name's for the device's life), and serves buffers.
 */
static void test_reload(void)
{
	struct drm_ionode_heap_info h;
	unsigned int round;

	for (round = 0; round < 2; round++) {
		ensure_unloaded();
		igt_assert_eq(load_module(), 0);
		h = check_present();
		if (dma32_id != UINT32_MAX)
			igt_assert_eq(h.id, dma32_id);
		dma32_id = h.id;
		ionode_bo_close(fd, create_in(HEAP, MiB, 0, 1ull << h.id,
					      IONODE_BO_CACHED));
		igt_assert_eq(module_refcnt(), 0);
	}
}

/*
 * /dev/dma_heap/system-dma32 comes and goes with the module; an open heap
 * file keeps the module loaded; its buffers are the heap's.
 */
static void test_dma_heap_node(void)
{
	struct dma_heap_allocation_data alloc = {
		.len = MiB, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	const char *node = "/dev/dma_heap/" HEAP;
	uint8_t *p;
	int hf;

	igt_require_f(access("/sys/class/dma_heap/system/ionode_heap", F_OK) == 0,
		      "/dev/dma_heap is not ionode's on this kernel\n");
	ensure_loaded();
	check_present();
	hf = open(node, O_RDONLY | O_CLOEXEC);
	igt_assert_f(hf >= 0, "no %s: %s\n", node, igt_errno_name(errno));
	assert_unload_refused("an open heap file");
	do_ioctl(hf, DMA_HEAP_IOCTL_ALLOC, &alloc);
	igt_assert_eq_u64(heap_now(HEAP).used_bytes, MiB);
	p = dmabuf_map(alloc.fd, MiB, 0);
	check_zero(p, MiB);
	munmap(p, MiB);
	close(hf);
	assert_unload_refused("a buffer of a heap file");
	close(alloc.fd);
	igt_assert_eq(unload_module(), 0);
	igt_assert_f(access(node, F_OK) != 0, "%s outlived the module\n", node);
	igt_assert_eq(load_module(), 0);
	igt_assert_f(access(node, F_OK) == 0, "no %s after a reload\n", node);
}

#define DRV_DIR		"/sys/bus/platform/drivers/ionode"

static bool bound(void)
{
	return access(DRV_DIR "/ionode", F_OK) == 0;
}

static void bind_write(const char *file)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), DRV_DIR "/%s", file);
	ret = write_text(path, "ionode");

	igt_assert_f(ret == 0, "%s: %s\n", file, igt_errno_name(-ret));
}

/*
 * The ionode device unbound while the heap module is loaded and a buffer
 * of its heap lives (a dma-buf and its mapping): the buffer keeps its
 * bytes and the module (unload refused); once it is gone, the module
 * unloads. Loading it with no device fails with ENODEV; once the device is
 * bound again, the new device has no system-dma32 until the module loads,
 * and then does.
 */
static void test_unbind(void)
{
	struct drm_ionode_heap_info h;
	uint32_t handle;
	uint8_t *cpu;
	int dmabuf;

	igt_require_f(access(DRV_DIR "/unbind", W_OK) == 0,
		      "cannot unbind ionode\n");
	ensure_loaded();
	h = check_present();
	handle = create_in(HEAP, MiB, 0, 1ull << h.id, 0);
	dmabuf = bo_export(fd, handle);
	cpu = dmabuf_map(dmabuf, MiB, 0);
	fill_pattern(cpu, MiB, 0x3232, 0);
	ionode_bo_close(fd, handle);
	close(fd);
	fd = -1;

	bind_write("unbind");
	igt_assert(!bound());
	igt_assert_eq(unload_module(), -EWOULDBLOCK);
	check_pattern(cpu, MiB, 0x3232, 0);
	unmap(cpu);
	close_fd(dmabuf);
	igt_assert_eq(unload_module(), 0);
	igt_assert_eq(load_module(), -ENODEV);
	igt_assert(!module_loaded());

	bind_write("bind");
	igt_assert(bound());
	/* A new device: new DRM minors, a new debugfs directory. */
	debugfs_dir[0] = '\0';
	fd = igt_ionode_open();
	refresh_heaps();
	check_absent();
	igt_assert_eq(load_module(), 0);
	check_present();
	ensure_unloaded();
}

igt_main
{
	igt_fixture {
		heap_test_init();
		igt_require_f(geteuid() == 0, "loading modules needs root\n");
		igt_require_f(find_module(), "no " MODULE ".ko built for "
			      "this kernel (make; or set IONODE_HEAP_DMA32_KO)\n");
		igt_info("module: %s\n", ko_path);
		loaded_at_start = module_loaded();
	}

	subtest("register")
		test_register();
	subtest("alloc-dma32")
		test_alloc();
	subtest("policy")
		test_policy();
	subtest("unload-busy")
		test_unload_busy();
	subtest("unregister")
		test_unregister();
	subtest("reload")
		test_reload();
	subtest("dma-heap-node")
		test_dma_heap_node();
	subtest("unbind")
		test_unbind();

	igt_fixture {
		/* Buffers a failed subtest left go first, then the module. */
		release_all();
		if (!bound())
			bind_write("bind");
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (!loaded_at_start)
			ensure_unloaded();
		heap_test_fini();
	}
}
