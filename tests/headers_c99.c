/* Built as strict C99 with -pedantic-errors: the public headers must compile. */
#include <toolgate/provider.h>
#include <toolgate/toolgate.h>

int tg_headers_c99_probe(void);
int tg_headers_c99_probe(void)
{
    tg_stats s = TG_STATS_INIT;
    return (int)s.version + TG_OK;
}
