/* SPDX-License-Identifier: MIT */
/*
 * ionode_test.h - helpers shared by the ionode IGT tests.
 *
 * Each helper asserts (igt_assert) that the operation it wraps succeeded, so
 * a test only spells out the calls whose failure it is checking; those it
 * issues raw, with do_ioctl_err().
 */
#ifndef IONODE_TEST_H
#define IONODE_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xf86drm.h>

#include "igt.h"
#include "libionode.h"

/** struct ionode_heaps - a heap list from ionode_get_heaps() */
struct ionode_heaps {
	struct drm_ionode_heap_info *info;
	uint32_t count;
};

/** ionode_page_size - the CPU page size */
size_t ionode_page_size(void);

/** ionode_round_page - @size rounded up to the page size */
uint64_t ionode_round_page(uint64_t size);

/**
 * igt_ionode_open - open the ionode render node, skipping (igt_require)
 * when there is no ionode device, e.g. when the module is not loaded.
 */
int igt_ionode_open(void);

/** igt_ionode_open_card - open the ionode primary node (asserts) */
int igt_ionode_open_card(void);

/** ionode_get_heaps - query the heaps (asserts); free with ionode_put_heaps */
void ionode_get_heaps(int fd, struct ionode_heaps *heaps);
void ionode_put_heaps(struct ionode_heaps *heaps);

/** ionode_heap - the heap named @name, or NULL */
const struct drm_ionode_heap_info *ionode_heap(const struct ionode_heaps *h,
					       const char *name);

/** ionode_heap_bit - the heap-mask bit of heap @name, 0 when there is none */
uint64_t ionode_heap_bit(const struct ionode_heaps *h, const char *name);

/** ionode_heap_id_of - the id of heap @name, which must exist (asserts) */
uint32_t ionode_heap_id_of(const struct ionode_heaps *h, const char *name);

/** ionode_heap_by_id - the heap with id @id, or NULL */
const struct drm_ionode_heap_info *ionode_heap_by_id(const struct ionode_heaps *h,
						     uint32_t id);

/** ionode_total_used - sum of used_bytes over every heap (asserts) */
uint64_t ionode_total_used(int fd);

/** ionode_all_heaps_mask - mask naming every listed heap */
uint64_t ionode_all_heaps_mask(const struct ionode_heaps *h);

/** ionode_system_mask - mask naming the "system" heap only (asserts it exists) */
uint64_t ionode_system_mask(const struct ionode_heaps *h);

/**
 * ionode_heap_usable - can a test allocate @size bytes from @heap?
 * Not restricted, max_alloc >= @size, free bytes unknown or >= @size.
 */
bool ionode_heap_usable(const struct drm_ionode_heap_info *heap, uint64_t size);

/**
 * ionode_heap_fits - can a test allocate @count buffers of @size bytes
 * (rounded up to pages) from @heap? ionode_heap_usable() for each, and
 * free bytes unknown or enough for all of them.
 */
bool ionode_heap_fits(const struct drm_ionode_heap_info *heap, uint64_t size,
		      unsigned int count);

/**
 * ionode_contig_heap - first listed heap with IONODE_HEAP_CONTIGUOUS that
 * can serve @size bytes, or NULL
 */
const struct drm_ionode_heap_info *ionode_contig_heap(const struct ionode_heaps *h,
						      uint64_t size);

/** ionode_bo_create - create a buffer (asserts); returns the handle */
uint32_t ionode_bo_create(int fd, uint64_t size, uint64_t mask, uint32_t flags);

/** ionode_bo_create_ex - create with a filled request (asserts success) */
void ionode_bo_create_ex(int fd, struct drm_ionode_create *req);

/** ionode_bo_close - GEM_CLOSE (asserts) */
void ionode_bo_close(int fd, uint32_t handle);

/** ionode_bo_info_get - bo_info (asserts) */
struct drm_ionode_bo_info ionode_bo_info_get(int fd, uint32_t handle);

/** ionode_bo_mmap - map @size bytes of a buffer through the DRM fd (asserts) */
void *ionode_bo_mmap(int fd, uint32_t handle, size_t size, int prot);

/** ionode_bo_export - export as dma-buf (DRM_CLOEXEC | DRM_RDWR, asserts) */
int ionode_bo_export(int fd, uint32_t handle);

/** ionode_bo_import - import a dma-buf fd (asserts); returns the handle */
uint32_t ionode_bo_import(int fd, int dmabuf);

/** dmabuf_mmap - map @size bytes of a dma-buf fd from @offset (asserts) */
void *dmabuf_mmap(int dmabuf, size_t size, off_t offset, int prot);

