// Types of the toolgate package (CommonJS and ES module alike).

/** What a check says about a tool call. */
export type Verdict = 'ALLOW' | 'NEEDS_AUTHORIZATION' | 'UNAVAILABLE' | 'DENY';

/** A connected account's status. */
export type Status =
  | 'ACTIVE'
  | 'PENDING'
  | 'PENDING_VERIFICATION'
  | 'EXPIRED'
  | 'REVOKED'
  | 'NOT_FOUND'
  | 'UNKNOWN';

/**
 * A decision: a plain object with exactly these keys (the library's JSON
 * encoding; absent values are null).
 */
export interface Decision {
  verdict: Verdict;
  /** The tool checked; null for a wait's decision (which names a connection). */
  tool: string | null;
  /** The tool's connection; null for a tool no rule maps. */
  connection: string | null;
  identifier: string;
  /** null when no status is known (unmapped tool, provider failure). */
  status: Status | null;
  /** The authorization link; non-null exactly when verdict is NEEDS_AUTHORIZATION. */
  link: string | null;
  /** RFC 3339 UTC, e.g. "2026-11-25T15:10:00Z"; null without a link or an expiry. */
  link_expires_at: string | null;
  /** One plain sentence, safe to show to a user or a model. */
  reason: string;
  /** Where the status came from; null when none was needed. */
  source: 'cache' | 'provider' | 'shared' | null;
  /** True only when a fail-stale policy served an expired ACTIVE entry. */
  stale: boolean;
}

/** An authorization link and its expiry (RFC 3339 UTC, or null). */
export interface Link {
  link: string;
  link_expires_at: string | null;
}

export interface WaitOptions {
  /** How long to wait in all, in ms (default 300000; 0: look once). */
  timeoutMs?: number;
  /** First pause between provider looks, in ms (default 250). */
  pollMs?: number;
  /** Longest pause, in ms (each is 1.5 times the last; default 5000). */
  maxPollMs?: number;
  /** Ends the wait: the promise rejects with code "ECANCELED", the signal's reason as cause. */
  signal?: AbortSignal;
}

/** A Standard Webhooks delivery: the headers and the raw body. */
export interface WebhookDelivery {
  /** The endpoint's secret, "whsec_<base64>". */
  secret: string;
  /** The webhook-id header. */
  id: string;
  /** The webhook-timestamp header (Unix seconds). */
  timestamp: string | number;
  /** The webhook-signature header ("v1,<base64>" entries, space-separated). */
  signature: string;
  /** The request body exactly as received. */
  body: Uint8Array | string;
  /** The current time in Unix seconds (default: now). */
  now?: number;
}

export type WebhookResult = 'applied' | 'stale' | 'duplicate' | 'ignored';

/** The library's error codes, and the binding's own ECLOSED and ELIBRARY. */
export type ErrorCode =
  | 'EINVAL'
  | 'ENOMEM'
  | 'ECONFIG'
  | 'EPROVIDER'
  | 'ETIMEOUT'
  | 'EBUFS'
  | 'EIO'
  | 'ENOTSUP'
  | 'EPLUGIN'
  | 'ESIGNATURE'
  | 'ETIMESTAMP'
  | 'ECANCELED'
  | 'EWOULDBLOCK'
  | 'ECLOSED'
  | 'ELIBRARY';

export class ToolgateError extends Error {
  readonly code: ErrorCode;
  /** For a wait the provider never answered: its UNAVAILABLE decision. */
  readonly decision?: Decision;
}
/** Bad input or arguments (EINVAL). */
export class InputError extends ToolgateError {}
/** A bad configuration, an unreadable file it names, a provider module that cannot load (ECONFIG, EIO, EPLUGIN). */
export class ConfigError extends ToolgateError {}
/** The provider failed or timed out (EPROVIDER, ETIMEOUT). */
export class ProviderError extends ToolgateError {}
/** A webhook signature or timestamp that does not hold (ESIGNATURE, ETIMESTAMP). */
export class SignatureError extends ToolgateError {}

/** One gate per process, shared by everything that checks tool calls. */
export class Gate {
  private constructor();
  /** A gate from a JSON configuration file; relative paths are relative to it. */
  static fromFile(path: string): Gate;
  /** A gate from JSON text (or an object); relative paths are relative to baseDir (default: the working directory). */
  static fromJson(config: string | object, baseDir?: string | null): Gate;

