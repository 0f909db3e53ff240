// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the parts of ionode that userspace cannot reach one case
 * at a time: request and fault-window arithmetic, heap selection and fallback, the
 * carveout parser and range allocator, and quota bookkeeping. Built into
 * ionode.ko when the kernel has CONFIG_KUNIT; the suites run when the
 * module loads and report in KTAP on the kernel log.
 */
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/genalloc.h>
#include <linux/highmem.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include <drm/drm_drv.h>

#include "ionode_backing.h"
#include "ionode_drv.h"
#include "ionode_heap.h"
#include "ionode_pool.h"

/* ---- request arithmetic ---- */

static void args_test(struct kunit *test)
{
	u64 align;

	align = 0;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(1, &align, 0), 0);
	KUNIT_EXPECT_EQ(test, align, (u64)PAGE_SIZE);

	align = 1;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(1, &align, 0), 0);
	KUNIT_EXPECT_EQ(test, align, (u64)PAGE_SIZE);

	align = SZ_1M;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(SZ_1M, &align,
						   IONODE_BO_FLAGS), 0);
	KUNIT_EXPECT_EQ(test, align, (u64)SZ_1M);

	align = 1ULL << 63;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(~0ULL, &align, 0), 0);
	KUNIT_EXPECT_EQ(test, align, 1ULL << 63);

	align = 0;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(0, &align, 0), -EINVAL);
	align = 3 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(1, &align, 0), -EINVAL);
	align = 0;
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(1, &align,
						   IONODE_BO_FLAGS + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_bo_check_args(1, &align, 1u << 31),
			-EINVAL);
}

/* Expects ionode_fault_window() to give [@start, @end). */
static void expect_window(struct kunit *test, unsigned long addr,
			  unsigned long vm_start, unsigned long vm_end,
			  unsigned long left, unsigned long start,
			  unsigned long end)
{
	unsigned long s, e;

	ionode_fault_window(addr, vm_start, vm_end, left, &s, &e);
	KUNIT_EXPECT_EQ(test, s, start);
	KUNIT_EXPECT_EQ(test, e, end);
}

static void fault_window_test(struct kunit *test)
{
	const unsigned long M = PMD_SIZE, P = PAGE_SIZE;

	/* Inside a large mapping: the whole page table's span. */
	expect_window(test, 5 * M + 3 * P, 4 * M, 12 * M, 1000000,
		      5 * M, 6 * M);
	expect_window(test, 4 * M, 4 * M, 12 * M, 1000000, 4 * M, 5 * M);
	expect_window(test, 5 * M - P, 4 * M, 12 * M, 1000000, 4 * M, 5 * M);
	/* A mapping starting or ending inside the span: clipped to it. */
	expect_window(test, 4 * M + 7 * P, 4 * M + 5 * P, 12 * M, 1000000,
		      4 * M + 5 * P, 5 * M);
	expect_window(test, 4 * M + 5 * P, 4 * M + 5 * P, 12 * M, 1000000,
		      4 * M + 5 * P, 5 * M);
	expect_window(test, 4 * M, 3 * M, 4 * M + P, 1000000, 4 * M, 4 * M + P);
	expect_window(test, 4 * M + 9 * P, 4 * M + 9 * P, 4 * M + 10 * P,
		      1000000, 4 * M + 9 * P, 4 * M + 10 * P);
	/* The object ending first: nothing past its last page. */
	expect_window(test, 4 * M + P, 4 * M, 12 * M, 3, 4 * M, 4 * M + 4 * P);
	expect_window(test, 5 * M - P, 4 * M, 12 * M, 1, 4 * M, 5 * M);
	expect_window(test, 4 * M + 2 * P, 4 * M, 12 * M, 1, 4 * M,
		      4 * M + 3 * P);
	expect_window(test, 4 * M, 4 * M, 12 * M, 1, 4 * M, 4 * M + P);
	/* The object ending exactly where the span does, or after it. */
	expect_window(test, 4 * M, 4 * M, 12 * M, M / P, 4 * M, 5 * M);
	expect_window(test, 4 * M, 4 * M, 12 * M, M / P + 1, 4 * M, 5 * M);
}

static struct kunit_case args_cases[] = {
	KUNIT_CASE(args_test),
	KUNIT_CASE(fault_window_test),
	{}
};

static struct kunit_suite args_suite = {
	.name = "ionode_args",
	.test_cases = args_cases,
};

/* ---- heap selection and fallback ---- */

/**
 * struct fake_heap - a heap whose allocations succeed or fail on demand
 * @heap: the generic heap.
 * @result: what allocate returns.
 * @calls: number of allocate calls.
 * @wc_failures: how many switches to write-combined fail from now on.
 * @wb_failures: how many switches back to write-back fail from now on.
 */
struct fake_heap {
	struct ionode_heap heap;
	int result;
	unsigned int calls;
	unsigned int wc_failures;
	unsigned int wb_failures;
};

/* The caching switch of fake memory fails as many times as asked. */
static int fake_set_wc(struct ionode_backing *b, bool wc)
{
	struct fake_heap *fh = container_of(b->heap, struct fake_heap, heap);
	unsigned int *failures = wc ? &fh->wc_failures : &fh->wb_failures;

	if (!*failures)
		return 0;
	(*failures)--;
	return -ENOMEM;
}

