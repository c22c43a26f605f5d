/* The device behind the WireGuard interface: a kernel link spoken to
 * over generic netlink, or wireguard-go spoken to over its UAPI socket
 * (/var/run/wireguard/<if>.sock).  Both through the host's services, so
 * the same code serves the node's ensure() and the controller's thread
 * that keeps the master's own interface. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wg.h"

#define DAEMON_WAIT_MS 5000

const char *wg_backend_name(enum wg_backend b)
{
	return b == WG_BK_UAPI ? "wireguard-go" : b == WG_BK_KERNEL ? "kernel" : "none";
}

enum wg_backend wg_backend_detect(const struct clusterctl_host *h, const char *ifname)
{
	struct clusterctl_link l;
	uint16_t fam;
	if (wg_uapi_present(ifname))
		return WG_BK_UAPI;
	if (h->link_get(h->ctx, ifname, &l) == 0 && strcmp(l.kind, "wireguard") == 0 && wg_genl_family(h, &fam) == 0)
		return WG_BK_KERNEL;
	return WG_BK_NONE;
}

static int start_wireguard_go(const struct clusterctl_host *h, const char *wg_go, const char *ifname)
{
	/* wireguard-go forks its daemon with stdio on /dev/null unless
	 * LOG_LEVEL is set: clear it so run() sees EOF and returns at once.
	 * WG_PROCESS_FOREGROUND must not be touched: the daemon child gets
	 * "=1" appended, and an earlier empty entry would win in the child,
	 * which would then fork again, forever. */
	const char *const argv[] = {wg_go, ifname, NULL};
	const char *const env[] = {"LOG_LEVEL=", NULL};
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	int r = h->run(h->ctx, argv, env, NULL, 15000, &res);

	if (r < 0) {
		h->error(h->ctx, "cannot run %s: %s (install wireguard-go, or set wireguard-go to its path)", wg_go,
			 strerror(-r));
		h->run_result_free(&res);
		return r;
	}
	if (res.exit_status != 0) {
		h->error(h->ctx, "%s %s failed (exit %d%s): %.300s", wg_go, ifname, res.exit_status,
			 res.timed_out ? ", timed out" : "", res.err && *res.err ? res.err : res.out ? res.out : "");
		h->run_result_free(&res);
		return -EIO;
	}
	h->run_result_free(&res);
	for (int waited = 0; waited < DAEMON_WAIT_MS; waited += 50) {
		if (wg_uapi_present(ifname))
			return 0;
		usleep(50 * 1000);
	}
	h->error(h->ctx, "%s started but %s/%s.sock did not answer within %d ms", wg_go, WG_UAPI_DIR, ifname,
		 DAEMON_WAIT_MS);
	return -ETIMEDOUT;
}

int wg_backend_create(const struct clusterctl_host *h, const char *wg_go, const char *ifname, enum wg_backend *bk)
{
	struct clusterctl_link l;
	int r;

	if (h->link_get(h->ctx, ifname, &l) == 0) {
		h->error(h->ctx, "interface %s exists (kind \"%s\") but no WireGuard answers on it: remove it or "
				 "choose another interface name",
			 ifname, l.kind);
		return -EEXIST;
	}
	r = h->link_add(h->ctx, ifname, "wireguard");
	if (r == 0) {
		*bk = WG_BK_KERNEL;
		h->log(h->ctx, CLUSTERCTL_LOG_INFO, "wireguard interface created ifname=%s backend=kernel", ifname);
		return 0;
	}
	h->log(h->ctx, CLUSTERCTL_LOG_DEBUG, "wireguard kernel link not available ifname=%s error=\"%s\"", ifname,
	       strerror(-r));
	if ((r = start_wireguard_go(h, wg_go, ifname)) < 0)
		return r;
	*bk = WG_BK_UAPI;
	h->log(h->ctx, CLUSTERCTL_LOG_INFO, "wireguard interface created ifname=%s backend=wireguard-go", ifname);
	return 0;
}

int wg_backend_get(const struct clusterctl_host *h, enum wg_backend bk, const char *ifname, struct wg_device *dev)
{
	char *err = NULL;
	int r;
	if (bk == WG_BK_UAPI) {
		r = wg_uapi_get(ifname, dev, &err);
		if (r < 0)
			h->error(h->ctx, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	r = wg_genl_get(h, ifname, dev);
	if (r < 0)
		h->error(h->ctx, "reading %s over generic netlink: %s", ifname, strerror(-r));
	return r;
}

int wg_backend_set(const struct clusterctl_host *h, enum wg_backend bk, const struct wg_device *set)
{
	char *err = NULL;
	int r;
	if (bk == WG_BK_UAPI) {
		r = wg_uapi_set(set->ifname, set, &err);
		if (r < 0)
			h->error(h->ctx, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	r = wg_genl_set(h, set);
	if (r < 0)
		h->error(h->ctx, "configuring %s over generic netlink: %s", set->ifname, strerror(-r));
	return r;
}
