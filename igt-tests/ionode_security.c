// SPDX-License-Identifier: MIT
/*
 * ionode_security - privilege and resource boundaries.
 *
 * restricted-userns: restricted_gid and CAP_SYS_ADMIN are judged in the
 *	initial user namespace: an unprivileged user who maps the restricted
 *	group onto its own gid in a user namespace of its own, or is root
 *	there, is still refused a restricted heap; a real member of the
 *	group is served.
 * memcg-charge: buffers are charged to the allocating task's memory
 *	cgroup (cgroup v2): memory.current grows by their size and shrinks
 *	when they are freed (at the latest when the cgroup's pool of freed
 *	memory has been idle for a second), and memory.max turns into ENOMEM for the
 *	allocator, never into the OOM killer.
 * memcg-importer, memcg-importer-vgem: the charge stays with the cgroup
 *	while a process outside it (through a dma-buf fd passed over a
 *	socket) or vgem (through an import) holds the buffer, even after the
 *	allocating process exited, and leaves with the last reference.
 * memcg-deferred: a deferred buffer created in the cgroup costs it nothing
 *	until its first use, by a process outside it, which charges the
 *	cgroup (the creator's), until the last reference goes.
 * memcg-pool-own: freed memory waits in the pool of the cgroup it is
 *	charged to; an allocation from another cgroup does not take it, one
 *	from the same cgroup does, without being charged again.
 * memcg-pool-limit: a cgroup whose memory.max is taken by its own pooled
 *	memory still gets a buffer: its pool is given back first.
 * cred-fd-passing: a restricted-heap buffer root hands to an unprivileged
 *	process stays usable there (mmap, sync, import), yet that process
 *	cannot allocate from the restricted heap itself.
 *
 * Everything needs root (module parameters, cgroups, changing uids); the
 * unprivileged side is a forked child that drops to uid/gid 1000.
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>

#include "ionode_test.h"

#define MiB		(1024ull * 1024)
#define RW		(PROT_READ | PROT_WRITE)

#define USER_ID		1000	/* the unprivileged user (uid and gid) */
#define VIDEO_GID	44	/* the restricted group */
#define CGROUP_ROOT	"/sys/fs/cgroup"

static int fd = -1;
static struct ionode_heaps heaps;
static uint64_t used_at_start;

/* ---- module parameters, saved once and restored before every subtest ---- */

static const char *const params[] = { "restricted_heaps", "restricted_gid" };
static char saved[2][256];
static bool params_saved;

static void restore_params(void)
{
	unsigned int i;

	for (i = 0; params_saved && i < 2; i++)
		ionode_param_set(params[i], saved[i]);
}

static void require_params(void)
{
	igt_require_f(params_saved && geteuid() == 0,
		      "needs root and ionode's writable module parameters\n");
}

/* ---- cgroup v2 ------------------------------------------------------------ */

static char cg[256];	/* the test's cgroup, "" when there is none */

/* @file of the test's cgroup as a number (asserts). */
static uint64_t cg_u64(const char *file)
{
	char path[320], text[64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	return strtoull(text, NULL, 10);
}

/* The value of @key in the test cgroup's memory.events (asserts). */
static uint64_t cg_event(const char *key)
{
	char path[320], text[512], *p;
	size_t l = strlen(key);

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, l) && p[l] == ' ')
			return strtoull(p + l + 1, NULL, 10);
	igt_assert_f(0, "no %s in memory.events\n", key);
	return 0;
}

static void cg_write(const char *file, const char *val)
{
	char path[320];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	ret = write_text(path, val);
	igt_assert_f(ret == 0, "writing \"%s\" to %s: %s\n", val, path,
		     igt_errno_name(-ret));
}

static void cg_remove(void)
{
	if (cg[0] && rmdir(cg) && errno != ENOENT)
		igt_warn("cannot remove %s: %s\n", cg, igt_errno_name(errno));
	cg[0] = '\0';
}

/*
 * A fresh child cgroup with the memory controller, under the cgroup v2
 * root (mounted here if nothing is mounted there: the test VM). Skips
 * without cgroup v2 or its memory controller, and on a v1 or hybrid
 * hierarchy.
 */