/* Only the heap layer touches fake memory: no mapping, no DMA. */
static const struct ionode_backing_ops fake_backing_ops = {
	.set_wc = fake_set_wc,
};

static struct ionode_backing *fake_allocate(struct ionode_heap *heap,
					    size_t size, size_t align,
					    u32 flags)
{
	struct fake_heap *fh = container_of(heap, struct fake_heap, heap);
	struct ionode_backing *b;

	fh->calls++;
	if (fh->result)
		return ERR_PTR(fh->result);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	ionode_backing_init(b, &fake_backing_ops, size, flags, false);
	return b;
}

static void fake_release(struct ionode_heap *heap, struct ionode_backing *b)
{
	kfree(b);
}

static void fake_destroy(struct ionode_heap *heap)
{
}

static const struct ionode_heap_ops fake_ops = {
	.allocate = fake_allocate,
	.release = fake_release,
	.destroy = fake_destroy,
};

/**
 * struct select_ctx - a device with three fake heaps
 * @idev: the device (never registered with DRM).
 * @fh: "fake0" (pages, 1 GiB), "fake1" (contiguous, 4 MiB),
 *	"fake2" (contiguous, 64 MiB).
 */
struct select_ctx {
	struct ionode_device idev;
	struct fake_heap fh[3];
};

static int select_init(struct kunit *test)
{
	static const u64 max_alloc[] = { SZ_1G, SZ_4M, SZ_64M };
	struct select_ctx *ctx;
	unsigned int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	/* Memory waiting for its write-back switch holds the device. */
	kref_init(&ctx->idev.drm.ref);
	for (i = 0; i < ARRAY_SIZE(ctx->fh); i++) {
		struct ionode_heap *heap = &ctx->fh[i].heap;

		heap->ops = &fake_ops;
		snprintf(heap->name, sizeof(heap->name), "fake%u", i);
		heap->flags = i ? IONODE_HEAP_CONTIGUOUS : 0;
		heap->max_alloc = max_alloc[i];
		KUNIT_ASSERT_EQ(test, ionode_heap_add(&ctx->idev, heap), 0);
	}
	test->priv = ctx;
	return 0;
}

static void select_exit(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;

	ionode_policy_set_heap_limits("");
	ionode_policy_set_restricted_heaps("");
	ionode_heaps_destroy(&ctx->idev);
}

static void candidates_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_device *idev = &ctx->idev;
	u64 mask;

	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, 0, 0, PAGE_SIZE,
						     1, false, &mask), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, BIT_ULL(63), 0,
						     PAGE_SIZE, 1, false, &mask),
			-EINVAL);
	/* Contiguity and coarse alignment rule out the page heap. */
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, BIT_ULL(0),
						     IONODE_BO_CONTIGUOUS,
						     PAGE_SIZE, 1, false, &mask),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, BIT_ULL(0), 0, SZ_1M,
						     1, false, &mask), -EINVAL);
	/* An alignment beyond what a heap can give rules that heap out. */
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, 0x6, 0, SZ_8M, 1,
						     false, &mask), 0);
	KUNIT_EXPECT_EQ(test, mask, BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, 0x6, 0, SZ_128M, 1,
						     false, &mask), -EINVAL);
	/* Too big for every suitable heap is E2BIG, not EINVAL. */
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, 0x7, 0, PAGE_SIZE,
						     SZ_2G, false, &mask), -E2BIG);
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, ~0ULL, 0, PAGE_SIZE,
						     ~0ULL, false, &mask), -E2BIG);
	/* Sizes pick the heaps whose max_alloc they fit. */
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, 0x6,
						     IONODE_BO_CONTIGUOUS,
						     PAGE_SIZE, SZ_8M, false,
						     &mask), 0);
	KUNIT_EXPECT_EQ(test, mask, BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, ~0ULL, 0, PAGE_SIZE,
						     SZ_4M, false, &mask), 0);
	KUNIT_EXPECT_EQ(test, mask, 0x7ULL);
	/* Kernel callers pass restrictions. */
	KUNIT_ASSERT_EQ(test, ionode_policy_set_restricted_heaps("fake2"), 0);
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, BIT_ULL(2), 0,
						     PAGE_SIZE, 1, true, &mask),
			0);
	KUNIT_EXPECT_EQ(test, mask, BIT_ULL(2));
}

