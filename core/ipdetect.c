/* Primary IPv4 address selection, and `clusterctl ip` which shows it.
 *
 * RULES (clusterctl(8), IP DETECTION)
 *
 * Every IPv4 address the kernel reports (rtnetlink, RTM_GETADDR joined
 * with RTM_GETLINK) is a candidate.  A candidate is rejected when
 *   - --interface is given and the address is on another interface;
 *   - without --interface, the interface name matches one of the
 *     --exclude-interfaces patterns (fnmatch(3), comma-separated; default
 *     docker0, docker_gwbridge, br-*, veth*, cni*, ...).  Names only,
 *     never the link kind: a container host's own eth0 is often a veth;
 *   - the interface is not administratively up (IFF_UP clear);
 *   - the address failed duplicate address detection, is tentative, or is
 *     deprecated (its preferred lifetime ran out).
 * The usable candidates are ranked by class:
 *     1. CGNAT 100.64.0.0/10 (where Tailscale and Netbird put the overlay)
 *     2. RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
 *     3. any other address
 *     4. loopback (127.0.0.0/8, or any address on an IFF_LOOPBACK
 *        interface): only when nothing else is usable
 * TIE-BREAK inside a class, in this order:
 *     a. primary addresses before secondary ones (IFA_F_SECONDARY);
 *     b. the lower interface index (ifindex: the order interfaces were
 *        created in, so the boot-time NIC before later virtual links);
 *     c. the numerically lower address;
 *     d. the shorter prefix length (same address twice on a link).
 * This is a total order, so the choice does not depend on the order the
 * kernel happens to list addresses in.
 *
 * --ip A pins the address: it must be a dotted quad (not 0/8, multicast
 * or broadcast) and is used as given.  When A is not on any local
 * interface (a host behind NAT) it is still used, with a warning.  With
 * --interface as well, A must not be on a different local interface.
 * --interface NAME pins the interface: its best usable address by the
 * rules above, even when NAME matches an exclusion pattern; an error
 * naming NAME when it has none.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>

#include "app.h"
#include "cc-buf.h"
#include "cc-net.h"
#include "ipdetect.h"
#include "log.h"
#include "netlink.h"
#include "util.h"

static const char REJ_PIN_IFACE[] = "not the interface pinned with --interface";
static const char REJ_EXCLUDED[] = "interface name matches an exclusion pattern";
static const char REJ_DOWN[] = "interface is down";
static const char REJ_DADFAILED[] = "address failed duplicate address detection";
static const char REJ_TENTATIVE[] = "address is tentative (duplicate address detection pending)";
static const char REJ_DEPRECATED[] = "address is deprecated (preferred lifetime over)";

const char *ip_class_name(int c)
{
	switch (c) {
	case IPCLASS_CGNAT: return "cgnat";
	case IPCLASS_RFC1918: return "rfc1918";
	case IPCLASS_OTHER: return "other";
	case IPCLASS_LOOPBACK: return "loopback";
	}
	return "unknown";
}

static uint32_t addr_host(const char *s)
{
	uint32_t a;
	return cc_parse_ipv4(s, &a) == 0 ? a : 0;
}

static int class_of(uint32_t a, uint32_t link_flags)
{
	if ((a >> 24) == 127 || (link_flags & IFF_LOOPBACK))
		return IPCLASS_LOOPBACK;
	if ((a & 0xffc00000u) == 0x64400000u) /* 100.64.0.0/10 */
		return IPCLASS_CGNAT;
	if ((a >> 24) == 10 || (a & 0xfff00000u) == 0xac100000u || (a & 0xffff0000u) == 0xc0a80000u)
		return IPCLASS_RFC1918;
	return IPCLASS_OTHER;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct ipdetect_candidate *x = pa, *y = pb;
	uint32_t ax, ay;
	int sx, sy;

	if (x->chosen != y->chosen)
		return x->chosen ? -1 : 1;
	if (!x->rejected != !y->rejected)
		return x->rejected ? 1 : -1;
	if (x->ip_class != y->ip_class)
		return x->ip_class < y->ip_class ? -1 : 1;
	sx = !!(x->a.addr_flags & IFA_F_SECONDARY);
	sy = !!(y->a.addr_flags & IFA_F_SECONDARY);
	if (sx != sy)
		return sx - sy;
	if (x->a.ifindex != y->a.ifindex)
		return x->a.ifindex < y->a.ifindex ? -1 : 1;
	ax = addr_host(x->a.addr);
	ay = addr_host(y->a.addr);
	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (int)x->a.prefixlen - (int)y->a.prefixlen;
}

