// Text helpers for Slack mrkdwn. Everything user- or agent-supplied goes through `mrkdwn` (redacted, with
// Slack's control characters escaped) so an argument can neither leak a secret nor ping `<!channel>`.
import { redactText } from "../audit/index.ts";

export const FIELD_VALUE_LIMIT = 300;

/** Free text shown in mrkdwn: redacted, with Slack's three control characters escaped. */
export function mrkdwn(text: string): string {
  return escapeMrkdwn(redactText(text));
}

/** The notification fallback (`text`) is read on lock screens: short, redacted and escaped like any mrkdwn. */
export function plain(text: string): string {
  return escapeMrkdwn(redactText(clip(text)));
}

export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function code(value: string): string {
  return `\`${mrkdwn(clip(value)).replaceAll("`", "'")}\``;
}

/** A fenced block; text that is already redacted. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${escapeMrkdwn(breakFences(text))}\n\`\`\``;
}

// A zero-width space keeps "```" inside the content from closing the block early.
export function breakFences(text: string): string {
  return text.replaceAll("```", "``\u200b`");
}

/** Escapes character by character so a cut never splits an entity such as `&amp;`. */
export function clipEscaped(text: string, budget: number): { shown: string; consumed: number } {
  let shown = "";
  let consumed = 0;
  for (const char of text) {
    const piece = escapeMrkdwn(char);
    if (shown.length + piece.length > budget) break;
    shown += piece;
    consumed += char.length;
  }
  return { shown, consumed };
}

export function clip(text: string, limit = FIELD_VALUE_LIMIT): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** Slack renders `<!date…>` in the reader's time zone; the fallback is UTC. */
export function slackDate(date: Date): string {
  const fallback = `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time_secs}|${fallback}>`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10 && seconds % 60 > 0) return `${minutes} min ${seconds % 60} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 > 0 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** A grant owner: a Slack user id becomes a mention, anything else stays (escaped) text. */
export function ownerMention(owner: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(owner) ? `<@${owner}>` : mrkdwn(clip(owner));
}
