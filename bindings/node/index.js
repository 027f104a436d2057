'use strict';
// toolgate for Node.js: the in-process gate of libtoolgate (through koffi)
// and adapters that gate a tool in the terms of each agent runtime.

const { Gate } = require('./lib/gate');
const errors = require('./lib/errors');
const { makeAdapters } = require('./lib/adapters');

module.exports = {
  Gate,
  ToolgateError: errors.ToolgateError,
  InputError: errors.InputError,
  ConfigError: errors.ConfigError,
  ProviderError: errors.ProviderError,
  SignatureError: errors.SignatureError,
  // The runtime modules an adapter needs are loaded with require(), so they
  // come from the same (CommonJS) build as the application's own.
  ...makeAdapters((specifier) => Promise.resolve().then(() => require(specifier))),
};