/** dmabuf_sync - DMA_BUF_IOCTL_SYNC (asserts success) */
void dmabuf_sync(int dmabuf, uint64_t flags);

/**
 * fill_pattern - fill @size bytes with a pattern derived from @seed and the
 * byte offset (+ @base, the offset of @ptr inside the buffer)
 */
void fill_pattern(void *ptr, size_t size, uint32_t seed, size_t base);

/**
 * check_pattern - assert that @ptr holds fill_pattern(@seed, @base); on a
 * mismatch the failure names the first bad offset, expected and actual word.
 */
#define check_pattern(ptr, size, seed, base) \
	__check_pattern(__FILE__, __LINE__, __func__, ptr, size, seed, base)
void __check_pattern(const char *file, int line, const char *func,
		     const void *ptr, size_t size, uint32_t seed, size_t base);

/** check_zero - assert that every byte of @ptr is zero (names the first not) */
#define check_zero(ptr, size) \
	__check_zero(__FILE__, __LINE__, __func__, ptr, size)
void __check_zero(const char *file, int line, const char *func,
		  const void *ptr, size_t size);

/** same_file - do two fds refer to the same open file's inode (dma-buf)? */
bool same_inode(int fd1, int fd2);

/**
 * ionode_fresh_fd() - before a subtest: undo what a failed one left behind
 * @fd: the test's DRM fd.
 *
 * Closes *@fd if open (closing it releases whatever handles a failed
 * subtest left behind), releases every tracked fd and mapping
 * (release_all(), igt_track.h), opens ionode again into *@fd and runs the
 * hook set with ionode_set_fresh_hook() on it. One failure does not
 * cascade into the next subtests through leaked buffers, parameters, etc.
 */
void ionode_fresh_fd(int *fd);

/**
 * ionode_set_fresh_hook() - what else ionode_fresh_fd() restores
 * @hook: called with the new fd (restore parameters, query heaps...).
 */
void ionode_set_fresh_hook(void (*hook)(int fd));

/* Runs @stmt's body once, after ionode_fresh_fd(@fdp). */
#define __ionode_fresh_once(fdp) \
	for (int __once = (ionode_fresh_fd(fdp), 1); __once; __once = 0)

/**
 * ionode_subtest() - igt_subtest() that starts on a fresh ionode fd
 * @fdp: pointer to the test's DRM fd.
 * @name: subtest name.
 */
#define ionode_subtest(fdp, name) \
	igt_subtest(name) __ionode_fresh_once(fdp)
/* ionode_subtest_f() - ionode_subtest() with a printf-style name */
#define ionode_subtest_f(fdp, ...) \
	igt_subtest_f(__VA_ARGS__) __ionode_fresh_once(fdp)
/* ionode_subtest_with_dynamic() - igt_subtest_with_dynamic() on a fresh fd */
#define ionode_subtest_with_dynamic(fdp, name) \
	igt_subtest_with_dynamic(name) __ionode_fresh_once(fdp)
/* ionode_dynamic_f() - igt_dynamic_f() that starts on a fresh ionode fd */
#define ionode_dynamic_f(fdp, ...) \
	igt_dynamic_f(__VA_ARGS__) __ionode_fresh_once(fdp)

/**
 * struct ionode_mapped - an ionode buffer exported and mapped through its
 * dma-buf (ionode_mapped_new())
 */
struct ionode_mapped {
	uint32_t handle;
	int dmabuf;
	uint8_t *ptr;
	size_t size;
};

/**
 * ionode_mapped_new - create @size bytes with @align and @flags on heap
 * @heap_id of @fd (asserting that heap served it), export it and map the
 * dma-buf read-write; the dma-buf and the mapping are tracked (igt_track.h)
 */
struct ionode_mapped ionode_mapped_new(int fd, uint32_t heap_id, size_t size,
				       uint64_t align, uint32_t flags);

/**
 * ionode_parse_size - a size with an optional K/M/G suffix at @s, as the
 * carveout= parameter writes it; *@end is set past it. Return: parsed?
 */
bool ionode_parse_size(const char *s, const char **end, uint64_t *out);

/**
 * ionode_carveout_range - base and size of range @index (carveout@index)
 * of ionode's carveout= parameter. Return: false when it has none.
 */
bool ionode_carveout_range(unsigned int index, uint64_t *base, uint64_t *size);

/** struct ionode_usage - every heap's used_bytes at one time */
struct ionode_usage {
	uint32_t count;
	uint64_t used[IONODE_MAX_HEAPS];
};

/** ionode_usage_now - every heap's used_bytes now (asserts) */
struct ionode_usage ionode_usage_now(int fd);

