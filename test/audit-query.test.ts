import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createAuditWriter,
  csvCell,
  formatAuditEvents,
  formatToolCalls,
  globToLike,
  InvalidAuditQueryError,
  listAuditEvents,
  listToolCalls,
  parseSince,
  type ToolCallFilters,
  type ToolCallInput,
} from "../src/audit/index.ts";
import type { CallRow } from "../src/audit/index.ts";
import type { Database } from "../src/db/index.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";

const BASE = Date.parse("2025-06-01T12:00:00.000Z");
const TOOLS = ["smartlead_get_campaign", "smartlead_get_leads", "smartlead_set_campaign", "smartlead_delete_campaign", "smartleadXget_campaign", "send_100%_emails"];
const GRANTS = ["agent-a", "agent-b", "agent-c"];
const OUTCOMES: [decision: string, status: string][] = [
  ["allow", "succeeded"],
  ["allow", "failed"],
  ["deny", "refused"],
  ["require_approval", "pending"],
  ["rate_limited", "refused"],
];

interface Seeded {
  id: string;
  createdAt: Date;
  upstream: string;
  tool: string;
  grantName: string;
  decision: string;
  status: string;
}

let test: TestDatabase;
let database: Database;
const seeded: Seeded[] = [];
const callIds: string[] = [];

before(async () => {
  test = await openTestDatabase({ schemaPrefix: "gh_audit_query" });
  database = test.database;
  let tick = 0;
  const writer = createAuditWriter({ database, now: () => new Date(BASE + 1000 * tick++) });
  const records: Promise<void>[] = [];
  for (let i = 0; i < 30; i++) {
    const [decision, status] = OUTCOMES[i % OUTCOMES.length] ?? ["allow", "succeeded"];
    const row: Seeded = {
      id: randomUUID(),
      // pairs share a timestamp, so ties are broken by id
      createdAt: new Date(BASE + 60_000 * Math.floor(i / 2)),
      upstream: i % 4 === 0 ? "github" : "smartlead",
      tool: TOOLS[i % TOOLS.length] ?? "",
      grantName: GRANTS[i % GRANTS.length] ?? "",
      decision,
      status,
    };
    seeded.push(row);
    const call: ToolCallInput = { ...row, sessionId: `s-${i}`, argsRedacted: { i }, argsHash: "0".repeat(64), rule: `/tools/${row.tool}`, durationMs: i * 10 };
    records.push(writer.record({ event: { type: i % 2 ? "call.allowed" : "call.denied", actor: `grant:${row.grantName}`, upstream: row.upstream, tool: row.tool }, call }));
    callIds.push(row.id);
  }
  await Promise.all(records);
  await writer.close();
});
after(() => test.close());

const newestFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

async function collectAll(filters: ToolCallFilters): Promise<{ rows: CallRow[]; pages: number }> {
  const rows: CallRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await listToolCalls(database, { ...filters, ...(cursor ? { cursor } : {}) });
    rows.push(...page.rows);
    pages++;
    if (!page.nextCursor) return { rows, pages };
    cursor = page.nextCursor;
    assert.ok(pages < 100, "pagination terminates");
  }
}