static void cg_create(void)
{
	struct statfs st;
	char ctl[256];

	igt_require_f(geteuid() == 0, "needs root\n");
	if (statfs(CGROUP_ROOT, &st) == 0 && st.f_type == SYSFS_MAGIC)
		mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL);
	igt_require_f(read_text(CGROUP_ROOT "/cgroup.controllers", ctl,
				sizeof(ctl)) == 0,
		      "no cgroup v2 hierarchy at " CGROUP_ROOT "\n");
	igt_require_f(strstr(ctl, "memory"), "cgroup v2 has no memory "
		      "controller (controllers: %s)\n", ctl);
	igt_assert_eq(write_text(CGROUP_ROOT "/cgroup.subtree_control",
				 "+memory"), 0);
	snprintf(cg, sizeof(cg), CGROUP_ROOT "/ionode-security-%d", getpid());
	igt_assert_f(mkdir(cg, 0755) == 0, "mkdir %s: %s\n", cg,
		     igt_errno_name(errno));
}

/* ---- children ------------------------------------------------------------- */

/*
 * Parent (end 0) and child (end 1) take turns over a socket pair: go()
 * tells the other side to go on, wait_turn() waits for it to say so, and
 * step() does both. Each closes the other's end after the fork (see
 * own_end()), so a side that dies ends the other's wait with EOF.
 */
static int sv[2] = { -1, -1 };

static void go(int mine)
{
	igt_assert_eq(write(sv[mine], "s", 1), 1);
}

static void wait_turn(int mine)
{
	char b;

	igt_assert_f(read(sv[mine], &b, 1) == 1, "the other side is gone\n");
}

static void step(int mine)
{
	go(mine);
	wait_turn(mine);
}

static void open_pair(void)
{
	igt_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* Keeps only end @mine of the pair open. */
static void own_end(int mine)
{
	close(sv[!mine]);
	sv[!mine] = -1;
}

static void close_pair(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	sv[0] = sv[1] = -1;
}

/* In a child: become uid/gid USER_ID with supplementary @groups only. */
static void become(const gid_t *groups, size_t n)
{
	become_user(USER_ID, USER_ID, groups, n);
}

/*
 * In a child: enter a new user namespace with one uid and one gid mapped
 * (as `unshare -U --map-user=UID --map-group=GID`); -errno if unshare()
 * is refused.
 */
static int enter_userns(uid_t uid, gid_t gid)
{
	char map[64];

	if (unshare(CLONE_NEWUSER))
		return -errno;
	igt_assert_eq(write_text("/proc/self/setgroups", "deny"), 0);
	snprintf(map, sizeof(map), "%u %u 1", uid, USER_ID);
	igt_assert_eq(write_text("/proc/self/uid_map", map), 0);
	snprintf(map, sizeof(map), "%u %u 1", gid, USER_ID);
	igt_assert_eq(write_text("/proc/self/gid_map", map), 0);
	igt_assert_eq(getuid(), uid);
	igt_assert_eq(getgid(), gid);
	return 0;
}

/* Can USER_ID create a user namespace here? Not in a chroot, for one. */
static int userns_errno(void)
{
	int status;
	pid_t pid = fork();

	igt_assert(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(USER_ID) || setuid(USER_ID))
			_exit(255);
		_exit(unshare(CLONE_NEWUSER) ? errno : 0);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255);
	return WEXITSTATUS(status);
}

/* ---- buffers ------------------------------------------------------------- */

static uint32_t heap_id(const char *name)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, name);

	igt_require_f(h, "no %s heap\n", name);
	return h->id;
}

/* CREATE of @size bytes from heap @heap; 0 or -errno, *@handle set on 0. */
static int create_flags(int f, uint64_t size, uint32_t heap, uint32_t flags,
			uint32_t *handle)
{
	struct drm_ionode_create c = {
		.size = size, .heap_mask = 1ull << heap, .flags = flags,
	};

	if (drmIoctl(f, DRM_IOCTL_IONODE_CREATE, &c))
		return -errno;
	igt_assert_eq(c.heap_id, (flags & IONODE_BO_DEFERRED) ?
		      IONODE_HEAP_ID_NONE : heap);
	igt_assert_eq_u64(c.size, ionode_round_page(size));
	*handle = c.handle;
	return 0;
}

