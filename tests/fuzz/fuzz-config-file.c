/* The configuration file (core/config.c, libconfig syntax) as an admin
 * or a configuration tool may write it, loaded for every command.
 *
 * What must hold: a file is loaded or refused with a message; what a
 * loaded file set passed the same format checks as a flag would (paths
 * absolute, addresses IPv4, provider names plain), and cross-field
 * validation never crashes.
 *
 * "@include" lines are left out: they make libconfig read another file,
 * which is that file's input, not this one's (an include of /dev/zero
 * would only test the reader's patience). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cc-net.h"
#include "config.h"
#include "fuzz.h"

FUZZ_IGNORE_LIBCONFIG_LEAKS

static const unsigned commands[] = {CMD_MASTER_INIT, CMD_MASTER_SERVE, CMD_NODE_JOIN, CMD_STATUS,
				    CMD_IP, CMD_PLUGINS, CMD_AGENT};

static bool plain_name(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void check_loaded(const struct config *c)
{
	fuzz_require(c->state_dir && c->state_dir[0] == '/', "state-dir stays absolute");
	fuzz_require(c->node_state_dir && c->node_state_dir[0] == '/', "node-state-dir stays absolute");
	fuzz_require(c->plugin_dir && c->plugin_dir[0] == '/', "plugin-dir stays absolute");
	fuzz_require(!c->ip || cc_ipv4_valid(c->ip), "ip is an IPv4 address");
	fuzz_require(!c->advertise_addr || cc_ipv4_valid(c->advertise_addr), "advertise-addr is an IPv4 address");
	fuzz_require(plain_name(c->overlay_provider), "overlay-provider is a plugin name");
	fuzz_require(plain_name(c->storage_provider), "storage-provider is a plugin name");
	for (size_t i = 0; i < c->n_plugin_kv; i++)
		fuzz_require(c->plugin_kv[i].key && c->plugin_kv[i].value && c->plugin_kv[i].origin,
			     "a plugin key has its value and origin");
}

/* config_error() keeps the last message: set a known one first, so a
 * failure that leaves it unchanged (no message of its own) is seen. */
#define STALE "fuzz: stale"
static void forget_error(struct config *c)
{
	fuzz_require(config_set(c, "fuzz", "", STALE, CMD_ALL) == -ENOENT, "an unknown key is refused");
}

static bool stale_error(void)
{
	return strncmp(config_error(), STALE, strlen(STALE)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];

	if (memmem(data, size, "@include", 8))
		return 0;
	if (fd < 0)
		fuzz_require((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) >= 0, "memfd_create");
	fuzz_require(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size, "write the file");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		struct config c;
		config_init_defaults(&c);
		forget_error(&c);
		if (config_load_file(&c, path, commands[i], true) < 0) {
			fuzz_require(!stale_error(), "a refused file has its own message");
		} else {
			check_loaded(&c);
			forget_error(&c);
			if (config_validate(&c, commands[i]) < 0)
				fuzz_require(!stale_error(), "a refused combination has its own message");
		}
		config_free(&c);
	}
	return 0;
}
