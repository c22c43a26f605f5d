#include "autoconfig.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "host-services.h"
#include "log.h"
#include "plugin-loader.h"
#include "util.h"

/* The smallest descriptor we can make sense of: ABI 1.0's whole. */
#define DESC_MIN_SIZE (offsetof(struct clusterctl_plugin, node_event) + sizeof(void *))
/* A config key as ABI 1.0 laid it out: the smallest stride we walk. */
#define KEY_MIN_SIZE (offsetof(struct clusterctl_config_key, flags) + sizeof(uint32_t))
#define MAX_KEYS 256
/* What g++ makes of clusterctl_plugin_entry() without extern "C". */
#define MANGLED_ENTRY "_Z23clusterctl_plugin_entryv"

const char *plugin_kind_name(uint32_t kind)
{
	switch (kind) {
	case CLUSTERCTL_PLUGIN_OVERLAY: return "overlay";
	case CLUSTERCTL_PLUGIN_STORAGE: return "storage";
	}
	return "unknown";
}

static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* An ELF shared object starts with \177ELF; checking before dlopen gives
 * a clearer refusal than the loader's message for a text file. */
static bool looks_like_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;
	if (fd >= 0) {
		ok = read(fd, magic, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
		     magic[3] == 'F';
		close(fd);
	}
	return ok;
}

/* The plugin's keys at our own stride: every later reader (config
 * lookup, listing, checks) walks an array of our struct, whatever size
 * the plugin was built with.  Members it lacks stay zero. */
static int copy_keys(struct plugin *p, const struct clusterctl_plugin *d, char **reason)
{
	const char *base = (const char *)d->config_keys;
	size_t n = 0, stride = d->config_key_size;

	if (!base)
		return 0;
	if (stride < KEY_MIN_SIZE || stride > 4096) {
		*reason = cc_strdupf("config_key_size %zu does not describe an ABI 1.0 config key (at least %zu): "
				  "rebuild the plugin against clusterctl-plugin 1.0",
				  stride, (size_t)KEY_MIN_SIZE);
		return -EINVAL;
	}
	while (((const struct clusterctl_config_key *)(base + n * stride))->name) {
		if (++n > MAX_KEYS) {
			*reason = cc_strdupf("more than %d config keys (or no NULL name ending the array)", MAX_KEYS);
			return -EINVAL;
		}
	}
	if (!(p->keys = calloc(n + 1, sizeof *p->keys))) {
		*reason = cc_strdupf("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(&p->keys[i], base + i * stride, stride < sizeof *p->keys ? stride : sizeof *p->keys);
	p->desc.config_keys = p->keys;
	return 0;
}

/* "lower case, words joined by '-'", as plugin.h says: the flag is
 * --<plugin>-<key> and the file key <key> with '_', so nothing else
 * survives both spellings. */
static bool valid_key_name(const char *s)
{
	size_t n = 0;
	bool word = false;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			word = true;
		else if (c == '-' && word)
			word = false;
		else
			return false;
	}
	return word && n <= 48;
}

#define KEY_BAD(...)                                                                               \
	do {                                                                                       \
		*reason = cc_strdupf(__VA_ARGS__);                                                 \
		return -EINVAL;                                                                    \
	} while (0)

/* One key of the descriptor against the contract, so an author learns
 * at load what would otherwise surface as a value that never arrives. */
static int check_key(const char *plugin, const struct clusterctl_config_key *k, char **reason)
{
	const char *d = k->default_value;
	char flag[128];
	long long v;
	bool b;

	if (!valid_key_name(k->name))
		KEY_BAD("plugin %s: config key \"%s\" is not lower-case words joined by '-' ([a-z0-9], at most 48 "
			"bytes): fix the descriptor", plugin, k->name);
	snprintf(flag, sizeof flag, "%s-%s", plugin, k->name);
	if (config_opt_find(flag))
		KEY_BAD("plugin %s: config key \"%s\" clashes with clusterctl's own option --%s: rename the key",
			plugin, k->name, flag);
	if (k->type != CLUSTERCTL_CONFIG_STRING && k->type != CLUSTERCTL_CONFIG_INT && k->type != CLUSTERCTL_CONFIG_BOOL)
		KEY_BAD("plugin %s: config key \"%s\" has unknown type %d (want 0 string, 1 int or 2 bool)", plugin,
			k->name, k->type);
	if ((k->flags & CLUSTERCTL_CONFIG_REQUIRED) && d)
		KEY_BAD("plugin %s: config key \"%s\" is REQUIRED and has a default \"%s\": drop one of them",
			plugin, k->name, (k->flags & CLUSTERCTL_CONFIG_SECRET) ? "(secret)" : d);
	if (k->type == CLUSTERCTL_CONFIG_INT && k->min > k->max)
		KEY_BAD("plugin %s: config key \"%s\" has min %lld above max %lld", plugin, k->name, k->min, k->max);
	if (!d)
		return 0;
	if (k->type == CLUSTERCTL_CONFIG_INT && parse_ll(d, k->min, k->max, &v) < 0)
		KEY_BAD("plugin %s: config key \"%s\" has default \"%s\", not a whole number in %lld..%lld", plugin,
			k->name, d, k->min, k->max);
	if (k->type == CLUSTERCTL_CONFIG_BOOL && parse_bool(d, &b) < 0)
		KEY_BAD("plugin %s: config key \"%s\" is a boolean with default \"%s\" (want true or false)", plugin,
			k->name, d);
	if (strlen(d) > 4096)
		KEY_BAD("plugin %s: config key \"%s\" has a default longer than 4096 bytes", plugin, k->name);
	return 0;
}

static int check_keys(const struct plugin *p, char **reason)
{
	const struct clusterctl_config_key *keys = p->desc.config_keys;

	for (size_t i = 0; keys && keys[i].name; i++) {
		if (check_key(p->desc.name, &keys[i], reason) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys[j].name, keys[i].name) == 0)
				KEY_BAD("plugin %s: config key \"%s\" is declared twice", p->desc.name, keys[i].name);
	}
	return 0;
}

