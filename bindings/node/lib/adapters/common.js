'use strict';
// What every adapter does before a tool runs: find the end user, ask the
// gate (off the event loop on a miss) and, for a blocked call, the words the
// model reads — the library's own text, the link in plain words.

const { InputError } = require('../errors');
const { kDecideAsync } = require('../gate');

const ALLOW = 'ALLOW';
const NEEDS_AUTHORIZATION = 'NEEDS_AUTHORIZATION';

/**
 * The end user of a call: @p identifier itself when it is a string, else
 * what the function returns (or resolves to) given the call's arguments and
 * the runtime's context.
 */
async function resolveIdentifier(identifier, args, context, where) {
  const id = typeof identifier === 'function' ? await identifier(args, context) : identifier;
  if (typeof id !== 'string' || id === '') {
    const got = id === null ? 'null' : id === '' ? 'an empty string' : typeof id;
    throw new InputError(
      'EINVAL',
      `${where}: the identifier ${typeof identifier === 'function' ? 'function returned' : 'option is'} ${got}, not the end user's identifier`,
    );
  }
  return id;
}

/** The options of an adapter, checked when the tool is wrapped. */
function checkOptions(gate, options, where) {
  if (!gate || typeof gate[kDecideAsync] !== 'function') {
    throw new InputError('EINVAL', `${where}: the first argument must be a toolgate Gate`);
  }
  const identifier = options?.identifier;
  if (typeof identifier !== 'string' && typeof identifier !== 'function') {
    throw new InputError(
      'EINVAL',
      `${where}: options.identifier must be the end user's identifier or a function returning it`,
    );
  }
  return identifier;
}

/**
 * Check @p tool for @p identifier: {decision} for ALLOW; for a blocked call
 * also {text} (what the model reads: reason, and the link to open) and
 * whatever @p extra adds from the library's encodings.
 */
function decide(gate, tool, identifier, extra) {
  return gate[kDecideAsync](tool, identifier, (decision, encodeAs) => {
    if (decision.verdict === ALLOW) return { decision };
    const result = JSON.parse(encodeAs('mcp-tool-result'));
    return { decision, text: result.content[0].text, result, ...(extra ? extra(decision, encodeAs) : {}) };
  });
}

module.exports = { ALLOW, NEEDS_AUTHORIZATION, resolveIdentifier, checkOptions, decide };
