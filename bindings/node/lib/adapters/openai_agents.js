'use strict';
// OpenAI Agents SDK (@openai/agents): a function tool whose invoke asks the
// gate first. A blocked call returns the reason and the link to the model as
// the tool's output, so it can tell the user; the tool does not run.

const { InputError } = require('../errors');
const { ALLOW, resolveIdentifier, checkOptions, decide } = require('./common');

const WHERE = 'guardOpenAIAgentsTool';

/**
 * @param gate     a Gate
 * @param tool     a function tool made with tool() of @openai/agents
 * @param options  {identifier}: a string, or (args, runContext) => string
 * @returns a function tool like @p tool (same name, schema and settings)
 */
function guardOpenAIAgentsTool(gate, tool, options) {
  const identifier = checkOptions(gate, options, WHERE);
  if (!tool || tool.type !== 'function' || typeof tool.invoke !== 'function') {
    throw new InputError('EINVAL', `${WHERE}: the tool must be a function tool made with tool() of @openai/agents`);
  }
  const invoke = tool.invoke;
  return {
    ...tool,
    async invoke(runContext, input, details) {
      let args;
      try {
        args = typeof input === 'string' && input !== '' ? JSON.parse(input) : {};
      } catch {
        // Input the tool cannot parse never reaches its execute: let the
        // tool report it to the model as it always does.
        return invoke.call(tool, runContext, input, details);
      }
      const id = await resolveIdentifier(identifier, args, runContext, WHERE);
      const { decision, text } = await decide(gate, tool.name, id);
      if (decision.verdict === ALLOW) return invoke.call(tool, runContext, input, details);
      return text;
    },
  };
}

module.exports = { guardOpenAIAgentsTool };
