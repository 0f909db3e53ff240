// SPDX-License-Identifier: GPL-2.0
/*
 * ionode page pools: freed system-heap memory kept for reuse, so that
 * neither zeroing nor a change of the kernel's caching attribute sits on
 * the allocation path.
 *
 * A chunk (a compound page of one of ionode_pool_orders) freed by the heap
 * goes to the dirty list. A worker zeroes it, off the caller's path, and
 * files it as clean under its caching mode, write-back or write-combined
 * (a small free wakes the worker only at the next tick; an allocation that
 * finds no clean chunk zeroes a dirty one itself rather than take a fresh
 * one, which the page allocator would zero anyway):
 * write-combined chunks keep the write-combined attribute of the kernel's
 * linear mapping, which they got once, when the page allocator gave them.
 * Only clean chunks are handed out, so memory never reaches userspace with
 * another buffer's data. When the pools are full, or a chunk has to leave,
 * it goes to the stale list, from which the worker gives it back to the
 * page allocator (restoring the write-back attribute first when needed).
 *
 * Memory cgroups. A chunk stays charged to the cgroup it was first charged
 * to (__GFP_ACCOUNT) until the page allocator gets it back: 6.1 exports no
 * way to move a page's kmem charge (__memcg_kmem_charge_page() and
 * __memcg_kmem_uncharge_page() are not exported) nor to make a shrinker
 * memcg-aware outside list_lru (set_shrinker_bit() and
 * memcg_list_lru_alloc() are not exported, and list_lru_add() finds the
 * cgroup from the address of the list node). So clean chunks are kept per
 * cgroup, in a pool_set keyed by the cgroup they are charged to, and an
 * allocation only takes chunks charged to the cgroup it would charge:
 * nobody gets memory charged to somebody else, and a cgroup's limit counts
 * every byte it holds, in buffers or in its pool. The price is that a
 * cgroup's idle pool counts against it: pools of cgroups other than the
 * root are given back when unused for IONODE_POOL_IDLE, an allocation
 * that its cgroup refuses drains that cgroup's pool and retries, and the
 * shrinker drains all pools under global memory pressure.
 */
#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/set_memory.h>

#include "ionode_pool.h"

const unsigned int ionode_pool_orders[IONODE_POOL_NR_ORDERS] = { 9, 4, 0 };

/*
 * Freeing at least this many pages wakes the worker at once; less waits
 * for the next tick, so that a small free does not pay a wake-up
 * (profiled: queue_work_on() cost a 4 KiB buffer's free more than
 * clear_page()).
 */
#define IONODE_POOL_KICK_PAGES	512

/* Dirty chunks a clean-pool miss looks through for one to zero itself. */
#define IONODE_POOL_DIRTY_SCAN	64

/* How long a cgroup's pool may stay unused before it is given back. */
#define IONODE_POOL_IDLE	HZ

static int pool_max_mb = -1;
module_param(pool_max_mb, int, 0644);
MODULE_PARM_DESC(pool_max_mb,
		 "Most memory the system heap's pools keep for reuse, in MiB (-1: an eighth of RAM, 0: no pools)");

/**
 * struct pool_set - the clean chunks charged to one memory cgroup
 * @node: entry in pool.sets.
 * @owner: the cgroup the chunks are charged to, or NULL for uncharged
 *	chunks; only compared, never dereferenced.
 * @ino: the cgroup's inode number when the set was made, for debugfs.
 * @chunks: clean chunks by caching mode (0 write-back, 1 write-combined)
 *	and order index, most recently freed first.
 * @nr: number of chunks in each list of @chunks.
 * @pages: PAGE_SIZE pages in all of @chunks.
 * @last_used: jiffies of the last time a chunk was taken or added.
 */
struct pool_set {
	struct list_head node;
	const void *owner;
	u64 ino;
	struct list_head chunks[2][IONODE_POOL_NR_ORDERS];
	unsigned long nr[2][IONODE_POOL_NR_ORDERS];
	unsigned long pages;
	unsigned long last_used;
};

