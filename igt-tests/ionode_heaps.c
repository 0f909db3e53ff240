// SPDX-License-Identifier: MIT
/*
 * ionode_heaps - the heap family: per-heap round trips, contiguity,
 * carveout bounds, fallback order, alignment, accounting (query ioctl,
 * sysfs, fdinfo, debugfs), administrator limits and restricted heaps, and
 * a long randomised run that must leave nothing behind.
 *
 * Heaps are looked up by name; subtests about a heap the running kernel
 * does not have skip ("cma" needs a kernel with a CMA area, "carveout0"
 * needs ionode loaded with carveout=, "carveout1" a second range). The
 * policy subtests need root (they write /sys/module/ionode/parameters/);
 * every parameter is saved when the test starts and restored before each
 * subtest and at the end, so a failed subtest cannot leave a limit behind.
 *
 * Physical addresses are never reported (by design), so carveout bounds
 * and alignment are checked through what is observable: byte counts, the
 * carveout= parameter, /proc/iomem, and which requests a first-fit
 * allocator over exactly the reserved range can and cannot satisfy.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "ionode_test.h"

#define KiB		1024ull
#define MiB		(1024ull * 1024)
#define RW		(PROT_READ | PROT_WRITE)

#define PARAM_DIR	IONODE_PARAM_DIR
#define SYSFS_HEAPS	"/sys/devices/platform/ionode/heaps"
#define DEBUGFS_DRI	IONODE_DEBUGFS_DRI

/* Heap names a subtest is generated for, present or not. */
static const char *const known_heaps[] = {
	"system", "system-contig", "cma", "carveout0", "carveout1",
};
#define N_KNOWN_HEAPS	(sizeof(known_heaps) / sizeof(known_heaps[0]))

/* Parameters the policy subtests change, restored before every subtest. */
static const char *const policy_params[] = {
	"client_limit", "heap_limits", "restricted_heaps", "restricted_gid",
};
#define N_POLICY_PARAMS	(sizeof(policy_params) / sizeof(policy_params[0]))

static int fd = -1;
static struct ionode_heaps heaps;
static size_t page;
static char saved_params[N_POLICY_PARAMS][1024];
static bool params_saved;

/* ---- resources that must not outlive a failed subtest ------------------ */

#define MAX_TRACKED	512

static int tracked_fds[MAX_TRACKED];
static unsigned int n_tracked_fds;
static struct {
	void *ptr;
	size_t len;
} tracked_maps[MAX_TRACKED];
static unsigned int n_tracked_maps;

/* Remembers an fd (dma-buf, second DRM fd) so the next subtest closes it. */
static int track_fd(int f)
{
	igt_assert_lte(0, f);
	igt_assert_lt(n_tracked_fds, MAX_TRACKED);
	tracked_fds[n_tracked_fds++] = f;
	return f;
}

static void close_fd(int f)
{
	unsigned int i;

	for (i = 0; i < n_tracked_fds; i++) {
		if (tracked_fds[i] == f) {
			tracked_fds[i] = tracked_fds[--n_tracked_fds];
			break;
		}
	}
	igt_assert_eq(close(f), 0);
}

static void *track_map(void *ptr, size_t len)
{
	igt_assert_lt(n_tracked_maps, MAX_TRACKED);
	tracked_maps[n_tracked_maps].ptr = ptr;
	tracked_maps[n_tracked_maps++].len = len;
	return ptr;
}

static void unmap(void *ptr, size_t len)
{
	unsigned int i;

	for (i = 0; i < n_tracked_maps; i++) {
		if (tracked_maps[i].ptr == ptr) {
			tracked_maps[i] = tracked_maps[--n_tracked_maps];
			break;
		}
	}
	igt_assert_eq(munmap(ptr, len), 0);
}

static void release_tracked(void)
{
	while (n_tracked_maps) {
		n_tracked_maps--;
		munmap(tracked_maps[n_tracked_maps].ptr,
		       tracked_maps[n_tracked_maps].len);
	}
	while (n_tracked_fds)
		close(tracked_fds[--n_tracked_fds]);
}

static int open_ionode2(void)
{
	return track_fd(igt_ionode_open());
}

static void *bo_map(int f, uint32_t handle, size_t size)
{
	return track_map(ionode_bo_mmap(f, handle, size, RW), size);
}

static void *dmabuf_map(int dmabuf, size_t size, off_t offset)
{
	return track_map(dmabuf_mmap(dmabuf, size, offset, RW), size);
}

static int bo_export(int f, uint32_t handle)
{
	return track_fd(ionode_bo_export(f, handle));
}

/* ---- module parameters -------------------------------------------------- */

#define param_read ionode_param_read
#define param_write ionode_param_write

#define param_set ionode_param_set

static void save_params(void)
{
	unsigned int i;

	for (i = 0; i < N_POLICY_PARAMS; i++) {
		int ret = param_read(policy_params[i], saved_params[i],
				     sizeof(saved_params[i]));

		if (ret) {
			igt_debug("cannot read parameter %s: %s\n",
				  policy_params[i], igt_errno_name(-ret));
			return;
		}
		igt_debug("saved %s=\"%s\"\n", policy_params[i],
			  saved_params[i]);
	}
	params_saved = true;
}

/* Puts back every parameter a subtest changed; asserts it worked. */
static void restore_params(void)
{
	unsigned int i;

	if (!params_saved)
		return;
	for (i = 0; i < N_POLICY_PARAMS; i++) {
		char now[1024];

		if (param_read(policy_params[i], now, sizeof(now)) == 0 &&
		    strcmp(now, saved_params[i]) == 0)
			continue;
		param_set(policy_params[i], saved_params[i]);
		igt_assert_eq(param_read(policy_params[i], now, sizeof(now)), 0);
		igt_assert_f(strcmp(now, saved_params[i]) == 0,
			     "%s reads \"%s\" after restoring \"%s\"\n",
			     policy_params[i], now, saved_params[i]);
	}
}

static void require_policy_control(void)
{
	igt_require_f(params_saved && access(PARAM_DIR "/client_limit", W_OK) == 0,
		      "needs root to write " PARAM_DIR "\n");
}

/* ---- heaps -------------------------------------------------------------- */

static void refresh_heaps(void)
{
	ionode_put_heaps(&heaps);
	ionode_get_heaps(fd, &heaps);
}

/* The heap named @name in a fresh query, or NULL. */
static const struct drm_ionode_heap_info *find_heap(const char *name)
{
	refresh_heaps();
	return ionode_heap(&heaps, name);
}

/* The heap named @name; skips the subtest when the kernel has none. */
static struct drm_ionode_heap_info require_heap(const char *name)
{
	const struct drm_ionode_heap_info *h = find_heap(name);

	igt_require_f(h, "no heap \"%s\" on this kernel/configuration\n", name);
	return *h;
}

/* A fresh copy of heap @name's entry (asserts it exists). */
static struct drm_ionode_heap_info heap_now(const char *name)
{
	const struct drm_ionode_heap_info *h = find_heap(name);

	igt_assert_f(h, "heap \"%s\" disappeared\n", name);
	return *h;
}

static uint64_t hmask(const char *name)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	igt_assert_f(h, "no heap \"%s\"\n", name);
	return 1ull << h->id;
}

static uint32_t hid(const char *name)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	igt_assert_f(h, "no heap \"%s\"\n", name);
	return h->id;
}

static const char *heap_name(uint32_t id)
{
	const struct drm_ionode_heap_info *h = ionode_heap_by_id(&heaps, id);

	return h ? h->name : "?";
}

/* A carveout heap that is present and holds no buffer: skips otherwise. */
static struct drm_ionode_heap_info require_empty_carveout(const char *name)
{
	struct drm_ionode_heap_info h = require_heap(name);

	igt_assert_neq_u64(h.total_bytes, IONODE_SIZE_UNKNOWN);
	igt_require_f(h.used_bytes == 0, "%s is in use by someone else "
		      "(%llu bytes)\n", name, (unsigned long long)h.used_bytes);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
	return h;
}

/* ---- creation ----------------------------------------------------------- */

static struct drm_ionode_create make_req(uint64_t size, uint64_t align,
					 uint64_t mask, uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size,
		.align = align,
		.heap_mask = mask,
		.flags = flags,
	};

	return req;
}

/* Creates on @f and asserts success, the rounded size and a heap of @mask. */
static struct drm_ionode_create create_on(int f, uint64_t size, uint64_t align,
					  uint64_t mask, uint32_t flags)
{
	struct drm_ionode_create req = make_req(size, align, mask, flags);

	ionode_bo_create_ex(f, &req);
	igt_assert_eq_u64(req.size, ionode_round_page(size));
	igt_assert_f(mask & (1ull << req.heap_id), "mask %#llx served by heap "
		     "%u, not in the mask\n", (unsigned long long)mask,
		     req.heap_id);
	return req;
}

static struct drm_ionode_create create_ok(uint64_t size, uint64_t align,
					  uint64_t mask, uint32_t flags)
{
	return create_on(fd, size, align, mask, flags);
}

/* Creates and asserts that heap @heap served the request. */
static uint32_t create_in(const char *heap, uint64_t size, uint64_t align,
			  uint64_t mask, uint32_t flags)
{
	struct drm_ionode_create req = create_ok(size, align, mask, flags);

	igt_assert_f(req.heap_id == hid(heap), "size %llu align %llu mask "
		     "%#llx flags %#x: served by %s (id %u), expected %s\n",
		     (unsigned long long)size, (unsigned long long)align,
		     (unsigned long long)mask, flags, heap_name(req.heap_id),
		     req.heap_id, heap);
	return req.handle;
}