describe("listToolCalls", () => {
  it("returns every call newest first, ties broken by id", async () => {
    const { rows, nextCursor } = await listToolCalls(database, { limit: 1000 });
    assert.equal(nextCursor, null);
    assert.deepEqual(
      rows.map((r) => r.id),
      [...seeded].sort(newestFirst).map((r) => r.id),
    );
    assert.ok(new Set(seeded.map((r) => r.createdAt.getTime())).size < seeded.length, "the data set has timestamp ties");
  });

  const filterCases: [string, ToolCallFilters, (row: Seeded) => boolean][] = [
    ["upstream", { upstream: "github" }, (r) => r.upstream === "github"],
    ["grant", { grant: "agent-b" }, (r) => r.grantName === "agent-b"],
    ["decision", { decision: "deny" }, (r) => r.decision === "deny"],
    ["status", { status: "refused" }, (r) => r.status === "refused"],
    ["exact tool", { tool: "smartlead_get_leads" }, (r) => r.tool === "smartlead_get_leads"],
    ["tool glob *: underscores are literal", { tool: "smartlead_get_*" }, (r) => r.tool.startsWith("smartlead_get_")],
    ["tool glob ?", { tool: "smartlead_?et_campaign" }, (r) => r.tool === "smartlead_get_campaign" || r.tool === "smartlead_set_campaign"],
    ["tool glob: % is literal", { tool: "send_100%*" }, (r) => r.tool === "send_100%_emails"],
    ["tool glob matching nothing", { tool: "send_1000*" }, () => false],
    ["since", { since: new Date(BASE + 60_000 * 10) }, (r) => r.createdAt.getTime() >= BASE + 60_000 * 10],
    ["until", { until: new Date(BASE + 60_000 * 5) }, (r) => r.createdAt.getTime() < BASE + 60_000 * 5],
    [
      "combined",
      { upstream: "smartlead", tool: "smartlead_*", decision: "allow", since: new Date(BASE + 60_000 * 3) },
      (r) => r.upstream === "smartlead" && r.tool.startsWith("smartlead_") && r.decision === "allow" && r.createdAt.getTime() >= BASE + 60_000 * 3,
    ],
  ];
  for (const [name, filters, keep] of filterCases) {
    it(`filters by ${name}`, async () => {
      const expected = seeded.filter(keep).sort(newestFirst).map((r) => r.id);
      const { rows } = await collectAll({ ...filters, limit: 4 });
      assert.deepEqual(
        rows.map((r) => r.id),
        expected,
      );
    });
  }

  it("pages with an opaque cursor: no gaps, no repeats, last page has no cursor", async () => {
    const { rows, pages } = await collectAll({ limit: 7 });
    assert.equal(pages, 5);
    assert.deepEqual(
      rows.map((r) => r.id),
      [...seeded].sort(newestFirst).map((r) => r.id),
    );
    const first = await listToolCalls(database, { limit: 7 });
    assert.match(first.nextCursor ?? "", /^[A-Za-z0-9_-]+$/, "base64url");
  });

  it("keeps later pages stable while newer calls arrive", async () => {
    const first = await listToolCalls(database, { limit: 10, upstream: "smartlead" });
    const writer = createAuditWriter({ database });
    const id = randomUUID();
    await writer.record({
      event: { type: "call.allowed", actor: "grant:agent-a" },
      call: { id, grantName: "agent-a", sessionId: "s", upstream: "smartlead", tool: "smartlead_get_leads", argsRedacted: {}, argsHash: "0".repeat(64), decision: "allow", status: "forwarded", createdAt: new Date(BASE + 86_400_000) },
    });
    await writer.close();
    const second = await listToolCalls(database, { limit: 10, upstream: "smartlead", cursor: first.nextCursor ?? "" });
    const expected = seeded.filter((r) => r.upstream === "smartlead").sort(newestFirst).slice(10, 20).map((r) => r.id);
    assert.deepEqual(
      second.rows.map((r) => r.id),
      expected,
    );
    assert.equal((await listToolCalls(database, { limit: 1 })).rows[0]?.id, id);
  });

  it("pages correctly through rows that differ only in microseconds", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const times = ["2025-07-01T00:00:00.123456Z", "2025-07-01T00:00:00.123789Z", "2025-07-01T00:00:00.123001Z"];
    for (const [i, id] of ids.entries()) {
      await database.pool.query(
        `INSERT INTO tool_calls (id, created_at, grant_name, session_id, upstream, tool, args_redacted, args_hash, decision, status)
         VALUES ($1, $2, 'g', 's', 'micro', 't', '{}', 'h', 'allow', 'succeeded')`,
        [id, times[i]],
      );
    }
    const { rows, pages } = await collectAll({ upstream: "micro", limit: 1 });
    assert.equal(pages, 3);
    assert.deepEqual(
      rows.map((r) => r.id),
      [ids[1], ids[0], ids[2]],
    );
  });

  it("refuses a cursor it did not issue, and a bad limit", async () => {
    const events = await listAuditEvents(database, { limit: 1 });
    const bad = ["garbage", Buffer.from('{"k":"c","at":"x","id":"y"}').toString("base64url"), events.nextCursor ?? ""];
    for (const cursor of bad) {
      await assert.rejects(listToolCalls(database, { cursor }), (error: unknown) => error instanceof InvalidAuditQueryError && /Invalid cursor/.test(error.message));
    }
    await assert.rejects(listToolCalls(database, { limit: 0 }), InvalidAuditQueryError);
    assert.equal((await listToolCalls(database, { limit: 5000 })).rows.length, seeded.length + 4, "a large limit is capped, not refused");
  });
});

