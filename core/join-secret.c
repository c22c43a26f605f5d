#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "join-secret.h"
#include "log.h"
#include "secure-file.h"
#include "util.h"

int join_secret_read(const char *path, char **secret, char **err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*secret = NULL;
	if (strcmp(path, "-") == 0) {
		/* Standard input: a pipe from a secrets manager, never argv. */
		path = "standard input";
		r = cc_read_file("/dev/stdin", JOIN_SECRET_MAX + 2, &text, &len);
	} else {
		/* Not through a symlink, not a file another user could have
		 * written: the secret decides who gets the Swarm tokens. */
		char *why = NULL;
		r = secure_file_read(path, JOIN_SECRET_MAX + 2, false, &text, &len, &why);
		if (r < 0 && r != -ENOENT) {
			*err = cc_strdupf("cannot use join secret %s: %s", path, why ? why : strerror(-r));
			free(why);
			return r;
		}
	}
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		*err = cc_strdupf("cannot read join secret %s: %s", path, strerror(-r));
		return r;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len < 16 || len > JOIN_SECRET_MAX) {
		*err = cc_strdupf("join secret in %s must be 16-256 characters on one line%s", path, "");
		free(text);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] <= ' ' || text[i] > '~') {
			*err = cc_strdupf("join secret in %s holds a space or control character%s", path, "");
			free(text);
			return -EINVAL;
		}
	}
	*secret = text;
	return 0;
}

int join_secret_ensure(const char *state_dir, char **secret, bool *created, char **err)
{
	struct cc_buf path = CC_BUF_INIT;
	struct stat st;
	char *fresh = NULL;
	int r;

	*created = false;
	cc_buf_printf(&path, "%s/%s", state_dir, JOIN_SECRET_FILE);
	if (path.oom)
		return -ENOMEM;
	r = join_secret_read(path.buf, secret, err);
	if (r == 0) {
		/* Kept as is, but never readable by others. */
		if (stat(path.buf, &st) == 0 && (st.st_mode & 077))
			chmod(path.buf, 0600);
		goto out;
	}
	if (r != -ENOENT)
		goto out;
	fresh = random_hex(32);
	if (!fresh) {
		r = -EIO;
		*err = cc_strdupf("cannot get random bytes for the join secret%s%s", "", "");
		goto out;
	}
	{
		size_t n = strlen(fresh);
		fresh[n] = '\n';
		r = cc_write_file_atomic(path.buf, fresh, n + 1, 0600);
		fresh[n] = '\0';
	}
	if (r < 0) {
		*err = cc_strdupf("cannot write join secret %s: %s", path.buf, strerror(-r));
		goto out;
	}
	*secret = fresh;
	fresh = NULL;
	*created = true;
out:
	free(fresh);
	cc_buf_free(&path);
	return r;
}

bool join_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	/* Walk the expected secret's length whatever the input, so timing
	 * tells nothing about where they differ. */
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
	return diff == 0;
}

int join_secret_find(const char *given, const char *file, const char *state_dir, const char *const names[],
		     char **secret, char **err)
{
	struct cc_buf path = CC_BUF_INIT;
	int r;

	*secret = NULL;
	*err = NULL;
	if (given && *given)
		return (*secret = strdup(given)) ? 0 : -ENOMEM;
	if (file && *file)
		return join_secret_read(file, secret, err);
	for (size_t i = 0; names[i]; i++) {
		cc_buf_free(&path);
		cc_buf_printf(&path, "%s/%s", state_dir, names[i]);
		if (path.oom)
			return -ENOMEM;
		if (!names[i + 1] || access(path.buf, F_OK) == 0)
			break;
	}
	r = path.len ? join_secret_read(path.buf, secret, err) : -ENOENT;
	if (r == -ENOENT) {
		log_debug("no join secret at %s; asking without one", path.len ? path.buf : state_dir);
		r = 0;
	}
	cc_buf_free(&path);
	return r;
}