static void create_err_on(int f, uint64_t size, uint64_t align, uint64_t mask,
			  uint32_t flags, int err)
{
	struct drm_ionode_create req = make_req(size, align, mask, flags);

	do_ioctl_err(f, DRM_IOCTL_IONODE_CREATE, &req, err);
}

static void create_err(uint64_t size, uint64_t align, uint64_t mask,
		       uint32_t flags, int err)
{
	create_err_on(fd, size, align, mask, flags, err);
}

/* ---- sysfs, fdinfo, debugfs -------------------------------------------- */

static bool have_sysfs_heaps(void)
{
	return access(SYSFS_HEAPS "/system/used_bytes", R_OK) == 0;
}

/* A value of /sys/devices/platform/ionode/heaps/<heap>/<attr> (asserts). */
static int64_t sysfs_heap(const char *heap, const char *attr)
{
	char path[256], buf[64], *end;
	long long v;
	int ret;

	snprintf(path, sizeof(path), SYSFS_HEAPS "/%s/%s", heap, attr);
	ret = read_text(path, buf, sizeof(buf));
	igt_assert_f(ret == 0, "cannot read %s: %s\n", path,
		     igt_errno_name(-ret));
	errno = 0;
	v = strtoll(buf, &end, 0);
	igt_assert_f(end != buf && (*end == '\n' || !*end) && !errno,
		     "%s holds \"%s\"\n", path, buf);
	return v;
}

struct fdinfo {
	char driver[32];
	uint64_t client_id;
	unsigned int n_mem;
	struct {
		char key[48];
		uint64_t kib;
	} mem[IONODE_MAX_HEAPS + 1];
};

/* Parses /proc/self/fdinfo/<f>; asserts every drm-memory- line's format. */
static void fdinfo_read(int f, struct fdinfo *fi)
{
	char path[64], buf[8192], *line, *save = NULL;
	int ret;

	memset(fi, 0, sizeof(*fi));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	ret = read_text(path, buf, sizeof(buf));
	igt_assert_f(ret == 0, "cannot read %s: %s\n", path,
		     igt_errno_name(-ret));

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sep, *end;
		unsigned long long v;

		if (sscanf(line, "drm-driver:\t%31s", fi->driver) == 1)
			continue;
		if (sscanf(line, "drm-client-id:\t%llu", &v) == 1) {
			fi->client_id = v;
			continue;
		}
		if (strncmp(line, "drm-memory-", 11) != 0)
			continue;
		sep = strstr(line, ":\t");
		igt_assert_f(sep, "fdinfo line \"%s\" lacks \":\\t\"\n", line);
		igt_assert_lt(fi->n_mem, IONODE_MAX_HEAPS + 1);
		igt_assert_lt(sep - (line + 11), (long)sizeof(fi->mem[0].key));
		memcpy(fi->mem[fi->n_mem].key, line + 11, sep - (line + 11));
		fi->mem[fi->n_mem].key[sep - (line + 11)] = '\0';
		v = strtoull(sep + 2, &end, 10);
		igt_assert_f(end != sep + 2 && strcmp(end, " KiB") == 0,
			     "fdinfo line \"%s\" is not \"<key>:\\t<N> KiB\"\n",
			     line);
		fi->mem[fi->n_mem++].kib = v;
	}
	igt_assert_f(strcmp(fi->driver, "ionode") == 0,
		     "fdinfo drm-driver is \"%s\"\n", fi->driver);
	igt_assert_neq_u64(fi->client_id, 0);
}

/* KiB of drm-memory-@key in @fi; asserts the line exists. */
static uint64_t fdinfo_kib(const struct fdinfo *fi, const char *key)
{
	unsigned int i;

	for (i = 0; i < fi->n_mem; i++)
		if (strcmp(fi->mem[i].key, key) == 0)
			return fi->mem[i].kib;
	igt_assert_f(false, "fdinfo has no drm-memory-%s line\n", key);
	return 0;
}

/* fdinfo of @f lists every heap and "imported", all of them 0 KiB. */
static void assert_fdinfo_zero(int f)
{
	struct fdinfo fi;
	uint32_t i;

	fdinfo_read(f, &fi);
	igt_assert_eq(fi.n_mem, heaps.count + 1);
	for (i = 0; i < heaps.count; i++)
		igt_assert_f(fdinfo_kib(&fi, heaps.info[i].name) == 0,
			     "drm-memory-%s is %llu KiB, expected 0\n",
			     heaps.info[i].name,
			     (unsigned long long)fdinfo_kib(&fi, heaps.info[i].name));
	igt_assert_eq_u64(fdinfo_kib(&fi, "imported"), 0);
}

static char debugfs_dir[512];

/* Finds /sys/kernel/debug/dri/<minor>/ of ionode, mounting debugfs if needed. */
static bool find_debugfs(void)
{
	return debugfs_dir[0] ||
	       ionode_find_debugfs(debugfs_dir, sizeof(debugfs_dir));
}

static void require_debugfs(void)
{
	igt_require_f(find_debugfs(), "no ionode_heaps under " DEBUGFS_DRI
		      " (debugfs not mounted or not root)\n");
}

struct dbg_heap {
	unsigned int id;
	char name[IONODE_HEAP_NAME_LEN];
	char type[16];
	char total[24];
	uint64_t used, peak, buffers, limit;
	char restricted[8];
};

static struct dbg_heap dbg_heaps[IONODE_MAX_HEAPS];

/* Parses ionode_heaps into dbg_heaps[]; returns the number of rows. */
static unsigned int debugfs_heaps(void)
{
	char path[600], buf[16384], *line, *save = NULL;
	unsigned int n = 0;
	bool header = true;
	int ret;

	snprintf(path, sizeof(path), "%s/ionode_heaps", debugfs_dir);
	ret = read_text(path, buf, sizeof(buf));
	igt_assert_f(ret == 0, "cannot read %s: %s\n", path,
		     igt_errno_name(-ret));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct dbg_heap *h = &dbg_heaps[n];
		unsigned long long used, peak, buffers, limit;

		if (header) {
			igt_assert_f(strncmp(line, "id ", 3) == 0,
				     "unexpected ionode_heaps header \"%s\"\n",
				     line);
			header = false;
			continue;
		}
		igt_assert_lt(n, IONODE_MAX_HEAPS);
		igt_assert_f(sscanf(line, "%u %31s %15s %23s %llu %llu %llu %llu %7s",
				    &h->id, h->name, h->type, h->total, &used,
				    &peak, &buffers, &limit, h->restricted) == 9,
			     "cannot parse ionode_heaps row \"%s\"\n", line);
		h->used = used;
		h->peak = peak;
		h->buffers = buffers;
		h->limit = limit;
		n++;
	}
	return n;
}

static const struct dbg_heap *dbg_heap(unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(dbg_heaps[i].name, name) == 0)
			return &dbg_heaps[i];
	igt_assert_f(false, "ionode_heaps has no row for %s\n", name);
	return NULL;
}

struct dbg_client {
	uint64_t client;
	int pid;
	char comm[32];
	char state[16];
	char heap[IONODE_HEAP_NAME_LEN + 4];
	uint64_t bytes, buffers;
	char via[16];
};

#define MAX_DBG_CLIENTS	1024
static struct dbg_client dbg_clients[MAX_DBG_CLIENTS];

/*
 * Parses ionode_clients into dbg_clients[]; returns the number of rows.
 * The command name may contain spaces, so a row is split from both ends:
 * client pid COMM... state heap bytes buffers via.
 */
static unsigned int debugfs_clients(void)
{
	static char buf[256 * 1024];
	char path[600], *line, *save = NULL;
	unsigned int n = 0;
	bool header = true;
	int ret;

	snprintf(path, sizeof(path), "%s/ionode_clients", debugfs_dir);
	ret = read_text(path, buf, sizeof(buf));
	igt_assert_f(ret == 0, "cannot read %s: %s\n", path,
		     igt_errno_name(-ret));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct dbg_client *c = &dbg_clients[n];
		char *tok[64], *s2 = NULL, *t, copy[512];
		unsigned int nt = 0, i;

		if (header) {
			igt_assert_f(strncmp(line, "client ", 7) == 0,
				     "unexpected ionode_clients header \"%s\"\n",
				     line);
			header = false;
			continue;
		}
		igt_assert_lt(n, MAX_DBG_CLIENTS);
		snprintf(copy, sizeof(copy), "%s", line);
		for (t = strtok_r(copy, " ", &s2); t && nt < 64;
		     t = strtok_r(NULL, " ", &s2))
			tok[nt++] = t;
		igt_assert_f(nt >= 8, "cannot parse ionode_clients row \"%s\"\n",
			     line);
		c->client = strtoull(tok[0], NULL, 10);
		c->pid = atoi(tok[1]);
		c->comm[0] = '\0';
		for (i = 2; i < nt - 5; i++) {
			if (i > 2)
				strncat(c->comm, " ", sizeof(c->comm) - strlen(c->comm) - 1);
			strncat(c->comm, tok[i], sizeof(c->comm) - strlen(c->comm) - 1);
		}
		snprintf(c->state, sizeof(c->state), "%s", tok[nt - 5]);
		snprintf(c->heap, sizeof(c->heap), "%s", tok[nt - 4]);
		c->bytes = strtoull(tok[nt - 3], NULL, 10);
		c->buffers = strtoull(tok[nt - 2], NULL, 10);
		snprintf(c->via, sizeof(c->via), "%s", tok[nt - 1]);
		n++;
	}
	return n;
}

/* The ionode_clients row of @client for @heap ("(imported)"), or NULL. */
static const struct dbg_client *dbg_client(unsigned int n, uint64_t client,
					   const char *heap)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (dbg_clients[i].client == client &&
		    strcmp(dbg_clients[i].heap, heap) == 0)
			return &dbg_clients[i];
	return NULL;
}

