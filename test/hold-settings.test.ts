// Hold settings are resolved per call from the config defaults, the client's name and the grant, and the
// pending answer is rendered from a template. Pure: table-tested.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHoldSettingsResolver, DEFAULT_PENDING_TEXT, renderPendingText } from "../src/approvals/index.ts";
import { parseConfig } from "../src/config/index.ts";
import { isGatewayError } from "../src/errors.ts";

const resolve = createHoldSettingsResolver({
  defaults: { maxWaitMs: 45_000, heartbeatMs: 10_000, pendingText: "default {id}" },
  clients: { "claude-code*": { maxWaitMs: 100_000 }, "*inspector*": { maxWaitMs: 50_000, heartbeatMs: 5_000 }, "*": { pendingText: "any client {id}" } },
  grants: { "batch-agent": { maxWaitMs: 5_000 } },
});

describe("hold settings", () => {
  const cases: Array<{ grant: string; client: string | null; expect: { maxWaitMs: number; heartbeatMs: number; pendingText: string } }> = [
    { grant: "agent", client: null, expect: { maxWaitMs: 45_000, heartbeatMs: 10_000, pendingText: "default {id}" } },
    { grant: "agent", client: "Claude-Code", expect: { maxWaitMs: 100_000, heartbeatMs: 10_000, pendingText: "default {id}" } },
    { grant: "agent", client: "mcp-inspector-cli", expect: { maxWaitMs: 50_000, heartbeatMs: 5_000, pendingText: "default {id}" } },
    { grant: "agent", client: "cursor", expect: { maxWaitMs: 45_000, heartbeatMs: 10_000, pendingText: "any client {id}" } },
    { grant: "batch-agent", client: "claude-code", expect: { maxWaitMs: 5_000, heartbeatMs: 10_000, pendingText: "default {id}" } },
  ];
  for (const { grant, client, expect } of cases) {
    it(`grant ${grant}, client ${client ?? "(none)"}: the first matching client entry, then the grant, over the defaults`, () => {
      assert.deepEqual(resolve({ grant, client }), expect);
    });
  }

  it("fills the pending-answer placeholders and leaves unknown ones as written", () => {
    const facts = { tool: "crm__delete", id: "a1", channel: "C0OPS", deadline: new Date("2026-11-25T16:30:00Z"), statusTool: "gatehouse_approval_status" };
    assert.equal(renderPendingText("{tool}|{id}|{where}|{channel}|{deadline}|{status_tool}|{nope}", facts), "crm__delete|a1| in Slack channel C0OPS|C0OPS|2026-11-25T16:30:00.000Z|gatehouse_approval_status|{nope}");
    assert.equal(renderPendingText("x{where}y", { ...facts, channel: null }), "xy");
    assert.match(renderPendingText(DEFAULT_PENDING_TEXT, facts), /^crm__delete has NOT run: .* in Slack channel C0OPS \(approval a1, decision due by 2026-11-25T16:30:00\.000Z\)\. .*gatehouse_approval_status with \{"id": "a1"\}\.$/);
  });

  it("refuses the replaced maxHoldSeconds with a message naming its successor", () => {
    assert.throws(
      () => parseConfig(JSON.stringify({ upstreams: { a: { url: "http://127.0.0.1:1/mcp" } }, approvals: { maxHoldSeconds: 300 } }), "/tmp/gatehouse.json"),
      (error: unknown) => isGatewayError(error) && /\/approvals: .*maxHoldSeconds was replaced by maxWaitSeconds/.test(error.message),
    );
  });
});