/* A chunk on the dirty or stale list is write-combined (page->private). */
#define CHUNK_WC	BIT(0)

static struct {
	spinlock_t lock; /* protects everything below */
	struct list_head sets;
	struct pool_set *root;
	struct list_head dirty;
	struct list_head stale;
	unsigned long clean_pages[2];
	unsigned long dirty_pages;
	unsigned long stale_pages;
	u64 hits;
	u64 misses;
	u64 unwritten;
} pool;

static void pool_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pool_work, pool_work_fn);
static void pool_age_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pool_age_work, pool_age_fn);
static DECLARE_DELAYED_WORK(pool_retry_work, pool_work_fn);

/*
 * A large free is zeroed by the worker and, on the other CPUs, by up to
 * this many helpers taking chunks off the same dirty list.
 */
#define IONODE_POOL_HELPERS	3
static struct work_struct pool_helpers[IONODE_POOL_HELPERS];

/* Runs the worker after @delay jiffies, or at once for 0. */
static void pool_kick(unsigned long delay)
{
	if (delay)
		queue_delayed_work(system_unbound_wq, &pool_work, delay);
	else
		mod_delayed_work(system_unbound_wq, &pool_work, 0);
}

static unsigned long pool_max_pages(void)
{
	int mb = READ_ONCE(pool_max_mb);

	if (mb < 0)
		return totalram_pages() / 8;
	return (unsigned long)mb << (20 - PAGE_SHIFT);
}

static unsigned int order_index(unsigned int order)
{
	unsigned int i;

	for (i = 0; i < IONODE_POOL_NR_ORDERS - 1; i++)
		if (ionode_pool_orders[i] == order)
			break;
	return i;
}

/* The cgroup @page is charged to (NULL: none), and its inode number. */
static const void *chunk_owner(struct page *page, u64 *ino)
{
	const void *owner = NULL;
#ifdef CONFIG_MEMCG_KMEM
	struct mem_cgroup *memcg;

	rcu_read_lock();
	memcg = page_memcg(page);
	if (memcg && ino)
		*ino = cgroup_ino(memcg->css.cgroup);
	owner = memcg;
	rcu_read_unlock();
#endif
	return owner;
}

/**
 * ionode_pool_owner - the cgroup a page allocation by the current task
 *	would be charged to
 *
 * Mirrors the choice __GFP_ACCOUNT makes (get_obj_cgroup_from_current()):
 * the task's active cgroup or its own, or the closest ancestor that takes
 * kmem charges; nothing for the root cgroup and for kernel threads.
 *
 * Return: a key for ionode_pool_take(), NULL when pages go uncharged.
 */
const void *ionode_pool_owner(void)
{
	const void *owner = NULL;
#ifdef CONFIG_MEMCG_KMEM
	struct mem_cgroup *memcg;

	if (mem_cgroup_disabled() || !memcg_kmem_enabled())
		return NULL;
	if (!current->active_memcg &&
	    (!in_task() || !current->mm || (current->flags & PF_KTHREAD)))
		return NULL;

	rcu_read_lock();
	memcg = current->active_memcg ?: mem_cgroup_from_task(current);
	for (; memcg && memcg->css.parent; memcg = parent_mem_cgroup(memcg)) {
		if (rcu_access_pointer(memcg->objcg)) {
			owner = memcg;
			break;
		}
	}
	rcu_read_unlock();
#endif
	return owner;
}

static struct pool_set *pool_set_alloc(const void *owner, u64 ino)
{
	struct pool_set *set = kzalloc(sizeof(*set), GFP_KERNEL);
	unsigned int c, i;

	if (!set)
		return NULL;
	set->owner = owner;
	set->ino = ino;
	set->last_used = jiffies;
	for (c = 0; c < 2; c++)
		for (i = 0; i < IONODE_POOL_NR_ORDERS; i++)
			INIT_LIST_HEAD(&set->chunks[c][i]);
	return set;
}

/* Called with pool.lock held. */
static struct pool_set *pool_set_find(const void *owner)
{
	struct pool_set *set;

