// SPDX-License-Identifier: MIT
/*
 * ionode_heaps_accounting - what the heaps account: the query ioctl's
 * used bytes, sysfs (used_bytes, buffers, peak_bytes), fdinfo's
 * drm-memory- lines and debugfs' ionode_heaps and ionode_clients, for a
 * known set of buffers, exported buffers whose handle was closed, closed
 * clients and buffers imported from vgem; and debugfs' ionode_buffers,
 * which names every buffer's creator, heap, size, attached devices and
 * DMA_BUF_SET_NAME name (buffer-names).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "ionode_heap_test.h"

/* ---- accounting --------------------------------------------------------- */

static uint32_t acct_handles[32];
static unsigned int n_acct;
static uint64_t acct_bytes[IONODE_MAX_HEAPS];
static uint64_t acct_buffers[IONODE_MAX_HEAPS];

/*
 * Allocates a known set on @f: system 4 KiB, 16 KiB (from 3 pages + 100
 * bytes), 64 KiB, 1 MiB + 4 KiB, 2 MiB; carveout0 (when present) 4 KiB,
 * 256 KiB, 1 MiB + 8 KiB, 3 MiB. acct_bytes/acct_buffers hold the totals.
 */
static void alloc_known_set(int f)
{
	const uint64_t sys_sizes[] = { page, 3 * page + 100, 64 * KiB,
				       MiB + page, 2 * MiB };
	const uint64_t co_sizes[] = { page, 256 * KiB, MiB + 2 * page, 3 * MiB };
	const struct drm_ionode_heap_info *co = find_heap("carveout0");
	unsigned int i;

	memset(acct_bytes, 0, sizeof(acct_bytes));
	memset(acct_buffers, 0, sizeof(acct_buffers));
	n_acct = 0;
	for (i = 0; i < sizeof(sys_sizes) / sizeof(sys_sizes[0]); i++) {
		struct drm_ionode_create req = create_on(f, sys_sizes[i], 0,
							 hmask("system"),
							 i % 2 ? IONODE_BO_CACHED : 0);

		acct_handles[n_acct++] = req.handle;
		acct_bytes[req.heap_id] += req.size;
		acct_buffers[req.heap_id]++;
	}
	if (!co) {
		igt_info("no carveout0: accounting on system only\n");
		return;
	}
	for (i = 0; i < sizeof(co_sizes) / sizeof(co_sizes[0]); i++) {
		struct drm_ionode_create req = create_on(f, co_sizes[i], 0,
							 1ull << co->id, 0);

		acct_handles[n_acct++] = req.handle;
		acct_bytes[req.heap_id] += req.size;
		acct_buffers[req.heap_id]++;
	}
}

static void free_known_set(int f)
{
	while (n_acct)
		ionode_bo_close(f, acct_handles[--n_acct]);
}

/*
 * The query ioctl's used_bytes grows by exactly what was allocated, per
 * heap (other heaps do not move), and returns to where it was.
 */
static void test_accounting_query(void)
{
	struct snap before;
	uint32_t i;

	take_snap(&before);
	alloc_known_set(fd);
	refresh_heaps();
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		igt_assert_f(h->used_bytes == before.used[h->id] + acct_bytes[h->id],
			     "heap %s: used_bytes %llu, expected %llu + %llu\n",
			     h->name, (unsigned long long)h->used_bytes,
			     (unsigned long long)before.used[h->id],
			     (unsigned long long)acct_bytes[h->id]);
		if (h->total_bytes != IONODE_SIZE_UNKNOWN)
			igt_assert_eq_u64(h->free_bytes,
					  h->total_bytes - h->used_bytes);
	}
	free_known_set(fd);
	assert_back_to(&before);
}

/*
 * sysfs per heap: used_bytes and buffers grow by exactly what was
 * allocated; peak_bytes >= used_bytes and covers the whole live set; type,
 * flags, total and free agree with the query; limit_bytes is 0 without
 * heap_limits. Back to the starting values after freeing, peak kept.
 */
