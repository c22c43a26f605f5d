/* WireGuard keys: X25519 through OpenSSL's EVP_PKEY_X25519, the base64
 * form wg(8) and our JSON use, the hex form of the UAPI, and the private
 * key file, which never leaves the node. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "wg.h"

#define KEY_FILE "private.key"

void wg_key_wipe(void *p, size_t n) { OPENSSL_cleanse(p, n); }

int wg_key_generate(uint8_t priv[WG_KEY_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *pkey = NULL;
	size_t len = WG_KEY_LEN;
	int r = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0)
		goto out;
	if (EVP_PKEY_get_raw_private_key(pkey, priv, &len) <= 0 || len != WG_KEY_LEN)
		goto out;
	/* Store the key clamped, as wg genkey does; X25519 clamps on use
	 * anyway, so the public key is the same either way. */
	priv[0] &= 248;
	priv[31] = (uint8_t)((priv[31] & 127) | 64);
	r = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	size_t len = WG_KEY_LEN;
	int r = 0;

	if (!pkey) {
		ERR_clear_error();
		return -EINVAL;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) <= 0 || len != WG_KEY_LEN)
		r = -EIO;
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return r;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void wg_key_to_base64(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_B64_LEN + 1])
{
	size_t o = 0;
	for (size_t i = 0; i < WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		if (i + 1 < WG_KEY_LEN)
			v |= (uint32_t)key[i + 1] << 8;
		if (i + 2 < WG_KEY_LEN)
			v |= key[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < WG_KEY_LEN ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < WG_KEY_LEN ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN])
{
	uint8_t k[WG_KEY_LEN];
	size_t o = 0;

	if (!s || strlen(s) != WG_KEY_B64_LEN || s[43] != '=')
		return -EINVAL;
	for (size_t i = 0; i < 40; i += 4) {
		int a = b64_val(s[i]), b = b64_val(s[i + 1]), c = b64_val(s[i + 2]), d = b64_val(s[i + 3]);
		uint32_t v;
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -EINVAL;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		k[o++] = (uint8_t)(v >> 16);
		k[o++] = (uint8_t)(v >> 8);
		k[o++] = (uint8_t)v;
	}
	{
		/* The last group: three characters for two bytes; the low two
		 * bits of the third must be zero in the canonical encoding. */
		int a = b64_val(s[40]), b = b64_val(s[41]), c = b64_val(s[42]);
		uint32_t v;
		if (a < 0 || b < 0 || c < 0 || (c & 3))
			return -EINVAL;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		k[o++] = (uint8_t)(v >> 16);
		k[o++] = (uint8_t)(v >> 8);
	}
	memcpy(key, k, WG_KEY_LEN);
	wg_key_wipe(k, sizeof k);
	return 0;
}

void wg_key_to_hex(const uint8_t key[WG_KEY_LEN], char out[WG_KEY_HEX_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[WG_KEY_HEX_LEN] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wg_key_from_hex(const char *s, size_t len, uint8_t key[WG_KEY_LEN])
{
	uint8_t k[WG_KEY_LEN];
	if (!s || len != WG_KEY_HEX_LEN)
		return -EINVAL;
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		int h = hex_val(s[2 * i]), l = hex_val(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		k[i] = (uint8_t)(h << 4 | l);
	}
	memcpy(key, k, WG_KEY_LEN);
	wg_key_wipe(k, sizeof k);
	return 0;
}

bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	uint8_t acc = 0;
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

static char *msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *msg(const char *fmt, ...)
{
	struct cc_buf b = CC_BUF_INIT;
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	cc_buf_puts(&b, tmp);
	return cc_buf_detach(&b);
}

int wg_key_load_or_create(const char *dir, uint8_t priv[WG_KEY_LEN], bool *created, char **err)
{
	struct cc_buf path = CC_BUF_INIT;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	*created = false;
	*err = NULL;
	if (!dir) {
		*err = msg("no plugin data directory (node-state-dir unset?)");
		return -EINVAL;
	}
	cc_buf_printf(&path, "%s/%s", dir, KEY_FILE);
	if (path.oom)
		return -ENOMEM;
	r = cc_read_file(path.buf, 256, &text, &len);
	if (r == -ENOENT) {
		char b[WG_KEY_B64_LEN + 2];
		r = wg_key_generate(priv);
		if (r < 0) {
			*err = msg("cannot generate an X25519 key with libcrypto");
			goto out;
		}
		wg_key_to_base64(priv, b);
		b[WG_KEY_B64_LEN] = '\n';
		b[WG_KEY_B64_LEN + 1] = '\0';
		r = cc_write_file_atomic(path.buf, b, WG_KEY_B64_LEN + 1, 0600);
		wg_key_wipe(b, sizeof b);
		if (r < 0) {
			*err = msg("cannot write %s: %s", path.buf, strerror(-r));
			goto out;
		}
		*created = true;
		goto out;
	}
	if (r < 0) {
		*err = msg("cannot read %s: %s", path.buf, strerror(-r));
		goto out;
	}
	if (stat(path.buf, &st) == 0 && (st.st_mode & 077)) {
		/* Someone widened it: narrow it again, the key is only ours. */
		if (chmod(path.buf, 0600) < 0) {
			r = -errno;
			*err = msg("%s is readable by others and chmod 0600 failed: %s", path.buf,
				   strerror(errno));
			goto out;
		}
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (wg_key_from_base64(text, priv) < 0) {
		*err = msg("%s does not hold a base64 WireGuard key (44 characters); move it away to "
			   "generate a new one",
			   path.buf);
		r = -EINVAL;
	}
out:
	if (text) {
		wg_key_wipe(text, len);
		free(text);
	}
	cc_buf_free(&path);
	return r;
}