	if (!owner)
		return pool.root;
	list_for_each_entry(set, &pool.sets, node)
		if (set->owner == owner)
			return set;
	return NULL;
}

/* Takes a chunk off @set's list; called with pool.lock held. */
static void pool_set_unlink(struct pool_set *set, struct page *page, bool wc,
			    unsigned int idx)
{
	unsigned long n = 1UL << ionode_pool_orders[idx];

	list_del_init(&page->lru);
	set->nr[wc][idx]--;
	set->pages -= n;
	pool.clean_pages[wc] -= n;
}

/* Files a clean chunk first in @set's list; called with pool.lock held. */
static void pool_set_link(struct pool_set *set, struct page *page, bool wc)
{
	unsigned int idx = order_index(compound_order(page));
	unsigned long n = 1UL << compound_order(page);

	page->private = 0;
	list_add(&page->lru, &set->chunks[wc][idx]);
	set->nr[wc][idx]++;
	set->pages += n;
	set->last_used = jiffies;
	pool.clean_pages[wc] += n;
}

/* Queues a chunk for the page allocator; called with pool.lock held. */
static void pool_add_stale(struct page *page, bool wc)
{
	page->private = wc ? CHUNK_WC : 0;
	list_add_tail(&page->lru, &pool.stale);
	pool.stale_pages += 1UL << compound_order(page);
}

static void pool_zero_chunk(struct page *page)
{
	unsigned long i, n = 1UL << compound_order(page);

	for (i = 0; i < n; i++) {
		clear_highpage(nth_page(page, i));
		if ((i & 63) == 63)
			cond_resched();
	}
}

/*
 * A dirty chunk of @owner's, of @order and caching @wc, not yet zeroed by
 * the worker; called with pool.lock held.
 */
static struct page *pool_take_dirty(const void *owner, bool wc,
				    unsigned int order)
{
	unsigned int scanned = 0;
	struct page *page;

	list_for_each_entry(page, &pool.dirty, lru) {
		if (++scanned > IONODE_POOL_DIRTY_SCAN)
			break;
		if (compound_order(page) != order ||
		    !!(page->private & CHUNK_WC) != wc ||
		    chunk_owner(page, NULL) != owner)
			continue;
		list_del_init(&page->lru);
		pool.dirty_pages -= 1UL << order;
		return page;
	}
	return NULL;
}

/**
 * ionode_pool_take - a clean chunk from the pools
 * @owner: ionode_pool_owner() of the allocating task
 * @wc: a write-combined chunk (else write-back)
 * @order: one of ionode_pool_orders
 *
 * When the worker has not zeroed what was freed yet, a dirty chunk is
 * zeroed here: cheaper than a fresh one, which the page allocator zeroes
 * too (and which a write-combined buffer would switch to write-combined).
 *
 * Return: a zeroed chunk charged to @owner, in the caching mode asked
 * for, or NULL when the pool has none.
 */
struct page *ionode_pool_take(const void *owner, bool wc, unsigned int order)
{
	unsigned int idx = order_index(order);
	struct page *page = NULL;
	struct pool_set *set;
	bool stale = false, dirty = false;

	spin_lock(&pool.lock);
	set = pool_set_find(owner);
	while (set && set->nr[wc][idx]) {
		page = list_first_entry(&set->chunks[wc][idx], struct page,
					lru);
		pool_set_unlink(set, page, wc, idx);
		if (likely(chunk_owner(page, NULL) == owner))
			break;
		/* Its cgroup went away and the charge moved: not @owner's. */
		pool_add_stale(page, wc);
		stale = true;
		page = NULL;
	}
	if (!page) {
		page = pool_take_dirty(owner, wc, order);
		dirty = page;
	}
	if (set)
		set->last_used = jiffies;
	if (page)
		pool.hits++;
	else
		pool.misses++;
	spin_unlock(&pool.lock);

	if (stale)
		pool_kick(0);
	if (dirty) {
		pool_zero_chunk(page);
		page->private = 0;
	}
	return page;
}