/* Split "a, b,,c" into NUL-terminated patterns inside one buffer. */
static int split_patterns(const char *s, char **buf, const char ***pats, size_t *n)
{
	size_t cap = 1;
	char *p, *tok, *save = NULL;

	*buf = NULL;
	*pats = NULL;
	*n = 0;
	if (!s || !*s)
		return 0;
	for (const char *c = s; *c; c++)
		cap += *c == ',';
	*buf = strdup(s);
	*pats = calloc(cap, sizeof **pats);
	if (!*buf || !*pats)
		return -ENOMEM;
	for (tok = strtok_r(*buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		p = tok + strlen(tok);
		while (p > tok && (p[-1] == ' ' || p[-1] == '\t'))
			*--p = '\0';
		if (*tok)
			(*pats)[(*n)++] = tok;
	}
	return 0;
}

static bool pin_ip_ok(const char *s, uint32_t *a)
{
	if (cc_parse_ipv4(s, a) < 0)
		return false;
	/* "this network", multicast and broadcast can never be a node's address */
	return (*a >> 24) != 0 && (*a >> 28) != 14 && *a != 0xffffffffu;
}

static const char *class_reason(int c)
{
	switch (c) {
	case IPCLASS_CGNAT:
		return "the best usable address of the preferred class, CGNAT 100.64.0.0/10 (overlay networks)";
	case IPCLASS_RFC1918:
		return "no usable CGNAT address; the best usable RFC 1918 private address";
	case IPCLASS_OTHER:
		return "no usable CGNAT or RFC 1918 address; the best usable other address";
	default:
		return "last resort: no usable non-loopback address";
	}
}

static int no_choice(struct ipdetect_result *r, const struct ipdetect_opts *o, char **err)
{
	struct cc_buf sb = CC_BUF_INIT;
	size_t on_iface = 0;
	int rc;

	if (o->pin_ifname) {
		for (size_t i = 0; i < r->n_cands; i++)
			on_iface += strcmp(r->cands[i].a.ifname, o->pin_ifname) == 0;
		if (!on_iface) {
			cc_buf_printf(&sb, "interface '%s' has no IPv4 address (or does not exist)",
				      o->pin_ifname);
			rc = -ENODEV;
			goto out;
		}
		cc_buf_printf(&sb, "interface '%s' has no usable IPv4 address:", o->pin_ifname);
		for (size_t i = 0, k = 0; i < r->n_cands; i++)
			if (strcmp(r->cands[i].a.ifname, o->pin_ifname) == 0)
				cc_buf_printf(&sb, "%s %s (%s)", k++ ? "," : "", r->cands[i].a.addr,
					      r->cands[i].rejected);
		rc = -EADDRNOTAVAIL;
		goto out;
	}
	if (!r->n_cands)
		cc_buf_printf(&sb, "this host has no IPv4 address at all (is the loopback interface down?)");
	else
		cc_buf_printf(&sb, "none of the %zu IPv4 addresses of this host is usable (see "
				   "'clusterctl ip'); pin one with --ip or --interface, or change "
				   "--exclude-interfaces", r->n_cands);
	rc = -EADDRNOTAVAIL;
out:
	*err = cc_buf_detach(&sb);
	return rc;
}

int ipdetect_rank(const struct clusterctl_ifaddr *addrs, size_t n, const struct ipdetect_opts *o,
		  struct ipdetect_result *r, char **err)
{
	const char **pats = NULL;
	size_t n_pats = 0, n_class = 0;
	const struct ipdetect_candidate *best = NULL;
	uint32_t pin = 0;
	int rc;

	memset(r, 0, sizeof *r);
	*err = NULL;
	if (o->pin_ip && !pin_ip_ok(o->pin_ip, &pin)) {
		*err = cc_strdupf("--ip '%s' is not a usable IPv4 address (a dotted quad like "
				 "192.0.2.10; not 0.x.x.x, multicast or broadcast)", o->pin_ip);
		return -EINVAL;
	}
	if (o->pin_ifname && (!*o->pin_ifname || strlen(o->pin_ifname) >= IFNAMSIZ)) {
		*err = cc_strdupf("--interface '%s' is not an interface name (1 to %d characters)",
				 o->pin_ifname, IFNAMSIZ - 1);
		return -EINVAL;
	}
	rc = split_patterns(o->exclude, &r->pattern_buf, &pats, &n_pats);
	if (rc < 0)
		goto oom;
	if (n) {
		r->cands = calloc(n, sizeof *r->cands);
		if (!r->cands)
			goto oom;
	}
	r->n_cands = n;
	for (size_t i = 0; i < n; i++) {
		struct ipdetect_candidate *c = &r->cands[i];
		c->a = addrs[i];
		/* Never trust the strings to be terminated: they crossed an ABI. */
		c->a.ifname[sizeof c->a.ifname - 1] = '\0';
		c->a.addr[sizeof c->a.addr - 1] = '\0';
		c->a.kind[sizeof c->a.kind - 1] = '\0';
		c->ip_class = class_of(addr_host(c->a.addr), c->a.link_flags);
		if (o->pin_ifname && strcmp(c->a.ifname, o->pin_ifname) != 0) {
			c->rejected = REJ_PIN_IFACE;
			continue;
		}
		for (size_t k = 0; !o->pin_ifname && k < n_pats && !c->pattern; k++)
			if (fnmatch(pats[k], c->a.ifname, 0) == 0)
				c->pattern = pats[k];
		if (c->pattern)
			c->rejected = REJ_EXCLUDED;
		else if (!(c->a.link_flags & IFF_UP))
			c->rejected = REJ_DOWN;
		else if (c->a.addr_flags & IFA_F_DADFAILED)
			c->rejected = REJ_DADFAILED;
		else if (c->a.addr_flags & IFA_F_TENTATIVE)
			c->rejected = REJ_TENTATIVE;
		else if (c->a.addr_flags & IFA_F_DEPRECATED)
			c->rejected = REJ_DEPRECATED;
		else if (!addr_host(c->a.addr))
			c->rejected = "not an IPv4 address";
	}
	if (n)
		qsort(r->cands, n, sizeof *r->cands, cand_cmp);

	if (o->pin_ip) {
		const struct ipdetect_candidate *local = NULL;
		const char *local_rej;
		for (size_t i = 0; i < n && !local; i++) /* first = best ranked */
			if (addr_host(r->cands[i].a.addr) == pin)
				local = &r->cands[i];
		r->pin = IPDETECT_PIN_IP;
		snprintf(r->ip, sizeof r->ip, "%s", o->pin_ip);
		if (local && o->pin_ifname && strcmp(local->a.ifname, o->pin_ifname) != 0) {
			*err = cc_strdupf("--ip %s is on interface %s, not on --interface %s; give one "
					 "of them", o->pin_ip, local->a.ifname, o->pin_ifname);
			rc = -EINVAL;
			goto out;
		}
		local_rej = local ? local->rejected : NULL;
		if (local) {
			size_t at = (size_t)(local - r->cands);
			r->cands[at].chosen = true;
			snprintf(r->ifname, sizeof r->ifname, "%s", local->a.ifname);
			r->ip_class = local->ip_class;
			r->reason = cc_strdupf("pinned with --ip; it is an address of %s",
					      local->a.ifname);
			if (local_rej)
				r->warning = cc_strdupf("--ip %s is used as given, although detection "
						       "would not choose it: %s", o->pin_ip, local_rej);
			/* the pinned one first; `local` is stale after this */
			qsort(r->cands, n, sizeof *r->cands, cand_cmp);
		} else {
			r->ip_class = class_of(pin, 0);
			r->reason = cc_strdupf("pinned with --ip; it is not on any local interface");
			r->warning = cc_strdupf("--ip %s is not an address of any local interface; using "
					       "it as given (right when this host is reached through NAT "
					       "or a forwarded address)", o->pin_ip);
		}
		if (!r->reason || ((!local || local_rej) && !r->warning))
			goto oom;
		rc = 0;
		goto out;
	}

	if (n && !r->cands[0].rejected)
		best = &r->cands[0];
	if (!best) {
		rc = no_choice(r, o, err);
		if (!*err)
			goto oom;
		goto out;
	}
	r->cands[0].chosen = true;
	for (size_t i = 0; i < n; i++)
		n_class += !r->cands[i].rejected && r->cands[i].ip_class == best->ip_class;
	r->pin = o->pin_ifname ? IPDETECT_PIN_IFACE : IPDETECT_AUTO;
	snprintf(r->ip, sizeof r->ip, "%s", best->a.addr);
	snprintf(r->ifname, sizeof r->ifname, "%s", best->a.ifname);
	r->ip_class = best->ip_class;
	r->reason = cc_strdupf("%s%s%s", o->pin_ifname ? "pinned with --interface; " : "",
			      class_reason(best->ip_class),
			      n_class > 1 ? "; first of its class by primary-before-secondary, "
					    "lowest ifindex, lowest address" : "");
	if (!r->reason)
		goto oom;
	if (best->ip_class == IPCLASS_LOOPBACK) {
		r->warning = cc_strdupf("only a loopback address is usable: other hosts cannot reach "
				       "this one at %s; pin the address with --ip", best->a.addr);
		if (!r->warning)
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	free(*err);
	*err = cc_strdupf("out of memory");
	rc = -ENOMEM;
out:
	free(pats);
	return rc;
}

void ipdetect_result_free(struct ipdetect_result *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->warning);
	free(r->cands);
	free(r->pattern_buf);
	memset(r, 0, sizeof *r);
}

int ipdetect_choose(const struct ipdetect_opts *o, struct ipdetect_result *out, char **err)
{
	struct clusterctl_ifaddr *addrs = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	*err = NULL;
	rc = nl_addr_list(&addrs, &n);
	if (rc < 0) {
		*err = cc_strdupf("cannot list the host's IPv4 addresses over rtnetlink: %s",
				 strerror(-rc));
		return rc;
	}
	rc = ipdetect_rank(addrs, n, o, out, err);
	free(addrs);
	if (rc == 0 && out->warning)
		log_warn("%s", out->warning);
	return rc;
}

char *ipdetect_candidate_note(const struct ipdetect_result *r, size_t i)
{
	const struct ipdetect_candidate *c = &r->cands[i], *w = NULL;
	bool cs, ws;

	if (c->chosen)
		return cc_strdupf("chosen");
	if (r->pin == IPDETECT_PIN_IP)
		return cc_strdupf("not chosen: --ip pins %s%s%s", r->ip, c->rejected ? "; also " : "",
				 c->rejected ? c->rejected : "");
	if (c->pattern)
		return cc_strdupf("excluded: interface name matches pattern '%s'", c->pattern);
	if (c->rejected)
		return cc_strdupf("rejected: %s", c->rejected);
	for (size_t k = 0; k < r->n_cands && !w; k++)
		if (r->cands[k].chosen)
			w = &r->cands[k];
	if (!w)
		return cc_strdupf("usable");
	if (c->ip_class != w->ip_class)
		return cc_strdupf("usable, ranked lower: class %s comes after %s",
				 ip_class_name(c->ip_class), ip_class_name(w->ip_class));
	cs = c->a.addr_flags & IFA_F_SECONDARY;
	ws = w->a.addr_flags & IFA_F_SECONDARY;
	if (cs != ws)
		return cc_strdupf("usable, ranked lower: a secondary address (primary ones first)");
	if (c->a.ifindex != w->a.ifindex)
		return cc_strdupf("usable, ranked lower: higher ifindex (%u after %u)", c->a.ifindex,
				 w->a.ifindex);
	return cc_strdupf("usable, ranked lower: numerically higher address");
}

static const char *pin_name(int pin)
{
	return pin == IPDETECT_PIN_IP ? "ip" : pin == IPDETECT_PIN_IFACE ? "interface" : "none";
}

static int print_json(const struct ipdetect_result *r)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	int rc = EXIT_OK;

	if (!root || !arr) {
		json_object_put(root);
		json_object_put(arr);
		return EXIT_FAILURE_;
	}
	json_object_object_add(root, "IP", json_object_new_string(r->ip));
	json_object_object_add(root, "Interface", json_object_new_string(r->ifname));
	json_object_object_add(root, "Class", json_object_new_string(ip_class_name(r->ip_class)));
	json_object_object_add(root, "Pinned", json_object_new_string(pin_name(r->pin)));
	json_object_object_add(root, "Reason", json_object_new_string(r->reason));
	json_object_object_add(root, "Warning", r->warning ? json_object_new_string(r->warning) : NULL);
	for (size_t i = 0; i < r->n_cands; i++) {
		const struct ipdetect_candidate *c = &r->cands[i];
		json_object *o = json_object_new_object();
		char *note = ipdetect_candidate_note(r, i);
		if (!o || !note) {
			free(note);
			json_object_put(o);
			rc = EXIT_FAILURE_;
			goto out;
		}
		json_object_object_add(o, "Address", json_object_new_string(c->a.addr));
		json_object_object_add(o, "PrefixLen", json_object_new_int(c->a.prefixlen));
		json_object_object_add(o, "Interface", json_object_new_string(c->a.ifname));
		json_object_object_add(o, "Ifindex", json_object_new_int64(c->a.ifindex));
		json_object_object_add(o, "Kind", json_object_new_string(c->a.kind));
		json_object_object_add(o, "Class", json_object_new_string(ip_class_name(c->ip_class)));
		json_object_object_add(o, "Usable", json_object_new_boolean(!c->rejected));
		json_object_object_add(o, "Chosen", json_object_new_boolean(c->chosen));
		json_object_object_add(o, "Note", json_object_new_string(note));
		json_object_array_add(arr, o);
		free(note);
	}
	json_object_object_add(root, "Candidates", arr);
	arr = NULL;
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(arr);
	json_object_put(root);
	return rc;
}

