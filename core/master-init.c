/* clusterctl master init: make this host the first Swarm manager.
 *
 * Order matters: the overlay comes up first so the Swarm can advertise
 * the overlay address; storage next, because the state directory may
 * live on the shared volume; then the state dir and join secret; then
 * the Swarm.  Every step checks before it acts, so a second run changes
 * nothing and succeeds. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "docker.h"
#include "host-services.h"
#include "ipdetect.h"
#include "join-secret.h"
#include "join-token.h"
#include "tls.h"
#include "log.h"
#include "mtu-probe.h"
#include "swarm-mtu.h"
#include "util.h"

/* Run a provider's master_prepare; its address and interface (an
 * overlay's) are kept. */
static int prepare_provider(struct plugin *p, const char *options, char **address, char **ifname, uint32_t *mtu)
{
	struct clusterctl_ensure_out out = {.struct_size = sizeof out};
	int r;

	if (!p->desc.master_prepare) {
		log_info("provider needs no preparation kind=%s provider=%s", plugin_kind_name(p->desc.kind),
			 p->desc.name);
		return 0;
	}
	host_ctx_clear_error(p->hctx);
	r = p->desc.master_prepare(p->state, options ? options : "{}", &out);
	if (r < 0) {
		log_error("%s (preparing the master)", plugin_failure(p, r));
		plugin_ensure_out_free(&out);
		return r;
	}
	if (out.address && address) {
		if (!cc_ipv4_valid(out.address)) {
			log_error("%s provider %s reported an invalid address \"%.64s\"", plugin_kind_name(p->desc.kind),
				  p->desc.name, out.address);
			plugin_ensure_out_free(&out);
			return -EINVAL;
		}
		*address = strdup(out.address);
	}
	if (out.ifname && ifname)
		*ifname = strdup(out.ifname);
	if (mtu)
		*mtu = out.mtu;
	log_info("%s ready provider=%s%s%s%s%s", plugin_kind_name(p->desc.kind), p->desc.name,
		 out.address ? " address=" : "", out.address ? out.address : "", out.message ? " note=" : "",
		 out.message ? out.message : "");
	plugin_ensure_out_free(&out);
	return 0;
}

/* The address the Swarm is advertised on: --advertise-addr, else the
 * overlay's, else the one the Swarm this host already manages was
 * advertised on (a re-run must not pick another address when detection
 * would now choose differently: storage names the brick by it), else
 * detection. */
static int choose_address(const struct app *a, const char *overlay_addr, const struct docker_info *info,
			  char **addr, const char **why)
{
	struct ipdetect_opts o = {.pin_ip = a->cfg.ip, .pin_ifname = a->cfg.interface,
				  .exclude = a->cfg.exclude_interfaces};
	struct ipdetect_result res = {0};
	char *err = NULL;
	int r;

	if (a->cfg.advertise_addr) {
		*why = "--advertise-addr";
		*addr = strdup(a->cfg.advertise_addr);
		return *addr ? 0 : -ENOMEM;
	}
	if (overlay_addr) {
		*why = "overlay address";
		*addr = strdup(overlay_addr);
		return *addr ? 0 : -ENOMEM;
	}
	if (info->local_state && strcmp(info->local_state, "active") == 0 && info->control_available &&
	    info->node_addr && cc_ipv4_valid(info->node_addr)) {
		*why = "the swarm this host manages";
		*addr = strdup(info->node_addr);
		return *addr ? 0 : -ENOMEM;
	}
	r = ipdetect_choose(&o, &res, &err);
	if (r < 0) {
		log_error("cannot choose an address to advertise: %s (give --advertise-addr)", err ? err : strerror(-r));
		free(err);
		return r;
	}
	*why = "detected";
	log_info("address detected ip=%s interface=%s class=%s", res.ip, res.ifname, ip_class_name(res.ip_class));
	*addr = strdup(res.ip);
	ipdetect_result_free(&res);
	return *addr ? 0 : -ENOMEM;
}

/* The address nodes reach the controller on.  A node is not on the
 * overlay before it joins, so when the Swarm is advertised on the
 * overlay, name the underlay: --ip, else detection without the overlay's
 * interface. */
