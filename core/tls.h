/* TLS 1.3 on the controller port (OpenSSL): the controller's key and
 * certificate in its state directory, the pin a join token carries (the
 * SHA-256 of the key's DER SubjectPublicKeyInfo, as kubeadm pins a CA),
 * a non-blocking server stream driven by the event loop, and the proof
 * of the join secret bound to one connection (RFC 8446 exporter), so the
 * secret itself never crosses the wire.
 *
 * The client side lives in ctl-client.c (the one client); it uses the
 * pin and proof helpers here. */
#ifndef CLUSTERCTL_TLS_H
#define CLUSTERCTL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TLS_KEY_FILE "controller.key"
#define TLS_CERT_FILE "controller.crt"
/* A node's own key, in its node-local state: its identity. */
#define TLS_NODE_KEY_FILE "node.key"
#define TLS_NODE_CERT_FILE "node.crt"
/* 64 hex digits and a NUL. */
#define TLS_PIN_HEXLEN 64
/* A JoinSecret sent inside TLS: "hmac-sha256:" and 64 hex digits. */
#define TLS_PROOF_PREFIX "hmac-sha256:"
#define TLS_PROOF_LEN (sizeof TLS_PROOF_PREFIX - 1 + 64)

/* Create the controller's key (P-256, mode 0600) and a self-signed
 * certificate (0644) in dir unless both are there; *created says which.
 * pin_hex gets the key's pin either way.  Existing files are opened with
 * O_NOFOLLOW and must be regular files owned by us. */
int tls_identity_ensure(const char *dir, char pin_hex[TLS_PIN_HEXLEN + 1], bool *created, char **err);

/* A node's key and certificate in dir (made there, 0600/0644, when
 * missing), set on ssl_ctx (an SSL_CTX *) as its client certificate;
 * pin_hex gets its pin. */
int tls_node_identity_load(const char *dir, void *ssl_ctx, char pin_hex[TLS_PIN_HEXLEN + 1], char **err);

/* The pin of the certificate dir/controller.crt (on the master itself:
 * `status` trusts the local controller's key).  -ENOENT when absent. */
int tls_local_pin(const char *dir, char pin_hex[TLS_PIN_HEXLEN + 1]);

/* The server side: one context per controller, on the key in dir
 * (made there first when missing: *created). */
struct tls_server;
int tls_server_new(const char *dir, struct tls_server **out, bool *created, char **err);
void tls_server_free(struct tls_server *s);
const char *tls_server_pin(const struct tls_server *s);

/* One connection's stream over a non-blocking fd.  read/write behave
 * like read(2)/send(2): >0 bytes, 0 at the peer's end (read), -1 with
 * errno (EAGAIN: wait; then tls_stream_wants_write() says whether to
 * wait for EPOLLOUT rather than EPOLLIN).  The handshake runs inside the
 * first reads, never blocking. */
struct tls_stream;
struct tls_stream *tls_stream_new(struct tls_server *s, int fd);
ssize_t tls_stream_read(struct tls_stream *t, void *buf, size_t len);
ssize_t tls_stream_write(struct tls_stream *t, const void *buf, size_t len);
bool tls_stream_wants_write(const struct tls_stream *t);
/* Send close_notify (best effort, never waits) and free. */
void tls_stream_free(struct tls_stream *t);
/* Why the handshake or a read failed, for the log (static text). */
const char *tls_stream_error(const struct tls_stream *t);

/* The pin of the key the client proved in the handshake (its client
 * certificate); false when it presented none. */
bool tls_stream_peer_pin(struct tls_stream *t, char pin_hex[TLS_PIN_HEXLEN + 1]);

/* The controller's reads and writes whether the connection is TLS (t)
 * or plaintext (t NULL: read(2), send(2) without SIGPIPE). */
ssize_t tls_io_read(struct tls_stream *t, int fd, void *buf, size_t len);
ssize_t tls_io_write(struct tls_stream *t, int fd, const void *buf, size_t len);
/* Whether `sent` (a request's JoinSecret) proves the secret: in TLS the
 * proof bound to this connection, or the secret itself (a client of
 * our own never sends it; a TLS client of another make may); in
 * plaintext only the secret.  Constant time in the secret. */
bool tls_join_secret_ok(struct tls_stream *t, const char *secret, const char *sent);

/* Whether the join-secret proof `sent` (TLS_PROOF_PREFIX...) is HMAC-
 * SHA256(secret, this connection's exporter value); constant time. */
bool tls_stream_proof_ok(struct tls_stream *t, const char *secret, const char *sent);

/* The exporter value both ends derive: 32 bytes, label
 * "EXPORTER-clusterctl-join-secret", no context.  ssl is an SSL *. */
int tls_exporter(void *ssl, unsigned char out[32]);
/* TLS_PROOF_PREFIX + hex HMAC-SHA256(secret, exporter) into out
 * (TLS_PROOF_LEN + 1 bytes). */
int tls_proof(const char *secret, const unsigned char exporter[32], char out[TLS_PROOF_LEN + 1]);
/* The pin of a certificate (an X509 *). */
int tls_cert_pin(void *x509, char pin_hex[TLS_PIN_HEXLEN + 1]);

#endif
