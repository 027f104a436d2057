/* Input rules (docs/design.md, "Input rules"). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "toolgate/toolgate.h"
#include "error.h"
#include "input.h"

/* Which bytes may appear in a tool name (1) and a connection name (2): one
 * table lookup per byte, since every check of a tool name the gate has not
 * met before walks it. */
static const unsigned char tg__name_chars[256] = {
    ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3, ['H'] = 3,
    ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3,
    ['Q'] = 3, ['R'] = 3, ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3,
    ['Y'] = 3, ['Z'] = 3,
    ['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3,
    ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3,
    ['q'] = 3, ['r'] = 3, ['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
    ['y'] = 3, ['z'] = 3,
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3,
    ['8'] = 3, ['9'] = 3,
    ['_'] = 3, ['-'] = 3, [':'] = 3, ['.'] = 1, ['/'] = 1, [' '] = 2,
};
#define TG__TOOL_CHAR 1
#define TG__CONNECTION_CHAR 2

static int tg__tool_char(unsigned char c)
{
    return tg__name_chars[c] & TG__TOOL_CHAR;
}

static int tg__connection_char(unsigned char c)
{
    return tg__name_chars[c] & TG__CONNECTION_CHAR;
}

int tg__valid_tool_chars(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!tg__tool_char((unsigned char)s[i]))
            return 0;
    return 1;
}

int tg__valid_tool(const char *s, size_t *len)
{
    size_t i;
    if (!s)
        return 0;
    for (i = 0; s[i]; i++)
        if (i >= TG_TOOL_MAX || !tg__tool_char((unsigned char)s[i]))
            return 0;
    if (i == 0)
        return 0;
    if (len)
        *len = i;
    return 1;
}

int tg__valid_connection(const char *s, size_t *len)
{
    size_t i;
    if (!s)
        return 0;
    for (i = 0; s[i]; i++)
        if (i >= TG_CONNECTION_MAX || !tg__connection_char((unsigned char)s[i]))
            return 0;
    if (i == 0)
        return 0;
    if (len)
        *len = i;
    return 1;
}

size_t tg__utf8_seq_n(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n, i;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    /* Each byte is looked at only after the one before it passed, so a NUL
     * ends the look (for NUL-terminated text) before anything past it. */
    for (i = 1; i < n; i++)
        if (i >= left || (s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) ||  /* overlong */
        (c == 0xED && s[1] >= 0xA0) || /* surrogate */
        (c == 0xF0 && s[1] < 0x90) ||  /* overlong */
        (c == 0xF4 && s[1] >= 0x90))   /* past U+10FFFF */
        return 0;
    return n;
}

size_t tg__utf8_seq_at(const unsigned char *s)
{
    return tg__utf8_seq_n(s, 4);
}

int tg__valid_identifier(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (!s)
        return 0;
    while (p[i]) {
        unsigned char c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return 0;
            i++;
        } else {
            /* A NUL inside a sequence fails the continuation-byte test, so
             * the reads below never pass the terminator. */
            size_t n = tg__utf8_seq_at(p + i);
            if (n == 0)
                return 0;
            /* C1 controls U+0080–U+009F are control characters too. */
            if (c == 0xC2 && p[i + 1] < 0xA0)
                return 0;
            i += n;
        }
        if (i > TG_IDENTIFIER_MAX)
            return 0;
    }
    if (i == 0)
        return 0;
    if (len)
        *len = i;
    return 1;
}

int tg__invalid_input(const char *what, const char *s)
{
    char ex[96];
    const char *rule = "";

    if (!s)
        return tg__fail(TG_EINVAL, "%s is NULL", what);
    tg__excerpt(s, strnlen(s, sizeof ex), sizeof ex, ex, sizeof ex);
    if (!s[0])
        return tg__fail(TG_EINVAL, "%s is empty", what);
    if (strcmp(what, "tool") == 0)
        rule = "1-128 characters of A-Z a-z 0-9 _ - . : /";
    else if (strcmp(what, "connection") == 0)
        rule = "1-64 characters of A-Z a-z 0-9 _ - : and space";
    else
        rule = "1-512 bytes of valid UTF-8 without control characters";
    return tg__fail(TG_EINVAL, "invalid %s \"%s\": must be %s", what, ex, rule);
}
