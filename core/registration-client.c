#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "registration-client.h"
#include "util.h"

/* Parse Observed JSON text from a plugin; anything but an object is
 * dropped rather than sent. */
static void add_observed(json_object *obs, const char *key, const char *text)
{
	json_object *o;
	if (!text)
		return;
	o = json_tokener_parse(text);
	if (o && json_object_is_type(o, json_type_object))
		json_object_object_add(obs, key, o);
	else
		json_object_put(o);
}

char *registration_build(const struct node_report *r)
{
	json_object *req = json_object_new_object(), *obs = json_object_new_object();
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	char *res = NULL;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(req, "ProtocolVersion", json_object_new_int(1));
	json_object_object_add(req, "Hostname", json_object_new_string(r->id->hostname));
	json_object_object_add(req, "Role", json_object_new_string(r->role));
	json_object_object_add(req, "IP", json_object_new_string(r->id->ip));
	if (r->id->os)
		json_object_object_add(req, "OS", json_object_new_string(r->id->os));
	if (r->id->cpu >= 0)
		json_object_object_add(req, "CPU", json_object_new_int64(r->id->cpu));
	if (r->id->memory >= 0)
		json_object_object_add(req, "Memory", json_object_new_int64(r->id->memory));
	if (r->docker_version)
		json_object_object_add(req, "DockerVersion", json_object_new_string(r->docker_version));
	json_object_object_add(req, "GlusterCapable", json_object_new_boolean(r->gluster_capable));
	json_object_object_add(req, "Timestamp", json_object_new_string(ts));
	json_object_object_add(req, "NodeID", json_object_new_string(r->id->node_id));
	if (r->join_secret)
		json_object_object_add(req, "JoinSecret", json_object_new_string(r->join_secret));
	add_observed(obs, "Overlay", r->observed_overlay);
	add_observed(obs, "Storage", r->observed_storage);
	add_observed(obs, "Swarm", r->observed_swarm);
	json_object_object_add(req, "Observed", obs);
	{
		const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
		struct cc_buf sb = CC_BUF_INIT;
		cc_buf_printf(&sb, "%s\n", s);
		res = cc_buf_detach(&sb);
	}
	json_object_put(req);
	return res;
}

char *registration_build_status_query(const char *join_secret)
{
	json_object *req = json_object_new_object();
	struct cc_buf sb = CC_BUF_INIT;
	json_object_object_add(req, "Query", json_object_new_string("status"));
	json_object_object_add(req, "ProtocolVersion", json_object_new_int(1));
	if (join_secret)
		json_object_object_add(req, "JoinSecret", json_object_new_string(join_secret));
	cc_buf_printf(&sb, "%s\n", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	return cc_buf_detach(&sb);
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int left = (int)(deadline - cc_mono_ms()), n;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

int registration_exchange(const char *master, const char *request, int timeout_ms, char **answer,
			  char **err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int64_t deadline = cc_mono_ms() + timeout_ms;
	struct cc_buf in = CC_BUF_INIT;
	uint32_t ip;
	uint16_t port;
	size_t off = 0, len = strlen(request);
	int fd = -1, r, soerr = 0;
	socklen_t sl = sizeof soerr;

	*answer = NULL;
	if (cc_parse_ipv4_port(master, 0, &ip, &port) < 0) {
		*err = cc_strdupf("bad controller address %s", master);
		return -EINVAL;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		*err = cc_strdupf("socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		r = -errno;
		*err = cc_strdupf("cannot connect to controller %s: %s", master, strerror(errno));
		goto out;
	}
	if ((r = wait_fd(fd, POLLOUT, deadline)) < 0 ||
	    (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr && (r = -soerr))) {
		*err = cc_strdupf("cannot connect to controller %s: %s", master, strerror(-r));
		goto out;
	}
	while (off < len) {
		ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
				goto io_err;
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto io_err;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		char buf[16384];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
				goto io_err;
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto io_err;
		}
		if (n == 0)
			break;
		if (in.len + (size_t)n > ANSWER_MAX_BYTES) {
			r = -EPROTO;
			*err = cc_strdupf("controller %s sent more than %u bytes", master, ANSWER_MAX_BYTES);
			goto out;
		}
		cc_buf_append(&in, buf, (size_t)n);
	}
	if (!in.len) {
		r = -EPROTO;
		*err = cc_strdupf("controller %s closed the connection without an answer", master);
		goto out;
	}
	if (in.oom) {
		r = -ENOMEM;
		goto out;
	}
	*answer = cc_buf_detach(&in);
	r = 0;
	goto out;
io_err:
	*err = cc_strdupf("talking to controller %s: %s", master, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	cc_buf_free(&in);
	return r;
}

/* Case-insensitive member lookup, as the controller decodes ours. */
static json_object *member(json_object *o, const char *key)
{
	json_object_object_foreach(o, k, v) if (strcasecmp(k, key) == 0) return v;
	return NULL;
}

static int get_str(json_object *o, const char *key, size_t max, char **out, char **err)
{
	json_object *v = member(o, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) > max) {
		*err = cc_strdupf("controller answer: %s must be a string of at most %zu bytes", key, max);
		return -EPROTO;
	}
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

static int get_int(json_object *o, const char *key, long long *out, char **err)
{
	json_object *v = member(o, key);
	*out = -1;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		*err = cc_strdupf("controller answer: %s must be a non-negative integer", key);
		return -EPROTO;
	}
	*out = json_object_get_int64(v);
	return 0;
}

static int get_obj(json_object *o, const char *key, char **out, char **err)
{
	json_object *v = member(o, key);
	if (v && !json_object_is_type(v, json_type_object)) {
		*err = cc_strdupf("controller answer: %s must be an object", key);
		return -EPROTO;
	}
	*out = strdup(v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "{}");
	return *out ? 0 : -ENOMEM;
}

/* ip:port with a dotted quad: where the node will send Swarm traffic. */
static bool hostport_ok(const char *s)
{
	uint32_t a;
	uint16_t p;
	return cc_parse_ipv4_port(s, 0, &a, &p) == 0;
}

/* SWMTKN-1-<50 base36>-<25 base36> (provider-apis.md §1.7); v2 tokens
 * have one more part. */
static bool token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 9 || n > 200 || strncmp(t, "SWMTKN-", 7) != 0)
		return false;
	for (size_t i = 7; i < n; i++)
		if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '-'))
			return false;
	return true;
}

