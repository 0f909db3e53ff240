// SPDX-License-Identifier: MIT
/*
 * ionode_ctl - tools/ionodectl as administrators use it, and libionode as a
 * shared library.
 *
 * Every JSON document ionodectl prints is parsed for real by Python's json
 * module (strict: no NaN, no duplicate key, no trailing data) and its
 * values are checked against the truth: the heap query ioctl, sysfs, the
 * processes' own fdinfo and debugfs's ionode_clients.
 *
 * heaps-json: `heaps --json` (and `--json heaps`) list every heap with the
 *	query's values, unknown sizes as null, flags by name.
 * alloc-json: `alloc --json` reports the size, heap, flags, attributes and
 *	--check result of what it allocated, and frees it; failures print no
 *	JSON, a message naming the errno and exit 1.
 * stats-json: `stats --json` per heap (query, sysfs peak/buffers/limit)
 *	and per client: this process's client with its pid, fd, name, bytes
 *	and buffers per heap; ionodectl leaves its own client out; the text
 *	form shows the same.
 * stats-clients: a child with an awkward name (space, quote, backslash,
 *	a byte that is no UTF-8) holding buffers in two heaps, one through a
 *	dma-buf only, and sharing its fd with a grandchild, shows up under its
 *	client id with both processes, that name correctly escaped, and the
 *	bytes and buffers fdinfo and debugfs give; gone once it exited.
 * stats-buffers: every buffer with its client, creating task (pid and
 *	name: ours, or a child's that created one on our fd), heap (null
 *	while deferred), bytes, attached devices (vgem) and DMA_BUF_SET_NAME
 *	name (spaces, backslash and tab given back unescaped), largest first;
 *	per client the buffers counted by name; per heap, the buffers' bytes
 *	add up to the query's used bytes; the text form's lines.
 * stats-unprivileged: as uid 1000, stats degrades to fdinfo: no debugfs
 *	(a warning says so, buffers not shown), the user's own client with its
 *	bytes, buffer counts null, no buffer list (null), the processes it
 *	cannot inspect counted.
 * not-accessible: with the render node root-only, uid 65534 is told "no
 *	permission on /dev/dri/renderD*", exit 1, nothing on stdout.
 * no-device: with an empty /dev/dri (a private mount namespace) ionodectl
 *	says the module is loaded but has no node; with /sys/module hidden
 *	too, that the module is not loaded.
 * lib-threads: this binary uses libionode.so.MAJOR (its soname, the
 *	uapi major) through its run path; 8 threads at once find the node,
 *	open it, query the heaps, allocate, map, write and check buffers
 *	through the library, and leave nothing behind.
 *
 * Needs root (changing uids, mount namespaces, debugfs, chmod of the
 * node) and /usr/bin/python3.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "ionode_test.h"

#define KiB		1024ull
#define MiB		(1024ull * 1024)
#define USER_ID		1000
#define NOBODY		65534
#define PYTHON		"/usr/bin/python3"
#define HEAPS_SYSFS	"/sys/devices/platform/ionode/heaps"

static int fd = -1;
static struct ionode_heaps heaps;
static char ctl[PATH_MAX];		/* tools/ionodectl */
static char render[256];		/* ionode's render node */
static mode_t render_mode;		/* its mode, restored after each subtest */
static bool have_debugfs;

/*
 * A child's output: stdout (JSON) and stderr, NUL-terminated. Static:
 * subtests share them, one command at a time.
 */
static char out[1 << 18], errout[1 << 15];
/* The flattened JSON: "\nKEY=VALUE" lines (see flatten_py). */
static char flat[1 << 19];

/* ------------------------------------------------------------------ */
/* Running commands                                                   */

/* What a command's child does before exec (as root): see setup_*(). */
enum setup { SETUP_NONE, SETUP_NOBODY, SETUP_NO_DRI, SETUP_NO_MODULE };

static void setup_fail(const char *what)
{
	fprintf(stderr, "ionode_ctl child: %s: %s\n", what, strerror(errno));
	_exit(126);
}

static void child_setup(enum setup s)
{
	static const gid_t none[1];

	switch (s) {
	case SETUP_NONE:
		break;
	case SETUP_NOBODY:
		if (setgroups(0, none) || setgid(NOBODY) || setuid(NOBODY))
			setup_fail("dropping to uid 65534");
		break;
	case SETUP_NO_MODULE:
	case SETUP_NO_DRI:
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			setup_fail("private mount namespace");
		if (mount("tmpfs", "/dev/dri", "tmpfs", 0, "mode=0755"))
			setup_fail("tmpfs on /dev/dri");
		if (s == SETUP_NO_MODULE &&
		    mount("tmpfs", "/sys/module", "tmpfs", 0, "mode=0755"))
			setup_fail("tmpfs on /sys/module");
		break;
	}
}

/* The whole of memfd @mfd into @buf (NUL-terminated, truncated). */
static void slurp(int mfd, char *buf, size_t len)
{
	ssize_t n = pread(mfd, buf, len - 1, 0);

	igt_assert(n >= 0);
	buf[n] = '\0';
}

/*
 * Run @argv (NULL-terminated) with @input on its stdin (NULL: /dev/null),
 * its stdout into @o and its stderr into @e. Return: the exit status, or
 * 128 + the signal that killed it.
 */
static int run_cmd(const char *const *argv, const char *input,
		   enum setup setup, char *o, size_t olen, char *e, size_t elen)
{
	int in, mo, me, status;
	pid_t pid;

	in = input ? memfd_create("stdin", 0) : open("/dev/null", O_RDONLY);
	mo = memfd_create("stdout", 0);
	me = memfd_create("stderr", 0);
	igt_assert(in >= 0 && mo >= 0 && me >= 0);
	if (input) {
		igt_assert_eq(write(in, input, strlen(input)),
			      (ssize_t)strlen(input));
		igt_assert_eq(lseek(in, 0, SEEK_SET), 0);
	}

	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(mo, 1) < 0 || dup2(me, 2) < 0)
			_exit(126);
		child_setup(setup);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	slurp(mo, o, olen);
	slurp(me, e, elen);
	close(in);
	close(mo);
	close(me);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run ionodectl with the arguments (NULL-terminated); output in out/errout. */
