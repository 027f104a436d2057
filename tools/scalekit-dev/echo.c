#include "echo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const dev_echo_encoding_names[] = {
  "raw", "percent", "percent_lower", "form", "json", "html", "split", "truncate", NULL,
};
const char *const dev_echo_what_names[] = { "", "authorization", "body", NULL };

static bool unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

char *dev_echo_encode(const char *text, size_t len, enum dev_echo_encoding enc)
{
  /* The longest form of a byte is "&#xFF;" or "\u00FF": 6 bytes. */
  char *out = malloc(len * 6 + 8);
  size_t o = 0, half = len / 2;
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    switch (enc) {
    case DEV_ECHO_PERCENT: o += (size_t)sprintf(out + o, "%%%02X", c); break;
    case DEV_ECHO_PERCENT_LOWER: o += (size_t)sprintf(out + o, "%%%02x", c); break;
    case DEV_ECHO_FORM:
      if (unreserved(c))
        out[o++] = (char)c;
      else if (c == ' ')
        out[o++] = '+';
      else
        o += (size_t)sprintf(out + o, "%%%02X", c);
      break;
    case DEV_ECHO_JSON: o += (size_t)sprintf(out + o, "\\u%04x", c); break;
    case DEV_ECHO_HTML: o += (size_t)sprintf(out + o, "&#x%02X;", c); break;
    case DEV_ECHO_SPLIT:
      if (i == half && i > 0) {
        memcpy(out + o, "\" \"", 3);
        o += 3;
      }
      out[o++] = (char)c;
      break;
    case DEV_ECHO_TRUNCATE:
      if (i < half)
        out[o++] = (char)c;
      break;
    case DEV_ECHO_RAW: out[o++] = (char)c; break;
    }
  }
  if (enc == DEV_ECHO_TRUNCATE) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}

void dev_echo_reply(struct dev_reply *r, int status, enum dev_echo_what what,
                    enum dev_echo_encoding enc, bool as_text, const char *sent,
                    size_t sent_len)
{
  char *echo = dev_echo_encode(sent ? sent : "", sent ? sent_len : 0, enc);
  if (echo == NULL) {
    dev_reply_bytes(r, 500, "application/json", NULL, 0);
    return;
  }
  if (as_text) {
    dev_reply_bytes(r, status, "text/plain; charset=utf-8", echo, strlen(echo));
    return;
  }
  dev_reply_error(r, status, dev_grpc_for_http(status), "%s was: %s",
                  what == DEV_ECHO_AUTHORIZATION ? "the Authorization header" : "the request body",
                  echo);
  free(echo);
}
