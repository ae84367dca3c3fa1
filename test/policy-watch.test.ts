import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { PolicyHolder, PolicyHolderEvent } from "../src/policy/index.ts";
import { createPolicyHolder, evaluate, formatPolicyIssue } from "../src/policy/index.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");

/** Write-then-rename, so the holder can never read a half-written file. */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

function policyText(defaultAction: string): string {
  return JSON.stringify({ version: "1", default: defaultAction, tools: { read: {} } });
}

/** A holder whose events can be awaited in order; no test sleeps. */
async function watched(t: TestContext, initial: string | null, emptySettleMs?: number) {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-policy-watch-"));
  const file = join(dir, "upstream.json");
  if (initial !== null) await writeFile(file, initial);
  const events: PolicyHolderEvent[] = [];
  let wake: (() => void) | undefined;
  const holder: PolicyHolder = createPolicyHolder(file, {
    pollIntervalMs: 100,
    ...(emptySettleMs === undefined ? {} : { emptySettleMs }),
    onChange(event) {
      events.push(event);
      wake?.();
    },
  });
  t.after(async () => {
    await holder.close();
    await rm(dir, { recursive: true, force: true });
  });
  await holder.ready;
  let seen = events.length;
  // Waits for the next event of `type`. An in-place write can be read half-written and reported as an
  // error first; that is correct behaviour, so a test waiting for "reloaded" skips past it.
  const nextEvent = async (type: PolicyHolderEvent["type"]): Promise<PolicyHolderEvent> => {
    for (;;) {
      while (events.length <= seen) await new Promise<void>((resolve) => (wake = resolve));
      const event = events[seen];
      seen += 1;
      if (event?.type === type) return event;
    }
  };
  const decisionFor = (tool: string) =>
    holder.current() && evaluate(holder.current()!, { tool, args: {}, grant: { name: "g" }, session: { id: "s" } }, NOW).kind;
  return { dir, file, holder, events, nextEvent, decisionFor };
}

describe("policy hot reload", { timeout: 20_000 }, () => {
  it("loads the file at start and reports it", async (t) => {
    const { holder, events, decisionFor } = await watched(t, policyText("deny"));
    assert.equal(events[0]?.type, "reloaded");
    assert.equal(holder.lastError(), null);
    assert.equal(decisionFor("other"), "deny");
  });

  it("swaps in a valid edit", async (t) => {
    const { file, holder, nextEvent, decisionFor } = await watched(t, policyText("deny"));
    await writeFile(file, policyText("allow"));
    const event = await nextEvent("reloaded");
    assert.equal(event.type === "reloaded" && event.policy, holder.current());
    assert.equal(decisionFor("other"), "allow");
  });

  it("keeps the last good policy when an edit is invalid, and reports why", async (t) => {
    const { file, holder, nextEvent, decisionFor } = await watched(t, policyText("deny"));
    const good = holder.current();
    await replaceFile(file, JSON.stringify({ version: "1", default: "sometimes" }));
    const event = await nextEvent("error");
    const expected = [`${file}: /default: Invalid option: expected one of "allow"|"deny"|"require_approval"`];
    assert.deepEqual(event.type === "error" && event.issues.map(formatPolicyIssue), expected);
    assert.deepEqual(holder.lastError()?.map(formatPolicyIssue), expected);
    assert.equal(holder.current(), good);
    assert.equal(decisionFor("other"), "deny");

    await writeFile(file, policyText("allow"));
    await nextEvent("reloaded");
    assert.equal(holder.lastError(), null);
    assert.equal(decisionFor("other"), "allow");
  });

  it("survives the file being deleted and recreated", async (t) => {
    const { file, holder, nextEvent, decisionFor } = await watched(t, policyText("deny"));
    const good = holder.current();
    await unlink(file);
    const removed = await nextEvent("error");
    assert.deepEqual(removed.type === "error" && removed.issues.map(formatPolicyIssue), [
      `${file}: cannot read policy file: file not found`,
    ]);
    assert.equal(holder.current(), good);

    await writeFile(file, policyText("allow"));
    await nextEvent("reloaded");
    assert.equal(holder.lastError(), null);
    assert.equal(decisionFor("other"), "allow");
  });

  it("reads a file caught empty by a save in place again, and reports nothing when the text arrives", async (t) => {
    const { file, holder, events, decisionFor } = await watched(t, policyText("deny"), 5_000);
    const before = events.length;
    await writeFile(file, ""); // what `>` or writeFile does first
    const refreshed = holder.refresh();
    // A slow writer: the text lands 100 ms after the truncation, well inside the 5 s pause.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writeFile(file, policyText("allow"));
    await refreshed;
    assert.deepEqual(events.slice(before).map((event) => event.type), ["reloaded"], "no error for the moment the file was empty");
    assert.equal(decisionFor("other"), "allow");
  });

  it("reports a file that stays empty, keeping the last good policy", async (t) => {
    const { file, holder, nextEvent, decisionFor } = await watched(t, policyText("deny"), 50);
    await writeFile(file, "");
    await holder.refresh();
    const event = await nextEvent("error");
    assert.match(event.type === "error" ? formatPolicyIssue(event.issues[0]!) : "", /unexpected end of input/);
    assert.equal(decisionFor("other"), "deny");
  });

  it("follows an editor that replaces the file by rename", async (t) => {
    const { dir, file, nextEvent, decisionFor } = await watched(t, policyText("deny"));
    const temporary = join(dir, ".upstream.json.swp");
    await writeFile(temporary, policyText("require_approval"));
    await rename(temporary, file);
    await nextEvent("reloaded");
    assert.equal(decisionFor("other"), "require_approval");
  });

  it("fails closed when there has never been a good policy, then picks up the first one", async (t) => {
    const { file, holder, events, nextEvent, decisionFor } = await watched(t, null);
    assert.equal(holder.current(), null);
    assert.equal(events[0]?.type, "error");
    assert.deepEqual(holder.lastError()?.map(formatPolicyIssue), [`${file}: cannot read policy file: file not found`]);

    await replaceFile(file, "{ not json");
    const invalid = await nextEvent("error");
    assert.deepEqual(invalid.type === "error" && invalid.issues.map(formatPolicyIssue), [
      `${file}: invalid JSON at line 1, column 3: unexpected "n", expected a double-quoted property name`,
    ]);
    assert.equal(holder.current(), null);

    await writeFile(file, policyText("allow"));
    await nextEvent("reloaded");
    assert.equal(decisionFor("other"), "allow");
  });

  it("closes idempotently and stops reporting", async (t) => {
    const { file, holder, events } = await watched(t, policyText("deny"));
    const first = holder.close();
    assert.equal(holder.close(), first);
    await first;
    const before = events.length;
    await writeFile(file, policyText("allow"));
    await holder.close();
    assert.equal(events.length, before);
    assert.equal(holder.current()?.document.default, "deny");
  });
});