static unsigned int dbg_client_rows(unsigned int n, uint64_t client)
{
	unsigned int i, rows = 0;

	for (i = 0; i < n; i++)
		rows += dbg_clients[i].client == client;
	return rows;
}

static uint64_t client_id(int f)
{
	struct fdinfo fi;

	fdinfo_read(f, &fi);
	return fi.client_id;
}

/* ---- per-heap snapshots ------------------------------------------------- */

struct snap {
	uint64_t used[IONODE_MAX_HEAPS];	/* query ioctl */
	int64_t s_used[IONODE_MAX_HEAPS];	/* sysfs */
	int64_t s_buffers[IONODE_MAX_HEAPS];
	int64_t s_peak[IONODE_MAX_HEAPS];
	bool sysfs;
};

static void take_snap(struct snap *s)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	refresh_heaps();
	s->sysfs = have_sysfs_heaps();
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		s->used[h->id] = h->used_bytes;
		if (!s->sysfs)
			continue;
		s->s_used[h->id] = sysfs_heap(h->name, "used_bytes");
		s->s_buffers[h->id] = sysfs_heap(h->name, "buffers");
		s->s_peak[h->id] = sysfs_heap(h->name, "peak_bytes");
	}
}

/* Every heap's used bytes and buffer count equal @base's. */
static void assert_back_to(const struct snap *base)
{
	struct snap now;
	uint32_t i;

	take_snap(&now);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		igt_assert_f(now.used[h->id] == base->used[h->id],
			     "heap %s: used_bytes %llu, expected %llu\n",
			     h->name, (unsigned long long)now.used[h->id],
			     (unsigned long long)base->used[h->id]);
		if (!base->sysfs)
			continue;
		igt_assert_f(now.s_used[h->id] == base->s_used[h->id],
			     "heap %s: sysfs used_bytes %lld, expected %lld\n",
			     h->name, (long long)now.s_used[h->id],
			     (long long)base->s_used[h->id]);
		igt_assert_f(now.s_buffers[h->id] == base->s_buffers[h->id],
			     "heap %s: sysfs buffers %lld, expected %lld\n",
			     h->name, (long long)now.s_buffers[h->id],
			     (long long)base->s_buffers[h->id]);
		if (h->total_bytes != IONODE_SIZE_UNKNOWN)
			igt_assert_eq_u64(h->free_bytes + h->used_bytes,
					  h->total_bytes);
	}
}

/* ---- fresh state -------------------------------------------------------- */

/*
 * Every subtest starts from a clean state: the policy parameters as they
 * were when the test started, dma-bufs, second DRM fds and mappings a
 * failed subtest left behind closed, and a fresh DRM fd (closing the old
 * one releases its handles).
 */
static void fresh(void)
{
	release_tracked();
	restore_params();
	if (fd >= 0)
		close(fd);
	fd = igt_ionode_open();
	refresh_heaps();
}

#define subtest(name) \
	igt_subtest(name) for (int __once = (fresh(), 1); __once; __once = 0)
#define subtest_f(...) \
	igt_subtest_f(__VA_ARGS__) \
		for (int __once = (fresh(), 1); __once; __once = 0)

/* ---- per-heap round trip ------------------------------------------------ */

/*
 * Heap @name allocates, maps through the DRM fd, exports and keeps its
 * bytes, write-combined and cached: a fresh buffer reads zero; a pattern
 * written through the DRM mapping reads back through the dma-buf mapping
 * (whole and from an offset) and through a second ionode fd that imported
 * the dma-buf; a pattern written through the dma-buf reads back through the
 * DRM mapping; the bytes survive closing the handle while the dma-buf
 * lives; a buffer allocated after freeing a patterned one reads zero
 * (carveouts reuse the same range first-fit, so this checks zeroing);
 * the heap's used bytes return to where they were.
 */
static void test_heap_roundtrip(const char *name)
{
	const uint32_t flag_sets[] = { 0, IONODE_BO_CACHED };
	struct drm_ionode_heap_info h = require_heap(name);
	uint64_t size = MiB + 5 * page, used_before = h.used_bytes;
	unsigned int i;

	if (size > h.max_alloc)
		size = h.max_alloc & ~(uint64_t)(page - 1);
	if (h.free_bytes != IONODE_SIZE_UNKNOWN && size > h.free_bytes)
		size = h.free_bytes & ~(uint64_t)(page - 1);
	igt_require_f(size >= 8 * page, "heap %s has only %llu bytes free\n",
		      name, (unsigned long long)size);
	igt_info("heap %s: id %u, %llu-byte buffers\n", name, h.id,
		 (unsigned long long)size);

	for (i = 0; i < 2; i++) {
		uint32_t flags = flag_sets[i], seed = 0x1000 + i, h2;
		const size_t off = 3 * page;
		struct drm_ionode_create req;
		struct drm_ionode_bo_info info;
		uint8_t *cpu, *dbuf, *part, *cpu2;
		int dmabuf, fd2;

		req = create_ok(size, 0, 1ull << h.id, flags);
		igt_assert_eq(req.heap_id, h.id);
		info = ionode_bo_info_get(fd, req.handle);
		igt_assert_eq_u64(info.size, size);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.flags, flags);
		igt_assert_eq(heap_now(name).used_bytes, used_before + size);

		cpu = bo_map(fd, req.handle, size);
		check_zero(cpu, size);
		fill_pattern(cpu, size, seed, 0);

		dmabuf = bo_export(fd, req.handle);
		dbuf = dmabuf_map(dmabuf, size, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		check_pattern(dbuf, size, seed, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

		part = dmabuf_map(dmabuf, size - off, off);
		check_pattern(part, size - off, seed, off);
		unmap(part, size - off);

		/* Another client importing the dma-buf sees the same bytes. */
		fd2 = open_ionode2();
		h2 = ionode_bo_import(fd2, dmabuf);
		info = ionode_bo_info_get(fd2, h2);
		igt_assert_eq_u64(info.size, size);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.attrs & IONODE_ATTR_IMPORTED, 0);
		cpu2 = bo_map(fd2, h2, size);
		check_pattern(cpu2, size, seed, 0);
		unmap(cpu2, size);
		ionode_bo_close(fd2, h2);
		close_fd(fd2);

		/* The other way round: dma-buf writes, DRM mapping reads. */
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill_pattern(dbuf, size, seed + 100, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		check_pattern(cpu, size, seed + 100, 0);

		/* The dma-buf alone keeps the buffer and its bytes. */
		unmap(cpu, size);
		unmap(dbuf, size);
		ionode_bo_close(fd, req.handle);
		igt_assert_eq(heap_now(name).used_bytes, used_before + size);
		dbuf = dmabuf_map(dmabuf, size, 0);
		check_pattern(dbuf, size, seed + 100, 0);
		unmap(dbuf, size);
		close_fd(dmabuf);
		igt_assert_eq(heap_now(name).used_bytes, used_before);

		/* Freed bytes do not leak into the next buffer. */
		req = create_ok(size, 0, 1ull << h.id, flags);
		cpu = bo_map(fd, req.handle, size);
		check_zero(cpu, size);
		unmap(cpu, size);
		ionode_bo_close(fd, req.handle);
		igt_assert_eq(heap_now(name).used_bytes, used_before);
	}
}

/* ---- contiguity --------------------------------------------------------- */

/*
 * Buffers of contiguous heaps (system-contig, cma, carveouts) report
 * IONODE_ATTR_CONTIGUOUS, with or without IONODE_BO_CONTIGUOUS, also after
 * export and in another client that imported them (the attribute an
 * importer relies on for a single-segment mapping); the query and sysfs
 * flag those heaps IONODE_HEAP_CONTIGUOUS. A multi-page system buffer does
 * not report the attribute and the system heap has no such flag.
 */
static void test_contiguous_attrs(void)
{
	const char *contig[] = { "system-contig", "cma", "carveout0", "carveout1" };
	const struct drm_ionode_heap_info sys = heap_now("system");
	struct drm_ionode_bo_info info;
	unsigned int i, checked = 0;
	uint32_t handle;
	int fd2 = open_ionode2();

	igt_assert_eq(sys.flags & IONODE_HEAP_CONTIGUOUS, 0);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("system", "flags") &
			      IONODE_HEAP_CONTIGUOUS, 0);

	handle = create_in("system", 2 * MiB + 3 * page, 0, hmask("system"), 0);
	info = ionode_bo_info_get(fd, handle);
	igt_assert_f(!(info.attrs & IONODE_ATTR_CONTIGUOUS),
		     "multi-page system buffer reports contiguous (attrs %#x)\n",
		     info.attrs);
	ionode_bo_close(fd, handle);

	for (i = 0; i < sizeof(contig) / sizeof(contig[0]); i++) {
		const struct drm_ionode_heap_info *h = find_heap(contig[i]);
		const uint32_t flag_sets[] = { 0, IONODE_BO_CONTIGUOUS,
			IONODE_BO_CONTIGUOUS | IONODE_BO_CACHED };
		unsigned int f;

		if (!h) {
			igt_info("no %s heap\n", contig[i]);
			continue;
		}
		igt_assert_f(h->flags & IONODE_HEAP_CONTIGUOUS,
			     "heap %s flags %#x lack IONODE_HEAP_CONTIGUOUS\n",
			     h->name, h->flags);
		if (have_sysfs_heaps())
			igt_assert_eq(sysfs_heap(h->name, "flags"), h->flags);
		for (f = 0; f < 3; f++) {
			struct drm_ionode_create req;
			uint32_t h2;
			int dmabuf;

			req = create_ok(16 * page + 1, 0, 1ull << h->id,
					flag_sets[f]);
			igt_assert_eq(req.heap_id, h->id);
			info = ionode_bo_info_get(fd, req.handle);
			igt_assert_eq(info.flags, flag_sets[f]);
			igt_assert_f(info.attrs == IONODE_ATTR_CONTIGUOUS,
				     "%s buffer attrs %#x, expected contiguous "
				     "only\n", h->name, info.attrs);

			dmabuf = bo_export(fd, req.handle);
			info = ionode_bo_info_get(fd, req.handle);
			igt_assert_eq(info.attrs, IONODE_ATTR_CONTIGUOUS |
				      IONODE_ATTR_EXPORTED);
			h2 = ionode_bo_import(fd2, dmabuf);
			info = ionode_bo_info_get(fd2, h2);
			igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
			igt_assert_eq(info.heap_id, h->id);
			ionode_bo_close(fd2, h2);
			close_fd(dmabuf);
			ionode_bo_close(fd, req.handle);
		}
		checked++;
	}
	igt_assert_lt(0, checked);

	/* IONODE_BO_CONTIGUOUS over every heap never lands on system. */
	handle = create_ok(8 * page, 0, ionode_all_heaps_mask(&heaps),
			   IONODE_BO_CONTIGUOUS).handle;
	info = ionode_bo_info_get(fd, handle);
	igt_assert_neq(info.heap_id, sys.id);
	igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, handle);
	close_fd(fd2);
}