/* Gives a chunk back to the page allocator; false when it must wait. */
static bool pool_release_chunk(struct page *page, bool wc)
{
	unsigned int order = compound_order(page);

#ifdef CONFIG_X86
	if (wc && set_pages_wb(page, 1 << order))
		return false;
#endif
	page->private = 0;
	__free_pages(page, order);
	return true;
}

/* Files a zeroed chunk as clean; false when no set could be made for it. */
static bool pool_add_clean(struct page *page, bool wc)
{
	struct pool_set *set, *new = NULL;
	const void *owner;
	u64 ino = 0;

	owner = chunk_owner(page, &ino);
	for (;;) {
		spin_lock(&pool.lock);
		set = pool_set_find(owner);
		if (!set && new) {
			list_add_tail(&new->node, &pool.sets);
			set = new;
			new = NULL;
		}
		if (set)
			break;
		spin_unlock(&pool.lock);
		new = pool_set_alloc(owner, ino);
		if (!new)
			return false;
	}
	pool_set_link(set, page, wc);
	spin_unlock(&pool.lock);

	kfree(new);
	if (owner)
		schedule_delayed_work(&pool_age_work, IONODE_POOL_IDLE);
	return true;
}

/**
 * ionode_pool_free_chunk - give a chunk back to the page allocator, off
 *	the caller's path
 * @page: the chunk, with its charge, no longer used by anyone
 * @wc: the chunk may be write-combined in the kernel's linear mapping
 */
void ionode_pool_free_chunk(struct page *page, bool wc)
{
	if (!wc) {
		pool_release_chunk(page, false);
		return;
	}
	spin_lock(&pool.lock);
	pool_add_stale(page, true);
	spin_unlock(&pool.lock);
	pool_kick(0);
}

/*
 * Files a chunk that is still zero as clean in the set of the cgroup it is
 * charged to, if that set exists (none is made here: the caller may not
 * sleep); called with pool.lock held. Returns the set's owner through
 * @owner, for the ageing of cgroups' pools.
 */
static bool pool_put_unwritten(struct page *page, bool wc, const void **owner)
{
	struct pool_set *set;

	*owner = chunk_owner(page, NULL);
	set = pool_set_find(*owner);
	if (!set)
		return false;
	pool_set_link(set, page, wc);
	pool.unwritten += 1UL << compound_order(page);
	return true;
}

/**
 * ionode_pool_put_pages - hand the chunks of a freed buffer to the pools
 * @pages: one entry per PAGE_SIZE page; chunks are compound pages of
 *	ionode_pool_orders, in order
 * @count: number of entries of @pages
 * @wc: the chunks are write-combined (else write-back)
 * @unwritten: the chunks still hold the zeroes they were handed out with:
 *	nothing outside the driver ever had their pfns (&ionode_backing's
 *	exposed is false)
 *
 * The chunks are zeroed by a worker before anyone gets them again, except
 * unwritten ones, which are clean at once; what the pools cannot keep goes
 * back to the page allocator.
 */
void ionode_pool_put_pages(struct page **pages, unsigned long count, bool wc,
			   bool unwritten)
{
	unsigned long max = pool_max_pages();
	unsigned long i = 0, dirtied = 0;
	const void *aged = NULL;
	bool stale = false;
	LIST_HEAD(now);
	struct page *page, *tmp;

	spin_lock(&pool.lock);
	while (i < count) {
		const void *owner;
		unsigned long n;

		page = pages[i];
		n = 1UL << compound_order(page);
		i += n;
		if (pool.clean_pages[0] + pool.clean_pages[1] +
		    pool.dirty_pages + n > max) {
			if (wc) {
				pool_add_stale(page, true);
				stale = true;
			} else {
				list_add_tail(&page->lru, &now);
			}
			continue;
		}
		if (unwritten && pool_put_unwritten(page, wc, &owner)) {
			aged = aged ?: owner;
			continue;
		}
		page->private = wc ? CHUNK_WC : 0;
		list_add_tail(&page->lru, &pool.dirty);
		pool.dirty_pages += n;
		dirtied += n;
	}
	spin_unlock(&pool.lock);

	if (aged)
		schedule_delayed_work(&pool_age_work, IONODE_POOL_IDLE);
	if (dirtied || stale)
		pool_kick(dirtied >= IONODE_POOL_KICK_PAGES ? 0 : 1);
	list_for_each_entry_safe(page, tmp, &now, lru) {
		list_del(&page->lru);
		pool_release_chunk(page, false);
	}
}

