/* Key names of the Redis tier; see redis_keys.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "redis_keys.h"

int tg__rd_key(const char *prefix, tg__rd_key_kind kind, const char *connection,
               const char *identifier, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char in[2 + TG_CONNECTION_MAX + 1 + TG_IDENTIFIER_MAX + 1];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t n = 0, cl = 0, il = 0, pl = strlen(prefix), i;
    /* Locks share the account's digest. */
    char tag = kind == TG__RD_KEY_LOCK ? (char)TG__RD_KEY_ACCOUNT : (char)kind;

    if (kind != TG__RD_KEY_IDENTIFIER)
        cl = strnlen(connection, TG_CONNECTION_MAX + 1);
    if (kind != TG__RD_KEY_CONNECTION)
        il = strnlen(identifier, TG_IDENTIFIER_MAX + 1);
    if (cl > TG_CONNECTION_MAX || il > TG_IDENTIFIER_MAX || pl > TG__RD_PREFIX_MAX)
        return -1;
    in[n++] = (unsigned char)tag;
    in[n++] = 0;
    memcpy(in + n, connection ? connection : "", cl);
    n += cl;
    in[n++] = 0;
    memcpy(in + n, identifier ? identifier : "", il);
    n += il;
    if (EVP_Digest(in, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < TG__RD_HASH_HEX / 2)
        return -1;
    memcpy(out, prefix, pl);
    out[pl] = (char)kind;
    out[pl + 1] = ':';
    for (i = 0; i < TG__RD_HASH_HEX / 2; i++) {
        out[pl + 2 + 2 * i] = hex[md[i] >> 4];
        out[pl + 3 + 2 * i] = hex[md[i] & 15];
    }
    out[pl + 2 + TG__RD_HASH_HEX] = '\0';
    return 0;
}

void tg__rd_key_all(const char *prefix, char *out)
{
    snprintf(out, TG__RD_KEY_MAX, "%sv:all", prefix);
}

void tg__rd_key_channel(const char *prefix, char *out)
{
    snprintf(out, TG__RD_KEY_MAX, "%schanges", prefix);
}
