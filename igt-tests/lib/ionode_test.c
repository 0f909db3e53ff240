// SPDX-License-Identifier: MIT
/*
 * ionode_test.c - helpers shared by the ionode IGT tests.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "igt_track.h"
#include "ionode_test.h"

size_t ionode_page_size(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

uint64_t ionode_round_page(uint64_t size)
{
	uint64_t page = ionode_page_size();

	return (size + page - 1) & ~(page - 1);
}

int igt_ionode_open(void)
{
	int fd = ionode_open();

	igt_require_f(fd >= 0, "no ionode DRM device (%s): is ionode.ko loaded?\n",
		      igt_errno_name(-fd));
	return fd;
}

int igt_ionode_open_card(void)
{
	int fd = ionode_open_card();

	igt_assert_f(fd >= 0, "cannot open the ionode primary node: %s\n",
		     igt_errno_name(-fd));
	return fd;
}

void ionode_get_heaps(int fd, struct ionode_heaps *heaps)
{
	int ret = ionode_query_heaps(fd, &heaps->info, &heaps->count);

	igt_assert_f(ret == 0, "heap query failed: %s\n", igt_errno_name(-ret));
}

void ionode_put_heaps(struct ionode_heaps *heaps)
{
	free(heaps->info);
	heaps->info = NULL;
	heaps->count = 0;
}

const struct drm_ionode_heap_info *ionode_heap(const struct ionode_heaps *h,
					       const char *name)
{
	return ionode_find_heap(h->info, h->count, name);
}

const struct drm_ionode_heap_info *ionode_heap_by_id(const struct ionode_heaps *h,
						     uint32_t id)
{
	uint32_t i;

	for (i = 0; i < h->count; i++)
		if (h->info[i].id == id)
			return &h->info[i];
	return NULL;
}

uint64_t ionode_all_heaps_mask(const struct ionode_heaps *h)
{
	return ionode_heap_mask(h->info, h->count);
}

uint64_t ionode_system_mask(const struct ionode_heaps *h)
{
	const struct drm_ionode_heap_info *sys = ionode_heap(h, "system");

	igt_assert_f(sys, "no heap named \"system\"\n");
	igt_assert_lt(sys->id, IONODE_MAX_HEAPS);
	return 1ull << sys->id;
}

bool ionode_heap_usable(const struct drm_ionode_heap_info *heap, uint64_t size)
{
	if (heap->flags & IONODE_HEAP_RESTRICTED)
		return false;
	if (heap->id >= IONODE_MAX_HEAPS || heap->max_alloc < size)
		return false;
	return heap->free_bytes == IONODE_SIZE_UNKNOWN || heap->free_bytes >= size;
}

bool ionode_heap_fits(const struct drm_ionode_heap_info *heap, uint64_t size,
		      unsigned int count)
{
	size = ionode_round_page(size);
	return ionode_heap_usable(heap, size) &&
	       (heap->free_bytes == IONODE_SIZE_UNKNOWN ||
		heap->free_bytes >= count * size);
}

const struct drm_ionode_heap_info *ionode_contig_heap(const struct ionode_heaps *h,
						      uint64_t size)
{
	uint32_t i;

	for (i = 0; i < h->count; i++)
		if ((h->info[i].flags & IONODE_HEAP_CONTIGUOUS) &&
		    ionode_heap_usable(&h->info[i], size))
			return &h->info[i];
	return NULL;
}

void ionode_bo_create_ex(int fd, struct drm_ionode_create *req)
{
	int ret = ionode_create_ex(fd, req);

	igt_assert_f(ret == 0, "create(size %llu, align %llu, mask %#llx, "
		     "flags %#x) failed: %s\n", (unsigned long long)req->size,
		     (unsigned long long)req->align,
		     (unsigned long long)req->heap_mask, req->flags,
		     igt_errno_name(-ret));
	igt_assert_neq(req->handle, 0);
}

uint32_t ionode_bo_create(int fd, uint64_t size, uint64_t mask, uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size,
		.heap_mask = mask,
		.flags = flags,
	};

	ionode_bo_create_ex(fd, &req);
	return req.handle;
}

void ionode_bo_close(int fd, uint32_t handle)
{
	int ret = ionode_close(fd, handle);

	igt_assert_f(ret == 0, "GEM_CLOSE(%u) failed: %s\n", handle,
		     igt_errno_name(-ret));
}

struct drm_ionode_bo_info ionode_bo_info_get(int fd, uint32_t handle)
{
	struct drm_ionode_bo_info info;
	int ret = ionode_bo_info(fd, handle, &info);

	igt_assert_f(ret == 0, "BO_INFO(%u) failed: %s\n", handle,
		     igt_errno_name(-ret));
	return info;
}

void *ionode_bo_mmap(int fd, uint32_t handle, size_t size, int prot)
{
	void *ptr = NULL;
	int ret = ionode_mmap(fd, handle, size, prot, &ptr);

	igt_assert_f(ret == 0, "mmap of handle %u (%zu bytes) through the DRM "
		     "fd failed: %s\n", handle, size, igt_errno_name(-ret));
	return ptr;
}

int ionode_bo_export(int fd, uint32_t handle)
{
	int dmabuf = -1;
	int ret = ionode_export(fd, handle, &dmabuf);

	igt_assert_f(ret == 0, "export of handle %u failed: %s\n", handle,
		     igt_errno_name(-ret));
	igt_assert_lte(0, dmabuf);
	return dmabuf;
}

uint32_t ionode_bo_import(int fd, int dmabuf)
{
	uint32_t handle = 0;
	int ret = ionode_import(fd, dmabuf, &handle);

	igt_assert_f(ret == 0, "import of dma-buf fd %d failed: %s\n", dmabuf,
		     igt_errno_name(-ret));
	igt_assert_neq(handle, 0);
	return handle;
}

void *dmabuf_mmap(int dmabuf, size_t size, off_t offset, int prot)
{
	void *ptr = mmap(NULL, size, prot, MAP_SHARED, dmabuf, offset);

	igt_assert_f(ptr != MAP_FAILED, "mmap of dma-buf fd %d (%zu bytes at "
		     "%lld) failed: %s\n", dmabuf, size, (long long)offset,
		     igt_errno_name(errno));
	return ptr;
}

void dmabuf_sync(int dmabuf, uint64_t flags)
{
	int ret = ionode_dmabuf_sync(dmabuf, flags);

	igt_assert_f(ret == 0, "DMA_BUF_IOCTL_SYNC(%#llx) failed: %s\n",
		     (unsigned long long)flags, igt_errno_name(-ret));
}

static inline uint32_t pattern_word(uint32_t seed, size_t offset)
{
	uint32_t x = seed * 0x01000193u ^ (uint32_t)(offset / 4 + 1) * 0x9e3779b1u;

	/* Never zero, so a zeroed page never matches by accident. */
	return x ? x : 0x5a5a5a5au;
}

