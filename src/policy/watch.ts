// Hot reload of one policy file. The directory is watched (editors replace files by rename, which a
// watch on the file itself would miss) and the file is also polled, because fs.watch is unreliable on
// network and container filesystems. A bad edit never replaces a good policy; with no good policy yet,
// current() is null and the caller denies every call.
import { createHash } from "node:crypto";
import type { FSWatcher } from "node:fs";
import { unwatchFile, watch, watchFile } from "node:fs";
import { basename, dirname } from "node:path";
import type { CompiledPolicy } from "./compile.ts";
import type { PolicyIssue } from "./issues.ts";
import { parsePolicy, readPolicyText } from "./load.ts";

export type PolicyHolderEvent =
  | { type: "reloaded"; policy: CompiledPolicy; warnings: string[]; sha256: string }
  | { type: "error"; issues: PolicyIssue[] };

export interface PolicyHolder {
  /** The last good policy, or null when none has ever loaded. */
  current(): CompiledPolicy | null;
  /** Why the latest version of the file was rejected, or null when it is the one in use. */
  lastError(): PolicyIssue[] | null;
  /** The exact text of the policy in use and its SHA-256, or null when none has loaded. */
  loaded(): { text: string; sha256: string } | null;
  /** Reads the file now (not waiting for the watcher) and settles once the result is in force. */
  refresh(): Promise<void>;
  /** Settles after the first load attempt, whatever its outcome. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface PolicyHolderOptions {
  onChange?: (event: PolicyHolderEvent) => void;
  debounceMs?: number;
  pollIntervalMs?: number;
  /** How long an empty read waits before the file is read again (a save in place caught mid-way). */
  emptySettleMs?: number;
}

export function createPolicyHolder(file: string, options: PolicyHolderOptions = {}): PolicyHolder {
  const debounceMs = options.debounceMs ?? 50;
  const emptySettleMs = options.emptySettleMs ?? 250;
  let state: { policy: CompiledPolicy | null; errors: PolicyIssue[] | null; text: { text: string; sha256: string } | null } = {
    policy: null,
    errors: null,
    text: null,
  };
  let lastSeen: string | undefined;
  let isClosed = false;
  let timer: NodeJS.Timeout | undefined;

  const emit = (event: PolicyHolderEvent) => {
    try {
      options.onChange?.(event);
    } catch (error) {
      process.emitWarning(`policy holder listener failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  // Saving in place (`>` in a shell, most writeFile calls) truncates the file before writing it, so a
  // read can land in between and see nothing. An empty file is read again after a pause; only an edit
  // that is still empty then is reported as one.
  const readSettled = async () => {
    const first = await readPolicyText(file);
    if (!first.ok || first.text.trim() !== "" || isClosed) return first;
    await new Promise((resolve) => setTimeout(resolve, emptySettleMs).unref());
    return readPolicyText(file);
  };

  const reload = async () => {
    const read = await readSettled();
    if (isClosed) return;
    const fingerprint = read.ok ? `text:${read.text}` : `error:${read.issue.message}`;
    if (fingerprint === lastSeen) return; // both watchers saw the same change, or nothing changed
    lastSeen = fingerprint;
    if (!read.ok) {
      state = { ...state, errors: [read.issue] };
      emit({ type: "error", issues: [read.issue] });
      return;
    }
    const result = parsePolicy(read.text, file);
    if (result.ok) {
      const sha256 = createHash("sha256").update(read.text).digest("hex");
      state = { policy: result.policy, errors: null, text: { text: read.text, sha256 } };
      emit({ type: "reloaded", policy: result.policy, warnings: result.warnings, sha256 });
    } else {
      state = { ...state, errors: result.errors };
      emit({ type: "error", issues: result.errors });
    }
  };

  // A bug while loading must not stop later reloads; it is reported like a rejected edit.
  const reloadSafely = () =>
    reload().catch((error: unknown) => {
      const issue = { file, path: "", message: `internal error while loading: ${error instanceof Error ? error.message : String(error)}` };
      lastSeen = undefined;
      state = { ...state, errors: [issue] };
      emit({ type: "error", issues: [issue] });
    });

  let running = reloadSafely();
  const ready = running;
  const scheduleReload = () => {
    if (isClosed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!isClosed) running = running.then(reloadSafely);
    }, debounceMs);
  };

  const directoryWatcher = watchDirectory(file, scheduleReload);
  const pollListener = () => scheduleReload();
  watchFile(file, { interval: options.pollIntervalMs ?? 500 }, pollListener);

  let closing: Promise<void> | undefined;
  return {
    current: () => state.policy,
    lastError: () => state.errors,
    loaded: () => state.text,
    refresh() {
      if (isClosed) return Promise.resolve();
      running = running.then(reloadSafely);
      return running;
    },
    ready,
    close() {
      closing ??= (async () => {
        isClosed = true;
        clearTimeout(timer);
        directoryWatcher?.close();
        unwatchFile(file, pollListener);
        await running;
      })();
      return closing;
    },
  };
}

/** Null when the directory cannot be watched; polling still covers the file. */
function watchDirectory(file: string, onChange: () => void): FSWatcher | null {
  const name = basename(file);
  try {
    const watcher = watch(dirname(file), (_event, changed) => {
      if (changed === null || changed === name) onChange();
    });
    watcher.on("error", () => watcher.close());
    return watcher;
  } catch {
    return null;
  }
}