/* ---- carveouts ---------------------------------------------------------- */

/* memparse()-like: decimal or 0x, optional K/M/G suffix. */
static bool parse_size(const char *s, const char **end, uint64_t *out)
{
	char *e;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &e, 0);
	if (e == s || errno)
		return false;
	switch (*e) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; e++; break;
	default: break;
	}
	*out = v;
	*end = e;
	return true;
}

/* Range @index of the carveout= parameter; false when it has none. */
static bool carveout_range(unsigned int index, uint64_t *base, uint64_t *size)
{
	char buf[1024];
	const char *p = buf, *end;
	unsigned int i = 0;

	if (param_read("carveout", buf, sizeof(buf)) || !buf[0] ||
	    strcmp(buf, "(null)") == 0)
		return false;
	while (*p) {
		uint64_t s, b;

		if (!parse_size(p, &end, &s) || *end != '@')
			return false;
		if (!parse_size(end + 1, &end, &b))
			return false;
		if (i++ == index) {
			*base = b;
			*size = s;
			return true;
		}
		if (*end != ',')
			return false;
		p = end + 1;
	}
	return false;
}

/*
 * Pages allocated from the default CMA area, from CMA's own debugfs
 * counter (/sys/kernel/debug/cma/<area>/used, in pages; only cma_alloc()
 * and cma_release() move it). -1 when the kernel has no such counter.
 */
static long cma_area_used(void)
{
	char path[300], buf[32];
	long used = -1;
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/debug/cma");
	FILE *f;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/used",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			used = (used < 0 ? 0 : used) + atol(buf);
		fclose(f);
	}
	closedir(d);
	return used;
}

/*
 * "cma" means the CMA area, whatever the size: one page (which the DMA
 * API would take from the page allocator if asked for one page), a few
 * pages, 1 MiB. Each buffer takes at least its own pages out of the area,
 * and gives them all back.
 */
static void test_cma_from_cma_area(void)
{
	const uint64_t sizes[] = { 1, 3, 256 };
	long before, during;
	unsigned int i;

	require_heap("cma");
	before = cma_area_used();
	igt_require_f(before >= 0, "no CMA debugfs (CONFIG_CMA_DEBUGFS)\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t pages = sizes[i];
		uint32_t h = create_in("cma", pages * page, 0, hmask("cma"), 0);

		during = cma_area_used();
		igt_assert_f(during >= before + (long)pages,
			     "a %llu-page cma buffer took %ld pages of the CMA area\n",
			     (unsigned long long)pages, during - before);
		ionode_bo_close(fd, h);
		igt_assert_eq(cma_area_used(), before);
	}
}

/*
 * Carveout heaps are exactly the reserved ranges: for every carveoutN the
 * query and sysfs report total_bytes equal to range N of the carveout=
 * parameter, max_alloc the same, free + used == total, type CARVEOUT; as
 * root, /proc/iomem shows no System RAM inside the range (the memory the
 * heap hands out is not the kernel's).
 */
static void test_carveout_range(void)
{
	unsigned int n;

	for (n = 0; ; n++) {
		char name[32];
		const struct drm_ionode_heap_info *h;
		uint64_t base, size;

		snprintf(name, sizeof(name), "carveout%u", n);
		h = find_heap(name);
		if (!carveout_range(n, &base, &size)) {
			igt_assert_f(!h, "%s exists but the carveout parameter "
				     "has no range %u\n", name, n);
			break;
		}
		igt_assert_f(h, "carveout range %u (%#llx@%#llx) has no heap\n",
			     n, (unsigned long long)size,
			     (unsigned long long)base);
		igt_info("%s: %llu MiB at %#llx\n", name,
			 (unsigned long long)(size >> 20),
			 (unsigned long long)base);
		igt_assert_eq(h->type, IONODE_HEAP_TYPE_CARVEOUT);
		igt_assert_eq_u64(h->total_bytes, size);
		igt_assert_eq_u64(h->max_alloc, size);
		igt_assert_eq_u64(h->free_bytes + h->used_bytes, size);
		if (have_sysfs_heaps()) {
			igt_assert_eq(sysfs_heap(name, "total_bytes"), (int64_t)size);
			igt_assert_eq(sysfs_heap(name, "free_bytes") +
				      sysfs_heap(name, "used_bytes"),
				      (int64_t)size);
			igt_assert_eq(sysfs_heap(name, "type"),
				      IONODE_HEAP_TYPE_CARVEOUT);
		}

		if (geteuid() == 0) {
			FILE *f = fopen("/proc/iomem", "r");
			char line[256];

			igt_assert(f);
			while (fgets(line, sizeof(line), f)) {
				unsigned long long s, e;

				if (sscanf(line, " %llx-%llx", &s, &e) != 2 ||
				    !strstr(line, "System RAM"))
					continue;
				igt_assert_f(e < base || s >= base + size,
					     "%s range %#llx-%#llx overlaps "
					     "System RAM: %s", name,
					     (unsigned long long)base,
					     (unsigned long long)(base + size - 1),
					     line);
			}
			fclose(f);
		}
	}
	igt_require_f(n > 0, "no carveout configured (carveout= parameter)\n");
}

/*
 * The whole carveout can be filled exactly, in max-size chunks of 4 MiB
 * (16 for 64 MiB), and then not one more page fits: ENOMEM, with
 * free_bytes 0 and used == total; freeing one chunk makes room for exactly
 * that chunk again. Everything goes back at the end.
 */
static void test_carveout_fill_exact(void)
{
	static uint32_t handles[4096];
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t chunk = 4 * MiB, m = 1ull << h.id;
	unsigned int n, i;

	while (h.total_bytes % chunk)
		chunk /= 2;
	igt_assert_lte_u64(page, chunk);
	n = h.total_bytes / chunk;
	igt_require(n <= 4096);
	igt_info("filling carveout0 with %u x %llu KiB\n", n,
		 (unsigned long long)(chunk >> 10));

	for (i = 0; i < n; i++)
		handles[i] = create_in("carveout0", chunk, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, h.total_bytes);
	igt_assert_eq_u64(h.free_bytes, 0);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("carveout0", "buffers"), n);
		igt_assert_eq(sysfs_heap("carveout0", "free_bytes"), 0);
	}
	create_err(page, 0, m, 0, ENOMEM);
	create_err(1, 0, m, IONODE_BO_CACHED, ENOMEM);
	create_err(page, 0, m, IONODE_BO_CONTIGUOUS, ENOMEM);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, h.total_bytes);

	/* One chunk freed in the middle: exactly one chunk fits again. */
	ionode_bo_close(fd, handles[n / 2]);
	igt_assert_eq_u64(heap_now("carveout0").free_bytes, chunk);
	create_err(chunk + page, 0, m, 0, ENOMEM);
	handles[n / 2] = create_in("carveout0", chunk, 0, m, 0);
	create_err(page, 0, m, 0, ENOMEM);

	for (i = 0; i < n; i++)
		ionode_bo_close(fd, handles[i]);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, 0);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
}

/*
 * No silent spill outside the range: with part of the carveout in use, a
 * request one page larger than what remains fails with ENOMEM (not E2BIG:
 * it is within max_alloc), the exact remainder succeeds, and free + used
 * equals total at every step.
 */
static void test_carveout_no_spill(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id, first = (h.total_bytes * 5 / 8) &
		~(uint64_t)(page - 1), rest = h.total_bytes - first;
	uint32_t a, b;

	a = create_in("carveout0", first, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, first);
	igt_assert_eq_u64(h.free_bytes, rest);

	create_err(rest + page, 0, m, 0, ENOMEM);
	create_err(rest + 1, 0, m, IONODE_BO_CACHED, ENOMEM);
	create_err(h.total_bytes, 0, m, 0, ENOMEM);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, first);
	igt_assert_eq_u64(h.free_bytes + h.used_bytes, h.total_bytes);

	b = create_in("carveout0", rest, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, 0);
	igt_assert_eq_u64(h.used_bytes, h.total_bytes);
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/* ---- fallback order ----------------------------------------------------- */

/*
 * Lower ids are tried first: system-contig|carveout0 with
 * IONODE_BO_CONTIGUOUS (and without) is served by system-contig;
 * system|carveout0 with IONODE_BO_CONTIGUOUS skips system for carveout0;
 * every heap without flags gives system.
 */