/* Two loaded plugins of one name (an overlay and a storage "foo") share
 * the flag space --foo-*: a key both declare could reach neither alone. */
static char *key_clash(const struct plugin_registry *reg, const struct plugin *p)
{
	for (size_t i = 0; i < reg->n; i++) {
		const struct plugin *o = reg->v[i];
		if (o == p || strcmp(o->desc.name, p->desc.name) != 0)
			continue;
		for (const struct clusterctl_config_key *k = p->desc.config_keys; k && k->name; k++)
			if (plugin_config_key(o, k->name))
				return cc_strdupf("plugin %s: config key \"%s\" is also declared by %s plugin \"%s\" "
						  "(%s): both would be --%s-%s; rename one",
						  p->desc.name, k->name, plugin_kind_name(o->desc.kind), o->desc.name,
						  o->path, p->desc.name, k->name);
	}
	return NULL;
}

/* Code that runs as root must be writable by root alone (sudo's rule for
 * its plugins).  The invoking user's own files are also accepted: loading
 * them gives that user nothing they could not run anyway, and it lets a
 * developer test plugins without root. */
static char *untrusted(const char *what, const char *path, const struct stat *st)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return cc_strdupf("%s %s is owned by uid %u, not root: chown root %s", what, path,
			       (unsigned)st->st_uid, path);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return cc_strdupf("%s %s is writable by group or others (mode %04o): chmod go-w %s", what,
			       path, (unsigned)(st->st_mode & 07777), path);
	return NULL;
}

