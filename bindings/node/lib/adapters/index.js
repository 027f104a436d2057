'use strict';
// The adapters, one per agent runtime. None imports its runtime up front:
// the runtimes are optional peer dependencies, and only the MCP adapter
// loads anything (the SDK's error class), through the loader it is given.

const { guardOpenAIAgentsTool } = require('./openai_agents');
const { guardLangChainTool } = require('./langchain');
const { guardAiSdkTool } = require('./ai_sdk');
const { makeMcpAdapter } = require('./mcp');

function makeAdapters(load) {
  return {
    guardOpenAIAgentsTool,
    guardLangChainTool,
    guardAiSdkTool,
    guardMcpToolHandler: makeMcpAdapter(load),
  };
}

module.exports = { makeAdapters };