static void test_accounting_sysfs(void)
{
	struct snap before, during;
	uint32_t i;

	igt_require_f(have_sysfs_heaps(), "no " SYSFS_HEAPS "\n");
	take_snap(&before);
	alloc_known_set(fd);
	take_snap(&during);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		int64_t total = sysfs_heap(h->name, "total_bytes");
		int64_t freeb = sysfs_heap(h->name, "free_bytes");

		igt_assert_eq(during.s_used[h->id],
			      before.s_used[h->id] + (int64_t)acct_bytes[h->id]);
		igt_assert_eq(during.s_buffers[h->id],
			      before.s_buffers[h->id] + (int64_t)acct_buffers[h->id]);
		igt_assert_eq(during.s_used[h->id], (int64_t)h->used_bytes);
		igt_assert_lte(during.s_used[h->id], during.s_peak[h->id]);
		igt_assert_lte(before.s_used[h->id] + (int64_t)acct_bytes[h->id],
			       during.s_peak[h->id]);
		igt_assert_lte(before.s_peak[h->id], during.s_peak[h->id]);
		igt_assert_eq(sysfs_heap(h->name, "type"), h->type);
		igt_assert_eq(sysfs_heap(h->name, "flags"), h->flags);
		igt_assert_eq(total, (int64_t)h->total_bytes);
		igt_assert_eq(freeb, (int64_t)h->free_bytes);
		if (h->total_bytes != IONODE_SIZE_UNKNOWN)
			igt_assert_eq(freeb + during.s_used[h->id], total);
		else
			igt_assert_eq(total, -1);
	}
	if (strcmp(saved_param("heap_limits"), "") == 0)
		for (i = 0; i < heaps.count; i++)
			igt_assert_eq(sysfs_heap(heaps.info[i].name,
						 "limit_bytes"), 0);
	free_known_set(fd);
	assert_back_to(&before);
	for (i = 0; i < heaps.count; i++)
		igt_assert_eq(sysfs_heap(heaps.info[i].name, "peak_bytes"),
			      during.s_peak[heaps.info[i].id]);
}

/*
 * fdinfo of the allocating fd: drm-driver ionode, a drm-client-id, one
 * "drm-memory-<heap>:\t<N> KiB" line per heap with exactly the KiB
 * allocated there and "drm-memory-imported:\t0 KiB"; another fd of the
 * same process shows zero everywhere and another client id; after freeing
 * every line is zero.
 */
static void test_accounting_fdinfo(void)
{
	struct fdinfo fi, fi2;
	int fd2 = open_ionode2();
	uint32_t i;

	assert_fdinfo_zero(fd);
	alloc_known_set(fd);
	fdinfo_read(fd, &fi);
	igt_assert_eq(fi.n_mem, heaps.count + 1);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		igt_assert_f(fdinfo_kib(&fi, h->name) == acct_bytes[h->id] >> 10,
			     "drm-memory-%s: %llu KiB, expected %llu KiB\n",
			     h->name, (unsigned long long)fdinfo_kib(&fi, h->name),
			     (unsigned long long)(acct_bytes[h->id] >> 10));
	}
	igt_assert_eq_u64(fdinfo_kib(&fi, "imported"), 0);

	fdinfo_read(fd2, &fi2);
	igt_assert_neq_u64(fi2.client_id, fi.client_id);
	assert_fdinfo_zero(fd2);

	free_known_set(fd);
	assert_fdinfo_zero(fd);
	close_fd(fd2);
}

/*
 * debugfs agrees with sysfs and the query: ionode_heaps lists every heap
 * with its id, name, type, total, used, peak, buffers, limit and
 * restricted state; ionode_clients has one row per heap the client
 * allocated from, with its pid, state "open", the exact bytes and buffer
 * count. After freeing, the client has no row and the heaps are back.
 */