describe("listAuditEvents", () => {
  it("lists newest first by seq and pages with a cursor", async () => {
    const all = await listAuditEvents(database, { limit: 1000 });
    const seqs = all.rows.map((r) => r.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
    );
    const paged: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listAuditEvents(database, { limit: 4, ...(cursor ? { cursor } : {}) });
      paged.push(...page.rows.map((r) => r.seq));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(paged, seqs);
  });

  it("filters by type glob, call id, actor and time", async () => {
    const denied = await listAuditEvents(database, { type: "call.d*", limit: 1000 });
    assert.equal(denied.rows.length, 15);
    assert.ok(denied.rows.every((r) => r.type === "call.denied"));

    const firstCall = callIds[0] ?? "";
    const forCall = await listAuditEvents(database, { callId: firstCall.toUpperCase() });
    assert.deepEqual(
      forCall.rows.map((r) => r.callId),
      [firstCall],
    );
    assert.deepEqual((await listAuditEvents(database, { callId: "not-a-uuid" })).rows, []);

    const byActor = await listAuditEvents(database, { actor: "grant:agent-c", limit: 1000 });
    assert.equal(byActor.rows.length, 10);

    // the seeding writer's clock advanced one second per record, starting at BASE
    const recent = await listAuditEvents(database, { since: new Date(BASE + 25_000), until: new Date(BASE + 28_000), limit: 1000 });
    assert.equal(recent.rows.length, 3);
  });
});

describe("parseSince", () => {
  const now = new Date("2025-06-01T12:00:00.000Z");
  const cases: [string, string][] = [
    ["90s", "2025-06-01T11:58:30.000Z"],
    ["30m", "2025-06-01T11:30:00.000Z"],
    ["1h", "2025-06-01T11:00:00.000Z"],
    ["2d", "2025-05-30T12:00:00.000Z"],
    ["1w", "2025-05-25T12:00:00.000Z"],
    [" 15 m ", "2025-06-01T11:45:00.000Z"],
    ["2025-05-01", "2025-05-01T00:00:00.000Z"],
    ["2025-05-01T08:30:00Z", "2025-05-01T08:30:00.000Z"],
    ["2025-05-01T08:30:00.250+02:00", "2025-05-01T06:30:00.250Z"],
  ];
  for (const [input, expected] of cases) it(`"${input}"`, () => assert.equal(parseSince(input, now).toISOString(), expected));
  for (const input of ["", "1", "yesterday", "1y", "-1h", "2025-13-01", "1h ago"]) {
    it(`refuses "${input}"`, () => assert.throws(() => parseSince(input, now), InvalidAuditQueryError));
  }
  const outOfRange: [string, RegExp][] = [
    ["99999999d", /"99999999d" reaches back before 1970-01-01/],
    ["99999999999999999999999w", /reaches back before 1970-01-01/],
    ["2916w", /reaches back before 1970-01-01/],
    ["1969-12-31T23:59:59Z", /out of range: times must fall between 1970-01-01 and 9999-12-31/],
    ["9999-12-31T23:59:59-01:00", /out of range/],
    ["2025-02-30", /"2025-02-30" is not a valid date and time/],
    ["2023-02-29", /not a valid date and time/],
    ["2025-04-31T10:00:00Z", /not a valid date and time/],
    ["2025-01-01T24:00:00Z", /not a valid date and time/],
    ["2025-01-01T10:60Z", /not a valid date and time/],
    ["2025-01-01T10:00:00+24:00", /not a valid date and time/],
  ];
  for (const [input, message] of outOfRange) {
    it(`refuses "${input}" with a clear message`, () => assert.throws(() => parseSince(input, now), (e: unknown) => e instanceof InvalidAuditQueryError && message.test(e.message)));
  }
  it("accepts the edges of the range and leap days", () => {
    assert.equal(parseSince("2024-02-29", now).toISOString(), "2024-02-29T00:00:00.000Z");
    assert.equal(parseSince("1970-01-01T00:00:00Z", now).toISOString(), "1970-01-01T00:00:00.000Z");
    assert.equal(parseSince("2000w", now).toISOString(), "1987-02-01T12:00:00.000Z");
  });
});

describe("globToLike", () => {
  it("escapes LIKE's own wildcards and backslash", () => {
    assert.equal(globToLike("a_b%c\\d*e?"), "a\\_b\\%c\\\\d%e_");
  });
});

