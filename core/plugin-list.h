/* How a plugin's keys are shown to a person: `clusterctl plugins`, and
 * the providers' part of `clusterctl COMMAND --help`. */
#ifndef CLUSTERCTL_PLUGIN_LIST_H
#define CLUSTERCTL_PLUGIN_LIST_H

#include <stdio.h>

#include <json-c/json.h>
#include <clusterctl/plugin.h>

/* One key as `plugins --json` lists it: Name, Flag, Environment,
 * FileKey, Type, Default (never a SECRET's), Min/Max (int), Required,
 * Secret, Help. */
json_object *plugin_key_json(const char *plugin, const struct clusterctl_config_key *k);

/* After COMMAND's own --help: the flags of the providers that command
 * would use, chosen as a run chooses them (flags, CLUSTERCTL_*, the
 * config file, the defaults).  argv[first..] are the command's words. */
void plugin_usage_providers(FILE *f, unsigned cmd, int argc, char **argv, int first);

#endif
