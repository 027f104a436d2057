// toolgate for Node.js, as an ES module: the same exports as index.js. The
// MCP adapter loads the SDK's error class with import(), so it is the ES
// module build that an ES module application's server uses.
import toolgate from './index.js';
import adapters from './lib/adapters/index.js';

export const {
  Gate,
  ToolgateError,
  InputError,
  ConfigError,
  ProviderError,
  SignatureError,
  guardOpenAIAgentsTool,
  guardLangChainTool,
  guardAiSdkTool,
} = toolgate;
export const { guardMcpToolHandler } = adapters.makeAdapters((specifier) => import(specifier));
export default { ...toolgate, guardMcpToolHandler };