static void test_accounting_debugfs(void)
{
	static const char *const types[] = { "system", "system-contig",
					     "carveout", "cma" };
	struct snap before;
	uint64_t cid = client_id(fd);
	unsigned int n, nc;
	uint32_t i;

	require_debugfs();
	igt_info("debugfs: %s\n", debugfs_dir);
	take_snap(&before);
	alloc_known_set(fd);

	n = debugfs_heaps();
	refresh_heaps();
	igt_assert_eq(n, heaps.count);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		const struct dbg_heap *d = dbg_heap(n, h->name);
		char total[32];

		igt_assert_eq(d->id, h->id);
		igt_assert_lte(h->type, 3);
		igt_assert_f(strcmp(d->type, types[h->type]) == 0,
			     "%s: debugfs type %s\n", h->name, d->type);
		if (h->total_bytes == IONODE_SIZE_UNKNOWN)
			snprintf(total, sizeof(total), "-");
		else
			snprintf(total, sizeof(total), "%llu",
				 (unsigned long long)h->total_bytes);
		igt_assert_f(strcmp(d->total, total) == 0,
			     "%s: debugfs total %s, query %s\n", h->name,
			     d->total, total);
		igt_assert_eq_u64(d->used, h->used_bytes);
		igt_assert_eq_u64(d->used, before.used[h->id] + acct_bytes[h->id]);
		igt_assert_lte_u64(d->used, d->peak);
		igt_assert_f(strcmp(d->restricted, (h->flags &
			     IONODE_HEAP_RESTRICTED) ? "yes" : "no") == 0,
			     "%s: debugfs restricted \"%s\", flags %#x\n",
			     h->name, d->restricted, h->flags);
		if (have_sysfs_heaps()) {
			igt_assert_eq(d->peak, sysfs_heap(h->name, "peak_bytes"));
			igt_assert_eq(d->buffers, sysfs_heap(h->name, "buffers"));
			igt_assert_eq(d->limit, sysfs_heap(h->name, "limit_bytes"));
			igt_assert_eq(d->buffers, before.s_buffers[h->id] +
				      (int64_t)acct_buffers[h->id]);
		}
	}

	nc = debugfs_clients();
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		const struct dbg_client *c = dbg_client(nc, cid, h->name);

		if (!acct_buffers[h->id]) {
			igt_assert_f(!c, "client %llu has a row for %s\n",
				     (unsigned long long)cid, h->name);
			continue;
		}
		igt_assert_f(c, "ionode_clients has no row for client %llu "
			     "heap %s\n", (unsigned long long)cid, h->name);
		igt_assert_eq(c->pid, getpid());
		igt_assert_f(strcmp(c->state, "open") == 0, "state \"%s\"\n",
			     c->state);
		igt_assert_f(strcmp(c->via, "drm") == 0, "via \"%s\"\n", c->via);
		igt_assert_eq_u64(c->bytes, acct_bytes[h->id]);
		igt_assert_eq_u64(c->buffers, acct_buffers[h->id]);
	}
	igt_assert(!dbg_client(nc, cid, "(imported)"));

	free_known_set(fd);
	nc = debugfs_clients();
	igt_assert_eq(dbg_client_rows(nc, cid), 0);
	n = debugfs_heaps();
	for (i = 0; i < heaps.count; i++) {
		const struct dbg_heap *d = dbg_heap(n, heaps.info[i].name);

		igt_assert_eq_u64(d->used, before.used[heaps.info[i].id]);
		if (before.sysfs)
			igt_assert_eq(d->buffers,
				      before.s_buffers[heaps.info[i].id]);
	}
	assert_back_to(&before);
}

/*
 * A buffer is charged to its creator for its whole life: exported and
 * its handle closed, fdinfo, debugfs and the heaps still count it (and
 * bo_info no longer knows the handle); closing the dma-buf brings all of
 * them to zero.
 */
