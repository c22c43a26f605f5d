/* TLS on the controller port; see tls.h. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "join-secret.h"
#include "secure-file.h"
#include "tls.h"

#define EXPORTER_LABEL "EXPORTER-clusterctl-join-secret"
#define PEM_MAX (64u << 10)

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The library's own reason for a failure, for a message. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown TLS error";
}

int tls_cert_pin(void *x509, char pin_hex[TLS_PIN_HEXLEN + 1])
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY((X509 *)x509), &der);

	if (n <= 0)
		return -EINVAL;
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	hex(md, sizeof md, pin_hex);
	return 0;
}

/* ---- the controller's key and certificate -------------------------------- */

static EVP_PKEY *new_key(void)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	EVP_PKEY *k = NULL;

	if (kc && EVP_PKEY_keygen_init(kc) > 0 &&
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1) > 0)
		EVP_PKEY_keygen(kc, &k);
	EVP_PKEY_CTX_free(kc);
	return k;
}

/* Self-signed, and never checked for dates: the node trusts the pin of
 * the key, not a chain, so the certificate is only the key's carrier. */
static X509 *new_cert(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];

	if (!x || RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f;
	{
		BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
		int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
		BN_free(bn);
		if (!ok)
			goto fail;
	}
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), 36500, 0, NULL) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"clusterctl controller", -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, k) != 1 || X509_sign(x, k, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static char *bio_text(BIO *b, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *res = n > 0 ? malloc((size_t)n) : NULL;
	if (res) {
		memcpy(res, p, (size_t)n);
		*len = (size_t)n;
	}
	return res;
}

static int write_pem(const char *path, EVP_PKEY *k, X509 *x, mode_t mode, char **err)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *text = NULL;
	size_t len = 0;
	int r = -ENOMEM;

	if (!b || (k ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_X509(b, x)) != 1 ||
	    !(text = bio_text(b, &len))) {
		*err = cc_strdupf("cannot encode %s: %s", path, ssl_reason());
		goto out;
	}
	if ((r = cc_write_file_atomic(path, text, len, mode)) < 0)
		*err = cc_strdupf("cannot write %s: %s", path, strerror(-r));
out:
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	BIO_free(b);
	return r;
}

/* Read the key and the certificate; both must be there, safe, and
 * belong together. */
static int load_identity(const char *dir, const char *kname, const char *cname, EVP_PKEY **key, X509 **cert,
			 char **err)
{
	struct cc_buf kp = CC_BUF_INIT, cp = CC_BUF_INIT;
	char *ktext = NULL, *ctext = NULL;
	size_t klen = 0, clen = 0;
	BIO *b = NULL;
	int r;

	*key = NULL;
	*cert = NULL;
	cc_buf_printf(&kp, "%s/%s", dir, kname);
	cc_buf_printf(&cp, "%s/%s", dir, cname);
	if (kp.oom || cp.oom) {
		r = -ENOMEM;
		goto out;
	}
	r = secure_file_read(kp.buf, PEM_MAX, true, &ktext, &klen, err);
	if (r == 0)
		r = secure_file_read(cp.buf, PEM_MAX, false, &ctext, &clen, err);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (!(b = BIO_new_mem_buf(ktext, (int)klen)) || !(*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL))) {
		*err = cc_strdupf("%s holds no private key this build can read (%s); remove it and %s, then run "
				  "'clusterctl master init' (or node join) to make new ones",
				  kp.buf, ssl_reason(), cname);
		goto out;
	}
	BIO_free(b);
	if (!(b = BIO_new_mem_buf(ctext, (int)clen)) || !(*cert = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		*err = cc_strdupf("%s holds no certificate (%s); remove it and run 'clusterctl master init' to "
				  "make a new one for the same key",
				  cp.buf, ssl_reason());
		goto out;
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		*err = cc_strdupf("%s is not the certificate of %s; remove the certificate and run 'clusterctl "
				  "master init' to make a new one for the key",
				  cp.buf, kp.buf);
		goto out;
	}
	r = 0;
out:
	if (r < 0 && r != -ENOENT) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
	}
	BIO_free(b);
	if (ktext)
		OPENSSL_cleanse(ktext, klen);
	free(ktext);
	free(ctext);
	cc_buf_free(&kp);
	cc_buf_free(&cp);
	ERR_clear_error();
	return r;
}

