/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ionode_drm.h - userspace ABI of the ionode DRM render-node allocator.
 *
 * ionode hands out buffers from named heaps (system pages, physically
 * contiguous pages, boot-time carveouts, CMA) as GEM objects on a DRM
 * render node. Buffers are shared with the standard PRIME ioctls
 * (DRM_IOCTL_PRIME_HANDLE_TO_FD / DRM_IOCTL_PRIME_FD_TO_HANDLE), released
 * with DRM_IOCTL_GEM_CLOSE and CPU access is bracketed with
 * DMA_BUF_IOCTL_SYNC on the dma-buf fd.
 *
 * ABI rules: every struct is made of fixed-size types, is 64-bit aligned and
 * has explicit padding. The kernel rejects set bits it does not know and
 * non-zero padding with -EINVAL, so those bits and fields can be given a
 * meaning later without breaking old binaries. New ioctls bump the minor
 * version reported by DRM_IOCTL_VERSION (drmGetVersion()).
 */
#ifndef _UAPI_IONODE_DRM_H_
#define _UAPI_IONODE_DRM_H_

#include <linux/const.h>

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: ionode uapi version
 *
 * IONODE_UAPI_MAJOR and IONODE_UAPI_MINOR are the values the driver reports
 * as major and minor in DRM_IOCTL_VERSION. A binary built against minor N
 * runs on every kernel driver with the same major and a minor >= N.
 */
#define IONODE_UAPI_MAJOR		1
#define IONODE_UAPI_MINOR		2

/**
 * DOC: ionode uapi limits
 *
 * IONODE_MAX_HEAPS
 *	heap ids are bit numbers in a __u64 heap mask.
 *
 * IONODE_HEAP_NAME_LEN
 *	size of the NUL-terminated heap name field.
 */
#define IONODE_MAX_HEAPS		64
#define IONODE_HEAP_NAME_LEN		32

/**
 * enum ionode_heap_type - the kind of memory a heap hands out
 * @IONODE_HEAP_TYPE_SYSTEM: pages from the page allocator, not contiguous.
 * @IONODE_HEAP_TYPE_SYSTEM_CONTIG: physically contiguous pages from the
 *	page allocator, limited to the largest order the kernel can give.
 * @IONODE_HEAP_TYPE_CARVEOUT: a physical range reserved at boot.
 * @IONODE_HEAP_TYPE_CMA: the kernel's contiguous memory allocator.
 */
enum ionode_heap_type {
	IONODE_HEAP_TYPE_SYSTEM = 0,
	IONODE_HEAP_TYPE_SYSTEM_CONTIG = 1,
	IONODE_HEAP_TYPE_CARVEOUT = 2,
	IONODE_HEAP_TYPE_CMA = 3,
};

/**
 * DOC: ionode heap flags
 *
 * Reported in &drm_ionode_heap_info.flags:
 *
 * IONODE_HEAP_CONTIGUOUS
 *	every buffer of this heap is physically contiguous.
 *
 * IONODE_HEAP_RESTRICTED
 *	only privileged callers may allocate here.
 *
 * And in its byte counts:
 *
 * IONODE_SIZE_UNKNOWN
 *	value of a byte count the heap cannot tell.
 */
#define IONODE_HEAP_CONTIGUOUS		_BITUL(0)
#define IONODE_HEAP_RESTRICTED		_BITUL(1)
#define IONODE_SIZE_UNKNOWN		(~(__u64)0)

