/* SPDX-License-Identifier: MIT */
/*
 * ionode_heap_test.h - state and helpers shared by the heap tests
 * (ionode_heaps, ionode_heaps_accounting, ionode_heaps_policy,
 * ionode_heaps_stress).
 *
 * A heap test keeps its DRM fd in fd and the heap list in heaps, both set
 * up by heap_test_init() in its first fixture. Every subtest(), which is
 * ionode_subtest() on fd, starts from a clean state: dma-bufs, second DRM
 * fds and mappings a failed subtest left behind closed (igt_track.h), the
 * policy parameters (client_limit, heap_limits, restricted_heaps,
 * restricted_gid) as they were when the test started, a fresh DRM fd and
 * a fresh heap list.
 *
 * Physical addresses are never reported (by design), so the tests check
 * carveout bounds and alignment through what is observable: byte counts,
 * the carveout= parameter, /proc/iomem, sysfs, fdinfo and debugfs.
 */
#ifndef IONODE_HEAP_TEST_H
#define IONODE_HEAP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "igt_track.h"
#include "ionode_test.h"

#define KiB		1024ull
#define MiB		(1024ull * 1024)
#define RW		(PROT_READ | PROT_WRITE)

#define PARAM_DIR	IONODE_PARAM_DIR
#define SYSFS_HEAPS	"/sys/devices/platform/ionode/heaps"
#define DEBUGFS_DRI	IONODE_DEBUGFS_DRI

/** fd - the subtest's ionode render node, reopened before every subtest */
extern int fd;
/** heaps - the heap list, queried again before every subtest */
extern struct ionode_heaps heaps;
/** page - the CPU page size */
extern size_t page;
/** debugfs_dir - ionode's DRM debugfs directory once find_debugfs() found it */
extern char debugfs_dir[512];
/** fill_handles, n_fill - the buffers fill_carveout() made, unfill() frees */
extern uint32_t fill_handles[4096];
extern unsigned int n_fill;

/** subtest - igt_subtest() from a clean state (see above) */
#define subtest(name) ionode_subtest(&fd, name)
/** subtest_with_dynamic - igt_subtest_with_dynamic() from a clean state */
#define subtest_with_dynamic(name) ionode_subtest_with_dynamic(&fd, name)
/** dynamic_f - igt_dynamic_f() from a clean state */
#define dynamic_f(...) ionode_dynamic_f(&fd, __VA_ARGS__)

/**
 * heap_test_init - in the test's first fixture: open fd, query the heaps,
 * save the policy parameters and install the per-subtest clean-up
 */
void heap_test_init(void);

/** heap_test_fini - in the last fixture: release and restore everything */
void heap_test_fini(void);

/**
 * heap_test_names - the heap names a per-heap subtest covers: the heaps
 * this kernel lists, then those of system, system-contig, cma, carveout0
 * and carveout1 it lacks (their dynamic subtests skip), copied into
 * @names (the heap list is queried again before every subtest). Returns
 * the count.
 */
unsigned int heap_test_names(char (*names)[IONODE_HEAP_NAME_LEN],
			     unsigned int max);

struct fdinfo {
	char driver[32];
	uint64_t client_id;
	unsigned int n_mem;
	struct {
		char key[48];
		uint64_t kib;
	} mem[IONODE_MAX_HEAPS + 1];
};

struct dbg_heap {
	unsigned int id;
	char name[IONODE_HEAP_NAME_LEN];
	char type[16];
	char total[24];
	uint64_t used, peak, buffers, limit;
	char restricted[8];
};

struct dbg_client {
	uint64_t client;
	int pid;
	char comm[32];
	char state[16];
	char heap[IONODE_HEAP_NAME_LEN + 4];
	uint64_t bytes, buffers;
	char via[16];
};

struct snap {
	uint64_t used[IONODE_MAX_HEAPS];	/* query ioctl */
	int64_t s_used[IONODE_MAX_HEAPS];	/* sysfs */
	int64_t s_buffers[IONODE_MAX_HEAPS];
	int64_t s_peak[IONODE_MAX_HEAPS];
	bool sysfs;
};

