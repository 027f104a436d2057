/* Wiping secrets; see wipe.h. */
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void tg__sk_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void tg__sk_free_string(char *s)
{
    if (!s)
        return;
    tg__sk_wipe(s, strlen(s));
    free(s);
}
