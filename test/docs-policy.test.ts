// docs/policy.md shows `gatehouse policy explain` run on the shipped policies/smartlead.json, with its
// output. This runs the command the page shows and compares with the line the page prints.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../src/config/index.ts";

const run = promisify(execFile);

describe("docs/policy.md: policy explain", () => {
  it("prints exactly what the page shows for its example command", async () => {
    const page = await readFile(join(PROJECT_ROOT, "docs/policy.md"), "utf8");
    const example = /```console\n\$ gatehouse (policy explain [^\n]+)\n([^\n]+)\n```/.exec(page);
    assert.ok(example, "the page has a console example of policy explain");
    const args = example[1]!.split(" ");
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, "bin/gatehouse.js"), ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error" } });
    assert.equal(stdout.trim(), example[2]);
  });

  it("without --json also lists the limits that would apply and the resolved approval settings", async () => {
    const args = ["policy", "explain", "-p", "policies/smartlead.json", "-t", "smartlead_reconnect_failed_email_accounts"];
    const { stdout } = await run(process.execPath, [join(PROJECT_ROOT, "bin/gatehouse.js"), ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error" } });
    assert.match(stdout, /^limits: +600 per minute per grant \(counter "all", \/all_tools\/limits\/0\)\n +10 per minute per grant \(counter "reconnect_rate"/m);
    assert.match(stdout, /^approval: .*1 approval\(s\) needed, timeout 15m then deny/m);
  });
});