static int ctl_run(enum setup setup, ...)
{
	const char *argv[16] = { ctl };
	int n = 1, status;
	va_list ap;

	va_start(ap, setup);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	status = run_cmd(argv, NULL, setup, out, sizeof(out), errout,
			 sizeof(errout));
	igt_debug("ionodectl %s...: exit %d\nstdout:\n%s\nstderr:\n%s\n",
		  argv[1], status, out, errout);
	return status;
}

/* ------------------------------------------------------------------ */
/* JSON, parsed by Python                                             */

/*
 * Strict parse, then one line per value: "KEY=VALUE" with KEY the dotted
 * path ("heaps.0.name"), VALUE json.dumps() of a scalar, "{N}" for an
 * object of N members and "[N]" for an array of N elements.
 */
static const char flatten_py[] =
	"import json, sys\n"
	"def bad(c):\n"
	"    raise ValueError('not JSON: ' + c)\n"
	"def pairs(p):\n"
	"    d = dict(p)\n"
	"    if len(d) != len(p):\n"
	"        raise ValueError('duplicate key in %r' % (p,))\n"
	"    return d\n"
	"def walk(k, v):\n"
	"    if isinstance(v, dict):\n"
	"        print('%s={%d}' % (k, len(v)))\n"
	"        for n, x in v.items():\n"
	"            walk(k + '.' + n if k else n, x)\n"
	"    elif isinstance(v, list):\n"
	"        print('%s=[%d]' % (k, len(v)))\n"
	"        for i, x in enumerate(v):\n"
	"            walk('%s.%d' % (k, i) if k else str(i), x)\n"
	"    else:\n"
	"        print('%s=%s' % (k, json.dumps(v)))\n"
	"doc = json.loads(sys.stdin.read(), parse_constant=bad,\n"
	"                 object_pairs_hook=pairs)\n"
	"print()\n"
	"walk('', doc)\n";

/* Parse @json (asserting it is valid) into flat[]. */
static void json_parse(const char *json)
{
	static const char *const argv[] = { PYTHON, "-c", flatten_py, NULL };
	static char perr[8192];
	int status;

	status = run_cmd(argv, json, SETUP_NONE, flat, sizeof(flat), perr,
			 sizeof(perr));
	igt_assert_f(status == 0, "not valid JSON (python3: %s):\n%s\n", perr,
		     json);
}

/* The value at a key (printf-style), or NULL when there is none. */
static const char * __attribute__((format(printf, 1, 2)))
jget(const char *fmt, ...)
{
	static char val[4096];
	char key[512];
	const char *p, *end;
	va_list ap;
	size_t n;

	key[0] = '\n';
	va_start(ap, fmt);
	vsnprintf(key + 1, sizeof(key) - 2, fmt, ap);
	va_end(ap);
	strcat(key, "=");
	p = strstr(flat, key);
	if (!p)
		return NULL;
	p += strlen(key);
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	igt_assert(n < sizeof(val));
	memcpy(val, p, n);
	val[n] = '\0';
	return val;
}

#define jhas(...) (jget(__VA_ARGS__) != NULL)

/* A number at a key: present, not null. */
#define ju64(...) ({							\
	const char *__v = jget(__VA_ARGS__);				\
	char *__end;							\
	unsigned long long __n;						\
	igt_assert_f(__v && *__v >= '0' && *__v <= '9',			\
		     "no number at the key, but '%s'\n", __v ? __v : "(absent)"); \
	__n = strtoull(__v, &__end, 10);				\
	igt_assert_f(!*__end, "not an integer: '%s'\n", __v);		\
	(uint64_t)__n;							\
})

/* The length of an array ("[N]") or object ("{N}") at a key. */
#define jlen(...) ({							\
	const char *__v = jget(__VA_ARGS__);				\
	igt_assert_f(__v && (*__v == '[' || *__v == '{'),		\
		     "no array or object at the key, but '%s'\n",	\
		     __v ? __v : "(absent)");				\
	(unsigned int)strtoul(__v + 1, NULL, 10);			\
})

/* Is the value at a key exactly @want (as json.dumps() writes it)? */
#define jis(want, ...) ({						\
	const char *__v = jget(__VA_ARGS__);				\
	igt_assert_f(__v, "absent key\n");				\
	if (strcmp(__v, want))						\
		igt_info("value '%s', expected '%s'\n", __v, want);	\
	strcmp(__v, want) == 0;						\
})

/* @s as json.dumps() writes a plain string: in quotes. */
static const char *quoted(const char *s)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "\"%s\"", s);
	return buf[i];
}

/* ------------------------------------------------------------------ */
/* Truth                                                              */

static uint64_t heap_sysfs(const char *heap, const char *attr)
{
	char path[256], text[64];

	snprintf(path, sizeof(path), HEAPS_SYSFS "/%s/%s", heap, attr);
	igt_assert_f(read_text(path, text, sizeof(text)) == 0, "%s\n", path);
	return strtoull(text, NULL, 0);
}

/* drm-client-id and drm-memory-@heap (bytes) of /proc/@pid/fdinfo/@dfd. */
static uint64_t fdinfo_value(pid_t pid, int dfd, const char *key)
{
	char path[64], text[4096], k[96], *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, dfd);
	igt_assert_eq(read_text(path, text, sizeof(text)), 0);
	snprintf(k, sizeof(k), "\n%s:", key);
	p = strstr(text, k);
	igt_assert_f(p, "no %s in %s:\n%s\n", key, path, text);
	return strtoull(p + strlen(k), NULL, 10) *
	       (strncmp(key, "drm-memory-", 11) == 0 ? KiB : 1);
}