int plugin_dir_check(const char *dir, char **reason)
{
	struct stat st;

	*reason = NULL;
	if (stat(dir, &st) < 0) {
		int e = errno;
		*reason = cc_strdupf("cannot read plugin directory %s: %s (set --plugin-dir or "
				  "CLUSTERCTL_PLUGIN_DIR)", dir, strerror(e));
		return *reason ? -e : -ENOMEM;
	}
	if (!S_ISDIR(st.st_mode)) {
		*reason = cc_strdupf("plugin directory %s is not a directory (set --plugin-dir or "
				  "CLUSTERCTL_PLUGIN_DIR)", dir);
		return *reason ? -ENOTDIR : -ENOMEM;
	}
	if ((*reason = untrusted("plugin directory", dir, &st)))
		return -EPERM;
	return 0;
}

/* The file itself, and through a symbolic link the file it names and the
 * directory that holds that: whoever can replace either chooses the code. */
static char *untrusted_file(const char *path)
{
	struct stat st;
	char *real, *slash, *why = NULL;

	if (stat(path, &st) < 0)
		return cc_strdupf("cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_strdupf("not a regular file");
	if ((why = untrusted("plugin file", path, &st)))
		return why;
	if (!(real = realpath(path, NULL)))
		return cc_strdupf("cannot resolve %s: %s", path, strerror(errno));
	if (strcmp(real, path) != 0) {
		if (stat(real, &st) == 0 && !(why = untrusted("plugin file", real, &st)) &&
		    (slash = strrchr(real, '/')) && slash != real) {
			*slash = '\0';
			if (stat(real, &st) == 0)
				why = untrusted("directory", real, &st);
		}
	}
	free(real);
	return why;
}

int plugin_load_file(const char *path, struct plugin **out, char **reason)
{
	const struct clusterctl_plugin *(*entry)(void);
	const struct clusterctl_plugin *d;
	struct plugin *p = NULL;
	struct stat st;
	void *dl = NULL;
	const char *e;

	*out = NULL;
	*reason = NULL;
	if (lstat(path, &st) < 0) {
		*reason = cc_strdupf("cannot stat: %s", strerror(errno));
		goto refuse;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		*reason = cc_strdupf("not a regular file");
		goto refuse;
	}
	if ((*reason = untrusted_file(path)))
		goto refuse;
	if (!looks_like_elf(path)) {
		*reason = cc_strdupf("not a shared object (no ELF header)");
		goto refuse;
	}
	dlerror();
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		e = dlerror();
		*reason = cc_strdupf("dlopen failed: %s (missing dependencies? check with ldd)",
				    e ? e : "unknown error");
		goto refuse;
	}
	dlerror();
	*(void **)&entry = dlsym(dl, CLUSTERCTL_PLUGIN_ENTRY_SYMBOL);
	e = dlerror();
	if (e || !entry) {
		if (dlsym(dl, MANGLED_ENTRY))
			*reason = cc_strdupf("exports the C++ name %s but no %s: the entry point must have C "
					  "linkage; define it with CLUSTERCTL_PLUGIN_DEFINE() (it adds extern \"C\") "
					  "and rebuild",
					  MANGLED_ENTRY, CLUSTERCTL_PLUGIN_ENTRY_SYMBOL);
		else
			*reason = cc_strdupf("no %s symbol: not a clusterctl plugin", CLUSTERCTL_PLUGIN_ENTRY_SYMBOL);
		goto refuse;
	}
	d = entry();
	if (!d) {
		*reason = cc_strdupf("%s() returned NULL", CLUSTERCTL_PLUGIN_ENTRY_SYMBOL);
		goto refuse;
	}
	if (d->abi_major != CLUSTERCTL_PLUGIN_ABI_MAJOR) {
		*reason = cc_strdupf("plugin ABI major %u, this clusterctl speaks %u: rebuild the plugin "
				    "against clusterctl-plugin %u.x",
				    d->abi_major, CLUSTERCTL_PLUGIN_ABI_MAJOR, CLUSTERCTL_PLUGIN_ABI_MAJOR);
		goto refuse;
	}
	if (d->struct_size < DESC_MIN_SIZE) {
		*reason = cc_strdupf("descriptor too small (struct_size %llu, need at least %zu): "
				    "built with a broken header?",
				    (unsigned long long)d->struct_size, (size_t)DESC_MIN_SIZE);
		goto refuse;
	}
	if (d->min_host_minor > CLUSTERCTL_PLUGIN_ABI_MINOR) {
		*reason = cc_strdupf("needs host ABI %u.%u, this clusterctl has %u.%u: upgrade clusterctl",
				    d->abi_major, d->min_host_minor, CLUSTERCTL_PLUGIN_ABI_MAJOR,
				    CLUSTERCTL_PLUGIN_ABI_MINOR);
		goto refuse;
	}
	if (d->kind != CLUSTERCTL_PLUGIN_OVERLAY && d->kind != CLUSTERCTL_PLUGIN_STORAGE) {
		*reason = cc_strdupf("unknown plugin kind %u (want 1 overlay or 2 storage)", d->kind);
		goto refuse;
	}
	if (!valid_name(d->name)) {
		*reason = cc_strdupf("invalid plugin name (want 1-32 of [a-z0-9])");
		goto refuse;
	}
	if (!d->init || !d->fini || !d->ensure) {
		*reason = cc_strdupf("plugin %s lacks a required operation (init, fini and ensure)", d->name);
		goto refuse;
	}

	p = calloc(1, sizeof *p);
	if (!p || !(p->path = strdup(path))) {
		*reason = cc_strdupf("out of memory");
		goto refuse;
	}
	/* Copy what the plugin declared and no more (nbdkit's rule). */
	memcpy(&p->desc, d, d->struct_size < sizeof p->desc ? d->struct_size : sizeof p->desc);
	p->desc.struct_size = d->struct_size;
	p->dl = dl;
	if (copy_keys(p, d, reason) < 0 || check_keys(p, reason) < 0)
		goto refuse;
	if (host_services_init(&p->host, &p->hctx, &p->desc, NULL) < 0) {
		*reason = cc_strdupf("out of memory");
		goto refuse;
	}
	*out = p;
	return 0;
refuse:
	if (p) {
		free(p->keys);
		free(p->path);
		free(p);
	}
	if (dl)
		dlclose(dl);
	if (!*reason)
		*reason = strdup("out of memory");
	return -EINVAL;
}

