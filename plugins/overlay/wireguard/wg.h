/* Internal interfaces of the wireguard overlay plugin.  Nothing here is
 * part of the plugin ABI; the modules are split by concern:
 *   wg-util.c    the pool and interface-name rules
 *   (buffers, IPv4/CIDR parsing, files: common/cc-*.h; maps: plugins/common)
 *   wg-keys.c    X25519 keys (libcrypto), base64/hex, the key file
 *   wg-alloc.c   the controller's address leases inside the pool
 *   wg-index.c   the controller's versioned index of the mesh (node
 *                events in, pages of peers out)
 *   wg-uapi.c    the cross-platform text UAPI of wireguard-go
 *   wg-genl.c    the kernel's generic netlink "wireguard" family (its
 *                messages; the host's netlink transactions carry them)
 *   wg-device.c  the device model both speak, the diff between them, and
 *                a node applying one page of the versioned peer list
 *   wg-json.c    OverlayPayload / Observed / record encode and validation
 *   wg-backend.c the device behind an interface: kernel or wireguard-go
 *   wg-ctl.c     the controller side: plan, node events, the master's
 *                own interface (a thread of its own)
 *   wireguard.c  the descriptor and the node's operations
 * Modules that need host services take the host table as an argument,
 * so the unit tests hand them a fake one. */
#ifndef CLUSTERCTL_WG_H
#define CLUSTERCTL_WG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <clusterctl/plugin.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "plugin-map.h"

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44 /* 43 characters and one '=' */
#define WG_KEY_HEX_LEN 64
#define WG_IFNAME_MAX 15  /* IFNAMSIZ - 1 */
/* Bounds on what we accept from a controller or a daemon, so a hostile
 * or broken peer cannot make us allocate without limit. */
#define WG_MAX_PEERS 4096          /* in one OverlayPayload */
#define WG_MAX_DEVICE_PEERS 131072 /* on one interface: the mesh's whole size */
#define WG_MAX_ALLOWED_IPS 256
#define WG_MTU_MIN 1280
#define WG_MTU_MAX 9000
#define WG_CGNAT_NET 0x64400000u /* 100.64.0.0 */
#define WG_CGNAT_PREFIX 10

/* ---- wg-util.c ---------------------------------------------------------
 * Addresses are host byte order uint32_t throughout the plugin (cc-net.h). */
/* A pool: an aligned IPv4 network inside 100.64.0.0/10 with room for the
 * master and at least one node (prefix 10..30).  err is static text. */
int wg_parse_pool(const char *s, uint32_t *net, uint8_t *plen, const char **err);
bool wg_valid_ifname(const char *s);

/* ---- wg-keys.c -------------------------------------------------------- */
int wg_key_generate(uint8_t priv[WG_KEY_LEN]);
int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN]);
void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64_LEN + 1]);
/* Strict: exactly 44 characters, canonical padding bits, 32 bytes. */
int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN]);
void wg_key_to_hex(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_HEX_LEN + 1]);
int wg_key_from_hex(const char *s, size_t len, uint8_t key[WG_KEY_LEN]);
bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN]);
/* dir/private.key: read it (base64, must not be readable by others) or
 * create it (0600).  *created tells which.  err: malloc'd message. */
int wg_key_load_or_create(const char *dir, uint8_t priv[WG_KEY_LEN], bool *created, char **err);
void wg_key_wipe(void *p, size_t n);

/* ---- wg-alloc.c ------------------------------------------------------- */
struct wg_pool {
	uint32_t net;
	uint8_t plen;
};
/* The master's address: the pool's first host address. */
uint32_t wg_pool_master(const struct wg_pool *p);
bool wg_pool_usable(const struct wg_pool *p, uint32_t a); /* host address of the pool */

/* Which addresses of the pool are leased: one bit each (8 KiB for a /16,
 * 512 KiB for the largest pool, a /10), and where the lowest free one may
 * be.  A lease is taken when the core stored the node that holds it. */
