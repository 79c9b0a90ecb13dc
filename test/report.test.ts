/**
 * The training report: well-formed SVG charts with the right data, escaping, the regression and
 * no-validation cases, and a real render in headless Chromium checked for non-blank pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromiumPath, renderReport, reportCharts, screenshot, writeReport, type TrainingResults } from '../src/report/index.js';

function sample(labels: string[], epochs = 3): TrainingResults {
  const n = labels.length;
  return {
    model: 'bert-tiny',
    output_dir: '/tmp/out',
    problem_type: 'single_label_classification',
    labels,
    strategy: 'full',
    engine: 'tfjs',
    hyperparameters: { learning_rate: 1e-4, epochs, batch_size: 32 },
    history: Array.from({ length: epochs }, (_, e) => ({ epoch: e + 1, step: (e + 1) * 10, train_loss: 0.7 - 0.1 * e, learning_rate: 1e-4, eval_loss: 0.69 - 0.05 * e, eval_metrics: { accuracy: 0.6 + 0.05 * e, macro_f1: 0.55 + 0.05 * e }, elapsed_s: 5 * (e + 1) })),
    steps: Array.from({ length: epochs * 10 }, (_, i) => ({ step: i + 1, loss: 0.7 - i * 0.01, learning_rate: 1e-4 })),
    final_eval: {
      accuracy: 0.7,
      per_class: labels.map((label) => ({ label, precision: 0.7, recall: 0.7, f1: 0.7, support: 10 })),
      confusion_matrix: labels.map((_, r) => labels.map((_, c) => (r === c ? 7 + r : 1))),
      labels,
    },
    best: { epoch: epochs, metric: 'accuracy', value: 0.7 },
    train_runtime_s: 15,
    train_examples: 100 * n,
    eval_examples: 10 * n,
    train_examples_per_s: 20,
  };
}

/** Strict tag balance: every opened element is closed in order (enough to catch broken SVG). */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, []);
}

test('charts: polylines with every point, a cell per matrix entry with its count', () => {
  const charts = reportCharts(sample(['neg', 'pos']));
  for (const svg of Object.values(charts)) assertWellFormed(svg);
  const metricLine = /<polyline[^>]*points="([^"]+)"/.exec(charts['metric.svg']!)![1]!;
  assert.equal(metricLine.split(' ').length, 3);
  assert.equal((charts['confusion_matrix.svg']!.match(/class="cell"/g) ?? []).length, 4);
  assert.match(charts['confusion_matrix.svg']!, />8<\/text>/);
  assert.equal((charts['loss.svg']!.match(/<polyline/g) ?? []).length, 2, 'train and eval loss');
});

test('labels are escaped; regression and no-validation runs render', () => {
  const html = renderReport(sample(['<script>alert(1)</script>', 'ok']));
  assert.ok(!html.includes('<script>'));
  assert.match(html, /&lt;script&gt;/);
  const regression = { ...sample(['value']), problem_type: 'regression' as const, final_eval: { pearson: 0.8, mse: 0.1 }, best: { epoch: 1, metric: 'pearson', value: 0.8 } };
  regression.history = regression.history.map((h) => ({ ...h, eval_metrics: { pearson: 0.8, mse: 0.1 } }));
  const r = renderReport(regression);
  assert.ok(!r.includes('Confusion matrix'));
  assert.match(r, /pearson/);
  const noEval = { ...sample(['a', 'b'], 1), best: null, final_eval: null, history: [{ epoch: 1, step: 10, train_loss: 0.5, learning_rate: 1e-4, elapsed_s: 1 }] };
  assertWellFormed(reportCharts(noEval)['loss.svg']!);
  assert.match(renderReport(noEval), /no validation data/);
});

/** Decodes an 8-bit RGB(A) PNG (no interlace) enough to measure pixel variance. */
function pngPixelStats(file: string): { width: number; height: number; distinct: number } {
  const buf = readFileSync(file);
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const channels = buf[25] === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    if (buf.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels + 1;
  const colors = new Set<number>();
  for (let y = 0; y < height; y += 7) for (let x = 0; x < width; x += 7) {
    const i = y * stride + 1 + x * channels;
    colors.add((raw[i]! << 16) | (raw[i + 1]! << 8) | raw[i + 2]!); // filter bytes blur this a little; enough to tell blank from drawn
  }
  return { width, height, distinct: colors.size };
}

test('the report renders in headless Chromium (not blank)', { skip: !chromiumPath() && process.env.BERTFT_REQUIRE_CHROMIUM !== '1' ? 'Chromium not installed (apt-get install chromium); CI sets BERTFT_REQUIRE_CHROMIUM=1' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-report-'));
  const { html, svgs } = await writeReport(dir, sample(['anger', 'fear', 'joy', 'love', 'sadness', 'surprise']));
  assert.equal(svgs.length, 3);
  const png = join(dir, 'report.png');
  screenshot(html, png);
  const stats = pngPixelStats(png);
  assert.equal(stats.width, 1280);
  assert.ok(stats.distinct > 20, `only ${stats.distinct} distinct colours: blank page?`);
});
