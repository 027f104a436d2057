#include "accounts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seed files hold up to DEV_MAX_ACCOUNTS entries of a few hundred bytes. */
#define MAX_STATE_FILE (256u * 1024u * 1024u)
/* Fresh (fake) provider tokens last an hour, as Google's do. */
#define TOKEN_LIFETIME 3600
/* First account number: gives ids shaped like Scalekit's 17-digit ones. */
#define FIRST_SERIAL 24834495392000001ull

void dev_accounts_init(struct dev_accounts *as)
{
  as->table = NULL;
  as->next_serial = FIRST_SERIAL;
}

void dev_accounts_free(struct dev_accounts *as)
{
  struct dev_account *a, *tmp;
  HASH_ITER(hh, as->table, a, tmp) {
    HASH_DELETE(hh, as->table, a);
    free(a);
  }
  as->table = NULL;
}

size_t dev_accounts_count(const struct dev_accounts *as)
{
  return HASH_COUNT(as->table);
}

/* Key bytes: connector, NUL, identifier. A valid connector has no NUL, so
 * two different pairs never share a key. */
static size_t make_key(char *buf, const char *connector, const char *identifier)
{
  size_t c = strlen(connector), i = strlen(identifier);
  memcpy(buf, connector, c);
  buf[c] = '\0';
  memcpy(buf + c + 1, identifier, i);
  return c + 1 + i;
}

struct dev_account *dev_accounts_find(const struct dev_accounts *as,
                                      const char *connector, const char *identifier)
{
  char key[DEV_MAX_CONNECTOR + 1 + DEV_MAX_IDENTIFIER];
  if (strlen(connector) > DEV_MAX_CONNECTOR || strlen(identifier) > DEV_MAX_IDENTIFIER)
    return NULL;
  size_t len = make_key(key, connector, identifier);
  struct dev_account *a = NULL;
  HASH_FIND(hh, as->table, key, len, a);
  return a;
}

int dev_accounts_add(struct dev_accounts *as, const char *connector,
                     const char *identifier, enum dev_status status, time_t now,
                     struct dev_account **out)
{
  *out = dev_accounts_find(as, connector, identifier);
  if (*out != NULL)
    return DEV_ACCOUNTS_EXISTS;
  if (dev_accounts_count(as) >= DEV_MAX_ACCOUNTS)
    return DEV_ACCOUNTS_FULL;
  size_t c = strlen(connector), i = strlen(identifier);
  struct dev_account *a = calloc(1, sizeof *a + c + 1 + i + 1);
  if (a == NULL)
    return DEV_ACCOUNTS_NOMEM;
  a->key_len = make_key(a->key, connector, identifier);
  a->key[a->key_len] = '\0';
  a->connector = a->key;
  a->identifier = a->key + c + 1;
  a->serial = as->next_serial++;
  a->updated_at = now;
  dev_account_set_status(a, status, now);
  HASH_ADD_KEYPTR(hh, as->table, a->key, a->key_len, a);
  if (a->hh.tbl == NULL) { /* HASH_NONFATAL_OOM: not added */
    free(a);
    return DEV_ACCOUNTS_NOMEM;
  }
  *out = a;
  return 0;
}

void dev_accounts_remove(struct dev_accounts *as, struct dev_account *a)
{
  HASH_DELETE(hh, as->table, a);
  free(a);
}

void dev_account_set_status(struct dev_account *a, enum dev_status status, time_t now)
{
  a->status = status;
  a->updated_at = now;
  if (status == DEV_STATUS_ACTIVE)
    a->token_expires_at = now + TOKEN_LIFETIME;
  else if (status == DEV_STATUS_EXPIRED && (a->token_expires_at == 0 || a->token_expires_at > now))
    a->token_expires_at = now;
}

/* A stable "conn_…" per connector name (FNV-1a), 17 digits like Scalekit's. */
static unsigned long long connection_number(const char *connector)
{
  unsigned long long h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)connector; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return 10000000000000000ull + h % 90000000000000000ull;
}

static json_object *time_or_null(time_t t)
{
  if (t == 0)
    return NULL; /* json-c adds NULL as JSON null */
  char buf[32];
  dev_format_time(t, buf);
  return json_object_new_string(buf);
}

