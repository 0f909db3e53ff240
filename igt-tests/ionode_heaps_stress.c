// SPDX-License-Identifier: MIT
/*
 * ionode_heaps_stress - a long randomised run over every heap (create with
 * random sizes, masks and flags, map, export, close) whose accounting must
 * match a model at every checkpoint and leave nothing behind
 * (IONODE_SEED picks the run).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "igt_stress.h"
#include "ionode_heap_test.h"

/* ---- randomised churn ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return stress_rnd(&rng_state);
}

struct live_bo {
	uint32_t handle;	/* 0 once closed */
	int dmabuf;		/* -1 when not exported */
	uint64_t size;
	uint32_t heap;
};

#define STRESS_LIVE	96

static struct live_bo live[STRESS_LIVE];
static unsigned int n_live;

static void live_free(unsigned int i)
{
	if (live[i].handle)
		ionode_bo_close(fd, live[i].handle);
	if (live[i].dmabuf >= 0)
		close_fd(live[i].dmabuf);
	live[i] = live[--n_live];
}

/* Query used_bytes and fdinfo equal the start plus the live set. */
static void check_model(const struct snap *base, const char *when)
{
	uint64_t expect[IONODE_MAX_HEAPS] = { 0 };
	struct fdinfo fi;
	unsigned int i;

	for (i = 0; i < n_live; i++)
		expect[live[i].heap] += live[i].size;
	refresh_heaps();
	fdinfo_read(fd, &fi);
	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		igt_assert_f(h->used_bytes == base->used[h->id] + expect[h->id],
			     "%s: heap %s used %llu, expected %llu + %llu\n",
			     when, h->name, (unsigned long long)h->used_bytes,
			     (unsigned long long)base->used[h->id],
			     (unsigned long long)expect[h->id]);
		igt_assert_f(fdinfo_kib(&fi, h->name) == expect[h->id] >> 10,
			     "%s: drm-memory-%s %llu KiB, expected %llu\n", when,
			     h->name, (unsigned long long)fdinfo_kib(&fi, h->name),
			     (unsigned long long)(expect[h->id] >> 10));
	}
}

/*
 * 3000 seeded random steps (IONODE_SEED overrides the seed): allocations
 * of random sizes (1 byte to 2 MiB) on random masks (one heap, several,
 * all) with random cached/write-combined/contiguous flags, random frees,
 * some exports whose handle is closed at once, some mappings written and
 * read back. Every served heap is in the mask and meets the flags; the
 * only failures allowed are the ones the rules predict (EINVAL for
 * contiguous on system alone, ENOMEM from a carveout-only mask). Every
 * 250 steps and at the end the query and fdinfo equal the model; at the
 * end every heap's used bytes and buffer count are back where they
 * started and fdinfo reads zero.
 */