/* ionode_heap_alloc() that must succeed, from the heap @expect. */
static struct ionode_backing *alloc_ok(struct kunit *test,
				       struct ionode_device *idev, u64 mask,
				       size_t size, struct ionode_heap *expect)
{
	struct ionode_backing *b = ionode_heap_alloc(idev, mask, size,
						     PAGE_SIZE, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_PTR_EQ(test, b->heap, expect);
	KUNIT_EXPECT_EQ(test, b->size, size);
	return b;
}

static long alloc_err(struct ionode_device *idev, u64 mask, size_t size)
{
	struct ionode_backing *b = ionode_heap_alloc(idev, mask, size,
						     PAGE_SIZE, 0);

	if (!IS_ERR(b)) {
		ionode_heap_free(b);
		return 0;
	}
	return PTR_ERR(b);
}

static void fallback_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_device *idev = &ctx->idev;

	/* Lowest id first. */
	ionode_heap_free(alloc_ok(test, idev, 0x7, SZ_1M, &ctx->fh[0].heap));

	/* An exhausted heap makes way for the next one. */
	ctx->fh[0].result = -ENOMEM;
	ctx->fh[1].result = -ENOMEM;
	ionode_heap_free(alloc_ok(test, idev, 0x7, SZ_1M, &ctx->fh[2].heap));
	KUNIT_EXPECT_EQ(test, ctx->fh[1].calls, 1U);

	/* All exhausted: ENOMEM, and no byte left counted anywhere. */
	ctx->fh[2].result = -ENOMEM;
	KUNIT_EXPECT_EQ(test, alloc_err(idev, 0x7, SZ_1M), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctx->fh[2].heap.used_bytes, 0ULL);

	/* Any other error stops the walk. */
	ctx->fh[0].result = -EIO;
	ctx->fh[1].calls = 0;
	KUNIT_EXPECT_EQ(test, alloc_err(idev, 0x7, SZ_1M), -EIO);
	KUNIT_EXPECT_EQ(test, ctx->fh[1].calls, 0U);

	/* Heaps outside the mask are never asked. */
	ctx->fh[0].result = 0;
	ctx->fh[0].calls = 0;
	ctx->fh[2].result = 0;
	ionode_heap_free(alloc_ok(test, idev, 0x4, SZ_1M, &ctx->fh[2].heap));
	KUNIT_EXPECT_EQ(test, ctx->fh[0].calls, 0U);
}

static void heap_accounting_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_heap *heap = &ctx->fh[0].heap;
	struct ionode_backing *a, *b;

	a = alloc_ok(test, &ctx->idev, 0x1, SZ_1M, heap);
	b = alloc_ok(test, &ctx->idev, 0x1, SZ_2M, heap);
	KUNIT_EXPECT_EQ(test, heap->used_bytes, (u64)SZ_1M + SZ_2M);
	KUNIT_EXPECT_EQ(test, heap->buffers, 2ULL);
	ionode_heap_free(a);
	ionode_heap_free(b);
	KUNIT_EXPECT_EQ(test, heap->used_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, heap->buffers, 0ULL);
	KUNIT_EXPECT_EQ(test, heap->peak_bytes, (u64)SZ_1M + SZ_2M);

	/* A failed allocation leaves the counters alone. */
	ctx->fh[0].result = -ENOMEM;
	KUNIT_EXPECT_EQ(test, alloc_err(&ctx->idev, 0x1, SZ_1M), -ENOMEM);
	KUNIT_EXPECT_EQ(test, heap->used_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, heap->buffers, 0ULL);
}

static void heap_limit_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_backing *a, *b;

	KUNIT_ASSERT_EQ(test, ionode_policy_set_heap_limits("fake0:1M,fake1:0"),
			0);
	KUNIT_EXPECT_EQ(test, ionode_policy_heap_limit(&ctx->fh[0].heap),
			(u64)SZ_1M);
	a = alloc_ok(test, &ctx->idev, 0x1, SZ_1M, &ctx->fh[0].heap);
	/* At its limit the heap is skipped; alone, that is EDQUOT. */
	KUNIT_EXPECT_EQ(test, alloc_err(&ctx->idev, 0x1, SZ_1M), -EDQUOT);
	KUNIT_EXPECT_EQ(test, ctx->fh[0].heap.used_bytes, (u64)SZ_1M);
	b = alloc_ok(test, &ctx->idev, 0x3, SZ_1M, &ctx->fh[1].heap);
	ionode_heap_free(a);
	ionode_heap_free(b);

	/* Malformed lists change nothing. */
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake0"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake0:"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake0:1Q"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits(":1M"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake0:1M,"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake 0:1M"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_heap_limit(&ctx->fh[0].heap),
			(u64)SZ_1M);
	/* Writing the list replaces it. */
	KUNIT_EXPECT_EQ(test, ionode_policy_set_heap_limits("fake1:2M"), 0);
	KUNIT_EXPECT_EQ(test, ionode_policy_heap_limit(&ctx->fh[0].heap), 0ULL);
	KUNIT_EXPECT_EQ(test, ionode_policy_heap_limit(&ctx->fh[1].heap),
			(u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_restricted_heaps("fake0:1M"),
			-EINVAL);
}

/*
 * A failed switch to write-combined gives the memory back and tries the
 * next heap; memory whose switch back to write-back fails is not given
 * back (it may still be write-combined) until a retry succeeds.
 */
static void caching_failure_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct fake_heap *fh = &ctx->fh[0];
	struct ionode_backing *b;

	fh->wc_failures = 1;
	ionode_heap_free(alloc_ok(test, &ctx->idev, 0x3, SZ_1M,
				  &ctx->fh[1].heap));
	KUNIT_EXPECT_EQ(test, fh->calls, 1U);
	KUNIT_EXPECT_EQ(test, fh->heap.used_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, fh->heap.buffers, 0ULL);

	/* Neither way works at once: ENOMEM, the memory held until then. */
	fh->wc_failures = 1;
	fh->wb_failures = 1;
	KUNIT_EXPECT_EQ(test, alloc_err(&ctx->idev, 0x1, SZ_1M), -ENOMEM);
	KUNIT_EXPECT_EQ(test, fh->heap.used_bytes, (u64)SZ_1M);
	ionode_heap_flush_deferred();
	KUNIT_EXPECT_EQ(test, fh->heap.used_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, fh->wb_failures, 0U);

	/* The same when a buffer is freed. */
	b = alloc_ok(test, &ctx->idev, 0x1, SZ_2M, &fh->heap);
	fh->wb_failures = 3;
	ionode_heap_free(b);
	KUNIT_EXPECT_EQ(test, fh->heap.used_bytes, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, fh->heap.buffers, 1ULL);
	ionode_heap_flush_deferred();
	KUNIT_EXPECT_EQ(test, fh->heap.used_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, fh->heap.buffers, 0ULL);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->idev.drm.ref), 1U);
}

