// SPDX-License-Identifier: MIT
/*
 * ionode_heap_test.c - state and helpers shared by the heap tests
 * (ionode_heap_test.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ionode_heap_test.h"

/* Parameters the policy subtests change, restored before every subtest. */
static const char *const policy_params[] = {
	"client_limit", "heap_limits", "restricted_heaps", "restricted_gid",
};
#define N_POLICY_PARAMS	(sizeof(policy_params) / sizeof(policy_params[0]))

/* Heap names a per-heap subtest covers even when the kernel lacks them. */
static const char *const known_heaps[] = {
	"system", "system-contig", "cma", "carveout0", "carveout1",
};
#define N_KNOWN_HEAPS	(sizeof(known_heaps) / sizeof(known_heaps[0]))

int fd = -1;
struct ionode_heaps heaps;
size_t page;
static char saved_params[N_POLICY_PARAMS][1024];
static bool params_saved;

int open_ionode2(void)
{
	return track_fd(igt_ionode_open());
}

void *bo_map(int f, uint32_t handle, size_t size)
{
	return track_map(ionode_bo_mmap(f, handle, size, RW), size);
}

void *dmabuf_map(int dmabuf, size_t size, off_t offset)
{
	return track_map(dmabuf_mmap(dmabuf, size, offset, RW), size);
}

int bo_export(int f, uint32_t handle)
{
	return track_fd(ionode_bo_export(f, handle));
}

/* ---- module parameters -------------------------------------------------- */


