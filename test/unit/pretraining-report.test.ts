import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPretrainingReport, type PretrainingReportInput } from '../../src/report/pretraining.js';

const input: PretrainingReportInput = {
  source: 'random init (tiny)',
  corpus: { files: ['corpus.txt'], documents: 10, word_pieces: 5000, sequences: 40, max_length: 128 },
  hyperparameters: { batch_size: 64, learning_rate: 1e-3, whole_word_masking: false, minutes: undefined },
  steps: 2000,
  tokens_seen: 16_384_000,
  elapsed_s: 3600,
  final_train_loss: 4.5,
  final_eval: { loss: 4.6, accuracy: 0.31 },
  history: Array.from({ length: 2000 }, (_, i) => ({ step: i + 1, tokens: (i + 1) * 8192, loss: 10 - i / 400, lr: 1e-3 })),
  evals: [0, 1000, 2000].map((step, i) => ({ step, tokens: step * 8192, loss: 10 - i * 2.7, accuracy: 0.1 * i })),
};

test('the pre-training report draws the training and held-out loss against tokens, and the accuracy', () => {
  const html = renderPretrainingReport(input);
  const lines = [...html.matchAll(/<polyline class="series"[^>]*points="([^"]*)"/g)].map((m) => m[1]!.trim().split(/\s+/).length);
  // training loss (smoothed to at most 400 points), held-out loss (3), held-out accuracy (3)
  assert.equal(lines.length, 3);
  assert.ok(lines[0]! <= 400 && lines[0]! >= 200, `training curve has ${lines[0]} points`);
  assert.deepEqual(lines.slice(1), [3, 3]);
  assert.match(html, /16\.4 M/);
  assert.match(html, /0\.310/);
  assert.match(html, /learning_rate<\/span><code>0\.001/);
  assert.doesNotMatch(html, /minutes</);
});