static void test_fallback_contig_order(void)
{
	uint32_t h;

	require_heap("system-contig");
	require_heap("carveout0");
	igt_assert_lt(hid("system-contig"), hid("carveout0"));

	h = create_in("system-contig", 16 * page, 0,
		      hmask("system-contig") | hmask("carveout0"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", 16 * page, 0,
		      hmask("system-contig") | hmask("carveout0"), 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", 16 * page, 0,
		      hmask("system") | hmask("carveout0"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", 16 * page, 0,
		      ionode_all_heaps_mask(&heaps), IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system", 16 * page, 0, ionode_all_heaps_mask(&heaps), 0);
	ionode_bo_close(fd, h);
}

/*
 * A size above system-contig's max_alloc (4 MiB) skips it: with
 * system-contig|carveout0 the buffer lands in carveout0 (heap_id and
 * bo_info say so); system-contig alone is E2BIG; above carveout0's size
 * too, E2BIG.
 */
static void test_fallback_size(void)
{
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co = require_empty_carveout("carveout0");
	uint64_t m = hmask("system-contig") | hmask("carveout0");
	uint64_t big = sc.max_alloc + page;
	struct drm_ionode_bo_info info;
	uint32_t h;

	igt_assert_eq_u64(sc.max_alloc, 4 * MiB);
	igt_require(co.max_alloc >= big);

	h = create_in("carveout0", big, 0, m, 0);
	info = ionode_bo_info_get(fd, h);
	igt_assert_eq(info.heap_id, co.id);
	igt_assert_eq_u64(info.size, big);
	igt_assert_eq(info.attrs & IONODE_ATTR_CONTIGUOUS, IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, h);

	h = create_in("carveout0", big, 0, m, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", sc.max_alloc / 4, 0, m, 0);
	ionode_bo_close(fd, h);
	h = create_in("system", big, 0, m | hmask("system"), 0);
	ionode_bo_close(fd, h);

	create_err(big, 0, hmask("system-contig"), 0, E2BIG);
	create_err(co.max_alloc + page, 0, m, 0, E2BIG);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

static uint32_t fill_handles[4096];
static unsigned int n_fill;

/* Fills carveout @name with 1 MiB (or smaller) chunks; asserts it is full. */
static void fill_carveout(const char *name)
{
	struct drm_ionode_heap_info h = heap_now(name);
	uint64_t chunk = MiB;

	while (h.total_bytes % chunk)
		chunk /= 2;
	n_fill = 0;
	while (n_fill < 4096) {
		struct drm_ionode_create req = make_req(chunk, 0, 1ull << h.id, 0);
		int ret = ionode_create_ex(fd, &req);

		if (ret) {
			igt_assert_errno(ret, ENOMEM);
			break;
		}
		fill_handles[n_fill++] = req.handle;
	}
	igt_assert_eq_u64(heap_now(name).free_bytes, 0);
}

static void unfill(void)
{
	while (n_fill)
		ionode_bo_close(fd, fill_handles[--n_fill]);
}

/*
 * With carveout0 exhausted: carveout0 alone is ENOMEM; carveout0|system is
 * served by system; system-contig|carveout0 with IONODE_BO_CONTIGUOUS by
 * system-contig. After freeing one chunk carveout0 serves again (the
 * carveout's own recovery), and after freeing all it is empty.
 */
static void test_fallback_exhausted(void)
{
	uint64_t co;
	uint32_t h;

	require_empty_carveout("carveout0");
	require_heap("system-contig");
	co = hmask("carveout0");

	fill_carveout("carveout0");
	create_err(page, 0, co, 0, ENOMEM);
	create_err(page, 0, co, IONODE_BO_CONTIGUOUS | IONODE_BO_CACHED, ENOMEM);
	h = create_in("system", MiB, 0, co | hmask("system"), 0);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", MiB, 0, co | hmask("system-contig"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(heap_now("carveout0").free_bytes, 0);

	ionode_bo_close(fd, fill_handles[--n_fill]);
	h = create_in("carveout0", page, 0, co, 0);
	ionode_bo_close(fd, h);
	unfill();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * An exhausted heap makes way for the next one in the mask: carveout0 is
 * tried before carveout1 (lower id), so carveout0|carveout1 goes to
 * carveout0 while it has room and to carveout1 once it is full; freeing
 * carveout0 brings the requests back to it. Needs two carveouts.
 */
static void test_fallback_next_carveout(void)
{
	uint64_t m;
	uint32_t h;

	require_empty_carveout("carveout0");
	require_empty_carveout("carveout1");
	m = hmask("carveout0") | hmask("carveout1");
	igt_assert_lt(hid("carveout0"), hid("carveout1"));

	h = create_in("carveout0", MiB, 0, m, 0);
	ionode_bo_close(fd, h);
	fill_carveout("carveout0");
	h = create_in("carveout1", MiB, 0, m, 0);
	igt_assert_eq_u64(heap_now("carveout1").used_bytes, MiB);
	ionode_bo_close(fd, h);
	h = create_in("carveout1", page, 0, m, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	unfill();
	h = create_in("carveout0", MiB, 0, m, 0);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	igt_assert_eq_u64(heap_now("carveout1").used_bytes, 0);
}

/* ---- alignment ---------------------------------------------------------- */

/*
 * Alignments the contiguous heaps can meet succeed: 1 MiB on system-contig
 * and on carveout0, up to system-contig's max_alloc (4 MiB) on it, and on
 * carveout0 up to its size; a mask with system first skips system for an
 * alignment above the page size.
 */
static void test_align_valid(void)
{
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co = require_empty_carveout("carveout0");
	uint64_t base, size, a;
	uint32_t h;

	h = create_in("system-contig", page, MiB, 1ull << sc.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", MiB + page, MiB, 1ull << sc.id,
		      IONODE_BO_CACHED);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", page, sc.max_alloc, 1ull << sc.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB, 1ull << co.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", 3 * MiB, MiB, 1ull << co.id,
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	for (a = 2 * page; a <= 16 * MiB && a <= co.total_bytes / 2; a *= 2) {
		h = create_in("carveout0", page, a, 1ull << co.id, 0);
		ionode_bo_close(fd, h);
	}

	h = create_in("system-contig", page, MiB,
		      hmask("system") | hmask("system-contig"), 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB,
		      hmask("system") | hmask("carveout0"), 0);
	ionode_bo_close(fd, h);

	/* The range's own size as alignment, when the base is that aligned. */
	if (carveout_range(0, &base, &size) && base % size == 0 &&
	    !(size & (size - 1))) {
		h = create_in("carveout0", page, size, 1ull << co.id, 0);
		ionode_bo_close(fd, h);
	}
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * Alignments nobody can meet: not a power of two (EINVAL on every heap);
 * larger than the heap's max_alloc (EINVAL: no heap of the mask can meet
 * it), while a mask adding a heap that can falls back to it; above the
 * page size on the system heap alone (EINVAL).
 */
static void test_align_invalid(void)
{
	const uint64_t npot[] = { 3 * page, MiB + page, 3 * MiB, MiB - 1 };
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co_copy;
	const struct drm_ionode_heap_info *co = NULL;
	unsigned int i;
	uint32_t h;

	if (find_heap("carveout0")) {
		co_copy = heap_now("carveout0");
		co = &co_copy;
	}

	for (i = 0; i < sizeof(npot) / sizeof(npot[0]); i++) {
		create_err(page, npot[i], 1ull << sc.id, 0, EINVAL);
		create_err(page, npot[i], ionode_all_heaps_mask(&heaps), 0,
			   EINVAL);
	}

	create_err(page, 2 * sc.max_alloc, 1ull << sc.id, 0, EINVAL);
	create_err(page, 2 * page, hmask("system"), 0, EINVAL);
	create_err(page, MiB, hmask("system"), IONODE_BO_CACHED, EINVAL);
	h = create_in("system-contig", page, 2 * page,
		      hmask("system") | hmask("system-contig"), 0);
	ionode_bo_close(fd, h);

	if (!co) {
		igt_info("no carveout0: skipping its alignment checks\n");
		return;
	}
	create_err(page, 3 * MiB, 1ull << co->id, 0, EINVAL);
	create_err(page, 2 * co->max_alloc, 1ull << co->id, 0, EINVAL);
	create_err(page, 2 * co->max_alloc,
		   (1ull << co->id) | (1ull << sc.id) | hmask("system"), 0,
		   EINVAL);
	if (co->free_bytes >= 2 * page) {
		/* Too coarse for system-contig, fine for carveout0. */
		h = create_in("carveout0", page, 2 * sc.max_alloc,
			      (1ull << sc.id) | (1ull << co->id), 0);
		ionode_bo_close(fd, h);
	}
}

/*
 * Accounting around an aligned carveout buffer: one page, then a 1 MiB
 * buffer aligned to 1 MiB: used_bytes is exactly 4096 + 1 MiB (alignment
 * padding is not charged), free_bytes is total minus that, in the query
 * and in sysfs, and both return to empty.
 */
static void test_carveout_align_accounting(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id;
	uint32_t a, b;

	a = create_in("carveout0", page, 0, m, 0);
	b = create_in("carveout0", MiB, MiB, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, page + MiB);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes - page - MiB);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("carveout0", "used_bytes"), page + MiB);
		igt_assert_eq(sysfs_heap("carveout0", "free_bytes"),
			      (int64_t)(h.total_bytes - page - MiB));
		igt_assert_eq(sysfs_heap("carveout0", "buffers"), 2);
	}
	ionode_bo_close(fd, a);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, MiB);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes - MiB);
	ionode_bo_close(fd, b);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, 0);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
}

/*
 * The alignment is really honoured, seen through first fit (the address
 * itself is hidden): on an empty carveout whose base is A-aligned, with
 * A = total/4 rounded down to a power of two (16 MiB for 64 MiB), one page
 * lands at the base and an A-aligned A-byte buffer must then sit at
 * base + A, leaving holes of A - 4 KiB and total - 2A. So a request of
 * total - 2A + 4 KiB fails with ENOMEM although free_bytes is larger (an
 * unaligned placement at base + 4 KiB would leave total - A - 4 KiB in
 * one piece), while total - 2A and A - 4 KiB both fit, leaving the heap
 * exactly full.
 */
static void test_carveout_align_placement(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id, base, size, A = 1;
	uint32_t first, aligned, tail, hole;

	igt_require_f(carveout_range(0, &base, &size),
		      "cannot read the carveout parameter\n");
	igt_assert_eq_u64(size, h.total_bytes);
	while (A * 2 <= size / 4)
		A *= 2;
	igt_require_f(A >= 4 * page && base % A == 0,
		      "carveout0 base %#llx not aligned to %llu\n",
		      (unsigned long long)base, (unsigned long long)A);
	igt_info("carveout0: %llu MiB at %#llx, A = %llu MiB\n",
		 (unsigned long long)(size >> 20), (unsigned long long)base,
		 (unsigned long long)(A >> 20));

	first = create_in("carveout0", page, 0, m, 0);
	aligned = create_in("carveout0", A, A, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, size - A - page);
	igt_assert_lte_u64(size - 2 * A + page, h.free_bytes);

	create_err(size - 2 * A + page, 0, m, 0, ENOMEM);
	tail = create_in("carveout0", size - 2 * A, 0, m, 0);
	hole = create_in("carveout0", A - page, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, 0);
	create_err(page, 0, m, 0, ENOMEM);

	ionode_bo_close(fd, first);
	ionode_bo_close(fd, aligned);
	ionode_bo_close(fd, tail);
	ionode_bo_close(fd, hole);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

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
	if (strcmp(saved_params[1], "") == 0)
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

/* vgem's card node; loads the module if needed and allowed. */
static int open_vgem(void)
{
	int v = ionode_open_driver("vgem", DRM_NODE_PRIMARY);

	if (v < 0 && geteuid() == 0) {
		int ret = system("modprobe -q vgem 2>/dev/null");

		igt_debug("modprobe vgem: %d\n", ret);
		v = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	}
	return v;
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

	vgem = open_vgem();
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

/* ---- limits -------------------------------------------------------------- */

/*
 * client_limit=1M: 2 MiB fails with EDQUOT, 512 KiB succeeds, a further
 * 768 KiB fails (512 + 768 > 1024), 512 KiB fits exactly, then one page
 * does not; an exported buffer whose handle was closed still counts;
 * another fd has a limit of its own; writing 0 lifts the limit.
 */
static void test_client_limit(void)
{
	uint64_t sys, all;
	uint32_t a, b, c;
	char val[64];
	int dmabuf, fd2;

	require_policy_control();
	sys = hmask("system");
	all = ionode_all_heaps_mask(&heaps);
	param_set("client_limit", "1M");
	igt_assert_eq(param_read("client_limit", val, sizeof(val)), 0);
	igt_assert_f(strcmp(val, "1048576") == 0, "client_limit reads %s\n", val);

	create_err(2 * MiB, 0, sys, 0, EDQUOT);
	create_err(2 * MiB, 0, all, 0, EDQUOT);
	create_err(MiB + 1, 0, sys, 0, EDQUOT);
	a = create_ok(512 * KiB, 0, sys, 0).handle;
	create_err(768 * KiB, 0, sys, 0, EDQUOT);
	create_err(768 * KiB, 0, all, IONODE_BO_CONTIGUOUS, EDQUOT);
	b = create_ok(512 * KiB, 0, sys, IONODE_BO_CACHED).handle;
	create_err(1, 0, sys, 0, EDQUOT);

	/* Exported and closed still counts against its creator. */
	dmabuf = bo_export(fd, b);
	ionode_bo_close(fd, b);
	create_err(page, 0, sys, 0, EDQUOT);
	close_fd(dmabuf);
	c = create_ok(512 * KiB, 0, sys, 0).handle;

	/* Another open file has its own limit. */
	fd2 = open_ionode2();
	b = create_on(fd2, MiB, 0, sys, 0).handle;
	create_err_on(fd2, page, 0, sys, 0, EDQUOT);
	ionode_bo_close(fd2, b);
	close_fd(fd2);

	param_set("client_limit", "0");
	b = create_ok(2 * MiB, 0, sys, 0).handle;
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	ionode_bo_close(fd, c);
	a = create_ok(8 * MiB, 0, sys, 0).handle;
	ionode_bo_close(fd, a);
	assert_fdinfo_zero(fd);
}

/*
 * heap_limits="system:1M": a system-only 2 MiB request fails with EDQUOT,
 * while system|system-contig falls back to system-contig (a heap at its
 * limit is skipped like an exhausted one); the limit is shared by all
 * clients (another fd is refused the rest); sysfs limit_bytes and debugfs
 * show it; an empty write lifts every limit.
 */
static void test_heap_limits(void)
{
	struct drm_ionode_heap_info sys = require_heap("system");
	uint64_t sm, scm, base = sys.used_bytes;
	uint32_t a, b, c;
	char val[128], want[128];
	int fd2;

	require_policy_control();
	require_heap("system-contig");
	sm = hmask("system");
	scm = hmask("system-contig");
	if (base == 0) {
		param_set("heap_limits", "system:1M");
	} else {
		snprintf(val, sizeof(val), "system:%llu",
			 (unsigned long long)(base + MiB));
		param_set("heap_limits", val);
	}
	snprintf(want, sizeof(want), "system:%llu", (unsigned long long)(base + MiB));
	igt_assert_eq(param_read("heap_limits", val, sizeof(val)), 0);
	igt_assert_f(strcmp(val, want) == 0, "heap_limits reads \"%s\", "
		     "expected \"%s\"\n", val, want);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("system", "limit_bytes"),
			      (int64_t)(base + MiB));
		igt_assert_eq(sysfs_heap("system-contig", "limit_bytes"), 0);
	}
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert_eq_u64(dbg_heap(n, "system")->limit, base + MiB);
	}

	create_err(2 * MiB, 0, sm, 0, EDQUOT);
	a = create_in("system-contig", 2 * MiB, 0, sm | scm, 0);
	igt_assert_eq_u64(heap_now("system").used_bytes, base);

	b = create_in("system", 512 * KiB, 0, sm, 0);
	create_err(768 * KiB, 0, sm, 0, EDQUOT);
	fd2 = open_ionode2();
	create_err_on(fd2, 768 * KiB, 0, sm, 0, EDQUOT);
	c = create_on(fd2, 512 * KiB, 0, sm, 0).handle;
	igt_assert_eq_u64(heap_now("system").used_bytes, base + MiB);
	create_err(1, 0, sm, 0, EDQUOT);
	/* At the limit, system is skipped: the next heap serves. */
	ionode_bo_close(fd, create_in("system-contig", page, 0, sm | scm, 0));
	ionode_bo_close(fd2, c);
	close_fd(fd2);
	c = create_in("system", 512 * KiB, 0, sm, 0);
	ionode_bo_close(fd, c);

	param_set("heap_limits", "");
	igt_assert_eq(param_read("heap_limits", val, sizeof(val)), 0);
	igt_assert_f(val[0] == '\0', "heap_limits reads \"%s\" after clearing\n",
		     val);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("system", "limit_bytes"), 0);
	c = create_in("system", 2 * MiB, 0, sm | scm, 0);
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	ionode_bo_close(fd, c);
	igt_assert_eq_u64(heap_now("system").used_bytes, base);
}

