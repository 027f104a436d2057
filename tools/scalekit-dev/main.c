/* scalekit-dev: a Scalekit-compatible connected-accounts server on loopback,
 * for tests, the demo and benchmarks (our "stripe-mock"). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "server.h"

#define EXIT_USAGE 2

static const char usage[] =
  "usage: scalekit-dev [--port N] [--client-id ID] [--client-secret SECRET]\n"
  "                    [--state FILE] [--token-ttl SECONDS] [--log] [--help] [--version]\n"
  "\n"
  "A Scalekit-compatible connected-accounts server on 127.0.0.1, for tests and demos:\n"
  "the token endpoint and the /api/v1/connected_accounts routes with Scalekit's shapes,\n"
  "state in memory, no credentials of yours, no internet. Not for production.\n"
  "\n"
  "  --port N             port to listen on; 0 (the default) picks a free one\n"
  "  --client-id ID       client id the token endpoint accepts (default dev_client)\n"
  "  --client-secret S    client secret it accepts (default dev_secret; never printed)\n"
  "  --state FILE         seed accounts from JSON:\n"
  "                       {\"accounts\":[{\"connector\":\"gmail\",\"identifier\":\"user_123\",\n"
  "                                     \"status\":\"ACTIVE\"}]}\n"
  "                       (\"connection\" is accepted for \"connector\"; status is a wire\n"
  "                       name or number, or PENDING/REVOKED; it defaults to ACTIVE)\n"
  "  --token-ttl SECONDS  lifetime of issued access tokens (default 3600)\n"
  "  --log                one line per request on stderr (method, path, status)\n"
  "  --help, --version\n"
  "\n"
  "When ready it prints one line on stdout and flushes it:\n"
  "  scalekit-dev listening on http://127.0.0.1:PORT\n"
  "Start it with --port 0 in a test, read that line for the URL, and stop it with\n"
  "SIGTERM or SIGINT (exit 0). Exit 2: bad arguments or --state file; 1: it cannot\n"
  "listen (the reason follows on stderr).\n"
  "\n"
  "Admin API (no auth; never faulted or counted):\n"
  "  POST /_dev/accounts {\"connector\",\"identifier\",\"status\"}  set or create an account\n"
  "  POST /_dev/faults {...}         queue a fault for the next matching requests:\n"
  "       \"latency_ms\", \"status\" (400-599), \"body\": truncate|oversize|garbage|close|slow,\n"
  "       \"echo\": authorization|body (answer with what the client sent; \"echo_encoding\":\n"
  "       raw|percent|percent_lower|form|json|html|split|truncate, \"echo_as\":\n"
  "       message|text), \"count\" (default 1), \"routes\" (a path prefix)\n"
  "  POST /_dev/reset                drop faults, zero counters\n"
  "  POST /_dev/tokens/revoke        every access token issued stops working\n"
  "  GET  /_dev/tokens               the live access tokens\n"
  "  GET  /_dev/stats                request counters per route and per account\n"
  "A magic link it hands out is http://127.0.0.1:PORT/magic/<token>: a plain GET of it\n"
  "plays the user's consent and makes the account ACTIVE.\n";

/* A decimal in [min, max]; false otherwise. */
static bool parse_number(const char *s, long long min, long long max, long long *out)
{
  char *end = NULL;
  errno = 0;
  long long n = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
    return false;
  *out = n;
  return true;
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL if argv[*i]
 * is not that flag. *missing is set when the flag has no value. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
  size_t len = strlen(name);
  const char *arg = argv[*i];
  if (strncmp(arg, name, len) != 0)
    return NULL;
  if (arg[len] == '=')
    return arg + len + 1;
  if (arg[len] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

static int parse_args(int argc, char **argv, struct dev_config *cfg)
{
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    long long n;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      exit(0);
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("scalekit-dev %s\n", SCALEKIT_DEV_VERSION);
      exit(0);
    } else if (strcmp(argv[i], "--log") == 0) {
      cfg->log = true;
    } else if ((v = flag_value(argc, argv, &i, "--port", &missing)) != NULL) {
      if (!parse_number(v, 0, 65535, &n)) {
        fprintf(stderr, "scalekit-dev: --port: expected 0-65535, got \"%s\"\n", v);
        return -1;
      }
      cfg->port = (unsigned)n;
    } else if ((v = flag_value(argc, argv, &i, "--client-id", &missing)) != NULL) {
      if (v[0] == '\0') {
        fprintf(stderr, "scalekit-dev: --client-id: must not be empty\n");
        return -1;
      }
      cfg->client_id = v;
    } else if ((v = flag_value(argc, argv, &i, "--client-secret", &missing)) != NULL) {
      if (v[0] == '\0') {
        fprintf(stderr, "scalekit-dev: --client-secret: must not be empty\n");
        return -1;
      }
      cfg->client_secret = v;
    } else if ((v = flag_value(argc, argv, &i, "--state", &missing)) != NULL) {
      cfg->state_path = v;
    } else if ((v = flag_value(argc, argv, &i, "--token-ttl", &missing)) != NULL) {
      if (!parse_number(v, 1, 31536000, &n)) {
        fprintf(stderr, "scalekit-dev: --token-ttl: expected 1-31536000 seconds, got \"%s\"\n", v);
        return -1;
      }
      cfg->token_ttl_s = n;
    } else {
      if (missing)
        fprintf(stderr, "scalekit-dev: %s needs a value\n", argv[i]);
      else
        fprintf(stderr, "scalekit-dev: unknown argument \"%s\" (see --help)\n", argv[i]);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  struct dev_config cfg = {
    .port = 0, .client_id = "dev_client", .client_secret = "dev_secret",
    .token_ttl_s = 3600, .state_path = NULL, .log = false,
  };
  if (parse_args(argc, argv, &cfg) != 0)
    return EXIT_USAGE;

  /* Block the stop signals before any thread starts, so every thread
   * inherits the mask and only sigwait() below sees them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct dev_state st;
  if (dev_state_init(&st, &cfg) != 0) {
    fprintf(stderr, "scalekit-dev: out of memory\n");
    return 1;
  }
  if (cfg.state_path != NULL) {
    char err[512];
    if (dev_accounts_load(&st.accounts, cfg.state_path, time(NULL), err, sizeof err) != 0) {
      fprintf(stderr, "scalekit-dev: --state %s\n", err);
      dev_state_free(&st);
      return EXIT_USAGE;
    }
  }
  char why[256];
  struct MHD_Daemon *d = dev_server_start(&st, why, sizeof why);
  if (d == NULL) {
    fprintf(stderr, "scalekit-dev: %s\n", why);
    dev_state_free(&st);
    return 1;
  }
  printf("scalekit-dev listening on http://127.0.0.1:%u\n", st.port);
  fflush(stdout);

  int sig = 0;
  while (sigwait(&stop, &sig) != 0) {
  }
  if (cfg.log)
    fprintf(stderr, "scalekit-dev: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  dev_server_stop(&st, d);
  dev_state_free(&st);
  return 0;
}
