/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode - internal declarations shared by the files of ionode.ko.
 *
 * Nothing here is ABI: userspace sees uapi/ionode_drm.h, other kernel
 * drivers see ionode.h.
 */
#ifndef __IONODE_DRV_H__
#define __IONODE_DRV_H__

#include <linux/dma-direction.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>

#include "ionode_drm.h"

#define DRIVER_NAME	"ionode"
#define DRIVER_DESC	"ION-style heap allocator on a DRM render node"
#define DRIVER_DATE	"20261121"

struct drm_minor;
struct ionode_heap;
struct ionode_backing;
struct ionode_bo;
struct module;
struct seq_file;

/**
 * struct ionode_heap_ops - what a heap implements
 *
 * This table is all a new heap writes, in a file of its own (see
 * ionode_heap_system.c for a page-based heap, ionode_heap_carveout.c for
 * a heap of physical ranges, and Documentation/heaps.rst, "Writing a
 * heap"). The heap layer does the rest: choosing the heap, limits,
 * accounting, the caching attribute; the GEM and dma-buf code only talk
 * to the &struct ionode_backing the heap returns.
 *
 * @allocate: allocate @size bytes (page aligned, non-zero) of zeroed
 *	memory whose start is aligned to @align bytes (a power of two, at
 *	least PAGE_SIZE), for a buffer with IONODE_BO_* @flags, and describe
 *	it with ionode_backing_pages_create() (memory with struct pages) or
 *	ionode_backing_pfn_create() (a physical range; its kernel mapping in
 *	the caching mode @flags asks for is the heap's). Return the backing,
 *	or ERR_PTR(-ENOMEM) when the heap is exhausted (the next heap of the
 *	caller's mask is then tried), another ERR_PTR for any other failure.
 * @release: give the memory of @b back and destroy @b; undoes @allocate.
 *	The caching attribute is write-back again when this is called,
 *	unless the heap made @b with ionode_backing_pages_create()'s
 *	@preset: then the memory is in the caching mode of its flags.
 * @query: optional; report the heap's total and free bytes.
 * @pooled: optional; bytes of freed memory the heap keeps for reuse.
 * @destroy: free the heap itself when the device goes away; without it the
 *	heap layer kfree()s the &struct ionode_heap. Never called for a heap
 *	added with ionode_heap_register(): that one is its owner's.
 */
struct ionode_heap_ops {
	struct ionode_backing *(*allocate)(struct ionode_heap *heap,
					   size_t size, size_t align,
					   u32 flags);
	void (*release)(struct ionode_heap *heap, struct ionode_backing *b);
	void (*query)(struct ionode_heap *heap, u64 *total, u64 *free);
	u64 (*pooled)(struct ionode_heap *heap);
	void (*destroy)(struct ionode_heap *heap);
};

/**
 * struct ionode_heap - one named heap
 * @ops: the heap's implementation.
 * @idev: the device the heap belongs to; set by ionode_heap_add(), NULL
 *	again once a heap of ionode_heap_register() is off its device.
 * @owner: the module implementing @ops (THIS_MODULE of a heap module, NULL
 *	for ionode's own heaps): every buffer of the heap holds a reference
 *	on it, so the module cannot unload while one lives.
 * @name: stable, NUL-terminated name.
 * @id: bit number in a heap mask; also the priority (lower first). Set
 *	by the heap layer; a name keeps its id for the device's life.
 * @type: enum ionode_heap_type.
 * @flags: IONODE_HEAP_* flags.
 * @max_alloc: largest buffer the heap can ever serve, page aligned.
 * @max_align: coarsest alignment the heap can give; 0 means @max_alloc.
 * @lock: protects the counters below.
 * @used_bytes: bytes held by live buffers, plus allocations in flight.
 * @peak_bytes: highest @used_bytes of a completed allocation.
 * @buffers: number of live buffers.
 * @sysfs: the heap's directory under /sys/devices/platform/ionode/heaps.
 * @dead: being unregistered: no new allocation may choose it.
 * @external: added by ionode_heap_register(); its owner frees it.
 */
struct ionode_heap {
	const struct ionode_heap_ops *ops;
	struct ionode_device *idev;
	struct module *owner;
	char name[IONODE_HEAP_NAME_LEN];
	u32 id;
	u32 type;
	u32 flags;
	u64 max_alloc;
	u64 max_align;

	struct mutex lock; /* protects used_bytes, peak_bytes and buffers */
	u64 used_bytes;
	u64 peak_bytes;
	u64 buffers;

	struct kobject *sysfs;
	bool dead;
	bool external;
};

/**
 * struct ionode_usage - bytes and buffers held in one place
 * @bytes: total size.
 * @buffers: number of buffers.
 */
