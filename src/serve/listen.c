/* Where the server listens: --listen HOST:PORT (an IPv4 or [IPv6] literal,
 * or localhost, which is 127.0.0.1 and never looked up) or --unix PATH (a
 * socket file created mode 0600). The socket is made here and handed to
 * libmicrohttpd, so port 0 and the address actually bound are known. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "server.h"

#define SERVE_BACKLOG 511

typedef struct serve_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    int loopback;
} serve_addr;

/* Parse "HOST:PORT" into @p a. 0, or -1 after one line on stderr. */
static int serve_parse_listen(const char *spec, serve_addr *a)
{
    char host[64];
    const char *colon, *port_text;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
    unsigned long port = 0;
    size_t host_len, i;

    memset(a, 0, sizeof *a);
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':') {
            cli_error("serve: --listen must be HOST:PORT or [IPv6]:PORT, not \"%s\"", spec);
            return -1;
        }
        host_len = (size_t)(close - spec - 1);
        colon = close + 1;
        if (host_len == 0 || host_len >= sizeof host) {
            cli_error("serve: --listen: bad IPv6 address in \"%s\"", spec);
            return -1;
        }
        memcpy(host, spec + 1, host_len);
    } else {
        colon = strrchr(spec, ':');
        if (!colon || colon == spec || strchr(spec, ':') != colon) {
            cli_error("serve: --listen must be HOST:PORT (e.g. 127.0.0.1:8777), not \"%s\"",
                        spec);
            return -1;
        }
        host_len = (size_t)(colon - spec);
        if (host_len >= sizeof host) {
            cli_error("serve: --listen: the host of \"%s\" is too long", spec);
            return -1;
        }
        memcpy(host, spec, host_len);
    }
    host[host_len] = '\0';
    port_text = colon + 1;
    for (i = 0; port_text[i]; i++) {
        if (port_text[i] < '0' || port_text[i] > '9' || i >= 5)
            break;
        port = port * 10 + (unsigned long)(port_text[i] - '0');
    }
    if (i == 0 || port_text[i] || port > 65535) {
        cli_error("serve: --listen: the port must be 0 to 65535 (0 picks a free one), in "
                    "\"%s\"",
                    spec);
        return -1;
    }

    if (spec[0] == '[') {
        if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) {
            cli_error("serve: --listen: \"%s\" is not an IPv6 address", host);
            return -1;
        }
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        a->len = sizeof *v6;
        a->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return 0;
    }
    if (strcmp(host, "localhost") == 0) {
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never resolved */
    } else if (inet_pton(AF_INET, host, &v4->sin_addr) != 1) {
        cli_error("serve: --listen: the host must be an IPv4 address, [IPv6] or localhost, "
                    "not \"%s\"",
                    host);
        return -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    a->len = sizeof *v4;
    a->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

int serve_check_listen(const char *spec, int *loopback)
{
    serve_addr a;

    if (serve_parse_listen(spec, &a) != 0)
        return -1;
    *loopback = a.loopback;
    return 0;
}

static int serve_listen_tcp(const char *spec, char *url, size_t url_len, int *exit_code)
{
    serve_addr a;
    char host[INET6_ADDRSTRLEN];
    int fd, one = 1;

    if (serve_parse_listen(spec, &a) != 0) {
        *exit_code = SERVE_EXIT_USAGE;
        return -1;
    }
    *exit_code = SERVE_EXIT_FAILURE;
    fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cli_error("serve: cannot make a socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a.ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a.ss, a.len) != 0 || listen(fd, SERVE_BACKLOG) != 0) {
        cli_error("serve: cannot listen on %s: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    a.len = sizeof a.ss;
    if (getsockname(fd, (struct sockaddr *)&a.ss, &a.len) != 0) {
        cli_error("serve: cannot read the address bound: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (a.ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a.ss;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(url, url_len, "http://[%s]:%u", host, (unsigned)ntohs(v6->sin6_port));
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&a.ss;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(url, url_len, "http://%s:%u", host, (unsigned)ntohs(v4->sin_port));
    }
    return fd;
}

/* Something at @p path already: a socket nobody listens on is left over
 * from a server that died, and is removed; anything else is refused. 0 when
 * the path is free now, else -1 after one line on stderr. */
static int serve_clear_unix_path(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    int probe, in_use;

    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        cli_error("serve: --unix %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        cli_error("serve: --unix %s: the path exists and is not a socket", path);
        return -1;
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        cli_error("serve: cannot make a socket: %s", strerror(errno));
        return -1;
    }
    in_use = connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno != ECONNREFUSED;
    close(probe);
    if (in_use) {
        cli_error("serve: --unix %s: another server is listening there", path);
        return -1;
    }
    if (unlink(path) != 0) {
        cli_error("serve: --unix %s: cannot remove the old socket: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int serve_listen_unix(const char *path, char *url, size_t url_len, int *exit_code)
{
    struct sockaddr_un sa;
    mode_t old_mask;
    int fd, rc;

    memset(&sa, 0, sizeof sa);
    if (path[0] == '\0' || strlen(path) >= sizeof sa.sun_path) {
        cli_error("serve: --unix needs a path of 1 to %zu bytes", sizeof sa.sun_path - 1);
        *exit_code = SERVE_EXIT_USAGE;
        return -1;
    }
    *exit_code = SERVE_EXIT_FAILURE;
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (serve_clear_unix_path(path, &sa) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cli_error("serve: cannot make a socket: %s", strerror(errno));
        return -1;
    }
    /* Created 0600 from the start: no moment when others may connect. */
    old_mask = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old_mask);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, SERVE_BACKLOG) != 0) {
        cli_error("serve: cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        if (rc == 0)
            unlink(path);
        return -1;
    }
    snprintf(url, url_len, "unix:%s", path);
    return fd;
}

int serve_listen(const serve_options *opts, char *url, size_t url_len, int *exit_code)
{
    if (opts->unix_path)
        return serve_listen_unix(opts->unix_path, url, url_len, exit_code);
    return serve_listen_tcp(opts->listen ? opts->listen : SERVE_DEFAULT_LISTEN, url, url_len,
                            exit_code);
}

void serve_unlisten(const serve_options *opts)
{
    if (opts->unix_path)
        unlink(opts->unix_path);
}