/* A fake heap "@name", as a heap module would fill it, added to @idev. */
static struct fake_heap *extra_heap(struct kunit *test,
				    struct ionode_device *idev,
				    const char *name)
{
	struct fake_heap *fh = kunit_kzalloc(test, sizeof(*fh), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fh);
	fh->heap.ops = &fake_ops;
	strscpy(fh->heap.name, name, sizeof(fh->heap.name));
	fh->heap.max_alloc = SZ_1G;
	KUNIT_ASSERT_EQ(test, ionode_heap_add(idev, &fh->heap), 0);
	return fh;
}

/*
 * Heaps added and removed at runtime: a new name gets the next id, a
 * removed heap's id selects nothing and goes to no other name, the same
 * name gets it back; a heap with a live buffer refuses removal and keeps
 * serving; a removed heap is neither chosen nor listed.
 */
static void heap_ids_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_device *idev = &ctx->idev;
	struct fake_heap *ext, *other, *again, *dup;
	struct ionode_backing *b;
	struct ionode_heap *got;
	int idx;
	u64 mask;

	ext = extra_heap(test, idev, "ext");
	KUNIT_EXPECT_EQ(test, ext->heap.id, 3U);
	KUNIT_EXPECT_EQ(test, ionode_heap_lookup_id(idev, "ext"), 3);

	/* A live buffer: removal refused, the heap still chosen. */
	b = alloc_ok(test, idev, BIT_ULL(3), SZ_1M, &ext->heap);
	KUNIT_EXPECT_EQ(test, ionode_heap_remove(&ext->heap), -EBUSY);
	idx = ionode_heaps_read_lock();
	got = ionode_heap_get(idev, 3);
	ionode_heaps_read_unlock(idx);
	KUNIT_EXPECT_PTR_EQ(test, got, &ext->heap);
	ionode_heap_free(alloc_ok(test, idev, BIT_ULL(3), SZ_1M, &ext->heap));
	ionode_heap_free(b);

	KUNIT_EXPECT_EQ(test, ionode_heap_remove(&ext->heap), 0);
	KUNIT_EXPECT_NULL(test, ext->heap.idev);
	idx = ionode_heaps_read_lock();
	got = ionode_heap_get(idev, 3);
	ionode_heaps_read_unlock(idx);
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, ionode_heap_lookup_id(idev, "ext"), -ENOENT);
	/* Removing twice is harmless. */
	KUNIT_EXPECT_EQ(test, ionode_heap_remove(&ext->heap), 0);
	/* Its bit alone names no heap; with another, that one serves. */
	KUNIT_EXPECT_EQ(test, ionode_heap_candidates(idev, BIT_ULL(3), 0,
						     PAGE_SIZE, 1, false, &mask),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, alloc_err(idev, BIT_ULL(3), SZ_1M), -ENOMEM);
	ionode_heap_free(alloc_ok(test, idev, BIT_ULL(3) | BIT_ULL(0), SZ_1M,
				  &ctx->fh[0].heap));

	/* Another name never gets the id; the same name gets it back. */
	other = extra_heap(test, idev, "other");
	KUNIT_EXPECT_EQ(test, other->heap.id, 4U);
	again = extra_heap(test, idev, "ext");
	KUNIT_EXPECT_EQ(test, again->heap.id, 3U);
	KUNIT_EXPECT_EQ(test, again->heap.used_bytes, 0ULL);
	ionode_heap_free(alloc_ok(test, idev, BIT_ULL(3), SZ_1M, &again->heap));

	dup = kunit_kzalloc(test, sizeof(*dup), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dup);
	dup->heap.ops = &fake_ops;
	strscpy(dup->heap.name, "other", sizeof(dup->heap.name));
	dup->heap.max_alloc = SZ_1G;
	KUNIT_EXPECT_EQ(test, ionode_heap_add(idev, &dup->heap), -EEXIST);

	KUNIT_EXPECT_EQ(test, ionode_heap_remove(&other->heap), 0);
	KUNIT_EXPECT_EQ(test, ionode_heap_remove(&again->heap), 0);
	KUNIT_EXPECT_EQ(test, idev->num_heaps, 5U);
}

/* What ionode_heap_register() refuses before touching any device. */
static void heap_register_args_test(struct kunit *test)
{
	struct ionode_heap *heap = kunit_kzalloc(test, sizeof(*heap),
						 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, heap);
	heap->max_alloc = SZ_1M;
	strscpy(heap->name, "ok", sizeof(heap->name));
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL); /* ops */
	heap->ops = &fake_ops;
	strscpy(heap->name, "a/b", sizeof(heap->name));
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL);
	heap->name[0] = '\0';
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL);
	strscpy(heap->name, "ok", sizeof(heap->name));
	heap->max_alloc = SZ_1M + 1;
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL);
	heap->max_alloc = SZ_1M;
	heap->type = IONODE_HEAP_TYPE_CMA + 1;
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL);
	heap->type = IONODE_HEAP_TYPE_SYSTEM;
	heap->flags = IONODE_HEAP_RESTRICTED;
	KUNIT_EXPECT_EQ(test, ionode_heap_register(heap), -EINVAL);
	KUNIT_EXPECT_NULL(test, heap->idev);
}

