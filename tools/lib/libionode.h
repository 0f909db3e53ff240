/* SPDX-License-Identifier: MIT */
/*
 * libionode.h - thin userspace wrapper around the ionode DRM uapi.
 *
 * ionode is a DRM render-node buffer allocator (see uapi/ionode_drm.h). This
 * library only saves callers the boilerplate: finding the device, the
 * two-pass heap query, the ioctl structs, the mmap dance and the PRIME/dma-buf
 * calls. It keeps no state of its own and never hides a kernel error.
 *
 * Conventions:
 *  - Every function returning int returns 0 (or a non-negative fd) on
 *    success and a negative errno value on failure (-EINVAL, -ENOENT, ...).
 *    errno itself is left as the failing call set it.
 *  - Functions taking a "fd" want a file descriptor of the ionode DRM device,
 *    normally its render node as returned by ionode_open().
 *  - Out parameters are only written on success.
 *  - Thread safety: the library has no global or static mutable state and
 *    no locks; every function may be called from any number of threads at
 *    once, on the same fd or on different ones (what the kernel serialises,
 *    it serialises). Memory a function returns belongs to the caller.
 *
 * Build, installed (`make install`): `pkg-config --cflags --libs libionode`
 * (shared library libionode.so.<uapi major>, headers in
 * <prefix>/include/ionode/, libdrm's include path from its pkg-config).
 * In the source tree: -I<repo>/uapi -I<repo>/tools/lib and `pkg-config
 * --cflags libdrm`, link tools/lib/libionode.a (or libionode.so) and
 * `pkg-config --libs libdrm`.
 */
#ifndef LIBIONODE_H
#define LIBIONODE_H

#include <stddef.h>
#include <stdint.h>

#include "ionode_drm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** IONODE_DRIVER_NAME: DRM driver name reported by DRM_IOCTL_VERSION. */
#define IONODE_DRIVER_NAME	"ionode"

/*
 * Device discovery
 * ----------------
 */

/**
 * ionode_find_node() - find a DRM device node by driver name
 * @driver: DRM driver name as reported by drmGetVersion() ("ionode", "vgem").
 * @node_type: DRM_NODE_RENDER or DRM_NODE_PRIMARY (from <xf86drm.h>).
 * @path: buffer receiving the node path ("/dev/dri/renderD128").
 * @len: size of @path.
 *
 * Enumerates the devices with drmGetDevices2(), opens each device's node of
 * @node_type and compares the driver name. If libdrm cannot enumerate the
 * device (unknown bus type), /dev/dri is scanned directly as a fallback.
 * A node this process cannot open matches when sysfs names @driver as the
 * kernel driver of its device (true of ionode), so that the caller's own
 * open() then reports why (EACCES).
 *
 * Return: 0, -ENODEV when no such device or node exists, -EACCES when none
 * matched and some node could not be opened for lack of permission,
 * -ENAMETOOLONG when @path is too small, or another -errno.
 */
int ionode_find_node(const char *driver, int node_type, char *path, size_t len);

/**
 * ionode_open_driver() - open a DRM node of the first device driven by @driver
 * @driver: DRM driver name.
 * @node_type: DRM_NODE_RENDER or DRM_NODE_PRIMARY.
 *
 * The fd is opened O_RDWR | O_CLOEXEC.
 *
 * Return: the fd, or -errno (-ENODEV when there is no such device).
 */
int ionode_open_driver(const char *driver, int node_type);

/**
 * ionode_open() - open the ionode render node (/dev/dri/renderD*)
 *
 * Return: the fd, or -errno (-ENODEV when the ionode module is not loaded
 * or its device is unbound, -EACCES when the node is not accessible).
 */
int ionode_open(void);

/**
 * ionode_open_card() - open the ionode primary node (/dev/dri/card*)
 *
 * ionode does no mode-setting; the primary node exists because every DRM
 * device has one. Allocation works on the render node.
 *
 * Return: the fd, or -errno.
 */
int ionode_open_card(void);

/**
 * ionode_is_ionode() - tell whether @fd is a node of the ionode driver
 * @fd: any file descriptor.
 *
 * Return: 1 if it is, 0 if it is another DRM driver, -errno if @fd is not a
 * DRM device at all.
 */
int ionode_is_ionode(int fd);

/*
 * Heaps
 * -----
 */