/* The index of client @id in flat[]'s "clients", or -1. */
static int client_index(uint64_t id)
{
	unsigned int i, n = jlen("clients");

	for (i = 0; i < n; i++)
		if (ju64("clients.%u.id", i) == id)
			return i;
	return -1;
}

/* Whether a JSON string array at a key holds @s. */
static bool jarray_has(const char *key, const char *s)
{
	unsigned int i, n = jlen("%s", key);

	for (i = 0; i < n; i++)
		if (strcmp(jget("%s.%u", key, i), quoted(s)) == 0)
			return true;
	return false;
}

static const char *heap_name(const struct drm_ionode_heap_info *h)
{
	static char name[IONODE_HEAP_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%.*s", IONODE_HEAP_NAME_LEN, h->name);
	return name;
}

/* A heap's JSON object at heaps.@i agrees with the query's @h. */
static void check_heap_json(unsigned int i, const struct drm_ionode_heap_info *h)
{
	igt_assert_eq_u64(ju64("heaps.%u.id", i), h->id);
	igt_assert(jis(quoted(heap_name(h)), "heaps.%u.name", i));
	igt_assert(jis(quoted(ionode_heap_type_name(h->type)), "heaps.%u.type", i));
	igt_assert_eq_u64(ju64("heaps.%u.used_bytes", i), h->used_bytes);
	/* The pools drain on their own: only its presence is certain. */
	ju64("heaps.%u.pool_bytes", i);
	if (h->total_bytes == IONODE_SIZE_UNKNOWN)
		igt_assert(jis("null", "heaps.%u.total_bytes", i));
	else
		igt_assert_eq_u64(ju64("heaps.%u.total_bytes", i), h->total_bytes);
	if (h->free_bytes == IONODE_SIZE_UNKNOWN)
		igt_assert(jis("null", "heaps.%u.free_bytes", i));
	else
		igt_assert_eq_u64(ju64("heaps.%u.free_bytes", i), h->free_bytes);
	igt_assert_eq_u64(ju64("heaps.%u.max_alloc", i), h->max_alloc);
	igt_assert_eq(jlen("heaps.%u.flags", i),
		      !!(h->flags & IONODE_HEAP_CONTIGUOUS) +
		      !!(h->flags & IONODE_HEAP_RESTRICTED));
	{
		char key[64];

		snprintf(key, sizeof(key), "heaps.%u.flags", i);
		igt_assert_eq(jarray_has(key, "contig"),
			      !!(h->flags & IONODE_HEAP_CONTIGUOUS));
		igt_assert_eq(jarray_has(key, "restricted"),
			      !!(h->flags & IONODE_HEAP_RESTRICTED));
	}
}

/*
 * Run ionodectl with @a1 @a2 (@a2 may be NULL) between two heap queries,
 * the first into @now, again while the heaps' usage moved meanwhile (a
 * buffer freed late by another test), so that comparing the JSON with
 * @now compares it with the truth. Asserts exit status 0.
 */
static void ctl_run_steady(struct ionode_heaps *now, const char *a1,
			   const char *a2)
{
	struct ionode_heaps after;
	unsigned int tries, i;
	bool steady;

	for (tries = 0; ; tries++) {
		ionode_get_heaps(fd, now);
		igt_assert_eq(ctl_run(SETUP_NONE, a1, a2, NULL), 0);
		ionode_get_heaps(fd, &after);
		steady = after.count == now->count;
		for (i = 0; steady && i < now->count; i++)
			steady = after.info[i].used_bytes == now->info[i].used_bytes &&
				 after.info[i].free_bytes == now->info[i].free_bytes;
		ionode_put_heaps(&after);
		if (steady || tries == 4)
			return;
		ionode_put_heaps(now);
		usleep(200 * 1000);
	}
}

/* ------------------------------------------------------------------ */
/* Subtests                                                           */

static void test_heaps_json(void)
{
	uint32_t h = ionode_bo_create(fd, MiB, ionode_system_mask(&heaps), 0);
	struct ionode_heaps now;
	unsigned int i, pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			ctl_run_steady(&now, "heaps", "--json");
		else
			ctl_run_steady(&now, "--json", "heaps");
		json_parse(out);
		igt_assert_eq(jlen("%s", ""), 2);	/* the document */
		igt_assert(jis(quoted(render), "device"));
		igt_assert_eq(jlen("heaps"), now.count);
		for (i = 0; i < now.count; i++)
			check_heap_json(i, &now.info[i]);
		igt_assert(ionode_heap(&now, "system")->used_bytes >= MiB);
		ionode_put_heaps(&now);
	}
	ionode_bo_close(fd, h);
}

static void test_alloc_json(void)
{
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	const struct drm_ionode_heap_info *contig;
	struct ionode_usage before = ionode_usage_now(fd);
	char mask[32];

	igt_assert(sys);
	igt_assert_eq(ctl_run(SETUP_NONE, "alloc", "1M", "--heap", "system",
			      "--cached", "--check", "--json", NULL), 0);
	json_parse(out);
	igt_assert_eq_u64(ju64("request.size"), MiB);
	igt_assert_eq_u64(ju64("request.heap_mask"), 1ull << sys->id);
	igt_assert(jis("\"cached\"", "request.flags.0"));
	igt_assert_eq_u64(ju64("size"), MiB);
	igt_assert(ju64("handle") > 0);
	igt_assert_eq_u64(ju64("heap.id"), sys->id);
	igt_assert(jis("\"system\"", "heap.name"));
	igt_assert_eq_u64(ju64("info.size"), MiB);
	igt_assert_eq_u64(ju64("info.heap_id"), sys->id);
	igt_assert_eq(jlen("info.flags"), 1);
	igt_assert(jis("\"cached\"", "info.flags.0"));
	igt_assert(jis("true", "check"));
	igt_assert(jis("true", "freed"));
	ionode_assert_usage_back(fd, &before);

	/* A contiguous heap: the attribute shows; no --check: null. */
	contig = ionode_contig_heap(&heaps, 64 * KiB);
	if (contig) {
		igt_assert_eq(ctl_run(SETUP_NONE, "--json", "alloc", "64K",
				      "--contig", "--heap", heap_name(contig),
				      NULL), 0);
		json_parse(out);
		igt_assert_eq_u64(ju64("heap.id"), contig->id);
		igt_assert_eq(jlen("request.flags"), 1);
		igt_assert(jarray_has("info.attrs", "contig"));
		igt_assert(jis("null", "check"));
		ionode_assert_usage_back(fd, &before);
	}

	/* Failures: a message, no JSON, exit 1. */
	igt_assert_eq(ctl_run(SETUP_NONE, "alloc", "0", "--json", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, "EINVAL"), "stderr: %s\n", errout);
	snprintf(mask, sizeof(mask), "%s", "nosuchheap");
	igt_assert_eq(ctl_run(SETUP_NONE, "alloc", "4K", "--heap", mask,
			      "--json", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, "no heap named 'nosuchheap'"), "stderr: %s\n",
		     errout);
	ionode_assert_usage_back(fd, &before);
}