static struct kunit_case select_cases[] = {
	KUNIT_CASE(caching_failure_test),
	KUNIT_CASE(heap_ids_test),
	KUNIT_CASE(heap_register_args_test),
	KUNIT_CASE(candidates_test),
	KUNIT_CASE(fallback_test),
	KUNIT_CASE(heap_accounting_test),
	KUNIT_CASE(heap_limit_test),
	{}
};

static struct kunit_suite select_suite = {
	.name = "ionode_heap_select",
	.init = select_init,
	.exit = select_exit,
	.test_cases = select_cases,
};

/* ---- carveout parser and range allocator ---- */

/**
 * struct parsed - ranges collected from ionode_carveout_parse()
 * @n: number of ranges.
 * @base: their bases.
 * @size: their sizes.
 */
struct parsed {
	unsigned int n;
	phys_addr_t base[4];
	u64 size[4];
};

static int collect(void *ctx, unsigned int index, phys_addr_t base, u64 size)
{
	struct parsed *p = ctx;

	if (index != p->n || p->n == ARRAY_SIZE(p->base))
		return -ERANGE;
	p->base[p->n] = base;
	p->size[p->n++] = size;
	return 0;
}

static void carveout_parse_test(struct kunit *test)
{
	static const char *const bad[] = {
		"", "64M", "@0x40000000", "64M@", "64M@0x4000x", "64M@0x1000,",
		"abc@def", "64M@0x40000000,,16M@0x1000", "64M 0x40000000",
	};
	struct parsed p = {};
	unsigned int i;

	KUNIT_EXPECT_EQ(test, ionode_carveout_parse("64M@0x40000000,16K@2G",
						    collect, &p), 0);
	KUNIT_ASSERT_EQ(test, p.n, 2U);
	KUNIT_EXPECT_EQ(test, p.base[0], (phys_addr_t)0x40000000);
	KUNIT_EXPECT_EQ(test, p.size[0], (u64)SZ_64M);
	KUNIT_EXPECT_EQ(test, p.base[1], (phys_addr_t)SZ_2G);
	KUNIT_EXPECT_EQ(test, p.size[1], (u64)SZ_16K);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&p, 0, sizeof(p));
		KUNIT_EXPECT_EQ_MSG(test, ionode_carveout_parse(bad[i], collect,
								&p),
				    -EINVAL, "carveout=\"%s\"", bad[i]);
	}
	/* The callback's error stops the walk and comes back. */
	memset(&p, 0, sizeof(p));
	KUNIT_EXPECT_EQ(test, ionode_carveout_parse("4K@4K,4K@8K,4K@12K,4K@16K,4K@20K",
						    collect, &p), -ERANGE);
	KUNIT_EXPECT_EQ(test, p.n, 4U);
}

static void carveout_range_test(struct kunit *test)
{
	/* Pool bases are never touched: these are addresses, not memory. */
	const unsigned long base = 0x40001000;
	unsigned long a, b, c, rest;
	struct gen_pool *pool;

	pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, gen_pool_add(pool, base, SZ_8M, NUMA_NO_NODE), 0);

	a = ionode_carveout_range_alloc(pool, PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, a, base);
	/* Alignment counts from physical address 0, not from the pool. */
	b = ionode_carveout_range_alloc(pool, SZ_1M, SZ_1M);
	KUNIT_EXPECT_EQ(test, b % SZ_1M, 0UL);
	KUNIT_EXPECT_TRUE(test, b >= base && b + SZ_1M <= base + SZ_8M);
	/* No room for an alignment the pool cannot hold. */
	KUNIT_EXPECT_EQ(test, ionode_carveout_range_alloc(pool, PAGE_SIZE, SZ_16M),
			0UL);
	KUNIT_EXPECT_EQ(test, ionode_carveout_range_alloc(pool, PAGE_SIZE,
							  SZ_2G), 0UL);
	KUNIT_EXPECT_EQ(test, ionode_carveout_range_alloc(pool, SZ_16M,
							  PAGE_SIZE), 0UL);

	/* Fill what is left exactly, then nothing more fits. */
	rest = gen_pool_avail(pool);
	c = ionode_carveout_range_alloc(pool, SZ_4M, PAGE_SIZE);
	KUNIT_EXPECT_NE(test, c, 0UL);
	KUNIT_EXPECT_EQ(test, gen_pool_avail(pool), rest - SZ_4M);
	gen_pool_free(pool, c, SZ_4M);

	gen_pool_free(pool, a, PAGE_SIZE);
	gen_pool_free(pool, b, SZ_1M);
	KUNIT_EXPECT_EQ(test, gen_pool_avail(pool), (size_t)SZ_8M);
	a = ionode_carveout_range_alloc(pool, SZ_8M, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, a, base);
	KUNIT_EXPECT_EQ(test, ionode_carveout_range_alloc(pool, PAGE_SIZE,
							  PAGE_SIZE), 0UL);
	gen_pool_free(pool, a, SZ_8M);
	gen_pool_destroy(pool);
}

