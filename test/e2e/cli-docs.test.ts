/** docs/cli.md is generated from --help; this fails when someone changes an option and not the docs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCliDocs } from '../../src/cli/docs.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { runCli } from '../helpers/cli.js';

test("docs/cli.md matches every command's --help (regenerate: node --import tsx scripts/cli-docs.ts > docs/cli.md)", () => {
  assert.equal(readFileSync(join(REPO_ROOT, 'docs', 'cli.md'), 'utf8'), renderCliDocs());
});

test('every command has --help with examples, exit 0', () => {
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  const commands = [...top.stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  assert.ok(commands.length >= 8, commands.join(' '));
  for (const c of commands) {
    const r = runCli([c, '--help']);
    assert.equal(r.status, 0, c);
    if (c !== 'datasets') assert.match(r.stdout, /Examples:/, `${c} --help shows examples`);
  }
});

test('unknown commands and options are usage errors (exit 2, one line)', () => {
  for (const args of [['trian'], ['train', '--epoch', '3'], ['predict', '--model']]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.ok(r.stderr.trim().split('\n')[0]!.startsWith('bertft: error:'), r.stderr);
  }
});