struct wg_leases {
	struct wg_pool pool;
	uint64_t *bits;
	uint32_t size;  /* addresses in the pool */
	uint32_t hint;  /* no free offset below it */
	uint32_t taken;
};
int wg_leases_init(struct wg_leases *l, const struct wg_pool *pool);
void wg_leases_free(struct wg_leases *l);
bool wg_leases_taken(const struct wg_leases *l, uint32_t a);
/* Mark a (in the pool) taken / free again; outside the pool: ignored. */
void wg_leases_take(struct wg_leases *l, uint32_t a);
void wg_leases_release(struct wg_leases *l, uint32_t a);
/* An address for a node: `prev` (0 = none) when it is usable, not the
 * master's and free, else the lowest free one (O(1) amortised: the hint
 * only moves down on a release).  Nothing is taken: the caller takes it
 * when the lease is stored.  -ENOSPC when the pool is full. */
int wg_leases_pick(const struct wg_leases *l, uint32_t prev, uint32_t *out);

/* ---- wg-device.c ------------------------------------------------------ */
struct wg_allowed_ip {
	uint16_t family; /* AF_INET or AF_INET6 (read back only) */
	uint8_t cidr;
	union {
		uint32_t v4; /* host order */
		uint8_t v6[16];
	} addr;
};

struct wg_endpoint {
	uint16_t family; /* 0: none, AF_INET, AF_INET6 */
	uint16_t port;
	union {
		uint32_t v4; /* host order */
		uint8_t v6[16];
	} addr;
};

enum {
	WG_PEER_REMOVE = 1 << 0,
	WG_PEER_REPLACE_ALLOWED_IPS = 1 << 1,
	WG_PEER_SET_ENDPOINT = 1 << 2,
	WG_PEER_SET_KEEPALIVE = 1 << 3,
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	struct wg_endpoint endpoint;
	uint16_t keepalive;
	struct wg_allowed_ip *allowed;
	size_t n_allowed;
	/* read back only */
	int64_t last_handshake_sec, last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	/* in a change set */
	unsigned flags;
};

struct wg_device {
	char ifname[WG_IFNAME_MAX + 1];
	uint32_t ifindex;
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];
	bool has_public_key;
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer *peers;
	size_t n_peers;
	/* in a change set */
	bool set_private_key, set_listen_port;
};

void wg_device_free(struct wg_device *d);
struct wg_peer *wg_device_add_peer(struct wg_device *d);
int wg_peer_add_allowed(struct wg_peer *p, const struct wg_allowed_ip *a);
struct wg_peer *wg_device_find_peer(const struct wg_device *d, const uint8_t key[WG_KEY_LEN]);
/* The changes that take `cur` to `want` without touching what already
 * matches: no replace_peers, so sessions and handshakes survive.  Peers
 * of cur absent from want are removed only with prune.  *changes is set
 * to the number of changes (0: leave the device alone).  O(n), whatever
 * the number of peers. */
int wg_device_diff(const struct wg_device *cur, const struct wg_device *want, bool prune,
		   struct wg_device *set, size_t *changes);
/* -EPROTO when a key repeats (a daemon's reply is checked with it). */
int wg_device_check_unique(const struct wg_device *d);

/* A short fingerprint of a device's peer set: the node keeps it with the
 * peer version it holds, and trusts that version only while its device
 * still has exactly that set (a restarted daemon, a hand-made change:
 * the node asks for the whole list again). */
struct wg_digest {
	uint64_t x;  /* XOR of the first 8 bytes of every key */
	uint64_t n;  /* number of peers */
};
void wg_digest_of(const struct wg_device *d, struct wg_digest *out);
void wg_digest_flip(struct wg_digest *dg, const uint8_t key[WG_KEY_LEN], bool add);

/* ---- wg-uapi.c -------------------------------------------------------- */
#define WG_UAPI_DIR "/var/run/wireguard"
/* Text of a "set=1" request for a change set (ends with the blank line). */
int wg_uapi_format_set(const struct wg_device *set, struct cc_buf *out);
/* Parse a "get=1" reply; -EPROTO on anything malformed, the daemon's
 * errno (negative) when it reported one.  err: static text. */
