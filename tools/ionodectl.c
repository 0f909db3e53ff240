// SPDX-License-Identifier: MIT
/*
 * ionodectl - inspect and exercise the ionode DRM allocator from a shell.
 *
 *   ionodectl [-d NODE] [--json] info
 *   ionodectl [-d NODE] [--json] heaps [--bytes]
 *   ionodectl [-d NODE] [--json] alloc SIZE [--heap NAME]... [--cached]
 *                              [--contig] [--align N] [--check]
 *   ionodectl [-d NODE] [--json] stats [--bytes]
 *   ionodectl --help
 *
 * SIZE and N accept a K, M or G suffix (powers of 1024). Options are parsed
 * with getopt_long(): the global ones before the command, the command's
 * own after it, in any order with its arguments (--json is both). The
 * manual page is ionodectl.1; the JSON is written here by hand (json_*()).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libionode.h"

static const char *prog = "ionodectl";
/* --json: machine-readable output on stdout, errors still on stderr. */
static bool json_out;
/* The node in use, for messages and the JSON "device" field. */
static char device_path[256];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-d NODE] [--json] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  info                      device, driver version, uapi and heap summary\n"
		"  heaps [--bytes]           table of heaps (sizes human-readable unless --bytes)\n"
		"  alloc SIZE [--heap NAME]... [--cached] [--contig] [--align N] [--check]\n"
		"                            allocate one buffer, print what was allocated, free it;\n"
		"                            --heap may repeat (tried in driver order, default: all\n"
		"                            heaps); --check maps it, verifies it reads as zero and\n"
		"                            that a written pattern reads back\n"
		"  stats [--bytes]           usage per heap (query ioctl, sysfs) and per client\n"
		"                            with process names (/proc/*/fdinfo; debugfs\n"
		"                            ionode_clients when readable, i.e. as root), and\n"
		"                            as root every buffer: creator, heap, size, attached\n"
		"                            devices, dma-buf name (debugfs ionode_buffers)\n"
		"\n"
		"options:\n"
		"  -d, --device NODE         use this DRM node instead of looking up the\n"
		"                            render node whose driver is \"ionode\"\n"
		"  -j, --json                print JSON (before or after the command)\n"
		"  -h, --help                this text (also after a command)\n"
		"\n"
		"SIZE and N take an optional K, M or G suffix (powers of 1024).\n"
		"See ionodectl(1).\n",
		prog);
}

/* Messages: "ionodectl: ..." on stderr. */
static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * JSON output, written by hand: an indented document built with
 * json_open()/json_close() and the json_*() values, each given its key
 * inside an object and NULL inside an array.
 */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool comma[JSON_MAX_DEPTH];
};

/* Length of the valid UTF-8 sequence at @p (0: invalid or truncated). */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A JSON string of at most @n bytes of @s (up to a NUL): quotes,
 * backslashes and control characters escaped, valid UTF-8 kept, any other
 * byte (a process name is arbitrary bytes) replaced by U+FFFD.
 */
static void json_write_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + n;

	fputc('"', f);
	while (p < end && *p) {
		unsigned char c = *p;
		size_t len;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else if ((len = utf8_len(p, end - p))) {
			fwrite(p, 1, len, f);
			p += len;
			continue;
		} else {
			fputs("\\ufffd", f);
		}
		p++;
	}
	fputc('"', f);
}

static void json_key(struct json *j, const char *key)
{
	if (j->comma[j->depth])
		fputc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	j->comma[j->depth] = true;
	if (key) {
		json_write_string(j->f, key, strlen(key));
		fputs(": ", j->f);
	}
}