static void test_stress_mixed(void)
{
	const char *names[] = { "system", "system-contig", "cma", "carveout0",
				"carveout1" };
	const char *seed_env = getenv("IONODE_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x10de5eedull;
	uint64_t avail[8], sys;
	unsigned int n_avail = 0, i, step, allocs = 0, frees = 0, exports = 0,
		     einval = 0, enomem = 0, maps = 0;
	struct snap base;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct drm_ionode_heap_info *h = find_heap(names[i]);

		if (h && !(h->flags & IONODE_HEAP_RESTRICTED))
			avail[n_avail++] = 1ull << h->id;
	}
	sys = hmask("system");
	igt_info("seed %#llx, %u heaps\n", (unsigned long long)seed, n_avail);
	rng_state = seed ? seed : 1;
	n_live = 0;
	take_snap(&base);

	for (step = 0; step < 3000; step++) {
		uint64_t r = rnd();

		if (n_live && (n_live == STRESS_LIVE || r % 100 >= 55)) {
			live_free(rnd() % n_live);
			frees++;
		} else {
			struct drm_ionode_create req;
			uint64_t mask, size, cls = rnd() % 100;
			uint32_t flags = 0;
			bool carveout_only;
			int ret;

			switch (rnd() % 4) {
			case 0: mask = ionode_all_heaps_mask(&heaps); break;
			case 1: mask = avail[rnd() % n_avail] |
				       avail[rnd() % n_avail]; break;
			default: mask = avail[rnd() % n_avail]; break;
			}
			if (rnd() % 2)
				flags |= IONODE_BO_CACHED;
			if (rnd() % 4 == 0)
				flags |= IONODE_BO_CONTIGUOUS;
			if (cls < 70)
				size = (1 + rnd() % 16) * page - rnd() % page;
			else if (cls < 95)
				size = 64 * KiB + rnd() % (448 * KiB);
			else
				size = MiB + rnd() % MiB;
			carveout_only = true;
			for (i = 0; i < heaps.count; i++)
				if ((mask >> heaps.info[i].id & 1) &&
				    heaps.info[i].type != IONODE_HEAP_TYPE_CARVEOUT)
					carveout_only = false;
			/* Keep carveout use well below its size. */
			if (carveout_only && size > 512 * KiB)
				size = 512 * KiB;

			req = make_req(size, 0, mask, flags);
			ret = ionode_create_ex(fd, &req);
			if (mask == sys && (flags & IONODE_BO_CONTIGUOUS)) {
				igt_assert_errno(ret, EINVAL);
				einval++;
				continue;
			}
			if (ret == -ENOMEM && carveout_only) {
				igt_debug("step %u: carveout full (%llu)\n",
					  step, (unsigned long long)size);
				enomem++;
				continue;
			}
			igt_assert_f(ret == 0, "step %u: create(size %llu, mask "
				     "%#llx, flags %#x) failed: %s\n", step,
				     (unsigned long long)size,
				     (unsigned long long)mask, flags,
				     igt_errno_name(-ret));
			igt_assert_eq_u64(req.size, ionode_round_page(size));
			igt_assert(mask & (1ull << req.heap_id));
			if (flags & IONODE_BO_CONTIGUOUS)
				igt_assert(ionode_heap_by_id(&heaps, req.heap_id)->flags &
					   IONODE_HEAP_CONTIGUOUS);
			live[n_live].handle = req.handle;
			live[n_live].dmabuf = -1;
			live[n_live].size = req.size;
			live[n_live].heap = req.heap_id;
			n_live++;
			allocs++;

			if (rnd() % 10 == 0) {
				uint32_t *p = bo_map(fd, req.handle, req.size);
				size_t last = req.size / 4 - 1;

				igt_assert_eq_u32(p[0], 0);
				igt_assert_eq_u32(p[last], 0);
				p[0] = step;
				p[last] = ~step;
				igt_assert_eq_u32(p[0], step);
				igt_assert_eq_u32(p[last], ~step);
				unmap(p);
				maps++;
			}
			if (rnd() % 7 == 0) {
				live[n_live - 1].dmabuf = bo_export(fd, req.handle);
				exports++;
				if (rnd() % 2) {
					ionode_bo_close(fd, req.handle);
					live[n_live - 1].handle = 0;
				}
			}
		}
		if (step % 250 == 249) {
			char when[32];

			snprintf(when, sizeof(when), "step %u", step);
			check_model(&base, when);
		}
	}
	check_model(&base, "end");
	igt_info("%u allocations, %u frees, %u exports, %u maps, %u EINVAL, "
		 "%u ENOMEM, %u live at the end\n", allocs, frees, exports,
		 maps, einval, enomem, n_live);
	while (n_live)
		live_free(n_live - 1);
	assert_back_to(&base);
	assert_fdinfo_zero(fd);
	if (base.sysfs)
		for (i = 0; i < heaps.count; i++)
			igt_info("heap %s: %lld buffers, %lld bytes used\n",
				 heaps.info[i].name,
				 (long long)sysfs_heap(heaps.info[i].name, "buffers"),
				 (long long)sysfs_heap(heaps.info[i].name, "used_bytes"));
}

igt_main
{
	igt_fixture
		heap_test_init();

	subtest("stress-mixed-no-leak")
		test_stress_mixed();

	igt_fixture
		heap_test_fini();
}
