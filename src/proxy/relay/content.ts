// Resource URIs inside what upstreams return (read contents, prompt messages, tool results) are shown to
// clients in the exposed form, so a client can read what it was pointed at through this gateway.
import type { ToolNaming } from "../naming.ts";

export function exposeContents(naming: ToolNaming, upstream: string, contents: unknown): unknown {
  if (!naming.isPrefixed || !Array.isArray(contents)) return contents;
  return contents.map((item) => (isRecord(item) && typeof item.uri === "string" ? { ...item, uri: naming.exposedUri(upstream, item.uri) } : item));
}

/** A content block: resource links and embedded resources get exposed URIs, everything else is left alone. */
export function exposeContentBlock(naming: ToolNaming, upstream: string, block: unknown): unknown {
  if (!naming.isPrefixed || !isRecord(block)) return block;
  if (block.type === "resource_link" && typeof block.uri === "string") return { ...block, uri: naming.exposedUri(upstream, block.uri) };
  if (block.type === "resource" && isRecord(block.resource) && typeof block.resource.uri === "string") {
    return { ...block, resource: { ...block.resource, uri: naming.exposedUri(upstream, block.resource.uri) } };
  }
  return block;
}

export function exposePromptMessages(naming: ToolNaming, upstream: string, messages: unknown): unknown {
  if (!naming.isPrefixed || !Array.isArray(messages)) return messages;
  return messages.map((message) => (isRecord(message) ? { ...message, content: exposeContentBlock(naming, upstream, message.content) } : message));
}

export function exposeToolContent(naming: ToolNaming, upstream: string, content: unknown): unknown {
  if (!naming.isPrefixed || !Array.isArray(content)) return content;
  return content.map((block) => exposeContentBlock(naming, upstream, block));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
