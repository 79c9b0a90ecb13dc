import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function readPackageJson(dir: string): { name?: string; version?: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
}

/**
 * Version of an installed package (bertft's own: src/version.ts), or undefined when it is not installed. Walks up from the
 * package's entry file because many packages do not export their package.json.
 */
export function installedVersion(pkg: string): string | undefined {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    return undefined;
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const pj = readPackageJson(dir);
      if (pj.name === pkg) return pj.version;
    }
  }
  return undefined;
}