struct ionode_usage {
	u64 bytes;
	u64 buffers;
};

/**
 * struct ionode_client - a user of ionode, for accounting and limits
 * @ref: held by the DRM file (or the driver that opened the client) and by
 *	every buffer the client created.
 * @idev: the device; the client holds a reference on its DRM device.
 * @node: entry in &ionode_device.clients.
 * @id: unique id, reported as drm-client-id.
 * @pid: thread group id of the opener, 0 for the kernel client.
 * @comm: command name of the opener.
 * @kernel: stands for in-kernel users of ionode.h.
 * @via: how the client reaches ionode: "drm" for a DRM file, "kernel", or
 *	the label a driver gave ionode_client_open().
 * @lock: protects the fields below.
 * @closed: the DRM file is closed; buffers keep the client listed.
 * @total_bytes: bytes of the client's live buffers and of allocations in
 *	flight, checked against client_limit.
 * @heap: per-heap usage of buffers the client created, indexed by heap id.
 * @imported: foreign buffers the client holds handles to.
 */
struct ionode_client {
	struct kref ref;
	struct ionode_device *idev;
	struct list_head node;
	u64 id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	bool kernel;
	char via[16];

	struct mutex lock; /* protects closed and the usage counters */
	bool closed;
	u64 total_bytes;
	struct ionode_usage heap[IONODE_MAX_HEAPS];
	struct ionode_usage imported;
};

/**
 * struct ionode_device - the driver instance
 * @drm: the DRM device.
 * @heaps: registered heaps, indexed by id, in priority order; NULL where
 *	a heap was unregistered. Read under ionode_heaps_read_lock().
 * @num_heaps: ids handed out so far: @heaps[0..@num_heaps) may be set.
 * @heap_names: the name each id was handed out to; an id never goes to
 *	another name while the device lives.
 * @clients_lock: protects @clients and @last_client_id.
 * @clients: every &struct ionode_client alive.
 * @last_client_id: id given to the newest client.
 * @kernel_client: owner of buffers allocated through ionode.h.
 * @bos_lock: protects @bos.
 * @bos: every ionode buffer alive (not the imported ones), for debugfs.
 * @sysfs_heaps: /sys/devices/platform/ionode/heaps.
 */
struct ionode_device {
	struct drm_device drm;
	struct ionode_heap __rcu *heaps[IONODE_MAX_HEAPS];
	unsigned int num_heaps;
	char heap_names[IONODE_MAX_HEAPS][IONODE_HEAP_NAME_LEN];

	struct mutex clients_lock; /* protects clients, last_client_id */
	struct list_head clients;
	u64 last_client_id;
	struct ionode_client *kernel_client;

	struct mutex bos_lock; /* protects bos */
	struct list_head bos;

	struct kobject *sysfs_heaps;
};

static inline struct ionode_device *to_ionode_dev(struct drm_device *drm)
{
	return container_of(drm, struct ionode_device, drm);
}

/**
 * struct ionode_bo - a GEM buffer object
 * @base: the GEM object.
 * @backing: the buffer's memory, NULL for an imported buffer and for a
 *	deferred one until its first use; never looked inside of (see
 *	ionode_backing.h). Set once, under @lock, with a release store:
 *	readers without @lock use ionode_bo_backing().
 * @owner: client charged for the buffer, NULL for an imported buffer.
 * @flags: IONODE_BO_* flags it was created with.
 * @contiguous: the memory is physically contiguous (for an imported
 *	buffer: contiguous in the ionode device's DMA space).
 * @import_sgt: the importer-side mapping of an imported buffer.
 * @heap_mask: for a deferred buffer, the heaps its creator accepted, in
 *	the order they are tried at the first use (ionode_deferred.c).
 * @align: for a deferred buffer, the alignment its creator asked for.
 * @memcg: for a deferred buffer, the memory cgroup its creator was in,
 *	charged when memory comes; a reference is held until then.
 * @pid: thread group id of the task that created the buffer.
 * @comm: its command name.
 * @node: entry in &ionode_device.bos.
 * @dmabuf: the buffer's live dma-buf, if any (for its DMA_BUF_SET_NAME
 *	name in debugfs); set and cleared under @lock.
 * @lock: protects @attachments, @vmap_count, @vaddr, @dmabuf and the
 *	setting of @backing.
 * @attachments: &struct ionode_attachment of every importer.
 * @vmap_count: number of users of @vaddr.
 * @vaddr: kernel mapping while @vmap_count > 0.
 */
struct ionode_bo {
	struct drm_gem_object base;
	struct ionode_backing *backing;
	struct ionode_client *owner;
	u32 flags;
	bool contiguous;
	struct sg_table *import_sgt;
	u64 heap_mask;
	u64 align;
	struct mem_cgroup *memcg;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct list_head node;
	struct dma_buf *dmabuf;