void fill_pattern(void *ptr, size_t size, uint32_t seed, size_t base)
{
	volatile uint32_t *p = ptr;
	size_t i;

	igt_assert(size % 4 == 0 && base % 4 == 0);
	for (i = 0; i < size / 4; i++)
		p[i] = pattern_word(seed, base + i * 4);
}

void __check_pattern(const char *file, int line, const char *func,
		     const void *ptr, size_t size, uint32_t seed, size_t base)
{
	const volatile uint32_t *p = ptr;
	size_t i;

	igt_assert(size % 4 == 0 && base % 4 == 0);
	for (i = 0; i < size / 4; i++) {
		uint32_t want = pattern_word(seed, base + i * 4);
		uint32_t got = p[i];

		if (got != want)
			__igt_fail_assert(file, line, func, 0,
					  "buffer holds the expected pattern",
					  "mismatch at byte offset %zu of %zu: "
					  "expected %#010x, found %#010x\n",
					  base + i * 4, base + size, want, got);
	}
}

void __check_zero(const char *file, int line, const char *func,
		  const void *ptr, size_t size)
{
	const volatile uint8_t *p = ptr;
	size_t i;

	for (i = 0; i < size; i++) {
		if (p[i])
			__igt_fail_assert(file, line, func, 0,
					  "buffer reads as zero",
					  "byte %zu of %zu is %#04x\n", i, size,
					  p[i]);
	}
}