/*
 * EDQUOT wins over ENOMEM when a limit was one of the reasons: with
 * carveout0 full and system at its limit, system|carveout0 fails with
 * EDQUOT; carveout0 alone is still ENOMEM; a limit on carveout0 itself
 * turns its refusal into EDQUOT.
 */
static void test_limit_edquot_vs_enomem(void)
{
	struct drm_ionode_heap_info co;
	char val[64];
	uint64_t sm;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	sm = hmask("system");
	snprintf(val, sizeof(val), "system:%llu",
		 (unsigned long long)heap_now("system").used_bytes);
	param_set("heap_limits", strcmp(val, "system:0") ? val : "system:4096");
	fill_carveout("carveout0");
	create_err(2 * page, 0, sm | (1ull << co.id), 0, EDQUOT);
	create_err(2 * page, 0, 1ull << co.id, 0, ENOMEM);
	unfill();

	param_set("heap_limits", "carveout0:1M");
	ionode_bo_close(fd, create_in("carveout0", MiB, 0, 1ull << co.id, 0));
	create_err(MiB + page, 0, 1ull << co.id, 0, EDQUOT);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("carveout0", "limit_bytes"), MiB);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	param_set("heap_limits", "");
	ionode_bo_close(fd, create_in("carveout0", MiB + page, 0,
				      1ull << co.id, 0));
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/* Malformed parameter writes fail with EINVAL and change nothing. */
static void test_policy_bad_writes(void)
{
	const char *bad_limits[] = { "system", ":1M", "system:", "system:1Q",
				     "system:1M,,x:1", "system:1M,",
				     "sys tem:1M" };
	const char *bad_restricted[] = { "carveout0:1M", "a,,b", "a,",
					 "car veout0" };
	const char *bad_size[] = { "abc", "1Mx", "" };
	char before[1024], after[1024];
	unsigned int i;

	require_policy_control();
	param_set("heap_limits", "system-contig:8M");
	param_set("restricted_heaps", "nonexistent-heap");
	param_set("client_limit", "64M");

	igt_assert_eq(param_read("heap_limits", before, sizeof(before)), 0);
	for (i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
		igt_assert_f(param_write("heap_limits", bad_limits[i]) == -EINVAL,
			     "heap_limits=\"%s\" accepted\n", bad_limits[i]);
		igt_assert_eq(param_read("heap_limits", after, sizeof(after)), 0);
		igt_assert_f(strcmp(before, after) == 0, "heap_limits changed "
			     "from \"%s\" to \"%s\"\n", before, after);
	}
	igt_assert_eq(param_read("restricted_heaps", before, sizeof(before)), 0);
	for (i = 0; i < sizeof(bad_restricted) / sizeof(bad_restricted[0]); i++) {
		igt_assert_f(param_write("restricted_heaps", bad_restricted[i]) ==
			     -EINVAL, "restricted_heaps=\"%s\" accepted\n",
			     bad_restricted[i]);
		igt_assert_eq(param_read("restricted_heaps", after, sizeof(after)), 0);
		igt_assert(strcmp(before, after) == 0);
	}
	for (i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		igt_assert_f(param_write("client_limit", bad_size[i]) == -EINVAL,
			     "client_limit=\"%s\" accepted\n", bad_size[i]);
		igt_assert_eq(param_read("client_limit", after, sizeof(after)), 0);
		igt_assert(strcmp(after, "67108864") == 0);
	}
	/* The limits set above are in force. */
	create_err(64 * MiB + page, 0, hmask("system"), 0, EDQUOT);
}

