import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BertftError } from '../errors.js';

/**
 * Where headless Chromium is: $CHROMIUM when set (and then only there: a wrong setting should not
 * quietly fall back to another browser), else Debian's `/usr/bin/chromium` (`apt-get install
 * chromium`), else `/usr/bin/chromium-browser`.
 *
 * @returns the first that exists, or undefined
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.CHROMIUM ? [env.CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => existsSync(p));
}

/** Browser window size; the PNG has exactly this size. */
export interface ScreenshotSize {
  width: number;
  height: number;
}

/**
 * Renders an HTML file to PNG with headless Chromium, in a fresh throw-away profile. The flags keep
 * Chromium off the network (CI machines have none) and free of a sandbox or GPU.
 *
 * @throws BertftError when Chromium is missing or writes no PNG within a minute
 */
export function screenshot(htmlFile: string, pngFile: string, size: ScreenshotSize = { width: 1280, height: 2000 }): void {
  const chromium = chromiumPath();
  if (!chromium) throw new BertftError('no Chromium found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)');
  const out = resolve(pngFile);
  rmSync(out, { force: true }); // an old PNG must not pass for this render
  const profile = mkdtempSync(join(tmpdir(), 'bertft-chromium-'));
  try {
    const r = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--user-data-dir=${profile}`,
        `--window-size=${size.width},${size.height}`,
        `--screenshot=${out}`,
        pathToFileURL(resolve(htmlFile)).href,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (!existsSync(out)) {
      const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`;
      throw new BertftError(`Chromium did not write ${pngFile} (${why})`);
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
