/* The encrypted, pinned controller channel (issue 11, item 1): the
 * controller's key and certificate on disk, the join token that pins
 * the key, and the one client against a TLS server built from the
 * controller's own pieces (core/tls.c): the right key is trusted and
 * gets a proof of the secret, never the secret; another key is refused
 * before a byte of the request is sent. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-buf.h"
#include "ctl-client.h"
#include "join-secret.h"
#include "join-token.h"
#include "secure-file.h"
#include "tls.h"

#define SECRET "0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/clusterctl-tls-XXXXXX";

static char *path_of(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void test_identity(void)
{
	char pin[TLS_PIN_HEXLEN + 1], pin2[TLS_PIN_HEXLEN + 1], local[TLS_PIN_HEXLEN + 1], *err = NULL;
	bool created = false;
	struct stat st;

	ok(tls_identity_ensure(dir, pin, &created, &err) == 0 && created, "a missing key and certificate are made");
	ok(stat(path_of(TLS_KEY_FILE), &st) == 0 && (st.st_mode & 0777) == 0600, "the key is mode 0600");
	ok(stat(path_of(TLS_CERT_FILE), &st) == 0 && (st.st_mode & 0777) == 0644, "the certificate is mode 0644");
	is_int(strlen(pin), 64, "the pin is 64 hex digits");
	ok(tls_identity_ensure(dir, pin2, &created, &err) == 0 && !created, "existing ones are kept");
	is_str(pin2, pin, "and pin the same key");
	ok(tls_local_pin(dir, local) == 0, "the certificate's pin can be read on the master");
	is_str(local, pin, "and is the key's pin");
	unlink(path_of(TLS_CERT_FILE));
	ok(tls_identity_ensure(dir, pin2, &created, &err) == 0 && created, "a lost certificate is made again");
	is_str(pin2, pin, "for the same key: the pin nodes hold stays valid");

	chmod(path_of(TLS_KEY_FILE), 0640);
	ok(tls_identity_ensure(dir, pin2, &created, &err) == -EPERM, "a key readable by its group is refused");
	{
		char want[512];
		snprintf(want, sizeof want, "%s is readable by group or others (mode 640); chmod 600 it",
			 path_of(TLS_KEY_FILE));
		is_str(err, want, "naming the mode and the fix");
	}
	free(err);
	err = NULL;
	chmod(path_of(TLS_KEY_FILE), 0600);
}

static void test_secure_file(void)
{
	char *out = NULL, *err = NULL, want[512];
	size_t len;
	int fd;

	fd = open(path_of("target"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "x", 1) == 1, "a file to point at");
	close(fd);
	symlink(path_of("target"), path_of("link"));
	is_int(secure_file_read(path_of("link"), 100, true, &out, &len, &err), -ELOOP, "a symlink is not followed");
	snprintf(want, sizeof want, "%s is a symbolic link; refusing to follow it (replace it with the file itself)",
		 path_of("link"));
	is_str(err, want, "and the message says so");
	free(err);
	err = NULL;
	chmod(path_of("target"), 0620);
	is_int(secure_file_read(path_of("target"), 100, false, &out, &len, &err), -EPERM,
	       "a group-writable file is refused");
	snprintf(want, sizeof want, "%s is writable by group or others (mode 620); chmod go-w it", path_of("target"));
	is_str(err, want, "naming the mode and the fix");
	free(err);
	err = NULL;
	chmod(path_of("target"), 0644);
	is_int(secure_file_read(path_of("target"), 100, true, &out, &len, &err), -EPERM,
	       "a secret readable by others is refused");
	snprintf(want, sizeof want, "%s is readable by group or others (mode 644); chmod 600 it", path_of("target"));
	is_str(err, want, "naming the mode and the fix");
	free(err);
	err = NULL;
	chmod(path_of("target"), 0600);
	ok(secure_file_read(path_of("target"), 100, true, &out, &len, &err) == 0 && len == 1, "a safe file is read");
	free(out);
	is_int(secure_file_read(path_of("missing"), 100, true, &out, &len, &err), -ENOENT,
	       "a missing file is -ENOENT");
	ok(err == NULL, "without a message (the caller knows what it means)");
	unlink(path_of("link"));
	unlink(path_of("target"));
}

static void test_token(void)
{
	char pin[TLS_PIN_HEXLEN + 1], *tok = NULL, *err = NULL, *text = NULL;
	struct join_token t;
	bool created, repinned;

	memset(pin, 'a', 64);
	pin[64] = '\0';
	ok(join_token_parse(SECRET, &t, &err) == 0 && !*t.pin, "a bare secret has no pin");
	is_str(t.secret, SECRET, "and is the secret");
	join_token_free(&t);
	tok = join_token_format(pin, SECRET);
	is_str(tok, "CCTL1-" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "-" SECRET,
	       "a token is CCTL1-<pin>-<secret>");
	ok(join_token_parse(tok, &t, &err) == 0, "it parses back");
	is_str(t.pin, pin, "to its pin");
	is_str(t.secret, SECRET, "and its secret");
	join_token_free(&t);
	free(tok);

	is_int(join_token_parse("CCTL1-XYZ-" SECRET, &t, &err), -EINVAL, "a pin that is not hex is refused");
	is_str(err,
	       "the join token's pin (after CCTL1-) must be 64 lower-case hex digits; copy the whole token that "
	       "'clusterctl master init' printed",
	       "with a message saying what to copy");
	free(err);
	err = NULL;
	is_int(join_token_parse("CCTL1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-short", &t, &err),
	       -EINVAL, "a token with a short secret is refused");
	is_str(err,
	       "the join token must be CCTL1-<64 hex digits>-<secret of 16 or more characters>; copy the whole "
	       "token that 'clusterctl master init' printed",
	       "with its shape in the message");
	free(err);
	err = NULL;

	/* master init: a bare secret on disk becomes the token for the key. */
	{
		int fd = open(path_of(JOIN_SECRET_FILE), O_CREAT | O_WRONLY | O_TRUNC, 0600);
		ok(fd >= 0 && write(fd, SECRET "\n", sizeof SECRET) == (ssize_t)sizeof SECRET, "a bare secret on disk");
		close(fd);
	}
	ok(join_token_ensure(dir, JOIN_SECRET_FILE, pin, &tok, &created, &repinned, &err) == 0 && !created && repinned,
	   "master init rewrites it as the token for this key");
	ok(tok && strncmp(tok, "CCTL1-", 6) == 0 && strstr(tok, SECRET), "keeping the secret");
	ok(join_secret_read(path_of(JOIN_SECRET_FILE), &text, &err) == 0 && text && strcmp(text, tok) == 0,
	   "the file holds the token");
	free(text);
	free(tok);
	ok(join_token_ensure(dir, JOIN_SECRET_FILE, pin, &tok, &created, &repinned, &err) == 0 && !created && !repinned,
	   "a token for this key is kept as it is");
	free(tok);
	unlink(path_of(JOIN_SECRET_FILE));
}

