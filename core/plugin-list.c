/* clusterctl plugins: what is installed, and what was refused and why. */
#include "autoconfig.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cc-buf.h"
#include "log.h"
#include "plugin-list.h"

static const char *type_name(int type)
{
	switch (type) {
	case CLUSTERCTL_CONFIG_INT: return "int";
	case CLUSTERCTL_CONFIG_BOOL: return "bool";
	}
	return "string";
}

/* A secret's value is never shown, not even its default. */
static const char *shown_default(const struct clusterctl_config_key *k)
{
	return k->flags & CLUSTERCTL_CONFIG_SECRET && k->default_value ? "(secret)" : k->default_value;
}

json_object *plugin_key_json(const char *plugin, const struct clusterctl_config_key *k)
{
	json_object *o = json_object_new_object();
	char *flag = cc_strdupf("--%s-%s", plugin, k->name), *env = cc_strdupf("CLUSTERCTL_%s_%s", plugin, k->name),
	     *file = cc_strdupf("%s.%s", plugin, k->name);

	if (!o || !flag || !env || !file) {
		json_object_put(o);
		o = NULL;
		goto out;
	}
	for (char *c = env; *c; c++)
		*c = *c == '-' ? '_' : (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
	for (char *c = file; *c; c++)
		if (*c == '-')
			*c = '_';
	json_object_object_add(o, "Name", json_object_new_string(k->name));
	json_object_object_add(o, "Flag", json_object_new_string(flag));
	json_object_object_add(o, "Environment", json_object_new_string(env));
	json_object_object_add(o, "FileKey", json_object_new_string(file));
	json_object_object_add(o, "Type", json_object_new_string(type_name(k->type)));
	json_object_object_add(o, "Default", shown_default(k) ? json_object_new_string(shown_default(k)) : NULL);
	if (k->type == CLUSTERCTL_CONFIG_INT) {
		json_object_object_add(o, "Min", json_object_new_int64(k->min));
		json_object_object_add(o, "Max", json_object_new_int64(k->max));
	}
	json_object_object_add(o, "Required", json_object_new_boolean(k->flags & CLUSTERCTL_CONFIG_REQUIRED));
	json_object_object_add(o, "Secret", json_object_new_boolean(k->flags & CLUSTERCTL_CONFIG_SECRET));
	json_object_object_add(o, "Help", json_object_new_string(k->help ? k->help : ""));
out:
	free(flag);
	free(env);
	free(file);
	return o;
}

/* One line per key, as --help prints the core's options. */
static void print_key(FILE *f, const char *plugin, const struct clusterctl_config_key *k)
{
	char left[128], range[64] = "";
	const char *dflt = shown_default(k);

	snprintf(left, sizeof left, "--%s-%s%s", plugin, k->name,
		 k->type == CLUSTERCTL_CONFIG_BOOL ? "" : k->type == CLUSTERCTL_CONFIG_INT ? " N" : " VALUE");
	if (k->type == CLUSTERCTL_CONFIG_INT)
		snprintf(range, sizeof range, " (%lld..%lld)", k->min, k->max);
	fprintf(f, "  %-30s %s%s%s%s%s%s\n", left, k->help ? k->help : "", range, dflt ? " [" : "", dflt ? dflt : "",
		dflt ? "]" : "", k->flags & CLUSTERCTL_CONFIG_REQUIRED ? " (required)" : "");
}

int cmd_plugins(struct app *a)
{
	const struct plugin_registry *reg = &a->reg;

	if (a->cfg.json) {
		json_object *root = json_object_new_object(), *ok = json_object_new_array(),
			    *bad = json_object_new_array();
		for (size_t i = 0; i < reg->n; i++) {
			const struct clusterctl_plugin *d = &reg->v[i]->desc;
			json_object *o = json_object_new_object(), *keys = json_object_new_array();
			char abi[32];
			snprintf(abi, sizeof abi, "%u.%u", d->abi_major, d->abi_minor);
			json_object_object_add(o, "Name", json_object_new_string(d->name));
			json_object_object_add(o, "Kind", json_object_new_string(plugin_kind_name(d->kind)));
			json_object_object_add(o, "Version", json_object_new_string(d->version ? d->version : ""));
			json_object_object_add(o, "ABI", json_object_new_string(abi));
			json_object_object_add(o, "Path", json_object_new_string(reg->v[i]->path));
			json_object_object_add(o, "Description",
					       json_object_new_string(d->description ? d->description : ""));
			json_object *full = json_object_new_array();
			for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++) {
				json_object_array_add(keys, json_object_new_string(k->name));
				json_object_array_add(full, plugin_key_json(d->name, k));
			}
			json_object_object_add(o, "Options", keys);
			json_object_object_add(o, "Keys", full);
			json_object_array_add(ok, o);
		}
		for (size_t i = 0; i < reg->n_rej; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "Path", json_object_new_string(reg->rej[i].path));
			json_object_object_add(o, "Reason", json_object_new_string(reg->rej[i].reason));
			json_object_array_add(bad, o);
		}
		json_object_object_add(root, "PluginDir", json_object_new_string(a->cfg.plugin_dir));
		json_object_object_add(root, "Plugins", ok);
		json_object_object_add(root, "Rejected", bad);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
		return EXIT_OK;
	}
	printf("Plugin directory: %s\n\n", a->cfg.plugin_dir);
	printf("%-12s %-8s %-10s %-5s %s\n", "NAME", "KIND", "VERSION", "ABI", "PATH");
	for (size_t i = 0; i < reg->n; i++) {
		const struct clusterctl_plugin *d = &reg->v[i]->desc;
		char abi[32];
		snprintf(abi, sizeof abi, "%u.%u", d->abi_major, d->abi_minor);
		printf("%-12s %-8s %-10s %-5s %s\n", d->name, plugin_kind_name(d->kind),
		       d->version ? d->version : "", abi, reg->v[i]->path);
		for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++)
			print_key(stdout, d->name, k);
	}
	if (reg->n_rej) {
		printf("\nRefused:\n");
		for (size_t i = 0; i < reg->n_rej; i++)
			printf("  %s: %s\n", reg->rej[i].path, reg->rej[i].reason);
	}
	return EXIT_OK;
}