static void test_accounting_exported_closed_handle(void)
{
	struct drm_ionode_create a, b = { 0 };
	struct drm_ionode_heap_info co_copy;
	const struct drm_ionode_heap_info *co = NULL;
	struct drm_ionode_bo_info info;
	struct snap before;
	struct fdinfo fi;
	int da, db = -1;

	if (find_heap("carveout0")) {
		co_copy = heap_now("carveout0");
		co = &co_copy;
	}
	take_snap(&before);
	a = create_ok(MiB + page, 0, hmask("system"), 0);
	da = bo_export(fd, a.handle);
	ionode_bo_close(fd, a.handle);
	info.handle = a.handle;
	info.pad = 0;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &info, ENOENT);
	if (co) {
		b = create_ok(256 * KiB, 0, 1ull << co->id, IONODE_BO_CACHED);
		db = bo_export(fd, b.handle);
		ionode_bo_close(fd, b.handle);
	}

	fdinfo_read(fd, &fi);
	igt_assert_eq_u64(fdinfo_kib(&fi, "system"), (MiB + page) >> 10);
	if (co)
		igt_assert_eq_u64(fdinfo_kib(&fi, "carveout0"), 256);
	igt_assert_eq_u64(heap_now("system").used_bytes,
			  before.used[hid("system")] + MiB + page);
	if (co)
		igt_assert_eq_u64(heap_now("carveout0").used_bytes,
				  before.used[co->id] + 256 * KiB);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("system", "buffers"),
			      before.s_buffers[hid("system")] + 1);
	if (find_debugfs()) {
		unsigned int nc = debugfs_clients();
		const struct dbg_client *c = dbg_client(nc, fi.client_id,
							"system");

		igt_assert(c);
		igt_assert_eq_u64(c->bytes, MiB + page);
		igt_assert_eq_u64(c->buffers, 1);
		igt_assert(strcmp(c->state, "open") == 0);
	}

	close_fd(da);
	fdinfo_read(fd, &fi);
	igt_assert_eq_u64(fdinfo_kib(&fi, "system"), 0);
	if (co) {
		igt_assert_eq_u64(fdinfo_kib(&fi, "carveout0"), 256);
		close_fd(db);
	}
	assert_fdinfo_zero(fd);
	assert_back_to(&before);
	if (find_debugfs())
		igt_assert_eq(dbg_client_rows(debugfs_clients(), fi.client_id), 0);
}

/*
 * The creator's file may go away too: a second fd creates and exports a
 * buffer and is closed; debugfs lists that client as "closed" with the
 * buffer, the heap still counts it, and a third party holding a handle to
 * it (our fd imported the dma-buf) is not charged: its fdinfo stays zero,
 * imported included (an ionode buffer is not foreign). Dropping the last
 * reference removes the client row and the heap usage.
 */
static void test_accounting_closed_client(void)
{
	struct snap before;
	struct drm_ionode_create req;
	uint64_t cid;
	uint32_t mine;
	int fd2, dmabuf;

	take_snap(&before);
	fd2 = open_ionode2();
	cid = client_id(fd2);
	req = create_on(fd2, 2 * MiB, 0, hmask("system"), 0);
	dmabuf = bo_export(fd2, req.handle);
	close_fd(fd2);

	igt_assert_eq_u64(heap_now("system").used_bytes,
			  before.used[hid("system")] + 2 * MiB);
	if (find_debugfs()) {
		unsigned int nc = debugfs_clients();
		const struct dbg_client *c = dbg_client(nc, cid, "system");

		igt_assert_f(c, "closed client %llu not listed\n",
			     (unsigned long long)cid);
		igt_assert_f(strcmp(c->state, "closed") == 0,
			     "client %llu state \"%s\", expected closed\n",
			     (unsigned long long)cid, c->state);
		igt_assert_eq_u64(c->bytes, 2 * MiB);
		igt_assert_eq_u64(c->buffers, 1);
		igt_assert_eq(c->pid, getpid());
	} else {
		igt_info("no debugfs: client state not checked\n");
	}

	mine = ionode_bo_import(fd, dmabuf);
	igt_assert_eq(ionode_bo_info_get(fd, mine).heap_id, hid("system"));
	assert_fdinfo_zero(fd);
	close_fd(dmabuf);
	igt_assert_eq_u64(heap_now("system").used_bytes,
			  before.used[hid("system")] + 2 * MiB);
	ionode_bo_close(fd, mine);
	assert_back_to(&before);
	if (find_debugfs())
		igt_assert_eq(dbg_client_rows(debugfs_clients(), cid), 0);
}