static int controller_address(const struct app *a, const char *swarm_addr, const char *overlay_addr,
			      const char *overlay_if, char **out)
{
	struct cc_buf ex = CC_BUF_INIT;
	struct ipdetect_result res = {0};
	char *err = NULL;
	int r;

	*out = NULL;
	if (!overlay_addr || strcmp(swarm_addr, overlay_addr) != 0) {
		*out = strdup(swarm_addr);
		return *out ? 0 : -ENOMEM;
	}
	if (a->cfg.ip) {
		*out = strdup(a->cfg.ip);
		return *out ? 0 : -ENOMEM;
	}
	cc_buf_printf(&ex, "%s%s%s", a->cfg.exclude_interfaces ? a->cfg.exclude_interfaces : "",
		      a->cfg.exclude_interfaces && *a->cfg.exclude_interfaces ? "," : "", overlay_if ? overlay_if : "");
	{
		struct ipdetect_opts o = {.pin_ifname = a->cfg.interface, .exclude = ex.buf};
		r = ex.oom ? -ENOMEM : ipdetect_choose(&o, &res, &err);
	}
	cc_buf_free(&ex);
	if (r < 0 || !strcmp(res.ip, overlay_addr)) {
		log_warn("cannot tell nodes this host's underlay address (%s): the join line names the overlay's; "
			 "give --ip", r < 0 && err ? err : "only the overlay's was found");
		free(err);
		ipdetect_result_free(&res);
		*out = strdup(swarm_addr);
		return *out ? 0 : -ENOMEM;
	}
	*out = strdup(res.ip);
	ipdetect_result_free(&res);
	return *out ? 0 : -ENOMEM;
}

static uint32_t swarm_mtu(const struct app *a, uint32_t overlay_mtu)
{
	const char *why = "";
	uint32_t m = swarm_mtu_choose(a->cfg.swarm_mtu, overlay_mtu, &why);

	if (m)
		log_info("swarm ingress mtu=%u overlay_mtu=%u from=\"%s\"", m, overlay_mtu, why);
	else if (a->cfg.swarm_mtu && strcmp(a->cfg.swarm_mtu, "auto") == 0)
		log_warn("--swarm-mtu auto: %s; Docker's default is kept", why);
	return m;
}

