/* SPDX-License-Identifier: MIT */
/*
 * ionode_v4l2_test.h - ionode buffers through v4l2-glue's test device,
 * shared by the V4L2 tests (ionode_v4l2, ionode_v4l2_share, ...).
 *
 * The test device (v4l2-glue/ionode_v4l2.ko) has one mem2mem instance per
 * constraint (DEV_*); each makes its CAPTURE frame the byte-wise inverse
 * (255 - x) of its OUTPUT frame. The helpers that take ionode buffers by
 * heap name use the fd and heap list given to m2m_test_setup(), so they
 * follow the test's fresh fd (ionode_test.h) from subtest to subtest.
 * Everything they open or map is tracked (igt_track.h).
 */
#ifndef IONODE_V4L2_TEST_H
#define IONODE_V4L2_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "igt_v4l2.h"
#include "ionode_test.h"

/* The test device's driver name and instances (cards). */
#define M2M_DRIVER	"ionode_v4l2"
#define DEV_PLAIN	"ionode-m2m"
#define DEV_CONTIG	"ionode-m2m-contig"
#define DEV_DMA32	"ionode-m2m-dma32"
#define DEV_ALIGN	"ionode-m2m-align1m"

/* Frame geometry used by most subtests: not a power of two on purpose. */
#define M2M_W		352
#define M2M_H		288
#define M2M_NBUF	3
#define M2M_FRAMES	8

/**
 * struct fbuf - a frame buffer as the test sees it
 * @dmabuf: dma-buf fd, -1 for a device MMAP buffer without one.
 * @handle: ionode handle, 0 if none.
 * @ptr: CPU mapping.
 * @len: bytes mapped (the buffer size).
 */
struct fbuf {
	int dmabuf;
	uint32_t handle;
	uint8_t *ptr;
	size_t len;
};

/**
 * struct m2m - an open context of a test device instance
 * @fd: the video node, non-blocking.
 * @size: frame size in bytes (both queues).
 */
struct m2m {
	int fd;
	uint32_t size;
};

/** struct carveout - one range of ionode's carveout= parameter */
struct carveout {
	char name[IONODE_HEAP_NAME_LEN];
	uint64_t base, size;
};

/**
 * m2m_test_setup - in the first fixture: open ionode into *@ion, read its
 * heaps into @heaps and have ionode_fresh_fd() (the ionode_subtest()
 * macros) track every new fd and reread @heaps; skip without the test
 * device. The helpers below use *@ion (as it is at each call) and @heaps.
 */
void m2m_test_setup(int *ion, struct ionode_heaps *heaps);

/** m2m_test_teardown - in the last fixture: release everything */
void m2m_test_teardown(void);

/** ionode_fbuf_fd - a cached buffer of heap @name on @fd, exported, mapped */
struct fbuf ionode_fbuf_fd(int fd, const char *name, size_t size,
			   uint64_t align);

/** ionode_fbuf - ionode_fbuf_fd() on the test's fd */
struct fbuf ionode_fbuf(const char *name, size_t size, uint64_t align);

/** heap_ok - heap @name exists and fits @count buffers of @size bytes */
bool heap_ok(const char *name, uint64_t size, unsigned int count);

/** get_carveouts - carveout0, carveout1... (at most @max); the count */
int get_carveouts(struct carveout *co, int max);

/** m2m_open_fmt - open instance @card, both queues @w x @h @fourcc */
struct m2m m2m_open_fmt(const char *card, uint32_t w, uint32_t h,
			uint32_t fourcc);

/** m2m_open - m2m_open_fmt() with M2M_W x M2M_H RGB24 */
struct m2m m2m_open(const char *card);

/* cpu_begin/cpu_end - DMA_BUF_IOCTL_SYNC bracket (if @b has a dma-buf) */
void cpu_begin(const struct fbuf *b, uint64_t dir);
void cpu_end(const struct fbuf *b, uint64_t dir);

/** fill_frame - fill_pattern(@seed) @size bytes of @b, in a write bracket */
void fill_frame(const struct fbuf *b, uint32_t size, uint32_t seed);

/** check_inverse - every byte of @got is 255 minus the byte of @want */
void check_inverse(const uint8_t *got, const uint8_t *want, uint32_t size,
		   const char *what);

/** check_frame - @b holds the device's frame made from pattern @seed */
void check_frame(const struct fbuf *b, uint32_t size, uint32_t seed);

/**
 * run_frames - stream @frames frames through @m: OUTPUT buffers @out and
 * CAPTURE buffers @cap (DMABUF when they have a dma-buf fd, else the
 * device's MMAP buffers, already requested), @n of each. Frame f goes
 * through buffer f % n with pattern seed f; every CAPTURE byte, sequence
 * number, timestamp and payload is checked. Leaves both queues streamed
 * off with their buffers.
 */
void run_frames(struct m2m *m, struct fbuf *out, struct fbuf *cap,
		unsigned int n, unsigned int frames);

/**
 * stream_heaps - stream @frames frames through @card with M2M_NBUF ionode
 * buffers per queue from @out_heap / @cap_heap, then check that REQBUFS 0
 * left the last CAPTURE frames intact
 */
void stream_heaps(const char *card, const char *out_heap,
		  const char *cap_heap, unsigned int frames);

/** mmap_fbufs - REQBUFS @n MMAP buffers on @type of @m and map them */
void mmap_fbufs(struct m2m *m, uint32_t type, struct fbuf *b, unsigned int n);

/**
 * expect_rejected - QBUF (and PREPARE_BUF) of @b on both queues of @card
 * fails with EINVAL; with dynamic debug, the kernel log names @reason
 */
void expect_rejected(const char *card, const struct fbuf *b,
		     const char *reason);

#endif /* IONODE_V4L2_TEST_H */
