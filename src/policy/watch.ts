// Hot reload of one policy file. The directory is watched (editors replace files by rename, which a
// watch on the file itself would miss) and the file is also polled, because fs.watch is unreliable on
// network and container filesystems. A bad edit never replaces a good policy; with no good policy yet,
// current() is null and the caller denies every call.
import type { FSWatcher } from "node:fs";
import { unwatchFile, watch, watchFile } from "node:fs";
import { basename, dirname } from "node:path";
import type { CompiledPolicy } from "./compile.ts";
import type { PolicyIssue } from "./issues.ts";
import { parsePolicy, readPolicyText } from "./load.ts";

export type PolicyHolderEvent =
  | { type: "reloaded"; policy: CompiledPolicy; warnings: string[] }
  | { type: "error"; issues: PolicyIssue[] };

export interface PolicyHolder {
  /** The last good policy, or null when none has ever loaded. */
  current(): CompiledPolicy | null;
  /** Why the latest version of the file was rejected, or null when it is the one in use. */
  lastError(): PolicyIssue[] | null;
  /** Settles after the first load attempt, whatever its outcome. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface PolicyHolderOptions {
  onChange?: (event: PolicyHolderEvent) => void;
  debounceMs?: number;
  pollIntervalMs?: number;
}

export function createPolicyHolder(file: string, options: PolicyHolderOptions = {}): PolicyHolder {
  const debounceMs = options.debounceMs ?? 50;
  let state: { policy: CompiledPolicy | null; errors: PolicyIssue[] | null } = { policy: null, errors: null };
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

  const reload = async () => {
    const read = await readPolicyText(file);
    if (isClosed) return;
    const fingerprint = read.ok ? `text:${read.text}` : `error:${read.issue.message}`;
    if (fingerprint === lastSeen) return; // both watchers saw the same change, or nothing changed
    lastSeen = fingerprint;
    if (!read.ok) {
      state = { policy: state.policy, errors: [read.issue] };
      emit({ type: "error", issues: [read.issue] });
      return;
    }
    const result = parsePolicy(read.text, file);
    if (result.ok) {
      state = { policy: result.policy, errors: null };
      emit({ type: "reloaded", policy: result.policy, warnings: result.warnings });
    } else {
      state = { policy: state.policy, errors: result.errors };
      emit({ type: "error", issues: result.errors });
    }
  };

  // A bug while loading must not stop later reloads; it is reported like a rejected edit.
  const reloadSafely = () =>
    reload().catch((error: unknown) => {
      const issue = { file, path: "", message: `internal error while loading: ${error instanceof Error ? error.message : String(error)}` };
      lastSeen = undefined;
      state = { policy: state.policy, errors: [issue] };
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
