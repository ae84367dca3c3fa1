// Inbox placement ("spam") tests and their folders: creating, stopping, listing and deleting tests.
// A test must send from one of the account's mailboxes with a working SMTP login.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AccountState, EmailAccount, SpamTest } from "../state.ts";
import { fail, notFound, ok, timestamp, type ToolContext, type ToolHandlers } from "./common.ts";

const SEED_PROVIDERS = [
  { region: "US", providers: [{ id: 1, name: "Gmail" }, { id: 2, name: "Outlook" }, { id: 3, name: "Yahoo" }] },
  { region: "EU", providers: [{ id: 4, name: "GMX" }, { id: 5, name: "Web.de" }, { id: 6, name: "Orange" }] },
];

export const spamTestHandlers: ToolHandlers = {
  smartlead_get_region_wise_provider_ids: () => ok({ regions: SEED_PROVIDERS }),

  smartlead_create_manual_placement_test: (args, { state }) => {
    const sender = findSender(state, args.string("from_email"));
    if ("error" in sender) return sender.error;
    const toEmails = args.array<string>("to_emails");
    if (toEmails.length === 0) return fail("to_emails is empty: name at least one seed inbox");
    const test = addTest(state, {
      test_name: args.string("test_name"), type: "manual", status: "COMPLETED", subject: args.string("subject"),
      email_content: args.string("email_content"), from_email: sender.account.from_email, to_emails: toEmails, schedule: null,
    });
    const spam = sender.account.warmup.reputation < 90 ? Math.ceil(toEmails.length / 3) : 0;
    test.runs.push({ run_at: test.created_at, inbox: toEmails.length - spam, spam, missing: 0 });
    return ok({ ok: true, test_id: test.id, status: test.status, result: test.runs[0] });
  },

  smartlead_create_automated_placement_test: (args, { state }) => {
    const sender = findSender(state, args.string("from_email"));
    if ("error" in sender) return sender.error;
    const schedule = args.object("schedule") as { frequency: string; time: string };
    const test = addTest(state, {
      test_name: args.string("test_name"), type: "automated", status: "RUNNING", subject: args.string("subject"),
      email_content: args.string("email_content"), from_email: sender.account.from_email,
      to_emails: ["seed-gmail@placement.example", "seed-outlook@placement.example"], schedule: { frequency: schedule.frequency, time: schedule.time },
    });
    return ok({ ok: true, test_id: test.id, status: test.status, schedule: test.schedule });
  },

  smartlead_get_spam_test_details: (args, { state }) => {
    const test = state.spamTests.get(args.number("test_id"));
    return test ? ok(test) : notFound("Spam test", args.number("test_id"));
  },

  smartlead_list_all_tests: (args, { state }) => {
    const status = args.optionalString("status")?.toUpperCase();
    const tests = [...state.spamTests.values()].filter((test) => status === undefined || test.status === status);
    const page = Math.max(1, args.optionalNumber("page") ?? 1);
    const limit = args.optionalNumber("limit") ?? 20;
    const rows = tests.slice((page - 1) * limit, page * limit).map(({ id, test_name, type, status: testStatus, created_at, folder_id }) => ({ id, test_name, type, status: testStatus, created_at, folder_id }));
    return ok({ total: tests.length, page, limit, tests: rows });
  },

  smartlead_stop_automated_test: (args, { state }) => {
    const test = state.spamTests.get(args.number("test_id"));
    if (!test) return notFound("Spam test", args.number("test_id"));
    if (test.type !== "automated") return fail(`Spam test ${test.id} is a manual test; only automated tests can be stopped`);
    const alreadyStopped = test.status === "STOPPED";
    test.status = "STOPPED";
    return ok({ ok: true, test_id: test.id, already_stopped: alreadyStopped, status: test.status });
  },

  smartlead_delete_tests_in_bulk: async (args, context) => deleteTests(args.array<number>("test_ids"), context),

  smartlead_get_all_folders: (_args, { state }) =>
    ok({ folders: [...state.folders.values()].map((folder) => ({ ...folder, test_count: testsIn(state, folder.id).length })) }),

  smartlead_create_folder: (args, { state }) => {
    const name = args.string("name");
    if ([...state.folders.values()].some((folder) => folder.name.toLowerCase() === name.toLowerCase())) return fail(`A folder named "${name}" already exists`);
    const id = state.nextId("folder");
    state.folders.set(id, { id, name, description: args.optionalString("description") ?? "", created_at: timestamp(state) });
    return ok({ ok: true, folder: state.folders.get(id) });
  },

  smartlead_get_folder_by_id: (args, { state }) => {
    const folder = state.folders.get(args.number("folder_id"));
    if (!folder) return notFound("Folder", args.number("folder_id"));
    return ok({ ...folder, tests: testsIn(state, folder.id).map(({ id, test_name, status }) => ({ id, test_name, status })) });
  },

  smartlead_delete_folder: (args, { state }) => {
    const folderId = args.number("folder_id");
    if (!state.folders.delete(folderId)) return notFound("Folder", folderId);
    const moved = testsIn(state, folderId);
    for (const test of moved) test.folder_id = null;
    return ok({ ok: true, deleted: true, folder_id: folderId, tests_moved_out: moved.map((test) => test.id) });
  },
};

async function deleteTests(ids: number[], { state, reportProgress, pauseBetweenSteps, signal }: ToolContext): Promise<CallToolResult> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return fail("test_ids is empty: name at least one spam test");
  const missing = unique.filter((id) => !state.spamTests.has(id));
  if (missing.length > 0) return fail(`Spam test${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not found; nothing was deleted`);
  for (const [index, id] of unique.entries()) {
    await pauseBetweenSteps();
    signal.throwIfAborted();
    state.spamTests.delete(id);
    await reportProgress(index + 1, unique.length, `deleted spam test ${id} (${index + 1}/${unique.length})`);
  }
  return ok({ ok: true, deleted_count: unique.length, deleted_test_ids: unique });
}

function findSender(state: AccountState, fromEmail: string): { account: EmailAccount } | { error: CallToolResult } {
  const email = fromEmail.toLowerCase();
  const account = [...state.emailAccounts.values()].find((candidate) => candidate.from_email === email);
  if (!account) return { error: fail(`${email} is not an email account of this workspace`) };
  if (!account.is_smtp_success) return { error: fail(`Cannot send from ${email}: its SMTP login is failing; reconnect it first`) };
  return { account };
}

function addTest(state: AccountState, fields: Omit<SpamTest, "id" | "created_at" | "runs" | "folder_id">): SpamTest {
  const test: SpamTest = { ...fields, id: state.nextId("spamTest"), folder_id: null, created_at: timestamp(state), runs: [] };
  state.spamTests.set(test.id, test);
  return test;
}

function testsIn(state: AccountState, folderId: number): SpamTest[] {
  return [...state.spamTests.values()].filter((test) => test.folder_id === folderId);
}