/* Make sure this host manages a Swarm advertised on addr. */
static int ensure_swarm(struct app *a, struct docker *d, const struct docker_info *info, const char *addr,
			uint32_t overlay_mtu, bool dry)
{
	struct docker_swarm_params p = {.listen_addr = "0.0.0.0:2377", .advertise_addr = addr,
					.data_path_addr = addr};
	char *err = NULL, *node_id = NULL;
	const char *st = info->local_state ? info->local_state : "";
	int r;

	if (strcmp(st, "active") == 0 && info->control_available) {
		if (info->node_addr && *info->node_addr && strcmp(info->node_addr, addr) != 0)
			log_warn("this host already manages a swarm advertised on another address swarm_addr=%s "
				 "wanted=%s (left as is; to move it, re-create the swarm)",
				 info->node_addr, addr);
		/* After a reboot the other managers are out of reach until the
		 * overlay is back, and with them the leader: not a reason to stop. */
		if (!*info->cluster_id && info->error && *info->error)
			log_warn("the swarm has no leader now (%s): it comes back once the other managers are "
				 "reachable (over the overlay)",
				 info->error);
		log_info("swarm already initialised here: nothing to do cluster=%s node=%s",
			 *info->cluster_id ? info->cluster_id : "(no leader)", info->node_id);
		return 0;
	}
	if (strcmp(st, "active") == 0) {
		log_error("this host is a worker in another swarm (node %s): master init needs a host that manages "
			  "its swarm or is in none; run 'docker swarm leave' first",
			  info->node_id);
		return -EEXIST;
	}
	if (strcmp(st, "pending") == 0) {
		log_error("this host has a swarm join in progress (state pending): run 'docker swarm leave' and "
			  "master init again");
		return -EBUSY;
	}
	if (strcmp(st, "locked") == 0) {
		log_error("the swarm on this host is locked: unlock it with 'docker swarm unlock' first");
		return -EACCES;
	}
	if (strcmp(st, "error") == 0) {
		log_error("the swarm on this host is in error: %s (run 'docker swarm leave --force' to start over)",
			  info->error && *info->error ? info->error : "no detail from Docker");
		return -EIO;
	}
	if (dry) {
		printf("plan: initialise the swarm advertising %s (listen 0.0.0.0:2377, data path %s)\n", addr, addr);
		if (swarm_mtu(a, overlay_mtu))
			printf("plan: give the ingress network MTU %u\n", swarm_mtu(a, overlay_mtu));
		return 0;
	}
	p.ingress_mtu = swarm_mtu(a, overlay_mtu);
	r = docker_swarm_init(d, &p, &node_id, &err);
	if (r < 0) {
		log_error("swarm init failed: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	free(node_id);
	return 0;
}

int cmd_master_init(struct app *a)
{
	const struct config *c = &a->cfg;
	bool dry = c->dry_run, created = false;
	char *overlay_addr = NULL, *overlay_if = NULL, *addr = NULL, *secret = NULL, *err = NULL;
	char *ctl_addr = NULL, *manager = NULL;
	const char *why = "";
	struct docker *d = NULL;
	struct docker_info info = {0};
	struct stat st;
	uint32_t overlay_mtu = 0;
	int rc = EXIT_FAILURE_, r;
	const char *port;

	log_info("master init overlay=%s storage=%s state_dir=%s%s", c->overlay_provider, c->storage_provider,
		 c->state_dir, dry ? " dry_run=true" : "");

	/* 1. Docker must answer before anything changes. */
	r = docker_open(c->docker_socket, &d, &err);
	if (r < 0 || (r = docker_get_info(d, &info, &err)) < 0) {
		log_error("docker check failed: %s", err ? err : strerror(-r));
		goto out;
	}
	log_info("docker ready version=%s api=%s swarm=%s", info.server_version, docker_api_version(d),
		 info.local_state);

	/* 2. Overlay first: the Swarm advertises its address. */
	if (dry)
		printf("plan: bring up overlay provider %s on this host\n", c->overlay_provider);
	else if (prepare_provider(a->overlay, a->overlay_options, &overlay_addr, &overlay_if, &overlay_mtu) < 0)
		goto out;

	/* 3. The address the Swarm is advertised on.  Storage names this
	 * host's brick by it too, so that Gluster traffic takes the overlay
	 * like the Swarm's does. */
	if (choose_address(a, overlay_addr, &info, &addr, &why) < 0)
		goto out;
	log_info("swarm address chosen ip=%s source=\"%s\"", addr, why);
	if ((r = host_ctx_set_node_ip(a->storage->hctx, addr)) < 0) {
		log_error("cannot hand the storage provider this host's address: %s", strerror(-r));
		goto out;
	}

	/* 4. Storage: the state dir may live on the shared volume. */
	if (dry)
		printf("plan: prepare storage provider %s on this host (address %s)\n", c->storage_provider, addr);
	else if (prepare_provider(a->storage, NULL, NULL, NULL, NULL) < 0)
		goto out;

	/* 5. State dir and join secret. */
	if (stat(c->state_dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_error("state dir %s exists and is not a directory", c->state_dir);
			goto out;
		}
	} else if (dry) {
		printf("plan: create state dir %s (mode 0700)\n", c->state_dir);
	} else if ((r = cc_mkdir_p(c->state_dir, 0700)) < 0) {
		log_error("cannot create state dir %s: %s", c->state_dir, strerror(-r));
		goto out;
	} else {
		log_info("state dir created path=%s", c->state_dir);
	}
	if (dry) {
		struct cc_buf p = CC_BUF_INIT;
		cc_buf_printf(&p, "%s/%s", c->state_dir, JOIN_SECRET_FILE);
		printf("plan: %s join token %s (and the controller's TLS key and the manager token beside "
		       "it)\n",
		       access(p.buf, F_OK) == 0 ? "keep" : "create", p.buf);
		cc_buf_free(&p);
	} else {
		/* The controller's TLS key first: the token pins it. */
		char pin[TLS_PIN_HEXLEN + 1];
		bool key_created = false, repinned = false;
		r = tls_identity_ensure(c->state_dir, pin, &key_created, &err);
		if (r == 0)
			r = join_token_ensure(c->state_dir, JOIN_SECRET_FILE, pin, &secret, &created, &repinned, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			goto out;
		}
		{
			bool mcreated = false, mrepinned = false;
			r = join_token_ensure(c->state_dir, MANAGER_SECRET_FILE, pin, &manager, &mcreated, &mrepinned,
					      &err);
			if (r < 0) {
				log_error("%s", err ? err : strerror(-r));
				goto out;
			}
			log_info("manager token %s path=%s/%s",
				 mcreated ? "created" : mrepinned ? "rewritten for this key" : "kept", c->state_dir,
				 MANAGER_SECRET_FILE);
		}
		log_info("controller TLS key %s path=%s/%s pin=sha256:%s", key_created ? "created" : "kept",
			 c->state_dir, TLS_KEY_FILE, pin);
		log_info("join token %s path=%s/%s", created ? "created" : repinned ? "rewritten for this key" : "kept",
			 c->state_dir, JOIN_SECRET_FILE);
	}

	/* 6. The Swarm. */
	if (ensure_swarm(a, d, &info, addr, overlay_mtu, dry) < 0)
		goto out;

	port = strrchr(c->listen, ':') + 1;
	if (controller_address(a, addr, overlay_addr, overlay_if, &ctl_addr) < 0)
		goto out;
	if (dry) {
		printf("plan: nodes will join with: clusterctl node join --master %s:%s ...\n", ctl_addr, port);
	} else {
		/* The secret goes in the environment, not argv: ps shows argv. */
		/* The secret itself only to a terminal: stdout that is a file or
		 * the journal (a systemd unit) would keep it. */
		bool tty = isatty(STDOUT_FILENO);
		/* Nodes and the controller must name the same providers as this
		 * init: a controller started without them hands nodes another
		 * overlay (or none) and they refuse it. */
		struct cc_buf prov = CC_BUF_INIT;
		if (strcmp(c->overlay_provider, "none") != 0)
			cc_buf_printf(&prov, " --overlay-provider %s", c->overlay_provider);
		if (strcmp(c->storage_provider, "none") != 0)
			cc_buf_printf(&prov, " --storage-provider %s", c->storage_provider);
		if (prov.oom) {
			cc_buf_free(&prov);
			log_error("out of memory");
			goto out;
		}
		if (!tty)
			printf("\nThe join secret is in %s/%s on this host (not printed: standard output is not a "
			       "terminal).\nCopy it to each node in place of <secret>: it is the join token "
			       "(CCTL1-<controller key pin>-<secret>), so nodes trust only this controller.",
			       c->state_dir, JOIN_SECRET_FILE);
		printf("\nOn each node, run (as root):\n\n  CLUSTERCTL_JOIN_SECRET=%s clusterctl node join "
		       "--master %s:%s --role worker%s\n\n"
		       "Start the controller here first: clusterctl master serve%s%s%s\n",
		       tty ? secret : "<secret>", ctl_addr, port, prov.buf ? prov.buf : "", prov.buf ? prov.buf : "",
		       strcmp(c->state_dir, "/data/GlusterFS/0001/orchestration") ? " --state-dir " : "",
		       strcmp(c->state_dir, "/data/GlusterFS/0001/orchestration") ? c->state_dir : "");
		printf("\nManagers join with the manager token instead (%s/%s%s):\n\n  CLUSTERCTL_JOIN_SECRET=%s "
		       "clusterctl node join --master %s:%s --role manager%s\n",
		       c->state_dir, MANAGER_SECRET_FILE, tty ? "" : ", not printed", tty ? manager : "<manager token>",
		       ctl_addr, port, prov.buf ? prov.buf : "");
		cc_buf_free(&prov);
	}
	log_info("master init %s", dry ? "plan printed, nothing changed" : "done");
	rc = EXIT_OK;
out:
	free(err);
	free(overlay_addr);
	free(overlay_if);
	free(ctl_addr);
	free(addr);
	free(secret);
	free(manager);
	docker_info_free(&info);
	docker_close(d);
	return rc;
}
