/**
 * The dependency check (npm run deps, scripts/check-deps.ts with .dependency-cruiser.cjs) fails on what it is for:
 * a cycle between top-level parts of src/, an upward import, a part in no layer. The fixtures under
 * test/fixtures/dep-cycle/ are checked with the same config and code as src/; an upward `import type` does not count.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkDependencies, LAYERS } from '../../scripts/check-deps.js';
import { REPO_ROOT } from '../helpers/shared.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'dep-cycle');

test('a cycle between two parts of one layer, an upward import and an unlisted part fail the check', async () => {
  const check = await checkDependencies(join(FIXTURES, 'bad', 'tsconfig.json'));
  assert.deepEqual(check.violations.sort(), [
    'unlisted-part: src/training/fit.js → src/widgets/widget.js',
    'upward-from-models: src/models/bert.js → src/training/fit.js',
  ]);
  // data/read.ts → tokenization/count.ts and tokenization/wordpiece/split.ts → data/read.ts: no file cycle, a folder one.
  assert.deepEqual(check.cycles, ['src/data, src/tokenization: src/data → src/tokenization → src/data']);
  assert.match(check.report, /✘ dependency check: 2 rule violation\(s\), 1 cycle\(s\)/);
});

test('downward and one-way same-layer imports, and an upward import type, pass', async () => {
  const check = await checkDependencies(join(FIXTURES, 'good', 'tsconfig.json'));
  assert.deepEqual(check.violations, []);
  assert.deepEqual(check.cycles, []);
  assert.match(check.report, /✔ dependency check/);
});

test('docs/architecture.md lists the layers of .dependency-cruiser.cjs, bottom to top', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
  // One table row per layer: | n | `a`, `b.ts` | ... |
  const rows = [...doc.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((m) => [...m[2]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!.replace(/\/$|\.ts$/, '')));
  assert.deepEqual(rows, LAYERS);
});