bool same_inode(int fd1, int fd2)
{
	struct stat a, b;

	igt_assert(fstat(fd1, &a) == 0);
	igt_assert(fstat(fd2, &b) == 0);
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void (*fresh_hook)(int fd);

void ionode_set_fresh_hook(void (*hook)(int fd))
{
	fresh_hook = hook;
}

void ionode_fresh_fd(int *fd)
{
	if (*fd >= 0) {
		untrack_fd(*fd);
		close(*fd);
		*fd = -1;
	}
	release_all();
	*fd = igt_ionode_open();
	if (fresh_hook)
		fresh_hook(*fd);
}

struct ionode_mapped ionode_mapped_new(int fd, uint32_t heap_id, size_t size,
				       uint64_t align, uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size,
		.align = align,
		.heap_mask = 1ull << heap_id,
		.flags = flags,
	};
	struct ionode_mapped b;

	ionode_bo_create_ex(fd, &req);
	igt_assert_eq(req.heap_id, heap_id);
	b.handle = req.handle;
	b.size = req.size;
	b.dmabuf = track_fd(ionode_bo_export(fd, req.handle));
	b.ptr = track_map(dmabuf_mmap(b.dmabuf, b.size, 0,
				      PROT_READ | PROT_WRITE), b.size);
	return b;
}

bool ionode_parse_size(const char *s, const char **end, uint64_t *out)
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

