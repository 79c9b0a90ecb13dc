/**
 * Domain-adaptive (continued) pre-training, measured: the SMS Spam Collection is split 80/20
 * (stratified, seed 0). The 80% messages, without labels, continue the masked-LM pre-training of a
 * model; the held-out masked-LM loss and accuracy on the 20% messages are measured before and after,
 * and the model is fine-tuned on the 80% (with labels) and scored on the 20%, before and after,
 * over seeds (mean ± spread).
 *
 *   node --import tsx bench/studies/domain-pretraining.ts [--model models/bert-tiny-en] [--tokens 2M]
 *        [--seeds 0,1,2] [--out out/domain-pretraining]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stratifiedSplit } from '../../src/data/split.js';
import { pretrain } from '../../src/pretraining/pretrain.js';
import { fineTune, type FineTuneOptions } from '../../src/training/fine-tune.js';
import { resolveModelDir } from '../../src/hub/index.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const args = parseArgs('node --import tsx bench/studies/domain-pretraining.ts [options]', {
  '--model': { type: 'string', value: 'DIR|ID', default: 'bert-tiny-en', help: 'model folder or name' },
  '--tokens': { type: 'string', value: 'N', default: '2M', help: 'continued pre-training token positions (a trailing M means millions)' },
  '--seeds': { type: 'numbers', default: [0, 1, 2], help: 'fine-tuning seeds' },
  '--out': { type: 'string', value: 'DIR', default: 'out/domain-pretraining', help: 'output folder' },
});
const model = await resolveModelDir(args.model);
const tokens = Number(args.tokens.replace(/M$/i, 'e6'));
const out = resolve(args.out);
mkdirSync(out, { recursive: true });

// The data: ham|spam<TAB>message, CRLF.
const rows = readFileSync(join(SHARED_DIR, 'datasets', 'sms_spam', 'SMSSpamCollection'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/\r$/, ''))
  .filter((l) => l.includes('\t'))
  .map((l) => ({
    label: l.slice(0, l.indexOf('\t')),
    text: l
      .slice(l.indexOf('\t') + 1)
      .replace(/\s+/g, ' ')
      .trim(),
  }));
const split = stratifiedSplit(rows, 0.2, 0);
const tsv = (xs: typeof rows) => `label\ttext\n${xs.map((r) => `${r.label}\t${r.text.replace(/\t/g, ' ')}`).join('\n')}\n`;
writeFileSync(join(out, 'train.tsv'), tsv(split.train));
writeFileSync(join(out, 'test.tsv'), tsv(split.validation));
writeFileSync(join(out, 'train.txt'), `${split.train.map((r) => r.text).join('\n')}\n`);
writeFileSync(join(out, 'test.txt'), `${split.validation.map((r) => r.text).join('\n')}\n`);
process.stderr.write(`SMS: ${split.train.length} train, ${split.validation.length} test messages\n`);

// Continued pre-training on the unlabelled training messages (one message a line: they are short).
const adapted = join(out, 'adapted');
const run = await pretrain({
  model,
  text: [join(out, 'train.txt')],
  evalText: [join(out, 'test.txt')],
  output: adapted,
  lineByLine: true,
  maxLength: 64,
  tokens,
  batchSize: 64,
  evalEvery: 100,
  resume: false,
  log: (l) => process.stderr.write(`[pretrain] ${l}\n`),
});
const before = run.state.evals[0]!;
const after = run.finalEval!;

const recipe = { maxLength: 64, batchSize: 32, warmupRatio: 0.1, strategy: 'full', epochs: 3, learningRate: 1e-4 };
const accuracy = async (m: string, name: string) => {
  const accs: number[] = [];
  const f1s: number[] = [];
  for (const seed of args.seeds) {
    const r = (await fineTune(
      { model: m, train: join(out, 'train.tsv'), validation: join(out, 'test.tsv'), output: join(out, `${name}-s${seed}`), seed, ...recipe } as FineTuneOptions,
      {
        onLog: (l) => process.stderr.write(`[${name} s${seed}] ${l}\n`),
      },
    )) as { final_eval: { accuracy: number; macro_f1?: number; f1_macro?: number } };
    accs.push(r.final_eval.accuracy);
    f1s.push(r.final_eval.macro_f1 ?? r.final_eval.f1_macro ?? Number.NaN);
  }
  const stat = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, spread: (Math.max(...xs) - Math.min(...xs)) / 2, values: xs });
  return { accuracy: stat(accs), macro_f1: stat(f1s) };
};
const ftBefore = await accuracy(model, 'before');
const ftAfter = await accuracy(adapted, 'after');
const result = {
  model,
  continued_pretraining: { tokens: run.state.tokens, steps: run.state.step, seconds: Math.round(run.state.elapsedMs / 1000) },
  heldout_mlm: { before: { loss: before.loss, accuracy: before.accuracy }, after: { loss: after.loss, accuracy: after.accuracy } },
  fine_tuned: { before: ftBefore, after: ftAfter },
};
writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
const f = (s: { mean: number; spread: number }) => `${s.mean.toFixed(4)} ± ${s.spread.toFixed(4)}`;
process.stdout.write(
  `${[
    '| | held-out masked-LM loss | masked-token accuracy | fine-tuned accuracy | fine-tuned macro-F1 |',
    '|---|---:|---:|---:|---:|',
    `| before | ${before.loss.toFixed(3)} | ${before.accuracy.toFixed(3)} | ${f(ftBefore.accuracy)} | ${f(ftBefore.macro_f1)} |`,
    `| after ${(run.state.tokens / 1e6).toFixed(1)}M tokens on SMS | ${after.loss.toFixed(3)} | ${after.accuracy.toFixed(3)} | ${f(ftAfter.accuracy)} | ${f(ftAfter.macro_f1)} |`,
  ].join('\n')}\n`,
);