static void test_stats_json(void)
{
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	uint32_t h1, h2;
	uint64_t id = fdinfo_value(getpid(), fd, "drm-client-id");
	struct ionode_heaps now;
	unsigned int i, n;
	int c;

	igt_assert(sys);
	h1 = ionode_bo_create(fd, MiB, 1ull << sys->id, 0);
	h2 = ionode_bo_create(fd, 2 * MiB, 1ull << sys->id, IONODE_BO_CACHED);
	ctl_run_steady(&now, "stats", "--json");
	json_parse(out);
	igt_assert(jis(quoted(render), "device"));
	igt_assert(jis("true", "sources.ioctl"));
	igt_assert(jis("true", "sources.sysfs"));
	igt_assert(jis("true", "sources.fdinfo"));
	igt_assert(jis(have_debugfs ? "true" : "false", "sources.debugfs"));
	igt_assert_eq(jlen("warnings"), have_debugfs ? 0 : 1);
	igt_assert_eq_u64(ju64("hidden_processes"), 0);	/* root */

	/* Heaps: the query's values and sysfs's. */
	igt_assert_eq(jlen("heaps"), now.count);
	for (i = 0; i < now.count; i++) {
		const char *name = heap_name(&now.info[i]);

		check_heap_json(i, &now.info[i]);
		igt_assert_eq_u64(ju64("heaps.%u.peak_bytes", i),
				  heap_sysfs(name, "peak_bytes"));
		igt_assert_eq_u64(ju64("heaps.%u.buffers", i),
				  heap_sysfs(name, "buffers"));
		igt_assert_eq_u64(ju64("heaps.%u.limit_bytes", i),
				  heap_sysfs(name, "limit_bytes"));
	}

	/* Our client: its pid, name, fd, usage; ionodectl's own is not listed. */
	c = client_index(id);
	igt_assert_f(c >= 0, "client %" PRIu64 " (this process) not listed\n", id);
	igt_assert_eq(ju64("clients.%d.pid", c), getpid());
	igt_assert(jis("\"ionode_ctl\"", "clients.%d.comm", c));
	igt_assert(jis("\"open\"", "clients.%d.state", c));
	igt_assert(jis("\"drm\"", "clients.%d.via", c));
	igt_assert_eq(jlen("clients.%d.processes", c), 1);
	igt_assert_eq(ju64("clients.%d.processes.0.pid", c), getpid());
	igt_assert_eq(ju64("clients.%d.processes.0.fd", c), fd);
	igt_assert_eq(jlen("clients.%d.heaps", c), now.count);
	igt_assert_eq_u64(ju64("clients.%d.heaps.system.bytes", c), 3 * MiB);
	igt_assert_eq_u64(ju64("clients.%d.heaps.system.bytes", c),
			  fdinfo_value(getpid(), fd, "drm-memory-system"));
	if (have_debugfs)
		igt_assert_eq_u64(ju64("clients.%d.heaps.system.buffers", c), 2);
	else
		igt_assert(jis("null", "clients.%d.heaps.system.buffers", c));
	igt_assert_eq_u64(ju64("clients.%d.imported.bytes", c), 0);
	igt_assert_eq_u64(ju64("clients.%d.total_bytes", c), 3 * MiB);
	n = jlen("clients");
	for (i = 0; i < n; i++)
		igt_assert_f(strcmp(jget("clients.%u.comm", i), "\"ionodectl\""),
			     "ionodectl lists its own client\n");

	/* The text form: our line. */
	igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--bytes", NULL), 0);
	{
		char want[128];

		snprintf(want, sizeof(want), "%-6" PRIu64 " %-7d %-16s %-7s %-7s %-16s %12s %8s",
			 id, getpid(), "ionode_ctl", "open", "drm", "system",
			 "3145728", have_debugfs ? "2" : "?");
		igt_assert_f(strstr(out, want), "no line '%s' in:\n%s\n", want, out);
	}

	ionode_put_heaps(&now);
	ionode_bo_close(fd, h1);
	ionode_bo_close(fd, h2);
}

/* An awkward process name: a space, a quote, a backslash, a non-UTF-8 byte. */
#define ODD_COMM	"ctl \"h\\o\xffld"
/* ... as Python's json.dumps() gives it back from valid JSON. */
#define ODD_COMM_JSON	"\"ctl \\\"h\\\\o\\ufffdld\""

/*
 * stats-clients' child: renamed, buffers in the system heap (1 MiB by
 * handle, 2 MiB held by a dma-buf only) and in a contiguous heap (64 KiB),
 * its fd shared with a grandchild; reports its fd, client id, the
 * grandchild's pid and its own, then waits for @ctrl to close.
 */
