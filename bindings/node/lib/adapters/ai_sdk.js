'use strict';
// Vercel AI SDK (ai): the same tool() object with an execute that asks the
// gate first. A blocked call's output is {blocked: true, message, decision}:
// the model reads the message (the reason and the link), the application
// finds the decision in the step's tool results. The tool does not run.

const { InputError } = require('../errors');
const { ALLOW, resolveIdentifier, checkOptions, decide } = require('./common');

const WHERE = 'guardAiSdkTool';

/**
 * @param gate     a Gate
 * @param name     the tool's key in the tools map given to generateText/streamText
 * @param tool     a tool made with tool() of ai, with an execute
 * @param options  {identifier}: a string, or (input, options) => string, options
 *                 being execute's second argument (toolCallId, messages,
 *                 abortSignal, experimental_context)
 * @returns a tool like @p tool
 */
function guardAiSdkTool(gate, name, tool, options) {
  const identifier = checkOptions(gate, options, WHERE);
  if (typeof name !== 'string' || name === '') {
    throw new InputError('EINVAL', `${WHERE}: name must be the tool's key in the tools map`);
  }
  if (!tool || typeof tool.execute !== 'function') {
    throw new InputError('EINVAL', `${WHERE}: the tool must be a tool() of ai with an execute function`);
  }
  const { execute, toModelOutput } = tool;
  const blocked = new WeakSet();
  const guarded = {
    ...tool,
    async execute(input, executeOptions) {
      const id = await resolveIdentifier(identifier, input, executeOptions, WHERE);
      const { decision, text } = await decide(gate, name, id);
      if (decision.verdict === ALLOW) return execute.call(tool, input, executeOptions);
      const output = { blocked: true, message: text, decision };
      blocked.add(output);
      return output;
    },
  };
  if (typeof toModelOutput === 'function') {
    // The tool's own toModelOutput expects its own output: a blocked call's
    // output reaches the model as the message instead.
    guarded.toModelOutput = function guardedToModelOutput(arg) {
      const output = arg && typeof arg === 'object' && 'output' in arg ? arg.output : arg;
      if (output && blocked.has(output)) return { type: 'text', value: output.message };
      return toModelOutput.call(tool, arg);
    };
  }
  return guarded;
}

module.exports = { guardAiSdkTool };
