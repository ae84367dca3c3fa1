// What crosses the wire when a relayed request fails: the upstream's own JSON-RPC error unchanged, or the
// gateway's answer for something no client may see (worded as an SDK server words "not found").
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { toWireMessage } from "../../errors.ts";
import { META_PREFIX } from "../results.ts";

/** An error the SDK sends as {code, message, data} exactly as given (McpError would prefix its message again). */
export class WireError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** The upstream's answer, passed on as the upstream sent it; anything else becomes an internal error. */
export function relayedError(error: unknown, upstream: string): Error {
  if (error instanceof McpError) {
    const prefix = `MCP error ${error.code}: `;
    return new WireError(error.code, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message, error.data);
  }
  if (error instanceof Error && error.name === "AbortError") return error;
  const detail = toWireMessage(error).message;
  return new McpError(ErrorCode.InternalError, `Gatehouse could not relay this request to upstream "${upstream}": ${detail}`);
}

export function resourceNotFound(uri: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
}

export function resourceTemplateNotFound(uri: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Resource template ${uri} not found`);
}

export function promptNotFound(name: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Prompt ${name} not found`);
}

/** A policy denial: the reason for people and models, the decision and rule for programs. */
export function deniedByPolicy(reason: string, rule: string | null): McpError {
  return new McpError(ErrorCode.InvalidRequest, reason, { [`${META_PREFIX}decision`]: "deny", [`${META_PREFIX}rule`]: rule });
}
