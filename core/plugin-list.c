/* clusterctl plugins: what is installed, and what was refused and why. */
#include "autoconfig.h"

#include <json-c/json.h>
#include <stdio.h>

#include "app.h"
#include "log.h"

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
			for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++)
				json_object_array_add(keys, json_object_new_string(k->name));
			json_object_object_add(o, "Options", keys);
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
		for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++) {
			/* A secret's value is never shown, not even its default. */
			const char *dflt = k->flags & CLUSTERCTL_CONFIG_SECRET && k->default_value ? "secret"
											      : k->default_value;
			printf("    --%s-%s%s  %s%s%s%s%s\n", d->name, k->name,
			       k->type == CLUSTERCTL_CONFIG_BOOL ? "" : " VALUE", k->help ? k->help : "",
			       dflt ? " [" : "", dflt ? dflt : "", dflt ? "]" : "",
			       k->flags & CLUSTERCTL_CONFIG_REQUIRED ? " (required)" : "");
		}
	}
	if (reg->n_rej) {
		printf("\nRefused:\n");
		for (size_t i = 0; i < reg->n_rej; i++)
			printf("  %s: %s\n", reg->rej[i].path, reg->rej[i].reason);
	}
	return EXIT_OK;
}
