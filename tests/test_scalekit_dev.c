/* The Scalekit dev server (tools/scalekit-dev) over real loopback HTTP:
 * every route and its shapes, auth failures, 400s, the magic link, the admin
 * API with each fault, keep-alive, concurrency and a clean stop.
 *
 * The server runs as a child process started on port 0; its port comes from
 * the ready line. It is always stopped: by the last test (which checks the
 * exit status), by the group teardown, at exit, and by PR_SET_PDEATHSIG if
 * this process dies. Set SCALEKIT_DEV_WRAPPER (e.g. "valgrind -q
 * --error-exitcode=99 --leak-check=full") to run every server under a tool. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#ifndef TG_SCALEKIT_DEV_PATH
#error "TG_SCALEKIT_DEV_PATH must name the scalekit-dev binary"
#endif

#define READY_PREFIX "scalekit-dev listening on http://127.0.0.1:"
#define ERR_TYPE "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo"

/* Generous: the server may run under valgrind. */
static int start_timeout_ms = 10000;
static long request_timeout_ms = 20000;

/* ---- the server process --------------------------------------------------- */

struct server {
  pid_t pid;
  int out_fd;          /* its stdout, after the ready line */
  unsigned port;
  char base[64];
};

static struct server main_server = {.pid = -1, .out_fd = -1};
static char state_path[] = "/tmp/tg_scalekit_dev_state_XXXXXX";
static char token[256];

/* Every server started and not yet reaped, for the exit handler. */
static pid_t live_pids[8];

static void remember_pid(pid_t pid)
{
  for (size_t i = 0; i < sizeof live_pids / sizeof live_pids[0]; i++)
    if (live_pids[i] == 0) {
      live_pids[i] = pid;
      return;
    }
}

static void forget_pid(pid_t pid)
{
  for (size_t i = 0; i < sizeof live_pids / sizeof live_pids[0]; i++)
    if (live_pids[i] == pid)
      live_pids[i] = 0;
}

