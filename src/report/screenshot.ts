import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BertftError } from '../errors.js';

/** Debian's Chromium (`apt-get install chromium`), or $CHROMIUM. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p));
}

/**
 * Renders an HTML file to PNG with headless Chromium. The flags keep Chromium from reaching for
 * the network (this machine has none) and from needing a sandbox or a GPU.
 */
export function screenshot(htmlFile: string, pngFile: string, size: { width: number; height: number } = { width: 1280, height: 2200 }): void {
  const chromium = chromiumPath();
  if (!chromium) throw new BertftError('no Chromium found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)');
  const profile = mkdtempSync(join(tmpdir(), 'bertft-chromium-'));
  try {
    const r = spawnSync(
      chromium,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`,
        `--window-size=${size.width},${size.height}`, `--screenshot=${resolve(pngFile)}`, pathToFileURL(resolve(htmlFile)).href,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (!existsSync(pngFile)) throw new BertftError(`Chromium did not write ${pngFile} (exit ${r.status}): ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
