/* Internal interfaces of the wireguard overlay plugin.  Nothing here is
 * part of the plugin ABI; the modules are split by concern:
 *   wg-util.c   the pool and interface-name rules
 *   (buffers, IPv4/CIDR parsing, files: common/cc-*.h)
 *   wg-keys.c   X25519 keys (libcrypto), base64/hex, the key file
 *   wg-alloc.c  overlay address allocation inside the pool
 *   wg-uapi.c   the cross-platform text UAPI of wireguard-go
 *   wg-genl.c   the kernel's generic netlink "wireguard" family
 *   wg-device.c the device model both speak, and the diff between them
 *   wg-json.c   OverlayPayload / Observed / record encode and validation
 *   wireguard.c the descriptor and the plugin operations
 * Every module below wireguard.c is free of host services so the unit
 * tests link it directly. */
#ifndef CLUSTERCTL_WG_H
#define CLUSTERCTL_WG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44 /* 43 characters and one '=' */
#define WG_KEY_HEX_LEN 64
#define WG_IFNAME_MAX 15  /* IFNAMSIZ - 1 */
/* Bounds on what we accept from a controller or a daemon, so a hostile
 * or broken peer cannot make us allocate without limit. */
#define WG_MAX_PEERS 4096
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
/* Pick an address for a node: `prev` (0 = none) when it is usable, not
 * the master's and not in used[]; else the lowest free address.
 * -ENOSPC when the pool is full. */
int wg_alloc_pick(const struct wg_pool *p, uint32_t prev, const uint32_t *used, size_t n_used,
		  uint32_t *out);

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
 * to the number of changes (0: leave the device alone). */
int wg_device_diff(const struct wg_device *cur, const struct wg_device *want, bool prune,
		   struct wg_device *set, size_t *changes);

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
/* Message builders and parsers on caller buffers (unit-tested), then the
 * socket calls that use them. */
struct nlmsghdr;
struct nlmsghdr *wg_genl_build_getfamily(void *buf, uint32_t seq);
/* Family id from a CTRL_CMD_NEWFAMILY reply; -errno from an NLMSG_ERROR. */
int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *id);
struct nlmsghdr *wg_genl_build_get(void *buf, uint16_t family, uint32_t seq, const char *ifname);
/* Merge one GET_DEVICE dump message into dev (peers split across
 * messages are coalesced). */
int wg_genl_parse_device(const struct nlmsghdr *nlh, struct wg_device *dev);
/* Build the SET_DEVICE messages for a change set into buf (size bytes);
 * each message is laid one after another, *n_msgs of them, *used bytes.
 * Peers are spread over messages of at most msg_max bytes. */
int wg_genl_build_set(void *buf, size_t size, size_t msg_max, uint16_t family, uint32_t seq,
		      const struct wg_device *set, size_t *n_msgs, size_t *used);
int wg_genl_family(uint16_t *id);  /* -ENOENT: no kernel WireGuard */
int wg_genl_get(const char *ifname, struct wg_device *dev);
int wg_genl_set(const struct wg_device *set);
/* RTM_NEWLINK of kind "wireguard"; -EOPNOTSUPP when the kernel lacks it. */
int wg_genl_link_create(const char *ifname);

/* ---- wg-json.c -------------------------------------------------------- */
struct wg_payload {
	char ifname[WG_IFNAME_MAX + 1];
	uint32_t address; /* host order */
	uint8_t plen;
	uint16_t listen_port;
	uint32_t mtu;
	struct wg_peer *peers;
	size_t n_peers;
};
void wg_payload_free(struct wg_payload *p);
/* Validate every byte: -EINVAL with *err (malloc'd) naming the field. */
int wg_payload_parse(const char *json, struct wg_payload *p, char **err);
char *wg_payload_format(const struct wg_payload *p);

/* What the controller keeps per node (plan_out.record_json). */
struct wg_record {
	uint32_t address;      /* 0: none */
	bool has_key;
	uint8_t public_key[WG_KEY_LEN];
	uint32_t endpoint_ip;  /* 0: none */
	uint16_t listen_port;
	bool master;
};
int wg_record_parse(const char *json, struct wg_record *r, char **err);
char *wg_record_format(const struct wg_record *r);

struct wg_observed {
	bool has_key;
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port; /* 0: not reported */
	uint32_t address;     /* 0: not reported */
	uint32_t underlay_ip; /* 0: not reported; where peers reach ListenPort */
};
int wg_observed_parse(const char *json, struct wg_observed *o, char **err);

#endif