static struct kunit_case carveout_cases[] = {
	KUNIT_CASE(carveout_parse_test),
	KUNIT_CASE(carveout_range_test),
	{}
};

static struct kunit_suite carveout_suite = {
	.name = "ionode_carveout",
	.test_cases = carveout_cases,
};

/* ---- quota bookkeeping ---- */

static int quota_init(struct kunit *test)
{
	struct select_ctx *ctx;

	KUNIT_ASSERT_EQ(test, select_init(test), 0);
	ctx = test->priv;
	mutex_init(&ctx->idev.clients_lock);
	INIT_LIST_HEAD(&ctx->idev.clients);
	mutex_init(&ctx->idev.bos_lock);
	INIT_LIST_HEAD(&ctx->idev.bos);
	return 0;
}

static void quota_exit(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;

	ionode_policy_set_client_limit("0");
	KUNIT_EXPECT_TRUE(test, list_empty(&ctx->idev.clients));
	select_exit(test);
}

static void quota_test(struct kunit *test)
{
	struct select_ctx *ctx = test->priv;
	struct ionode_client *client, *kclient;
	struct ionode_bo *bo = kunit_kzalloc(test, sizeof(*bo), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bo);
	bo->base.size = SZ_512K;
	client = ionode_client_create(&ctx->idev, "kunit", "kunit", false);
	kclient = ionode_client_create(&ctx->idev, "kernel", "kernel", true);
	KUNIT_ASSERT_NOT_NULL(test, client);
	KUNIT_ASSERT_NOT_NULL(test, kclient);

	KUNIT_ASSERT_EQ(test, ionode_policy_set_client_limit("1M"), 0);
	KUNIT_EXPECT_EQ(test, ionode_client_reserve(client, SZ_512K), 0);
	KUNIT_EXPECT_EQ(test, ionode_client_reserve(client, SZ_512K + PAGE_SIZE),
			-EDQUOT);
	KUNIT_EXPECT_EQ(test, ionode_client_reserve(client, ~0ULL), -EDQUOT);
	KUNIT_EXPECT_EQ(test, client->total_bytes, (u64)SZ_512K);
	KUNIT_EXPECT_EQ(test, ionode_policy_set_client_limit("1X"), -EINVAL);
	KUNIT_EXPECT_EQ(test, ionode_policy_client_limit(), (u64)SZ_1M);
	/* The kernel client has no limit. */
	KUNIT_EXPECT_EQ(test, ionode_client_reserve(kclient, SZ_2M), 0);
	ionode_client_unreserve(kclient, SZ_2M);

	/* A buffer charged to its creator until it is freed. */
	bo->backing = alloc_ok(test, &ctx->idev, 0x1, SZ_512K, &ctx->fh[0].heap);
	ionode_client_attach_bo(client, bo);
	KUNIT_EXPECT_EQ(test, client->heap[0].bytes, (u64)SZ_512K);
	KUNIT_EXPECT_EQ(test, client->heap[0].buffers, 1ULL);
	KUNIT_EXPECT_EQ(test, kref_read(&client->ref), 2U);
	ionode_client_detach_bo(bo);
	ionode_heap_free(bo->backing);
	KUNIT_EXPECT_EQ(test, client->heap[0].bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, client->total_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, kref_read(&client->ref), 1U);

	/* Limit lifted. */
	KUNIT_ASSERT_EQ(test, ionode_policy_set_client_limit("0"), 0);
	KUNIT_EXPECT_EQ(test, ionode_client_reserve(client, SZ_1G), 0);
	ionode_client_unreserve(client, SZ_1G);

	ionode_client_put(kclient);
	ionode_client_put(client);
}

static struct kunit_case quota_cases[] = {
	KUNIT_CASE(quota_test),
	{}
};

static struct kunit_suite quota_suite = {
	.name = "ionode_quota",
	.init = quota_init,
	.exit = quota_exit,
	.test_cases = quota_cases,
};

/* ---- import of foreign dma-bufs ---- */

/**
 * struct odd_exporter - an in-kernel exporter of a buffer of any size
 * @pages: backing pages, enough for the size rounded up.
 * @npages: number of @pages.
 * @size: the dma-buf's size in bytes, not necessarily page aligned.
 */
struct odd_exporter {
	struct page **pages;
	unsigned int npages;
	size_t size;
};

static struct sg_table *odd_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct odd_exporter *ex = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, ex->pages, ex->npages, 0, ex->size,
					GFP_KERNEL);
	if (!ret)
		ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret) {
		sg_free_table(sgt);
		kfree(sgt);
		return ERR_PTR(ret);
	}
	return sgt;
}

static void odd_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void odd_release(struct dma_buf *dmabuf)
{
	struct odd_exporter *ex = dmabuf->priv;
	unsigned int i;

	for (i = 0; i < ex->npages; i++)
		__free_page(ex->pages[i]);
	kfree(ex->pages);
	kfree(ex);
}

static const struct dma_buf_ops odd_ops = {
	.map_dma_buf = odd_map,
	.unmap_dma_buf = odd_unmap,
	.release = odd_release,
};