/* Gives the stale list back to the page allocator, on this task. */
static void pool_release_stale(void)
{
	struct page *page;
	bool retry = false;

	for (;;) {
		unsigned long n;

		spin_lock(&pool.lock);
		page = list_first_entry_or_null(&pool.stale, struct page, lru);
		if (page) {
			list_del_init(&page->lru);
			pool.stale_pages -= 1UL << compound_order(page);
		}
		spin_unlock(&pool.lock);
		if (!page)
			break;

		n = 1UL << compound_order(page);
		if (!pool_release_chunk(page, page->private & CHUNK_WC)) {
			/* The page-table split needs memory: try later. */
			spin_lock(&pool.lock);
			list_add_tail(&page->lru, &pool.stale);
			pool.stale_pages += n;
			spin_unlock(&pool.lock);
			retry = true;
			break;
		}
		cond_resched();
	}
	if (retry)
		schedule_delayed_work(&pool_retry_work, HZ / 10);
}

/* Zeroes dirty chunks and files them as clean until none is left. */
static void pool_zero_dirty(void)
{
	struct page *page;
	bool wc;

	for (;;) {
		spin_lock(&pool.lock);
		page = list_first_entry_or_null(&pool.dirty, struct page, lru);
		if (page)
			list_del_init(&page->lru);
		spin_unlock(&pool.lock);
		if (!page)
			break;

		wc = page->private & CHUNK_WC;
		pool_zero_chunk(page);
		if (!pool_add_clean(page, wc)) {
			spin_lock(&pool.lock);
			pool_add_stale(page, wc);
			spin_unlock(&pool.lock);
		}
		spin_lock(&pool.lock);
		pool.dirty_pages -= 1UL << compound_order(page);
		spin_unlock(&pool.lock);
	}
}

static void pool_helper_fn(struct work_struct *work)
{
	pool_zero_dirty();
}

static void pool_work_fn(struct work_struct *work)
{
	unsigned int i, n = min_t(unsigned int, num_online_cpus() - 1,
				  IONODE_POOL_HELPERS);

	if (READ_ONCE(pool.dirty_pages) >= IONODE_POOL_KICK_PAGES)
		for (i = 0; i < n; i++)
			queue_work(system_unbound_wq, &pool_helpers[i]);
	pool_zero_dirty();
	pool_release_stale();
}

/* Moves every chunk of @set to the stale list; called with pool.lock held. */
static unsigned long pool_set_drain(struct pool_set *set)
{
	unsigned long pages = set->pages;
	unsigned int c, i;

	for (c = 0; c < 2; c++) {
		for (i = 0; i < IONODE_POOL_NR_ORDERS; i++) {
			struct page *page, *tmp;

			list_for_each_entry_safe(page, tmp, &set->chunks[c][i],
						 lru) {
				pool_set_unlink(set, page, c, i);
				pool_add_stale(page, c);
			}
		}
	}
	return pages;
}

static void pool_age_fn(struct work_struct *work)
{
	struct pool_set *set, *tmp;
	LIST_HEAD(gone);
	bool again = false, drained = false;

	spin_lock(&pool.lock);
	list_for_each_entry_safe(set, tmp, &pool.sets, node) {
		if (set == pool.root)
			continue;
		if (time_before(jiffies, set->last_used + IONODE_POOL_IDLE)) {
			again = true;
			continue;
		}
		drained |= pool_set_drain(set) != 0;
		list_move(&set->node, &gone);
	}
	spin_unlock(&pool.lock);

	list_for_each_entry_safe(set, tmp, &gone, node)
		kfree(set);
	if (drained)
		pool_kick(0);
	if (again)
		schedule_delayed_work(&pool_age_work, IONODE_POOL_IDLE);
}