/* ---- restricted heaps --------------------------------------------------- */

/* In a forked child: become nobody, in @groups only. */
static void drop_privileges(const gid_t *groups, size_t n)
{
	igt_assert_eq(setgroups(n, groups), 0);
	igt_assert_eq(setgid(65534), 0);
	igt_assert_eq(setuid(65534), 0);
	igt_assert_eq(geteuid(), 65534);
	igt_assert_eq(getegid(), 65534);
	igt_assert_neq(setuid(0), 0);	/* really dropped */
}

/* Restricts carveout0 and checks the query, sysfs and debugfs flag it. */
static struct drm_ionode_heap_info restrict_carveout0(void)
{
	struct drm_ionode_heap_info co;
	unsigned int i;

	param_set("restricted_heaps", "carveout0");
	co = heap_now("carveout0");
	igt_assert_f(co.flags & IONODE_HEAP_RESTRICTED, "carveout0 flags %#x "
		     "lack IONODE_HEAP_RESTRICTED\n", co.flags);
	for (i = 0; i < heaps.count; i++)
		if (strcmp(heaps.info[i].name, "carveout0"))
			igt_assert_eq(heaps.info[i].flags &
				      IONODE_HEAP_RESTRICTED, 0);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("carveout0", "flags"), co.flags);
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert(strcmp(dbg_heap(n, "carveout0")->restricted, "yes") == 0);
		igt_assert(strcmp(dbg_heap(n, "system")->restricted, "no") == 0);
	}
	return co;
}

/*
 * restricted_heaps=carveout0: an unprivileged process (the render node
 * opened before dropping root, as a real compositor's client would have
 * it) sees the flag in the query, gets EPERM from carveout0 alone (and
 * from a contiguous request whose only contiguous heap is carveout0), and
 * is served by system from carveout0|system, by system-contig from
 * carveout0|system-contig with IONODE_BO_CONTIGUOUS. Nothing leaks.
 */
static void test_restricted_unprivileged(void)
{
	struct drm_ionode_heap_info co;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	require_heap("system-contig");
	co = restrict_carveout0();

	igt_fork(child, 1) {
		struct ionode_heaps hs;
		const struct drm_ionode_heap_info *c;
		struct drm_ionode_create req;

		drop_privileges(NULL, 0);
		ionode_get_heaps(fd, &hs);
		c = ionode_heap(&hs, "carveout0");
		igt_assert(c && (c->flags & IONODE_HEAP_RESTRICTED));

		create_err(page, 0, 1ull << co.id, 0, EPERM);
		create_err(page, 0, 1ull << co.id, IONODE_BO_CONTIGUOUS, EPERM);
		create_err(page, 0, (1ull << co.id) | ionode_system_mask(&hs),
			   IONODE_BO_CONTIGUOUS, EPERM);
		create_err(page, MiB, (1ull << co.id) | ionode_system_mask(&hs),
			   0, EPERM);

		req = create_ok(MiB, 0, (1ull << co.id) |
				ionode_system_mask(&hs), 0);
		igt_assert_eq(req.heap_id, ionode_heap(&hs, "system")->id);
		ionode_bo_close(fd, req.handle);
		req = create_ok(MiB, 0, (1ull << co.id) |
				(1ull << ionode_heap(&hs, "system-contig")->id),
				IONODE_BO_CONTIGUOUS);
		igt_assert_eq(req.heap_id, ionode_heap(&hs, "system-contig")->id);
		ionode_bo_close(fd, req.handle);
		ionode_put_heaps(&hs);
	}
	igt_waitchildren();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	assert_fdinfo_zero(fd);
}

/*
 * The EPERM rule also covers size: when only a restricted heap is big
 * enough (5 MiB contiguous, system-contig|carveout0, carveout0
 * restricted), the unprivileged caller is told EPERM ("only heaps
 * restricted to privileged callers could serve"), not E2BIG (carveout0's
 * max_alloc is not exceeded).
 */
static void test_restricted_only_fit(void)
{
	struct drm_ionode_heap_info co, sc;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	sc = require_heap("system-contig");
	igt_require(co.max_alloc > sc.max_alloc);
	co = restrict_carveout0();

	igt_fork(child, 1) {
		drop_privileges(NULL, 0);
		create_err(sc.max_alloc + page, 0, (1ull << co.id) | (1ull << sc.id),
			   IONODE_BO_CONTIGUOUS, EPERM);
	}
	igt_waitchildren();
	/* Root gets it from carveout0. */
	ionode_bo_close(fd, create_in("carveout0", sc.max_alloc + page, 0,
				      (1ull << co.id) | (1ull << sc.id),
				      IONODE_BO_CONTIGUOUS));
}

/*
 * Root (CAP_SYS_ADMIN) is served by a restricted heap: carveout0 alone,
 * and carveout0 with IONODE_BO_CONTIGUOUS over every heap but
 * system-contig; the flag shows in the query for root too. Clearing
 * restricted_heaps removes the flag.
 */
static void test_restricted_root(void)
{
	struct drm_ionode_heap_info co;
	uint64_t all;
	uint32_t h;

	require_policy_control();
	require_empty_carveout("carveout0");
	igt_require(geteuid() == 0);
	co = restrict_carveout0();
	all = ionode_all_heaps_mask(&heaps);
	if (find_heap("system-contig"))
		all &= ~hmask("system-contig");
	if (find_heap("cma"))
		all &= ~hmask("cma");

	h = create_in("carveout0", MiB, 0, 1ull << co.id, 0);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, MiB);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB, all, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);

	param_set("restricted_heaps", "");
	igt_assert_eq(heap_now("carveout0").flags & IONODE_HEAP_RESTRICTED, 0);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * restricted_gid=N admits members of group N: an unprivileged child with
 * N among its supplementary groups allocates from carveout0, a child
 * without it still gets EPERM, and with restricted_gid=-1 the member is
 * refused again.
 */
static void test_restricted_gid(void)
{
	const gid_t group = 4242;
	struct drm_ionode_heap_info co;
	char val[32];

	require_policy_control();
	require_empty_carveout("carveout0");
	co = restrict_carveout0();
	snprintf(val, sizeof(val), "%u", (unsigned int)group);
	param_set("restricted_gid", val);

	igt_fork(child, 1) {
		struct drm_ionode_create req;

		drop_privileges(&group, 1);
		req = create_ok(MiB, 0, 1ull << co.id, 0);
		igt_assert_eq(req.heap_id, co.id);
		ionode_bo_close(fd, req.handle);
	}
	igt_waitchildren();
	igt_fork(child, 1) {
		drop_privileges(NULL, 0);
		create_err(MiB, 0, 1ull << co.id, 0, EPERM);
	}
	igt_waitchildren();

	param_set("restricted_gid", "-1");
	igt_fork(child, 1) {
		drop_privileges(&group, 1);
		create_err(MiB, 0, 1ull << co.id, 0, EPERM);
	}
	igt_waitchildren();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	assert_fdinfo_zero(fd);
}

/* ---- heaps listed consistently ------------------------------------------ */

/*
 * The query, sysfs and debugfs list the same heaps: every queried heap
 * has a sysfs directory with matching type, flags and total, a debugfs
 * row with its id, and nothing else is listed; ids follow registration
 * (query) order; heaps follow the documented order system,
 * system-contig, cma, carveoutN.
 */
static void test_heaps_listed(void)
{
	uint32_t i;
	int last_rank = -1;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		int rank = h->type == IONODE_HEAP_TYPE_SYSTEM ? 0 :
			   h->type == IONODE_HEAP_TYPE_SYSTEM_CONTIG ? 1 :
			   h->type == IONODE_HEAP_TYPE_CMA ? 2 : 3;

		igt_assert_eq(h->id, i);
		igt_assert_lte(last_rank, rank);
		last_rank = rank;
		igt_info("heap %u %s type %u flags %#x max_alloc %llu\n", h->id,
			 h->name, h->type, h->flags,
			 (unsigned long long)h->max_alloc);
		if (have_sysfs_heaps()) {
			igt_assert_eq(sysfs_heap(h->name, "type"), h->type);
			igt_assert_eq(sysfs_heap(h->name, "flags"), h->flags);
			igt_assert_eq(sysfs_heap(h->name, "total_bytes"),
				      (int64_t)h->total_bytes);
		}
	}
	if (have_sysfs_heaps()) {
		DIR *d = opendir(SYSFS_HEAPS);
		struct dirent *e;
		unsigned int n = 0;

		igt_assert(d);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			igt_assert_f(ionode_heap(&heaps, e->d_name),
				     "sysfs lists unknown heap %s\n", e->d_name);
			n++;
		}
		closedir(d);
		igt_assert_eq(n, heaps.count);
	}
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert_eq(n, heaps.count);
		for (i = 0; i < n; i++)
			igt_assert_eq(dbg_heap(n, heaps.info[i].name)->id,
				      heaps.info[i].id);
	}
}

