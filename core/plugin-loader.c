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
	if (copy_keys(p, d, reason) < 0)
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

static int reject(struct plugin_registry *reg, const char *path, char *reason)
{
	struct plugin_reject *r = realloc(reg->rej, (reg->n_rej + 1) * sizeof *r);
	log_warn("refusing plugin path=%s reason=\"%s\"", path, reason ? reason : "?");
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

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int plugin_registry_scan(struct plugin_registry *reg, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
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
		struct plugin *p, *dup, **v;
		char *reason;

		cc_buf_printf(&path, "%s/%s", dir, names[i]);
		if (path.oom) {
			r = -ENOMEM;
			break;
		}
		if (plugin_load_file(path.buf, &p, &reason) < 0) {
			r = reject(reg, path.buf, reason);
		} else if ((dup = plugin_find(reg, p->desc.kind, p->desc.name))) {
			r = reject(reg, path.buf,
				   cc_strdupf("duplicate %s plugin \"%s\" (already loaded from %s)",
					     plugin_kind_name(p->desc.kind), p->desc.name, dup->path));
			plugin_free(p);
		} else if (!(v = realloc(reg->v, (reg->n + 1) * sizeof *v))) {
			plugin_free(p);
			r = -ENOMEM;
		} else {
			reg->v = v;
			reg->v[reg->n++] = p;
			log_debug("plugin found name=%s kind=%s version=%s path=%s", p->desc.name,
				  plugin_kind_name(p->desc.kind), p->desc.version ? p->desc.version : "",
				  p->path);
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

static const struct clusterctl_config_key *find_key(const struct plugin *p, const char *key)
{
	for (const struct clusterctl_config_key *k = p->desc.config_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k;
	return NULL;
}

int plugin_check_config(const struct plugin_registry *reg, const struct config *cfg, char **err)
{
	*err = NULL;
	for (size_t i = 0; i < cfg->n_plugin_kv; i++) {
		const struct config_kv *kv = &cfg->plugin_kv[i];
		const struct clusterctl_config_key *k = NULL;
		const struct plugin *owner = NULL;
		bool from_env = strncmp(kv->origin, "environment", 11) == 0;

		for (size_t j = 0; j < reg->n && !k; j++) {
			size_t nl = strlen(reg->v[j]->desc.name);
			if (strncmp(kv->key, reg->v[j]->desc.name, nl) == 0 && kv->key[nl] == '-') {
				owner = reg->v[j];
				k = find_key(owner, kv->key + nl + 1);
			}
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
		if (k->type == CLUSTERCTL_CONFIG_INT) {
			long long v;
			int r = parse_ll(kv->value, k->min, k->max, &v);
			if (r < 0) {
				*err = cc_strdupf("%s: %s wants a whole number in %lld..%lld, got \"%s\"",
						 kv->origin, kv->key, k->min, k->max, kv->value);
				return -EINVAL;
			}
		} else if (k->type == CLUSTERCTL_CONFIG_BOOL) {
			bool b;
			if (parse_bool(kv->value, &b) < 0) {
				*err = cc_strdupf("%s: %s wants true or false, got \"%s\"", kv->origin, kv->key,
						 kv->value);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int plugin_start(struct plugin *p, const struct config *cfg)
{
	int r;
	if (p->started)
		return 0;
	for (const struct clusterctl_config_key *k = p->desc.config_keys; k && k->name; k++) {
		if ((k->flags & CLUSTERCTL_CONFIG_REQUIRED) && !k->default_value &&
		    !config_plugin_get(cfg, p->desc.name, k->name)) {
			log_error("%s needs --%s-%s (or %s = { ... } in the config file): %s",
				  host_ctx_label(p->hctx), p->desc.name, k->name, p->desc.name,
				  k->help ? k->help : "a required option");
			return -EINVAL;
		}
	}
	host_ctx_set_config(p->hctx, cfg);
	host_ctx_clear_error(p->hctx);
	r = p->desc.init(&p->host, &p->state);
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
	memset(reg, 0, sizeof *reg);
}
