/* toolgate-bench-mcp-server: the MCP server of the mcp-proxy figure — the
 * least a stdio server can do, so that the figure is the proxy's cost: each
 * request line is answered at once with a fixed CallToolResult carrying its
 * id (the benchmark's ids are integers); other lines are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    static char line[1 << 16];

    while (fgets(line, sizeof line, stdin)) {
        const char *id = strstr(line, "\"id\":");
        if (!id)
            continue;
        printf("{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"content\":[{\"type\":\"text\","
               "\"text\":\"sent\"}],\"isError\":false}}\n",
               strtol(id + 5, NULL, 10));
        fflush(stdout);
    }
    return 0;
}