static struct dma_buf *odd_export(struct kunit *test, size_t size)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct odd_exporter *ex;
	struct dma_buf *dmabuf;
	unsigned int i;

	ex = kzalloc(sizeof(*ex), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ex);
	ex->size = size;
	ex->npages = DIV_ROUND_UP(size, PAGE_SIZE);
	ex->pages = kcalloc(ex->npages, sizeof(*ex->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ex->pages);
	for (i = 0; i < ex->npages; i++) {
		ex->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, ex->pages[i]);
	}

	exp_info.ops = &odd_ops;
	exp_info.size = size;
	exp_info.flags = O_RDWR;
	exp_info.priv = ex;
	dmabuf = dma_buf_export(&exp_info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	return dmabuf;
}

static void import_size_test(struct kunit *test)
{
	static const size_t bad[] = { 1, PAGE_SIZE - 1, PAGE_SIZE + 1,
				      3 * PAGE_SIZE + 17 };
	struct platform_device *pdev;
	struct ionode_device *idev;
	struct drm_gem_object *obj;
	struct dma_buf *dmabuf;
	unsigned int i;

	/*
	 * The suites run before ionode's own device probes: make a DRM
	 * device of ionode's driver on a platform device no driver binds.
	 */
	pdev = platform_device_register_simple("ionode-kunit", -1, NULL, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(pdev), "platform device: %ld",
			       PTR_ERR(pdev));
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(&pdev->dev,
							   DMA_BIT_MASK(64)), 0);
	idev = devm_drm_dev_alloc(&pdev->dev, &ionode_drm_driver,
				  struct ionode_device, drm);
	if (IS_ERR(idev)) {
		platform_device_unregister(pdev);
		KUNIT_FAIL(test, "no DRM device: %ld", PTR_ERR(idev));
		return;
	}

	/* Not a whole number of pages: refused, nothing BUG()s. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		dmabuf = odd_export(test, bad[i]);
		obj = ionode_gem_prime_import(&idev->drm, dmabuf);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(obj), -EINVAL,
				    "size %zu", bad[i]);
		if (!IS_ERR(obj))
			drm_gem_object_put(obj);
		dma_buf_put(dmabuf);
	}

	/* The same exporter with whole pages imports. */
	dmabuf = odd_export(test, 3 * PAGE_SIZE);
	obj = ionode_gem_prime_import(&idev->drm, dmabuf);
	KUNIT_EXPECT_FALSE(test, IS_ERR(obj));
	if (!IS_ERR(obj)) {
		KUNIT_EXPECT_EQ(test, obj->size, (size_t)3 * PAGE_SIZE);
		drm_gem_object_put(obj);
	}
	dma_buf_put(dmabuf);
	platform_device_unregister(pdev);
}

static struct kunit_case import_cases[] = {
	KUNIT_CASE(import_size_test),
	{}
};

static struct kunit_suite import_suite = {
	.name = "ionode_import",
	.test_cases = import_cases,
};

/* ---- pools ---- */

/* Takes every clean chunk of @order the root set has, write-back. */
static void pool_drain_root(unsigned int order)
{
	struct page *page;

	ionode_pool_flush();
	while ((page = ionode_pool_take(NULL, false, order)))
		__free_pages(page, order);
}

/* A 2 MiB chunk (the worker's path): dirty, zeroed, then handed back. */
static void pool_reuse_test(struct kunit *test)
{
	const unsigned int order = ionode_pool_orders[0];
	struct page *page, *got, **pages;
	unsigned long i, n = 1UL << order;
	bool zero = true;

	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	pool_drain_root(order);
	page = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN, order);
	if (!page)
		kunit_skip(test, "no free 2 MiB block");
	for (i = 0; i < n; i++) {
		pages[i] = nth_page(page, i);
		memset(page_address(pages[i]), 0xa5, PAGE_SIZE);
	}

	/* A kernel thread's pages are nobody's: the root set has them. */
	KUNIT_ASSERT_NULL(test, ionode_pool_owner());
	ionode_pool_put_pages(pages, n, false, false);
	ionode_pool_flush();

	/* Not in the other caching mode's list, nor some cgroup's. */
	got = ionode_pool_take((const void *)pages, false, order);
	KUNIT_EXPECT_NULL(test, got);
	got = ionode_pool_take(NULL, true, order);
	KUNIT_EXPECT_TRUE(test, got != page);
	if (got)
		ionode_pool_free_chunk(got, true);

	got = ionode_pool_take(NULL, false, order);
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	for (i = 0; i < n; i++)
		zero &= !memchr_inv(page_address(nth_page(got, i)), 0, PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, zero);
	__free_pages(got, order);
}

/*
 * A page freed a moment ago is handed out again before the worker ran:
 * zeroed by the allocation that takes it.
 */
static void pool_dirty_take_test(struct kunit *test)
{
	struct ionode_pool_stats before, after;
	struct page *page, *got;

	pool_drain_root(0);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_address(page), 0x5a, PAGE_SIZE);
	ionode_pool_get_stats(&before);
	ionode_pool_put_pages(&page, 1, false, false);
	ionode_pool_get_stats(&after);
	/* Not zeroed on the freeing path (unless the worker already ran). */
	KUNIT_EXPECT_EQ(test, after.dirty_bytes + after.clean_bytes[0],
			before.dirty_bytes + before.clean_bytes[0] + PAGE_SIZE);

	got = ionode_pool_take(NULL, false, 0);
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(got), 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, got->private, 0UL);
	__free_page(got);
}

/*
 * A zeroed page freed unwritten is clean at once, without the worker,
 * and counted as such; the same page written is not.
 */
