/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode page pools: zeroed chunks of the system heap kept for reuse, in
 * their caching mode, per memory cgroup. See ionode_pool.c.
 */
#ifndef __IONODE_POOL_H__
#define __IONODE_POOL_H__

#include <linux/types.h>

struct page;
struct seq_file;

/* Chunk orders the system heap allocates and the pools keep, largest first. */
#define IONODE_POOL_NR_ORDERS	3
extern const unsigned int ionode_pool_orders[IONODE_POOL_NR_ORDERS];

/**
 * struct ionode_pool_stats - what the pools hold
 * @clean_bytes: zeroed memory ready to be handed out, by caching mode
 *	(index 0 write-back, 1 write-combined).
 * @dirty_bytes: freed memory waiting for the worker to zero it.
 * @stale_bytes: memory on its way back to the page allocator.
 * @max_bytes: the most the pools keep (module parameter pool_max_mb).
 * @hits: chunks served from a pool.
 * @misses: chunks the heap had to take from the page allocator.
 * @unwritten_bytes: freed memory filed as clean without zeroing, because
 *	it was never exposed (cumulative).
 */
struct ionode_pool_stats {
	u64 clean_bytes[2];
	u64 dirty_bytes;
	u64 stale_bytes;
	u64 max_bytes;
	u64 hits;
	u64 misses;
	u64 unwritten_bytes;
};

int ionode_pool_init(void);
void ionode_pool_exit(void);
const void *ionode_pool_owner(void);
struct page *ionode_pool_take(const void *owner, bool wc, unsigned int order);
void ionode_pool_count_miss(void);
void ionode_pool_put_pages(struct page **pages, unsigned long count, bool wc,
			   bool unwritten);
void ionode_pool_free_chunk(struct page *page, bool wc);
unsigned long ionode_pool_release_owner(const void *owner);
void ionode_pool_flush(void);
void ionode_pool_get_stats(struct ionode_pool_stats *stats);
void ionode_pool_show(struct seq_file *m);

#endif /* __IONODE_POOL_H__ */