static void holder_child(int report, int ctrl, const struct drm_ionode_heap_info *contig)
{
	uint64_t sys = ionode_system_mask(&heaps), msg[4];
	int dfd, dmabuf;
	uint32_t h;
	char byte;
	pid_t gc;

	close(fd);	/* the parent's client is not ours to show */
	igt_assert_eq(prctl(PR_SET_NAME, ODD_COMM, 0, 0, 0), 0);
	dfd = ionode_open();
	igt_assert(dfd >= 0);
	ionode_bo_create(dfd, MiB, sys, 0);
	h = ionode_bo_create(dfd, 2 * MiB, sys, 0);
	dmabuf = ionode_bo_export(dfd, h);
	ionode_bo_close(dfd, h);
	if (contig)
		ionode_bo_create(dfd, 64 * KiB, 1ull << contig->id,
				 IONODE_BO_CONTIGUOUS);

	gc = fork();
	igt_assert(gc >= 0);
	if (gc == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "ctl-grandchild", 0, 0, 0);
		while (read(ctrl, &byte, 1) > 0)
			;
		_exit(0);
	}
	msg[0] = dfd;
	msg[1] = fdinfo_value(getpid(), dfd, "drm-client-id");
	msg[2] = gc;
	msg[3] = getpid();
	igt_assert_eq(write(report, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	while (read(ctrl, &byte, 1) > 0)
		;
	kill(gc, SIGKILL);
	waitpid(gc, NULL, 0);
	close(dmabuf);
	close(dfd);
}

static void test_stats_clients(void)
{
	const struct drm_ionode_heap_info *contig = ionode_contig_heap(&heaps,
								       64 * KiB);
	struct ionode_usage before = ionode_usage_now(fd);
	int report[2], ctrl[2], c, p, k;
	uint64_t msg[4];
	pid_t child;
	char cname[IONODE_HEAP_NAME_LEN + 1];

	igt_assert_eq(pipe(report), 0);
	igt_assert_eq(pipe(ctrl), 0);
	igt_fork(child_no, 1) {
		close(report[0]);
		close(ctrl[1]);
		holder_child(report[1], ctrl[0], contig);
	}
	close(report[1]);
	close(ctrl[0]);
	igt_assert_eq(read(report[0], msg, sizeof(msg)), (ssize_t)sizeof(msg));

	child = msg[3];
	igt_assert_eq(fdinfo_value(child, msg[0], "drm-client-id"), msg[1]);

	igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--json", NULL), 0);
	json_parse(out);
	c = client_index(msg[1]);
	igt_assert_f(c >= 0, "the child's client %" PRIu64 " is not listed:\n%s\n",
		     msg[1], out);
	igt_assert_eq(ju64("clients.%d.pid", c), child);
	igt_assert(jis(ODD_COMM_JSON, "clients.%d.comm", c));
	igt_assert(jis("\"open\"", "clients.%d.state", c));

	/* Both processes holding the fd: the child and the grandchild. */
	igt_assert_eq(jlen("clients.%d.processes", c), 2);
	for (p = 0; p < 2; p++) {
		pid_t pid = ju64("clients.%d.processes.%d.pid", c, p);

		igt_assert_eq_u64(ju64("clients.%d.processes.%d.fd", c, p), msg[0]);
		if (pid == child)
			igt_assert(jis(ODD_COMM_JSON, "clients.%d.processes.%d.comm",
				       c, p));
		else
			igt_assert(pid == (pid_t)msg[2] &&
				   jis("\"ctl-grandchild\"",
				       "clients.%d.processes.%d.comm", c, p));
	}

	/* Usage: 3 MiB in 2 system buffers, 64 KiB in 1 contiguous one. */
	igt_assert_eq_u64(ju64("clients.%d.heaps.system.bytes", c), 3 * MiB);
	igt_assert_eq_u64(ju64("clients.%d.heaps.system.bytes", c),
			  fdinfo_value(child, msg[0], "drm-memory-system"));
	/* debugfs counts buffers (the child made them: 2 and 1). */
	if (have_debugfs)
		igt_assert_eq_u64(ju64("clients.%d.heaps.system.buffers", c), 2);
	else
		igt_assert(jis("null", "clients.%d.heaps.system.buffers", c));
	if (contig) {
		snprintf(cname, sizeof(cname), "%s", heap_name(contig));
		igt_assert_eq_u64(ju64("clients.%d.heaps.%s.bytes", c, cname),
				  64 * KiB);
		if (have_debugfs)
			igt_assert_eq_u64(ju64("clients.%d.heaps.%s.buffers", c,
					       cname), 1);
	}
	igt_assert_eq_u64(ju64("clients.%d.total_bytes", c),
			  3 * MiB + (contig ? 64 * KiB : 0));
	for (k = 0; k < (int)heaps.count; k++) {
		const char *name = heap_name(&heaps.info[k]);

		if (strcmp(name, "system") && (!contig || strcmp(name, cname)))
			igt_assert_eq_u64(ju64("clients.%d.heaps.%s.bytes", c,
					       name), 0);
	}

	/* The text form names it too (its comm as /proc has it). */
	igt_assert_eq(ctl_run(SETUP_NONE, "stats", NULL), 0);
	igt_assert_f(strstr(out, "ctl \"h\\o\xffld"), "stats:\n%s\n", out);
	igt_assert_f(strstr(out, "ctl-grandchild"), "stats:\n%s\n", out);

	/* Gone with the processes. */
	close(ctrl[1]);
	igt_waitchildren();
	close(report[0]);
	igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--json", NULL), 0);
	json_parse(out);
	igt_assert_eq(client_index(msg[1]), -1);
	ionode_assert_usage_back(fd, &before);
}

/* A dma-buf name with spaces, a backslash and a tab (debugfs: \134, \011). */
#define BUF_NAME	"ctl frame \\ 7\tx"
/* ... as Python's json.dumps() gives it back. */
#define BUF_NAME_JSON	"\"ctl frame \\\\ 7\\tx\""
/* ... in the text form: as debugfs escapes it. */
#define BUF_NAME_TEXT	"ctl frame \\134 7\\011x"

/* Where buffers.@i is client @id's buffer of @bytes bytes (-1: absent). */
static int buffer_index(uint64_t id, uint64_t bytes)
{
	unsigned int i, n = jlen("buffers");
	int found = -1;

	for (i = 0; i < n; i++) {
		if (ju64("buffers.%u.client", i) != id ||
		    ju64("buffers.%u.bytes", i) != bytes)
			continue;
		igt_assert_f(found < 0, "two buffers of %" PRIu64 " bytes\n",
			     bytes);
		found = i;
	}
	return found;
}

/*
 * stats-buffers: this client's buffers, each with its creator, heap, size,
 * devices and name: A (192 KiB) exported, named BUF_NAME and imported
 * into vgem; B (128 KiB) deferred, without memory; C (64 KiB) named
 * BUF_NAME too; D (320 KiB) created on our fd by a child named
 * "ctl-maker". Sorted by client, largest first; per client, counted by
 * name; per heap, the buffers' bytes add up to the heap's used bytes.
 */
static void test_stats_buffers(void)
{
	const uint64_t sz[4] = { 192 * KiB, 128 * KiB, 64 * KiB, 320 * KiB };
	struct ionode_usage before = ionode_usage_now(fd);
	uint64_t sys = ionode_system_mask(&heaps), id, msg[2], sum;
	char name[DMA_BUF_NAME_LEN] = BUF_NAME, want[256], devices[128];
	uint32_t ha, hb, hc, vh;
	int vgem, da, dc, report[2], ix[4], i, n, k, c;
	struct ionode_heaps now;
	unsigned int d, nd;

	igt_require_f(have_debugfs, "no debugfs\n");
	id = fdinfo_value(getpid(), fd, "drm-client-id");

	ha = ionode_bo_create(fd, sz[0], sys, 0);
	da = ionode_bo_export(fd, ha);
	do_ioctl(da, DMA_BUF_SET_NAME_B, name);
	vgem = igt_open_vgem();
	igt_require_f(vgem >= 0, "no vgem\n");
	igt_assert_eq(drmPrimeFDToHandle(vgem, da, &vh), 0);
	hb = ionode_bo_create(fd, sz[1], sys, IONODE_BO_DEFERRED);
	hc = ionode_bo_create(fd, sz[2], sys, 0);
	dc = ionode_bo_export(fd, hc);
	do_ioctl(dc, DMA_BUF_SET_NAME_B, name);

	igt_assert_eq(pipe(report), 0);
	igt_fork(child, 1) {
		close(report[0]);
		igt_assert_eq(prctl(PR_SET_NAME, "ctl-maker", 0, 0, 0), 0);
		msg[0] = ionode_bo_create(fd, sz[3], sys, 0);
		msg[1] = getpid();
		igt_assert_eq(write(report[1], msg, sizeof(msg)),
			      (ssize_t)sizeof(msg));
	}
	close(report[1]);
	igt_assert_eq(read(report[0], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	close(report[0]);
	igt_waitchildren();

	ctl_run_steady(&now, "stats", "--json");
	json_parse(out);
	igt_assert(jis("true", "sources.debugfs"));
	igt_assert_eq(jlen("warnings"), 0);
	for (i = 0; i < 4; i++) {
		ix[i] = buffer_index(id, sz[i]);
		igt_assert_f(ix[i] >= 0, "no buffer of %" PRIu64 " bytes of "
			     "client %" PRIu64 ":\n%s\n", sz[i], id, out);
		igt_assert_eq(jlen("buffers.%d", ix[i]), 7);
	}
	/* Largest first: D, A, B, C, one after the other. */
	igt_assert_eq(ix[0], ix[3] + 1);
	igt_assert_eq(ix[1], ix[3] + 2);
	igt_assert_eq(ix[2], ix[3] + 3);

	/* A: named, attached to vgem. */
	igt_assert_eq(ju64("buffers.%d.pid", ix[0]), getpid());
	igt_assert(jis("\"ionode_ctl\"", "buffers.%d.task", ix[0]));
	igt_assert(jis("\"system\"", "buffers.%d.heap", ix[0]));
	igt_assert(jis(BUF_NAME_JSON, "buffers.%d.name", ix[0]));
	nd = jlen("buffers.%d.devices", ix[0]);
	igt_assert_lte(1, nd);
	devices[0] = '\0';
	for (d = 0; d < nd; d++) {
		const char *v = jget("buffers.%d.devices.%u", ix[0], d);

		igt_assert(v[0] == '"' && strlen(v) > 2);
		snprintf(devices + strlen(devices), sizeof(devices) - strlen(devices),
			 "%s%.*s", d ? "," : "", (int)strlen(v) - 2, v + 1);
	}
	igt_assert_f(strstr(devices, "vgem"), "devices %s\n", devices);
	/* B: deferred, no heap yet, no dma-buf, no name. */
	igt_assert_eq(ju64("buffers.%d.pid", ix[1]), getpid());
	igt_assert(jis("null", "buffers.%d.heap", ix[1]));
	igt_assert_eq(jlen("buffers.%d.devices", ix[1]), 0);
	igt_assert(jis("null", "buffers.%d.name", ix[1]));
	/* C: the same name, nothing attached. */
	igt_assert(jis("\"system\"", "buffers.%d.heap", ix[2]));
	igt_assert_eq(jlen("buffers.%d.devices", ix[2]), 0);
	igt_assert(jis(BUF_NAME_JSON, "buffers.%d.name", ix[2]));
	/* D: the child made it, on our client. */
	igt_assert_eq(ju64("buffers.%d.pid", ix[3]), msg[1]);
	igt_assert(jis("\"ctl-maker\"", "buffers.%d.task", ix[3]));
	igt_assert(jis("\"system\"", "buffers.%d.heap", ix[3]));
	igt_assert(jis("null", "buffers.%d.name", ix[3]));

	/* Our client, by name: unnamed D and B first (D is the largest). */
	c = client_index(id);
	igt_assert(c >= 0);
	igt_assert_eq(jlen("clients.%d.buffers_by_name", c), 2);
	igt_assert(jis("null", "clients.%d.buffers_by_name.0.name", c));
	igt_assert_eq_u64(ju64("clients.%d.buffers_by_name.0.buffers", c), 2);
	igt_assert_eq_u64(ju64("clients.%d.buffers_by_name.0.bytes", c),
			  sz[3] + sz[1]);
	igt_assert(jis(BUF_NAME_JSON, "clients.%d.buffers_by_name.1.name", c));
	igt_assert_eq_u64(ju64("clients.%d.buffers_by_name.1.buffers", c), 2);
	igt_assert_eq_u64(ju64("clients.%d.buffers_by_name.1.bytes", c),
			  sz[0] + sz[2]);

	/* Every heap's used bytes are its buffers' (the query's truth). */
	n = jlen("buffers");
	for (k = 0; k < (int)now.count; k++) {
		const char *hname = quoted(heap_name(&now.info[k]));

		sum = 0;
		for (i = 0; i < n; i++)
			if (strcmp(jget("buffers.%d.heap", i), hname) == 0)
				sum += ju64("buffers.%d.bytes", i);
		igt_assert_f(sum == now.info[k].used_bytes,
			     "heap %s: buffers of %" PRIu64 " bytes, used %llu\n",
			     hname, sum, (unsigned long long)now.info[k].used_bytes);
	}
	ionode_put_heaps(&now);

	/* The text form: A's line, name escaped as debugfs does; B deferred. */
	igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--bytes", NULL), 0);
	snprintf(want, sizeof(want), "%-6" PRIu64 " %-7d %-16s %-16s %12s %-16s %s\n",
		 id, getpid(), "ionode_ctl", "system", "196608", devices,
		 BUF_NAME_TEXT);
	igt_assert_f(strstr(out, want), "no line '%s' in:\n%s\n", want, out);
	snprintf(want, sizeof(want), "%-6" PRIu64 " %-7d %-16s %-16s %12s %-16s -\n",
		 id, getpid(), "ionode_ctl", "(deferred)", "131072", "-");
	igt_assert_f(strstr(out, want), "no line '%s' in:\n%s\n", want, out);

	/* Freed: gone from the list. */
	drmCloseBufferHandle(vgem, vh);
	close(vgem);
	close(da);
	close(dc);
	ionode_bo_close(fd, ha);
	ionode_bo_close(fd, hb);
	ionode_bo_close(fd, hc);
	ionode_bo_close(fd, msg[0]);
	igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--json", NULL), 0);
	json_parse(out);
	for (i = 0; i < 4; i++)
		igt_assert_eq(buffer_index(id, sz[i]), -1);
	igt_assert_eq(jlen("clients.%d.buffers_by_name", client_index(id)), 0);
	ionode_assert_usage_back(fd, &before);
}

static void test_stats_unprivileged(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	static uint64_t root_id;

	root_id = fdinfo_value(getpid(), fd, "drm-client-id");
	igt_assert_eq(chmod(render, 0666), 0);
	igt_fork(child, 1) {
		static const gid_t groups[] = { USER_ID };
		uint64_t id;
		int dfd, c;

		close(fd);	/* root's client stays with root */
		become_user(USER_ID, USER_ID, groups, 1);
		dfd = ionode_open();
		igt_assert_f(dfd >= 0, "uid %d cannot open %s: %s\n", USER_ID,
			     render, strerror(-dfd));
		ionode_bo_create(dfd, MiB, ionode_system_mask(&heaps), 0);
		id = fdinfo_value(getpid(), dfd, "drm-client-id");

		igt_assert_eq(ctl_run(SETUP_NONE, "stats", "--json", NULL), 0);
		json_parse(out);
		igt_assert(jis("false", "sources.debugfs"));
		igt_assert(jis("true", "sources.sysfs"));
		igt_assert(ju64("hidden_processes") > 0);	/* root's */
		igt_assert_eq(jlen("warnings"), 2);
		igt_assert_f(strstr(errout, "warning: debugfs") &&
			     strstr(errout, "root"), "stderr: %s\n", errout);
		igt_assert_f(strstr(errout, "not readable"), "stderr: %s\n",
			     errout);
		c = client_index(id);
		igt_assert_f(c >= 0, "own client not listed:\n%s\n", out);
		igt_assert_eq(ju64("clients.%d.pid", c), getpid());
		igt_assert_eq_u64(ju64("clients.%d.heaps.system.bytes", c), MiB);
		igt_assert(jis("null", "clients.%d.heaps.system.buffers", c));
		igt_assert(jis("null", "clients.%d.buffers_by_name", c));
		igt_assert(jis("null", "buffers"));
		igt_assert_f(strstr(errout, "buffers (creator, name, devices)"),
			     "stderr: %s\n", errout);
		/* Root's client (the test's) is not visible. */
		igt_assert_eq(client_index(root_id), -1);
		close(dfd);
	}
	igt_waitchildren();
	igt_assert_eq(chmod(render, render_mode), 0);
	ionode_assert_usage_back(fd, &before);
}

static void test_not_accessible(void)
{
	char want[300];

	igt_assert_eq(chmod(render, 0600), 0);
	snprintf(want, sizeof(want), "no permission on %s: Permission denied",
		 render);

	igt_assert_eq(ctl_run(SETUP_NOBODY, "heaps", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, want), "stderr: %s\n", errout);

	igt_assert_eq(ctl_run(SETUP_NOBODY, "stats", "--json", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, want), "stderr: %s\n", errout);

	igt_assert_eq(ctl_run(SETUP_NOBODY, "-d", render, "info", NULL), 1);
	igt_assert_f(strstr(errout, want), "stderr: %s\n", errout);

	/* Root still gets in: the message was about permissions only. */
	igt_assert_eq(ctl_run(SETUP_NONE, "heaps", NULL), 0);
	igt_assert_eq(chmod(render, render_mode), 0);
}

static void test_no_device(void)
{
	igt_assert_eq(ctl_run(SETUP_NO_DRI, "heaps", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, "the ionode module is loaded but there is "
			    "no ionode render node in /dev/dri"),
		     "stderr: %s\n", errout);

	igt_assert_eq(ctl_run(SETUP_NO_MODULE, "stats", "--json", NULL), 1);
	igt_assert_eq(out[0], '\0');
	igt_assert_f(strstr(errout, "the ionode module is not loaded"),
		     "stderr: %s\n", errout);
}

/* lib-threads: each thread's work; returns NULL or a failure message. */
#define THREADS		8
#define ITERATIONS	40

static void *lib_thread(void *arg)
{
	static char msgs[THREADS][160];
	char *msg = msgs[(uintptr_t)arg];
	int i, ret = 0;

	for (i = 0; i < ITERATIONS; i++) {
		struct drm_ionode_heap_info *list;
		uint64_t mask, size = (1 + i % 4) * 64 * KiB;
		uint32_t count, heap, *p, j;
		char node[256];
		int dfd, dmabuf;
		void *ptr;

		ret = ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_RENDER, node,
				       sizeof(node));
		if (ret || strcmp(node, render)) {
			snprintf(msg, 160, "find_node: %d, %.100s", ret, node);
			return msg;
		}
		dfd = ionode_open();
		if (dfd < 0) {
			snprintf(msg, 160, "open: %d", dfd);
			return msg;
		}
		ret = ionode_query_heaps(dfd, &list, &count);
		if (ret || !ionode_find_heap(list, count, "system")) {
			snprintf(msg, 160, "query: %d", ret);
			return msg;
		}
		free(list);
		ret = ionode_heap_mask_by_name(dfd, "system", &mask);
		if (!ret)
			ret = ionode_create_fd(dfd, size, mask, IONODE_BO_CACHED,
					       &dmabuf, &heap);
		if (!ret)
			ret = ionode_dmabuf_mmap(dmabuf, size,
						 PROT_READ | PROT_WRITE, &ptr);
		if (ret) {
			snprintf(msg, 160, "allocate/map: %d", ret);
			return msg;
		}
		p = ptr;
		ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		for (j = 0; j < size / 4; j++) {
			if (p[j]) {
				snprintf(msg, 160, "not zeroed at %u", j * 4);
				return msg;
			}
			p[j] = (uint32_t)(uintptr_t)arg << 24 | j;
		}
		for (j = 0; j < size / 4; j++)
			if (p[j] != ((uint32_t)(uintptr_t)arg << 24 | j)) {
				snprintf(msg, 160, "pattern lost at %u", j * 4);
				return msg;
			}
		ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap(ptr, size);
		close(dmabuf);
		close(dfd);
	}
	return NULL;
}

static void test_lib_threads(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	char want[64], real[PATH_MAX];
	pthread_t t[THREADS];
	Dl_info info;
	uintptr_t i;
	void *res;

	/* The shared library, by its soname, version from the uapi. */
	igt_assert(dladdr((void *)ionode_open, &info) && info.dli_fname);
	snprintf(want, sizeof(want), "/libionode.so.%d", IONODE_UAPI_MAJOR);
	igt_assert_f(strstr(info.dli_fname, want), "ionode_open() is in %s\n",
		     info.dli_fname);
	igt_assert(realpath(info.dli_fname, real));
	snprintf(want, sizeof(want), "/libionode.so.%d.%d.0", IONODE_UAPI_MAJOR,
		 IONODE_UAPI_MINOR);
	igt_assert_f(strstr(real, want), "the library is %s\n", real);

	for (i = 0; i < THREADS; i++)
		igt_assert_eq(pthread_create(&t[i], NULL, lib_thread, (void *)i), 0);
	for (i = 0; i < THREADS; i++) {
		igt_assert_eq(pthread_join(t[i], &res), 0);
		igt_assert_f(!res, "thread %u: %s\n", (unsigned int)i,
			     (char *)res);
	}
	ionode_assert_usage_back(fd, &before);
}

static void fresh(int f)
{
	(void)f;
	if (render[0])
		chmod(render, render_mode);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		char exe[PATH_MAX];
		struct stat st;
		ssize_t n;

		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		igt_require_f(geteuid() == 0, "needs root\n");
		igt_assert_eq(ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_RENDER,
					       render, sizeof(render)), 0);
		igt_assert_eq(stat(render, &st), 0);
		render_mode = st.st_mode & 07777;

		/* igt-tests/build/ionode_ctl -> tools/ionodectl */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		igt_assert(n > 0);
		exe[n] = '\0';
		snprintf(ctl, sizeof(ctl), "%s/../../tools/ionodectl",
			 dirname(exe));
		igt_assert_f(access(ctl, X_OK) == 0,
			     "%s missing: build it (make -C tools)\n", ctl);
		igt_require_f(access(PYTHON, X_OK) == 0, "no " PYTHON "\n");
		{
			char dir[300];

			have_debugfs = ionode_find_debugfs(dir, sizeof(dir));
		}
		ionode_set_fresh_hook(fresh);
	}

	subtest("heaps-json")
		test_heaps_json();
	subtest("alloc-json")
		test_alloc_json();
	subtest("stats-json")
		test_stats_json();
	subtest("stats-clients")
		test_stats_clients();
	subtest("stats-buffers")
		test_stats_buffers();
	subtest("stats-unprivileged")
		test_stats_unprivileged();
	subtest("not-accessible")
		test_not_accessible();
	subtest("no-device")
		test_no_device();
	subtest("lib-threads")
		test_lib_threads();

	igt_fixture {
		fresh(fd);
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