static void pool_unwritten_test(struct kunit *test)
{
	struct ionode_pool_stats before, after;
	struct page *page, *got;

	pool_drain_root(0);
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ionode_pool_get_stats(&before);
	ionode_pool_put_pages(&page, 1, false, true);
	ionode_pool_get_stats(&after);
	KUNIT_EXPECT_EQ(test, after.clean_bytes[0],
			before.clean_bytes[0] + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, after.dirty_bytes, before.dirty_bytes);
	KUNIT_EXPECT_EQ(test, after.unwritten_bytes,
			before.unwritten_bytes + PAGE_SIZE);

	got = ionode_pool_take(NULL, false, 0);
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(got), 0, PAGE_SIZE));

	memset(page_address(got), 0x3c, PAGE_SIZE);
	ionode_pool_put_pages(&got, 1, false, false);
	ionode_pool_get_stats(&before);
	KUNIT_EXPECT_EQ(test, before.unwritten_bytes, after.unwritten_bytes);
	got = ionode_pool_take(NULL, false, 0);
	KUNIT_ASSERT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(got), 0, PAGE_SIZE));
	__free_page(got);
}

static struct kunit_case pool_cases[] = {
	KUNIT_CASE(pool_reuse_test),
	KUNIT_CASE(pool_dirty_take_test),
	KUNIT_CASE(pool_unwritten_test),
	{}
};

/*
 * KUnit runs a module's suites before its init function (6.1:
 * MODULE_STATE_COMING): the pools exist only for the suite's duration,
 * and ionode_init() sets them up again afterwards.
 */
static int pool_suite_init(struct kunit_suite *suite)
{
	return ionode_pool_init();
}

static void pool_suite_exit(struct kunit_suite *suite)
{
	ionode_pool_exit();
}

static struct kunit_suite pool_suite = {
	.name = "ionode_pool",
	.suite_init = pool_suite_init,
	.suite_exit = pool_suite_exit,
	.test_cases = pool_cases,
};

/* ---- zone-restricted pages for heap modules ---- */

/* Every page of @b lies in [@lo, @hi) and reads zero. */
static void expect_pages_in(struct kunit *test, struct ionode_backing *b,
			    phys_addr_t lo, phys_addr_t hi)
{
	struct page **pages = ionode_backing_pages(b);
	unsigned long i, npages = b->size >> PAGE_SHIFT, bad = 0, dirty = 0;

	for (i = 0; i < npages; i++) {
		phys_addr_t pa = page_to_phys(pages[i]);
		void *va;

		if (pa < lo || pa + PAGE_SIZE > hi)
			bad++;
		va = kmap_local_page(pages[i]);
		if (memchr_inv(va, 0, PAGE_SIZE))
			dirty++;
		kunmap_local(va);
	}
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	KUNIT_EXPECT_EQ(test, dirty, 0UL);
}

/*
 * ionode_heap_pages_alloc(__GFP_DMA32), what the system-dma32 heap
 * module hands out: every page below 4 GiB and zeroed, in both caching
 * modes, in chunks (a 2 MiB one when the zone has one free), none taken
 * from or given to the pools; a bad zone or size is refused.
 */
static void heap_pages_dma32_test(struct kunit *test)
{
	const size_t size = SZ_4M + 3 * PAGE_SIZE;
	const u32 flag_sets[] = { IONODE_BO_CACHED, 0 };
	struct ionode_pool_stats before, after;
	struct ionode_backing *b;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, PTR_ERR(ionode_heap_pages_alloc(size, 0,
							      __GFP_MOVABLE)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ionode_heap_pages_alloc(PAGE_SIZE + 1, 0,
							      __GFP_DMA32)),
			-EINVAL);

	for (i = 0; i < ARRAY_SIZE(flag_sets); i++) {
		ionode_pool_flush();
		ionode_pool_get_stats(&before);
		b = ionode_heap_pages_alloc(size, flag_sets[i], __GFP_DMA32);
		if (IS_ERR(b) && PTR_ERR(b) == -ENOMEM)
			kunit_skip(test, "no 4 MiB free below 4 GiB");
		KUNIT_ASSERT_FALSE(test, IS_ERR(b));
		KUNIT_EXPECT_EQ(test, b->size, size);
		KUNIT_EXPECT_EQ(test, b->flags, flag_sets[i]);
		KUNIT_EXPECT_FALSE(test, b->contiguous);
		expect_pages_in(test, b, 0, SZ_4G);
		ionode_heap_pages_free(b);
		ionode_pool_flush();
		ionode_pool_get_stats(&after);
		KUNIT_EXPECT_EQ(test, after.hits, before.hits);
		KUNIT_EXPECT_EQ(test, after.clean_bytes[0] + after.clean_bytes[1] +
				after.dirty_bytes,
				before.clean_bytes[0] + before.clean_bytes[1] +
				before.dirty_bytes);
	}
}

static struct kunit_case heap_pages_cases[] = {
	KUNIT_CASE(heap_pages_dma32_test),
	{}
};

/* Its write-combined frees go through the pools' worker: pools needed. */
static struct kunit_suite heap_pages_suite = {
	.name = "ionode_heap_pages",
	.suite_init = pool_suite_init,
	.suite_exit = pool_suite_exit,
	.test_cases = heap_pages_cases,
};

kunit_test_suites(&args_suite, &pool_suite, &select_suite, &carveout_suite, &quota_suite,
		  &import_suite, &heap_pages_suite);