/* A TLS server from the controller's own pieces: it reads one request,
 * answers "ready" when its JoinSecret proves SECRET (and "error" when
 * not), and exits with the number of request bytes it got (capped). */
static pid_t serve_tls(const char *keydir, char addr[32])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	snprintf(addr, 32, "127.0.0.1:%u", ntohs(sa.sin_port));
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	{
		struct tls_server *s = NULL;
		struct tls_stream *t;
		char req[8192], *err = NULL;
		size_t got = 0;
		bool created;
		int fd;

		signal(SIGPIPE, SIG_IGN);
		if (tls_server_new(keydir, &s, &created, &err) < 0)
			_exit(255);
		fd = accept(lfd, NULL, NULL);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		t = tls_stream_new(s, fd);
		while (got < sizeof req - 1) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			ssize_t n = tls_stream_read(t, req + got, sizeof req - 1 - got);
			if (n > 0) {
				got += (size_t)n;
				if (memchr(req, '\n', got))
					break;
				continue;
			}
			if (n == 0 || errno != EAGAIN)
				break;
			if (tls_stream_wants_write(t))
				p.events = POLLOUT;
			if (poll(&p, 1, 5000) <= 0)
				break;
		}
		req[got] = '\0';
		if (got) {
			char *js = strstr(req, "\"JoinSecret\":\""), proof[TLS_PROOF_LEN + 1] = "";
			const char *ans;
			if (js)
				snprintf(proof, sizeof proof, "%s", js + 14);
			ans = tls_join_secret_ok(t, SECRET, proof) && !strstr(req, SECRET)
				      ? "{\"Status\":\"ready\"}\n"
				      : "{\"Status\":\"error\",\"Error\":\"no proof\"}\n";
			for (size_t off = 0; off < strlen(ans);) {
				ssize_t n = tls_stream_write(t, ans + off, strlen(ans) - off);
				if (n > 0)
					off += (size_t)n;
				else if (errno == EAGAIN)
					poll(&(struct pollfd){.fd = fd, .events = POLLOUT}, 1, 1000);
				else
					break;
			}
		}
		tls_stream_free(t);
		close(fd);
		tls_server_free(s);
		_exit(got > 250 ? 250 : (int)got);
	}
}