/**
 * ionode_query_heaps() - list the heaps (DRM_IOCTL_IONODE_QUERY_HEAPS)
 * @fd: ionode fd.
 * @heaps: out: malloc'd array of @count entries, in the driver's order (the
 *	order the driver tries heaps in); free() it. NULL when @count is 0.
 * @count: out: number of heaps.
 *
 * Does the two-pass query (count, then fill) and retries if heaps appear in
 * between.
 *
 * Return: 0 or -errno.
 */
int ionode_query_heaps(int fd, struct drm_ionode_heap_info **heaps,
		       uint32_t *count);

/**
 * ionode_find_heap() - look a heap up by name in a list from ionode_query_heaps()
 * @heaps: the list.
 * @count: its number of entries.
 * @name: heap name.
 *
 * Return: the entry, or NULL if no heap has that name.
 */
const struct drm_ionode_heap_info *
ionode_find_heap(const struct drm_ionode_heap_info *heaps, uint32_t count,
		 const char *name);

/**
 * ionode_heap_mask() - mask selecting every heap of a list
 * @heaps: a list from ionode_query_heaps().
 * @count: its number of entries.
 *
 * Return: the OR of (1 << id) over @heaps (ids >= 64 are ignored).
 */
uint64_t ionode_heap_mask(const struct drm_ionode_heap_info *heaps,
			  uint32_t count);

/**
 * ionode_heap_mask_by_name() - query the heaps and return the bit of one
 * @fd: ionode fd.
 * @name: heap name ("system", "system-contig", ...).
 * @mask: out: 1 << id of that heap.
 *
 * Return: 0, -ENOENT when no heap has that name, or -errno.
 */
int ionode_heap_mask_by_name(int fd, const char *name, uint64_t *mask);

/**
 * ionode_heap_type_name() - name of a heap type
 * @type: IONODE_HEAP_TYPE_* of &struct drm_ionode_heap_info.
 *
 * Return: "system", "system-contig", "carveout", "cma" or "unknown" (a
 * static string).
 */
const char *ionode_heap_type_name(uint32_t type);

/*
 * Buffers
 * -------
 */

/**
 * ionode_create_ex() - DRM_IOCTL_IONODE_CREATE with a caller-filled struct
 * @fd: ionode fd.
 * @req: in/out, see &struct drm_ionode_create; @req->pad must be zero.
 *
 * Return: 0 or -errno (-EINVAL, -E2BIG, -ENOMEM, ...).
 */
int ionode_create_ex(int fd, struct drm_ionode_create *req);

/**
 * ionode_create() - allocate a buffer
 * @fd: ionode fd.
 * @size: size in bytes (rounded up to the page size by the kernel).
 * @heap_mask: acceptable heaps (bit N = heap id N).
 * @flags: IONODE_BO_* flags.
 * @handle: out: GEM handle.
 *
 * Page alignment; use ionode_create_ex() for larger alignments or to learn
 * the allocated size and the heap that served the request.
 *
 * Return: 0 or -errno.
 */
int ionode_create(int fd, uint64_t size, uint64_t heap_mask, uint32_t flags,
		  uint32_t *handle);

/**
 * ionode_close() - release a GEM handle (drmCloseBufferHandle())
 * @fd: ionode fd.
 * @handle: GEM handle.
 *
 * The buffer itself lives on while mappings, dma-buf fds or other handles
 * reference it.
 *
 * Return: 0 or -errno (-EINVAL for a handle that does not exist).
 */
int ionode_close(int fd, uint32_t handle);

/**
 * ionode_map_offset() - fake mmap offset of a buffer (DRM_IOCTL_IONODE_MAP_OFFSET)
 * @fd: ionode fd.
 * @handle: GEM handle.
 * @offset: out: the offset to pass to mmap() on @fd.
 *
 * Return: 0 or -errno (-ENOENT for a bad handle).
 */
int ionode_map_offset(int fd, uint32_t handle, uint64_t *offset);

/**
 * ionode_mmap() - map a buffer through the DRM fd
 * @fd: ionode fd.
 * @handle: GEM handle.
 * @size: bytes to map from the start of the buffer (at most its size).
 * @prot: PROT_READ and/or PROT_WRITE.
 * @ptr: out: the mapping; release it with munmap(ptr, size).
 *
 * MAP_SHARED mapping at the buffer's fake offset. Cached buffers need
 * DMA_BUF_IOCTL_SYNC around CPU access if a device also touches them.
 *
 * Return: 0 or -errno.
 */