void save_params(void)
{
	unsigned int i;

	for (i = 0; i < N_POLICY_PARAMS; i++) {
		int ret = ionode_param_read(policy_params[i], saved_params[i],
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
void restore_params(void)
{
	unsigned int i;

	if (!params_saved)
		return;
	for (i = 0; i < N_POLICY_PARAMS; i++) {
		char now[1024];

		if (ionode_param_read(policy_params[i], now, sizeof(now)) == 0 &&
		    strcmp(now, saved_params[i]) == 0)
			continue;
		ionode_param_set(policy_params[i], saved_params[i]);
		igt_assert_eq(ionode_param_read(policy_params[i], now, sizeof(now)), 0);
		igt_assert_f(strcmp(now, saved_params[i]) == 0,
			     "%s reads \"%s\" after restoring \"%s\"\n",
			     policy_params[i], now, saved_params[i]);
	}
}

void require_policy_control(void)
{
	igt_require_f(params_saved && access(PARAM_DIR "/client_limit", W_OK) == 0,
		      "needs root to write " PARAM_DIR "\n");
}

/* ---- heaps -------------------------------------------------------------- */

void refresh_heaps(void)
{
	ionode_put_heaps(&heaps);
	ionode_get_heaps(fd, &heaps);
}

/* The heap named @name in a fresh query, or NULL. */
const struct drm_ionode_heap_info *find_heap(const char *name)
{
	refresh_heaps();
	return ionode_heap(&heaps, name);
}

/* The heap named @name; skips the subtest when the kernel has none. */
struct drm_ionode_heap_info require_heap(const char *name)
{
	const struct drm_ionode_heap_info *h = find_heap(name);

	igt_require_f(h, "no heap \"%s\" on this kernel/configuration\n", name);
	return *h;
}

/* A fresh copy of heap @name's entry (asserts it exists). */
struct drm_ionode_heap_info heap_now(const char *name)
{
	const struct drm_ionode_heap_info *h = find_heap(name);

	igt_assert_f(h, "heap \"%s\" disappeared\n", name);
	return *h;
}

uint64_t hmask(const char *name)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	igt_assert_f(h, "no heap \"%s\"\n", name);
	return 1ull << h->id;
}

uint32_t hid(const char *name)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	igt_assert_f(h, "no heap \"%s\"\n", name);
	return h->id;
}

const char *heap_name(uint32_t id)
{
	const struct drm_ionode_heap_info *h = ionode_heap_by_id(&heaps, id);

	return h ? h->name : "?";
}

/* A carveout heap that is present and holds no buffer: skips otherwise. */
struct drm_ionode_heap_info require_empty_carveout(const char *name)
{
	struct drm_ionode_heap_info h = require_heap(name);

	igt_assert_neq_u64(h.total_bytes, IONODE_SIZE_UNKNOWN);
	igt_require_f(h.used_bytes == 0, "%s is in use by someone else "
		      "(%llu bytes)\n", name, (unsigned long long)h.used_bytes);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
	return h;
}

/* ---- creation ----------------------------------------------------------- */

struct drm_ionode_create make_req(uint64_t size, uint64_t align,
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
struct drm_ionode_create create_on(int f, uint64_t size, uint64_t align,
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

struct drm_ionode_create create_ok(uint64_t size, uint64_t align,
					  uint64_t mask, uint32_t flags)
{
	return create_on(fd, size, align, mask, flags);
}

/* Creates and asserts that heap @heap served the request. */
uint32_t create_in(const char *heap, uint64_t size, uint64_t align,
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

void create_err_on(int f, uint64_t size, uint64_t align, uint64_t mask,
			  uint32_t flags, int err)
{
	struct drm_ionode_create req = make_req(size, align, mask, flags);

	do_ioctl_err(f, DRM_IOCTL_IONODE_CREATE, &req, err);
}

void create_err(uint64_t size, uint64_t align, uint64_t mask,
		       uint32_t flags, int err)
{
	create_err_on(fd, size, align, mask, flags, err);
}

/* ---- sysfs, fdinfo, debugfs -------------------------------------------- */

bool have_sysfs_heaps(void)
{
	return access(SYSFS_HEAPS "/system/used_bytes", R_OK) == 0;
}

/* A value of /sys/devices/platform/ionode/heaps/<heap>/<attr> (asserts). */
int64_t sysfs_heap(const char *heap, const char *attr)
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


/* Parses /proc/self/fdinfo/<f>; asserts every drm-memory- line's format. */
void fdinfo_read(int f, struct fdinfo *fi)
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
uint64_t fdinfo_kib(const struct fdinfo *fi, const char *key)
{
	unsigned int i;

	for (i = 0; i < fi->n_mem; i++)
		if (strcmp(fi->mem[i].key, key) == 0)
			return fi->mem[i].kib;
	igt_assert_f(false, "fdinfo has no drm-memory-%s line\n", key);
	return 0;
}

/* fdinfo of @f lists every heap and "imported", all of them 0 KiB. */
void assert_fdinfo_zero(int f)
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

char debugfs_dir[512];

/* Finds /sys/kernel/debug/dri/<minor>/ of ionode, mounting debugfs if needed. */
bool find_debugfs(void)
{
	return debugfs_dir[0] ||
	       ionode_find_debugfs(debugfs_dir, sizeof(debugfs_dir));
}

void require_debugfs(void)
{
	igt_require_f(find_debugfs(), "no ionode_heaps under " DEBUGFS_DRI
		      " (debugfs not mounted or not root)\n");
}


static struct dbg_heap dbg_heaps[IONODE_MAX_HEAPS];

/* Parses ionode_heaps into dbg_heaps[]; returns the number of rows. */
unsigned int debugfs_heaps(void)
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

const struct dbg_heap *dbg_heap(unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(dbg_heaps[i].name, name) == 0)
			return &dbg_heaps[i];
	igt_assert_f(false, "ionode_heaps has no row for %s\n", name);
	return NULL;
}


static struct dbg_client dbg_clients[MAX_DBG_CLIENTS];

/*
 * Parses ionode_clients into dbg_clients[]; returns the number of rows.
 * The command name may contain spaces, so a row is split from both ends:
 * client pid COMM... state heap bytes buffers via.
 */
unsigned int debugfs_clients(void)
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
const struct dbg_client *dbg_client(unsigned int n, uint64_t client,
					   const char *heap)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (dbg_clients[i].client == client &&
		    strcmp(dbg_clients[i].heap, heap) == 0)
			return &dbg_clients[i];
	return NULL;
}

unsigned int dbg_client_rows(unsigned int n, uint64_t client)
{
	unsigned int i, rows = 0;

	for (i = 0; i < n; i++)
		rows += dbg_clients[i].client == client;
	return rows;
}

uint64_t client_id(int f)
{
	struct fdinfo fi;

	fdinfo_read(f, &fi);
	return fi.client_id;
}

/* ---- per-heap snapshots ------------------------------------------------- */


void take_snap(struct snap *s)
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
void assert_back_to(const struct snap *base)
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


uint32_t fill_handles[4096];
unsigned int n_fill;

/* Fills carveout @name with 1 MiB (or smaller) chunks; asserts it is full. */
void fill_carveout(const char *name)
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

void unfill(void)
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

const char *saved_param(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_POLICY_PARAMS; i++)
		if (params_saved && strcmp(policy_params[i], name) == 0)
			return saved_params[i];
	igt_assert_f(false, "parameter %s was not saved\n", name);
	return NULL;
}

/* Before every subtest (ionode_fresh_fd() calls it on the new fd). */
static void heap_test_fresh(int f)
{
	(void)f;
	restore_params();
	refresh_heaps();
}

void heap_test_init(void)
{
	fd = igt_ionode_open();
	page = ionode_page_size();
	ionode_get_heaps(fd, &heaps);
	save_params();
	ionode_set_fresh_hook(heap_test_fresh);
}

void heap_test_fini(void)
{
	release_all();
	restore_params();
	ionode_put_heaps(&heaps);
	if (fd >= 0)
		close(fd);
	fd = -1;
}

unsigned int heap_test_names(char (*names)[IONODE_HEAP_NAME_LEN],
			     unsigned int max)
{
	unsigned int n = 0, i, j;

	for (i = 0; i < heaps.count && n < max; i++)
		snprintf(names[n++], IONODE_HEAP_NAME_LEN, "%s",
			 heaps.info[i].name);
	for (i = 0; i < N_KNOWN_HEAPS && n < max; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], known_heaps[i]) == 0)
				break;
		if (j == n)
			snprintf(names[n++], IONODE_HEAP_NAME_LEN, "%s",
				 known_heaps[i]);
	}
	return n;
}
