#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "ipdetect.h"
#include "node-identity.h"
#include "protocol.h"
#include "util.h"

static int load_node_id(const struct config *c, bool dry, char **out, char **err)
{
	struct cc_buf path = CC_BUF_INIT;
	char *text = NULL;
	size_t len = 0;
	int r;

	cc_buf_printf(&path, "%s/node-id", c->node_state_dir);
	r = cc_read_file(path.buf, 256, &text, &len);
	if (r == 0) {
		while (len && isspace((unsigned char)text[len - 1]))
			text[--len] = '\0';
		if (!proto_node_id_valid(text)) {
			*err = cc_strdupf("%s holds no valid NodeID (1-128 of [A-Za-z0-9._:-]); remove it to get a new one%s",
				    path.buf, "");
			r = -EINVAL;
			goto out;
		}
		*out = text;
		text = NULL;
		goto out;
	}
	if (r != -ENOENT) {
		*err = cc_strdupf("cannot read %s: %s", path.buf, strerror(-r));
		goto out;
	}
	/* First run: a random id, kept for every later run. */
	*out = random_hex(16);
	if (!*out) {
		r = -EIO;
		*err = cc_strdupf("cannot get random bytes for the NodeID%s%s", "", "");
		goto out;
	}
	r = 0;
	if (dry)
		goto out;
	if ((r = cc_mkdir_p(c->node_state_dir, 0700)) < 0) {
		*err = cc_strdupf("cannot create %s: %s", c->node_state_dir, strerror(-r));
		goto out;
	}
	{
		struct cc_buf line = CC_BUF_INIT;
		cc_buf_printf(&line, "%s\n", *out);
		r = line.oom ? -ENOMEM : cc_write_file_atomic(path.buf, line.buf, line.len, 0600);
		cc_buf_free(&line);
	}
	if (r < 0)
		*err = cc_strdupf("cannot write %s: %s", path.buf, strerror(-r));
out:
	free(text);
	cc_buf_free(&path);
	return r;
}

/* PRETTY_NAME from os-release, else the kernel's name and release. */
static char *os_description(void)
{
	char *text = NULL, *line, *save = NULL, *res = NULL;
	struct utsname u;

	if (cc_read_file("/etc/os-release", 64 * 1024, &text, NULL) == 0) {
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
				char *v = line + 12;
				size_t n = strlen(v);
				if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
					v[n - 1] = '\0';
					v++;
				}
				res = strndup(v, 200);
				break;
			}
		}
		free(text);
	}
	if (!res && uname(&u) == 0) {
		struct cc_buf sb = CC_BUF_INIT;
		cc_buf_printf(&sb, "%s %s", u.sysname, u.release);
		res = cc_buf_detach(&sb);
	}
	return res;
}

int node_identity_load(const struct config *c, bool dry, struct node_identity *id, char **err)
{
	char host[256];
	struct sysinfo si;
	int r;

	memset(id, 0, sizeof *id);
	if (c->hostname) {
		id->hostname = strdup(c->hostname);
	} else {
		if (gethostname(host, sizeof host) < 0) {
			*err = cc_strdupf("cannot read the host name: %s%s", strerror(errno), "");
			return -errno;
		}
		host[sizeof host - 1] = '\0';
		id->hostname = strdup(host);
	}
	if (!id->hostname)
		return -ENOMEM;
	if (!cc_hostname_valid(id->hostname)) {
		*err = cc_strdupf("host name \"%.64s\" is not a valid RFC 1123 name: give --hostname%s", id->hostname, "");
		return -EINVAL;
	}
	if ((r = load_node_id(c, dry, &id->node_id, err)) < 0)
		return r;
	id->os = os_description();
	id->cpu = sysconf(_SC_NPROCESSORS_ONLN);
	id->memory = sysinfo(&si) == 0 ? (int64_t)si.totalram * si.mem_unit : -1;
	return 0;
}

int node_identity_detect_ip(const struct config *c, struct node_identity *id, char **err)
{
	struct ipdetect_opts o = {.pin_ip = c->ip, .pin_ifname = c->interface, .exclude = c->exclude_interfaces};
	struct ipdetect_result res = {0};
	int r = ipdetect_choose(&o, &res, err);
	if (r < 0)
		return r;
	snprintf(id->ip, sizeof id->ip, "%s", res.ip);
	snprintf(id->ifname, sizeof id->ifname, "%s", res.ifname);
	ipdetect_result_free(&res);
	return 0;
}

void node_identity_free(struct node_identity *id)
{
	free(id->hostname);
	free(id->node_id);
	free(id->os);
	memset(id, 0, sizeof *id);
}
