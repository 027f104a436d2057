/* Wiping secrets; see wipe.h. */
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void tg__sk_wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    if (!p)
        return;
    while (n--)
        *b++ = 0;
}

void tg__sk_free_string(char *s)
{
    if (!s)
        return;
    tg__sk_wipe(s, strlen(s));
    free(s);
}