static int keep_reject(struct plugin_registry *reg, const char *path, char *reason)
{
	struct plugin_reject *r = realloc(reg->rej, (reg->n_rej + 1) * sizeof *r);
	if (!r) {
		free(reason);
		return -ENOMEM;
	}
	reg->rej = r;
	reg->rej[reg->n_rej].path = strdup(path);
	reg->rej[reg->n_rej].reason = reason;
	reg->n_rej++;
	return 0;
}

static int reject(struct plugin_registry *reg, const char *path, char *reason)
{
	log_warn("refusing plugin path=%s reason=\"%s\"", path, reason ? reason : "?");
	return keep_reject(reg, path, reason);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The file name a run looks for: "<kind>-<name>.so". */
static char *plugin_file_name(const char *dir, uint32_t kind, const char *name)
{
	return cc_strdupf("%s/%s-%s.so", dir, plugin_kind_name(kind), name);
}

/* A run finds a provider by its file name alone, so a plugin is only of
 * use under the name its descriptor declares. */
static char *misnamed(const struct plugin *p)
{
	const char *base = strrchr(p->path, '/');
	const char *kind = plugin_kind_name(p->desc.kind);
	size_t kl = strlen(kind), nl = strlen(p->desc.name);

	base = base ? base + 1 : p->path;
	if (strncmp(base, kind, kl) == 0 && base[kl] == '-' && strncmp(base + kl + 1, p->desc.name, nl) == 0 &&
	    strcmp(base + kl + 1 + nl, ".so") == 0)
		return NULL;
	return cc_strdupf("declares %s plugin \"%s\", which runs look for as %s-%s.so: rename the file", kind,
		       p->desc.name, kind, p->desc.name);
}

int plugin_registry_set_dir(struct plugin_registry *reg, const char *dir)
{
	if (reg->dir)
		return 0;
	reg->dir = strdup(dir);
	return reg->dir ? 0 : -ENOMEM;
}

static int add(struct plugin_registry *reg, struct plugin *p)
{
	struct plugin **v = realloc(reg->v, (reg->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	reg->v = v;
	reg->v[reg->n++] = p;
	log_debug("plugin found name=%s kind=%s version=%s path=%s", p->desc.name, plugin_kind_name(p->desc.kind),
		  p->desc.version ? p->desc.version : "", p->path);
	return 0;
}

int plugin_registry_load(struct plugin_registry *reg, const char *dir, uint32_t kind, const char *name,
			 struct plugin **out)
{
	struct plugin *p = NULL;
	struct stat st;
	char *path = NULL, *reason = NULL;
	int r;

	*out = NULL;
	if ((*out = plugin_find(reg, kind, name)))
		return 0;
	if (!valid_name(name))
		return -ENOENT; /* not a file name we would build: no "../" lookups */
	if ((r = plugin_registry_set_dir(reg, dir)) < 0)
		return r;
	if ((r = plugin_dir_check(dir, &reason)) < 0) {
		log_error("%s", reason ? reason : strerror(-r));
		free(reason);
		return r == -ENOMEM ? r : -EPERM;
	}
	if (!(path = plugin_file_name(dir, kind, name)))
		return -ENOMEM;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return -ENOENT;
	}
	if (plugin_load_file(path, &p, &reason) == 0 && ((reason = misnamed(p)) || (reason = key_clash(reg, p)))) {
		plugin_free(p);
		p = NULL;
	}
	if (!p) {
		/* The caller reports it: this run cannot go on without it. */
		r = keep_reject(reg, path, reason);
		free(path);
		return r < 0 ? r : -EINVAL;
	}
	free(path);
	if ((r = add(reg, p)) < 0) {
		plugin_free(p);
		return r;
	}
	*out = p;
	return 0;
}

bool plugin_file_exists(const struct plugin_registry *reg, uint32_t kind, const char *name)
{
	struct stat st;
	char *path;
	bool yes;

	if (!reg->dir || !valid_name(name) || !(path = plugin_file_name(reg->dir, kind, name)))
		return false;
	yes = lstat(path, &st) == 0;
	free(path);
	return yes;
}

int plugin_registry_scan(struct plugin_registry *reg, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	char *why = NULL;
	int r = plugin_registry_set_dir(reg, dir);

	if (r < 0)
		return r;
	if ((r = plugin_dir_check(dir, &why)) < 0) {
		if (r == -EPERM)
			log_error("%s", why);
		free(why);
		return r;
	}
	if (!(d = opendir(dir)))
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nn;
		if (l < 4 || strcmp(de->d_name + l - 3, ".so") != 0)
			continue;
		nn = realloc(names, (n + 1) * sizeof *names);
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			r = -ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	/* Sorted, so "first one wins" on duplicates is reproducible. */
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct cc_buf path = CC_BUF_INIT;
		struct plugin *p, *dup;
		char *reason;

		cc_buf_printf(&path, "%s/%s", dir, names[i]);
		if (path.oom) {
			r = -ENOMEM;
			break;
		}
		if (plugin_load_file(path.buf, &p, &reason) < 0) {
			r = reject(reg, path.buf, reason);
		} else if ((reason = misnamed(p))) {
			r = reject(reg, path.buf, reason);
			plugin_free(p);
		} else if ((dup = plugin_find(reg, p->desc.kind, p->desc.name))) {
			/* Loaded by name before this scan (a run's provider). */
			plugin_free(p);
		} else if ((reason = key_clash(reg, p))) {
			r = reject(reg, path.buf, reason);
			plugin_free(p);
		} else if ((r = add(reg, p)) < 0) {
			plugin_free(p);
		}
		cc_buf_free(&path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

struct plugin *plugin_find(const struct plugin_registry *reg, uint32_t kind, const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->v[i]->desc.kind == kind && strcmp(reg->v[i]->desc.name, name) == 0)
			return reg->v[i];
	return NULL;
}

const struct clusterctl_config_key *plugin_config_key(const struct plugin *p, const char *key)
{
	for (const struct clusterctl_config_key *k = p->desc.config_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k;
	return NULL;
}

/* "gluster-replica": is a plugin "gluster" installed (of either kind)?
 * Plugin names have no '-', so the name ends at the first one. */
static bool installed_elsewhere(const struct plugin_registry *reg, const char *key)
{
	const char *dash = strchr(key, '-');
	char name[33];

	if (!dash || dash == key || (size_t)(dash - key) >= sizeof name)
		return false;
	memcpy(name, key, (size_t)(dash - key));
	name[dash - key] = '\0';
	return plugin_file_exists(reg, CLUSTERCTL_PLUGIN_OVERLAY, name) ||
	       plugin_file_exists(reg, CLUSTERCTL_PLUGIN_STORAGE, name);
}

static enum opt_type opt_type_of(const struct clusterctl_config_key *k)
{
	return k->type == CLUSTERCTL_CONFIG_INT ? OPT_INT : k->type == CLUSTERCTL_CONFIG_BOOL ? OPT_BOOL : OPT_STRING;
}

/* A plugin's key is checked as a core option is (config_check_value),
 * and a boolean is rewritten to "true"/"false", the only words the
 * header promises config_get() returns. */
static int check_plugin_value(const struct clusterctl_config_key *k,
			      struct config_kv *kv)
{
	char file_key[160];
	bool b = false;
	char *word;

	/* The file spells it as the key inside the plugin's group. */
	snprintf(file_key, sizeof file_key, "%s", k->name);
	for (char *c = file_key; *c; c++)
		if (*c == '-')
			*c = '_';
	if (config_check_value(kv->origin, kv->key, file_key, opt_type_of(k), k->min, k->max, kv->file_type,
			       kv->value, NULL, &b) < 0)
		return -EINVAL;
	if (k->type != CLUSTERCTL_CONFIG_BOOL || strcmp(kv->value, config_bool_word(b)) == 0)
		return 0;
	if (!(word = strdup(config_bool_word(b))))
		return -ENOMEM;
	free(kv->value);
	kv->value = word;
	return 0;
}

int plugin_check_config(const struct plugin_registry *reg, struct config *cfg, char **err)
{
	int r;

	*err = NULL;
	for (size_t i = 0; i < cfg->n_plugin_kv; i++) {
		struct config_kv *kv = &cfg->plugin_kv[i];
		const struct clusterctl_config_key *k = NULL;
		const struct plugin *owner = NULL;
		bool from_env = strncmp(kv->origin, "environment", 11) == 0;

		for (size_t j = 0; j < reg->n && !k; j++) {
			size_t nl = strlen(reg->v[j]->desc.name);
			if (strncmp(kv->key, reg->v[j]->desc.name, nl) == 0 && kv->key[nl] == '-') {
				owner = reg->v[j];
				k = plugin_config_key(owner, kv->key + nl + 1);
			}
		}
		if (!k && !owner && installed_elsewhere(reg, kv->key)) {
			/* Its plugin is installed but this run does not load it:
			 * the file's other sections are no mistake. */
			if (strcmp(kv->origin, "command line") == 0)
				log_warn("ignoring --%s: this run does not use that plugin", kv->key);
			else
				log_debug("ignoring %s: this run does not use that plugin", kv->origin);
			continue;
		}
		if (!k) {
			if (from_env) {
				log_debug("ignoring %s: no installed plugin has that option", kv->origin);
				continue;
			}
			*err = cc_strdupf(owner ? "%s: plugin %s has no option \"%s\" (see clusterctl plugins)"
					       : "%s: unknown option \"%s%s\"",
					 kv->origin, owner ? owner->desc.name : "", kv->key);
			return -EINVAL;
		}
		if ((r = check_plugin_value(k, kv)) < 0) {
			*err = r == -ENOMEM ? NULL : cc_strdupf("%s", config_error());
			return r;
		}
	}
	return 0;
}

int plugin_check_required(const struct plugin *p, const struct config *cfg)
{
	for (const struct clusterctl_config_key *k = p->desc.config_keys; k && k->name; k++) {
		if ((k->flags & CLUSTERCTL_CONFIG_REQUIRED) && !k->default_value &&
		    !config_plugin_get(cfg, p->desc.name, k->name)) {
			log_error("%s needs --%s-%s (or %s = { ... } in the config file): %s",
				  host_ctx_label(p->hctx), p->desc.name, k->name, p->desc.name,
				  k->help ? k->help : "a required option");
			return -EINVAL;
		}
	}
	return 0;
}

int plugin_start(struct plugin *p, const struct config *cfg) { return plugin_start_with(p, cfg, &p->host); }

int plugin_start_with(struct plugin *p, const struct config *cfg, const struct clusterctl_host *host)
{
	int r;
	if (p->started)
		return 0;
	if ((r = plugin_check_required(p, cfg)) < 0)
		return r;
	host_ctx_set_config(p->hctx, cfg);
	host_ctx_clear_error(p->hctx);
	r = p->desc.init(host, &p->state);
	if (r < 0) {
		const char *why = host_ctx_error(p->hctx);
		if (*why)
			log_error("%s (it did not start)", why);
		else
			log_error("%s did not start: %s", host_ctx_label(p->hctx), strerror(-r));
		return r;
	}
	p->started = true;
	log_debug("plugin started name=%s kind=%s", p->desc.name, plugin_kind_name(p->desc.kind));
	return 0;
}

const char *plugin_last_error(const struct plugin *p) { return host_ctx_error(p->hctx); }

void plugin_ensure_out_free(struct clusterctl_ensure_out *out)
{
	free(out->address);
	free(out->ifname);
	free(out->observed_json);
	free(out->message);
	memset(out, 0, sizeof *out);
}

const char *plugin_failure(const struct plugin *p, int r)
{
	static _Thread_local char fallback[160];
	const char *why = host_ctx_error(p->hctx);
	if (*why)
		return why;
	snprintf(fallback, sizeof fallback, "%s: %s", host_ctx_label(p->hctx), strerror(r < 0 ? -r : r));
	return fallback;
}

void plugin_stop(struct plugin *p)
{
	if (p && p->started) {
		p->desc.fini(p->state);
		p->started = false;
		p->state = NULL;
	}
}

void plugin_free(struct plugin *p)
{
	if (!p)
		return;
	plugin_stop(p);
	host_ctx_free(p->hctx);
	free(p->keys);
	/* Under a leak checker the module must stay mapped so its frames
	 * can be symbolised; CLUSTERCTL_NO_DLCLOSE keeps it. */
	if (p->dl && !getenv("CLUSTERCTL_NO_DLCLOSE"))
		dlclose(p->dl);
	free(p->path);
	free(p);
}

void plugin_registry_free(struct plugin_registry *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		plugin_free(reg->v[i]);
	for (size_t i = 0; i < reg->n_rej; i++) {
		free(reg->rej[i].path);
		free(reg->rej[i].reason);
	}
	free(reg->v);
	free(reg->rej);
	free(reg->dir);
	memset(reg, 0, sizeof *reg);
}