int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *dev, const char **err);
/* The errno a "set" reply carries (0, or negative). */
int wg_uapi_parse_errno(const char *text, size_t len, const char **err);
/* Socket path of an interface into out (size >= 64). */
void wg_uapi_sock_path(const char *ifname, char *out, size_t size);
/* 1: a daemon answers on the socket; 0: no socket or nobody listening. */
int wg_uapi_present(const char *ifname);
int wg_uapi_get(const char *ifname, struct wg_device *dev, char **err);
int wg_uapi_set(const char *ifname, const struct wg_device *set, char **err);

/* ---- wg-genl.c -------------------------------------------------------- */
/* Message builders and the parser work on caller buffers (unit-tested
 * against recorded messages); the host's netlink services (family
 * lookup, transactions that redo an interrupted dump on a fresh socket)
 * carry them. */
struct nlmsghdr;
struct nlmsghdr *wg_genl_build_get(void *buf, uint16_t family, uint32_t seq, const char *ifname);
/* Merge one GET_DEVICE dump message into dev (peers split across
 * messages are coalesced). */
int wg_genl_parse_device(const struct nlmsghdr *nlh, struct wg_device *dev);
/* Build the SET_DEVICE messages for a change set into buf (size bytes);
 * each message is laid one after another, *n_msgs of them, *used bytes.
 * Peers are spread over messages of at most msg_max bytes. */
int wg_genl_build_set(void *buf, size_t size, size_t msg_max, uint16_t family, uint32_t seq,
		      const struct wg_device *set, size_t *n_msgs, size_t *used);
int wg_genl_family(const struct clusterctl_host *h, uint16_t *id); /* -ENOENT: no kernel WireGuard */
int wg_genl_get(const struct clusterctl_host *h, const char *ifname, struct wg_device *dev);
int wg_genl_set(const struct clusterctl_host *h, const struct wg_device *set);

/* ---- wg-json.c -------------------------------------------------------- */
#define WG_VERSION_MAX 48 /* "<16 hex>.<decimal>" and room */

/* How an OverlayPayload's peers relate to what the node holds
 * (clusterctl-plugin(7) and the wireguard section of clusterctl(8)
 * describe the scheme). */
enum wg_sync {
	WG_SYNC_COMPLETE = 0,  /* no PeerSync (an older controller, master-peers.json):
				  Peers is the whole set */
	WG_SYNC_FULL,          /* the first page of the whole list: the node starts
				  over and prunes what the last page leaves out */
	WG_SYNC_DELTA,         /* changes since the version the node sent */
	WG_SYNC_UNCHANGED,     /* the node holds the current version */
};

struct wg_payload {
	char ifname[WG_IFNAME_MAX + 1];
	uint32_t address; /* host order */
	uint8_t plen;
	uint16_t listen_port;
	uint32_t mtu;
	struct wg_peer *peers;
	size_t n_peers;
	/* the versioned peer list */
	int sync;                        /* enum wg_sync */
	char version[WG_VERSION_MAX];    /* PeerVersion once this is applied; "" none */
	uint8_t (*removed)[WG_KEY_LEN];  /* RemovedPeers */
	size_t n_removed;
	bool more;                       /* More: another page follows */
};
void wg_payload_free(struct wg_payload *p);
/* Validate every byte: -EINVAL with *err (malloc'd) naming the field.
 * A controller's payload holds at most WG_MAX_PEERS peers; the master's
 * own file (master-peers.json) the whole mesh. */
int wg_payload_parse(const char *json, struct wg_payload *p, char **err);
int wg_payload_parse_file(const char *json, struct wg_payload *p, char **err);
/* The whole set, as master-peers.json keeps it (WG_SYNC_COMPLETE). */
char *wg_payload_format(const struct wg_payload *p);
/* One peer as the payload lists it: {"PublicKey":...}, into b. */
void wg_peer_format(struct cc_buf *b, const uint8_t key[WG_KEY_LEN], uint32_t endpoint_ip, uint16_t port,
		    uint32_t address, uint16_t keepalive);
bool wg_version_valid(const char *s);