/* Open an object ('{') or an array ('['). */
static void json_open(struct json *j, const char *key, char c)
{
	json_key(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	bool any = j->comma[j->depth];

	j->depth--;
	if (any)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(c, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

static void json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	json_key(j, key);
	json_write_string(j->f, s, n);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	if (!s) {
		json_key(j, key);
		fputs("null", j->f);
		return;
	}
	json_strn(j, key, s, strlen(s));
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void json_int(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	fprintf(j->f, "%lld", v);
}

/* A size of the uapi: null when IONODE_SIZE_UNKNOWN. */
static void json_size(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	if (v == IONODE_SIZE_UNKNOWN)
		fputs("null", j->f);
	else
		fprintf(j->f, "%" PRIu64, v);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

/* Flags as an array of names; unknown bits as one "0x..." string. */
struct flag_name {
	uint32_t bit;
	const char *name;
};

static void json_flags(struct json *j, const char *key, uint32_t flags,
		       const struct flag_name *names, size_t n)
{
	uint32_t known = 0;
	size_t i;
	char hex[16];

	json_open(j, key, '[');
	for (i = 0; i < n; i++) {
		known |= names[i].bit;
		if (flags & names[i].bit)
			json_str(j, NULL, names[i].name);
	}
	if (flags & ~known) {
		snprintf(hex, sizeof(hex), "0x%x", (unsigned int)(flags & ~known));
		json_str(j, NULL, hex);
	}
	json_close(j, ']');
}

static const struct flag_name heap_flag_names[] = {
	{ IONODE_HEAP_CONTIGUOUS, "contig" },
	{ IONODE_HEAP_RESTRICTED, "restricted" },
};

static const struct flag_name bo_flag_names[] = {
	{ IONODE_BO_CACHED, "cached" },
	{ IONODE_BO_CONTIGUOUS, "contig" },
};

static const struct flag_name attr_names[] = {
	{ IONODE_ATTR_CONTIGUOUS, "contig" },
	{ IONODE_ATTR_IMPORTED, "imported" },
	{ IONODE_ATTR_EXPORTED, "exported" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse the options of a command with getopt_long(): @argv[0] is the
 * command's name. Returns the option, -1 at the end, or '?' after printing
 * what was wrong with an unknown option or a missing value.
 */
static int next_opt(int argc, char **argv, const struct option *opts)
{
	int c = getopt_long(argc, argv, ":h", opts, NULL);

	if (c == '?')
		fprintf(stderr, "%s %s: unknown argument '%s'\n", prog, argv[0],
			argv[optind - 1]);
	else if (c == ':')
		fprintf(stderr, "%s %s: %s needs a value\n", prog, argv[0],
			argv[optind - 1]);
	return c == ':' ? '?' : c;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10; end++;
		break;
	case 'm': case 'M':
		v <<= 20; end++;
		break;
	case 'g': case 'G':
		v <<= 30; end++;
		break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Human-readable size into @buf: "4096 B", "1.0 MiB", "unknown". */
static const char *fmt_size(char *buf, size_t len, uint64_t v, bool bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	unsigned int u = 0;

	if (v == IONODE_SIZE_UNKNOWN) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	if (bytes || v < 1024) {
		snprintf(buf, len, "%" PRIu64 "%s", v, bytes ? "" : " B");
		return buf;
	}
	while (d >= 1024.0 && u < 4) {
		d /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

static const char *fmt_heap_flags(char *buf, size_t len, uint32_t flags)
{
	buf[0] = '\0';
	if (flags & IONODE_HEAP_CONTIGUOUS)
		snprintf(buf + strlen(buf), len - strlen(buf), "contig");
	if (flags & IONODE_HEAP_RESTRICTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%srestricted",
			 buf[0] ? "," : "");
	if (flags & ~(IONODE_HEAP_CONTIGUOUS | IONODE_HEAP_RESTRICTED))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s0x%x",
			 buf[0] ? "," : "", (unsigned int)(flags &
			 ~(IONODE_HEAP_CONTIGUOUS | IONODE_HEAP_RESTRICTED)));
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static const char *fmt_bo_flags(char *buf, size_t len, uint32_t flags)
{
	snprintf(buf, len, "%s%s", flags & IONODE_BO_CACHED ? "cached" :
		 "write-combined", flags & IONODE_BO_CONTIGUOUS ? ",contig" : "");
	if (flags & ~IONODE_BO_FLAGS)
		snprintf(buf + strlen(buf), len - strlen(buf), ",0x%x",
			 (unsigned int)(flags & ~IONODE_BO_FLAGS));
	return buf;
}

static const char *fmt_attrs(char *buf, size_t len, uint32_t attrs)
{
	buf[0] = '\0';
	if (attrs & IONODE_ATTR_CONTIGUOUS)
		snprintf(buf + strlen(buf), len - strlen(buf), "contig");
	if (attrs & IONODE_ATTR_IMPORTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%simported",
			 buf[0] ? "," : "");
	if (attrs & IONODE_ATTR_EXPORTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sexported",
			 buf[0] ? "," : "");
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

/* The advice after "no permission on NODE". */
#define ACCESS_HINT "on Debian the render node is for group render and the " \
	"user at the seat: adduser $USER render, log in again; see " \
	"tools/udev/70-ionode.rules"

static int open_node(const char *node)
{
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM)
		err("no permission on %s: %s (%s)\n", node, strerror(errno),
		    ACCESS_HINT);
	else if (errno == ENOENT)
		err("%s does not exist\n", node);
	else
		err("cannot open %s: %s\n", node, strerror(errno));
	return -1;
}

/*
 * Open -d NODE, or find ionode's render node; on failure say why: the
 * module is not loaded, loaded without a device, or the node is not
 * accessible.
 */
static int open_device(const char *node)
{
	struct stat st;
	int fd, ret;

	if (node) {
		snprintf(device_path, sizeof(device_path), "%s", node);
		fd = open_node(node);
		if (fd < 0)
			return -1;
		if (ionode_is_ionode(fd) != 1) {
			err("%s is not an ionode device\n", node);
			close(fd);
			return -1;
		}
		return fd;
	}

	ret = ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_RENDER, device_path,
			       sizeof(device_path));
	if (ret == -ENODEV && stat("/sys/module/ionode", &st) != 0) {
		err("the ionode module is not loaded (modprobe ionode after "
		    "installing it with DKMS, or insmod drm-driver/ionode.ko "
		    "from a build; see README.md)\n");
		return -1;
	}
	if (ret == -ENODEV) {
		err("the ionode module is loaded but there is no ionode render "
		    "node in /dev/dri (device unbound? see "
		    "/sys/bus/platform/drivers/ionode and dmesg)\n");
		return -1;
	}
	if (ret == -EACCES) {
		err("no permission to open the DRM nodes in /dev/dri to find "
		    "ionode's (%s)\n", ACCESS_HINT);
		return -1;
	}
	if (ret) {
		err("cannot look up the ionode device: %s\n", strerror(-ret));
		return -1;
	}
	return open_node(device_path);
}

static int get_heaps(int fd, struct drm_ionode_heap_info **heaps,
		     uint32_t *count)
{
	int ret = ionode_query_heaps(fd, heaps, count);

	if (ret)
		err("heap query failed: %s\n", strerror(-ret));
	return ret;
}

/* The fields of one heap info in JSON (inside an open object). */
static void json_heap_info(struct json *j, const struct drm_ionode_heap_info *h)
{
	json_u64(j, "id", h->id);
	json_strn(j, "name", h->name, IONODE_HEAP_NAME_LEN);
	json_str(j, "type", ionode_heap_type_name(h->type));
	json_flags(j, "flags", h->flags, heap_flag_names,
		   ARRAY_LEN(heap_flag_names));
	json_size(j, "total_bytes", h->total_bytes);
	json_u64(j, "used_bytes", h->used_bytes);
	json_size(j, "free_bytes", h->free_bytes);
	json_size(j, "max_alloc", h->max_alloc);
	json_u64(j, "pool_bytes", h->pool_bytes);
}

static int cmd_heaps(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct drm_ionode_heap_info *heaps;
	bool bytes = false;
	uint32_t count, i;
	char b[6][40];
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'b':
			bytes = true;
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		err("heaps: unknown argument '%s'\n", argv[optind]);
		return 2;
	}

	if (get_heaps(fd, &heaps, &count))
		return 1;

	if (json_out) {
		struct json j = { .f = stdout };

		json_open(&j, NULL, '{');
		json_str(&j, "device", device_path);
		json_open(&j, "heaps", '[');
		for (i = 0; i < count; i++) {
			json_open(&j, NULL, '{');
			json_heap_info(&j, &heaps[i]);
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		free(heaps);
		return 0;
	}

	printf("%-3s %-20s %-14s %-16s %12s %12s %12s %12s %12s\n", "ID",
	       "NAME", "TYPE", "FLAGS", "TOTAL", "USED", "FREE", "MAX_ALLOC",
	       "POOLED");
	for (i = 0; i < count; i++) {
		const struct drm_ionode_heap_info *h = &heaps[i];

		printf("%-3u %-20.*s %-14s %-16s %12s %12s %12s %12s %12s\n",
		       h->id,
		       IONODE_HEAP_NAME_LEN, h->name,
		       ionode_heap_type_name(h->type),
		       fmt_heap_flags(b[0], sizeof(b[0]), h->flags),
		       fmt_size(b[1], sizeof(b[1]), h->total_bytes, bytes),
		       fmt_size(b[2], sizeof(b[2]), h->used_bytes, bytes),
		       fmt_size(b[3], sizeof(b[3]), h->free_bytes, bytes),
		       fmt_size(b[4], sizeof(b[4]), h->max_alloc, bytes),
		       fmt_size(b[5], sizeof(b[5]), h->pool_bytes, bytes));
	}
	if (count == 0)
		printf("(no heaps)\n");
	printf("%u heap(s); heaps are tried top to bottom when a mask names several\n",
	       count);

	free(heaps);
	return 0;
}

static int cmd_info(int fd)
{
	struct drm_ionode_heap_info *heaps;
	char render[256], card[256];
	drmVersionPtr ver;
	uint64_t cap = 0;
	uint32_t count, i;
	bool compatible, have_render, have_card, have_cap;

	ver = drmGetVersion(fd);
	if (!ver) {
		err("DRM_IOCTL_VERSION failed: %s\n", strerror(errno));
		return 1;
	}
	if (get_heaps(fd, &heaps, &count)) {
		drmFreeVersion(ver);
		return 1;
	}

	have_render = ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_RENDER,
				       render, sizeof(render)) == 0;
	have_card = ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_PRIMARY, card,
				     sizeof(card)) == 0;
	compatible = ver->version_major == IONODE_UAPI_MAJOR &&
		     ver->version_minor >= IONODE_UAPI_MINOR;
	have_cap = drmGetCap(fd, DRM_CAP_PRIME, &cap) == 0;

	if (json_out) {
		struct json j = { .f = stdout };
		char v[64];

		json_open(&j, NULL, '{');
		json_str(&j, "device", device_path);
		json_str(&j, "render_node", have_render ? render : NULL);
		json_str(&j, "primary_node", have_card ? card : NULL);
		json_open(&j, "driver", '{');
		json_str(&j, "name", ver->name);
		json_str(&j, "desc", ver->desc);
		json_str(&j, "date", ver->date);
		snprintf(v, sizeof(v), "%d.%d.%d", ver->version_major,
			 ver->version_minor, ver->version_patchlevel);
		json_str(&j, "version", v);
		json_close(&j, '}');
		snprintf(v, sizeof(v), "%d.%d", IONODE_UAPI_MAJOR,
			 IONODE_UAPI_MINOR);
		json_str(&j, "built_for_uapi", v);
		json_bool(&j, "compatible", compatible);
		if (have_cap) {
			json_bool(&j, "prime_import", cap & DRM_PRIME_CAP_IMPORT);
			json_bool(&j, "prime_export", cap & DRM_PRIME_CAP_EXPORT);
		}
		json_open(&j, "heaps", '[');
		for (i = 0; i < count; i++) {
			json_open(&j, NULL, '{');
			json_heap_info(&j, &heaps[i]);
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_close(&j, '}');
		goto out;
	}

	printf("device node:    %s\n", device_path);
	if (have_render)
		printf("render node:    %s\n", render);
	if (have_card)
		printf("primary node:   %s\n", card);
	printf("driver:         %s (%s, %s)\n", ver->name, ver->desc, ver->date);
	printf("driver uapi:    %d.%d.%d\n", ver->version_major,
	       ver->version_minor, ver->version_patchlevel);
	printf("built for uapi: %d.%d (%s)\n", IONODE_UAPI_MAJOR,
	       IONODE_UAPI_MINOR, compatible ? "compatible" : "INCOMPATIBLE");
	if (have_cap)
		printf("prime:          %s%s%s\n",
		       cap & DRM_PRIME_CAP_IMPORT ? "import " : "",
		       cap & DRM_PRIME_CAP_EXPORT ? "export" : "",
		       cap ? "" : "none");
	printf("heaps:          %u\n", count);
	for (i = 0; i < count; i++) {
		char used[40], total[40];

		printf("  [%u] %-20.*s %-14s used %s of %s\n", heaps[i].id,
		       IONODE_HEAP_NAME_LEN, heaps[i].name,
		       ionode_heap_type_name(heaps[i].type),
		       fmt_size(used, sizeof(used), heaps[i].used_bytes, false),
		       fmt_size(total, sizeof(total), heaps[i].total_bytes,
				false));
	}
out:
	drmFreeVersion(ver);
	free(heaps);
	return 0;
}

/*
 * Map the buffer, check it reads as zero and that a pattern reads back.
 * Return: 0 when it did, 1 otherwise (the reason on stderr).
 */
static int check_buffer(int fd, uint32_t handle, uint64_t size)
{
	uint32_t *p;
	size_t i, n = size / sizeof(uint32_t);
	void *ptr;
	int ret;

	ret = ionode_mmap(fd, handle, size, PROT_READ | PROT_WRITE, &ptr);
	if (ret) {
		err("mmap failed: %s\n", strerror(-ret));
		return 1;
	}
	p = ptr;
	for (i = 0; i < n; i++) {
		if (p[i]) {
			err("byte offset %zu is 0x%08x, not zero\n", i * 4, p[i]);
			munmap(ptr, size);
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		p[i] = (uint32_t)i * 2654435761u;
	for (i = 0; i < n; i++) {
		if (p[i] != (uint32_t)i * 2654435761u) {
			err("readback mismatch at offset %zu\n", i * 4);
			munmap(ptr, size);
			return 1;
		}
	}
	munmap(ptr, size);
	if (!json_out)
		printf("check:     zero on allocation, pattern reads back (%"
		       PRIu64 " bytes)\n", size);
	return 0;
}

static int cmd_alloc(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "cached", no_argument, NULL, 'c' },
		{ "contig", no_argument, NULL, 'C' },
		{ "align", required_argument, NULL, 'a' },
		{ "check", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct drm_ionode_heap_info *heaps;
	struct drm_ionode_create req = { 0 };
	struct drm_ionode_bo_info info;
	const struct drm_ionode_heap_info *h;
	bool have_size = false, check = false, have_info, checked = false;
	bool freed;
	uint32_t count, flags = 0;
	uint64_t mask = 0, size = 0, align = 0;
	char b[4][64];
	int c, i, ret, status = 0;

	if (get_heaps(fd, &heaps, &count))
		return 1;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'c':
			flags |= IONODE_BO_CACHED;
			break;
		case 'C':
			flags |= IONODE_BO_CONTIGUOUS;
			break;
		case 'k':
			check = true;
			break;
		case 'j':
			json_out = true;
			break;
		case 'H':
			h = ionode_find_heap(heaps, count, optarg);
			if (!h || h->id >= IONODE_MAX_HEAPS) {
				uint32_t k;

				err("alloc: no heap named '%s'; heaps:", optarg);
				for (k = 0; k < count; k++)
					fprintf(stderr, " %.*s", IONODE_HEAP_NAME_LEN,
						heaps[k].name);
				fprintf(stderr, "\n");
				status = 1;
				goto out;
			}
			mask |= 1ull << h->id;
			break;
		case 'a':
			if (parse_size(optarg, &align)) {
				err("alloc: bad --align value\n");
				goto usage;
			}
			break;
		case 'h':
			free(heaps);
			usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	for (i = optind; i < argc; i++) {
		if (have_size) {
			err("alloc: unknown argument '%s'\n", argv[i]);
			goto usage;
		}
		if (parse_size(argv[i], &size)) {
			err("alloc: bad size '%s'\n", argv[i]);
			goto usage;
		}
		have_size = true;
	}
	if (!have_size) {
		err("alloc: missing SIZE\n");
		goto usage;
	}
	if (!mask)
		mask = ionode_heap_mask(heaps, count);

	req.size = size;
	req.align = align;
	req.heap_mask = mask;
	req.flags = flags;
	ret = ionode_create_ex(fd, &req);
	if (ret) {
		err("allocation of %" PRIu64 " bytes (mask 0x%" PRIx64
		    ", flags %s, align %" PRIu64 ") failed: %s (%s)%s\n",
		    size, mask, fmt_bo_flags(b[0], sizeof(b[0]), flags), align,
		    strerror(-ret), errname(-ret),
		    ret == -E2BIG ? " (larger than max_alloc of every heap)" :
		    ret == -ENOMEM ? " (heaps exhausted)" : "");
		status = 1;
		goto out;
	}

	h = NULL;
	for (i = 0; i < (int)count; i++)
		if (heaps[i].id == req.heap_id)
			h = &heaps[i];
	if (!json_out) {
		printf("handle:    %u\n", req.handle);
		printf("size:      %s (%" PRIu64 " bytes, requested %" PRIu64 ")\n",
		       fmt_size(b[0], sizeof(b[0]), req.size, false),
		       (uint64_t)req.size, size);
		printf("heap:      %u (%.*s)\n", req.heap_id, IONODE_HEAP_NAME_LEN,
		       h ? h->name : "?");
	}

	ret = ionode_bo_info(fd, req.handle, &info);
	have_info = ret == 0;
	if (ret) {
		err("bo_info failed: %s\n", strerror(-ret));
		status = 1;
	} else if (!json_out) {
		printf("info:      size %" PRIu64 ", heap %u, flags %s, attrs %s\n",
		       (uint64_t)info.size, info.heap_id,
		       fmt_bo_flags(b[1], sizeof(b[1]), info.flags),
		       fmt_attrs(b[2], sizeof(b[2]), info.attrs));
	}

	if (check) {
		checked = check_buffer(fd, req.handle, req.size) == 0;
		if (!checked)
			status = 1;
	}

	ret = ionode_close(fd, req.handle);
	freed = ret == 0;
	if (ret) {
		err("GEM_CLOSE failed: %s\n", strerror(-ret));
		status = 1;
	} else if (!json_out) {
		printf("freed:     handle %u closed\n", req.handle);
	}

	if (json_out) {
		struct json j = { .f = stdout };

		json_open(&j, NULL, '{');
		json_str(&j, "device", device_path);
		json_open(&j, "request", '{');
		json_u64(&j, "size", size);
		json_u64(&j, "align", align);
		json_u64(&j, "heap_mask", mask);
		json_flags(&j, "flags", flags, bo_flag_names,
			   ARRAY_LEN(bo_flag_names));
		json_close(&j, '}');
		json_u64(&j, "handle", req.handle);
		json_u64(&j, "size", req.size);
		json_open(&j, "heap", '{');
		json_u64(&j, "id", req.heap_id);
		if (h)
			json_strn(&j, "name", h->name, IONODE_HEAP_NAME_LEN);
		else
			json_null(&j, "name");
		json_close(&j, '}');
		if (have_info) {
			json_open(&j, "info", '{');
			json_u64(&j, "size", info.size);
			json_u64(&j, "heap_id", info.heap_id);
			json_flags(&j, "flags", info.flags, bo_flag_names,
				   ARRAY_LEN(bo_flag_names));
			json_flags(&j, "attrs", info.attrs, attr_names,
				   ARRAY_LEN(attr_names));
			json_close(&j, '}');
		} else {
			json_null(&j, "info");
		}
		if (check)
			json_bool(&j, "check", checked);
		else
			json_null(&j, "check");
		json_bool(&j, "freed", freed);
		json_close(&j, '}');
	}
out:
	free(heaps);
	return status;
usage:
	free(heaps);
	usage(stderr);
	return 2;
}

/*
 * stats: per heap from the query ioctl and sysfs, per client from every
 * readable /proc/PID/fdinfo of an ionode fd and, when readable (root),
 * debugfs's ionode_clients, which also lists the clients no process holds
 * an fd of (closed files whose buffers live on, in-kernel users, V4L2),
 * and ionode_buffers: every buffer, its creator, heap, size, attached
 * devices and DMA_BUF_SET_NAME name.
 */

/* What a client holds of one heap; buffers are known from debugfs only. */
struct usage {
	uint64_t bytes;
	uint64_t buffers;
	bool have_buffers;
};

/* One fd of a process on an ionode node. */
struct holder {
	int pid;
	int fd;
	char comm[64];
};

struct client {
	uint64_t id;
	int pid;		/* debugfs: the opener; else the first holder */
	char comm[64];
	char state[16];
	char via[32];
	struct usage *heap;	/* one per heap of the query, same order */
	struct usage imported;
	struct holder *holders;
	size_t nholders;
};

/* One ionode buffer of debugfs's ionode_buffers. */
struct buffer {
	uint64_t client;	/* the client it is charged to */
	int pid;		/* the task that created it */
	char task[32];
	char heap[IONODE_HEAP_NAME_LEN + 1];	/* "": deferred, no memory */
	uint64_t bytes;
	char *devices;		/* "vgem,ionode-m2m.1"; "" for none */
	char *name;		/* DMA_BUF_SET_NAME's, unescaped; NULL: none */
	size_t order;		/* its line in debugfs: ties in the sort */
};

struct stats {
	const struct drm_ionode_heap_info *heaps;
	uint32_t nheaps;
	struct client *clients;
	size_t nclients;
	unsigned int hidden;	/* processes whose fds we may not read */
	bool debugfs;
	bool sysfs;
	char debugfs_dir[256];	/* ionode's directory in debugfs's dri/ */
	struct buffer *buffers;	/* only when have_buffers */
	size_t nbuffers;
	bool have_buffers;
	char *warnings[8];
	unsigned int nwarnings;
};

static void __attribute__((format(printf, 2, 3)))
warn(struct stats *st, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	err("warning: %s\n", msg);
	if (st->nwarnings < ARRAY_LEN(st->warnings))
		st->warnings[st->nwarnings++] = msg;
	else
		free(msg);
}

static int heap_index(const struct stats *st, const char *name)
{
	uint32_t i;

	for (i = 0; i < st->nheaps; i++)
		if (strncmp(st->heaps[i].name, name, IONODE_HEAP_NAME_LEN) == 0)
			return i;
	return -1;
}

static struct client *client_get(struct stats *st, uint64_t id)
{
	struct client *c;
	size_t i;

	for (i = 0; i < st->nclients; i++)
		if (st->clients[i].id == id)
			return &st->clients[i];
	c = realloc(st->clients, (st->nclients + 1) * sizeof(*c));
	if (!c)
		return NULL;
	st->clients = c;
	c = &st->clients[st->nclients];
	memset(c, 0, sizeof(*c));
	c->heap = calloc(st->nheaps ? st->nheaps : 1, sizeof(*c->heap));
	if (!c->heap)
		return NULL;
	c->id = id;
	c->pid = -1;
	strcpy(c->state, "open");
	strcpy(c->via, "drm");
	st->nclients++;
	return c;
}

/* A small text file into @buf (NUL-terminated). Return: 0 or -errno. */
static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* /proc/PID/comm without its newline ("?" if gone). */
static void proc_comm(int pid, char *comm, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_file(path, comm, len)) {
		snprintf(comm, len, "?");
		return;
	}
	comm[strcspn(comm, "\n")] = '\0';
}

/*
 * Parse the fdinfo of an fd: whether it is an ionode DRM file, its client
 * id and (into @c when given) its drm-memory-* usage in bytes.
 */
static bool parse_fdinfo(struct stats *st, const char *text, uint64_t *id,
			 struct client *c)
{
	bool ionode = false, have_id = false;
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		char key[64 + IONODE_HEAP_NAME_LEN];
		unsigned long long v;
		const char *val;
		int k;

		if (strncmp(line, "drm-driver:", 11) == 0) {
			val = line + 11 + strspn(line + 11, " \t");
			ionode = strncmp(val, IONODE_DRIVER_NAME,
					 strlen(IONODE_DRIVER_NAME)) == 0 &&
				 /* followed by the newline or the end */
				 strchr("\n", val[strlen(IONODE_DRIVER_NAME)]);
		} else if (sscanf(line, "drm-client-id: %llu", &v) == 1) {
			*id = v;
			have_id = true;
		} else if (c && sscanf(line, "drm-memory-%95[^:]: %llu KiB",
				       key, &v) == 2) {
			if (strcmp(key, "imported") == 0) {
				c->imported.bytes = v << 10;
			} else {
				k = heap_index(st, key);
				if (k >= 0)
					c->heap[k].bytes = v << 10;
			}
		}
	}
	return ionode && have_id;
}

/*
 * Every ionode fd of every process whose fds we may read: character
 * devices of DRM's major (@drm_major, that of our own node) whose fdinfo
 * says drm-driver ionode.
 */
static void scan_fdinfo(struct stats *st, uint64_t self_id,
			unsigned int drm_major)
{
	struct dirent *pe, *fe;
	DIR *proc, *fds;

	proc = opendir("/proc");
	if (!proc) {
		warn(st, "cannot read /proc: %s: no per-client usage",
		     strerror(errno));
		return;
	}
	while ((pe = readdir(proc))) {
		char path[300], text[4096];
		int pid;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		pid = atoi(pe->d_name);
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds) {
			if (errno == EACCES || errno == EPERM)
				st->hidden++;
			continue;
		}
		while ((fe = readdir(fds))) {
			struct holder *hs;
			struct client *c;
			struct stat sb;
			uint64_t id;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid,
				 fe->d_name);
			if (stat(path, &sb) || !S_ISCHR(sb.st_mode) ||
			    major(sb.st_rdev) != drm_major)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
				 fe->d_name);
			if (read_file(path, text, sizeof(text)) ||
			    !parse_fdinfo(st, text, &id, NULL) || id == self_id)
				continue;
			c = client_get(st, id);
			if (!c)
				continue;
			parse_fdinfo(st, text, &id, c);
			hs = realloc(c->holders, (c->nholders + 1) * sizeof(*hs));
			if (!hs)
				continue;
			c->holders = hs;
			hs = &c->holders[c->nholders++];
			hs->pid = pid;
			hs->fd = atoi(fe->d_name);
			proc_comm(pid, hs->comm, sizeof(hs->comm));
			if (c->pid < 0) {
				c->pid = pid;
				snprintf(c->comm, sizeof(c->comm), "%s", hs->comm);
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (st->hidden)
		warn(st, "the fds of %u processes are not readable (not root): "
		     "their clients are not shown", st->hidden);
}

/* ionode's debugfs file @name into @path: next to the node's minor first. */
static int find_debugfs(int fd, const char *name, char *path, size_t len)
{
	struct dirent *e;
	struct stat sb;
	DIR *d;

	if (fstat(fd, &sb) == 0) {
		snprintf(path, len, "/sys/kernel/debug/dri/%u/%s",
			 minor(sb.st_rdev), name);
		if (access(path, F_OK) == 0)
			return 0;
	}
	d = opendir("/sys/kernel/debug/dri");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, len, "/sys/kernel/debug/dri/%s/%s", e->d_name,
			 name);
		if (access(path, F_OK) == 0) {
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

/* Is debugfs mounted on /sys/kernel/debug? */
static bool debugfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " /sys/kernel/debug debugfs ") != NULL;
	fclose(f);
	return found;
}

/*
 * debugfs ionode_clients: "client pid comm state heap bytes buffers via",
 * comm possibly with spaces: two columns from the left, five from the
 * right. Its byte and buffer counts replace fdinfo's.
 */
static void read_debugfs(struct stats *st, int fd, uint64_t self_id)
{
	static const char *const lost = "per-client buffer counts, the "
		"buffers (creator, name, devices), and clients holding buffers "
		"with no open ionode fd (closed files, kernel and V4L2 users), "
		"are not shown";
	char path[300], line[512];
	size_t i;
	FILE *f;
	int ret;

	ret = find_debugfs(fd, "ionode_clients", path, sizeof(path));
	if (ret == -EACCES || ret == -EPERM) {
		warn(st, "debugfs (/sys/kernel/debug) is readable by root only: %s",
		     lost);
		return;
	}
	if (ret && !debugfs_mounted()) {
		warn(st, "debugfs is not mounted (mount -t debugfs debugfs "
		     "/sys/kernel/debug): %s", lost);
		return;
	}
	if (ret) {
		warn(st, "no ionode_clients in /sys/kernel/debug/dri: %s", lost);
		return;
	}
	f = fopen(path, "re");
	if (!f) {
		warn(st, "cannot read %s: %s: %s", path, strerror(errno), lost);
		return;
	}

	/* debugfs has the truth: no line for a heap means nothing there. */
	st->debugfs = true;
	snprintf(st->debugfs_dir, sizeof(st->debugfs_dir), "%.*s",
		 (int)(strrchr(path, '/') - path), path);
	for (i = 0; i < st->nclients; i++) {
		struct client *c = &st->clients[i];
		uint32_t k;

		for (k = 0; k < st->nheaps; k++)
			c->heap[k] = (struct usage){ .have_buffers = true };
		c->imported = (struct usage){ .have_buffers = true };
	}

	if (!fgets(line, sizeof(line), f))	/* the header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		char *tok[64], *save = NULL, *t, *comm_start, *comm_end;
		unsigned long long id;
		struct client *c;
		struct usage *u;
		int n = 0, k;

		line[strcspn(line, "\n")] = '\0';
		for (t = strtok_r(line, " ", &save); t && n < 64;
		     t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		if (n < 8)
			continue;
		id = strtoull(tok[0], NULL, 10);
		if (id == self_id)
			continue;
		c = client_get(st, id);
		if (!c)
			continue;
		if (c->heap[0].have_buffers == false) {
			uint32_t h;

			for (h = 0; h < st->nheaps; h++)
				c->heap[h].have_buffers = true;
			c->imported.have_buffers = true;
		}
		/* The comm: tok[2] .. tok[n - 6], spaces restored. */
		comm_start = tok[2];
		comm_end = tok[n - 6] + strlen(tok[n - 6]);
		for (t = comm_start; t < comm_end; t++)
			if (*t == '\0')
				*t = ' ';
		c->pid = atoi(tok[1]);
		snprintf(c->comm, sizeof(c->comm), "%.*s",
			 (int)(comm_end - comm_start), comm_start);
		snprintf(c->state, sizeof(c->state), "%s", tok[n - 5]);
		snprintf(c->via, sizeof(c->via), "%s", tok[n - 1]);
		if (strcmp(tok[n - 4], "(imported)") == 0) {
			u = &c->imported;
		} else {
			k = heap_index(st, tok[n - 4]);
			if (k < 0)
				continue;
			u = &c->heap[k];
		}
		u->bytes = strtoull(tok[n - 3], NULL, 10);
		u->buffers = strtoull(tok[n - 2], NULL, 10);
		u->have_buffers = true;
	}
out:
	fclose(f);
}

/* Undo seq_escape()'s octal escapes ("\011", "\012", "\134") in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7' &&
		    (s[1] != '0' || s[2] != '0' || s[3] != '0')) {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * The field printed with "%-<width>" at @*pos of @line: the next token
 * must start there, and a single space must follow the field's at least
 * @width columns. Its text (padding trimmed) into @out (@len bytes);
 * @*pos moves past the space. A task's name may hold spaces: it is found
 * by column, not by token. Return: false when the line does not fit.
 */
static bool field_at(const char *line, size_t *pos, size_t width, char *out,
		     size_t len)
{
	size_t end = *pos, n;

	if (strlen(line) < *pos + width + 1)
		return false;
	end = *pos + width;
	/* Longer than its width: up to the next space (numbers only). */
	while (line[end] && line[end] != ' ')
		end++;
	if (line[end] != ' ')
		return false;
	n = end - *pos;
	while (n && line[*pos + n - 1] == ' ')
		n--;
	snprintf(out, len, "%.*s", (int)n, line + *pos);
	*pos = end + 1;
	return true;
}

/* The next space-separated token of @line at @*pos into @out. */
static bool token_at(const char *line, size_t *pos, char *out, size_t len)
{
	size_t n;

	*pos += strspn(line + *pos, " ");
	n = strcspn(line + *pos, " ");
	if (!n || n >= len)
		return false;
	memcpy(out, line + *pos, n);
	out[n] = '\0';
	*pos += n;
	return true;
}

/*
 * One line of ionode_buffers into @b: "%-6llu %-8d %-16s %-16s %14zu
 * DEVICES NAME": client, pid, task (15 characters at most, spaces
 * allowed), heap ("-": none), bytes, devices ("-": none) and, after one
 * space, the dma-buf's name to the end of the line (empty: none).
 */
static bool parse_buffer_line(const char *line, struct buffer *b)
{
	char num[32], heap[IONODE_HEAP_NAME_LEN + 8], *end;
	const char *devices, *name;
	size_t pos = 0, n;

	memset(b, 0, sizeof(*b));
	if (!field_at(line, &pos, 6, num, sizeof(num)))
		return false;
	b->client = strtoull(num, &end, 10);
	if (!num[0] || *end)
		return false;
	if (!field_at(line, &pos, 8, num, sizeof(num)))
		return false;
	b->pid = strtol(num, &end, 10);
	if (!num[0] || *end)
		return false;
	/* The task: exactly 16 columns (TASK_COMM_LEN - 1 and padding). */
	if (strlen(line) < pos + 17 || line[pos + 16] != ' ')
		return false;
	n = 16;
	while (n && line[pos + n - 1] == ' ')
		n--;
	snprintf(b->task, sizeof(b->task), "%.*s", (int)n, line + pos);
	pos += 17;
	if (!token_at(line, &pos, heap, sizeof(heap)) ||
	    strlen(heap) > IONODE_HEAP_NAME_LEN ||
	    !token_at(line, &pos, num, sizeof(num)))
		return false;
	snprintf(b->heap, sizeof(b->heap), "%.*s", IONODE_HEAP_NAME_LEN,
		 strcmp(heap, "-") ? heap : "");
	b->bytes = strtoull(num, &end, 10);
	if (*end)
		return false;
	pos += strspn(line + pos, " ");
	devices = line + pos;
	n = strcspn(devices, " ");
	if (!n)
		return false;
	name = devices + n + !!devices[n];
	if (n == 1 && devices[0] == '-')
		n = 0;
	b->devices = strndup(devices, n);
	b->name = name[0] ? strdup(name) : NULL;
	if (!b->devices || (name[0] && !b->name)) {
		free(b->devices);
		free(b->name);
		return false;
	}
	if (b->name)
		unescape_octal(b->name);
	return true;
}

/*
 * debugfs ionode_buffers, next to ionode_clients: every ionode buffer with
 * its creator, heap, size, attached devices and dma-buf name.
 */
static void read_buffers(struct stats *st, uint64_t self_id)
{
	char path[300], *line = NULL;
	size_t cap = 0, order = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ionode_buffers", st->debugfs_dir);
	f = fopen(path, "re");
	if (!f) {
		warn(st, "cannot read %s: %s: the buffers (creator, name, "
		     "devices) are not shown", path, strerror(errno));
		return;
	}
	st->have_buffers = true;
	if (getline(&line, &cap, f) < 0)	/* the header */
		goto out;
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct buffer b, *bs;

		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (!parse_buffer_line(line, &b))
			continue;
		if (b.client == self_id) {
			free(b.devices);
			free(b.name);
			continue;
		}
		bs = realloc(st->buffers, (st->nbuffers + 1) * sizeof(*bs));
		if (!bs) {
			free(b.devices);
			free(b.name);
			break;
		}
		b.order = order++;
		st->buffers = bs;
		st->buffers[st->nbuffers++] = b;
	}
out:
	free(line);
	fclose(f);
}

/* A heap's sysfs value (peak_bytes, buffers, limit_bytes). */
static bool heap_sysfs(int fd, const char *heap, const char *attr,
		       uint64_t *v)
{
	char path[300], text[64];
	struct stat sb;

	if (fstat(fd, &sb))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/heaps/%s/%s",
		 major(sb.st_rdev), minor(sb.st_rdev), heap, attr);
	if (read_file(path, text, sizeof(text)))
		return false;
	*v = strtoull(text, NULL, 0);
	return true;
}

static int client_cmp(const void *a, const void *b)
{
	const struct client *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* By client, the largest first, then in debugfs's (creation) order. */
static int buffer_cmp(const void *a, const void *b)
{
	const struct buffer *x = a, *y = b;

	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * A client's buffers by dma-buf name, in JSON: [{"name", "buffers",
 * "bytes"}], the unnamed ones under a null name, the names in the order
 * of their first (largest) buffer. The buffers are sorted by client.
 */
static void json_buffers_by_name(struct json *j, const struct stats *st,
				 uint64_t id)
{
	size_t i, k;

	json_open(j, "buffers_by_name", '[');
	for (i = 0; i < st->nbuffers; i++) {
		const struct buffer *b = &st->buffers[i];
		uint64_t count = 0, bytes = 0;
		bool seen = false;

		if (b->client != id)
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = st->buffers[k].client == id &&
			       same_name(st->buffers[k].name, b->name);
		if (seen)
			continue;
		for (k = i; k < st->nbuffers; k++) {
			if (st->buffers[k].client == id &&
			    same_name(st->buffers[k].name, b->name)) {
				count++;
				bytes += st->buffers[k].bytes;
			}
		}
		json_open(j, NULL, '{');
		json_str(j, "name", b->name);
		json_u64(j, "buffers", count);
		json_u64(j, "bytes", bytes);
		json_close(j, '}');
	}
	json_close(j, ']');
}

/* The buffers of ionode_buffers as a JSON array (null when unreadable). */
static void json_buffers(struct json *j, const struct stats *st)
{
	size_t i;

	if (!st->have_buffers) {
		json_null(j, "buffers");
		return;
	}
	json_open(j, "buffers", '[');
	for (i = 0; i < st->nbuffers; i++) {
		const struct buffer *b = &st->buffers[i];
		const char *d = b->devices;

		json_open(j, NULL, '{');
		json_u64(j, "client", b->client);
		json_int(j, "pid", b->pid);
		json_str(j, "task", b->task);
		json_str(j, "heap", b->heap[0] ? b->heap : NULL);
		json_u64(j, "bytes", b->bytes);
		json_open(j, "devices", '[');
		while (*d) {
			size_t n = strcspn(d, ",");

			json_strn(j, NULL, d, n);
			d += n + !!d[n];
		}
		json_close(j, ']');
		json_str(j, "name", b->name);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static uint64_t client_total(const struct stats *st, const struct client *c)
{
	uint64_t t = 0;
	uint32_t k;

	for (k = 0; k < st->nheaps; k++)
		t += c->heap[k].bytes;
	return t;
}

static void json_usage(struct json *j, const char *key, const struct usage *u)
{
	json_open(j, key, '{');
	json_u64(j, "bytes", u->bytes);
	if (u->have_buffers)
		json_u64(j, "buffers", u->buffers);
	else
		json_null(j, "buffers");
	json_close(j, '}');
}

static void print_stats_json(const struct stats *st, const uint64_t (*hs)[3],
			     const bool *have_hs)
{
	struct json j = { .f = stdout };
	size_t i, h;
	uint32_t k;

	json_open(&j, NULL, '{');
	json_str(&j, "device", device_path);
	json_open(&j, "sources", '{');
	json_bool(&j, "ioctl", true);
	json_bool(&j, "sysfs", st->sysfs);
	json_bool(&j, "fdinfo", true);
	json_bool(&j, "debugfs", st->debugfs);
	json_close(&j, '}');
	json_open(&j, "warnings", '[');
	for (i = 0; i < st->nwarnings; i++)
		json_str(&j, NULL, st->warnings[i]);
	json_close(&j, ']');
	json_u64(&j, "hidden_processes", st->hidden);

	json_open(&j, "heaps", '[');
	for (k = 0; k < st->nheaps; k++) {
		json_open(&j, NULL, '{');
		json_heap_info(&j, &st->heaps[k]);
		if (have_hs[k]) {
			json_u64(&j, "peak_bytes", hs[k][0]);
			json_u64(&j, "buffers", hs[k][1]);
			json_u64(&j, "limit_bytes", hs[k][2]);
		} else {
			json_null(&j, "peak_bytes");
			json_null(&j, "buffers");
			json_null(&j, "limit_bytes");
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');

	json_open(&j, "clients", '[');
	for (i = 0; i < st->nclients; i++) {
		const struct client *c = &st->clients[i];

		json_open(&j, NULL, '{');
		json_u64(&j, "id", c->id);
		json_int(&j, "pid", c->pid);
		json_str(&j, "comm", c->comm);
		json_str(&j, "state", c->state);
		json_str(&j, "via", c->via);
		json_open(&j, "processes", '[');
		for (h = 0; h < c->nholders; h++) {
			json_open(&j, NULL, '{');
			json_int(&j, "pid", c->holders[h].pid);
			json_str(&j, "comm", c->holders[h].comm);
			json_int(&j, "fd", c->holders[h].fd);
			json_close(&j, '}');
		}
		json_close(&j, ']');
		json_open(&j, "heaps", '{');
		for (k = 0; k < st->nheaps; k++) {
			char name[IONODE_HEAP_NAME_LEN + 1];

			snprintf(name, sizeof(name), "%.*s", IONODE_HEAP_NAME_LEN,
				 st->heaps[k].name);
			json_usage(&j, name, &c->heap[k]);
		}
		json_close(&j, '}');
		json_usage(&j, "imported", &c->imported);
		json_u64(&j, "total_bytes", client_total(st, c));
		if (st->have_buffers)
			json_buffers_by_name(&j, st, c->id);
		else
			json_null(&j, "buffers_by_name");
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_buffers(&j, st);
	json_close(&j, '}');
}

static void print_usage_row(const struct client *c, const char *heap,
			    const struct usage *u, bool bytes, bool first)
{
	char b[40], n[24];

	if (u->have_buffers)
		snprintf(n, sizeof(n), "%" PRIu64, u->buffers);
	else
		snprintf(n, sizeof(n), "?");
	if (first)
		printf("%-6" PRIu64 " %-7d %-16s %-7s %-7s", c->id, c->pid,
		       c->comm, c->state, c->via);
	else
		printf("%-6s %-7s %-16s %-7s %-7s", "", "", "", "", "");
	printf(" %-16s %12s %8s\n", heap, fmt_size(b, sizeof(b), u->bytes, bytes),
	       n);
}

/*
 * A dma-buf name for a terminal, to the end of the line: control
 * characters and backslashes as octal escapes, as debugfs writes them.
 */
static void print_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			printf("\\%03o", *p);
		else
			putchar(*p);
	}
}

/*
 * Every ionode buffer, by client, largest first: who created it, where
 * its memory is, what it is attached to and the name userspace gave it.
 */
static void print_buffers_text(const struct stats *st, bool bytes)
{
	uint64_t total = 0;
	size_t i;
	char b[40];

	if (!st->have_buffers) {
		printf("\nbuffers not shown: only debugfs's ionode_buffers "
		       "lists them (root)\n");
		return;
	}
	printf("\n%-6s %-7s %-16s %-16s %12s %-16s %s\n", "CLIENT", "PID",
	       "TASK", "HEAP", "SIZE", "DEVICES", "NAME");
	for (i = 0; i < st->nbuffers; i++) {
		const struct buffer *bf = &st->buffers[i];

		printf("%-6" PRIu64 " %-7d %-16s %-16s %12s %-16s ", bf->client,
		       bf->pid, bf->task, bf->heap[0] ? bf->heap : "(deferred)",
		       fmt_size(b, sizeof(b), bf->bytes, bytes),
		       bf->devices[0] ? bf->devices : "-");
		if (bf->name)
			print_name(bf->name);
		else
			putchar('-');
		putchar('\n');
		total += bf->bytes;
	}
	if (!st->nbuffers)
		printf("(no buffers)\n");
	printf("%zu buffer(s), %s\n", st->nbuffers,
	       fmt_size(b, sizeof(b), total, bytes));
}

static void print_stats_text(const struct stats *st, const uint64_t (*hs)[3],
			     const bool *have_hs, bool bytes)
{
	char b[5][40];
	size_t i, h;
	uint32_t k;

	printf("%-20s %-14s %12s %12s %8s %12s %12s\n", "HEAP", "TYPE", "USED",
	       "PEAK", "BUFFERS", "LIMIT", "TOTAL");
	for (k = 0; k < st->nheaps; k++) {
		const struct drm_ionode_heap_info *hp = &st->heaps[k];
		char nb[24];

		snprintf(nb, sizeof(nb), "%" PRIu64, have_hs[k] ? hs[k][1] : 0);
		printf("%-20.*s %-14s %12s %12s %8s %12s %12s\n",
		       IONODE_HEAP_NAME_LEN, hp->name,
		       ionode_heap_type_name(hp->type),
		       fmt_size(b[0], sizeof(b[0]), hp->used_bytes, bytes),
		       have_hs[k] ? fmt_size(b[1], sizeof(b[1]), hs[k][0], bytes) : "?",
		       have_hs[k] ? nb : "?",
		       !have_hs[k] ? "?" : hs[k][2] ? fmt_size(b[2], sizeof(b[2]),
						       hs[k][2], bytes) : "-",
		       fmt_size(b[3], sizeof(b[3]), hp->total_bytes, bytes));
	}

	printf("\n%-6s %-7s %-16s %-7s %-7s %-16s %12s %8s\n", "CLIENT", "PID",
	       "COMMAND", "STATE", "VIA", "HEAP", "BYTES", "BUFFERS");
	for (i = 0; i < st->nclients; i++) {
		const struct client *c = &st->clients[i];
		bool first = true;

		for (k = 0; k < st->nheaps; k++) {
			char name[IONODE_HEAP_NAME_LEN + 1];

			if (!c->heap[k].bytes && !c->heap[k].buffers)
				continue;
			snprintf(name, sizeof(name), "%.*s", IONODE_HEAP_NAME_LEN,
				 st->heaps[k].name);
			print_usage_row(c, name, &c->heap[k], bytes, first);
			first = false;
		}
		if (c->imported.bytes || c->imported.buffers) {
			print_usage_row(c, "(imported)", &c->imported, bytes,
					first);
			first = false;
		}
		if (first) {
			struct usage none = { .have_buffers = true };

			print_usage_row(c, "-", &none, bytes, true);
		}
		for (h = 0; h < c->nholders; h++)
			if (c->holders[h].pid != c->pid || c->nholders > 1)
				printf("%-6s held by pid %d (%s), fd %d\n", "",
				       c->holders[h].pid, c->holders[h].comm,
				       c->holders[h].fd);
	}
	if (!st->nclients)
		printf("(no clients)\n");
	printf("%zu client(s)%s\n", st->nclients, st->debugfs ? "" :
	       "; BUFFERS \"?\": only debugfs counts them (root)");
	print_buffers_text(st, bytes);
}

static int cmd_stats(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct drm_ionode_heap_info *heaps;
	struct stats st = { 0 };
	uint64_t (*hs)[3] = NULL, self_id = UINT64_MAX;
	bool *have_hs = NULL, bytes = false;
	char path[64], text[4096];
	uint32_t count, k;
	struct stat sb;
	size_t i;
	int c, status = 1;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'b':
			bytes = true;
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		err("stats: unknown argument '%s'\n", argv[optind]);
		return 2;
	}
	if (get_heaps(fd, &heaps, &count))
		return 1;
	st.heaps = heaps;
	st.nheaps = count;

	hs = calloc(count ? count : 1, sizeof(*hs));
	have_hs = calloc(count ? count : 1, sizeof(*have_hs));
	if (!hs || !have_hs) {
		err("out of memory\n");
		goto out;
	}
	st.sysfs = true;
	for (k = 0; k < count; k++) {
		char name[IONODE_HEAP_NAME_LEN + 1];

		snprintf(name, sizeof(name), "%.*s", IONODE_HEAP_NAME_LEN,
			 heaps[k].name);
		have_hs[k] = heap_sysfs(fd, name, "peak_bytes", &hs[k][0]) &&
			     heap_sysfs(fd, name, "buffers", &hs[k][1]) &&
			     heap_sysfs(fd, name, "limit_bytes", &hs[k][2]);
		st.sysfs &= have_hs[k];
	}
	if (!st.sysfs)
		warn(&st, "no sysfs heaps/ directory of the device: per-heap "
		     "peak, buffers and limit not shown");

	/* Our own client (this fd) is left out. */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file(path, text, sizeof(text)) == 0)
		parse_fdinfo(&st, text, &self_id, NULL);

	if (fstat(fd, &sb)) {
		err("fstat: %s\n", strerror(errno));
		goto out;
	}
	scan_fdinfo(&st, self_id, major(sb.st_rdev));
	read_debugfs(&st, fd, self_id);
	if (st.debugfs)
		read_buffers(&st, self_id);
	qsort(st.clients, st.nclients, sizeof(*st.clients), client_cmp);
	if (st.nbuffers)
		qsort(st.buffers, st.nbuffers, sizeof(*st.buffers), buffer_cmp);

	if (json_out)
		print_stats_json(&st, (const uint64_t (*)[3])hs, have_hs);
	else
		print_stats_text(&st, (const uint64_t (*)[3])hs, have_hs, bytes);
	status = 0;
out:
	for (i = 0; i < st.nclients; i++) {
		free(st.clients[i].heap);
		free(st.clients[i].holders);
	}
	free(st.clients);
	for (i = 0; i < st.nbuffers; i++) {
		free(st.buffers[i].devices);
		free(st.buffers[i].name);
	}
	free(st.buffers);
	for (i = 0; i < st.nwarnings; i++)
		free(st.warnings[i]);
	free(hs);
	free(have_hs);
	free(heaps);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const cmds[] = { "info", "heaps", "alloc", "stats" };
	const char *node = NULL;
	const char *cmd;
	int c, fd, i, ret;
	unsigned int k;

	if (argc > 0 && argv[0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}

	/* "+": the global options end at the command. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			node = optarg;
			break;
		case 'j':
			json_out = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			err("%s '%s'\n", c == ':' ? "missing value for option" :
			    "unknown option", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	i = optind;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (k = 0; k < ARRAY_LEN(cmds); k++)
		if (strcmp(cmd, cmds[k]) == 0)
			break;
	if (k == ARRAY_LEN(cmds)) {
		err("unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}

	fd = open_device(node);
	if (fd < 0)
		return 1;

	/* The command's own options: argv[0] is the command, getopt restarts. */
	optind = 0;
	if (strcmp(cmd, "heaps") == 0) {
		ret = cmd_heaps(fd, argc - i + 1, argv + i - 1);
	} else if (strcmp(cmd, "alloc") == 0) {
		ret = cmd_alloc(fd, argc - i + 1, argv + i - 1);
	} else if (strcmp(cmd, "stats") == 0) {
		ret = cmd_stats(fd, argc - i + 1, argv + i - 1);
	} else {
		static const struct option info_opts[] = {
			{ "json", no_argument, NULL, 'j' },
			{ "help", no_argument, NULL, 'h' },
			{ 0 }
		};

		ret = -1;
		while ((c = next_opt(argc - i + 1, argv + i - 1, info_opts)) != -1) {
			if (c == 'j') {
				json_out = true;
			} else if (c == 'h') {
				usage(stdout);
				ret = 0;
			} else {
				ret = 2;
			}
		}
		if (ret < 0 && optind < argc - i + 1) {
			err("info: unknown argument '%s'\n",
			    argv[i - 1 + optind]);
			ret = 2;
		}
		if (ret < 0)
			ret = cmd_info(fd);
	}

	close(fd);
	return ret;
}