/**
 * ionode_pool_release_owner - give back the pool of one cgroup at once
 * @owner: ionode_pool_owner() of a task whose cgroup refused a charge
 *
 * Return: the number of pages given back (or queued to be).
 */
unsigned long ionode_pool_release_owner(const void *owner)
{
	unsigned long pages = 0;
	struct pool_set *set;

	struct page *page, *tmp;

	spin_lock(&pool.lock);
	set = pool_set_find(owner);
	if (set)
		pages = pool_set_drain(set);
	/* What it freed a moment ago and the worker has not zeroed yet. */
	list_for_each_entry_safe(page, tmp, &pool.dirty, lru) {
		unsigned long n = 1UL << compound_order(page);

		if (chunk_owner(page, NULL) != owner)
			continue;
		list_del(&page->lru);
		pool.dirty_pages -= n;
		pool_add_stale(page, page->private & CHUNK_WC);
		pages += n;
	}
	spin_unlock(&pool.lock);
	pool_release_stale();
	return pages;
}

static unsigned long pool_shrink_count(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(pool.clean_pages[0]) +
			  READ_ONCE(pool.clean_pages[1]);

	return n ?: SHRINK_EMPTY;
}

/* The oldest clean chunk of @set, unlinked, or NULL. */
static struct page *pool_set_pop_oldest(struct pool_set *set, bool *wc)
{
	unsigned int c, i;

	for (c = 0; c < 2; c++) {
		for (i = 0; i < IONODE_POOL_NR_ORDERS; i++) {
			struct page *page;

			if (!set->nr[c][i])
				continue;
			page = list_last_entry(&set->chunks[c][i], struct page,
					       lru);
			pool_set_unlink(set, page, c, i);
			*wc = c;
			return page;
		}
	}
	return NULL;
}

/* The oldest clean chunk of any set, cgroups' before the root's. */
static struct page *pool_pop_oldest(bool *wc)
{
	struct pool_set *set;
	struct page *page;

	list_for_each_entry(set, &pool.sets, node) {
		if (set == pool.root)
			continue;
		page = pool_set_pop_oldest(set, wc);
		if (page)
			return page;
	}
	return pool_set_pop_oldest(pool.root, wc);
}

static unsigned long pool_shrink_scan(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long freed = 0;

	while (freed < sc->nr_to_scan) {
		struct page *page;
		bool wc = false;
		unsigned long n;

		spin_lock(&pool.lock);
		page = pool_pop_oldest(&wc);
		spin_unlock(&pool.lock);
		if (!page)
			break;
		n = 1UL << compound_order(page);
		if (!pool_release_chunk(page, wc)) {
			spin_lock(&pool.lock);
			pool_add_stale(page, wc);
			spin_unlock(&pool.lock);
			pool_kick(0);
			break;
		}
		freed += n;
	}
	return freed ?: SHRINK_STOP;
}

