// What the upstream answered, as the audit keeps it: whether it was an error, the start of its text
// content (secrets redacted) and what else it held. Bounded, so a large result costs the hot path and
// the chain at most a few kilobytes.
import { redactText } from "./redact.ts";

/** Characters of text content kept (UTF-16 code units; a cut never splits a surrogate pair). */
export const RESULT_TEXT_LIMIT = 2048;
// Redaction runs on a little more than is kept, so a secret crossing the cut is still recognised whole.
const REDACT_WINDOW = RESULT_TEXT_LIMIT + 512;

export interface ResultSummary {
  isError: boolean;
  /** The text items joined by newlines, redacted, cut to RESULT_TEXT_LIMIT characters. */
  text: string;
  /** True when the text was longer than what is kept. */
  isTruncated: boolean;
  /** Characters of text content the upstream sent in all. */
  textLength: number;
  /** How many content items of each type ("text", "image", "resource", …). */
  content: Record<string, number>;
  hasStructuredContent: boolean;
}

export function summarizeResult(result: { isError?: boolean; content?: unknown; structuredContent?: unknown }): ResultSummary {
  const items = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  const content: Record<string, number> = {};
  const texts: string[] = [];
  for (const item of items) {
    const type = typeof (item as { type?: unknown })?.type === "string" ? (item as { type: string }).type : "unknown";
    content[type] = (content[type] ?? 0) + 1;
    const text = (item as { text?: unknown }).text;
    if (type === "text" && typeof text === "string") texts.push(text);
  }
  const joined = texts.join("\n");
  const redacted = redactText(joined.slice(0, REDACT_WINDOW));
  const isTruncated = joined.length > REDACT_WINDOW || redacted.length > RESULT_TEXT_LIMIT;
  return {
    isError: result.isError === true,
    text: isTruncated ? cut(redacted, RESULT_TEXT_LIMIT) : redacted,
    isTruncated,
    textLength: joined.length,
    content,
    hasStructuredContent: result.structuredContent !== undefined && result.structuredContent !== null,
  };
}

function cut(text: string, limit: number): string {
  const code = text.charCodeAt(limit - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}