	struct mutex lock; /* protects attachments, vmap_count, vaddr */
	struct list_head attachments;
	unsigned int vmap_count;
	void *vaddr;
};

static inline struct ionode_bo *to_ionode_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct ionode_bo, base);
}

/**
 * ionode_bo_backing - a buffer's memory, read without its lock
 * @bo: the buffer
 *
 * Return: the backing, or NULL for an imported buffer and for a deferred
 * one without memory yet. Once non-NULL it stays until the buffer is freed.
 */
static inline struct ionode_backing *ionode_bo_backing(const struct ionode_bo *bo)
{
	/* Pairs with the release store in ionode_bo_populate(). */
	return smp_load_acquire(&bo->backing);
}

/**
 * struct ionode_attachment - one importer of an ionode buffer
 * @dev: the importing device.
 * @sgt: the buffer in segments the device accepts; built when the buffer
 *	has memory (at attach, or at the first map for a deferred buffer).
 * @dir: direction of the current mapping.
 * @mapped: @sgt is DMA-mapped for @dev.
 * @contiguous: the importer declared that it needs contiguous memory
 *	(ionode_attach_constraints()).
 * @align: the physical alignment it declared, 0 for none.
 * @node: entry in &ionode_bo.attachments.
 */
struct ionode_attachment {
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
	bool contiguous;
	u64 align;
	struct list_head node;
};

static inline unsigned long ionode_bo_npages(const struct ionode_bo *bo)
{
	return bo->base.size >> PAGE_SHIFT;
}

/* ionode_drv.c */
extern const struct drm_driver ionode_drm_driver;

/* ionode_heap.c */
int ionode_heap_add(struct ionode_device *idev, struct ionode_heap *heap);
int ionode_heap_remove(struct ionode_heap *heap);
void ionode_heaps_destroy(struct ionode_device *idev);
void ionode_heap_set_device(struct ionode_device *idev);
int ionode_heaps_read_lock(void);
void ionode_heaps_read_unlock(int idx);
void ionode_heaps_lock(void);
void ionode_heaps_unlock(void);
struct ionode_heap *ionode_heap_get(struct ionode_device *idev, unsigned int id);
int ionode_heap_lookup_id(struct ionode_device *idev, const char *name);

/**
 * struct ionode_heap_iter - position of an ionode_for_each_heap() walk
 * @dev: the device.
 * @id: the next id to look at.
 */
struct ionode_heap_iter {
	struct ionode_device *dev;
	unsigned int id;
};

struct ionode_heap *ionode_heap_iter_next(struct ionode_heap_iter *it);

/*
 * Every heap of @idev in id order, skipping unregistered ids; under
 * ionode_heaps_read_lock() (or ionode_heaps_lock()).
 */
#define ionode_for_each_heap(idev, heap) \
	for (struct ionode_heap_iter __it = { .dev = (idev) }; \
	     ((heap) = ionode_heap_iter_next(&__it));)

int ionode_heap_candidates(struct ionode_device *idev, u64 heap_mask,
			   u32 flags, u64 align, u64 size, bool trusted,
			   u64 *out_mask);
struct ionode_backing *ionode_heap_alloc(struct ionode_device *idev,
					 u64 heap_mask, size_t size,
					 size_t align, u32 flags);
void ionode_heap_free(struct ionode_backing *b);
void ionode_heap_flush_deferred(void);
void ionode_heap_fill_info(struct ionode_heap *heap,
			   struct drm_ionode_heap_info *info);
struct ionode_heap *ionode_heap_by_name(struct ionode_device *idev,
					const char *name);
void ionode_heaps_show(struct seq_file *m, struct ionode_device *idev);

/* ionode_policy.c */
int ionode_policy_set_heap_limits(const char *val);
int ionode_policy_set_restricted_heaps(const char *val);
int ionode_policy_set_client_limit(const char *val);
u64 ionode_policy_client_limit(void);
u64 ionode_policy_heap_limit(const struct ionode_heap *heap);
bool ionode_policy_heap_restricted(const struct ionode_heap *heap);
bool ionode_policy_privileged(void);
kgid_t ionode_policy_restricted_kgid(void);

/* ionode_client.c */
struct ionode_client *ionode_client_create(struct ionode_device *idev,
					   const char *comm, const char *via,
					   bool kernel);