/**
 * struct drm_ionode_heap_info - one heap, as listed by
 * DRM_IOCTL_IONODE_QUERY_HEAPS
 * @id: heap id; bit @id of a heap mask selects this heap.
 * @type: one of &enum ionode_heap_type.
 * @flags: IONODE_HEAP_* flags.
 * @pad: reserved, zero.
 * @name: NUL-terminated heap name, stable across boots ("system",
 *	"system-contig", "carveout0", "cma", ...). Look heaps up by name.
 * @total_bytes: size of the heap, or IONODE_SIZE_UNKNOWN when the heap
 *	has no fixed size (the system heaps).
 * @free_bytes: bytes that can still be allocated, or IONODE_SIZE_UNKNOWN.
 * @used_bytes: bytes currently allocated from this heap by all clients.
 * @max_alloc: largest single buffer the heap can ever serve, in bytes.
 * @pool_bytes: freed memory the heap keeps for reuse (zeroed, or about to
 *	be), in bytes; not part of @used_bytes. It goes back to the system
 *	under memory pressure. Since uapi 1.1; older drivers do not write it
 *	(pass a zeroed array).
 *
 * Heaps are listed in the order the driver tries them when a heap mask
 * names several (ION's fallback rule): the first listed is tried first.
 * Heaps of heap modules come and go at runtime, so ids need not be
 * contiguous; an id stays with its heap's name while the driver is bound,
 * and is never given to another heap.
 */
struct drm_ionode_heap_info {
	__u32 id;
	__u32 type;
	__u32 flags;
	__u32 pad;
	char name[IONODE_HEAP_NAME_LEN];
	__u64 total_bytes;
	__u64 free_bytes;
	__u64 used_bytes;
	__u64 max_alloc;
	__u64 pool_bytes;
};

/**
 * struct drm_ionode_query_heaps - DRM_IOCTL_IONODE_QUERY_HEAPS argument
 * @count: in: number of elements @heaps can hold, or 0 to ask for the
 *	count. out: number of heaps. A non-zero @count smaller than the number
 *	of heaps fails with -ENOSPC and sets @count to the number needed.
 * @elem_size: in: size of one element of @heaps as the caller knows it
 *	(sizeof(struct drm_ionode_heap_info)), or 0 with @count 0. The kernel
 *	writes min(@elem_size, its own size) bytes per element at a stride of
 *	@elem_size, so older and newer binaries keep working when the struct
 *	grows. A non-zero @elem_size below the version-1 size (80) is -EINVAL.
 *	out: the kernel's element size.
 * @heaps: pointer to an array of &struct drm_ionode_heap_info, or 0 with
 *	@count 0.
 *
 * Two-pass use: call with @count 0 to learn the count, allocate, call again.
 */
struct drm_ionode_query_heaps {
	__u32 count;
	__u32 elem_size;
	__u64 heaps;
};

/**
 * DOC: ionode buffer flags
 *
 * For &drm_ionode_create.flags:
 *
 * IONODE_BO_CACHED
 *	CPU mappings (mmap of the DRM fd or dma-buf fd, kernel vmap) are
 *	cached; CPU access must then be bracketed with DMA_BUF_IOCTL_SYNC so
 *	devices see the data. Without this flag mappings are write-combined.
 *
 * IONODE_BO_CONTIGUOUS
 *	the buffer must be physically contiguous.
 *
 * IONODE_BO_DEFERRED
 *	the buffer gets its size, heap mask and flags now and its memory at
 *	its first use: a device's mapping of its dma-buf
 *	(dma_buf_map_attachment(), a V4L2 QBUF among them), a CPU access
 *	through a mapping, a kernel vmap or DMA_BUF_IOCTL_SYNC. The memory
 *	then comes from the first heap of the mask that every device
 *	attached at that moment can reach (DMA mask, unless behind an IOMMU)
 *	and that meets what they declared through ionode's in-kernel API
 *	(contiguous, alignment). Until then it costs no memory and no limit:
 *	limits are charged at the first use, and fail it. The first use fails
 *	with the errno creation would have given (-ENOMEM, -EDQUOT, -E2BIG,
 *	-EINVAL when no heap of the mask meets every device's constraints):
 *	DMA_BUF_IOCTL_SYNC returns it, a CPU access gets SIGBUS. Since
 *	uapi 1.2.
 *
 * IONODE_BO_FLAGS
 *	every valid &drm_ionode_create.flags bit.
 */
