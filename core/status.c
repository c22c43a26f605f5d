/* `clusterctl status`: the cluster as the controller knows it.  Asks the
 * controller over its own port ({"Query":"status","JoinSecret":...}, see
 * doc/controller-protocol.md) and prints a table, or the answer as JSON
 * with --json. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "app.h"
#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "join-secret.h"
#include "log.h"
#include "protocol.h"
#include "util.h"

#define STATUS_TIMEOUT_MS 10000
#define STATUS_MAX_REPLY (64u << 20)

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	for (;;) {
		int64_t left = deadline - cc_mono_ms();
		int r;
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* One request, one answer: connect, send, read to EOF. */
static int ask(const char *master, const char *req, char **reply, char **err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct cc_buf sb = CC_BUF_INIT;
	int64_t deadline = cc_mono_ms() + STATUS_TIMEOUT_MS;
	char buf[65536];
	uint32_t ip;
	uint16_t port;
	size_t off = 0, len = strlen(req);
	int fd, r = 0;

	*reply = NULL;
	if (cc_parse_ipv4_port(master, 0, &ip, &port) < 0) {
		*err = strdup("--master must be an IPv4 address and port, like 192.0.2.10:7000");
		return -EINVAL;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto fail;
	}
	if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
		goto fail;
	{
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			r = -soerr;
			goto fail;
		}
	}
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
				goto fail;
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
				goto fail;
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > STATUS_MAX_REPLY) {
			r = -EFBIG;
			goto fail;
		}
		cc_buf_append(&sb, buf, (size_t)n);
	}
	close(fd);
	if (sb.oom)
		return -ENOMEM;
	*reply = cc_buf_detach(&sb);
	return 0;
fail:
	close(fd);
	cc_buf_free(&sb);
	{
		struct cc_buf e = CC_BUF_INIT;
		cc_buf_printf(&e, "cannot query the controller at %s: %s", master, strerror(-r));
		*err = cc_buf_detach(&e);
	}
	return r;
}

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

static long long int_field(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int))
		return (long long)json_object_get_int64(v);
	return -1;
}

static bool bool_field(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* Text from the network printed on a terminal: printable ASCII only. */
static void put_cell(const char *s, int width)
{
	int n = 0;
	for (; *s && n < 64; s++, n++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
	for (; n < width; n++)
		putchar(' ');
	putchar(' ');
}

static void print_table(struct json_object *o)
{
	struct json_object *nodes = NULL;
	bool formed = bool_field(o, "ClusterFormed"), wait = bool_field(o, "WaitForMinimum");

	printf("Cluster: %s", !wait || formed ? "ready" : "waiting");
	if (wait)
		printf(" (minimum %lld managers, %lld workers%s)", int_field(o, "MinManagers"),
		       int_field(o, "MinWorkers"), formed ? "; formed" : "; not formed yet");
	printf("\nRegistered: %lld managers, %lld workers (at most %lld managers)\n",
	       int_field(o, "RegisteredManagers"), int_field(o, "RegisteredWorkers"),
	       int_field(o, "MaxManagers"));
	printf("Overlay: ");
	put_cell(str_field(o, "OverlayType"), 0);
	printf(" Storage: ");
	put_cell(str_field(o, "StorageType"), 0);
	printf(" Swarm manager: ");
	put_cell(*str_field(o, "SwarmManagerAddr") ? str_field(o, "SwarmManagerAddr") : "(unknown)", 0);
	if (!bool_field(o, "TokensAvailable"))
		printf(" (join tokens unavailable: is this host a Swarm manager?)");
	printf("\n");
	if (*str_field(o, "ManagerJoining"))
		printf("Manager joining now: %s\n", str_field(o, "ManagerJoining"));
	printf("\n");
	put_cell("HOSTNAME", 24);
	put_cell("ROLE", 8);
	put_cell("ASKED", 8);
	put_cell("IP", 15);
	put_cell("STATUS", 8);
	put_cell("SWARM", 10);
	put_cell("LAST SEEN", 20);
	put_cell("NODE ID", 0);
	printf("\n");
	if (!json_object_object_get_ex(o, "Nodes", &nodes) || !json_object_is_type(nodes, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i), *sw = NULL;
		const char *swarm = "-";
		if (!json_object_is_type(n, json_type_object))
			continue;
		if (json_object_object_get_ex(n, "Swarm", &sw) && json_object_is_type(sw, json_type_object))
			swarm = bool_field(sw, "ControlAvailable") ? "manager" : *str_field(sw, "LocalNodeState")
										? str_field(sw, "LocalNodeState")
										: "-";
		put_cell(str_field(n, "Hostname"), 24);
		put_cell(str_field(n, "Role"), 8);
		put_cell(str_field(n, "RequestedRole"), 8);
		put_cell(str_field(n, "IP"), 15);
		put_cell(str_field(n, "Status"), 8);
		put_cell(swarm, 10);
		put_cell(str_field(n, "LastSeen"), 20);
		put_cell(*str_field(n, "NodeID") ? str_field(n, "NodeID") : "-", 0);
		printf("\n");
	}
}

int cmd_status(struct app *a)
{
	const struct config *cfg = &a->cfg;
	const char *master = cfg->master && *cfg->master ? cfg->master : "127.0.0.1:7000";
	struct cc_buf req = CC_BUF_INIT, path = CC_BUF_INIT;
	struct json_object *o = NULL;
	char *secret = NULL, *reply = NULL, *err = NULL;
	int rc = EXIT_FAILURE_, r;

	/* The secret: given, from a file, or on the master itself from the
	 * state directory. */
	if (cfg->join_secret && *cfg->join_secret) {
		secret = strdup(cfg->join_secret);
	} else {
		bool explicit = cfg->join_secret_file && *cfg->join_secret_file;
		if (explicit)
			cc_buf_puts(&path, cfg->join_secret_file);
		else
			cc_buf_printf(&path, "%s/%s", cfg->state_dir, JOIN_SECRET_FILE);
		r = join_secret_read(path.buf, &secret, &err);
		if (r < 0 && (explicit || r != -ENOENT)) {
			log_error("cannot use the join secret: %s", err ? err : strerror(-r));
			rc = EXIT_USAGE;
			goto out;
		}
		if (r == -ENOENT)
			log_debug("no join secret at %s; asking without one", path.buf);
	}
	cc_buf_puts(&req, "{\"Query\":\"status\",\"ProtocolVersion\":1");
	if (secret) {
		cc_buf_puts(&req, ",\"JoinSecret\":");
		json_append_string(&req, secret);
	}
	cc_buf_puts(&req, "}\n");
	if (req.oom)
		goto out;
	if (ask(master, req.buf, &reply, &err) < 0) {
		log_error("%s", err ? err : "cannot query the controller");
		goto out;
	}
	o = json_tokener_parse(reply);
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_error("the controller at %s sent an answer that is not a JSON object", master);
		goto out;
	}
	if (strcmp(str_field(o, "Status"), "ready") != 0) {
		log_error("the controller at %s refused: %s", master,
			  *str_field(o, "Error") ? str_field(o, "Error") : "no reason given");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (cfg->json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_table(o);
	rc = EXIT_OK;
out:
	json_object_put(o);
	cc_buf_free(&req);
	cc_buf_free(&path);
	free(secret);
	free(reply);
	free(err);
	return rc;
}