static json_object *fake_authorization_details(const struct dev_account *a)
{
  char token[64];
  json_object *details = json_object_new_object();
  json_object *oauth = json_object_new_object();
  json_object *scopes = json_object_new_array();
  if (details == NULL || oauth == NULL || scopes == NULL) {
    json_object_put(details);
    json_object_put(oauth);
    json_object_put(scopes);
    return NULL;
  }
  snprintf(token, sizeof token, "dev_access_%llu", a->serial);
  json_object_object_add(oauth, "access_token", json_object_new_string(token));
  snprintf(token, sizeof token, "dev_refresh_%llu", a->serial);
  json_object_object_add(oauth, "refresh_token", json_object_new_string(token));
  json_object_array_add(scopes, json_object_new_string("openid"));
  json_object_array_add(scopes, json_object_new_string("email"));
  json_object_object_add(oauth, "scopes", scopes);
  json_object_object_add(oauth, "domain", json_object_new_string(""));
  json_object_object_add(details, "oauth_token", oauth);
  return details;
}

json_object *dev_account_json(const struct dev_account *a, enum dev_account_view view)
{
  char buf[64];
  json_object *o = json_object_new_object();
  if (o == NULL)
    return NULL;
  snprintf(buf, sizeof buf, "ca_%llu", a->serial);
  json_object_object_add(o, "id", json_object_new_string(buf));
  json_object_object_add(o, "identifier", json_object_new_string(a->identifier));
  json_object_object_add(o, "connector", json_object_new_string(a->connector));
  snprintf(buf, sizeof buf, "conn_%llu", connection_number(a->connector));
  json_object_object_add(o, "connection_id", json_object_new_string(buf));
  size_t n = strlen(a->connector);
  for (size_t i = 0; i < n && i < sizeof buf - 1; i++)
    buf[i] = (char)toupper((unsigned char)a->connector[i]);
  buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = '\0';
  json_object_object_add(o, "provider", json_object_new_string(buf));
  json_object_object_add(o, "status", json_object_new_string(dev_status_name(a->status)));
  json_object_object_add(o, "authorization_type", json_object_new_string("OAUTH"));
  json_object_object_add(o, "token_expires_at", time_or_null(a->token_expires_at));
  json_object_object_add(o, "updated_at", time_or_null(a->updated_at));
  json_object_object_add(o, "last_used_at", time_or_null(a->last_used_at));
  if (view != DEV_VIEW_LIST)
    json_object_object_add(o, "api_config", json_object_new_object());
  if (view == DEV_VIEW_AUTH) {
    json_object *details = fake_authorization_details(a);
    if (details == NULL) {
      json_object_put(o);
      return NULL;
    }
    json_object_object_add(o, "authorization_details", details);
  }
  return o;
}

/* Read a whole file of at most MAX_STATE_FILE bytes. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 64 * 1024, n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        buf = NULL;
      }
      break;
    }
    if (cap >= MAX_STATE_FILE) {
      snprintf(err, errlen, "%s: larger than %u bytes", path, MAX_STATE_FILE);
      free(buf);
      buf = NULL;
      break;
    }
    char *bigger = realloc(buf, cap * 2);
    if (bigger == NULL)
      free(buf);
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  if (buf == NULL && err[0] == '\0')
    snprintf(err, errlen, "%s: out of memory", path);
  if (buf != NULL)
    buf[n] = '\0'; /* the loop ends with n < cap */
  *len = n;
  return buf;
}

/* A string member that must be present: NULL (with err set) otherwise. */
static const char *entry_string(json_object *entry, const char *key, const char *alias,
                                size_t index, char *err, size_t errlen)
{
  json_object *v = NULL;
  const char *found = key;
  if (!json_object_object_get_ex(entry, key, &v) && alias != NULL) {
    json_object_object_get_ex(entry, alias, &v);
    found = alias;
  }
  if (v == NULL) {
    snprintf(err, errlen, "accounts[%zu]: missing \"%s\"", index, key);
    return NULL;
  }
  if (!json_object_is_type(v, json_type_string)) {
    snprintf(err, errlen, "accounts[%zu]: \"%s\" must be a string", index, found);
    return NULL;
  }
  const char *s = json_object_get_string(v);
  if (strlen(s) != (size_t)json_object_get_string_len(v)) {
    snprintf(err, errlen, "accounts[%zu]: \"%s\" contains a NUL character", index, found);
    return NULL;
  }
  return s;
}