/* What the controller keeps per node (plan_out.record_json). */
struct wg_record {
	uint32_t address;      /* 0: none */
	bool has_key;
	uint8_t public_key[WG_KEY_LEN];
	uint32_t endpoint_ip;  /* 0: none */
	uint16_t listen_port;
	bool master;
	uint64_t ver;          /* "Ver": the peer-list version of its last change, 0: none */
};
int wg_record_parse(const char *json, struct wg_record *r, char **err);
char *wg_record_format(const struct wg_record *r);
/* The fields other nodes' peer lists carry (key, address, endpoint). */
bool wg_record_same_peer(const struct wg_record *a, const struct wg_record *b);

struct wg_observed {
	bool has_key;
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port; /* 0: not reported */
	uint32_t address;     /* 0: not reported */
	uint32_t underlay_ip; /* 0: not reported; where peers reach ListenPort */
	bool has_version;     /* PeerVersion sent (a node that speaks versions) */
	char version[WG_VERSION_MAX]; /* what it holds, "" none */
};
int wg_observed_parse(const char *json, struct wg_observed *o, char **err);

/* ---- wg-index.c ------------------------------------------------------- */
/* The controller's view of the mesh, built from node events and kept in
 * memory: each node's lease, and every public key it ever announced in
 * the order of their last change (a version number), so that a node that
 * holds version v is sent exactly what changed after v, a page at a
 * time.  Versions are durable (each node's record keeps the version of
 * its last change, "Ver"); keys retired during a run are remembered up to
 * WG_MAX_RETIRED.  O(1) per event, O(log n + page) per walk. */
#define WG_MAX_RETIRED 4096
#define WG_PAGE_FIRST 64   /* peers in the first answer of a new node (~10 KB) */
#define WG_PAGE 1024       /* peers in every later page (~150 KB) */

struct wg_node;
struct wg_entry;

struct wg_index {
	struct wg_pool pool;
	uint16_t keepalive;
	struct cp_map nodes;     /* node id -> wg_node */
	struct cp_map keys;      /* public key -> wg_entry */
	struct cp_map owners;    /* address -> wg_node holding its lease */
	struct wg_leases leases;
	struct wg_slot {
		uint64_t ver;
		struct wg_entry *e; /* NULL: a hole (the entry moved on) */
	} *log;
	size_t n_log, cap_log, holes;
	bool sorted;             /* false until wg_index_ready() */
	uint64_t version;        /* the newest change */
	uint64_t horizon;        /* retired keys of versions <= horizon are forgotten */
	struct wg_entry *rhead, *rtail; /* retired keys, oldest first */
	size_t n_retired;
	bool unclean;            /* this run forgot history a restart cannot rebuild */
};

int wg_index_init(struct wg_index *x, const struct wg_pool *pool, uint16_t keepalive);
void wg_index_free(struct wg_index *x);
/* LOADED: a stored record.  Conflicts (an address or key another node
 * holds) are resolved by that node's next plan; *warn says what was
 * found (static text), NULL when nothing. */
int wg_index_load(struct wg_index *x, const char *node_id, const struct wg_record *r, const char **warn);
/* NODES_READY: order the loaded keys by version (O(n log n), once). */
int wg_index_ready(struct wg_index *x);
/* STORED: the node now holds r (its lease taken, its key announced at
 * r->ver when that moved it).  *changed: the peer list changed. */
int wg_index_commit(struct wg_index *x, const char *node_id, const struct wg_record *r, bool *changed);
/* REMOVED: its lease freed, its key retired. */
int wg_index_remove(struct wg_index *x, const char *node_id);

/* What the index knows of a node: its lease and key (false: unknown). */
bool wg_index_node(const struct wg_index *x, const char *node_id, struct wg_record *out);
/* The node holding public key k, NULL when none (or retired). */
const char *wg_index_key_owner(const struct wg_index *x, const uint8_t k[WG_KEY_LEN]);
/* The node id holding address a's lease, NULL when free. */
const char *wg_index_lease_owner(const struct wg_index *x, uint32_t a);