const sample: CallRow = {
  id: "6f1c1c1e-0000-4000-8000-000000000001",
  createdAt: "2025-06-01T12:00:00.123Z",
  finishedAt: "2025-06-01T12:00:01.500Z",
  grantName: "agent-a",
  sessionId: "s-1",
  upstream: "smartlead",
  tool: "smartlead_get_campaign",
  argsRedacted: { note: 'say "hi", then\nleave', password: "[REDACTED]" },
  argsHash: "ab".repeat(32),
  decision: "allow",
  rule: "/tools/smartlead_get_*",
  reason: 'quoted "reason", with comma',
  status: "succeeded",
  durationMs: 1377,
  error: null,
  approval: null,
  integrity: { ok: true, problems: [], unverified: [] },
};

describe("formatToolCalls", () => {
  it("csv: header, RFC 4180 quoting of commas, quotes and newlines, empty for null", () => {
    const csv = formatToolCalls([sample], "csv");
    const [header, line, end] = csv.split("\r\n");
    assert.equal(
      header,
      "id,created_at,finished_at,grant,session,upstream,tool,decision,status,rule,reason,duration_ms,error,args_hash,args_redacted,approval_id,decided_by,votes,integrity,integrity_problems,unverified",
    );
    assert.equal(end, "");
    assert.ok(line?.includes(',"quoted ""reason"", with comma",1377,,'));
    assert.ok(line?.endsWith(`,"{""note"":""say \\""hi\\"", then\\nleave"",""password"":""[REDACTED]""}",,,,ok,,`));
  });

  it("csv: neutralises spreadsheet formulas and quotes embedded line breaks", () => {
    assert.equal(csvCell("=HYPERLINK(\"http://x\")"), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvCell("+1"), "'+1");
    assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
    assert.equal(csvCell("two\nlines"), '"two\nlines"');
    assert.equal(csvCell(-5), "-5");
    assert.equal(csvCell(null), "");
  });

  it("table: aligned columns id, time, grant, upstream, tool, decision, status, rule, duration, votes, chain", () => {
    const other: CallRow = { ...sample, grantName: "a-much-longer-grant", tool: "t", rule: null, durationMs: null, status: "forwarded" };
    const lines = formatToolCalls([sample, other], "table").trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /^ID\s+TIME\s+GRANT\s+UPSTREAM\s+TOOL\s+DECISION\s+STATUS\s+RULE\s+DURATION\s+VOTES\s+CHAIN$/);
    assert.match(lines[1] ?? "", /^6f1c1c1e-0000-4000-8000-000000000001\s+2025-06-01 12:00:00Z\s+agent-a\s+smartlead\s+smartlead_get_campaign\s+allow\s+succeeded\s+\/tools\/smartlead_get_\*\s+1\.4 s\s+-\s+ok$/);
    assert.match(lines[2] ?? "", /a-much-longer-grant\s+smartlead\s+t\s+allow\s+forwarded\s+-\s+-\s+-\s+ok$/);
    for (const title of ["TIME", "GRANT", "UPSTREAM", "TOOL", "DECISION", "STATUS", "RULE"]) {
      const column = lines[0]?.indexOf(title) ?? -1;
      assert.ok(column > 0);
      assert.equal(lines[1]?.[column - 1], " ", `${title} column starts at the same offset`);
      assert.notEqual(lines[1]?.[column], " ", `${title} value starts where its header does`);
      assert.notEqual(lines[2]?.[column], " ", `${title} value starts where its header does`);
    }
  });

  it("table: control characters cannot reach the terminal", () => {
    const table = formatToolCalls([{ ...sample, tool: "evil\u001b[2Jtool" }], "table");
    assert.ok(!table.includes("\u001b"));
  });

  it("json: parses back to the rows", () => {
    const parsed = JSON.parse(formatToolCalls([sample], "json")) as Record<string, unknown>[];
    assert.equal(parsed[0]?.createdAt, "2025-06-01T12:00:00.123Z");
    assert.deepEqual(parsed[0]?.argsRedacted, sample.argsRedacted);
  });

  it("says so when nothing matches", () => {
    assert.equal(formatToolCalls([], "table"), "No tool calls match.\n");
    assert.equal(formatToolCalls([], "json"), "[]\n");
  });

  it("formats audit events too", async () => {
    const { rows } = await listAuditEvents(database, { limit: 2 });
    assert.match(formatAuditEvents(rows, "table"), /^SEQ\s+TIME\s+TYPE\s+ACTOR\s+TOOL\s+DECISION\s+RULE\s+CHAIN\n/);
    assert.equal(formatAuditEvents(rows, "csv").split("\r\n").length, 4);
  });
});