static int load_entry(struct dev_accounts *as, json_object *entry, size_t index,
                      time_t now, char *err, size_t errlen)
{
  if (!json_object_is_type(entry, json_type_object)) {
    snprintf(err, errlen, "accounts[%zu]: expected an object", index);
    return -1;
  }
  const char *connector = entry_string(entry, "connector", "connection", index, err, errlen);
  if (connector == NULL)
    return -1;
  const char *identifier = entry_string(entry, "identifier", NULL, index, err, errlen);
  if (identifier == NULL)
    return -1;
  if (!dev_valid_connector(connector, strlen(connector))) {
    snprintf(err, errlen, "accounts[%zu]: invalid connector", index);
    return -1;
  }
  if (!dev_valid_identifier(identifier, strlen(identifier))) {
    snprintf(err, errlen, "accounts[%zu]: invalid identifier", index);
    return -1;
  }
  json_object *sv = NULL;
  enum dev_status status = DEV_STATUS_ACTIVE;
  if (json_object_object_get_ex(entry, "status", &sv) && dev_status_parse(sv, &status) != 0) {
    snprintf(err, errlen, "accounts[%zu]: invalid status", index);
    return -1;
  }
  struct dev_account *a;
  switch (dev_accounts_add(as, connector, identifier, status, now, &a)) {
  case 0:
    return 0;
  case DEV_ACCOUNTS_EXISTS:
    snprintf(err, errlen, "accounts[%zu]: duplicate account", index);
    return -1;
  case DEV_ACCOUNTS_FULL:
    snprintf(err, errlen, "accounts[%zu]: more than %u accounts", index, DEV_MAX_ACCOUNTS);
    return -1;
  default:
    snprintf(err, errlen, "accounts[%zu]: out of memory", index);
    return -1;
  }
}

int dev_accounts_load(struct dev_accounts *as, const char *path, time_t now,
                      char *err, size_t errlen)
{
  size_t len = 0;
  err[0] = '\0';
  char *text = read_file(path, &len, err, errlen);
  if (text == NULL)
    return -1;
  json_object *root = NULL;
  char why[256];
  if (len > (size_t)INT32_MAX) {
    snprintf(why, sizeof why, "too large");
  } else {
    json_tokener *tok = json_tokener_new_ex(DEV_MAX_JSON_DEPTH);
    if (tok != NULL) {
      json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
      root = json_tokener_parse_ex(tok, text, (int)len);
      size_t end = json_tokener_get_parse_end(tok);
      if (json_tokener_get_error(tok) != json_tokener_success) {
        snprintf(why, sizeof why, "%s", json_tokener_error_desc(json_tokener_get_error(tok)));
        json_object_put(root);
        root = NULL;
      } else if (root == NULL) {
        snprintf(why, sizeof why, "expected a JSON object");
      } else if (end < len && text[end + strspn(text + end, " \t\r\n")] != '\0') {
        snprintf(why, sizeof why, "trailing characters after the value");
        json_object_put(root);
        root = NULL;
      }
      json_tokener_free(tok);
    } else {
      snprintf(why, sizeof why, "out of memory");
    }
  }
  free(text);
  if (root == NULL) {
    snprintf(err, errlen, "%s: invalid JSON: %s", path, why);
    return -1;
  }
  json_object *list = NULL;
  int rc = 0;
  if (!json_object_is_type(root, json_type_object) ||
      !json_object_object_get_ex(root, "accounts", &list) ||
      !json_object_is_type(list, json_type_array)) {
    snprintf(err, errlen, "%s: expected {\"accounts\":[…]}", path);
    rc = -1;
  } else {
    char entry_err[384];
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n && rc == 0; i++) {
      if (load_entry(as, json_object_array_get_idx(list, i), i, now, entry_err,
                     sizeof entry_err) != 0) {
        snprintf(err, errlen, "%s: %s", path, entry_err);
        rc = -1;
      }
    }
  }
  json_object_put(root);
  return rc;
}