/** ionode_assert_usage_back - every heap's used_bytes is back to @before */
void ionode_assert_usage_back(int fd, const struct ionode_usage *before);

/**
 * ionode_debugfs_lines_of - lines of debugfs file @name (DRM's "clients":
 * one per open file, "command tgid ..."; ionode's "ionode_clients": one
 * per client and heap with buffers, "client pid ...") whose second column
 * is @pid; -1 without debugfs
 */
int ionode_debugfs_lines_of(const char *name, pid_t pid);

/**
 * struct ionode_client_usage - what a pid's clients hold, from debugfs
 * @bytes: bytes of the pid's clients (not "kernel", not "(imported)").
 * @buffers: buffers of the same.
 * @kernel_bytes: bytes of the "kernel" clients (of any pid).
 */
struct ionode_client_usage {
	uint64_t bytes, buffers, kernel_bytes;
};

/**
 * ionode_client_usage - usage of @pid's clients in heap @heap (NULL: every
 * heap), read from debugfs "ionode_clients" by its header's column names
 * (pid, state, heap, bytes, buffers). Return: false without debugfs.
 */
bool ionode_client_usage(pid_t pid, const char *heap,
			 struct ionode_client_usage *u);

/**
 * igt_open_vgem() - vgem's card node, loading vgem first when it is not
 * loaded and we are root. Return: the fd (not tracked), or -1.
 */
int igt_open_vgem(void);

/** ionode_heap_used - used_bytes of heap @name in a fresh query (asserts) */
uint64_t ionode_heap_used(int fd, const char *name);

/**
 * igt_modprobe() - load the kernel module @name unless it is loaded
 * @name: module name as in /sys/module ("vkms", "vim2m").
 *
 * Only root loads modules; others just look.
 *
 * Return: whether the module is loaded afterwards.
 */
bool igt_modprobe(const char *name);

/** IONODE_PARAM_DIR - ionode's module parameters in sysfs */
#define IONODE_PARAM_DIR	"/sys/module/ionode/parameters"
/** IONODE_DEBUGFS_DRI - DRM's debugfs directory */
#define IONODE_DEBUGFS_DRI	"/sys/kernel/debug/dri"

/** read_text - read a small text file into @buf (NUL-terminated); -errno */
int read_text(const char *path, char *buf, size_t len);

/**
 * ionode_fdinfo_value - the number after "@key:" at the start of a line of
 * this process's /proc/self/fdinfo/@f; -1 when there is no such line
 */
int64_t ionode_fdinfo_value(int f, const char *key);

/**
 * ionode_fdinfo_kib - drm-memory-@heap of fd @f's fdinfo in KiB, 0 when
 * the line is absent
 */
uint64_t ionode_fdinfo_kib(int f, const char *heap);

/**
 * write_text - write @val to the file @path in one write() (an empty
 * string is written as a lone newline). Return: 0 or -errno.
 */
int write_text(const char *path, const char *val);

/**
 * ionode_param_read - module parameter @name without its trailing newline
 * Return: 0 or -errno.
 */
int ionode_param_read(const char *name, char *buf, size_t len);

/**
 * ionode_param_write - write @val to module parameter @name (an empty
 * string is written as a lone newline)
 * Return: 0 or -errno.
 */
int ionode_param_write(const char *name, const char *val);

/** ionode_param_set - ionode_param_write() that asserts it worked */
void ionode_param_set(const char *name, const char *val);

/**
 * dmabuf_rewrite - map @size bytes of @dmabuf, check they hold
 * fill_pattern(@old_seed) and fill them with fill_pattern(@new_seed),
 * inside a DMA_BUF_IOCTL_SYNC read-write bracket (asserts)
 */
void dmabuf_rewrite(int dmabuf, size_t size, uint32_t old_seed,
		    uint32_t new_seed);

/**
 * ionode_find_debugfs - ionode's DRM debugfs directory (the one with
 * ionode_heaps) into @dir; mounts debugfs first when root and it is not
 * mounted. Return: whether it was found.
 */
bool ionode_find_debugfs(char *dir, size_t len);

/**
 * become_user - in a forked child: become @uid/@gid with the supplementary
 * @groups only, for good (asserts), and stay dumpable so that the process
 * may write its own /proc/self/{uid,gid}_map in a user namespace
 */
void become_user(uid_t uid, gid_t gid, const gid_t *groups, size_t n);

/** send_fd - send @sendfd over the Unix socket @sock (SCM_RIGHTS, asserts) */
void send_fd(int sock, int sendfd);

/** recv_fd - receive an fd sent by send_fd() (asserts); close-on-exec */
int recv_fd(int sock);

#endif /* IONODE_TEST_H */