/* The providers a run of `cmd` would choose: the same sources in the
 * same order, errors left to the run itself (this is only help). */
static void chosen(unsigned cmd, int argc, char **argv, int first, struct config *c)
{
	const char *file = getenv("CLUSTERCTL_CONFIG");
	extern char **environ;

	config_init_defaults(c);
	for (int j = first; j + 1 < argc; j++)
		if (strcmp(argv[j], "--config") == 0)
			file = argv[j + 1];
	for (int j = first; j < argc; j++)
		if (strncmp(argv[j], "--config=", 9) == 0)
			file = argv[j] + 9;
	config_load_file(c, file ? file : CLUSTERCTL_SYSCONFDIR "/clusterctl/clusterctl.conf", cmd, false);
	config_load_env(c, cmd, environ);
	for (int j = first; j < argc; j++) {
		static const char *const names[] = {"overlay-provider", "storage-provider", "plugin-dir",
						    "enable-glusterfs", "disable-glusterfs"};
		const char *a = argv[j];
		if (strncmp(a, "--", 2) != 0)
			continue;
		a += 2;
		for (size_t n = 0; n < sizeof names / sizeof *names; n++) {
			size_t l = strlen(names[n]);
			bool flag = config_opt_find(names[n])->type == OPT_BOOL; /* takes no value */
			if (strncmp(a, names[n], l) != 0)
				continue;
			if (a[l] == '=')
				config_set(c, names[n], a + l + 1, "command line", cmd);
			else if (!a[l] && flag)
				config_set(c, names[n], "true", "command line", cmd);
			else if (!a[l] && j + 1 < argc)
				config_set(c, names[n], argv[j + 1], "command line", cmd);
		}
	}
}

void plugin_usage_providers(FILE *f, unsigned cmd, int argc, char **argv, int first)
{
	struct plugin_registry reg = {0};
	struct config c;

	if (!(cmd & (APP_RUN_CMDS | CMD_STATUS)))
		return;
	log_set_level(CLUSTERCTL_LOG_ERROR + 1); /* help prints no log lines */
	chosen(cmd, argc, argv, first, &c);
	for (int i = 0; i < 2; i++) {
		uint32_t kind = i == 0 ? CLUSTERCTL_PLUGIN_OVERLAY : CLUSTERCTL_PLUGIN_STORAGE;
		const char *name = i == 0 ? c.overlay_provider : c.storage_provider;
		struct plugin *p = NULL;
		const struct clusterctl_config_key *k;
		char upper[40];

		if (!name || plugin_registry_load(&reg, c.plugin_dir, kind, name, &p) < 0) {
			fprintf(f, "\n(%s plugin \"%s\" is not installed in %s: its options are not known)\n",
				plugin_kind_name(kind), name ? name : "", c.plugin_dir);
			continue;
		}
		k = p->desc.config_keys;
		if (!k || !k->name)
			continue; /* a provider without options has nothing to add */
		snprintf(upper, sizeof upper, "%s", name);
		for (char *u = upper; *u; u++)
			*u = (*u >= 'a' && *u <= 'z') ? (char)(*u - 'a' + 'A') : *u;
		fprintf(f, "\nOptions of the %s provider \"%s\" (also CLUSTERCTL_%s_KEY, or %s = { key = ...; } in the "
			   "config file):\n",
			plugin_kind_name(kind), name, upper, name);
		for (; k->name; k++)
			print_key(f, name, k);
	}
	plugin_registry_free(&reg);
	config_free(&c);
}