#define MAX_DBG_CLIENTS	1024

int open_ionode2(void);

void *bo_map(int f, uint32_t handle, size_t size);

void *dmabuf_map(int dmabuf, size_t size, off_t offset);

int bo_export(int f, uint32_t handle);

void save_params(void);

/* Puts back every parameter a subtest changed; asserts it worked. */
void restore_params(void);

void require_policy_control(void);

void refresh_heaps(void);

/* The heap named @name in a fresh query, or NULL. */
const struct drm_ionode_heap_info *find_heap(const char *name);

/* The heap named @name; skips the subtest when the kernel has none. */
struct drm_ionode_heap_info require_heap(const char *name);

/* A fresh copy of heap @name's entry (asserts it exists). */
struct drm_ionode_heap_info heap_now(const char *name);

uint64_t hmask(const char *name);

uint32_t hid(const char *name);

const char *heap_name(uint32_t id);

/* A carveout heap that is present and holds no buffer: skips otherwise. */
struct drm_ionode_heap_info require_empty_carveout(const char *name);

struct drm_ionode_create make_req(uint64_t size, uint64_t align,
					 uint64_t mask, uint32_t flags);

/* Creates on @f and asserts success, the rounded size and a heap of @mask. */
struct drm_ionode_create create_on(int f, uint64_t size, uint64_t align,
					  uint64_t mask, uint32_t flags);

struct drm_ionode_create create_ok(uint64_t size, uint64_t align,
					  uint64_t mask, uint32_t flags);

/* Creates and asserts that heap @heap served the request. */
uint32_t create_in(const char *heap, uint64_t size, uint64_t align,
			  uint64_t mask, uint32_t flags);

void create_err_on(int f, uint64_t size, uint64_t align, uint64_t mask,
			  uint32_t flags, int err);

void create_err(uint64_t size, uint64_t align, uint64_t mask,
		       uint32_t flags, int err);

bool have_sysfs_heaps(void);

/* A value of /sys/devices/platform/ionode/heaps/<heap>/<attr> (asserts). */
int64_t sysfs_heap(const char *heap, const char *attr);

/* Parses /proc/self/fdinfo/<f>; asserts every drm-memory- line's format. */
void fdinfo_read(int f, struct fdinfo *fi);

/* KiB of drm-memory-@key in @fi; asserts the line exists. */
uint64_t fdinfo_kib(const struct fdinfo *fi, const char *key);

/* fdinfo of @f lists every heap and "imported", all of them 0 KiB. */
void assert_fdinfo_zero(int f);

/* Finds /sys/kernel/debug/dri/<minor>/ of ionode, mounting debugfs if needed. */
bool find_debugfs(void);

void require_debugfs(void);

/* Parses ionode_heaps into dbg_heaps[]; returns the number of rows. */
unsigned int debugfs_heaps(void);

const struct dbg_heap *dbg_heap(unsigned int n, const char *name);

/*
 * Parses ionode_clients into dbg_clients[]; returns the number of rows.
 * The command name may contain spaces, so a row is split from both ends:
 * client pid COMM... state heap bytes buffers via.
 */
unsigned int debugfs_clients(void);

/* The ionode_clients row of @client for @heap ("(imported)"), or NULL. */
const struct dbg_client *dbg_client(unsigned int n, uint64_t client,
					   const char *heap);

unsigned int dbg_client_rows(unsigned int n, uint64_t client);

uint64_t client_id(int f);

void take_snap(struct snap *s);

/* Every heap's used bytes and buffer count equal @base's. */
void assert_back_to(const struct snap *base);

/* Fills carveout @name with 1 MiB (or smaller) chunks; asserts it is full. */
void fill_carveout(const char *name);

void unfill(void);

/**
 * saved_param - the value policy parameter @name had when the test started
 * (asserts it was saved)
 */
const char *saved_param(const char *name);

#endif /* IONODE_HEAP_TEST_H */
