// SPDX-License-Identifier: GPL-2.0
/*
 * ionode allocation policy: the administrator's limits and heap
 * restrictions, as module parameters that root can change at runtime in
 * /sys/module/ionode/parameters/.
 *
 *   client_limit=SIZE              bytes one client (DRM file) may hold
 *   heap_limits=NAME:SIZE[,...]    bytes all clients together may hold
 *                                  in heap NAME
 *   restricted_heaps=NAME[,...]    heaps only privileged callers may use
 *   restricted_gid=GID             a group whose members count as
 *                                  privileged, besides CAP_SYS_ADMIN
 *
 * SIZE takes K, M and G suffixes; 0 means no limit. A limit that is hit
 * fails the allocation with -EDQUOT; a restricted heap refuses others
 * with -EPERM.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "ionode_drv.h"

/**
 * struct ionode_heap_rule - policy for one heap name
 * @name: heap name.
 * @limit: byte limit across all clients, 0 for none.
 * @restricted: only privileged callers may allocate.
 */
struct ionode_heap_rule {
	char name[IONODE_HEAP_NAME_LEN];
	u64 limit;
	bool restricted;
};

static DEFINE_MUTEX(policy_lock);
static struct ionode_heap_rule rules[IONODE_MAX_HEAPS];
static unsigned int num_rules;
static u64 client_limit;
static int restricted_gid = -1;

/* Finds or adds the rule for @name; policy_lock held. */
static struct ionode_heap_rule *rule_get(const char *name, bool create)
{
	unsigned int i;

	for (i = 0; i < num_rules; i++)
		if (!strcmp(rules[i].name, name))
			return &rules[i];
	if (!create || num_rules == ARRAY_SIZE(rules))
		return NULL;
	strscpy(rules[num_rules].name, name, sizeof(rules[0].name));
	return &rules[num_rules++];
}

/*
 * Parses a comma-separated list of NAME:SIZE (@want_size) or NAME items,
 * validating all of it before changing any rule so that a bad write leaves
 * the policy as it was. With @replace, heaps not listed lose their limit
 * (or restriction).
 */
static int policy_parse(const char *val, bool want_size, bool replace)
{
	struct ionode_heap_rule *parsed;
	unsigned int n = 0, i;
	char *buf, *cur, *item;
	int ret = 0;

	parsed = kcalloc(IONODE_MAX_HEAPS, sizeof(*parsed), GFP_KERNEL);
	buf = kstrdup(val, GFP_KERNEL);
	if (!parsed || !buf) {
		ret = -ENOMEM;
		goto out;
	}

	/* An empty list clears; otherwise no item may be empty or spaced. */
	cur = strim(buf);
	if (!*cur)
		cur = NULL;
	while ((item = strsep(&cur, ",")) != NULL) {
		char *colon = strchr(item, ':');
		char *end = NULL;

		if (n == IONODE_MAX_HEAPS || !*item || strpbrk(item, " \t\n")) {
			ret = -EINVAL;
			break;
		}
		if (want_size) {
			if (!colon || colon == item) {
				ret = -EINVAL;
				break;
			}
			*colon = '\0';
			parsed[n].limit = memparse(colon + 1, &end);
			if (end == colon + 1 || *end) {
				ret = -EINVAL;
				break;
			}
		} else if (colon) {
			ret = -EINVAL;
			break;
		}
		if (strscpy(parsed[n].name, item, sizeof(parsed[n].name)) < 0) {
			ret = -EINVAL;
			break;
		}
		n++;
	}
	if (ret)
		goto out;

	mutex_lock(&policy_lock);
	for (i = 0; replace && i < num_rules; i++) {
		if (want_size)
			rules[i].limit = 0;
		else
			rules[i].restricted = false;
	}
	for (i = 0; i < n; i++) {
		struct ionode_heap_rule *rule = rule_get(parsed[i].name, true);

		if (!rule) {
			ret = -ENOSPC;
			break;
		}
		if (want_size)
			rule->limit = parsed[i].limit;
		else
			rule->restricted = true;
	}
	mutex_unlock(&policy_lock);
out:
	kfree(buf);
	kfree(parsed);
	return ret;
}

static int policy_show(char *buf, bool want_size)
{
	unsigned int i;
	int len = 0;

	mutex_lock(&policy_lock);
	for (i = 0; i < num_rules; i++) {
		if (want_size && rules[i].limit)
			len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s:%llu",
					 len ? "," : "", rules[i].name,
					 rules[i].limit);
		else if (!want_size && rules[i].restricted)
			len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s",
					 len ? "," : "", rules[i].name);
	}
	mutex_unlock(&policy_lock);
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

/**
 * ionode_policy_set_heap_limits - replace every heap limit
 * @val: NAME:SIZE[,NAME:SIZE...], or "" for none
 *
 * Return: 0, or -EINVAL for a malformed list (the limits are then unchanged).
 */
int ionode_policy_set_heap_limits(const char *val)
{
	return policy_parse(val, true, true);
}

static int heap_limits_set(const char *val, const struct kernel_param *kp)
{
	return ionode_policy_set_heap_limits(val);
}

static int heap_limits_get(char *buf, const struct kernel_param *kp)
{
	return policy_show(buf, true);
}

static const struct kernel_param_ops heap_limits_ops = {
	.set = heap_limits_set,
	.get = heap_limits_get,
};
module_param_cb(heap_limits, &heap_limits_ops, NULL, 0644);
MODULE_PARM_DESC(heap_limits,
		 "Per-heap byte limits: NAME:SIZE[,NAME:SIZE...] (0 = none; -EDQUOT when hit)");

