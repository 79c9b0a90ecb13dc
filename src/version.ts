import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * bertft's own version, from its package.json: found by walking up from this module's file, so it
 * works from src/ (tsx) and dist/ alike. Not `process.env.npm_package_version`, which is the
 * version of whatever package npm is running (a host app's, under `npm run` or `npm start`).
 */
export function bertftVersion(): string {
  if (cached === undefined) {
    cached = '0.0.0';
    for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pj = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pj.name === 'bertft') {
        cached = pj.version ?? cached;
        break;
      }
    }
  }
  return cached;
}