static void print_candidates(FILE *f, const struct ipdetect_result *r)
{
	fprintf(f, "Candidates, best first:\n");
	if (!r->n_cands)
		fprintf(f, "  (none)\n");
	for (size_t i = 0; i < r->n_cands; i++) {
		const struct ipdetect_candidate *c = &r->cands[i];
		char addr[24];
		char *note = ipdetect_candidate_note(r, i);
		snprintf(addr, sizeof addr, "%s/%u", c->a.addr, c->a.prefixlen);
		fprintf(f, "  %s %-18s %-15s %-8s %s\n", c->chosen ? "*" : " ", addr, c->a.ifname,
			ip_class_name(c->ip_class), note ? note : "(out of memory)");
		free(note);
	}
}

int cmd_ip(struct app *a)
{
	struct ipdetect_opts o = {
		.pin_ip = a->cfg.ip,
		.pin_ifname = a->cfg.interface,
		.exclude = a->cfg.exclude_interfaces,
	};
	struct ipdetect_result r;
	char *err = NULL;
	int rc;

	rc = ipdetect_choose(&o, &r, &err);
	if (rc < 0) {
		log_error("ip: %s", err ? err : strerror(-rc));
		/* Show what was seen, so the user can see why nothing fit. */
		if (r.n_cands && !a->cfg.json)
			print_candidates(stderr, &r);
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
		goto out;
	}
	if (a->cfg.json) {
		rc = print_json(&r);
		goto out;
	}
	printf("IP:        %s\n", r.ip);
	printf("Interface: %s\n", r.ifname[0] ? r.ifname : "(none: not a local address)");
	printf("Class:     %s\n", ip_class_name(r.ip_class));
	printf("Reason:    %s\n", r.reason);
	if (r.warning)
		printf("Warning:   %s\n", r.warning);
	printf("\n");
	print_candidates(stdout, &r);
	rc = EXIT_OK;
out:
	fflush(stdout);
	free(err);
	ipdetect_result_free(&r);
	return rc;
}
