// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_peer_udmabuf_shim - what Linux 6.1's drivers/dma-buf/udmabuf.c
 * needs from the kernel that Debian's stock kernel (CONFIG_UDMABUF not set)
 * does not export, for the test-only module ionode_peer_udmabuf.ko that
 * `make bench` builds from the unmodified upstream file. This file and
 * udmabuf.o are compiled with the same renames (Kbuild): the names below
 * become ionode_peer_memfd_fcntl and so on, declared by the very kernel
 * headers udmabuf.c includes, so the stand-ins cannot drift from what
 * udmabuf.c calls.
 *
 * memfd_fcntl(file, F_GET_SEALS, 0)
 *	the seals of a shmem memfd, read as mm/memfd.c's memfd_get_seals()
 *	reads them (shmem_inode_info.seals); anything else is -EINVAL, which
 *	udmabuf treats as "not a memfd".
 * hugetlbfs_file_operations, is_file_shm_hugepages()
 *	used by is_file_hugepages(): a file_operations no file has and a
 *	function that says no, so that hugetlbfs memfds are refused (-EBADFD,
 *	as any file that is neither shmem nor hugetlbfs). The benchmark uses
 *	shmem memfds only.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/module.h>
#include <linux/shm.h>
#include <linux/shmem_fs.h>

long memfd_fcntl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != F_GET_SEALS || !shmem_file(file))
		return -EINVAL;
	return READ_ONCE(SHMEM_I(file_inode(file))->seals);
}

const struct file_operations hugetlbfs_file_operations;

bool is_file_shm_hugepages(struct file *file)
{
	return false;
}

/* Built in, udmabuf.c needs no import; as a module it does. */
MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("Linux 6.1 udmabuf, test-only, for ionode's benchmark");
