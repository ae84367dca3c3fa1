// Writing a policy file so that a reader (the gateway's watcher, an editor, another process) only ever
// sees the old text or the new one: a temporary file in the same directory, fsync, then rename over it.
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export function sha256Text(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The file's text and hash, or null when it cannot be read (missing, unreadable). */
export async function readPolicyFile(file: string): Promise<{ text: string; sha256: string } | null> {
  try {
    const text = await readFile(file, "utf8");
    return { text, sha256: sha256Text(text) };
  } catch {
    return null;
  }
}

/**
 * Replaces the file's content atomically and keeps its permission bits. A symlinked policy file keeps
 * its link: the target is replaced. The directory is fsynced so the rename survives a power cut.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const target = await realpath(file).catch(() => file);
  const mode = await stat(target).then(
    (info) => info.mode & 0o7777,
    () => 0o644,
  );
  const directory = dirname(target);
  const temporary = join(directory, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", mode);
  try {
    try {
      await handle.writeFile(text, "utf8");
      await handle.chmod(mode); // open's mode is filtered by the umask
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const folder = await open(directory, "r").catch(() => null);
  await folder?.sync().catch(() => {}); // not every filesystem lets a directory be fsynced
  await folder?.close();
}
