/* Test helper: the dev server (tools/scalekit-dev) as a child process. */
#include "dev_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json_tokener.h>

#define READY_PREFIX "scalekit-dev listening on "

int64_t tg_dev_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tg_dev_stop(tg_dev *dev)
{
    int status = 0, i, rc = -1;

    if (dev->pid > 0) {
        kill(dev->pid, SIGTERM);
        for (i = 0; i < 500; i++) { /* 5 s, then SIGKILL */
            pid_t r = waitpid(dev->pid, &status, WNOHANG);
            if (r == dev->pid || r < 0)
                break;
            usleep(10000);
        }
        if (i == 500) {
            fprintf(stderr, "scalekit-dev did not stop on SIGTERM within 5 s: killed\n");
            kill(dev->pid, SIGKILL);
            waitpid(dev->pid, &status, 0);
        } else if (WIFEXITED(status)) {
            rc = WEXITSTATUS(status);
        }
    }
    dev->pid = 0;
    if (dev->out_fd >= 0)
        close(dev->out_fd);
    dev->out_fd = -1;
    return rc;
}

int tg_dev_start(tg_dev *dev, const char *exe, const char *client_id, const char *client_secret)
{
    char line[256];
    size_t n = 0;
    int fds[2];
    pid_t pid;
    int64_t deadline = tg_dev_now_ms() + 10000;

    dev->pid = 0;
    dev->out_fd = -1;
    dev->url[0] = '\0';
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* Killed with the test process, however that ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(exe, exe, "--port", "0", "--client-id", client_id, "--client-secret",
              client_secret, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    dev->pid = pid;
    dev->out_fd = fds[0];
    while (n + 1 < sizeof line) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        int64_t left = deadline - tg_dev_now_ms();
        ssize_t r;
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        r = read(fds[0], line + n, 1);
        if (r <= 0)
            break;
        if (line[n] != '\n') {
            n++;
            continue;
        }
        line[n] = '\0';
        if (strncmp(line, READY_PREFIX, sizeof READY_PREFIX - 1) == 0 &&
            strlen(line + sizeof READY_PREFIX - 1) < sizeof dev->url) {
            strcpy(dev->url, line + sizeof READY_PREFIX - 1);
            return 0;
        }
        n = 0;
    }
    fprintf(stderr, "scalekit-dev (%s) did not print its ready line\n", exe);
    tg_dev_stop(dev);
    return -1;
}

typedef struct tg_dev_buf {
    char *data;
    size_t len;
} tg_dev_buf;

static size_t tg_dev_write(char *p, size_t size, size_t n, void *u)
{
    tg_dev_buf *b = u;
    char *d = realloc(b->data, b->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, size * n);
    b->data = d;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

long tg_dev_http(const char *method, const char *url, const char *body, char **out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    tg_dev_buf b = { NULL, 0 };
    long status = 0;

    if (out)
        *out = NULL;
    if (!c)
        return 0;
    h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tg_dev_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (out)
        *out = b.data;
    else
        free(b.data);
    return status;
}

long tg_dev_post(const tg_dev *dev, const char *path, const char *body)
{
    char url[512];
    char *out = NULL;
    long st;

    snprintf(url, sizeof url, "%s%s", dev->url, path);
    st = tg_dev_http("POST", url, body, &out);
    if (st != 200)
        fprintf(stderr, "POST %s %s: HTTP %ld %s\n", path, body ? body : "", st,
                out ? out : "");
    free(out);
    return st;
}

long tg_dev_set_account(const tg_dev *dev, const char *connector, const char *identifier,
                        const char *status)
{
    json_object *o = json_object_new_object();
    long st;

    json_object_object_add(o, "connector", json_object_new_string(connector));
    json_object_object_add(o, "identifier", json_object_new_string(identifier));
    json_object_object_add(o, "status", json_object_new_string(status));
    st = tg_dev_post(dev, "/_dev/accounts", json_object_to_json_string(o));
    json_object_put(o);
    return st;
}

json_object *tg_dev_stats(const tg_dev *dev)
{
    char url[512];
    char *out = NULL;
    json_object *root = NULL;

    snprintf(url, sizeof url, "%s/_dev/stats", dev->url);
    if (tg_dev_http("GET", url, NULL, &out) == 200 && out)
        root = json_tokener_parse(out);
    free(out);
    return root;
}

json_object *tg_dev_tokens(const tg_dev *dev)
{
    char url[512];
    char *out = NULL;
    json_object *root = NULL, *list = NULL;

    snprintf(url, sizeof url, "%s/_dev/tokens", dev->url);
    if (tg_dev_http("GET", url, NULL, &out) == 200 && out)
        root = json_tokener_parse(out);
    free(out);
    if (root && json_object_object_get_ex(root, "access_tokens", &list) &&
        json_object_is_type(list, json_type_array))
        json_object_get(list);
    else
        list = NULL;
    json_object_put(root);
    return list;
}

long long tg_dev_stat(const tg_dev *dev, const char *field, const char *sub)
{
    json_object *root = tg_dev_stats(dev), *v, *w;
    long long n = 0;

    if (!root)
        return -1;
    if (json_object_object_get_ex(root, field, &v)) {
        if (!sub)
            n = json_object_get_int64(v);
        else if (json_object_object_get_ex(v, sub, &w))
            n = json_object_get_int64(w);
    }
    json_object_put(root);
    return n;
}

int tg_dev_closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}