bool ionode_carveout_range(unsigned int index, uint64_t *base, uint64_t *size)
{
	char buf[1024];
	const char *p = buf, *end;
	unsigned int i = 0;

	if (ionode_param_read("carveout", buf, sizeof(buf)) || !buf[0] ||
	    strcmp(buf, "(null)") == 0)
		return false;
	while (*p) {
		uint64_t s, b;

		if (!ionode_parse_size(p, &end, &s) || *end != '@')
			return false;
		if (!ionode_parse_size(end + 1, &end, &b))
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

struct ionode_usage ionode_usage_now(int fd)
{
	struct ionode_heaps h;
	struct ionode_usage u = { 0 };
	uint32_t i;

	ionode_get_heaps(fd, &h);
	u.count = h.count;
	for (i = 0; i < h.count; i++)
		u.used[i] = h.info[i].used_bytes;
	ionode_put_heaps(&h);
	return u;
}

void ionode_assert_usage_back(int fd, const struct ionode_usage *before)
{
	struct ionode_heaps h;
	uint32_t i;

	ionode_get_heaps(fd, &h);
	igt_assert_eq(h.count, before->count);
	for (i = 0; i < h.count; i++)
		igt_assert_f(h.info[i].used_bytes == before->used[i],
			     "heap %s: used_bytes %llu after, %llu before\n",
			     h.info[i].name,
			     (unsigned long long)h.info[i].used_bytes,
			     (unsigned long long)before->used[i]);
	ionode_put_heaps(&h);
}

int ionode_debugfs_lines_of(const char *name, pid_t pid)
{
	char dir[512], path[600], line[512];
	int n = 0;
	FILE *f;

	if (!ionode_find_debugfs(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL;
		int col = 0;

		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), col++)
			if (col == 1) {
				n += atoi(tok) == pid;
				break;
			}
	}
	fclose(f);
	return n;
}

/* Column @name's index in the header line @cols (of @n), or -1. */
static int col_index(char **cols, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

static int split_cols(char *line, char **cols, int max)
{
	int n = 0;
	char *save, *t;

	for (t = strtok_r(line, " \t\n", &save); t && n < max;
	     t = strtok_r(NULL, " \t\n", &save))
		cols[n++] = t;
	return n;
}

bool ionode_client_usage(pid_t pid, const char *heap,
			 struct ionode_client_usage *u)
{
	char dir[512], path[600], line[512], *cols[32];
	int n, cpid = -1, cstate = -1, cheap = -1, cbytes = -1, cbufs = -1;
	FILE *f;

	memset(u, 0, sizeof(*u));
	if (!ionode_find_debugfs(dir, sizeof(dir)))
		return false;
	snprintf(path, sizeof(path), "%s/ionode_clients", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		n = split_cols(line, cols, 32);
		if (cpid < 0) {
			cpid = col_index(cols, n, "pid");
			cstate = col_index(cols, n, "state");
			cheap = col_index(cols, n, "heap");
			cbytes = col_index(cols, n, "bytes");
			cbufs = col_index(cols, n, "buffers");
			igt_assert_f(cpid >= 0 && cstate >= 0 && cheap >= 0 &&
				     cbytes >= 0 && cbufs >= 0,
				     "unexpected header in %s\n", path);
			continue;
		}
		if (n <= cpid || n <= cstate || n <= cheap || n <= cbytes ||
		    n <= cbufs || !strcmp(cols[cheap], "(imported)") ||
		    (heap && strcmp(cols[cheap], heap)))
			continue;
		if (!strcmp(cols[cstate], "kernel"))
			u->kernel_bytes += strtoull(cols[cbytes], NULL, 0);
		else if (atoi(cols[cpid]) == pid) {
			u->bytes += strtoull(cols[cbytes], NULL, 0);
			u->buffers += strtoull(cols[cbufs], NULL, 0);
		}
	}
	fclose(f);
	return true;
}

int igt_open_vgem(void)
{
	int v = ionode_open_driver("vgem", DRM_NODE_PRIMARY);

	if (v < 0 && igt_modprobe("vgem"))
		v = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	return v;
}

uint64_t ionode_heap_used(int fd, const char *name)
{
	struct ionode_heaps now;
	const struct drm_ionode_heap_info *h;
	uint64_t used;

	ionode_get_heaps(fd, &now);
	h = ionode_heap(&now, name);
	igt_assert_f(h, "heap %s disappeared\n", name);
	used = h->used_bytes;
	ionode_put_heaps(&now);
	return used;
}

bool igt_modprobe(const char *name)
{
	char path[128], cmd[160];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (access(path, F_OK) == 0)
		return true;
	if (geteuid() != 0)
		return false;
	snprintf(cmd, sizeof(cmd), "modprobe -q %s 2>/dev/null", name);
	ret = system(cmd);
	igt_debug("modprobe %s: %d\n", name, ret);
	return access(path, F_OK) == 0;
}

uint64_t ionode_total_used(int fd)
{
	struct ionode_heaps now;
	uint64_t used = 0;
	uint32_t i;

	ionode_get_heaps(fd, &now);
	for (i = 0; i < now.count; i++)
		used += now.info[i].used_bytes;
	ionode_put_heaps(&now);
	return used;
}

int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(f);
		return -err;
	}
	buf[n] = '\0';
	close(f);
	return 0;
}

int ionode_param_read(const char *name, char *buf, size_t len)
{
	char path[256];
	size_t l;
	int ret;

	snprintf(path, sizeof(path), IONODE_PARAM_DIR "/%s", name);
	ret = read_text(path, buf, len);
	if (ret)
		return ret;
	l = strlen(buf);
	while (l && buf[l - 1] == '\n')
		buf[--l] = '\0';
	return 0;
}

int write_text(const char *path, const char *val)
{
	const char *data = *val ? val : "\n";
	ssize_t n;
	int f, err = 0;

	f = open(path, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = write(f, data, strlen(data));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(data))
		err = -EIO;
	close(f);
	return err;
}

int ionode_param_write(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), IONODE_PARAM_DIR "/%s", name);
	return write_text(path, val);
}