#define IONODE_BO_CACHED		_BITUL(0)
#define IONODE_BO_CONTIGUOUS		_BITUL(1)
#define IONODE_BO_DEFERRED		_BITUL(2)
#define IONODE_BO_FLAGS			(IONODE_BO_CACHED | IONODE_BO_CONTIGUOUS | \
					 IONODE_BO_DEFERRED)

/**
 * struct drm_ionode_create - DRM_IOCTL_IONODE_CREATE argument
 * @size: in: requested size in bytes, non-zero. out: the allocated size,
 *	@size rounded up to the page size.
 * @align: in: required alignment of the buffer's physical (and, for a
 *	contiguous heap, DMA) start address: 0 for the page size, otherwise a
 *	power of two. Alignments above the page size need a contiguous heap.
 * @heap_mask: in: bit N set means heap id N is acceptable. Heaps are tried
 *	in the order DRM_IOCTL_IONODE_QUERY_HEAPS lists them; heaps that
 *	cannot meet @flags or @align are skipped.
 * @flags: in: IONODE_BO_* flags.
 * @handle: out: GEM handle of the new buffer.
 * @heap_id: out: id of the heap that served the request;
 *	IONODE_HEAP_ID_NONE for an IONODE_BO_DEFERRED buffer.
 * @pad: reserved, must be zero.
 *
 * An IONODE_BO_DEFERRED buffer is checked the same way (mask, flags,
 * alignment, policy) but gets no memory: the errors that depend on memory
 * come at its first use instead.
 *
 * Errors: -EINVAL for a zero size, unknown flags, a bad alignment, non-zero
 * padding, an empty mask, a mask naming no existing heap, or a mask none of
 * whose heaps can meet @flags and @align; -E2BIG when @size is larger than
 * every such heap's max_alloc (so a size whose page rounding would overflow
 * is -E2BIG too); -ENOMEM when every such heap is exhausted. Bits of
 * @heap_mask naming no heap are ignored while one named heap exists. The
 * buffer's bytes are zero. Administrator policy (see Documentation/admin.rst)
 * adds -EPERM when only heaps restricted to privileged callers could serve,
 * and -EDQUOT when a per-client or per-heap byte limit is hit (a heap at its
 * limit is skipped like an exhausted one).
 */
struct drm_ionode_create {
	__u64 size;
	__u64 align;
	__u64 heap_mask;
	__u32 flags;
	__u32 handle;
	__u32 heap_id;
	__u32 pad;
};

/**
 * struct drm_ionode_map_offset - DRM_IOCTL_IONODE_MAP_OFFSET argument
 * @handle: in: GEM handle.
 * @pad: reserved, must be zero.
 * @offset: out: fake offset to pass to mmap() on the DRM fd.
 *
 * Mappings must be MAP_SHARED (copy-on-write mappings are refused with
 * -EINVAL, on the DRM fd and on the dma-buf fd alike) and start at @offset;
 * to map part of a buffer at an offset, mmap() its dma-buf fd.
 */
struct drm_ionode_map_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/**
 * DOC: ionode buffer attributes
 *
 * Reported in &drm_ionode_bo_info.attrs:
 *
 * IONODE_ATTR_CONTIGUOUS
 *	the buffer is physically contiguous.
 *
 * IONODE_ATTR_IMPORTED
 *	the buffer was imported from another exporter.
 *
 * IONODE_ATTR_EXPORTED
 *	the buffer has a dma-buf (it was exported).
 *
 * IONODE_ATTR_UNBACKED
 *	an IONODE_BO_DEFERRED buffer without memory yet; &drm_ionode_bo_info
 *	.heap_id is IONODE_HEAP_ID_NONE until the first use chooses a heap.
 *	Since uapi 1.2.
 *
 * And in &drm_ionode_bo_info.heap_id:
 *
 * IONODE_HEAP_ID_NONE
 *	the heap id of an imported buffer, or of a deferred one that has no
 *	memory yet.
 */
