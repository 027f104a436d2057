'use strict';
// LangChain.js (@langchain/core/tools): the same tool — same class, name,
// schema and settings — whose run asks the gate first. A blocked call's
// output (the ToolMessage's content for a tool call) is the reason and the
// link; the tool does not run.

const { InputError } = require('../errors');
const { ALLOW, resolveIdentifier, checkOptions, decide } = require('./common');

const WHERE = 'guardLangChainTool';

/**
 * @param gate     a Gate
 * @param tool     a tool made with tool() of @langchain/core/tools (or any StructuredTool)
 * @param options  {identifier}: a string, or (input, config) => string, config
 *                 being the RunnableConfig of the call (configurable, toolCall, …)
 * @returns a tool of the same class as @p tool
 */
function guardLangChainTool(gate, tool, options) {
  const identifier = checkOptions(gate, options, WHERE);
  if (!tool || typeof tool._call !== 'function' || typeof tool.invoke !== 'function') {
    throw new InputError('EINVAL', `${WHERE}: the tool must be a LangChain tool (tool() of @langchain/core/tools)`);
  }
  // A copy of the tool object: its class and every setting, built by the
  // application's own copy of @langchain/core. Only the run is replaced; the
  // schema check, callbacks and ToolMessage formatting stay LangChain's.
  const guarded = Object.assign(Object.create(Object.getPrototypeOf(tool)), tool);
  guarded._call = async function guardedCall(input, runManager, config) {
    const id = await resolveIdentifier(identifier, input, config, WHERE);
    const { decision, text } = await decide(gate, tool.name, id);
    if (decision.verdict === ALLOW) return tool._call(input, runManager, config);
    return tool.responseFormat === 'content_and_artifact' ? [text, decision] : text;
  };
  return guarded;
}

module.exports = { guardLangChainTool };
