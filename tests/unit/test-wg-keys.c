/* WireGuard keys: X25519 from libcrypto against RFC 7748 section 6.1,
 * the strict base64 and hex forms, and the private key file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "wg.h"

static void from_hex(const char *h, uint8_t k[WG_KEY_LEN]) { wg_key_from_hex(h, strlen(h), k); }

int main(void)
{
	/* RFC 7748 6.1: Alice's and Bob's key pairs. */
	static const char *alice_priv = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const char *alice_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	static const char *bob_priv = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
	static const char *bob_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], want[WG_KEY_LEN], k2[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1], hex[WG_KEY_HEX_LEN + 1];
	char dir[] = "/tmp/test-wg-keys.XXXXXX", path[128];
	char *err = NULL;
	bool created;
	struct stat st;

	plan(29);

	from_hex(alice_priv, priv);
	from_hex(alice_pub, want);
	ok(wg_key_public(priv, pub) == 0 && memcmp(pub, want, WG_KEY_LEN) == 0,
	   "X25519 public key of RFC 7748 Alice");
	from_hex(bob_priv, priv);
	from_hex(bob_pub, want);
	ok(wg_key_public(priv, pub) == 0 && memcmp(pub, want, WG_KEY_LEN) == 0,
	   "X25519 public key of RFC 7748 Bob");

	/* base64 as wg(8) prints it (checked with `wg pubkey`). */
	from_hex(alice_priv, priv);
	wg_key_to_base64(priv, b64);
	is_str(b64, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", "base64 of a private key");
	from_hex(alice_pub, pub);
	wg_key_to_base64(pub, b64);
	is_str(b64, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=", "base64 of a public key");
	ok(wg_key_from_base64(b64, k2) == 0 && memcmp(k2, pub, WG_KEY_LEN) == 0, "base64 round trip");
	ok(wg_key_from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo", k2) < 0, "43 characters refused");
	ok(wg_key_from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo==", k2) < 0, "45 characters refused");
	ok(wg_key_from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp=", k2) < 0,
	   "non-canonical padding bits refused");
	ok(wg_key_from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Sp*qqbTmo=", k2) < 0, "bad character refused");
	ok(wg_key_from_base64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbT=o=", k2) < 0, "early '=' refused");
	ok(wg_key_from_base64("", k2) < 0 && wg_key_from_base64(NULL, k2) < 0, "empty and NULL refused");

	wg_key_to_hex(pub, hex);
	is_str(hex, alice_pub, "hex as the UAPI writes it (lowercase)");
	ok(wg_key_from_hex("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A", 64, k2) == 0 &&
		   memcmp(k2, pub, WG_KEY_LEN) == 0,
	   "uppercase hex accepted");
	ok(wg_key_from_hex(alice_pub, 63, k2) < 0, "63 hex digits refused");
	ok(wg_key_from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6g", 64, k2) < 0,
	   "non-hex digit refused");

	ok(wg_key_generate(priv) == 0, "key generated with EVP_PKEY_X25519");
	ok((priv[0] & 7) == 0 && (priv[31] & 0xc0) == 0x40, "generated key is clamped like wg genkey");
	ok(wg_key_generate(k2) == 0 && memcmp(priv, k2, WG_KEY_LEN) != 0, "two generated keys differ");
	ok(wg_key_public(priv, pub) == 0 && !wg_key_is_zero(pub), "public key derived from a generated key");

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/private.key", dir);
	ok(wg_key_load_or_create(dir, priv, &created, &err) == 0 && created, "key file created");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "key file is mode 0600");
	{
		FILE *f = fopen(path, "r");
		char line[64] = "";
		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = '\0';
			fclose(f);
		}
		ok(strlen(line) == 45 && line[44] == '\n' && wg_key_from_base64((line[44] = 0, line), k2) == 0 &&
			   memcmp(k2, priv, WG_KEY_LEN) == 0,
		   "key file holds the base64 key and a newline");
	}
	ok(wg_key_load_or_create(dir, k2, &created, &err) == 0 && !created && memcmp(k2, priv, WG_KEY_LEN) == 0,
	   "key file loaded again: same key, not regenerated");
	chmod(path, 0644);
	ok(wg_key_load_or_create(dir, k2, &created, &err) == 0 && stat(path, &st) == 0 &&
		   (st.st_mode & 0777) == 0600,
	   "a widened key file is narrowed back to 0600");
	{
		FILE *f = fopen(path, "w");
		if (f) {
			fputs("not a key\n", f);
			fclose(f);
		}
	}
	ok(wg_key_load_or_create(dir, k2, &created, &err) == -EINVAL && err && strstr(err, "base64"),
	   "corrupt key file refused with a message");
	if (err)
		diag("%s", err);
	free(err);
	err = NULL;
	ok(wg_key_load_or_create(NULL, k2, &created, &err) == -EINVAL && err, "no data dir refused");
	free(err);
	err = NULL;
	unlink(path);
	ok(wg_key_load_or_create("/nonexistent/dir", k2, &created, &err) < 0 && err,
	   "unwritable directory reported");
	free(err);
	rmdir(dir);
	ok(wg_key_is_zero((uint8_t[WG_KEY_LEN]){0}), "zero key detected");
	ok(!wg_key_is_zero(pub), "non-zero key");
	return done_testing();
}