static int create(int f, uint64_t size, uint32_t heap, uint32_t *handle)
{
	return create_flags(f, size, heap, 0, handle);
}

/* carveout0 made restricted to CAP_SYS_ADMIN and group VIDEO_GID. */
static uint32_t restrict_carveout0(void)
{
	const struct drm_ionode_heap_info *co = ionode_heap(&heaps, "carveout0");
	char gid[16];

	require_params();
	igt_require_f(co && ionode_heap_usable(co, MiB),
		      "no usable carveout0 (boot with a memmap= carveout)\n");
	snprintf(gid, sizeof(gid), "%d", VIDEO_GID);
	ionode_param_set("restricted_heaps", "carveout0");
	ionode_param_set("restricted_gid", gid);
	return co->id;
}

/* ---- restricted-userns ---------------------------------------------------- */

static void test_restricted_userns(void)
{
	const gid_t video = VIDEO_GID;
	uint32_t co = restrict_carveout0();
	int err = userns_errno();

	igt_require_f(err == 0, "uid %d cannot create a user namespace (%s): "
		      "in a chroot, a kernel without CONFIG_USER_NS, or user "
		      "namespaces disabled\n", USER_ID, igt_errno_name(err));

	igt_fork(child, 1) {	/* not in the group */
		uint32_t h;

		become(NULL, 0);
		igt_assert_errno(create(fd, MiB, co, &h), EPERM);
	}
	igt_waitchildren();

	igt_fork(child, 1) {	/* maps the group onto its own gid */
		uint32_t h;

		become(NULL, 0);
		igt_assert_eq(enter_userns(USER_ID, VIDEO_GID), 0);
		igt_assert_errno(create(fd, MiB, co, &h), EPERM);
	}
	igt_waitchildren();

	igt_fork(child, 1) {	/* root of its own namespace */
		uint32_t h;

		become(NULL, 0);
		igt_assert_eq(enter_userns(0, 0), 0);
		igt_assert_errno(create(fd, MiB, co, &h), EPERM);
	}
	igt_waitchildren();

	igt_fork(child, 1) {	/* a real member of the group */
		uint32_t h;

		become(&video, 1);
		igt_assert_eq(create(fd, MiB, co, &h), 0);
		ionode_bo_close(fd, h);
	}
	igt_waitchildren();
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/* ---- memcg ---------------------------------------------------------------- */

/* memory.current must have grown by at least 30 of 32 MiB over @base. */
static void assert_charged(uint64_t base, const char *when)
{
	uint64_t cur = cg_u64("memory.current");

	igt_assert_f(cur >= base + 30 * MiB, "%s: memory.current %" PRIu64
		     " KiB, %" PRIu64 " KiB before: a 32 MiB buffer is not "
		     "charged to its cgroup\n", when, cur >> 10, base >> 10);
}

/*
 * memory.current must be back within 2 MiB of @base, at once or within
 * 3 s: freed memory may wait in the cgroup's own pool, charged to it,
 * until the pool has been unused for a second (ionode_pool.c).
 */
static void assert_uncharged(uint64_t base, const char *when)
{
	uint64_t cur = cg_u64("memory.current");
	int i;

	for (i = 0; i < 60 && cur > base + 2 * MiB; i++) {
		usleep(50 * 1000);
		cur = cg_u64("memory.current");
	}
	igt_assert_f(cur <= base + 2 * MiB, "%s: memory.current %" PRIu64
		     " KiB, %" PRIu64 " KiB before: the charge stayed for 3 s\n",
		     when, cur >> 10, base >> 10);
	if (i)
		igt_info("%s: charge gone after %d ms (pooled until then)\n",
			 when, i * 50);
}

/* In a forked child: move into the test cgroup, open a DRM fd of its own. */
static int join_cgroup(void)
{
	cg_write("cgroup.procs", "0");
	return igt_ionode_open();
}

/*
 * Allocates @size-byte system buffers until ENOMEM or @limit bytes; returns
 * the bytes allocated; the handles go to @h (@max of them).
 */
static uint64_t fill(int f, uint64_t size, uint64_t limit, uint32_t *h,
		     int max, int *n)
{
	uint64_t total = 0;
	int ret = 0;

	for (*n = 0; total < limit && *n < max; total += size, (*n)++) {
		ret = create(f, size, heap_id("system"), &h[*n]);
		if (ret)
			break;
	}
	igt_assert_f(ret == -ENOMEM, "allocated %" PRIu64 " MiB in %" PRIu64
		     " MiB buffers in a cgroup with memory.max=64M: %s\n",
		     total >> 20, size >> 20,
		     ret ? igt_errno_name(-ret) : "no ENOMEM");
	return total;
}

static void test_memcg_charge(void)
{
	static const uint64_t sizes[] = { 4 * MiB, 32 * MiB };
	uint64_t base;
	unsigned int i;

	cg_create();
	open_pair();
	igt_fork(child, 1) {
		uint32_t h[64];
		int f = join_cgroup(), n, k;

		own_end(1);
		step(1);			/* 1: in the cgroup */
		igt_assert_eq(create(f, 32 * MiB, heap_id("system"), h), 0);
		step(1);			/* 2: 32 MiB allocated */
		ionode_bo_close(f, h[0]);
		step(1);			/* 3: freed; memory.max set */
		for (i = 0; i < 2; i++) {
			uint64_t got = fill(f, sizes[i], 256 * MiB, h, 64, &n);

			igt_assert_lte_u64(got, 64 * MiB);
			igt_info("memory.max=64M: ENOMEM after %" PRIu64
				 " MiB in %" PRIu64 " MiB buffers\n", got >> 20,
				 sizes[i] >> 20);
			step(1);		/* 4, 6: full */
			for (k = 0; k < n; k++)
				ionode_bo_close(f, h[k]);
			step(1);		/* 5, 7: freed */
		}
		close(f);
	}
	own_end(0);
	wait_turn(0);
	base = cg_u64("memory.current");
	step(0);
	assert_charged(base, "after allocating");
	step(0);
	assert_uncharged(base, "after freeing");
	cg_write("memory.max", "64M");
	step(0);
	for (i = 0; i < 2; i++) {
		igt_assert_lte_u64(cg_u64("memory.current"), 64 * MiB);
		igt_assert_eq_u64(cg_event("oom_kill"), 0);
		step(0);
		assert_uncharged(base, "after freeing what memory.max allowed");
		if (i == 0)
			step(0);
		else
			go(0);
	}
	igt_waitchildren();
	igt_assert_eq_u64(cg_event("oom_kill"), 0);
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/*
 * A child in the cgroup allocates 32 MiB and sends its dma-buf to this
 * process (outside the cgroup), then exits. With @vgem >= 0 this process
 * hands the buffer on to vgem and closes the fd. Returns the fd, or the
 * vgem handle. With IONODE_BO_DEFERRED in @flags, the buffer has no memory
 * when the child leaves: this process's first use (a SYNC) must charge the
 * child's cgroup, the creator's, not this process's.
 */
static int charge_and_leave(int vgem, uint32_t flags)
{
	int dmabuf;

	cg_create();
	open_pair();
	igt_fork(child, 1) {
		uint32_t h;
		int f = join_cgroup(), d;

		own_end(1);
		wait_turn(1);
		igt_assert_eq(create_flags(f, 32 * MiB, heap_id("system"),
					   flags, &h), 0);
		d = ionode_bo_export(f, h);
		send_fd(sv[1], d);
		close(d);
		close(f);	/* the dma-buf alone holds the buffer */
	}
	own_end(0);
	go(0);
	dmabuf = recv_fd(sv[0]);
	igt_waitchildren();
	igt_assert_eq(cg_u64("cgroup.procs"), 0);	/* empty file */
	if (flags & IONODE_BO_DEFERRED) {
		igt_assert_f(cg_u64("memory.current") < 2 * MiB,
			     "deferred buffer charged before its first use: %"
			     PRIu64 " KiB\n", cg_u64("memory.current") >> 10);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	}
	assert_charged(0, "held by another process after the allocator exited");
	if (vgem < 0)
		return dmabuf;
	{
		struct drm_prime_handle p = { .fd = dmabuf };

		do_ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
		close(dmabuf);
		assert_charged(0, "held by vgem alone");
		return (int)p.handle;
	}
}

static void test_memcg_importer(void)
{
	int dmabuf = charge_and_leave(-1, 0);
	void *p = dmabuf_mmap(dmabuf, 32 * MiB, 0, RW);

	/* Still the same buffer, and usable. */
	memset(p, 0x5a, MiB);
	munmap(p, 32 * MiB);
	assert_charged(0, "after mapping from outside the cgroup");
	close(dmabuf);
	assert_uncharged(0, "after the last reference went");
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

static void test_memcg_importer_vgem(void)
{
	int vgem = igt_open_vgem();
	struct drm_gem_close gc = { 0 };

	igt_require_f(vgem >= 0, "no vgem\n");
	gc.handle = (uint32_t)charge_and_leave(vgem, 0);
	do_ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	assert_uncharged(0, "after vgem let go");
	close(vgem);
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

static void test_memcg_deferred(void)
{
	int dmabuf = charge_and_leave(-1, IONODE_BO_DEFERRED);

	close(dmabuf);
	assert_uncharged(0, "after the last reference went");
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/* ---- memcg and the pools -------------------------------------------------- */

/*
 * Bytes the system heap's pools hold for the cgroup with inode @ino, from
 * debugfs' ionode_pools (lines "<ino> <wb|wc> <chunks...> <bytes>"); 0
 * when it has no set. Waits until no freed memory awaits zeroing first.
 */
static uint64_t pool_bytes_of(uint64_t ino)
{
	char path[600], text[8192], *line;
	uint64_t total = 0;
	int i;

	igt_require_f(ionode_find_debugfs(path, sizeof(path)),
		      "no ionode debugfs\n");
	strncat(path, "/ionode_pools", sizeof(path) - strlen(path) - 1);
	for (i = 0; i < 100; i++) {
		igt_assert_eq(read_text(path, text, sizeof(text)), 0);
		if (strstr(text, " dirty 0 "))
			break;
		usleep(20 * 1000);
	}
	igt_assert_f(i < 100, "the pools' worker never zeroed: %s\n", text);
	for (line = strchr(text, '\n'); line; line = strchr(line, '\n')) {
		char *end, *last;

		line++;
		if (strtoull(line, &end, 10) != ino || end == line || *end != ' ')
			continue;
		last = strchr(line, '\n');
		if (last)
			*last = '\0';
		total += strtoull(strrchr(line, ' ') + 1, NULL, 10);
		if (last)
			*last = '\n';
	}
	return total;
}

/*
 * Freed memory waits in the pool of the cgroup it is charged to and only
 * that cgroup gets it back: an allocation from outside leaves it there,
 * one from inside takes it without a new charge.
 */
static void test_memcg_pool_own(void)
{
	uint64_t base, ino, held;
	struct stat st;
	uint32_t h;

	cg_create();
	igt_assert_eq(stat(cg, &st), 0);
	ino = st.st_ino;
	open_pair();
	igt_fork(child, 1) {
		int f = join_cgroup();

		own_end(1);
		step(1);			/* 1: in the cgroup */
		igt_assert_eq(create(f, 32 * MiB, heap_id("system"), &h), 0);
		ionode_bo_close(f, h);
		step(1);			/* 2: freed into its pool */
		igt_assert_eq(create(f, 32 * MiB, heap_id("system"), &h), 0);
		step(1);			/* 3: allocated again */
		ionode_bo_close(f, h);
		close(f);
		go(1);
	}
	own_end(0);
	wait_turn(0);
	base = cg_u64("memory.current");
	step(0);
	held = pool_bytes_of(ino);
	igt_assert_f(held >= 30 * MiB, "the cgroup's freed 32 MiB are not in "
		     "its pool: %" PRIu64 " KiB\n", held >> 10);
	assert_charged(base, "pooled");
	/* Root allocates the same: it must not take the cgroup's pages. */
	igt_assert_eq(create(fd, 32 * MiB, heap_id("system"), &h), 0);
	igt_assert_eq_u64(pool_bytes_of(ino), held);
	ionode_bo_close(fd, h);
	step(0);
	/* The cgroup took its own pool back, without a new charge. */
	igt_assert_f(pool_bytes_of(ino) < 2 * MiB, "the cgroup did not reuse "
		     "its pool: %" PRIu64 " KiB left\n", pool_bytes_of(ino) >> 10);
	igt_assert_f(cg_u64("memory.current") <= base + 34 * MiB,
		     "reusing its pool charged the cgroup again: %" PRIu64
		     " KiB\n", cg_u64("memory.current") >> 10);
	go(0);
	wait_turn(0);
	igt_waitchildren();
	assert_uncharged(0, "after the cgroup's pool was idle");
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/*
 * A cgroup whose limit is taken by its own pool still gets memory: the
 * refused charge gives its pool back and the allocation is retried.
 */
static void test_memcg_pool_limit(void)
{
	open_pair();
	cg_create();
	cg_write("memory.max", "64M");
	igt_fork(child, 1) {
		int f = join_cgroup();
		uint32_t h;

		own_end(1);
		/* Write-combined into the pool, then cached: no reuse. */
		igt_assert_eq(create(f, 48 * MiB, heap_id("system"), &h), 0);
		ionode_bo_close(f, h);
		igt_assert_eq(create_flags(f, 48 * MiB, heap_id("system"),
					   IONODE_BO_CACHED, &h), 0);
		ionode_bo_close(f, h);
		close(f);
		go(1);
	}
	own_end(0);
	wait_turn(0);
	igt_waitchildren();
	igt_assert_eq_u64(cg_event("oom_kill"), 0);
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/* ---- cred-fd-passing ------------------------------------------------------ */

static void test_cred_fd_passing(void)
{
	uint32_t co = restrict_carveout0(), h;
	int dmabuf;
	void *p;

	igt_assert_eq(create(fd, MiB, co, &h), 0);	/* root may */
	dmabuf = ionode_bo_export(fd, h);
	p = dmabuf_mmap(dmabuf, MiB, 0, RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(p, MiB, 1, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	open_pair();

	igt_fork(child, 1) {
		int f = igt_ionode_open(), d;	/* opened before dropping root */
		struct drm_ionode_bo_info info;
		uint32_t mine, other;
		void *q;

		own_end(1);
		become(NULL, 0);
		d = recv_fd(sv[1]);
		dmabuf_rewrite(d, MiB, 1, 2);

		mine = ionode_bo_import(f, d);	/* importing is not allocating */
		info = ionode_bo_info_get(f, mine);
		igt_assert_eq_u64(info.size, MiB);
		q = ionode_bo_mmap(f, mine, MiB, PROT_READ);
		check_pattern(q, MiB, 2, 0);
		munmap(q, MiB);

		igt_assert_errno(create(f, MiB, co, &other), EPERM);
		igt_assert_errno(create(fd, MiB, co, &other), EPERM);
		ionode_bo_close(f, mine);
		close(d);
		close(f);
	}
	own_end(0);
	send_fd(sv[0], dmabuf);
	igt_waitchildren();
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, MiB, 2, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, MiB);
	close(dmabuf);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(ionode_total_used(fd), used_at_start);
}

/* ---- main ------------------------------------------------------------------ */

/* Before every subtest, on the new fd: what a failed one left behind. */
static void fresh(int f)
{
	close_pair();
	restore_params();
	cg_remove();
	used_at_start = ionode_total_used(f);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		unsigned int i;

		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		ionode_set_fresh_hook(fresh);
		params_saved = true;
		for (i = 0; i < 2; i++)
			params_saved &= ionode_param_read(params[i], saved[i],
							  sizeof(saved[i])) == 0;
	}

	subtest("restricted-userns")
		test_restricted_userns();
	subtest("memcg-charge")
		test_memcg_charge();
	subtest("memcg-importer")
		test_memcg_importer();
	subtest("memcg-importer-vgem")
		test_memcg_importer_vgem();
	subtest("memcg-deferred")
		test_memcg_deferred();
	subtest("memcg-pool-own")
		test_memcg_pool_own();
	subtest("memcg-pool-limit")
		test_memcg_pool_limit();
	subtest("cred-fd-passing")
		test_cred_fd_passing();

	igt_fixture {
		close_pair();
		restore_params();
		cg_remove();
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
