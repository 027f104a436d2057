'use strict';
// MCP TypeScript SDK (@modelcontextprotocol/sdk): a handler for
// McpServer.registerTool that asks the gate before the tool's own handler.
// A blocked call never runs the handler: NEEDS_AUTHORIZATION becomes the
// JSON-RPC error -32042 (UrlElicitationRequiredError, one URL elicitation
// carrying the link) when the client declared URL elicitation, else — and
// for UNAVAILABLE and DENY — a CallToolResult with isError whose text
// carries the reason and the link. Both are the library's own encodings.

const { InputError } = require('../errors');
const { ALLOW, NEEDS_AUTHORIZATION, resolveIdentifier, checkOptions, decide } = require('./common');

const WHERE = 'guardMcpToolHandler';

/** Whether the client of @p server (an McpServer or a Server) declared URL elicitation. */
function clientTakesUrlElicitation(server) {
  const low = server && typeof server.getClientCapabilities !== 'function' ? server.server : server;
  const caps = low && typeof low.getClientCapabilities === 'function' ? low.getClientCapabilities() : null;
  return Boolean(caps?.elicitation?.url);
}

/**
 * makeMcpAdapter(load): guardMcpToolHandler, loading the SDK's error class
 * with @p load (require for CommonJS, import() for ES modules) so that it is
 * the application's own.
 */
function makeMcpAdapter(load) {
  /**
   * @param gate     a Gate
   * @param name     the tool's name (as given to registerTool)
   * @param handler  the tool's handler: (args, extra) or, without an input schema, (extra)
   * @param options  {identifier: string | (args, extra) => string,
   *                  server?: the McpServer (to read the client's capabilities;
   *                  without it a blocked call is always an isError result),
   *                  UrlElicitationRequiredError?: the SDK's class, when it
   *                  cannot be loaded from here}
   */
  return function guardMcpToolHandler(gate, name, handler, options) {
    const identifier = checkOptions(gate, options, WHERE);
    if (typeof name !== 'string' || name === '') {
      throw new InputError('EINVAL', `${WHERE}: name must be the tool's name`);
    }
    if (typeof handler !== 'function') {
      throw new InputError('EINVAL', `${WHERE}: handler must be the tool's handler function`);
    }
    const { server } = options;
    let ErrorClass = options.UrlElicitationRequiredError;
    return async function guardedHandler(...params) {
      const extra = params[params.length - 1];
      const args = params.length > 1 ? params[0] : undefined;
      const id = await resolveIdentifier(identifier, args, extra, WHERE);
      const elicit = clientTakesUrlElicitation(server);
      const r = await decide(gate, name, id, (decision, encodeAs) =>
        elicit && decision.verdict === NEEDS_AUTHORIZATION ? { error: JSON.parse(encodeAs('mcp')) } : {},
      );
      if (r.decision.verdict === ALLOW) return handler(...params);
      if (!r.error) return r.result;
      if (!ErrorClass) {
        ErrorClass = (await load('@modelcontextprotocol/sdk/types.js')).UrlElicitationRequiredError;
      }
      throw new ErrorClass(r.error.data.elicitations, r.error.message);
    };
  };
}

module.exports = { makeMcpAdapter, clientTakesUrlElicitation };
