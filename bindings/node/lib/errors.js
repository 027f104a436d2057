'use strict';
// Errors of the binding: ToolgateError with the library's code name, and a
// subclass per kind a caller handles differently.

// The library's error codes (include/toolgate/toolgate.h, append only).
const CODE_NAMES = Object.freeze({
  [-1]: 'EINVAL',
  [-2]: 'ENOMEM',
  [-3]: 'ECONFIG',
  [-4]: 'EPROVIDER',
  [-5]: 'ETIMEOUT',
  [-6]: 'EBUFS',
  [-7]: 'EIO',
  [-8]: 'ENOTSUP',
  [-9]: 'EPLUGIN',
  [-10]: 'ESIGNATURE',
  [-11]: 'ETIMESTAMP',
  [-12]: 'ECANCELED',
  [-13]: 'EWOULDBLOCK',
});

class ToolgateError extends Error {
  /**
   * @param {string} code     "EINVAL", "ECONFIG", … (the library's names), or
   *                          "ECLOSED" / "ELIBRARY" from the binding itself
   * @param {string} message  what failed, never a secret
   * @param {{cause?: unknown, decision?: object}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = new.target.name;
    this.code = code;
    if (extra.decision !== undefined) this.decision = extra.decision;
  }
}

/** A tool name, identifier, connection or argument broke the input rules (EINVAL). */
class InputError extends ToolgateError {}
/** The configuration, a file it names or a provider module is wrong (ECONFIG, EIO, EPLUGIN). */
class ConfigError extends ToolgateError {}
/** The provider failed or did not answer in time (EPROVIDER, ETIMEOUT). */
class ProviderError extends ToolgateError {}
/** A webhook's signature or timestamp does not hold (ESIGNATURE, ETIMESTAMP). */
class SignatureError extends ToolgateError {}

const CLASS_OF = {
  EINVAL: InputError,
  ECONFIG: ConfigError,
  EIO: ConfigError,
  EPLUGIN: ConfigError,
  EPROVIDER: ProviderError,
  ETIMEOUT: ProviderError,
  ESIGNATURE: SignatureError,
  ETIMESTAMP: SignatureError,
};

function codeName(rc) {
  return CODE_NAMES[rc] || `E${-rc}`;
}

/** The error for a negative return code of the library. */
function errorFromCode(rc, message, extra) {
  const code = codeName(rc);
  const Cls = CLASS_OF[code] || ToolgateError;
  return new Cls(code, message, extra);
}

module.exports = {
  ToolgateError,
  InputError,
  ConfigError,
  ProviderError,
  SignatureError,
  errorFromCode,
  codeName,
};
