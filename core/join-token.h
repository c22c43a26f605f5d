/* The join token: "CCTL1-<pin>-<secret>", what `master init` prints and
 * keeps in <state-dir>/join-secret.  <pin> is the SHA-256 (64 lower-case
 * hex digits) of the controller's TLS key (tls.h), so a node holding the
 * token knows which controller to trust before it proves the secret;
 * <secret> is the join secret.  A bare secret (no prefix) is still read:
 * it carries no pin, which only --insecure-plaintext can do without. */
#ifndef CLUSTERCTL_JOIN_TOKEN_H
#define CLUSTERCTL_JOIN_TOKEN_H

#include <stdbool.h>

#define JOIN_TOKEN_PREFIX "CCTL1-"

struct join_token {
	char pin[65];   /* "" for a bare secret */
	char *secret;
};

/* Split text (a token or a bare secret, already checked by
 * join_secret_read's rules).  0, -EINVAL with *err for a token whose
 * pin is not 64 hex digits or whose secret is shorter than 16, -ENOMEM. */
int join_token_parse(const char *text, struct join_token *out, char **err);
void join_token_free(struct join_token *t);
/* "CCTL1-<pin>-<secret>", malloc'd. */
char *join_token_format(const char *pin, const char *secret);

/* The manager token: the same form in <state-dir>/manager-secret, a
 * secret of its own.  Only it grants the manager role (a node holding the
 * join token joins as a worker): what a worker host knows never makes it
 * a manager, root on every host of the swarm. */
#define MANAGER_SECRET_FILE "manager-secret"

/* master init: keep or create the secret in state_dir/name (a random one,
 * 32 bytes hex, mode 0600) and store it as the token for pin (rewriting a
 * bare secret, or a token made for an older key, in place; the secret
 * itself is kept).  *token gets the token; *created: the secret is new;
 * *repinned: the file was rewritten. */
int join_token_ensure(const char *state_dir, const char *name, const char *pin, char **token, bool *created,
		      bool *repinned, char **err);

#endif
