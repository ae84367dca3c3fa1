// Renders tool_calls rows for people (aligned table) and for tools (JSON, CSV). Values come from agents
// and upstreams, so the table strips control characters (terminal escapes) and CSV cells that a
// spreadsheet would run as a formula get a leading apostrophe.
import type { Integrity } from "./fold.ts";
import type { EventRow } from "./query.ts";
import type { CallRow } from "./rows.ts";

export type OutputFormat = "table" | "json" | "csv";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "json", "csv"];

const CSV_COLUMNS: [string, (row: CallRow) => unknown][] = [
  ["id", (r) => r.id],
  ["created_at", (r) => r.createdAt],
  ["finished_at", (r) => r.finishedAt],
  ["grant", (r) => r.grantName],
  ["session", (r) => r.sessionId],
  ["upstream", (r) => r.upstream],
  ["tool", (r) => r.tool],
  ["decision", (r) => r.decision],
  ["status", (r) => r.status],
  ["rule", (r) => r.rule],
  ["reason", (r) => r.reason],
  ["duration_ms", (r) => r.durationMs],
  ["error", (r) => r.error],
  ["args_hash", (r) => r.argsHash],
  ["args_redacted", (r) => JSON.stringify(r.argsRedacted)],
  ["approval_id", (r) => r.approval?.id ?? null],
  ["decided_by", (r) => r.approval?.decidedBy ?? null],
  ["votes", (r) => (r.approval ? votesText(r) : null)],
  ["integrity", (r) => integrityWord(r.integrity)],
  ["integrity_problems", (r) => r.integrity.problems.join("; ") || null],
  ["unverified", (r) => r.integrity.unverified.join("; ") || null],
];

const TABLE_COLUMNS: [string, (row: CallRow) => string][] = [
  ["ID", (r) => r.id],
  ["TIME", (r) => shortTime(r.createdAt)],
  ["GRANT", (r) => r.grantName],
  ["UPSTREAM", (r) => r.upstream],
  ["TOOL", (r) => r.tool],
  ["DECISION", (r) => r.decision],
  ["STATUS", (r) => r.status],
  ["RULE", (r) => r.rule ?? "-"],
  ["DURATION", (r) => (r.durationMs === null ? "-" : formatDuration(r.durationMs))],
  ["VOTES", (r) => (r.approval && r.approval.votes.length > 0 ? votesText(r) : "-")],
  ["CHAIN", (r) => integrityWord(r.integrity)],
];

/** "ok", "PROBLEM" (a row disagrees with its audit events), or "unverified" (older events cannot vouch for every field). */
export function integrityWord(integrity: Integrity): string {
  if (!integrity.ok) return "PROBLEM";
  return integrity.unverified.length > 0 ? "unverified" : "ok";
}

function votesText(row: CallRow): string {
  return (row.approval?.votes ?? []).map((v) => `${v.voter} ${v.vote}`).join(", ");
}

export function formatToolCalls(rows: readonly CallRow[], format: OutputFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(rows, null, 2)}\n`;
    case "csv":
      return toCsv(CSV_COLUMNS, rows);
    case "table":
      return rows.length === 0 ? "No tool calls match.\n" : toTable(TABLE_COLUMNS, rows) + problemNotes(rows);
  }
}

// Under the table, so a PROBLEM row says what is wrong without a second command.
function problemNotes(rows: readonly CallRow[]): string {
  const notes = rows.flatMap((row) => row.integrity.problems.map((problem) => `! ${row.id}: ${printable(problem)}`));
  return notes.length === 0 ? "" : `\n${notes.join("\n")}\n`;
}

const EVENT_COLUMNS: [string, (row: EventRow) => unknown][] = [
  ["seq", (r) => r.seq],
  ["at", (r) => r.at.toISOString()],
  ["type", (r) => r.type],
  ["actor", (r) => r.actor],
  ["call_id", (r) => r.callId],
  ["upstream", (r) => r.upstream],
  ["tool", (r) => r.tool],
  ["decision", (r) => r.decision],
  ["rule", (r) => r.rule],
  ["reason", (r) => r.reason],
  ["data", (r) => JSON.stringify(r.data)],
  ["hash", (r) => r.hash],
  ["integrity", (r) => integrityWord(r.integrity)],
  ["integrity_problems", (r) => r.integrity.problems.join("; ") || null],
];

export function formatAuditEvents(rows: readonly EventRow[], format: OutputFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(rows, null, 2)}\n`;
    case "csv":
      return toCsv(EVENT_COLUMNS, rows);
    case "table": {
      if (rows.length === 0) return "No audit events match.\n";
      const columns: [string, (row: EventRow) => string][] = [
        ["SEQ", (r) => String(r.seq)],
        ["TIME", (r) => shortTime(r.at)],
        ["TYPE", (r) => r.type],
        ["ACTOR", (r) => r.actor],
        ["TOOL", (r) => (r.tool ? `${r.upstream ?? "?"}/${r.tool}` : "-")],
        ["DECISION", (r) => r.decision ?? "-"],
        ["RULE", (r) => r.rule ?? "-"],
        ["CHAIN", (r) => integrityWord(r.integrity)],
      ];
      return toTable(columns, rows);
    }
  }
}

function toCsv<Row>(columns: [string, (row: Row) => unknown][], rows: readonly Row[]): string {
  const lines = [columns.map(([name]) => name).join(",")];
  for (const row of rows) lines.push(columns.map(([, read]) => csvCell(read(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** RFC 4180 quoting; text a spreadsheet would evaluate (=, +, -, @, tab, CR first) is prefixed with '. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toTable<Row>(columns: [string, (row: Row) => string][], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map(([, read]) => printable(read(row))));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((line) => line[i]?.length ?? 0)));
  const render = (line: string[]) =>
    line
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[render(columns.map(([title]) => title)), ...cells.map(render)].join("\n")}\n`;
}

export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

export function shortTime(at: Date | string): string {
  return (typeof at === "string" ? at : at.toISOString()).replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

/** "83 ms", "2.4 s", "3 min 5 s", "2 h 10 min": the CLI and the dashboard say durations the same way. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}
