/* Test helper: webhook signatures (webhook_sign.h). */
#include "webhook_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

void webhook_secret(const unsigned char *key, size_t key_len, char *out, size_t cap)
{
    unsigned char enc[256];

    if (key_len > 64) {
        snprintf(out, cap, "whsec_");
        return;
    }
    EVP_EncodeBlock(enc, key, (int)key_len);
    snprintf(out, cap, "whsec_%s", (const char *)enc);
}

void webhook_sign(const unsigned char *key, size_t key_len, const char *id, const char *ts,
                  const char *body, size_t len, char *out, size_t cap)
{
    size_t head = strlen(id) + strlen(ts) + 2;
    unsigned char *msg = malloc(head + len + 1), mac[EVP_MAX_MD_SIZE], enc[64];
    unsigned int mac_len = 0;

    if (!msg) {
        snprintf(out, cap, "v1,");
        return;
    }
    snprintf((char *)msg, head + 1, "%s.%s.", id, ts);
    memcpy(msg + head, body, len);
    HMAC(EVP_sha256(), key, (int)key_len, msg, head + len, mac, &mac_len);
    free(msg);
    EVP_EncodeBlock(enc, mac, (int)mac_len);
    snprintf(out, cap, "v1,%s", (const char *)enc);
}