/*
 * Foreign buffers count under drm-memory-imported, not under a heap: a
 * 64 KiB vgem dumb buffer imported into ionode shows 64 KiB imported in
 * fdinfo and an "(imported)" row in debugfs, the heaps do not move;
 * importing it again gives the same handle and counts once; another fd
 * importing it counts it for itself; closing the handles brings imported
 * back to zero.
 */
static void test_accounting_imported_vgem(void)
{
	struct drm_mode_create_dumb c = { .width = 1024, .height = 16, .bpp = 32 };
	struct drm_gem_close gc = { 0 };
	struct snap before;
	struct fdinfo fi;
	uint32_t h, h2, hb;
	int vgem, dmabuf, fd2;

	vgem = igt_open_vgem();
	igt_require_f(vgem >= 0, "vgem is not available\n");
	track_fd(vgem);
	take_snap(&before);

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	igt_assert_eq_u64(c.size, 64 * KiB);
	igt_assert_eq(drmPrimeHandleToFD(vgem, c.handle, DRM_CLOEXEC | DRM_RDWR,
					 &dmabuf), 0);
	track_fd(dmabuf);

	h = ionode_bo_import(fd, dmabuf);
	igt_assert(ionode_bo_info_get(fd, h).attrs & IONODE_ATTR_IMPORTED);
	igt_assert_eq_u32(ionode_bo_info_get(fd, h).heap_id, IONODE_HEAP_ID_NONE);
	igt_assert_eq(ionode_bo_import(fd, dmabuf), h);
	hb = create_ok(8 * page, 0, hmask("system"), 0).handle;

	fdinfo_read(fd, &fi);
	igt_assert_eq_u64(fdinfo_kib(&fi, "imported"), 64);
	igt_assert_eq_u64(fdinfo_kib(&fi, "system"), 32);
	igt_assert_eq_u64(heap_now("system").used_bytes,
			  before.used[hid("system")] + 8 * page);
	if (find_debugfs()) {
		unsigned int nc = debugfs_clients();
		const struct dbg_client *r = dbg_client(nc, fi.client_id,
							"(imported)");

		igt_assert_f(r, "no (imported) row for client %llu\n",
			     (unsigned long long)fi.client_id);
		igt_assert_eq_u64(r->bytes, 64 * KiB);
		igt_assert_eq_u64(r->buffers, 1);
	}
	ionode_bo_close(fd, hb);

	fd2 = open_ionode2();
	h2 = ionode_bo_import(fd2, dmabuf);
	fdinfo_read(fd2, &fi);
	igt_assert_eq_u64(fdinfo_kib(&fi, "imported"), 64);
	ionode_bo_close(fd2, h2);
	assert_fdinfo_zero(fd2);
	close_fd(fd2);

	/* The heaps never saw it. */
	assert_back_to(&before);

	close_fd(dmabuf);
	gc.handle = c.handle;
	do_ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	fdinfo_read(fd, &fi);
	igt_assert_eq_u64(fdinfo_kib(&fi, "imported"), 64);
	ionode_bo_close(fd, h);
	assert_fdinfo_zero(fd);
	if (find_debugfs())
		igt_assert_eq(dbg_client_rows(debugfs_clients(),
					      client_id(fd)), 0);
	close_fd(vgem);
}

/* ---- named buffers ------------------------------------------------------- */

/**
 * struct dbg_buffer - one line of debugfs' ionode_buffers
 * @client: client id charged.
 * @pid: creating task.
 * @task: its command.
 * @heap: heap name, "-" without memory.
 * @bytes: size.
 * @devices: attached devices, comma-separated, "-" for none.
 * @name: the dma-buf's name, "" for none.
 */
struct dbg_buffer {
	unsigned long long client, bytes;
	int pid;
	char task[32], heap[32], devices[256], name[64];
};