static struct shrinker pool_shrinker = {
	.count_objects = pool_shrink_count,
	.scan_objects = pool_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

/**
 * ionode_pool_flush - wait until the worker has zeroed and released what
 *	was freed before the call (for tests)
 */
void ionode_pool_flush(void)
{
	unsigned int i;

	flush_delayed_work(&pool_work);
	for (i = 0; i < IONODE_POOL_HELPERS; i++)
		flush_work(&pool_helpers[i]);
}

/**
 * ionode_pool_get_stats - what the pools hold now
 * @stats: filled in
 */
void ionode_pool_get_stats(struct ionode_pool_stats *stats)
{
	spin_lock(&pool.lock);
	stats->clean_bytes[0] = (u64)pool.clean_pages[0] << PAGE_SHIFT;
	stats->clean_bytes[1] = (u64)pool.clean_pages[1] << PAGE_SHIFT;
	stats->dirty_bytes = (u64)pool.dirty_pages << PAGE_SHIFT;
	stats->stale_bytes = (u64)pool.stale_pages << PAGE_SHIFT;
	stats->hits = pool.hits;
	stats->misses = pool.misses;
	stats->unwritten_bytes = (u64)pool.unwritten << PAGE_SHIFT;
	spin_unlock(&pool.lock);
	stats->max_bytes = (u64)pool_max_pages() << PAGE_SHIFT;
}

/**
 * ionode_pool_show - print the pools, for debugfs
 * @m: the seq_file
 */
void ionode_pool_show(struct seq_file *m)
{
	struct ionode_pool_stats st;
	struct pool_set *set;
	unsigned int c, i;

	ionode_pool_get_stats(&st);
	seq_printf(m, "max %llu clean-wb %llu clean-wc %llu dirty %llu stale %llu hits %llu misses %llu unwritten %llu\n",
		   st.max_bytes, st.clean_bytes[0], st.clean_bytes[1],
		   st.dirty_bytes, st.stale_bytes, st.hits, st.misses,
		   st.unwritten_bytes);
	seq_printf(m, "%-12s %-7s", "cgroup", "caching");
	for (i = 0; i < IONODE_POOL_NR_ORDERS; i++)
		seq_printf(m, " %7s%u", "order", ionode_pool_orders[i]);
	seq_printf(m, " %14s\n", "bytes");

	spin_lock(&pool.lock);
	list_for_each_entry(set, &pool.sets, node) {
		for (c = 0; c < 2; c++) {
			u64 bytes = 0;

			if (set == pool.root)
				seq_printf(m, "%-12s", "root");
			else
				seq_printf(m, "%-12llu", set->ino);
			seq_printf(m, " %-7s", c ? "wc" : "wb");
			for (i = 0; i < IONODE_POOL_NR_ORDERS; i++) {
				seq_printf(m, " %8lu", set->nr[c][i]);
				bytes += (u64)set->nr[c][i] <<
					 (ionode_pool_orders[i] + PAGE_SHIFT);
			}
			seq_printf(m, " %14llu\n", bytes);
		}
	}
	spin_unlock(&pool.lock);
}

/**
 * ionode_pool_init - set the pools up when the module loads
 *
 * Return: 0 or a negative errno.
 */
int ionode_pool_init(void)
{
	unsigned int i;
	int ret;

	spin_lock_init(&pool.lock);
	for (i = 0; i < IONODE_POOL_HELPERS; i++)
		INIT_WORK(&pool_helpers[i], pool_helper_fn);
	INIT_LIST_HEAD(&pool.sets);
	INIT_LIST_HEAD(&pool.dirty);
	INIT_LIST_HEAD(&pool.stale);
	pool.root = pool_set_alloc(NULL, 0);
	if (!pool.root)
		return -ENOMEM;
	list_add(&pool.root->node, &pool.sets);

	ret = register_shrinker(&pool_shrinker, "ionode-pool");
	if (ret) {
		kfree(pool.root);
		return ret;
	}
	return 0;
}

/**
 * ionode_pool_exit - give everything back when the module goes away
 *
 * No buffer is left: every chunk is in a pool or on its way back.
 */
void ionode_pool_exit(void)
{
	struct pool_set *set, *tmp;

	unregister_shrinker(&pool_shrinker);
	cancel_delayed_work_sync(&pool_age_work);
	ionode_pool_flush();

	spin_lock(&pool.lock);
	list_for_each_entry(set, &pool.sets, node)
		pool_set_drain(set);
	spin_unlock(&pool.lock);

	for (;;) {
		bool empty;

		cancel_delayed_work_sync(&pool_retry_work);
		pool_release_stale();
		spin_lock(&pool.lock);
		empty = list_empty(&pool.stale);
		spin_unlock(&pool.lock);
		if (empty)
			break;
		msleep(20);
	}
	cancel_delayed_work_sync(&pool_retry_work);

	list_for_each_entry_safe(set, tmp, &pool.sets, node) {
		WARN_ON(set->pages);
		list_del(&set->node);
		kfree(set);
	}
	pool.root = NULL;
}
