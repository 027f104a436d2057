// Models that stand in for an LLM in these examples and in the binding's
// tests, so that each agent runtime runs its real loop with no network model.
// Each follows one script: first it calls one tool with fixed arguments;
// once the conversation holds that tool's result, it answers with a final
// message that quotes the result (as a model relays a tool's words to the
// user). In production the runtime's real model takes their place.
//
// This module imports no runtime: what a script needs from one is passed in.

/** The text of a tool result as the runtimes put it in the conversation. */
function resultText(output) {
  if (typeof output === 'string') return output;
  if (output && typeof output.text === 'string') return output.text; // Agents SDK
  if (output && 'value' in output) {
    return typeof output.value === 'string' ? output.value : JSON.stringify(output.value); // AI SDK
  }
  return JSON.stringify(output);
}

/**
 * A Model for @openai/agents (its Runner calls getResponse once per turn).
 * @param Usage  the Usage class of @openai/agents
 */
export function scriptedAgentsModel({ Usage }, toolName, args) {
  return {
    async getResponse(request) {
      const items = Array.isArray(request.input) ? request.input : [];
      const result = items.find((item) => item.type === 'function_call_result');
      if (!result) {
        return {
          usage: new Usage(),
          output: [
            { type: 'function_call', callId: 'call_1', name: toolName, arguments: JSON.stringify(args), status: 'completed' },
          ],
        };
      }
      return {
        usage: new Usage(),
        output: [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: `The tool answered: ${resultText(result.output)}` }],
          },
        ],
      };
    },
    // eslint-disable-next-line require-yield
    async *getStreamedResponse() {
      throw new Error('the scripted model does not stream');
    },
  };
}

const USAGE_V3 = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/**
 * doGenerate for the AI SDK's MockLanguageModelV3 (ai/test): a tool call,
 * then a final text quoting the tool's result.
 */
export function scriptedAiSdkGenerate(toolName, args) {
  return async ({ prompt }) => {
    const toolMessage = prompt.find((m) => m.role === 'tool');
    const part = toolMessage?.content.find((p) => p.type === 'tool-result');
    if (!part) {
      return {
        content: [{ type: 'tool-call', toolCallId: 'call_1', toolName, input: JSON.stringify(args) }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: USAGE_V3,
        warnings: [],
      };
    }
    return {
      content: [{ type: 'text', text: `The tool answered: ${resultText(part.output)}` }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: USAGE_V3,
      warnings: [],
    };
  };
}

/** The tool call a LangChain chat model emits (AIMessage.tool_calls[i]). */
export function scriptedLangChainToolCall(toolName, args) {
  return { type: 'tool_call', id: 'call_1', name: toolName, args };
}