int registration_decode(const char *text, struct controller_answer *a, char **err)
{
	json_object *o = NULL;
	char *status = NULL;
	long long ra = -1;
	int r = -EPROTO;

	memset(a, 0, sizeof *a);
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		*err = cc_strdupf("controller answer is not a JSON object");
		goto out;
	}
	if ((r = get_str(o, "Status", 16, &status, err)) < 0)
		goto out;
	r = -EPROTO;
	if (!status) {
		*err = cc_strdupf("controller answer has no Status");
		goto out;
	}
	if (strcmp(status, "ready") == 0)
		a->status = ANSWER_READY;
	else if (strcmp(status, "waiting") == 0)
		a->status = ANSWER_WAITING;
	else if (strcmp(status, "error") == 0)
		a->status = ANSWER_ERROR;
	else {
		*err = cc_strdupf("controller answer has an unknown Status \"%.16s\"", status);
		goto out;
	}
	if ((r = get_str(o, "Error", 4096, &a->error, err)) < 0 ||
	    (r = get_str(o, "Message", 4096, &a->message, err)) < 0 ||
	    (r = get_str(o, "SwarmRole", 16, &a->swarm_role, err)) < 0 ||
	    (r = get_str(o, "SwarmJoinToken", 256, &a->join_token, err)) < 0 ||
	    (r = get_str(o, "SwarmManagerAddr", 64, &a->manager_addr, err)) < 0 ||
	    (r = get_str(o, "OverlayType", 32, &a->overlay_type, err)) < 0 ||
	    (r = get_obj(o, "OverlayPayload", &a->overlay_payload, err)) < 0 ||
	    (r = get_obj(o, "StoragePayload", &a->storage_payload, err)) < 0 ||
	    (r = get_str(o, "GlusterVolume", 256, &a->gluster_volume, err)) < 0 ||
	    (r = get_str(o, "GlusterMount", 4096, &a->gluster_mount, err)) < 0 ||
	    (r = get_str(o, "GlusterBrick", 4096, &a->gluster_brick, err)) < 0 ||
	    (r = get_int(o, "RegisteredManagers", &a->registered_managers, err)) < 0 ||
	    (r = get_int(o, "RegisteredWorkers", &a->registered_workers, err)) < 0 ||
	    (r = get_int(o, "MinManagers", &a->min_managers, err)) < 0 ||
	    (r = get_int(o, "MinWorkers", &a->min_workers, err)) < 0 ||
	    (r = get_int(o, "RetryAfter", &ra, err)) < 0)
		goto out;
	r = -EPROTO;
	a->retry_after = ra > 0 ? (ra > 3600 ? 3600 : (unsigned)ra) : 0;
	{
		json_object *g = member(o, "GlusterEnabled");
		if (g && !json_object_is_type(g, json_type_boolean)) {
			*err = cc_strdupf("controller answer: GlusterEnabled must be a boolean");
			goto out;
		}
		a->gluster_enabled = g && json_object_get_boolean(g);
	}
	if (a->status == ANSWER_READY) {
		if (!a->swarm_role || (strcmp(a->swarm_role, "manager") && strcmp(a->swarm_role, "worker"))) {
			*err = cc_strdupf("controller answer: ready without a SwarmRole of manager or worker");
			goto out;
		}
		if (!a->join_token || !token_ok(a->join_token)) {
			*err = cc_strdupf("controller answer: ready without a valid SwarmJoinToken");
			goto out;
		}
		if (!a->manager_addr || !hostport_ok(a->manager_addr)) {
			*err = cc_strdupf("controller answer: SwarmManagerAddr must be ip:port");
			goto out;
		}
		if (a->gluster_enabled && (!a->gluster_mount || a->gluster_mount[0] != '/')) {
			*err = cc_strdupf("controller answer: GlusterMount must be an absolute path");
			goto out;
		}
	}
	a->raw = strdup(text);
	r = 0;
out:
	free(status);
	json_object_put(o);
	if (r < 0)
		controller_answer_free(a);
	return r;
}

void controller_answer_free(struct controller_answer *a)
{
	free(a->swarm_role);
	free(a->join_token);
	free(a->manager_addr);
	free(a->overlay_type);
	free(a->overlay_payload);
	free(a->storage_payload);
	free(a->gluster_volume);
	free(a->gluster_mount);
	free(a->gluster_brick);
	free(a->error);
	free(a->message);
	free(a->raw);
	memset(a, 0, sizeof *a);
}