void ionode_param_set(const char *name, const char *val)
{
	int ret = ionode_param_write(name, val);

	igt_assert_f(ret == 0, "writing \"%s\" to %s failed: %s\n", val, name,
		     igt_errno_name(-ret));
}

void dmabuf_rewrite(int dmabuf, size_t size, uint32_t old_seed,
		    uint32_t new_seed)
{
	void *p = dmabuf_mmap(dmabuf, size, 0, PROT_READ | PROT_WRITE);

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_pattern(p, size, old_seed, 0);
	fill_pattern(p, size, new_seed, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, size);
}

bool ionode_find_debugfs(char *dir, size_t len)
{
	DIR *d;
	struct dirent *e;
	bool found = false;

	if (access(IONODE_DEBUGFS_DRI, F_OK) != 0 && geteuid() == 0)
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir(IONODE_DEBUGFS_DRI);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char path[600], name[256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), IONODE_DEBUGFS_DRI "/%s/name",
			 e->d_name);
		if (read_text(path, name, sizeof(name)) || !strstr(name, "ionode"))
			continue;
		snprintf(path, sizeof(path), IONODE_DEBUGFS_DRI "/%s/ionode_heaps",
			 e->d_name);
		if (access(path, R_OK) != 0)
			continue;
		snprintf(dir, len, IONODE_DEBUGFS_DRI "/%s", e->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

void become_user(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	igt_assert_eq(setgroups(n, groups), 0);
	igt_assert_eq(setgid(gid), 0);
	igt_assert_eq(setuid(uid), 0);
	igt_assert_neq(setuid(0), 0);	/* really dropped */
	/* Changing uids made /proc/self root's; the id maps need it ours. */
	igt_assert_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
}

/* A one-byte message with room for one fd; @ctrl is zeroed. */
static void fd_msg(struct msghdr *msg, struct iovec *iov, char *byte,
		   char *ctrl, size_t ctrl_len)
{
	*iov = (struct iovec){ .iov_base = byte, .iov_len = 1 };
	memset(ctrl, 0, ctrl_len);
	*msg = (struct msghdr){
		.msg_iov = iov,
		.msg_iovlen = 1,
		.msg_control = ctrl,
		.msg_controllen = ctrl_len,
	};
}

void send_fd(int sock, int sendfd)
{
	char ctrl[CMSG_SPACE(sizeof(int))];
	char byte = 'F';
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;

	fd_msg(&msg, &iov, &byte, ctrl, sizeof(ctrl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sendfd, sizeof(int));
	igt_assert_eq(sendmsg(sock, &msg, 0), 1);
}

int recv_fd(int sock)
{
	char ctrl[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	int rfd;

	fd_msg(&msg, &iov, &byte, ctrl, sizeof(ctrl));
	igt_assert_eq(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1);
	c = CMSG_FIRSTHDR(&msg);
	igt_assert(c && c->cmsg_level == SOL_SOCKET &&
		   c->cmsg_type == SCM_RIGHTS);
	memcpy(&rfd, CMSG_DATA(c), sizeof(int));
	return rfd;
}

int64_t ionode_fdinfo_value(int f, const char *key)
{
	char path[64], text[4096], k[96], *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	snprintf(k, sizeof(k), "\n%s:", key);
	p = strstr(text, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

uint64_t ionode_fdinfo_kib(int f, const char *heap)
{
	char key[64];
	int64_t v;

	snprintf(key, sizeof(key), "drm-memory-%s", heap);
	v = ionode_fdinfo_value(f, key);
	return v < 0 ? 0 : (uint64_t)v;
}

uint64_t ionode_heap_bit(const struct ionode_heaps *h, const char *name)
{
	const struct drm_ionode_heap_info *heap = ionode_heap(h, name);

	return heap ? 1ull << heap->id : 0;
}

uint32_t ionode_heap_id_of(const struct ionode_heaps *h, const char *name)
{
	const struct drm_ionode_heap_info *heap = ionode_heap(h, name);

	igt_assert_f(heap, "no heap %s\n", name);
	return heap->id;
}