static int reap(pid_t pid)
{
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_channel(void)
{
	char pin[TLS_PIN_HEXLEN + 1], other[TLS_PIN_HEXLEN + 1], addr[32], *tok, *req, *reply = NULL, *err = NULL;
	char want[600];
	bool created;
	size_t len;
	pid_t pid;
	int r;

	tls_identity_ensure(dir, pin, &created, &err);
	tok = join_token_format(pin, SECRET);
	req = cc_strdupf("{\"Query\":\"status\",\"JoinSecret\":\"%s\"}\n", tok);

	pid = serve_tls(dir, addr);
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	is_int(r, 0, "the client trusts the controller whose key the token pins");
	is_str(reply, "{\"Status\":\"ready\"}\n",
	       "and proves the secret with an HMAC bound to the connection, never sending the secret itself");
	ok(reap(pid) > 0, "the server got the request");
	free(reply);
	reply = NULL;

	/* A second exchange resumes the first session (the agent's
	 * heartbeats); the proof is bound to the new connection all the same. */
	pid = serve_tls(dir, addr);
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	is_str(reply, "{\"Status\":\"ready\"}\n", "a second exchange is proved the same way");
	reap(pid);
	free(reply);
	reply = NULL;

	/* Another controller, with a key of its own. */
	{
		char odir[] = "/tmp/clusterctl-tls-other-XXXXXX";
		ok(mkdtemp(odir) != NULL, "a second key dir");
		tls_identity_ensure(odir, other, &created, &err);
		pid = serve_tls(odir, addr);
		r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
		is_int(r, -EKEYREJECTED, "a controller with another key is refused");
		snprintf(want, sizeof want,
			 "the controller at %s presented TLS key sha256:%s, but the join token pins sha256:%s: this is "
			 "not the cluster's controller (or it was re-initialised with a new key; get the new token "
			 "from 'clusterctl master init'). Nothing was sent to it",
			 addr, other, pin);
		is_str(err, want, "with a message naming both keys");
		is_int(reap(pid), 0, "and it got not one byte of the request");
		free(err);
		err = NULL;
		{
			char p[300];
			snprintf(p, sizeof p, "%s/%s", odir, TLS_KEY_FILE);
			unlink(p);
			snprintf(p, sizeof p, "%s/%s", odir, TLS_CERT_FILE);
			unlink(p);
		}
		rmdir(odir);
	}

	/* Without a pin there is nobody to trust. */
	free(req);
	req = cc_strdupf("{\"Query\":\"status\",\"JoinSecret\":\"%s\"}\n", SECRET);
	r = ctl_exchange("127.0.0.1:9", req, 2000, &reply, &len, &err);
	is_int(r, -EKEYREJECTED, "a bare secret without a pin is refused before connecting");
	is_str(err,
	       "no pin for the controller at 127.0.0.1:9: give the join token that 'clusterctl master init' printed "
	       "(CCTL1-...) in --join-secret-file or CLUSTERCTL_JOIN_SECRET, or run both sides with "
	       "--insecure-plaintext",
	       "saying where the pin comes from");
	free(err);
	err = NULL;
	ctl_client_set_fallback_pin(pin);
	pid = serve_tls(dir, addr);
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	is_str(reply, "{\"Status\":\"ready\"}\n", "on the master, the local key's pin is the fallback");
	reap(pid);
	free(reply);
	reply = NULL;

	/* A plain-TCP client to a TLS controller. */
	ctl_client_set_plaintext(true);
	pid = serve_tls(dir, addr);
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	ok(r == -EPROTO || r == -ECONNRESET, "plain TCP to a TLS controller gets no answer (%d)", r);
	snprintf(want, sizeof want,
		 "the controller at %s closed the connection without an answer (a controller speaking TLS, the "
		 "default, does that to a plain-TCP request: drop --insecure-plaintext here, or start the "
		 "controller with it too)",
		 addr);
	is_str(err, want, "and the message says what to change");
	reap(pid);
	free(err);
	free(req);
	free(tok);
	unlink(path_of(TLS_KEY_FILE));
	unlink(path_of(TLS_CERT_FILE));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	test_identity();
	test_secure_file();
	test_token();
	test_channel();
	unlink(path_of(TLS_KEY_FILE));
	unlink(path_of(TLS_CERT_FILE));
	rmdir(dir);
	return done_testing();
}
