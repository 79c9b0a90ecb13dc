import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old content or the new, never a torn file: the data
 * goes to a temporary sibling, is flushed to disk, then renamed over the target (rename is atomic
 * within a file system).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
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
    throw e;
  }
}

/**
 * Replaces a whole folder: `fill` writes a sibling temporary folder, which is then swapped in
 * (old → backup, new → final, backup removed). A crash at any point leaves a complete folder under
 * the final name or the backup name, never a half-written one in place of a good one.
 */
export async function replaceDirAtomic(finalDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const suffix = randomBytes(6).toString('hex');
  const tmp = join(dirname(finalDir), `.${basename(finalDir)}.${suffix}.tmp`);
  const backup = join(dirname(finalDir), `.${basename(finalDir)}.${suffix}.old`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let hadOld = true;
  try {
    await rename(finalDir, backup);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    hadOld = false;
  }
  await rename(tmp, finalDir);
  if (hadOld) await rm(backup, { recursive: true, force: true });
}