/**
 * ionode_policy_set_restricted_heaps - replace the list of restricted heaps
 * @val: NAME[,NAME...], or "" for none
 *
 * Return: 0, or -EINVAL for a malformed list (the list is then unchanged).
 */
int ionode_policy_set_restricted_heaps(const char *val)
{
	return policy_parse(val, false, true);
}

static int restricted_heaps_set(const char *val, const struct kernel_param *kp)
{
	int ret = ionode_policy_set_restricted_heaps(val);

	if (!ret)
		ionode_dmaheap_policy_changed();
	return ret;
}

static int restricted_heaps_get(char *buf, const struct kernel_param *kp)
{
	return policy_show(buf, false);
}

static const struct kernel_param_ops restricted_heaps_ops = {
	.set = restricted_heaps_set,
	.get = restricted_heaps_get,
};
module_param_cb(restricted_heaps, &restricted_heaps_ops, NULL, 0644);
MODULE_PARM_DESC(restricted_heaps,
		 "Heaps only CAP_SYS_ADMIN or restricted_gid may use: NAME[,NAME...] (-EPERM otherwise)");

/**
 * ionode_policy_set_client_limit - set the per-client byte limit
 * @val: SIZE with an optional K, M or G suffix; 0 for none
 *
 * Return: 0, or -EINVAL for a malformed size (the limit is then unchanged).
 */
int ionode_policy_set_client_limit(const char *val)
{
	char *end;
	u64 size = memparse(val, &end);

	if (end == val || (*end && strcmp(end, "\n")))
		return -EINVAL;
	mutex_lock(&policy_lock);
	client_limit = size;
	mutex_unlock(&policy_lock);
	return 0;
}

static int size_set(const char *val, const struct kernel_param *kp)
{
	return ionode_policy_set_client_limit(val);
}

static int size_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", *(u64 *)kp->arg);
}

static const struct kernel_param_ops size_ops = {
	.set = size_set,
	.get = size_get,
};
module_param_cb(client_limit, &size_ops, &client_limit, 0644);
MODULE_PARM_DESC(client_limit,
		 "Bytes one client (DRM file) may hold, 0 = no limit (-EDQUOT when hit)");

/* The dma-heap nodes of restricted heaps belong to this group. */
static int restricted_gid_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_int(val, kp);

	if (!ret)
		ionode_dmaheap_policy_changed();
	return ret;
}

static const struct kernel_param_ops restricted_gid_ops = {
	.set = restricted_gid_set,
	.get = param_get_int,
};
module_param_cb(restricted_gid, &restricted_gid_ops, &restricted_gid, 0644);
MODULE_PARM_DESC(restricted_gid,
		 "Group allowed to use restricted heaps besides CAP_SYS_ADMIN (-1 = none)");

/**
 * ionode_policy_client_limit - the per-client byte limit
 *
 * Return: the limit in bytes, 0 for none.
 */
u64 ionode_policy_client_limit(void)
{
	u64 limit;

	mutex_lock(&policy_lock);
	limit = client_limit;
	mutex_unlock(&policy_lock);
	return limit;
}

/**
 * ionode_policy_heap_limit - the byte limit of a heap
 * @heap: the heap
 *
 * Return: the limit in bytes, 0 for none.
 */
u64 ionode_policy_heap_limit(const struct ionode_heap *heap)
{
	struct ionode_heap_rule *rule;
	u64 limit = 0;

	mutex_lock(&policy_lock);
	rule = rule_get(heap->name, false);
	if (rule)
		limit = rule->limit;
	mutex_unlock(&policy_lock);
	return limit;
}

/**
 * ionode_policy_heap_restricted - whether a heap is for privileged callers
 * @heap: the heap
 *
 * Return: true when @heap is listed in restricted_heaps.
 */
bool ionode_policy_heap_restricted(const struct ionode_heap *heap)
{
	struct ionode_heap_rule *rule;
	bool restricted = false;

	mutex_lock(&policy_lock);
	rule = rule_get(heap->name, false);
	if (rule)
		restricted = rule->restricted;
	mutex_unlock(&policy_lock);
	return restricted;
}

/**
 * ionode_policy_restricted_kgid - the group restricted_gid names
 *
 * Return: the group in the initial user namespace, or INVALID_GID when
 * restricted_gid is -1 (or names no group).
 */
kgid_t ionode_policy_restricted_kgid(void)
{
	int gid = READ_ONCE(restricted_gid);

	return gid < 0 ? INVALID_GID : make_kgid(&init_user_ns, gid);
}

/**
 * ionode_policy_privileged - whether the current task may use restricted
 * heaps
 *
 * Credentials are judged in the initial user namespace, where the
 * administrator's restricted_gid lives: CAP_SYS_ADMIN there (capable()
 * asks &init_user_ns), or membership of the group that restricted_gid
 * names there. A user namespace may map any of its ids onto the caller's
 * own, so the gid must never be read in the caller's namespace.
 *
 * Return: true with CAP_SYS_ADMIN or membership of restricted_gid.
 */
bool ionode_policy_privileged(void)
{
	kgid_t kgid;

	if (capable(CAP_SYS_ADMIN))
		return true;
	kgid = ionode_policy_restricted_kgid();
	return gid_valid(kgid) && in_group_p(kgid);
}