/* One entry of a walk: a live key (add or update it) or a retired one
 * (remove it). */
struct wg_walk_item {
	const uint8_t *key;
	bool live;
	const char *frag;  /* live: its Peers[] object */
	size_t frag_len;
	uint32_t address, endpoint_ip;
	uint16_t port;
};
/* Entries changed after version `from`, oldest first, at most `limit`
 * of them (skip: a key left out, the asking node's own; may be NULL).
 * *upto: the version the node holds once it applied them; *more: later
 * changes remain. */
int wg_index_walk(const struct wg_index *x, uint64_t from, size_t limit, const uint8_t *skip,
		  int (*fn)(const struct wg_walk_item *it, void *arg), void *arg, uint64_t *upto, bool *more);
/* Every live key (the master's interface takes them all). */
int wg_index_each_live(const struct wg_index *x, int (*fn)(const struct wg_walk_item *it, void *arg), void *arg);

/* ---- wg-device.c: a node applying one answer --------------------------- */
/* The node's side of the versioned list: the changes one payload asks of
 * the device `cur`.  A walk that started with a full page remembers the
 * keys it was sent (seen) and prunes the rest with its last page. */
struct wg_walk_state {
	bool active;        /* inside a full walk */
	struct cp_map seen; /* keys of this walk (values unused) */
};
void wg_walk_state_init(struct wg_walk_state *w);
void wg_walk_state_free(struct wg_walk_state *w);
int wg_sync_changes(const struct wg_device *cur, const struct wg_payload *p, struct wg_walk_state *w,
		    struct wg_device *set, size_t *changes);

/* ---- wg-backend.c ------------------------------------------------------ */
enum wg_backend { WG_BK_NONE = 0, WG_BK_UAPI, WG_BK_KERNEL };
const char *wg_backend_name(enum wg_backend b);
/* What answers on ifname: wireguard-go's UAPI socket, a kernel link. */
enum wg_backend wg_backend_detect(const struct clusterctl_host *h, const char *ifname);
/* Create the interface: a kernel link when the kernel has WireGuard,
 * else start `wg_go` (wireguard-go) and wait for its socket.  Errors are
 * explained with h->error. */
int wg_backend_create(const struct clusterctl_host *h, const char *wg_go, const char *ifname, enum wg_backend *bk);
int wg_backend_get(const struct clusterctl_host *h, enum wg_backend bk, const char *ifname, struct wg_device *dev);
int wg_backend_set(const struct clusterctl_host *h, enum wg_backend bk, const struct wg_device *set);

/* ---- wg-ctl.c ---------------------------------------------------------- */
struct wg_conf {
	char ifname[WG_IFNAME_MAX + 1];
	uint16_t listen_port;
	uint32_t mtu;
	struct wg_pool pool;
	uint16_t keepalive;
	uint32_t forget_grace;   /* s a removed node's address is kept from new nodes */
};
/* The plugin's config keys; --overlay-config JSON (options) overrides
 * them on the controller and the master.  Errors via h->error. */
int wg_conf_load(const struct clusterctl_host *h, struct wg_conf *c);
int wg_conf_apply_options(const struct clusterctl_host *h, const struct wg_conf *base, const char *options_json,
			  struct wg_conf *c);

struct wg_ctl;
/* The controller side (master serve), from the configuration. */
int wg_ctl_new(const struct clusterctl_host *h, const struct wg_conf *conf, const char *wg_go, struct wg_ctl **out);
void wg_ctl_free(struct wg_ctl *c); /* joins its thread */
int wg_ctl_plan(struct wg_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out);
int wg_ctl_event(struct wg_ctl *c, int kind, const struct clusterctl_node *node);
/* clusterctl node remove (ABI 1.1 forget): note the node's address for
 * the grace period; REMOVED, which follows, drops its peer and key.
 * *message says what will happen. */
int wg_ctl_forget(struct wg_ctl *c, const struct clusterctl_node *node, char **message);
/* Its index, read only (tests; the event loop's thread only). */
const struct wg_index *wg_ctl_index(const struct wg_ctl *c);

#endif