/* The lines of ionode_buffers with @pid and @bytes; returns how many. */
static int dbg_buffers(int pid, uint64_t bytes, struct dbg_buffer *out,
		       int max)
{
	char path[sizeof(debugfs_dir) + 32], line[1024];
	int n = 0, skip = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ionode_buffers", debugfs_dir);
	f = fopen(path, "re");
	igt_assert_f(f, "no %s\n", path);
	while (fgets(line, sizeof(line), f)) {
		struct dbg_buffer b = { 0 };
		int end = 0;

		if (skip-- > 0)
			continue;	/* the header */
		line[strcspn(line, "\n")] = '\0';
		igt_assert_f(sscanf(line, "%llu %d %31s %31s %llu %255s %n",
				    &b.client, &b.pid, b.task, b.heap, &b.bytes,
				    b.devices, &end) == 6,
			     "bad ionode_buffers line: %s\n", line);
		snprintf(b.name, sizeof(b.name), "%s", line + end);
		if (b.pid == pid && b.bytes == bytes && n < max)
			out[n++] = b;
	}
	fclose(f);
	return n;
}

static void test_buffer_names(void)
{
	const uint64_t size = 192 * KiB;
	char name[DMA_BUF_NAME_LEN] = "camera frame 7";
	struct drm_ionode_create req;
	struct dbg_buffer b[2];
	int vgem, dmabuf, n;
	uint32_t vh;

	igt_require_f(find_debugfs(), "no debugfs\n");
	req = create_on(fd, size, 0, hmask("system"), 0);
	n = dbg_buffers(getpid(), size, b, 2);
	igt_assert_eq(n, 1);
	igt_assert_eq_u64(b[0].client, client_id(fd));
	igt_assert(!strcmp(b[0].task, "ionode_heaps_ac"));
	igt_assert(!strcmp(b[0].heap, "system"));
	igt_assert(!strcmp(b[0].devices, "-"));
	igt_assert(!strcmp(b[0].name, ""));

	/* Named, and attached to vgem. */
	dmabuf = bo_export(fd, req.handle);
	do_ioctl(dmabuf, DMA_BUF_SET_NAME_B, name);
	vgem = igt_open_vgem();
	igt_require_f(vgem >= 0, "no vgem\n");
	igt_assert_eq(drmPrimeFDToHandle(vgem, dmabuf, &vh), 0);
	n = dbg_buffers(getpid(), size, b, 2);
	igt_assert_eq(n, 1);
	igt_assert_f(!strcmp(b[0].name, "camera frame 7"), "name \"%s\"\n",
		     b[0].name);
	igt_assert_f(strstr(b[0].devices, "vgem"), "devices %s\n",
		     b[0].devices);

	/* vgem lets go: no device; the dma-buf goes: no name; then none. */
	drmCloseBufferHandle(vgem, vh);
	close_fd(vgem);
	n = dbg_buffers(getpid(), size, b, 2);
	igt_assert_eq(n, 1);
	igt_assert(!strcmp(b[0].devices, "-"));
	close_fd(dmabuf);
	ionode_bo_close(fd, req.handle);
	igt_assert_eq(dbg_buffers(getpid(), size, b, 2), 0);

	/* A deferred buffer shows without a heap until its first use. */
	req.handle = ionode_bo_create(fd, size, hmask("system"),
				      IONODE_BO_DEFERRED);
	igt_assert_eq(dbg_buffers(getpid(), size, b, 2), 1);
	igt_assert(!strcmp(b[0].heap, "-"));
	ionode_bo_close(fd, req.handle);
}

igt_main
{
	igt_fixture
		heap_test_init();

	subtest("accounting-query")
		test_accounting_query();
	subtest("accounting-sysfs")
		test_accounting_sysfs();
	subtest("accounting-fdinfo")
		test_accounting_fdinfo();
	subtest("accounting-debugfs")
		test_accounting_debugfs();
	subtest("accounting-exported-closed-handle")
		test_accounting_exported_closed_handle();
	subtest("accounting-closed-client")
		test_accounting_closed_client();
	subtest("accounting-imported-vgem")
		test_accounting_imported_vgem();
	subtest("buffer-names")
		test_buffer_names();

	igt_fixture
		heap_test_fini();
}
