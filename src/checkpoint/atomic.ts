import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BertftError } from '../errors.js';

/** A sibling path with a random suffix: same folder, hence same file system, so rename is atomic. */
function siblingPath(target: string, kind: 'tmp' | 'old'): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.${kind}`);
}

/** Turns a file-system failure into a one-line BertftError that names the path (the cause is kept). */
function ioError(what: string, path: string, e: unknown): BertftError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  const err = new BertftError(`${path}: cannot ${what} (${code}); check that the folder exists and is writable`);
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}

/**
 * Flushes a folder's entry list, so a rename inside it survives a power cut. Best effort: some
 * platforms (Windows) refuse to open folders for syncing, and the rename is still atomic there.
 */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the folder entry is an extra; atomicity does not depend on it.
  }
}

/** Flushes every file below `dir` (and the folders themselves) to disk, whoever wrote them. */
async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await syncTree(path);
    } else if (entry.isFile()) {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }
  await syncDir(dir);
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn file: the data
 * goes to a temporary sibling, is flushed to disk, then renamed over the target (rename is atomic
 * within a file system). On failure the temporary file is removed and the old file is untouched.
 *
 * @throws BertftError naming the file when it cannot be written (missing folder, no permission, disk full).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = siblingPath(file, 'tmp');
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw ioError('write', file, e);
  }
  await syncDir(dirname(file));
}

/**
 * Replaces a whole folder: `fill` writes into a fresh sibling temporary folder, whose files are
 * then flushed to disk and swapped in (old → backup, new → final, backup removed). If `fill`
 * throws, the temporary folder is removed, the old folder is untouched and the error is rethrown.
 * A crash at any point leaves a complete folder under the final name or, for the instant between
 * the two renames, under the backup name — never a half-written one in place of a good one.
 */
export async function replaceDirAtomic(finalDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = siblingPath(finalDir, 'tmp');
  const backup = siblingPath(finalDir, 'old');
  try {
    await mkdir(tmp, { recursive: true });
  } catch (e) {
    throw ioError('create a folder beside', finalDir, e);
  }
  try {
    await fill(tmp);
    await syncTree(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let hadOld = true;
  try {
    await rename(finalDir, backup);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rm(tmp, { recursive: true, force: true });
      throw ioError('move aside', finalDir, e);
    }
    hadOld = false;
  }
  try {
    await rename(tmp, finalDir);
  } catch (e) {
    // Put the good folder back before giving up.
    if (hadOld) await rename(backup, finalDir).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    throw ioError('replace', finalDir, e);
  }
  await syncDir(dirname(finalDir));
  if (hadOld) await rm(backup, { recursive: true, force: true });
}
