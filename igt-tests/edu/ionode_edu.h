/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Userspace interface of ionode_edu.ko, the test-only
 * dma-buf importer for QEMU's "edu" PCI device (1234:11e8).
 *
 * The edu device has a DMA engine with a 28-bit DMA mask and a 4 KiB
 * internal buffer; ionode's tests use it as a real device whose DMA limits
 * differ from the CPU's, with and without an IOMMU in front of it. It is
 * not part of ionode: ionode does not know its importers, and this driver
 * is a generic dma-buf importer (it works with any exporter).
 *
 * Each open file of /dev/ionode-edu holds at most one imported dma-buf.
 * IMPORT only attaches; MAP maps the attachment (for a deferred ionode
 * buffer, the first use: the memory is placed then, for every device
 * attached at that moment). DMA copies between the mapped buffer and the
 * device's internal buffer through the device's engine, one command per
 * DMA segment piece. READ and WRITE give userspace the internal buffer
 * (through the engine and a coherent buffer of the driver). UNMAP and
 * DETACH undo MAP and IMPORT; closing the file does both.
 *
 * Every struct is made of fixed-size types, 64-bit aligned, with explicit
 * padding that must be zero.
 */
#ifndef _UAPI_IONODE_EDU_H_
#define _UAPI_IONODE_EDU_H_

#include <linux/ioctl.h>
#include <linux/types.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * Bytes of the device's 4 KiB internal buffer a transfer may use, the
 * largest DMA of one command: all but the last, as QEMU 7.2's edu aborts
 * the VM on a transfer that ends at the buffer's end (fixed in later
 * QEMU). Ranges are checked against it before the engine sees them.
 */
#define IONODE_EDU_BUF_SIZE	4095

/**
 * struct ionode_edu_info - the device (IONODE_EDU_IOC_INFO, out)
 * @dma_mask: the DMA mask the driver set (2^28 - 1)
 * @ident: the identification register (0x010000ed on QEMU's edu)
 * @translated: 1 when a translating IOMMU sits in front of the device
 *	(its DMA addresses are IOVAs), 0 otherwise
 * @buf_size: usable bytes of the internal buffer, IONODE_EDU_BUF_SIZE
 * @pad: zero
 */
struct ionode_edu_info {
	__u64 dma_mask;
	__u32 ident;
	__u32 translated;
	__u32 buf_size;
	__u32 pad;
};

/**
 * struct ionode_edu_import - attach a dma-buf (IONODE_EDU_IOC_IMPORT, in)
 * @fd: the dma-buf file descriptor
 * @pad: zero
 * @size: out: the dma-buf's size in bytes
 */
struct ionode_edu_import {
	__s32 fd;
	__u32 pad;
	__u64 size;
};

/**
 * struct ionode_edu_map - the attachment's mapping (IONODE_EDU_IOC_MAP, out)
 * @dma_start: DMA address of the first segment
 * @dma_max: highest DMA address of the mapping (last byte)
 * @nents: number of DMA segments
 * @reachable: 1 when every DMA address is within the device's mask
 * @pages: number of CPU pages the sg_table describes (its entries' lengths
 *	summed, divided by the page size)
 * @sg_entries: number of entries of the sg_table (physically contiguous
 *	runs of pages, as the exporter described them)
 */
struct ionode_edu_map {
	__u64 dma_start;
	__u64 dma_max;
	__u32 nents;
	__u32 reachable;
	__u32 pages;
	__u32 sg_entries;
};

#define IONODE_EDU_TO_DEVICE	0	/* buffer -> internal buffer */
#define IONODE_EDU_FROM_DEVICE	1	/* internal buffer -> buffer */

/**
 * struct ionode_edu_dma - copy through the engine (IONODE_EDU_IOC_DMA)
 * @offset: byte offset in the mapped dma-buf
 * @len: bytes, 1..IONODE_EDU_BUF_SIZE, @offset + @len within the dma-buf
 * @dev_offset: byte offset in the internal buffer, @dev_offset + @len
 *	within it
 * @dir: IONODE_EDU_TO_DEVICE or IONODE_EDU_FROM_DEVICE
 * @commands: out: the number of engine commands issued (one per
 *	contiguous DMA piece)
 * @pad: zero
 */
struct ionode_edu_dma {
	__u64 offset;
	__u32 len;
	__u32 dev_offset;
	__u32 dir;
	__u32 commands;
	__u64 pad;
};

/**
 * struct ionode_edu_rw - the internal buffer for userspace
 *	(IONODE_EDU_IOC_READ, IONODE_EDU_IOC_WRITE)
 * @data: user pointer to @len bytes
 * @offset: byte offset in the internal buffer
 * @len: bytes, @offset + @len within the internal buffer
 */
struct ionode_edu_rw {
	__u64 data;
	__u32 offset;
	__u32 len;
};

#define IONODE_EDU_IOC_INFO	_IOR('E', 0x00, struct ionode_edu_info)
#define IONODE_EDU_IOC_IMPORT	_IOWR('E', 0x01, struct ionode_edu_import)
#define IONODE_EDU_IOC_MAP	_IOR('E', 0x02, struct ionode_edu_map)
#define IONODE_EDU_IOC_DMA	_IOWR('E', 0x03, struct ionode_edu_dma)
#define IONODE_EDU_IOC_READ	_IOW('E', 0x04, struct ionode_edu_rw)
#define IONODE_EDU_IOC_WRITE	_IOW('E', 0x05, struct ionode_edu_rw)
#define IONODE_EDU_IOC_UNMAP	_IO('E', 0x06)
#define IONODE_EDU_IOC_DETACH	_IO('E', 0x07)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_IONODE_EDU_H_ */
