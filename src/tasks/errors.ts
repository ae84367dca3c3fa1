// JSON-RPC errors thrown into the SDK's task handlers. McpError puts "MCP error <code>: " in front of its
// message, and the SDK sends that message as it is. The client then builds its own McpError from it
// and adds the same prefix a second time. The SDK only reads `code` and `message` from a thrown error,
// so ours leave the prefix out.
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";

export class TaskProtocolError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "TaskProtocolError";
    this.code = code;
  }
}

export function taskNotFound(taskId: string): TaskProtocolError {
  return new TaskProtocolError(ErrorCode.InvalidParams, `Task not found: ${taskId} (unknown, expired, or created with another grant)`);
}