  /** Check a tool call for an end user. A cache miss asks the provider on this thread. */
  check(tool: string, identifier: string): Decision;
  /** check() without blocking the event loop: hits at once, misses on the thread pool. */
  checkAsync(tool: string, identifier: string): Promise<Decision>;
  /** The account's status, or null when the provider could not tell. */
  status(connection: string, identifier: string): Status | null;
  statusAsync(connection: string, identifier: string): Promise<Status | null>;
  /** An authorization link for the account, whatever its status. */
  link(connection: string, identifier: string): Link;
  linkAsync(connection: string, identifier: string): Promise<Link>;
  /** Drop cached entries: one account, a connection's (no identifier), or all (neither). */
  invalidate(connection?: string | null, identifier?: string | null): void;
  /** Wait (on the thread pool) until the account is ACTIVE or the time runs out. */
  wait(connection: string, identifier: string, options?: WaitOptions): Promise<Decision>;
  /** Verify a webhook delivery and apply its event to the cache. */
  applyWebhook(delivery: WebhookDelivery): WebhookResult;
  /** Free the gate (after calls in flight end; waits are cancelled). Idempotent. */
  close(): void;
  readonly closed: boolean;
  [Symbol.dispose](): void;
}

/** The end user of a call: a string, or a function of the call's arguments and the runtime's context. */
export type Identifier<Args, Context> = string | ((args: Args, context: Context) => string | Promise<string>);

export interface GuardOptions<Args = any, Context = any> {
  identifier: Identifier<Args, Context>;
}

/** The shape of an @openai/agents function tool (tool() of @openai/agents). */
export interface AgentsFunctionTool {
  type: 'function';
  name: string;
  invoke: (runContext: any, input: string, details?: any) => Promise<unknown>;
}

/**
 * An @openai/agents function tool that asks the gate first. identifier gets
 * the parsed arguments and the RunContext (your context at .context). A
 * blocked call's output to the model is the reason and the link.
 */
export function guardOpenAIAgentsTool<T extends AgentsFunctionTool>(
  gate: Gate,
  tool: T,
  options: GuardOptions<any, any>,
): T;

/** The shape of a LangChain tool (tool() of @langchain/core/tools). */
export interface LangChainTool {
  name: string;
  invoke(input: any, config?: any): Promise<any>;
}

/**
 * A LangChain tool of the same class that asks the gate first. identifier
 * gets the parsed input and the call's RunnableConfig. A blocked call's
 * output (a ToolMessage's content for a tool call) is the reason and the link.
 */
export function guardLangChainTool<T extends LangChainTool>(gate: Gate, tool: T, options: GuardOptions<any, any>): T;

/** What a blocked AI SDK tool call returns. */
export interface BlockedToolOutput {
  blocked: true;
  /** What the model reads: the reason and the link to open. */
  message: string;
  decision: Decision;
}

/** The shape of an AI SDK tool with an execute (tool() of ai). */
export interface AiSdkTool {
  execute?: (input: any, options: any) => any;
}

/**
 * An AI SDK tool that asks the gate first; name is its key in the tools map.
 * identifier gets the input and execute's options (experimental_context, …).
 * A blocked call's output is a BlockedToolOutput.
 */
export function guardAiSdkTool<T extends AiSdkTool>(gate: Gate, name: string, tool: T, options: GuardOptions<any, any>): T;

export interface McpGuardOptions extends GuardOptions<any, any> {
  /** The McpServer (or Server): its client's capabilities decide between -32042 and an isError result. */
  server?: { server?: { getClientCapabilities(): any } } | { getClientCapabilities(): any };
  /** The SDK's UrlElicitationRequiredError, when it cannot be loaded from this package's location. */
  UrlElicitationRequiredError?: new (elicitations: any[], message?: string) => Error;
}

/**
 * A handler for McpServer.registerTool that asks the gate first. identifier
 * gets the tool's arguments and the request's extra. NEEDS_AUTHORIZATION is
 * error -32042 (UrlElicitationRequiredError) when the client declared URL
 * elicitation, else an isError CallToolResult carrying the link.
 */
export function guardMcpToolHandler<H extends (...args: any[]) => any>(
  gate: Gate,
  name: string,
  handler: H,
  options: McpGuardOptions,
): H;