int ionode_mmap(int fd, uint32_t handle, size_t size, int prot, void **ptr);

/**
 * ionode_bo_info() - size, heap, flags and attributes of a buffer
 * (DRM_IOCTL_IONODE_BO_INFO)
 * @fd: ionode fd.
 * @handle: GEM handle.
 * @info: out: what the kernel reports.
 *
 * Return: 0 or -errno (-ENOENT for a bad handle).
 */
int ionode_bo_info(int fd, uint32_t handle, struct drm_ionode_bo_info *info);

/*
 * Sharing (PRIME / dma-buf)
 * -------------------------
 */

/**
 * ionode_export() - export a buffer as a dma-buf fd (drmPrimeHandleToFD())
 * @fd: ionode fd.
 * @handle: GEM handle.
 * @dmabuf_fd: out: the dma-buf fd; close() it.
 *
 * drmPrimeHandleToFD() with DRM_CLOEXEC | DRM_RDWR, so the dma-buf fd can be
 * mapped writable.
 *
 * Return: 0 or -errno.
 */
int ionode_export(int fd, uint32_t handle, int *dmabuf_fd);

/**
 * ionode_create_fd() - allocate a buffer straight as a dma-buf fd
 * @fd: ionode fd.
 * @size: size in bytes (rounded up to the page size by the kernel).
 * @heap_mask: acceptable heaps (bit N = heap id N).
 * @flags: IONODE_BO_* flags.
 * @dmabuf_fd: out: the dma-buf fd; close() it.
 * @heap_id: out: the heap that served the request.
 *
 * DRM_IOCTL_IONODE_ALLOC_FD (uapi 1.1): what ionode_create(), ionode_export()
 * and ionode_close() do in one call, without a GEM handle; the dma-buf fd
 * (O_CLOEXEC | O_RDWR) holds the buffer. @heap_id may be NULL.
 *
 * Return: 0 or -errno (those of ionode_create(), -ENOTTY on a uapi 1.0
 * driver).
 */
int ionode_create_fd(int fd, uint64_t size, uint64_t heap_mask, uint32_t flags,
		     int *dmabuf_fd, uint32_t *heap_id);

/**
 * ionode_import() - import a dma-buf fd (drmPrimeFDToHandle())
 * @fd: ionode fd.
 * @dmabuf_fd: a dma-buf fd of any exporter.
 * @handle: out: GEM handle; release it with ionode_close().
 *
 * Importing a dma-buf this fd exported, or imported before, gives back the
 * existing handle. Foreign buffers get a new handle whose bo_info reports
 * IONODE_ATTR_IMPORTED.
 *
 * Return: 0 or -errno (-EBADF for a bad fd, -EINVAL for a non-dma-buf fd).
 */
int ionode_import(int fd, int dmabuf_fd, uint32_t *handle);

/**
 * ionode_dmabuf_sync() - DMA_BUF_IOCTL_SYNC on a dma-buf fd
 * @dmabuf_fd: dma-buf fd.
 * @flags: DMA_BUF_SYNC_START or DMA_BUF_SYNC_END, OR'd with
 *	DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE or DMA_BUF_SYNC_RW.
 *
 * Return: 0 or -errno.
 */
int ionode_dmabuf_sync(int dmabuf_fd, uint64_t flags);

/**
 * ionode_dmabuf_mmap() - map a dma-buf fd (MAP_SHARED, offset 0)
 * @dmabuf_fd: dma-buf fd.
 * @size: bytes to map (at most the buffer's size).
 * @prot: PROT_READ and/or PROT_WRITE.
 * @ptr: out: the mapping; release it with munmap(ptr, size).
 *
 * Return: 0 or -errno.
 */
int ionode_dmabuf_mmap(int dmabuf_fd, size_t size, int prot, void **ptr);

/*
 * Misc
 * ----
 */

/**
 * ionode_ioctl() - drmIoctl() (restarted on EINTR/EAGAIN), returning -errno
 * @fd: DRM (or dma-buf) fd.
 * @request: ioctl number.
 * @arg: ioctl argument.
 *
 * Return: the ioctl's non-negative result, or -errno.
 */
int ionode_ioctl(int fd, unsigned long request, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LIBIONODE_H */