#define IONODE_ATTR_CONTIGUOUS		_BITUL(0)
#define IONODE_ATTR_IMPORTED		_BITUL(1)
#define IONODE_ATTR_EXPORTED		_BITUL(2)
#define IONODE_ATTR_UNBACKED		_BITUL(3)
#define IONODE_HEAP_ID_NONE		(~(__u32)0)

/**
 * struct drm_ionode_bo_info - DRM_IOCTL_IONODE_BO_INFO argument
 * @handle: in: GEM handle.
 * @pad: reserved, must be zero.
 * @size: out: size in bytes.
 * @heap_id: out: heap that holds the buffer, IONODE_HEAP_ID_NONE when
 *	imported.
 * @flags: out: the IONODE_BO_* flags it was created with.
 * @attrs: out: IONODE_ATTR_* attributes.
 * @pad2: reserved, written as zero.
 *
 * Physical addresses are never reported.
 */
struct drm_ionode_bo_info {
	__u32 handle;
	__u32 pad;
	__u64 size;
	__u32 heap_id;
	__u32 flags;
	__u32 attrs;
	__u32 pad2;
};

/**
 * struct drm_ionode_alloc_fd - DRM_IOCTL_IONODE_ALLOC_FD argument
 * @size: in: requested size in bytes, non-zero. out: the allocated size.
 * @align: in: as &drm_ionode_create.align.
 * @heap_mask: in: as &drm_ionode_create.heap_mask.
 * @flags: in: IONODE_BO_* flags.
 * @fd_flags: in: flags of the new file: O_CLOEXEC and an access mode
 *	(O_RDONLY, O_WRONLY or O_RDWR), as for DMA_HEAP_IOCTL_ALLOC.
 * @fd: out: a dma-buf fd of the new buffer.
 * @heap_id: out: id of the heap that served the request.
 *
 * DRM_IOCTL_IONODE_CREATE followed by DRM_IOCTL_PRIME_HANDLE_TO_FD and
 * DRM_IOCTL_GEM_CLOSE in one call, without a GEM handle: the buffer is
 * shared from the start and lives as long as its dma-buf (what a dma-buf
 * heap's DMA_HEAP_IOCTL_ALLOC gives). It is charged to the caller's DRM
 * file like a created buffer. Importing the fd into the same DRM file
 * gives a handle to the same buffer. Since uapi 1.1.
 *
 * Errors: those of DRM_IOCTL_IONODE_CREATE; -EINVAL for other @fd_flags
 * bits; -EMFILE when the caller has no free fd.
 */
struct drm_ionode_alloc_fd {
	__u64 size;
	__u64 align;
	__u64 heap_mask;
	__u32 flags;
	__u32 fd_flags;
	__s32 fd;
	__u32 heap_id;
};

#define DRM_IONODE_QUERY_HEAPS		0x00
#define DRM_IONODE_CREATE		0x01
#define DRM_IONODE_MAP_OFFSET		0x02
#define DRM_IONODE_BO_INFO		0x03
#define DRM_IONODE_ALLOC_FD		0x04

#define DRM_IOCTL_IONODE_QUERY_HEAPS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IONODE_QUERY_HEAPS, struct drm_ionode_query_heaps)
#define DRM_IOCTL_IONODE_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IONODE_CREATE, struct drm_ionode_create)
#define DRM_IOCTL_IONODE_MAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IONODE_MAP_OFFSET, struct drm_ionode_map_offset)
#define DRM_IOCTL_IONODE_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IONODE_BO_INFO, struct drm_ionode_bo_info)
#define DRM_IOCTL_IONODE_ALLOC_FD \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IONODE_ALLOC_FD, struct drm_ionode_alloc_fd)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_IONODE_DRM_H_ */
