/** addDeprecatedAlias (src/cli/aliases.ts): a hidden old spelling of an option that warns once and maps its value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { addDeprecatedAlias } from '../../src/cli/aliases.js';

function command(warnings: string[]): Command {
  const cmd = new Command('pretrain').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  cmd.option('--gradient-accumulation-steps <n>', 'micro-batches per optimiser step', '1');
  cmd.option('--whole-word-masking', 'mask whole words');
  addDeprecatedAlias(cmd, '--gradient-accumulation', '--gradient-accumulation-steps', (line) => warnings.push(line));
  addDeprecatedAlias(cmd, '--wwm', '--whole-word-masking', (line) => warnings.push(line));
  return cmd;
}

test('the old spelling sets the new option, with one deprecation line', () => {
  const warnings: string[] = [];
  const cmd = command(warnings).parse(['--gradient-accumulation', '4'], { from: 'user' });
  assert.deepEqual(cmd.opts(), { gradientAccumulationSteps: '4', gradientAccumulation: undefined });
  assert.equal(cmd.getOptionValueSource('gradientAccumulationSteps'), 'cli');
  assert.deepEqual(warnings, ['--gradient-accumulation is deprecated; use --gradient-accumulation-steps']);
});

test('the new spelling warns about nothing; without either the default stands', () => {
  const warnings: string[] = [];
  assert.equal(command(warnings).parse(['--gradient-accumulation-steps', '2'], { from: 'user' }).opts().gradientAccumulationSteps, '2');
  assert.equal(command(warnings).parse([], { from: 'user' }).opts().gradientAccumulationSteps, '1');
  assert.deepEqual(warnings, []);
});

test('a flag without a value maps too, and the last spelling on the line wins', () => {
  const warnings: string[] = [];
  assert.equal(command(warnings).parse(['--wwm'], { from: 'user' }).opts().wholeWordMasking, true);
  assert.equal(
    command(warnings).parse(['--gradient-accumulation-steps', '2', '--gradient-accumulation', '8'], { from: 'user' }).opts().gradientAccumulationSteps,
    '8',
  );
  assert.deepEqual(warnings, ['--wwm is deprecated; use --whole-word-masking', '--gradient-accumulation is deprecated; use --gradient-accumulation-steps']);
});

test('the old spelling is hidden from --help, and aliasing an unknown option is a programming error', () => {
  const help = command([]).helpInformation();
  assert.match(help, /--gradient-accumulation-steps <n>/);
  assert.doesNotMatch(help, /--gradient-accumulation\s/);
  assert.doesNotMatch(help, /--wwm/);
  assert.throws(() => addDeprecatedAlias(new Command('x'), '--old', '--new'), /no --new option/);
});