void ionode_client_mark_closed(struct ionode_client *client);
void ionode_client_put(struct ionode_client *client);
int ionode_client_drm_open(struct drm_device *dev, struct drm_file *file);
void ionode_client_drm_postclose(struct drm_device *dev, struct drm_file *file);
int ionode_client_reserve(struct ionode_client *client, u64 size);
void ionode_client_unreserve(struct ionode_client *client, u64 size);
void ionode_client_attach_bo(struct ionode_client *client, struct ionode_bo *bo);
void ionode_client_detach_bo(struct ionode_bo *bo);
void ionode_client_charge_bo(struct ionode_bo *bo);
void ionode_client_count_import(struct drm_file *file,
				struct drm_gem_object *obj, bool add);
void ionode_client_show_usage(struct seq_file *m, struct ionode_client *client);
void ionode_client_show_fdinfo(struct seq_file *m, struct file *f);
void ionode_clients_show(struct seq_file *m, struct ionode_device *idev);
void ionode_buffers_show(struct seq_file *m, struct ionode_device *idev);

/* ionode_kapi.c */
void ionode_kapi_register(struct ionode_device *idev);

/* ionode_dmaheap.c */
void ionode_dmaheap_register(struct ionode_device *idev);
void ionode_dmaheap_unregister(void);
void ionode_dmaheap_policy_changed(void);
void ionode_dmaheap_heap_added(struct ionode_heap *heap);
void ionode_dmaheap_heap_removed(struct ionode_heap *heap);

/* ionode_debugfs.c */
void ionode_debugfs_init(struct drm_minor *minor);

/* ionode_sysfs.c */
int ionode_sysfs_init(struct ionode_device *idev, struct device *parent);
void ionode_sysfs_fini(struct ionode_device *idev);
int ionode_sysfs_add_heap(struct ionode_device *idev, struct ionode_heap *heap);
void ionode_sysfs_remove_heap(struct ionode_heap *heap);

/* ionode_heap_system.c */
int ionode_system_heap_create(struct ionode_device *idev);

/* ionode_heap_contig.c */
int ionode_contig_heap_create(struct ionode_device *idev);

/* ionode_heap_carveout.c */
struct gen_pool;
int ionode_carveout_init(void);
void ionode_carveout_exit(void);
int ionode_carveout_heaps_create(struct ionode_device *idev);
int ionode_carveout_parse(const char *spec,
			  int (*add)(void *ctx, unsigned int index,
				     phys_addr_t base, u64 size),
			  void *ctx);
unsigned long ionode_carveout_range_alloc(struct gen_pool *pool, u64 size,
					  u64 align);

/* ionode_heap_cma.c */
#if IS_ENABLED(CONFIG_DMA_CMA)
int ionode_cma_heap_create(struct ionode_device *idev, struct device *dev);
#else
static inline int ionode_cma_heap_create(struct ionode_device *idev,
					 struct device *dev)
{
	return 0;
}
#endif

/* ionode_gem.c */
u32 ionode_bo_heap_id(const struct ionode_bo *bo);
void ionode_fault_window(unsigned long addr, unsigned long vm_start,
			 unsigned long vm_end, unsigned long left,
			 unsigned long *start, unsigned long *end);
int ionode_bo_check_args(u64 size, u64 *align, u32 flags);
struct ionode_bo *ionode_bo_create(struct ionode_device *idev,
				   struct ionode_client *client, u64 size,
				   u64 align, u64 heap_mask, u32 flags);
struct drm_gem_object *ionode_gem_prime_import(struct drm_device *dev,
					       struct dma_buf *dma_buf);
struct drm_gem_object *
ionode_gem_prime_import_sg_table(struct drm_device *dev,
				 struct dma_buf_attachment *attach,
				 struct sg_table *sgt);

/* ionode_deferred.c */
int ionode_bo_populate(struct ionode_bo *bo);
int ionode_bo_populate_unlocked(struct ionode_bo *bo);
bool ionode_dev_translated(struct device *dev);

/* ionode_dmabuf.c */
struct dma_buf *ionode_gem_prime_export(struct drm_gem_object *obj, int flags);
bool ionode_is_ionode_dmabuf(const struct dma_buf *dma_buf);

/* ionode_ioctl.c */
int ionode_ioctl_query_heaps(struct drm_device *dev, void *data,
			     struct drm_file *file);
int ionode_ioctl_create(struct drm_device *dev, void *data,
			struct drm_file *file);
int ionode_ioctl_map_offset(struct drm_device *dev, void *data,
			    struct drm_file *file);
int ionode_ioctl_bo_info(struct drm_device *dev, void *data,
			 struct drm_file *file);
int ionode_ioctl_alloc_fd(struct drm_device *dev, void *data,
			  struct drm_file *file);

struct drm_mode_create_dumb;
int ionode_map_offset(struct drm_file *file, struct drm_device *dev,
		      u32 handle, u64 *offset);
int ionode_dumb_create(struct drm_file *file, struct drm_device *dev,
		       struct drm_mode_create_dumb *args);

#endif /* __IONODE_DRV_H__ */