static void kill_leftovers(void)
{
  for (size_t i = 0; i < sizeof live_pids / sizeof live_pids[0]; i++)
    if (live_pids[i] > 0) {
      kill(live_pids[i], SIGKILL);
      waitpid(live_pids[i], NULL, 0);
      live_pids[i] = 0;
    }
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* argv for the child: the wrapper's words, the binary, then args. */
static char **child_argv(const char *const *args)
{
  static char wrapper[512];
  char **argv = calloc(64, sizeof *argv);
  size_t n = 0;
  const char *w = getenv("SCALEKIT_DEV_WRAPPER");
  if (w != NULL && *w != '\0') {
    snprintf(wrapper, sizeof wrapper, "%s", w);
    for (char *save = NULL, *t = strtok_r(wrapper, " ", &save); t && n < 40;
         t = strtok_r(NULL, " ", &save))
      argv[n++] = t;
  }
  argv[n++] = (char *)TG_SCALEKIT_DEV_PATH;
  for (size_t i = 0; args[i] != NULL && n < 63; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
  return argv;
}

/* Start the binary with args; out_fd/err_fd receive its stdout/stderr
 * pipes (NULL: inherit). Returns the pid or -1. */
static pid_t spawn(const char *const *args, int *out_fd, int *err_fd)
{
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if ((out_fd && pipe(out) != 0) || (err_fd && pipe(err) != 0))
    return -1;
  char **argv = child_argv(args);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (out_fd) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
    }
    if (err_fd) {
      dup2(err[1], STDERR_FILENO);
      close(err[0]);
      close(err[1]);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  free(argv);
  if (out_fd) {
    close(out[1]);
    *out_fd = out[0];
  }
  if (err_fd) {
    close(err[1]);
    *err_fd = err[0];
  }
  if (pid > 0)
    remember_pid(pid);
  return pid;
}

/* Read from fd until it closes or timeout_ms pass. */
static size_t read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
  size_t n = 0;
  long long deadline = now_ms() + timeout_ms;
  while (n + 1 < cap) {
    long long left = deadline - now_ms();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t got = read(fd, buf + n, cap - 1 - n);
    if (got <= 0)
      break;
    n += (size_t)got;
  }
  buf[n] = '\0';
  return n;
}

/* Wait for pid to end, up to timeout_ms (then SIGKILL). Returns the wait
 * status, or -1 if it had to be killed. */
static int reap(pid_t pid, int timeout_ms)
{
  int status = 0;
  long long deadline = now_ms() + timeout_ms;
  while (now_ms() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      forget_pid(pid);
      return status;
    }
    if (r < 0 && errno != EINTR)
      break;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  forget_pid(pid);
  return -1;
}

/* Start a server and read its ready line. Returns 0 or -1. */
static int server_start(struct server *s, const char *const *extra)
{
  const char *args[24] = {"--port", "0"};
  size_t n = 2;
  for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  s->pid = spawn(args, &s->out_fd, NULL);
  if (s->pid < 0)
    return -1;
  char line[256];
  size_t got = 0;
  long long deadline = now_ms() + start_timeout_ms;
  while (got + 1 < sizeof line && memchr(line, '\n', got) == NULL) {
    long long left = deadline - now_ms();
    struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    /* One byte at a time: nothing after the line is consumed. */
    if (read(s->out_fd, line + got, 1) != 1)
      break;
    got++;
  }
  line[got] = '\0';
  unsigned port = 0;
  char nl = 0;
  if (strncmp(line, READY_PREFIX, strlen(READY_PREFIX)) != 0 ||
      sscanf(line + strlen(READY_PREFIX), "%u%c", &port, &nl) != 2 || nl != '\n' ||
      port == 0 || port > 65535) {
    fprintf(stderr, "bad ready line: \"%s\"\n", line);
    kill(s->pid, SIGKILL);
    reap(s->pid, 5000);
    s->pid = -1;
    return -1;
  }
  s->port = port;
  snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", port);
  return 0;
}

/* Send sig, wait, and return the exit status (-1 if it did not exit by
 * itself). Also checks that nothing followed the ready line on stdout. */
static int server_stop(struct server *s, int sig)
{
  if (s->pid <= 0)
    return -1;
  kill(s->pid, sig);
  int status = reap(s->pid, 30000);
  s->pid = -1;
  if (s->out_fd >= 0) {
    char rest[256];
    size_t n = read_all(s->out_fd, rest, sizeof rest, 1000);
    close(s->out_fd);
    s->out_fd = -1;
    if (n != 0) {
      fprintf(stderr, "unexpected output after the ready line: %s\n", rest);
      return -1;
    }
  }
  if (status == -1 || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

/* ---- HTTP ------------------------------------------------------------------- */

struct resp {
  CURLcode rc;
  long status;
  char *body;
  size_t len;
  char headers[4096];
  size_t hlen;
  long long ms;
  json_object *json;   /* parsed body, NULL when not JSON */
};

static size_t on_body(char *data, size_t size, size_t n, void *cls)
{
  struct resp *r = cls;
  size_t add = size * n;
  char *bigger = realloc(r->body, r->len + add + 1);
  if (bigger == NULL)
    return 0;
  r->body = bigger;
  memcpy(r->body + r->len, data, add);
  r->len += add;
  r->body[r->len] = '\0';
  return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *cls)
{
  struct resp *r = cls;
  size_t add = size * n;
  size_t room = sizeof r->headers - 1 - r->hlen;
  size_t copy = add < room ? add : room;
  memcpy(r->headers + r->hlen, data, copy);
  r->hlen += copy;
  r->headers[r->hlen] = '\0';
  return add;
}

static void resp_free(struct resp *r)
{
  free(r->body);
  json_object_put(r->json);
  memset(r, 0, sizeof *r);
}

struct req {
  const char *method;      /* default GET, or POST when there is a body */
  const char *path;        /* or a full URL */
  const char *bearer;      /* NULL: no Authorization header */
  const char *auth_header; /* a raw Authorization header instead */
  const char *body;
  long body_len;           /* -1: strlen(body) */
  const char *content_type;
  bool chunked;
  bool fresh;              /* a new connection, not a kept-alive one */
  long timeout_ms;
};

/* One request on handle h (reused: its connection stays alive). */
static void http_on(CURL *h, const struct server *s, const struct req *q, struct resp *r)
{
  memset(r, 0, sizeof *r);
  char url[2048];
  if (strncmp(q->path, "http", 4) == 0)
    snprintf(url, sizeof url, "%s", q->path);
  else
    snprintf(url, sizeof url, "%s%s", s->base, q->path);
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, q->timeout_ms ? q->timeout_ms : request_timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (q->fresh)
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  struct curl_slist *headers = NULL;
  char line[512];
  if (q->bearer != NULL) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", q->bearer);
    headers = curl_slist_append(headers, line);
  } else if (q->auth_header != NULL) {
    snprintf(line, sizeof line, "Authorization: %s", q->auth_header);
    headers = curl_slist_append(headers, line);
  }
  if (q->body != NULL) {
    snprintf(line, sizeof line, "Content-Type: %s",
             q->content_type ? q->content_type : "application/json");
    headers = curl_slist_append(headers, line);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
                     q->body_len >= 0 ? q->body_len : (long)strlen(q->body));
    if (q->chunked)
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    headers = curl_slist_append(headers, "Expect:");
  }
  if (q->method != NULL)
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  long long t0 = now_ms();
  r->rc = curl_easy_perform(h);
  r->ms = now_ms() - t0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(headers);
  if (r->body != NULL)
    r->json = json_tokener_parse(r->body);
}

static CURL *shared_handle;

static void http(const struct req *q, struct resp *r)
{
  http_on(shared_handle, &main_server, q, r);
}

static const char *jstr(json_object *o, const char *key)
{
  json_object *v = NULL;
  if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static json_object *jobj(json_object *o, const char *key)
{
  json_object *v = NULL;
  if (o == NULL || !json_object_object_get_ex(o, key, &v))
    return NULL;
  return v;
}

static int64_t jint(json_object *o, const char *key)
{
  json_object *v = jobj(o, key);
  return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

static bool is_rfc3339(const char *s)
{
  int y, mo, d, h, mi, sec;
  char z = 0;
  return s != NULL && strlen(s) == 20 &&
         sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z) == 7 &&
         z == 'Z' && y >= 2020 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

static time_t parse_rfc3339(const char *s)
{
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

/* A Scalekit error body with this gRPC code. */
static void assert_error(const struct resp *r, long http_status, int grpc_code)
{
  if (r->status != http_status)
    fprintf(stderr, "expected HTTP %ld, got %ld: %s\n", http_status, r->status,
            r->body ? r->body : "");
  assert_int_equal(r->status, http_status);
  assert_non_null(r->json);
  assert_int_equal(jint(r->json, "code"), grpc_code);
  assert_non_null(jstr(r->json, "message"));
  json_object *details = jobj(r->json, "details");
  assert_non_null(details);
  assert_true(json_object_is_type(details, json_type_array));
  assert_int_equal(json_object_array_length(details), 1);
  json_object *info = json_object_array_get_idx(details, 0);
  assert_string_equal(jstr(info, "@type"), ERR_TYPE);
  assert_non_null(jstr(info, "error_code"));
}

static void assert_message_has(const struct resp *r, const char *needle)
{
  const char *m = jstr(r->json, "message");
  assert_non_null(m);
  if (strstr(m, needle) == NULL)
    fail_msg("message \"%s\" does not mention \"%s\"", m, needle);
}

/* GET a route with the shared token. */
static void get(const char *path, struct resp *r)
{
  struct req q = {.path = path, .bearer = token};
  http(&q, r);
}

static void post(const char *path, const char *body, struct resp *r)
{
  struct req q = {.path = path, .bearer = token, .body = body, .body_len = -1};
  http(&q, r);
}

/* POST to the admin API (no token). Asserts 200. */
static void admin(const char *path, const char *body)
{
  struct resp r;
  struct req q = {.path = path, .body = body ? body : "", .body_len = -1};
  http(&q, &r);
  if (r.status != 200)
    fprintf(stderr, "%s %s -> %ld %s\n", path, body ? body : "", r.status, r.body ? r.body : "");
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static json_object *stats(void)
{
  struct resp r;
  struct req q = {.path = "/_dev/stats"};
  http(&q, &r);
  assert_int_equal(r.status, 200);
  json_object *o = json_object_get(r.json);
  resp_free(&r);
  return o;
}

static void fetch_token(const struct server *s, CURL *h, const char *form, char *out, size_t outlen)
{
  struct resp r;
  struct req q = {.path = "/oauth/token", .body = form, .body_len = -1,
                  .content_type = "application/x-www-form-urlencoded"};
  http_on(h, s, &q, &r);
  assert_int_equal(r.status, 200);
  const char *t = jstr(r.json, "access_token");
  assert_non_null(t);
  snprintf(out, outlen, "%s", t);
  resp_free(&r);
}

#define DEFAULT_FORM "grant_type=client_credentials&client_id=dev_client&client_secret=dev_secret"
#define DETAILS "/api/v1/connected_accounts/details"

/* ---- setup ------------------------------------------------------------------- */

static int group_setup(void **state)
{
  (void)state;
  atexit(kill_leftovers);
  if (getenv("SCALEKIT_DEV_WRAPPER") != NULL) {
    start_timeout_ms = 60000;
    request_timeout_ms = 60000;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int fd = mkstemp(state_path);
  if (fd < 0)
    return -1;
  static const char seed[] =
    "{\"link_base\":\"ignored\",\"accounts\":["
    "{\"connector\":\"gmail\",\"identifier\":\"user_123\",\"status\":\"ACTIVE\"},"
    "{\"connection\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"},"
    "{\"connector\":\"slack\",\"identifier\":\"ann@example.com\",\"status\":5},"
    "{\"connector\":\"slack\",\"identifier\":\"bob+x@example.com\",\"status\":\"PENDING\"},"
    "{\"connector\":\"notion\",\"identifier\":\"user_123\",\"status\":\"REVOKED\"}]}";
  if (write(fd, seed, sizeof seed - 1) != (ssize_t)(sizeof seed - 1)) {
    close(fd);
    return -1;
  }
  close(fd);
  const char *args[] = {"--state", state_path, NULL};
  if (server_start(&main_server, args) != 0)
    return -1;
  shared_handle = curl_easy_init();
  if (shared_handle == NULL)
    return -1;
  fetch_token(&main_server, shared_handle, DEFAULT_FORM, token, sizeof token);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  if (main_server.pid > 0)
    server_stop(&main_server, SIGKILL);
  if (shared_handle != NULL)
    curl_easy_cleanup(shared_handle);
  unlink(state_path);
  curl_global_cleanup();
  kill_leftovers();
  return 0;
}

/* Each test starts from no faults and zeroed counters. */
static int test_setup(void **state)
{
  (void)state;
  struct resp r;
  struct req q = {.path = "/_dev/reset", .body = "", .body_len = 0};
  http(&q, &r);
  int ok = r.status == 200 ? 0 : -1;
  resp_free(&r);
  return ok;
}

/* ---- command line ----------------------------------------------------------------- */

static int run_to_end(const char *const *args, char *out, size_t outlen, char *err,
                      size_t errlen)
{
  int ofd = -1, efd = -1;
  pid_t pid = spawn(args, &ofd, &efd);
  assert_true(pid > 0);
  read_all(ofd, out, outlen, start_timeout_ms);
  read_all(efd, err, errlen, 2000);
  close(ofd);
  close(efd);
  int status = reap(pid, start_timeout_ms);
  assert_true(status != -1 && WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void test_command_line(void **state)
{
  (void)state;
  char out[4096], err[4096];
  const char *help[] = {"--help", NULL};
  assert_int_equal(run_to_end(help, out, sizeof out, err, sizeof err), 0);
  assert_non_null(strstr(out, "--client-secret"));
  assert_non_null(strstr(out, "--token-ttl"));
  /* Enough to use it from a test of one's own, with no README at hand. */
  assert_non_null(strstr(out, "/_dev/faults"));
  assert_non_null(strstr(out, "/_dev/accounts"));
  assert_non_null(strstr(out, "SIGTERM"));
  const char *version[] = {"--version", NULL};
  assert_int_equal(run_to_end(version, out, sizeof out, err, sizeof err), 0);
  assert_memory_equal(out, "scalekit-dev ", 13);

  /* A port that is taken: exit 1, and the reason. */
  char port[16], want[96];
  snprintf(port, sizeof port, "%u", main_server.port);
  const char *taken[] = {"--port", port, NULL};
  assert_int_equal(run_to_end(taken, out, sizeof out, err, sizeof err), 1);
  snprintf(want, sizeof want, "scalekit-dev: cannot listen on 127.0.0.1:%u: Address already in use\n",
           main_server.port);
  assert_string_equal(err, want);

  const char *unknown[] = {"--bogus", NULL};
  assert_int_equal(run_to_end(unknown, out, sizeof out, err, sizeof err), 2);
  assert_non_null(strstr(err, "--bogus"));

  const char *bad_port[] = {"--port", "70000", NULL};
  assert_int_equal(run_to_end(bad_port, out, sizeof out, err, sizeof err), 2);
  const char *no_value[] = {"--client-id", NULL};
  assert_int_equal(run_to_end(no_value, out, sizeof out, err, sizeof err), 2);
  const char *bad_ttl[] = {"--token-ttl", "0", NULL};
  assert_int_equal(run_to_end(bad_ttl, out, sizeof out, err, sizeof err), 2);

  const char *missing_state[] = {"--state", "/nonexistent/state.json", NULL};
  assert_int_equal(run_to_end(missing_state, out, sizeof out, err, sizeof err), 2);
  assert_non_null(strstr(err, "/nonexistent/state.json"));

  char bad_path[] = "/tmp/tg_scalekit_dev_bad_XXXXXX";
  int fd = mkstemp(bad_path);
  assert_true(fd >= 0);
  static const char bad[] = "{\"accounts\":[{\"connector\":\"gmail\",\"identifier\":\"u\"},"
                            "{\"connector\":\"gm@il\",\"identifier\":\"u\"}]}";
  assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
  close(fd);
  const char *bad_state[] = {"--state", bad_path, NULL};
  assert_int_equal(run_to_end(bad_state, out, sizeof out, err, sizeof err), 2);
  assert_non_null(strstr(err, "accounts[1]"));
  unlink(bad_path);
}

/* ---- token endpoint --------------------------------------------------------------- */

static void test_token(void **state)
{
  (void)state;
  struct resp r;
  struct req q = {.path = "/oauth/token", .body = DEFAULT_FORM, .body_len = -1,
                  .content_type = "application/x-www-form-urlencoded"};
  http(&q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(jstr(r.json, "access_token"));
  assert_true(strlen(jstr(r.json, "access_token")) >= 32);
  assert_string_equal(jstr(r.json, "token_type"), "Bearer");
  assert_int_equal(jint(r.json, "expires_in"), 3600);
  assert_string_equal(jstr(r.json, "scope"), "openid");
  assert_non_null(strstr(r.headers, "Cache-Control: no-store"));
  snprintf(token, sizeof token, "%s", jstr(r.json, "access_token"));
  resp_free(&r);

  /* Wrong secret: 401, and the secret is never echoed. */
  q.body = "grant_type=client_credentials&client_id=dev_client&client_secret=wrong_one";
  http(&q, &r);
  assert_int_equal(r.status, 401);
  assert_string_equal(jstr(r.json, "error"), "invalid_client");
  assert_null(strstr(r.body, "wrong_one"));
  assert_null(strstr(r.body, "dev_secret"));
  resp_free(&r);

  q.body = "grant_type=client_credentials&client_id=other&client_secret=dev_secret";
  http(&q, &r);
  assert_int_equal(r.status, 401);
  resp_free(&r);

  q.body = "client_id=dev_client&client_secret=dev_secret";
  http(&q, &r);
  assert_int_equal(r.status, 400);
  assert_string_equal(jstr(r.json, "error"), "invalid_request");
  resp_free(&r);

  q.body = "grant_type=password&client_id=dev_client&client_secret=dev_secret";
  http(&q, &r);
  assert_int_equal(r.status, 400);
  assert_string_equal(jstr(r.json, "error"), "unsupported_grant_type");
  resp_free(&r);

  q.body = "grant_type=client_credentials&client_id=dev_client&client_secret=%zz";
  http(&q, &r);
  assert_int_equal(r.status, 400);
  resp_free(&r);

  q.body = "{\"grant_type\":\"client_credentials\"}";
  q.content_type = "application/json";
  http(&q, &r);
  assert_int_equal(r.status, 400);
  resp_free(&r);

  struct req g = {.path = "/oauth/token"};
  http(&g, &r);
  assert_int_equal(r.status, 405);
  resp_free(&r);
}

/* Credentials that need URL-encoding, and a token that expires. */
static void test_token_encoding_and_expiry(void **state)
{
  (void)state;
  struct server s = {.pid = -1, .out_fd = -1};
  const char *args[] = {"--client-id", "app id/1", "--client-secret", "s&e=c+r%t",
                        "--token-ttl", "1", NULL};
  assert_int_equal(server_start(&s, args), 0);
  CURL *h = curl_easy_init();
  char *id = curl_easy_escape(h, "app id/1", 0);
  char *secret = curl_easy_escape(h, "s&e=c+r%t", 0);
  char form[256], tok[256];
  snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s",
           id, secret);
  curl_free(id);
  curl_free(secret);

  /* '+' in a form is a space. */
  struct resp r;
  struct req q = {.path = "/oauth/token",
                  .body = "grant_type=client_credentials&client_id=app+id%2F1&client_secret=s%26e%3Dc%2Br%25t",
                  .body_len = -1, .content_type = "application/x-www-form-urlencoded"};
  http_on(h, &s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(jint(r.json, "expires_in"), 1);
  resp_free(&r);

  /* The token works at once, and not a second later. */
  fetch_token(&s, h, form, tok, sizeof tok);
  struct req d = {.path = "/api/v1/connected_accounts?page_size=1", .bearer = tok};
  http_on(h, &s, &d, &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  usleep(1300 * 1000);
  http_on(h, &s, &d, &r);
  assert_error(&r, 401, 16);
  assert_string_equal(jstr(r.json, "message"), "invalid token");
  resp_free(&r);

  curl_easy_cleanup(h);
  assert_int_equal(server_stop(&s, SIGINT), 0);
}

/* ---- auth on /api/ ------------------------------------------------------------------ */

static void test_api_needs_token(void **state)
{
  (void)state;
  static const struct { const char *method, *path; } routes[] = {
    {"GET", DETAILS "?connector=gmail&identifier=user_123"},
    {"GET", "/api/v1/connected_accounts/auth?connector=gmail&identifier=user_123"},
    {"GET", "/api/v1/connected_accounts"},
    {"POST", "/api/v1/connected_accounts"},
    {"POST", "/api/v1/connected_accounts/magic_link"},
    {"POST", "/api/v1/connected_accounts:delete"},
    {"POST", "/api/v1/execute_tool"},
  };
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    bool is_post = strcmp(routes[i].method, "POST") == 0;
    struct resp r;
    struct req q = {.path = routes[i].path, .body = is_post ? "{}" : NULL, .body_len = -1};
    http(&q, &r);
    assert_error(&r, 401, 16);
    assert_string_equal(jstr(r.json, "message"), "Token empty");
    json_object *info = json_object_array_get_idx(jobj(r.json, "details"), 0);
    assert_string_equal(jstr(info, "error_code"), "UNAUTHENTICATED");
    resp_free(&r);

    q.bearer = "skdev_not_a_token_it_issued";
    http(&q, &r);
    assert_error(&r, 401, 16);
    assert_string_equal(jstr(r.json, "message"), "invalid token");
    resp_free(&r);

    q.bearer = NULL;
    q.auth_header = "Bearer ";
    http(&q, &r);
    assert_error(&r, 401, 16);
    assert_string_equal(jstr(r.json, "message"), "Token empty");
    resp_free(&r);

    q.auth_header = "Basic ZGV2X2NsaWVudDpkZXZfc2VjcmV0";
    http(&q, &r);
    assert_error(&r, 401, 16);
    resp_free(&r);
  }
  /* The scheme is case-insensitive. */
  char header[300];
  snprintf(header, sizeof header, "bearer %s", token);
  struct resp r;
  struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123", .auth_header = header};
  http(&q, &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

/* ---- connected accounts ----------------------------------------------------------------- */

static void assert_account(json_object *a, const char *connector, const char *identifier,
                           const char *status, bool list_shape)
{
  assert_non_null(a);
  assert_non_null(jstr(a, "id"));
  assert_memory_equal(jstr(a, "id"), "ca_", 3);
  assert_string_equal(jstr(a, "identifier"), identifier);
  assert_string_equal(jstr(a, "connector"), connector);
  assert_non_null(jstr(a, "connection_id"));
  assert_memory_equal(jstr(a, "connection_id"), "conn_", 5);
  char upper[80];
  size_t n = strlen(connector);
  for (size_t i = 0; i <= n; i++)
    upper[i] = (char)(connector[i] >= 'a' && connector[i] <= 'z' ? connector[i] - 32 : connector[i]);
  assert_string_equal(jstr(a, "provider"), upper);
  assert_string_equal(jstr(a, "status"), status);
  assert_string_equal(jstr(a, "authorization_type"), "OAUTH");
  assert_true(is_rfc3339(jstr(a, "updated_at")));
  assert_true(json_object_object_get_ex(a, "token_expires_at", NULL));
  assert_true(json_object_object_get_ex(a, "last_used_at", NULL));
  if (strcmp(status, "ACTIVE") == 0)
    assert_true(is_rfc3339(jstr(a, "token_expires_at")));
  assert_null(jobj(a, "authorization_details"));
  assert_int_equal(json_object_object_get_ex(a, "api_config", NULL), !list_shape);
}

static void test_details(void **state)
{
  (void)state;
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.headers, "Content-Type: application/json"));
  assert_account(jobj(r.json, "connected_account"), "gmail", "user_123", "ACTIVE", false);
  resp_free(&r);

  get(DETAILS "?connector=gmail&identifier=user_456", &r);
  assert_account(jobj(r.json, "connected_account"), "gmail", "user_456", "EXPIRED", false);
  resp_free(&r);
  get(DETAILS "?connector=slack&identifier=ann%40example.com", &r);
  assert_account(jobj(r.json, "connected_account"), "slack", "ann@example.com",
                 "DISCONNECTED", false);
  resp_free(&r);
  get(DETAILS "?connector=slack&identifier=bob%2Bx%40example.com", &r);
  assert_account(jobj(r.json, "connected_account"), "slack", "bob+x@example.com",
                 "PENDING_AUTH", false);
  resp_free(&r);
  get(DETAILS "?connector=notion&identifier=user_123", &r);
  assert_account(jobj(r.json, "connected_account"), "notion", "user_123", "DISCONNECTED", false);
  resp_free(&r);

  get(DETAILS "?connector=gmail&identifier=nobody", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  get(DETAILS "?connector=GMAIL&identifier=user_123", &r); /* names are exact */
  assert_error(&r, 404, 5);
  resp_free(&r);

  get(DETAILS "?identifier=user_123", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "connector");
  resp_free(&r);
  get(DETAILS "?connection_name=gmail&identifier=user_123", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "connector");
  resp_free(&r);
  get(DETAILS "?connector=gmail", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "identifier");
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
  get(DETAILS "?connector=gm%40il&identifier=user_123", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "connector");
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=a%00b", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "identifier");
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=a%0Ab", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);

  char path[1200];
  int n = snprintf(path, sizeof path, DETAILS "?connector=gmail&identifier=");
  memset(path + n, 'x', 513);
  path[n + 513] = '\0';
  get(path, &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
  path[n + 512] = '\0'; /* 512 bytes is allowed, and not found */
  get(path, &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
}

static void test_auth_route(void **state)
{
  (void)state;
  struct resp r;
  get("/api/v1/connected_accounts/auth?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  json_object *a = jobj(r.json, "connected_account");
  assert_string_equal(jstr(a, "status"), "ACTIVE");
  json_object *oauth = jobj(jobj(a, "authorization_details"), "oauth_token");
  assert_non_null(jstr(oauth, "access_token"));
  assert_non_null(jstr(oauth, "refresh_token"));
  assert_true(json_object_is_type(jobj(oauth, "scopes"), json_type_array));
  resp_free(&r);

  get("/api/v1/connected_accounts/auth?connector=gmail&identifier=nobody", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  get("/api/v1/connected_accounts/auth?connector=gmail", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
}

static void test_create(void **state)
{
  (void)state;
  struct resp r;
  post("/api/v1/connected_accounts",
       "{\"connector\":\"gmail\",\"identifier\":\"new@example.com\",\"connected_account\":{}}", &r);
  assert_int_equal(r.status, 201);
  assert_account(jobj(r.json, "connected_account"), "gmail", "new@example.com",
                 "PENDING_AUTH", false);
  assert_true(json_object_is_type(jobj(jobj(r.json, "connected_account"), "token_expires_at"),
                                  json_type_null));
  resp_free(&r);

  /* The body the official SDKs send: an OAuth account, no credentials yet. */
  post("/api/v1/connected_accounts",
       "{\"connector\":\"gmail\",\"identifier\":\"sdk@example.com\",\"connected_account\":"
       "{\"authorization_details\":{\"oauth_token\":{}}}}",
       &r);
  assert_int_equal(r.status, 201);
  assert_account(jobj(r.json, "connected_account"), "gmail", "sdk@example.com",
                 "PENDING_AUTH", false);
  resp_free(&r);

  post("/api/v1/connected_accounts", "{\"connector\":\"gmail\",\"identifier\":\"new@example.com\"}",
       &r);
  assert_error(&r, 409, 6);
  json_object *info = json_object_array_get_idx(jobj(r.json, "details"), 0);
  assert_string_equal(jstr(info, "error_code"), "ALREADY_EXISTS");
  resp_free(&r);

  get(DETAILS "?connector=gmail&identifier=new%40example.com", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(jstr(jobj(r.json, "connected_account"), "status"), "PENDING_AUTH");
  resp_free(&r);

  static const struct { const char *body; const char *field; } bad[] = {
    {"{\"connection_name\":\"gmail\",\"identifier\":\"u1\"}", "connector"},
    {"{\"identifier\":\"u1\"}", "connector"},
    {"{\"connector\":\"gmail\"}", "identifier"},
    {"{\"connector\":\"\",\"identifier\":\"u1\"}", "connector"},
    {"{\"connector\":5,\"identifier\":\"u1\"}", "connector"},
    {"{\"connector\":\"gmail\",\"identifier\":[\"u1\"]}", "identifier"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u1\",\"connected_account\":\"x\"}",
     "connected_account"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u1\",\"connected_account\":"
     "{\"authorization_details\":[]}}", "connected_account.authorization_details"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u1\",\"connected_account\":"
     "{\"authorization_details\":{\"oauth_token\":\"t\"}}}",
     "connected_account.authorization_details.oauth_token"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u1\",\"connected_account\":"
     "{\"api_config\":1}}", "connected_account.api_config"},
    {"{\"connector\":\"gm/il\",\"identifier\":\"u1\"}", "connector"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u\\u0001\"}", "identifier"},
    {"{\"connector\":\"gmail\",", "JSON"},
    {"{\"connector\":\"gmail\",\"identifier\":\"u1\"} trailing", "JSON"},
    {"[1,2]", "JSON"},
    {"null", "JSON"},
    {"{'connector':'gmail'}", "JSON"},
    {"", "connector"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    post("/api/v1/connected_accounts", bad[i].body, &r);
    assert_error(&r, 400, 3);
    assert_message_has(&r, bad[i].field);
    resp_free(&r);
  }
  /* Invalid UTF-8 in a JSON string. */
  post("/api/v1/connected_accounts", "{\"connector\":\"gmail\",\"identifier\":\"\xff\xfe\"}", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
}

static void test_list(void **state)
{
  (void)state;
  struct resp r;
  get("/api/v1/connected_accounts", &r);
  assert_int_equal(r.status, 200);
  int64_t total = jint(r.json, "total_size");
  assert_true(total >= 5);
  json_object *items = jobj(r.json, "connected_accounts");
  assert_true(json_object_is_type(items, json_type_array));
  assert_string_equal(jstr(r.json, "prev_page_token"), "");
  json_object *first = json_object_array_get_idx(items, 0);
  assert_account(first, "gmail", "user_123", jstr(first, "status"), true);
  resp_free(&r);

  get("/api/v1/connected_accounts?connector=slack", &r);
  assert_int_equal(jint(r.json, "total_size"), 2);
  items = jobj(r.json, "connected_accounts");
  assert_int_equal(json_object_array_length(items), 2);
  for (size_t i = 0; i < 2; i++)
    assert_string_equal(jstr(json_object_array_get_idx(items, i), "connector"), "slack");
  assert_string_equal(jstr(r.json, "next_page_token"), "");
  resp_free(&r);

  get("/api/v1/connected_accounts?identifier=user_123", &r);
  assert_int_equal(jint(r.json, "total_size"), 2);
  resp_free(&r);
  get("/api/v1/connected_accounts?connector=slack&identifier=ann%40example.com", &r);
  assert_int_equal(jint(r.json, "total_size"), 1);
  resp_free(&r);

  /* Walk every page of 2. */
  char path[256] = "/api/v1/connected_accounts?page_size=2";
  int64_t seen = 0;
  for (int pages = 0; pages < 100; pages++) {
    get(path, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "total_size"), total);
    size_t n = json_object_array_length(jobj(r.json, "connected_accounts"));
    assert_true(n <= 2);
    seen += (int64_t)n;
    const char *next = jstr(r.json, "next_page_token");
    assert_non_null(next);
    if (pages > 0)
      assert_string_not_equal(jstr(r.json, "prev_page_token"), "");
    if (next[0] == '\0') {
      resp_free(&r);
      break;
    }
    snprintf(path, sizeof path, "/api/v1/connected_accounts?page_size=2&page_token=%s", next);
    resp_free(&r);
  }
  assert_int_equal(seen, total);

  get("/api/v1/connected_accounts?page_size=101", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "page_size");
  resp_free(&r);
  get("/api/v1/connected_accounts?page_size=ten", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
  get("/api/v1/connected_accounts?page_token=abc", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "page_token");
  resp_free(&r);
  get("/api/v1/connected_accounts?page_token=99999", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
  get("/api/v1/connected_accounts?connector=bad%2Fname", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
}

static void test_magic_link_flow(void **state)
{
  (void)state;
  struct resp r;
  post("/api/v1/connected_accounts", "{\"connector\":\"gmail\",\"identifier\":\"<flow>&user\"}", &r);
  assert_int_equal(r.status, 201);
  resp_free(&r);

  post("/api/v1/connected_accounts/magic_link",
       "{\"connector\":\"gmail\",\"identifier\":\"<flow>&user\",\"state\":\"abc\"}", &r);
  assert_int_equal(r.status, 200);
  const char *link = jstr(r.json, "link");
  const char *expiry = jstr(r.json, "expiry");
  assert_non_null(link);
  char prefix[96];
  snprintf(prefix, sizeof prefix, "%s/magic/", main_server.base);
  assert_memory_equal(link, prefix, strlen(prefix));
  assert_true(strlen(link) > strlen(prefix) + 16);
  assert_true(is_rfc3339(expiry));
  long long ahead = (long long)(parse_rfc3339(expiry) - time(NULL));
  assert_true(ahead >= 590 && ahead <= 610);
  char url[256];
  snprintf(url, sizeof url, "%s", link);
  resp_free(&r);

  /* A second link for the same account is a different one. */
  post("/api/v1/connected_accounts/magic_link",
       "{\"connector\":\"gmail\",\"identifier\":\"<flow>&user\"}", &r);
  assert_int_equal(r.status, 200);
  assert_string_not_equal(jstr(r.json, "link"), url);
  resp_free(&r);

  /* The user opens the link: a plain GET, no token. */
  struct req q = {.path = url};
  http(&q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.headers, "text/html"));
  assert_non_null(strstr(r.body, "Authorized gmail for &lt;flow&gt;&amp;user"));
  resp_free(&r);

  get(DETAILS "?connector=gmail&identifier=%3Cflow%3E%26user", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(jstr(jobj(r.json, "connected_account"), "status"), "ACTIVE");
  assert_true(is_rfc3339(jstr(jobj(r.json, "connected_account"), "token_expires_at")));
  resp_free(&r);

  /* An EXPIRED account re-authorizes the same way. */
  post("/api/v1/connected_accounts/magic_link",
       "{\"connector\":\"gmail\",\"identifier\":\"user_456\"}", &r);
  assert_int_equal(r.status, 200);
  snprintf(url, sizeof url, "%s", jstr(r.json, "link"));
  resp_free(&r);
  struct req q2 = {.path = url};
  http(&q2, &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=user_456", &r);
  assert_string_equal(jstr(jobj(r.json, "connected_account"), "status"), "ACTIVE");
  resp_free(&r);
  admin("/_dev/accounts", "{\"connector\":\"gmail\",\"identifier\":\"user_456\",\"status\":\"EXPIRED\"}");

  struct req unknown = {.path = "/magic/0123456789abcdef0123456789abcdef"};
  http(&unknown, &r);
  assert_int_equal(r.status, 404);
  assert_non_null(strstr(r.headers, "text/html"));
  resp_free(&r);

  post("/api/v1/connected_accounts/magic_link", "{\"connector\":\"gmail\",\"identifier\":\"nobody\"}",
       &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  post("/api/v1/connected_accounts/magic_link", "{\"connector\":\"gmail\"}", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "identifier");
  resp_free(&r);
  post("/api/v1/connected_accounts/magic_link",
       "{\"connector\":\"gmail\",\"identifier\":\"user_123\",\"state\":7}", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "state");
  resp_free(&r);
}

static void test_delete(void **state)
{
  (void)state;
  struct resp r;
  post("/api/v1/connected_accounts", "{\"connector\":\"jira\",\"identifier\":\"gone\"}", &r);
  assert_int_equal(r.status, 201);
  resp_free(&r);
  post("/api/v1/connected_accounts:delete", "{\"connector\":\"jira\",\"identifier\":\"gone\"}", &r);
  assert_int_equal(r.status, 200);
  assert_true(json_object_is_type(r.json, json_type_object));
  assert_int_equal(json_object_object_length(r.json), 0);
  resp_free(&r);
  get(DETAILS "?connector=jira&identifier=gone", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  post("/api/v1/connected_accounts:delete", "{\"connector\":\"jira\",\"identifier\":\"gone\"}", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  post("/api/v1/connected_accounts:delete", "{\"identifier\":\"gone\"}", &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
}

static void test_execute_tool(void **state)
{
  (void)state;
  struct resp r;
  const char *params = "{\"to\":\"team@example.com\",\"n\":[1,2,{\"deep\":true}]}";
  char body[512];
  snprintf(body, sizeof body,
           "{\"tool_name\":\"gmail_send_email\",\"connector\":\"gmail\","
           "\"identifier\":\"user_123\",\"params\":%s}", params);
  post("/api/v1/execute_tool", body, &r);
  assert_int_equal(r.status, 200);
  json_object *data = jobj(r.json, "data");
  assert_string_equal(jstr(data, "tool_name"), "gmail_send_email");
  json_object *want = json_tokener_parse(params);
  assert_true(json_object_equal(jobj(data, "params"), want));
  json_object_put(want);
  assert_memory_equal(jstr(r.json, "execution_id"), "exec_", 5);
  resp_free(&r);

  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_true(is_rfc3339(jstr(jobj(r.json, "connected_account"), "last_used_at")));
  resp_free(&r);

  post("/api/v1/execute_tool",
       "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_123\"}", &r);
  assert_int_equal(r.status, 200);
  assert_true(json_object_is_type(jobj(jobj(r.json, "data"), "params"), json_type_object));
  resp_free(&r);

  post("/api/v1/execute_tool", "{\"connector\":\"gmail\",\"identifier\":\"user_123\"}", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "tool_name");
  resp_free(&r);
  post("/api/v1/execute_tool", "{\"tool_name\":\"t\",\"identifier\":\"user_123\"}", &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "connector");
  resp_free(&r);
  post("/api/v1/execute_tool",
       "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_123\",\"params\":[1]}",
       &r);
  assert_error(&r, 400, 3);
  assert_message_has(&r, "params");
  resp_free(&r);
  post("/api/v1/execute_tool",
       "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"nobody\"}", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  post("/api/v1/execute_tool",
       "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_456\"}", &r);
  assert_error(&r, 403, 7);
  assert_message_has(&r, "EXPIRED");
  resp_free(&r);
}

static void test_unknown_routes_and_methods(void **state)
{
  (void)state;
  struct resp r;
  get("/api/v1/nothing", &r);
  assert_error(&r, 404, 5);
  resp_free(&r);
  get("/", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
  struct req q = {.method = "DELETE", .path = "/api/v1/connected_accounts", .bearer = token};
  http(&q, &r);
  assert_error(&r, 405, 12);
  assert_non_null(strstr(r.headers, "Allow: GET, POST"));
  resp_free(&r);
  get("/api/v1/execute_tool", &r);
  assert_error(&r, 405, 12);
  assert_non_null(strstr(r.headers, "Allow: POST"));
  resp_free(&r);
  struct req p = {.method = "PUT", .path = "/_dev/stats"};
  http(&p, &r);
  assert_int_equal(r.status, 405);
  resp_free(&r);
  get("/_dev/nothing", &r);
  assert_int_equal(r.status, 404);
  resp_free(&r);
}

/* A body over the limit is refused: a 413 error body, or — when the server
 * answers and closes while the client is still sending, which a slow run
 * (e.g. under ThreadSanitizer) makes likely — a connection reset before the
 * answer is read. Either way the body is never taken. */
static void assert_too_large(const struct resp *r)
{
  if (r->status == 0 && (r->rc == CURLE_SEND_ERROR || r->rc == CURLE_RECV_ERROR))
    return;
  assert_error(r, 413, 8);
}

static void test_body_limits(void **state)
{
  (void)state;
  size_t big = 70 * 1024;
  char *body = malloc(big + 1);
  assert_non_null(body);
  memset(body, ' ', big);
  static const char head[] = "{\"connector\":\"gmail\",\"identifier\":\"x\"}";
  memcpy(body, head, sizeof head - 1);
  body[big] = '\0';
  struct resp r;
  struct req q = {.path = "/api/v1/connected_accounts", .bearer = token, .body = body,
                  .body_len = (long)big};
  http(&q, &r);
  assert_too_large(&r);
  resp_free(&r);
  q.chunked = true;
  http(&q, &r);
  assert_too_large(&r);
  resp_free(&r);
  free(body);

  /* Just under the limit is parsed. */
  size_t ok = 64 * 1024;
  body = malloc(ok + 1);
  memset(body, ' ', ok);
  static const char json[] = "{\"connector\":\"gmail\",\"identifier\":\"user_123\"}";
  memcpy(body, json, sizeof json - 1);
  body[ok] = '\0';
  struct req q2 = {.path = "/api/v1/connected_accounts", .bearer = token, .body = body,
                   .body_len = (long)ok};
  http(&q2, &r);
  assert_error(&r, 409, 6);
  resp_free(&r);
  free(body);

  /* Nesting deeper than the limit. */
  char deep[512];
  size_t n = (size_t)snprintf(deep, sizeof deep,
                              "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_123\",\"params\":");
  for (int i = 0; i < 100; i++)
    deep[n++] = '[';
  deep[n] = '\0';
  post("/api/v1/execute_tool", deep, &r);
  assert_error(&r, 400, 3);
  resp_free(&r);

  /* A body with a NUL byte. */
  static const char nul[] = "{\"connector\":\"gmail\",\0\"identifier\":\"user_123\"}";
  struct req q3 = {.path = "/api/v1/connected_accounts", .bearer = token, .body = nul,
                   .body_len = (long)sizeof nul - 1};
  http(&q3, &r);
  assert_error(&r, 400, 3);
  resp_free(&r);
}

/* ---- admin API ---------------------------------------------------------------------- */

static const char *status_of(const char *connector, const char *identifier)
{
  static char out[64];
  char path[256];
  snprintf(path, sizeof path, DETAILS "?connector=%s&identifier=%s", connector, identifier);
  struct resp r;
  get(path, &r);
  snprintf(out, sizeof out, "%s",
           r.status == 200 ? jstr(jobj(r.json, "connected_account"), "status") : "NOT_FOUND");
  resp_free(&r);
  return out;
}

static void test_admin_accounts(void **state)
{
  (void)state;
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":\"EXPIRED\"}");
  assert_string_equal(status_of("github", "dev1"), "EXPIRED");
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":\"DISCONNECTED\"}");
  assert_string_equal(status_of("github", "dev1"), "DISCONNECTED");
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":1}");
  assert_string_equal(status_of("github", "dev1"), "ACTIVE");
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":\"revoked\"}");
  assert_string_equal(status_of("github", "dev1"), "DISCONNECTED");
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":\"PENDING_VERIFICATION\"}");
  assert_string_equal(status_of("github", "dev1"), "PENDING_VERIFICATION");
  admin("/_dev/accounts", "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":0}");
  assert_string_equal(status_of("github", "dev1"), "CONNECTION_STATUS_UNSPECIFIED");

  static const char *const bad[] = {
    "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":\"NOPE\"}",
    "{\"connector\":\"github\",\"identifier\":\"dev1\",\"status\":9}",
    "{\"connector\":\"github\",\"identifier\":\"dev1\"}",
    "{\"identifier\":\"dev1\",\"status\":\"ACTIVE\"}",
    "not json",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct resp r;
    struct req q = {.path = "/_dev/accounts", .body = bad[i], .body_len = -1};
    http(&q, &r);
    assert_error(&r, 400, 3);
    resp_free(&r);
  }
}

static void test_fault_status(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"status\":503,\"count\":2}");
  struct resp r;
  for (int i = 0; i < 2; i++) {
    get(DETAILS "?connector=gmail&identifier=user_123", &r);
    assert_error(&r, 503, 14);
    resp_free(&r);
  }
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);

  admin("/_dev/faults", "{\"status\":429}");
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_error(&r, 429, 8);
  resp_free(&r);

  /* A 401 from the API, as when Scalekit drops a token. */
  admin("/_dev/faults", "{\"status\":401,\"routes\":\"/api/\"}");
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_error(&r, 401, 16);
  resp_free(&r);
}

static void test_fault_latency(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"latency_ms\":400,\"count\":2}");
  struct resp r;
  for (int i = 0; i < 2; i++) {
    get(DETAILS "?connector=gmail&identifier=user_123", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.ms >= 390);
    resp_free(&r);
  }
  /* Latency with a status: wait, then fail. */
  admin("/_dev/faults", "{\"latency_ms\":300,\"status\":504}");
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_error(&r, 504, 4);
  assert_true(r.ms >= 290);
  resp_free(&r);
  /* A client timeout shorter than the latency. */
  admin("/_dev/faults", "{\"latency_ms\":3000}");
  struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123", .bearer = token,
                  .timeout_ms = 300};
  http(&q, &r);
  assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
  assert_true(r.ms < 2500);
  resp_free(&r);
}

static void test_fault_truncate(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"body\":\"truncate\"}");
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
  assert_null(r.json);
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.rc, CURLE_OK);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_fault_oversize(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"body\":\"oversize\"}");
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  assert_true(r.len > 64 * 1024);
  assert_non_null(r.json); /* valid JSON, only too large */
  assert_string_equal(jstr(jobj(r.json, "connected_account"), "status"), "ACTIVE");
  resp_free(&r);

  /* On a 404 answer it is still a 200, with the error's members. */
  admin("/_dev/faults", "{\"body\":\"oversize\"}");
  get(DETAILS "?connector=gmail&identifier=nobody", &r);
  assert_int_equal(r.status, 200);
  assert_true(r.len > 64 * 1024);
  assert_non_null(r.json);
  resp_free(&r);
}

static void test_fault_garbage(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"body\":\"garbage\"}");
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  assert_true(r.len > 0);
  assert_null(r.json);
  resp_free(&r);
}

static void test_fault_close(void **state)
{
  (void)state;
  /* On a kept-alive connection libcurl would resend the request once on a
   * new one (using up a second count): ask for fresh connections. */
  admin("/_dev/faults", "{\"body\":\"close\",\"count\":2}");
  struct resp r;
  for (int i = 0; i < 2; i++) {
    struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123", .bearer = token,
                    .fresh = true};
    http(&q, &r);
    assert_int_equal(r.rc, CURLE_GOT_NOTHING);
    resp_free(&r);
  }
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_fault_slow(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"body\":\"slow\",\"byte_delay_ms\":2}");
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  assert_non_null(r.json); /* the whole answer, only slowly */
  assert_true(r.ms >= (long long)r.len * 2 * 8 / 10);
  resp_free(&r);

  admin("/_dev/faults", "{\"body\":\"slow\"}");
  struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123", .bearer = token,
                  .timeout_ms = 500};
  http(&q, &r);
  assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
  assert_true(r.len < 20);
  resp_free(&r);
}

static void test_fault_routes_and_token_endpoint(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"status\":500,\"routes\":\"/oauth/\"}");
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  struct req q = {.path = "/oauth/token", .body = DEFAULT_FORM, .body_len = -1,
                  .content_type = "application/x-www-form-urlencoded"};
  http(&q, &r);
  assert_error(&r, 500, 13);
  resp_free(&r);

  /* Faults never touch the admin API, and queue in order. */
  admin("/_dev/faults", "{\"status\":503,\"routes\":\"/api/v1/execute_tool\"}");
  admin("/_dev/faults", "{\"status\":502}");
  json_object *s = stats();
  assert_int_equal(jint(s, "faults_queued"), 2);
  json_object_put(s);
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 502);
  resp_free(&r);
  post("/api/v1/execute_tool",
       "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_123\"}", &r);
  assert_error(&r, 503, 14);
  resp_free(&r);

  /* Reset drops what is queued. */
  admin("/_dev/faults", "{\"status\":500,\"count\":100}");
  admin("/_dev/reset", NULL);
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_fault_requests_checked(void **state)
{
  (void)state;
  static const char *const bad[] = {
    "{}", "{\"status\":200}", "{\"status\":\"503\"}", "{\"status\":503,\"body\":\"close\"}",
    "{\"body\":\"nope\"}", "{\"latency_ms\":-1}", "{\"latency_ms\":1.5}",
    "{\"count\":0,\"status\":503}", "{\"routes\":\"api\",\"status\":503}",
    "{\"routes\":\"/_dev/\",\"status\":503}", "{\"bogus\":1,\"status\":503}", "[]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct resp r;
    struct req q = {.path = "/_dev/faults", .body = bad[i], .body_len = -1};
    http(&q, &r);
    if (r.status != 400)
      fprintf(stderr, "fault %s accepted\n", bad[i]);
    assert_error(&r, 400, 3);
    resp_free(&r);
  }
  json_object *s = stats();
  assert_int_equal(jint(s, "faults_queued"), 0);
  json_object_put(s);
}

/* The echo fault: what the client sent, repeated in each encoding. */
static void test_fault_echo(void **state)
{
  (void)state;
  static const struct { const char *enc, *want; } cases[] = {
    {"raw", "the Authorization header was: Bearer ab c"},
    {"percent", "the Authorization header was: %42%65%61%72%65%72%20%61%62%20%63"},
    {"percent_lower", "the Authorization header was: %42%65%61%72%65%72%20%61%62%20%63"},
    {"form", "the Authorization header was: Bearer+ab+c"},
    {"json", "the Authorization header was: \\u0042\\u0065\\u0061\\u0072\\u0065\\u0072"
             "\\u0020\\u0061\\u0062\\u0020\\u0063"},
    {"html", "the Authorization header was: &#x42;&#x65;&#x61;&#x72;&#x65;&#x72;&#x20;"
             "&#x61;&#x62;&#x20;&#x63;"},
    {"split", "the Authorization header was: Beare\" \"r ab c"},
    {"truncate", "the Authorization header was: Beare..."},
  };
  char fault[256];
  struct resp r;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(fault, sizeof fault, "{\"echo\":\"authorization\",\"echo_encoding\":\"%s\"}",
             cases[i].enc);
    admin("/_dev/faults", fault);
    struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123",
                    .auth_header = "Bearer ab c"};
    http(&q, &r);
    assert_error(&r, 403, 7); /* the default status: 403 PERMISSION_DENIED */
    assert_string_equal(jstr(r.json, "message"), cases[i].want);
    resp_free(&r);
  }
  /* The body, as text, with a status of its own; the handler never runs. */
  admin("/_dev/faults", "{\"echo\":\"body\",\"echo_as\":\"text\",\"status\":500,"
                        "\"routes\":\"/oauth/token\"}");
  struct req q = {.path = "/oauth/token", .body = "client_secret=a%2Bb",
                  .content_type = "application/x-www-form-urlencoded", .body_len = -1};
  http(&q, &r);
  assert_int_equal(r.status, 500);
  assert_string_equal(r.body, "client_secret=a%2Bb");
  assert_null(r.json);
  resp_free(&r);
  /* No header sent: an empty echo. */
  admin("/_dev/faults", "{\"echo\":\"authorization\",\"status\":401}");
  struct req none = {.path = DETAILS "?connector=gmail&identifier=user_123"};
  http(&none, &r);
  assert_error(&r, 401, 16);
  assert_string_equal(jstr(r.json, "message"), "the Authorization header was: ");
  resp_free(&r);

  static const char *const bad[] = {
    "{\"echo\":\"cookie\"}", "{\"echo\":\"body\",\"echo_encoding\":\"rot13\"}",
    "{\"echo\":\"body\",\"echo_as\":\"html\"}", "{\"echo_encoding\":\"raw\",\"status\":500}",
    "{\"echo\":\"body\",\"body\":\"garbage\"}", "{\"echo\":1}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct req b = {.path = "/_dev/faults", .body = bad[i], .body_len = -1};
    http(&b, &r);
    if (r.status != 400)
      fprintf(stderr, "fault %s accepted\n", bad[i]);
    assert_error(&r, 400, 3);
    resp_free(&r);
  }
}

/* GET /_dev/tokens lists the live access tokens, so a test can look for
 * them in a client's output. */
static void test_tokens_route(void **state)
{
  (void)state;
  struct resp r;
  get("/_dev/tokens", &r);
  assert_int_equal(r.status, 200);
  json_object *list = jobj(r.json, "access_tokens");
  assert_non_null(list);
  bool found = false;
  for (size_t i = 0; i < json_object_array_length(list); i++)
    found = found || strcmp(json_object_get_string(json_object_array_get_idx(list, i)), token) == 0;
  assert_true(found);
  resp_free(&r);
}

static void test_revoke_tokens(void **state)
{
  (void)state;
  struct resp r;
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  struct req q = {.path = "/_dev/tokens/revoke", .body = "", .body_len = 0};
  http(&q, &r);
  assert_int_equal(r.status, 200);
  assert_true(jint(r.json, "revoked") >= 1);
  resp_free(&r);
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_error(&r, 401, 16);
  assert_string_equal(jstr(r.json, "message"), "invalid token");
  resp_free(&r);
  /* A new token works again. */
  fetch_token(&main_server, shared_handle, DEFAULT_FORM, token, sizeof token);
  get(DETAILS "?connector=gmail&identifier=user_123", &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
}

static void test_stats(void **state)
{
  (void)state;
  json_object *s = stats();
  assert_int_equal(jint(s, "requests"), 0);
  assert_int_equal(jint(s, "token_requests"), 0);
  assert_int_equal(json_object_object_length(jobj(s, "keys")), 0);
  json_object_put(s);

  struct resp r;
  for (int i = 0; i < 3; i++) {
    get(DETAILS "?connector=gmail&identifier=user_123", &r);
    resp_free(&r);
  }
  get(DETAILS "?connector=slack&identifier=ann%40example.com", &r);
  resp_free(&r);
  post("/api/v1/connected_accounts/magic_link", "{\"connector\":\"gmail\",\"identifier\":\"user_123\"}",
       &r);
  resp_free(&r);
  char tmp[256];
  fetch_token(&main_server, shared_handle, DEFAULT_FORM, tmp, sizeof tmp);
  get("/api/v1/nothing", &r);
  resp_free(&r);

  s = stats();
  assert_int_equal(jint(s, "requests"), 7);
  assert_int_equal(jint(s, "token_requests"), 1);
  json_object *routes = jobj(s, "routes");
  assert_int_equal(jint(routes, "GET /api/v1/connected_accounts/details"), 4);
  assert_int_equal(jint(routes, "POST /api/v1/connected_accounts/magic_link"), 1);
  assert_int_equal(jint(routes, "POST /oauth/token"), 1);
  assert_int_equal(jint(routes, "POST /api/v1/execute_tool"), 0);
  json_object *keys = jobj(s, "keys");
  assert_int_equal(jint(keys, "gmail|user_123"), 4);
  assert_int_equal(jint(keys, "slack|ann@example.com"), 1);
  assert_true(jint(s, "accounts") >= 5);
  json_object_put(s);
}

/* Many requests over one connection: one TCP connection accepted. */
static void test_keep_alive(void **state)
{
  (void)state;
  CURL *h = curl_easy_init();
  struct resp r;
  for (int i = 0; i < 60; i++) {
    struct req q = {.path = DETAILS "?connector=gmail&identifier=user_123", .bearer = token};
    if (i % 3 == 1) {
      q.path = "/api/v1/connected_accounts/magic_link";
      q.body = "{\"connector\":\"gmail\",\"identifier\":\"user_123\"}";
      q.body_len = -1;
    }
    http_on(h, &main_server, &q, &r);
    assert_int_equal(r.status, 200);
    long fresh = -1;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &fresh);
    assert_int_equal(fresh, i == 0 ? 1 : 0);
    resp_free(&r);
  }
  struct req q = {.path = "/_dev/stats"};
  http_on(h, &main_server, &q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(jint(r.json, "connections"), 1);
  assert_int_equal(jint(r.json, "requests"), 60);
  resp_free(&r);
  curl_easy_cleanup(h);
}

struct worker {
  int ok;
  char identifier[32];
};

static void *worker_main(void *arg)
{
  struct worker *w = arg;
  CURL *h = curl_easy_init();
  char path[256];
  snprintf(path, sizeof path, DETAILS "?connector=load&identifier=%s", w->identifier);
  for (int i = 0; i < 40; i++) {
    struct resp r;
    struct req q = {.path = path, .bearer = token};
    http_on(h, &main_server, &q, &r);
    if (r.status == 200 &&
        strcmp(jstr(jobj(r.json, "connected_account"), "identifier"), w->identifier) == 0)
      w->ok++;
    resp_free(&r);
  }
  curl_easy_cleanup(h);
  return NULL;
}

static void test_concurrent_clients(void **state)
{
  (void)state;
  enum { THREADS = 8 };
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  char body[128];
  for (int i = 0; i < THREADS; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    snprintf(workers[i].identifier, sizeof workers[i].identifier, "w%d", i);
    snprintf(body, sizeof body, "{\"connector\":\"load\",\"identifier\":\"w%d\",\"status\":\"ACTIVE\"}", i);
    admin("/_dev/accounts", body);
  }
  /* A slow request in flight does not hold the others up. */
  admin("/_dev/faults", "{\"latency_ms\":1500,\"routes\":\"/api/v1/execute_tool\"}");
  long long t0 = now_ms();
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
  struct resp r;
  CURL *h = curl_easy_init();
  struct req slow = {.path = "/api/v1/execute_tool", .bearer = token,
                     .body = "{\"tool_name\":\"t\",\"connector\":\"gmail\",\"identifier\":\"user_123\"}",
                     .body_len = -1};
  http_on(h, &main_server, &slow, &r);
  assert_int_equal(r.status, 200);
  resp_free(&r);
  curl_easy_cleanup(h);
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    assert_int_equal(workers[i].ok, 40);
  }
  (void)t0;
  json_object *s = stats();
  assert_int_equal(jint(s, "requests"), THREADS * 40 + 1);
  assert_int_equal(jint(jobj(s, "keys"), "load|w3"), 40);
  json_object_put(s);
}

/* Last: SIGTERM stops the server cleanly, even with an idle keep-alive
 * connection open and a request sleeping in a fault. */
static void test_stop(void **state)
{
  (void)state;
  admin("/_dev/faults", "{\"latency_ms\":600000,\"routes\":\"/oauth/\"}");
  pid_t pid = fork();
  if (pid == 0) { /* a client stuck in the fault */
    CURL *h = curl_easy_init();
    struct resp r;
    struct req q = {.path = "/oauth/token", .body = DEFAULT_FORM, .body_len = -1,
                    .content_type = "application/x-www-form-urlencoded", .timeout_ms = 60000};
    http_on(h, &main_server, &q, &r);
    int answered = r.rc == CURLE_OK;
    /* Freed, so the child's exit is clean under valgrind too. */
    resp_free(&r);
    curl_easy_cleanup(h);
    _exit(answered ? 1 : 0);
  }
  usleep(300 * 1000);
  long long t0 = now_ms();
  assert_int_equal(server_stop(&main_server, SIGTERM), 0);
  assert_true(now_ms() - t0 < 20000);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_command_line),
    cmocka_unit_test_setup(test_token, test_setup),
    cmocka_unit_test(test_token_encoding_and_expiry),
    cmocka_unit_test_setup(test_api_needs_token, test_setup),
    cmocka_unit_test_setup(test_details, test_setup),
    cmocka_unit_test_setup(test_auth_route, test_setup),
    cmocka_unit_test_setup(test_create, test_setup),
    cmocka_unit_test_setup(test_list, test_setup),
    cmocka_unit_test_setup(test_magic_link_flow, test_setup),
    cmocka_unit_test_setup(test_delete, test_setup),
    cmocka_unit_test_setup(test_execute_tool, test_setup),
    cmocka_unit_test_setup(test_unknown_routes_and_methods, test_setup),
    cmocka_unit_test_setup(test_body_limits, test_setup),
    cmocka_unit_test_setup(test_admin_accounts, test_setup),
    cmocka_unit_test_setup(test_fault_status, test_setup),
    cmocka_unit_test_setup(test_fault_latency, test_setup),
    cmocka_unit_test_setup(test_fault_truncate, test_setup),
    cmocka_unit_test_setup(test_fault_echo, test_setup),
    cmocka_unit_test_setup(test_fault_oversize, test_setup),
    cmocka_unit_test_setup(test_fault_garbage, test_setup),
    cmocka_unit_test_setup(test_fault_close, test_setup),
    cmocka_unit_test_setup(test_fault_slow, test_setup),
    cmocka_unit_test_setup(test_fault_routes_and_token_endpoint, test_setup),
    cmocka_unit_test_setup(test_fault_requests_checked, test_setup),
    cmocka_unit_test_setup(test_tokens_route, test_setup),
    cmocka_unit_test_setup(test_revoke_tokens, test_setup),
    cmocka_unit_test_setup(test_stats, test_setup),
    cmocka_unit_test_setup(test_keep_alive, test_setup),
    cmocka_unit_test_setup(test_concurrent_clients, test_setup),
    cmocka_unit_test_setup(test_stop, test_setup),
  };
  return cmocka_run_group_tests_name("scalekit_dev", tests, group_setup, group_teardown);
}