static int identity_ensure(const char *dir, const char *kname, const char *cname, char pin_hex[TLS_PIN_HEXLEN + 1],
			   bool *created, char **err)
{
	struct cc_buf kp = CC_BUF_INIT, cp = CC_BUF_INIT;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int r;

	*created = false;
	r = load_identity(dir, kname, cname, &k, &x, err);
	if (r == 0 || r != -ENOENT)
		goto pin;
	/* One of them missing: a certificate alone is useless, a key alone
	 * gets a new certificate (its pin, what nodes hold, stays). */
	cc_buf_printf(&kp, "%s/%s", dir, kname);
	cc_buf_printf(&cp, "%s/%s", dir, cname);
	if (kp.oom || cp.oom) {
		r = -ENOMEM;
		goto out;
	}
	if (access(kp.buf, F_OK) == 0) {
		char *text = NULL;
		size_t len = 0;
		BIO *b;
		if ((r = secure_file_read(kp.buf, PEM_MAX, true, &text, &len, err)) < 0)
			goto out;
		b = BIO_new_mem_buf(text, (int)len);
		k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		OPENSSL_cleanse(text, len);
		free(text);
		if (!k) {
			r = -EINVAL;
			*err = cc_strdupf("%s holds no private key this build can read; remove it and run 'clusterctl "
					  "master init' again (nodes then need the new join token)",
					  kp.buf);
			goto out;
		}
	} else {
		if (!(k = new_key())) {
			r = -ENOMEM;
			*err = cc_strdupf("cannot generate the controller's TLS key: %s", ssl_reason());
			goto out;
		}
		if ((r = write_pem(kp.buf, k, NULL, 0600, err)) < 0)
			goto out;
	}
	if (!(x = new_cert(k))) {
		r = -ENOMEM;
		*err = cc_strdupf("cannot make the controller's certificate: %s", ssl_reason());
		goto out;
	}
	if ((r = write_pem(cp.buf, NULL, x, 0644, err)) < 0)
		goto out;
	*created = true;
pin:
	if (r == 0 && tls_cert_pin(x, pin_hex) < 0) {
		r = -EINVAL;
		*err = cc_strdupf("cannot compute the pin of the controller's key in %s", dir);
	}
out:
	EVP_PKEY_free(k);
	X509_free(x);
	cc_buf_free(&kp);
	cc_buf_free(&cp);
	ERR_clear_error();
	return r;
}

int tls_local_pin(const char *dir, char pin_hex[TLS_PIN_HEXLEN + 1])
{
	struct cc_buf cp = CC_BUF_INIT;
	char *text = NULL, *err = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	int r;

	cc_buf_printf(&cp, "%s/%s", dir, TLS_CERT_FILE);
	if (cp.oom)
		return -ENOMEM;
	if ((r = secure_file_read(cp.buf, PEM_MAX, false, &text, &len, &err)) < 0)
		goto out;
	r = -EINVAL;
	if ((b = BIO_new_mem_buf(text, (int)len)) && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		r = tls_cert_pin(x, pin_hex);
out:
	X509_free(x);
	BIO_free(b);
	free(text);
	free(err);
	cc_buf_free(&cp);
	ERR_clear_error();
	return r;
}

int tls_identity_ensure(const char *dir, char pin_hex[TLS_PIN_HEXLEN + 1], bool *created, char **err)
{
	return identity_ensure(dir, TLS_KEY_FILE, TLS_CERT_FILE, pin_hex, created, err);
}

int tls_node_identity_load(const char *dir, void *ssl_ctx, char pin_hex[TLS_PIN_HEXLEN + 1], char **err)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	bool created;
	int r;

	if ((r = identity_ensure(dir, TLS_NODE_KEY_FILE, TLS_NODE_CERT_FILE, pin_hex, &created, err)) < 0 ||
	    (r = load_identity(dir, TLS_NODE_KEY_FILE, TLS_NODE_CERT_FILE, &k, &x, err)) < 0)
		goto out;
	if (SSL_CTX_use_certificate((SSL_CTX *)ssl_ctx, x) != 1 || SSL_CTX_use_PrivateKey((SSL_CTX *)ssl_ctx, k) != 1) {
		r = -EINVAL;
		*err = cc_strdupf("cannot use the node key in %s/%s: %s", dir, TLS_NODE_KEY_FILE, ssl_reason());
	}
out:
	EVP_PKEY_free(k);
	X509_free(x);
	ERR_clear_error();
	return r;
}

/* ---- the server side ---------------------------------------------------------- */

struct tls_server {
	SSL_CTX *ctx;
	char pin[TLS_PIN_HEXLEN + 1];
};

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

int tls_server_new(const char *dir, struct tls_server **out, bool *created, char **err)
{
	struct tls_server *s = calloc(1, sizeof *s);
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if ((r = tls_identity_ensure(dir, s->pin, created, err)) < 0 ||
	    (r = load_identity(dir, TLS_KEY_FILE, TLS_CERT_FILE, &k, &x, err)) < 0)
		goto out;
	r = -EINVAL;
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx || SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(s->ctx, x) != 1 || SSL_CTX_use_PrivateKey(s->ctx, k) != 1) {
		*err = cc_strdupf("cannot set up TLS with the key in %s: %s", dir, ssl_reason());
		goto out;
	}
	/* A node reconnects for every heartbeat: stateless tickets let it
	 * resume without a full handshake and without a server-side cache
	 * that a flood of clients could grow.  One ticket is enough. */
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(s->ctx, 1);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION);
	/* A node proves its own key (its identity, pinned on its first
	 * registration: node-auth.c) with a client certificate; any
	 * certificate is taken here, the pin decides. */
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, accept_any);
	SSL_CTX_set_session_id_context(s->ctx, (const unsigned char *)"clusterctl", 10);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	r = 0;
