/* Parsing what `gluster --mode=script --xml` prints, with libxml2.
 *
 * Pure functions of the text: no I/O, no host services, so the unit tests
 * feed them the outputs recorded from a real glusterd
 * (tests/fixtures/gluster/).  The CLI exits 0 in --xml mode even when the
 * operation failed, and prints plain text (not XML) when it cannot reach
 * glusterd or does not understand its arguments: every parser here reads
 * the <cliOutput> envelope first and refuses anything that is not one. */
#ifndef CLUSTERCTL_GLUSTER_XML_H
#define CLUSTERCTL_GLUSTER_XML_H

#include <stddef.h>

/* The envelope every --xml answer carries. */
struct gx_result {
	int op_ret;      /* 0 ok, -1 failed */
	int op_errno;    /* probe codes, 30800, 30806, errno values ... */
	char *op_errstr; /* "" when the element is empty */
	char *output;    /* <output> text, "" when absent */
};

/* `peer status` / `pool list`: one per <peer>. */
struct gx_peer {
	char *uuid;
	char *hostname;   /* "localhost" for the local entry of `pool list` */
	char **hostnames; /* every <hostnames><hostname>, may be empty */
	size_t n_hostnames;
	int connected;
	int state;        /* 3 = Peer in Cluster; -1 when absent (local entry) */
	char *state_str;  /* "" when absent */
};

struct gx_peers {
	struct gx_peer *v;
	size_t n;
};

struct gx_brick {
	char *name;      /* "host:/path" from <name> (the text node is ignored) */
	char *host;      /* part before the ':' that precedes the path */
	char *path;      /* absolute path */
	char *host_uuid;
	int is_arbiter;
};

/* `volume info` */
struct gx_volume {
	char *name;
	char *id;         /* volume UUID, lower-case text as printed */
	int status;       /* 0 Created, 1 Started, 2 Stopped */
	char *status_str;
	int brick_count, dist_count, replica_count, arbiter_count;
	int disperse_count, redundancy_count;
	int type;         /* 0 Distribute, 2 Replicate, ...; see type_str */
	char *type_str;
	struct gx_brick *bricks;
	size_t n_bricks;
};

struct gx_volumes {
	struct gx_volume *v;
	size_t n;
};

/* Categories of a failed or unparsable answer, for callers that decide
 * what is idempotent success and what is an error a person must fix. */
enum gx_status {
	GX_OK = 0,          /* XML envelope read; look at res.op_ret */
	GX_NOT_XML,         /* plain text: *err holds its first line */
	GX_NO_GLUSTERD,     /* "Connection failed. Please check if gluster daemon is operational." */
	GX_BAD_XML,         /* XML, but not a cliOutput envelope we understand */
};

/* Read the envelope.  Returns a gx_status; with GX_NOT_XML, GX_NO_GLUSTERD
 * and GX_BAD_XML *err (malloc'd) says what was seen.  On GX_OK res is
 * filled (free with gx_result_free). */
int gx_parse_result(const char *text, size_t len, struct gx_result *res, char **err);

/* The same plus the command's payload.  A payload that is absent (as on a
 * failed op) leaves the out struct empty; a malformed one is GX_BAD_XML. */
int gx_parse_peers(const char *text, size_t len, struct gx_result *res, struct gx_peers *out,
		   char **err);
int gx_parse_volumes(const char *text, size_t len, struct gx_result *res, struct gx_volumes *out,
		     char **err);
/* `volume create` / `volume start`: the <volume><id> of the answer, NULL
 * when absent. */
int gx_parse_volume_id(const char *text, size_t len, struct gx_result *res, char **id, char **err);

/* `volume status VOLUME`: its bricks (the daemons' lines, whose path is
 * not absolute, are left out). */
struct gx_brick_state {
	char *host, *path, *peer_id;
	int online;       /* <status> 1 */
};
struct gx_brick_states {
	struct gx_brick_state *v;
	size_t n;
};
int gx_parse_volume_status(const char *text, size_t len, struct gx_result *res, struct gx_brick_states *out,
			   char **err);

/* `volume heal VOLUME info summary`: per brick.  A brick the heal daemon
 * could not reach has connected = 0 and no counts (-1). */
struct gx_heal_brick {
	char *name, *host_uuid;
	int connected;    /* <status> Connected */
	long long pending, split_brain; /* -1: not reported */
};
struct gx_heal {
	struct gx_heal_brick *v;
	size_t n;
};
int gx_parse_heal_summary(const char *text, size_t len, struct gx_result *res, struct gx_heal *out, char **err);
void gx_brick_states_free(struct gx_brick_states *s);
void gx_heal_free(struct gx_heal *h);

/* Split "host:/path" at the ':' before the first '/'.  -EINVAL when it is
 * not of that form. */
int gx_split_brick(const char *name, char **host, char **path);

/* The peer whose hostname or one of whose hostnames is `host`, or NULL. */
const struct gx_peer *gx_peers_find(const struct gx_peers *p, const char *host);
/* The brick "host:path" of a volume, or NULL. */
const struct gx_brick *gx_volume_find_brick(const struct gx_volume *v, const char *host,
					    const char *path);

void gx_result_free(struct gx_result *r);
void gx_peers_free(struct gx_peers *p);
void gx_volume_free(struct gx_volume *v);
void gx_volumes_free(struct gx_volumes *v);
/* Deep copy; -ENOMEM. */
int gx_volume_copy(struct gx_volume *dst, const struct gx_volume *src);
int gx_peers_copy(struct gx_peers *dst, const struct gx_peers *src);

#endif