/* ---- randomised churn ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

struct live_bo {
	uint32_t handle;	/* 0 once closed */
	int dmabuf;		/* -1 when not exported */
	uint64_t size;
	uint32_t heap;
};

#define STRESS_LIVE	96

static struct live_bo live[STRESS_LIVE];
static unsigned int n_live;

static void live_free(unsigned int i)
{
	if (live[i].handle)
		ionode_bo_close(fd, live[i].handle);
	if (live[i].dmabuf >= 0)
		close_fd(live[i].dmabuf);
	live[i] = live[--n_live];
}

/* Query used_bytes and fdinfo equal the start plus the live set. */
static void check_model(const struct snap *base, const char *when)
{
	uint64_t expect[IONODE_MAX_HEAPS] = { 0 };
	struct fdinfo fi;
	unsigned int i;

	for (i = 0; i < n_live; i++)
		expect[live[i].heap] += live[i].size;
	refresh_heaps();
	fdinfo_read(fd, &fi);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		igt_assert_f(h->used_bytes == base->used[h->id] + expect[h->id],
			     "%s: heap %s used %llu, expected %llu + %llu\n",
			     when, h->name, (unsigned long long)h->used_bytes,
			     (unsigned long long)base->used[h->id],
			     (unsigned long long)expect[h->id]);
		igt_assert_f(fdinfo_kib(&fi, h->name) == expect[h->id] >> 10,
			     "%s: drm-memory-%s %llu KiB, expected %llu\n", when,
			     h->name, (unsigned long long)fdinfo_kib(&fi, h->name),
			     (unsigned long long)(expect[h->id] >> 10));
	}
}

/*
 * 3000 seeded random steps (IONODE_SEED overrides the seed): allocations
 * of random sizes (1 byte to 2 MiB) on random masks (one heap, several,
 * all) with random cached/write-combined/contiguous flags, random frees,
 * some exports whose handle is closed at once, some mappings written and
 * read back. Every served heap is in the mask and meets the flags; the
 * only failures allowed are the ones the rules predict (EINVAL for
 * contiguous on system alone, ENOMEM from a carveout-only mask). Every
 * 250 steps and at the end the query and fdinfo equal the model; at the
 * end every heap's used bytes and buffer count are back where they
 * started and fdinfo reads zero.
 */
static void test_stress_mixed(void)
{
	const char *names[] = { "system", "system-contig", "cma", "carveout0",
				"carveout1" };
	const char *seed_env = getenv("IONODE_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x10de5eedull;
	uint64_t avail[8], sys;
	unsigned int n_avail = 0, i, step, allocs = 0, frees = 0, exports = 0,
		     einval = 0, enomem = 0, maps = 0;
	struct snap base;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct drm_ionode_heap_info *h = find_heap(names[i]);

		if (h && !(h->flags & IONODE_HEAP_RESTRICTED))
			avail[n_avail++] = 1ull << h->id;
	}
	sys = hmask("system");
	igt_info("seed %#llx, %u heaps\n", (unsigned long long)seed, n_avail);
	rng_state = seed ? seed : 1;
	n_live = 0;
	take_snap(&base);

	for (step = 0; step < 3000; step++) {
		uint64_t r = rnd();

		if (n_live && (n_live == STRESS_LIVE || r % 100 >= 55)) {
			live_free(rnd() % n_live);
			frees++;
		} else {
			struct drm_ionode_create req;
			uint64_t mask, size, cls = rnd() % 100;
			uint32_t flags = 0;
			bool carveout_only;
			int ret;

			switch (rnd() % 4) {
			case 0: mask = ionode_all_heaps_mask(&heaps); break;
			case 1: mask = avail[rnd() % n_avail] |
				       avail[rnd() % n_avail]; break;
			default: mask = avail[rnd() % n_avail]; break;
			}
			if (rnd() % 2)
				flags |= IONODE_BO_CACHED;
			if (rnd() % 4 == 0)
				flags |= IONODE_BO_CONTIGUOUS;
			if (cls < 70)
				size = (1 + rnd() % 16) * page - rnd() % page;
			else if (cls < 95)
				size = 64 * KiB + rnd() % (448 * KiB);
			else
				size = MiB + rnd() % MiB;
			carveout_only = true;
			for (i = 0; i < heaps.count; i++)
				if ((mask >> heaps.info[i].id & 1) &&
				    heaps.info[i].type != IONODE_HEAP_TYPE_CARVEOUT)
					carveout_only = false;
			/* Keep carveout use well below its size. */
			if (carveout_only && size > 512 * KiB)
				size = 512 * KiB;

			req = make_req(size, 0, mask, flags);
			ret = ionode_create_ex(fd, &req);
			if (mask == sys && (flags & IONODE_BO_CONTIGUOUS)) {
				igt_assert_errno(ret, EINVAL);
				einval++;
				continue;
			}
			if (ret == -ENOMEM && carveout_only) {
				igt_debug("step %u: carveout full (%llu)\n",
					  step, (unsigned long long)size);
				enomem++;
				continue;
			}
			igt_assert_f(ret == 0, "step %u: create(size %llu, mask "
				     "%#llx, flags %#x) failed: %s\n", step,
				     (unsigned long long)size,
				     (unsigned long long)mask, flags,
				     igt_errno_name(-ret));
			igt_assert_eq_u64(req.size, ionode_round_page(size));
			igt_assert(mask & (1ull << req.heap_id));
			if (flags & IONODE_BO_CONTIGUOUS)
				igt_assert(ionode_heap_by_id(&heaps, req.heap_id)->flags &
					   IONODE_HEAP_CONTIGUOUS);
			live[n_live].handle = req.handle;
			live[n_live].dmabuf = -1;
			live[n_live].size = req.size;
			live[n_live].heap = req.heap_id;
			n_live++;
			allocs++;

			if (rnd() % 10 == 0) {
				uint32_t *p = bo_map(fd, req.handle, req.size);
				size_t last = req.size / 4 - 1;

				igt_assert_eq_u32(p[0], 0);
				igt_assert_eq_u32(p[last], 0);
				p[0] = step;
				p[last] = ~step;
				igt_assert_eq_u32(p[0], step);
				igt_assert_eq_u32(p[last], ~step);
				unmap(p, req.size);
				maps++;
			}
			if (rnd() % 7 == 0) {
				live[n_live - 1].dmabuf = bo_export(fd, req.handle);
				exports++;
				if (rnd() % 2) {
					ionode_bo_close(fd, req.handle);
					live[n_live - 1].handle = 0;
				}
			}
		}
		if (step % 250 == 249) {
			char when[32];

			snprintf(when, sizeof(when), "step %u", step);
			check_model(&base, when);
		}
	}
	check_model(&base, "end");
	igt_info("%u allocations, %u frees, %u exports, %u maps, %u EINVAL, "
		 "%u ENOMEM, %u live at the end\n", allocs, frees, exports,
		 maps, einval, enomem, n_live);
	while (n_live)
		live_free(n_live - 1);
	assert_back_to(&base);
	assert_fdinfo_zero(fd);
	if (base.sysfs)
		for (i = 0; i < heaps.count; i++)
			igt_info("heap %s: %lld buffers, %lld bytes used\n",
				 heaps.info[i].name,
				 (long long)sysfs_heap(heaps.info[i].name, "buffers"),
				 (long long)sysfs_heap(heaps.info[i].name, "used_bytes"));
}

igt_main
{
	static unsigned int k;

	igt_fixture {
		fd = igt_ionode_open();
		page = ionode_page_size();
		ionode_get_heaps(fd, &heaps);
		save_params();
	}

	subtest("heaps-listed")
		test_heaps_listed();
	for (k = 0; k < N_KNOWN_HEAPS; k++)
		subtest_f("heap-%s-roundtrip", known_heaps[k])
			test_heap_roundtrip(known_heaps[k]);
	subtest("contiguous-attrs")
		test_contiguous_attrs();

	subtest("cma-from-cma-area")
		test_cma_from_cma_area();
	subtest("carveout-range")
		test_carveout_range();
	subtest("carveout-fill-exact")
		test_carveout_fill_exact();
	subtest("carveout-no-spill")
		test_carveout_no_spill();

	subtest("fallback-contig-order")
		test_fallback_contig_order();
	subtest("fallback-size")
		test_fallback_size();
	subtest("fallback-exhausted")
		test_fallback_exhausted();
	subtest("fallback-next-carveout")
		test_fallback_next_carveout();

	subtest("align-valid")
		test_align_valid();
	subtest("align-invalid")
		test_align_invalid();
	subtest("carveout-align-accounting")
		test_carveout_align_accounting();
	subtest("carveout-align-placement")
		test_carveout_align_placement();

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

	subtest("client-limit")
		test_client_limit();
	subtest("heap-limits")
		test_heap_limits();
	subtest("limit-edquot-vs-enomem")
		test_limit_edquot_vs_enomem();
	subtest("policy-bad-writes")
		test_policy_bad_writes();

	subtest("restricted-unprivileged")
		test_restricted_unprivileged();
	subtest("restricted-only-fit")
		test_restricted_only_fit();
	subtest("restricted-root")
		test_restricted_root();
	subtest("restricted-gid")
		test_restricted_gid();

	subtest("stress-mixed-no-leak")
		test_stress_mixed();

	igt_fixture {
		release_tracked();
		restore_params();
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
