/**
 * DeBERTa-v3 from a base checkpoint: published `microsoft/deberta-v3-*` folders are `DebertaV2Model`s
 * without the `ContextPooler` (`pooler.dense`) that `DebertaV2ForSequenceClassification` puts before
 * its classifier; transformers starts a fresh one, and so must `fineTune`. Built from the hf-e2e
 * DeBERTa-v2 fixture with the pooler and the head taken out: training with the default pooling
 * trains a fresh pooler, and the saved folder holds exactly the state-dict names of transformers'
 * sequence classifier (the fixture's own `seq/` folder), so it loads there with the weights trained.
 * BERT without a pooler still says to pick `--pooling mean` or `cls` (no task checkpoint keeps one beside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../src/checkpoint/index.js';
import { fineTune } from '../../src/training/fine-tune.js';
import { needsShared, sharedPath } from '../helpers/shared.js';
import { EMBEDDED_MODEL_DIR } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'bertft-deberta-pooler-'));
const TRAIN = join(dir, 'train.tsv');
writeFileSync(
  TRAIN,
  `${Array.from({ length: 24 }, (_, i) => `${i % 2 ? 'a wonderful, moving film' : 'a dull and tiresome film'} ${i}\t${i % 2 ? 'positive' : 'negative'}`).join('\n')}\n`,
);

/** A copy of `source` without the tensors `drop` names, as a bare encoder checkpoint (`architectures`). */
async function baseCheckpoint(source: string, out: string, architecture: string, drop: (name: string) => boolean): Promise<void> {
  mkdirSync(out, { recursive: true });
  const { tensors } = await readSafetensors(join(source, 'model.safetensors'));
  await writeSafetensors(join(out, 'model.safetensors'), new Map([...tensors].filter(([n]) => !drop(n))));
  const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
  for (const key of ['id2label', 'label2id', 'num_labels', 'problem_type']) delete config[key];
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...config, architectures: [architecture] }));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json']) {
    try {
      copyFileSync(join(source, f), join(out, f));
    } catch {
      // not every folder has every tokenizer file
    }
  }
}

test("DeBERTa-v3 without a ContextPooler: fine-tuning starts a fresh one and saves transformers' sequence-classifier names", needsShared(), async () => {
  const source = sharedPath('fixtures', 'hf-e2e', 'deberta-v2', 'seq');
  const base = join(dir, 'deberta-base');
  await baseCheckpoint(source, base, 'DebertaV2Model', (n) => n.startsWith('pooler.') || n.startsWith('classifier.'));
  const logs: string[] = [];
  const out = join(dir, 'deberta-out');
  await fineTune(
    { model: base, train: TRAIN, validationSplit: 0, output: out, maxSteps: 2, batchSize: 8, maxLength: 32, seed: 0 },
    { onLog: (m) => logs.push(m) },
  );
  assert.ok(
    logs.some((l) => /no ContextPooler/.test(l)),
    logs.join('\n'),
  );
  const saved = [...(await readSafetensorsHeader(join(out, 'model.safetensors'))).entries.keys()].sort();
  const want = [...(await readSafetensorsHeader(join(source, 'model.safetensors'))).entries.keys()].sort();
  assert.deepEqual(saved, want);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { architectures: string[]; bertft: { pooling: string } };
  assert.deepEqual(config.architectures, ['DebertaV2ForSequenceClassification']);
  assert.equal(config.bertft.pooling, 'pooler');
});

test('BERT without a pooler still asks for --pooling mean or cls', async () => {
  const base = join(dir, 'bert-nopooler');
  await baseCheckpoint(EMBEDDED_MODEL_DIR, base, 'BertModel', (n) => n.includes('pooler.') || n.startsWith('cls.'));
  await assert.rejects(
    fineTune({ model: base, train: TRAIN, validationSplit: 0, output: join(dir, 'bert-out'), maxSteps: 1, pooling: 'pooler' }),
    /has no pooler weights; use --pooling mean or cls/,
  );
});