out:
	EVP_PKEY_free(k);
	X509_free(x);
	ERR_clear_error();
	if (r < 0)
		tls_server_free(s);
	else
		*out = s;
	return r;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

const char *tls_server_pin(const struct tls_server *s) { return s->pin; }

struct tls_stream {
	SSL *ssl;
	bool want_write;
	const char *error;
};

struct tls_stream *tls_stream_new(struct tls_server *s, int fd)
{
	struct tls_stream *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	if (!(t->ssl = SSL_new(s->ctx)) || SSL_set_fd(t->ssl, fd) != 1) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

/* Map an SSL_read/SSL_write result onto read(2)'s convention. */
static ssize_t io_result(struct tls_stream *t, int n)
{
	int e = SSL_get_error(t->ssl, n);

	t->want_write = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		t->want_write = true;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0) {
			/* The peer closed without close_notify. */
			ERR_clear_error();
			return 0;
		}
		t->error = strerror(errno);
		ERR_clear_error();
		return -1;
	default:
		t->error = SSL_is_init_finished(t->ssl) ? "TLS error" : "TLS handshake failed (is the client "
									  "speaking plain TCP? it needs the "
									  "join token, or --insecure-plaintext "
									  "on both sides)";
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

ssize_t tls_stream_read(struct tls_stream *t, void *buf, size_t len)
{
	int n;

	ERR_clear_error();
	errno = 0;
	n = SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0) {
		t->want_write = false;
		return n;
	}
	return io_result(t, n);
}

ssize_t tls_stream_write(struct tls_stream *t, const void *buf, size_t len)
{
	int n;

	ERR_clear_error();
	errno = 0;
	n = SSL_write(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0) {
		t->want_write = false;
		return n;
	}
	return io_result(t, n);
}

bool tls_stream_wants_write(const struct tls_stream *t) { return t->want_write; }

const char *tls_stream_error(const struct tls_stream *t) { return t->error ? t->error : "TLS error"; }

void tls_stream_free(struct tls_stream *t)
{
	if (!t)
		return;
	/* One try: an answer's close_notify if the socket takes it now. */
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
}

int tls_exporter(void *ssl, unsigned char out[32])
{
	static const char label[] = EXPORTER_LABEL;
	if (SSL_export_keying_material((SSL *)ssl, out, 32, label, sizeof label - 1, NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -EPROTO;
	}
	return 0;
}

int tls_proof(const char *secret, const unsigned char exporter[32], char out[TLS_PROOF_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t pl = sizeof TLS_PROOF_PREFIX - 1;

	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), exporter, 32, mac, &n) || n != 32)
		return -EINVAL;
	memcpy(out, TLS_PROOF_PREFIX, pl);
	hex(mac, n, out + pl);
	OPENSSL_cleanse(mac, sizeof mac);
	return 0;
}

bool tls_stream_proof_ok(struct tls_stream *t, const char *secret, const char *sent)
{
	unsigned char ex[32];
	char want[TLS_PROOF_LEN + 1];
	bool ok;

	if (!sent || strlen(sent) != TLS_PROOF_LEN || tls_exporter(t->ssl, ex) < 0 || tls_proof(secret, ex, want) < 0)
		return false;
	ok = CRYPTO_memcmp(want, sent, TLS_PROOF_LEN) == 0;
	OPENSSL_cleanse(want, sizeof want);
	return ok;
}

ssize_t tls_io_read(struct tls_stream *t, int fd, void *buf, size_t len)
{
	return t ? tls_stream_read(t, buf, len) : read(fd, buf, len);
}

ssize_t tls_io_write(struct tls_stream *t, int fd, const void *buf, size_t len)
{
	return t ? tls_stream_write(t, buf, len) : send(fd, buf, len, MSG_NOSIGNAL);
}

bool tls_join_secret_ok(struct tls_stream *t, const char *secret, const char *sent)
{
	if (t && strncmp(sent, TLS_PROOF_PREFIX, sizeof TLS_PROOF_PREFIX - 1) == 0)
		return tls_stream_proof_ok(t, secret, sent);
	return join_secret_equal(secret, sent);
}

bool tls_stream_peer_pin(struct tls_stream *t, char pin_hex[TLS_PIN_HEXLEN + 1])
{
	X509 *x = t ? SSL_get_peer_certificate(t->ssl) : NULL;
	bool ok = x && tls_cert_pin(x, pin_hex) == 0;
	X509_free(x);
	return ok;
}
