/**
 * The training report: well-formed SVG charts that carry the right data (points per line, counts
 * per confusion-matrix cell), escaping, the regression / one-epoch / no-validation cases, the files
 * writeReport leaves, the PNG decoder, and a real render in headless Chromium checked for pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  chromiumPath,
  confusionHeatmap,
  countColour,
  decodePng,
  lineChart,
  luminanceVariance,
  niceTicks,
  renderReport,
  reportCharts,
  sampleResults,
  screenshot,
  writeReport,
  type ClassificationResults,
} from '../../src/report/index.js';
import { MAX_STEP_POINTS } from '../../src/report/charts.js';
import { shade } from '../../src/report/heatmap.js';
import { truncate } from '../../src/report/xml.js';

// ---------------------------------------------------------------------------------------------
// A small strict XML parser: enough to prove an SVG is well-formed and to query what it draws.

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Text directly inside, entities decoded. */
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
const NAME = /[A-Za-z_:][\w:.-]*/y;

/** Parses an XML document, failing on unbalanced tags, bad attributes, raw `<` or stray `&`. */
function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => assert.fail(`not well-formed XML: ${why} at ${i}: ${JSON.stringify(src.slice(i, i + 60))}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids
  const invalid = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.exec(src);
  if (invalid) fail(`character U+${invalid[0].charCodeAt(0).toString(16)} is not allowed`);
  const ws = () => {
    while (/\s/.test(src[i] ?? '')) i++;
  };
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const decode = (raw: string): string => {
    for (let k = raw.indexOf('&'); k >= 0; k = raw.indexOf('&', k + 1)) {
      ENTITY.lastIndex = k;
      if (!ENTITY.test(raw)) fail(`stray & in ${JSON.stringify(raw)}`);
    }
    return raw
      .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
      .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') fail('expected <');
    i++;
    const name = match(NAME) ?? fail('expected an element name');
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const attr = match(NAME) ?? fail('expected an attribute name');
      ws();
      if (src[i] !== '=') fail(`attribute ${attr} has no value`);
      i++;
      ws();
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = src.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute');
      const raw = src.slice(i + 1, end);
      if (raw.includes('<')) fail(`raw < in attribute ${attr}`);
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = decode(raw);
      i = end + 1;
    }
    for (;;) {
      if (i >= src.length) fail(`<${name}> is never closed`);
      if (src.startsWith('</', i)) {
        i += 2;
        const closing = match(NAME);
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        ws();
        if (src[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src[i] === '<') {
        el.children.push(element());
      } else {
        const end = src.indexOf('<', i);
        el.text += decode(src.slice(i, end < 0 ? src.length : end));
        i = end < 0 ? src.length : end;
      }
    }
  };
  ws();
  if (src.startsWith('<?xml', i)) i = src.indexOf('?>', i) + 2;
  ws();
  const root = element();
  ws();
  if (i !== src.length) fail('content after the root element');
  return root;
}

/** Every element, depth first. */
function walk(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(walk)];
}
const byName = (root: XmlElement, name: string) => walk(root).filter((e) => e.name === name);
const byClass = (root: XmlElement, cls: string) => walk(root).filter((e) => (e.attrs.class ?? '').split(' ').includes(cls));
const pointCount = (polyline: XmlElement) => polyline.attrs.points!.trim().split(/\s+/).length;
const textOf = (el: XmlElement): string =>
  el.text +
  el.children
    .filter((c) => c.name !== 'title')
    .map(textOf)
    .join('');

/** The inline SVGs of an HTML page, each parsed. */
function inlineSvgs(html: string): XmlElement[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
}

/** HTML tag balance (void elements aside), and nothing that loads or runs anything. */
function assertSelfContainedHtml(html: string): void {
  assert.match(html, /^<!doctype html>/);
  const voids = new Set(['meta', 'br', 'hr', 'img', 'link', 'input']);
  const stack: string[] = [];
  for (const m of html.replace(/<svg[\s\S]*?<\/svg>/g, '').matchAll(/<(\/?)([a-zA-Z][\w-]*)(?:\s[^<>]*)?>/g)) {
    const [, closing, name] = m;
    if (voids.has(name!.toLowerCase())) continue;
    if (closing) assert.equal(stack.pop(), name, `</${name}> is unbalanced`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every HTML element is closed');
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i, 'no scripts or external assets');
}

// ---------------------------------------------------------------------------------------------

const twoClass = () => sampleResults({ labels: ['negative', 'positive'], epochs: 3, stepsPerEpoch: 40 });
const sixClass = () => sampleResults({ labels: ['anger', 'fear', 'joy', 'love', 'sadness', 'surprise'], epochs: 3, stepsPerEpoch: 40 });

test('niceTicks: round steps that cover the range; whole numbers when asked', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.31, 0.72, 4), [0.4, 0.5, 0.6, 0.7]);
  assert.deepEqual(niceTicks(-3, 3, 3), [-2, 0, 2]);
  assert.deepEqual(niceTicks(1, 3, 6, true), [1, 2, 3], 'no 1.5 epochs');
  assert.deepEqual(niceTicks(1, 2000, 6, true), [500, 1000, 1500, 2000]);
  assert.deepEqual(niceTicks(2, 2), [2]);
});

test('lineChart: one polyline per series with one point per finite value, escaped names', () => {
  const svg = parseXml(
    lineChart('A & <B>', 'step', 'loss', [
      {
        name: 'train <loss>',
        color: '#123456',
        points: [
          [1, 0.9],
          [2, 0.7],
          [3, NaN],
          [4, 0.5],
        ],
      },
      {
        name: 'eval',
        color: '#654321',
        dots: true,
        points: [
          [2, 0.8],
          [4, 0.6],
        ],
      },
      { name: 'single', color: '#111111', points: [[3, 0.65]] },
    ]),
  );
  const lines = byClass(svg, 'series');
  assert.deepEqual(lines.map(pointCount), [3, 2, 1], 'the NaN point is left out');
  assert.deepEqual(
    lines.map((l) => l.attrs.stroke),
    ['#123456', '#654321', '#111111'],
  );
  assert.equal(byClass(svg, 'dot').length, 3, 'two dots for "eval", one for the single-point series');
  assert.ok(
    byName(svg, 'text').some((t) => t.text === 'train <loss>'),
    'legend text survives escaping',
  );
  assert.equal(byName(svg, 'title')[0]!.text, 'A & <B>');
  // Higher loss is drawn higher up: smaller y in SVG coordinates.
  const ys = lines[0]!.attrs.points!.split(' ').map((p) => Number(p.split(',')[1]));
  assert.ok(ys[0]! < ys[1]! && ys[1]! < ys[2]!);
});

test('lineChart without data still draws axes and says so', () => {
  const svg = parseXml(lineChart('Empty', 'x', 'y', [{ name: 'nothing', color: '#000', points: [] }]));
  assert.equal(byClass(svg, 'series').length, 0);
  assert.ok(byName(svg, 'text').some((t) => t.text === 'no data'));
});

test('loss and metric charts: per-step, per-epoch and eval lines with the right number of points', () => {
  const r = twoClass();
  const charts = reportCharts(r);
  assert.deepEqual(Object.keys(charts).sort(), ['confusion_matrix.svg', 'loss.svg', 'metric.svg']);
  const loss = parseXml(charts['loss.svg']!);
  const lines = byClass(loss, 'series');
  assert.deepEqual(
    lines.map((l) => byName(l, 'title')[0]!.text),
    ['train loss (per step)', 'train loss (mean)', 'eval loss'],
  );
  assert.deepEqual(lines.map(pointCount), [120, 3, 3]);
  assert.equal(byClass(loss, 'marker').length, 1, 'the best step is marked');
  const metric = parseXml(charts['metric.svg']!);
  const metricLines = byClass(metric, 'series');
  assert.equal(byName(metricLines[0]!, 'title')[0]!.text, 'accuracy', 'the best-model metric comes first');
  assert.deepEqual(metricLines.map(pointCount), [3, 3]);
  // x ticks are whole epochs.
  const xTickTexts = byName(metric, 'text').filter((t) => t.attrs['text-anchor'] === 'middle' && /^\d+(\.\d+)?$/.test(t.text));
  assert.deepEqual(
    xTickTexts.map((t) => t.text),
    ['1', '2', '3'],
  );
});

test('a long run is averaged down to at most MAX_STEP_POINTS on the per-step line', () => {
  const r = sampleResults({ epochs: 4, stepsPerEpoch: 1000 });
  const line = byClass(parseXml(reportCharts(r)['loss.svg']!), 'series')[0]!;
  const n = pointCount(line);
  assert.ok(n <= MAX_STEP_POINTS && n >= MAX_STEP_POINTS / 2, `${n} points`);
});

test('confusion matrix: a cell per entry with its count, shaded by its share of the row', () => {
  for (const r of [twoClass(), sixClass()]) {
    const matrix = r.final_eval!.confusion_matrix!;
    const svg = parseXml(reportCharts(r)['confusion_matrix.svg']!);
    const cells = byClass(svg, 'cell');
    assert.equal(cells.length, matrix.length ** 2);
    for (const cell of cells) {
      const [row, col] = [Number(cell.attrs['data-row']), Number(cell.attrs['data-col'])];
      const count = matrix[row]![col]!;
      assert.equal(textOf(byName(cell, 'text')[0]!), String(count), `cell ${row},${col}`);
      assert.equal(cell.attrs['data-count'], String(count));
      const rowTotal = matrix[row]!.reduce((a, b) => a + b, 0);
      assert.equal(byName(cell, 'rect')[0]!.attrs.fill, shade(count / rowTotal));
    }
    // Every label on both axes.
    assert.deepEqual(
      byClass(svg, 'row-label').map((g) => byName(g, 'title')[0]!.text),
      r.labels,
    );
    assert.deepEqual(
      byClass(svg, 'col-label').map((g) => byName(g, 'title')[0]!.text),
      r.labels,
    );
  }
  assert.notEqual(shade(1), shade(0.5));
});

test('confusion matrix: 20 long labels are cut for display, in full in the tooltip', () => {
  const labels = Array.from({ length: 20 }, (_, i) => `category_with_a_long_name_${i}`);
  const matrix = labels.map((_, r) => labels.map((_, c) => (r === c ? 40 : (r + c) % 3)));
  const svg = parseXml(confusionHeatmap(matrix, labels));
  assert.equal(byClass(svg, 'cell').length, 400);
  const rows = byClass(svg, 'row-label');
  assert.equal(byName(rows[7]!, 'title')[0]!.text, 'category_with_a_long_name_7');
  const shown = textOf(byName(rows[7]!, 'text')[0]!);
  assert.ok(shown.length <= 16 && shown.includes('…') && shown.endsWith('_7'), shown);
  assert.ok(Number(svg.attrs.width) < 1000, `width ${svg.attrs.width}: still fits the page`);
  assert.equal(truncate('short', 16, 'middle'), 'short');
});

test('label names, model and settings are escaped everywhere: no <script> gets through', () => {
  const evil = '<script>alert(1)</script>';
  const r = sampleResults({ labels: [evil, 'Tom & "Jerry\'s"', 'bell\u0007char'], epochs: 2 });
  r.model = `</title>${evil}`;
  Object.assign(r.hyperparameters, { [evil]: evil });
  const html = renderReport(r);
  assert.ok(!/<script/i.test(html), 'no script tag');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assertSelfContainedHtml(html);
  const svgs = inlineSvgs(html); // parses: the control character was replaced
  assert.equal(svgs.length, 3);
  const cm = svgs[2]!;
  assert.deepEqual(
    byClass(cm, 'row-label').map((g) => byName(g, 'title')[0]!.text),
    [evil, 'Tom & "Jerry\'s"', 'bell\uFFFDchar'],
  );
  for (const svg of Object.values(reportCharts(r))) parseXml(svg);
});

test('the page has the header facts, every table, every hyper-parameter, and only inline assets', () => {
  const r = sixClass();
  const html = renderReport(r);
  assertSelfContainedHtml(html);
  assert.equal(inlineSvgs(html).length, 3);
  for (const fact of [
    r.model,
    r.output_dir,
    'strategy <b>full</b>',
    'engine <b>tfjs (wasm)</b>',
    `${r.train_examples_per_s.toFixed(1)} examples/s`,
    `best ${r.best!.metric}`,
  ]) {
    assert.ok(html.includes(fact), fact);
  }
  for (const label of r.labels) assert.match(html, new RegExp(`<td class="label">${label}</td>`));
  for (const k of Object.keys(r.hyperparameters)) assert.ok(html.includes(`<span>${k}</span>`), k);
  assert.ok(html.includes('<span>learning_rate</span><code>5e-5</code>'), 'a small learning rate is not rounded to 0');
  assert.ok(html.includes('<span>max_steps</span><code>—</code>'), 'null reads as not set');
  assert.ok(html.includes('<span>batch_size</span><code>16</code>'));
  assert.equal((html.match(/<tr class="best">/g) ?? []).length, 1, 'the best epoch is highlighted once');
  assert.ok(html.includes(`epoch ${r.best!.epoch} of 3`));
});

test('regression: no confusion matrix; a metrics table and a correlation chart', () => {
  const r = sampleResults({ problemType: 'regression', epochs: 3 });
  const charts = reportCharts(r);
  assert.deepEqual(Object.keys(charts).sort(), ['loss.svg', 'metric.svg']);
  const html = renderReport(r);
  assertSelfContainedHtml(html);
  assert.ok(!html.includes('Confusion matrix'));
  assert.ok(!html.includes('class="per-class"'));
  for (const m of ['pearson', 'spearman', 'rmse', 'mse', 'r2']) assert.ok(html.includes(`<td><code>${m}</code></td>`), m);
  const lines = byClass(parseXml(charts['metric.svg']!), 'series');
  assert.deepEqual(
    lines.map((l) => byName(l, 'title')[0]!.text),
    ['pearson', 'spearman'],
    'mse (another scale) is not charted with them',
  );
});

test('one epoch without validation data: the training loss only, and a note saying why', () => {
  const r = sampleResults({ epochs: 1, evaluate: false });
  assert.equal(r.best, null);
  const charts = reportCharts(r);
  assert.deepEqual(Object.keys(charts), ['loss.svg']);
  const lines = byClass(parseXml(charts['loss.svg']!), 'series');
  assert.deepEqual(lines.map(pointCount), [40, 1]);
  const html = renderReport(r);
  assertSelfContainedHtml(html);
  assert.match(html, /No validation data/);
  assert.ok(!html.includes('<th>eval loss</th>'));
  // Even without per-step losses, the one epoch point is visible as a dot.
  const bare: ClassificationResults = { ...r, steps: [] };
  const svg = parseXml(reportCharts(bare)['loss.svg']!);
  assert.equal(byClass(svg, 'dot').length, 1);
});

test('writeReport: the four files, valid SVG files, no temporary files, stale charts removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertft-report-'));
  const written = await writeReport(dir, twoClass());
  assert.equal(written.html, join(dir, 'report.html'));
  assert.deepEqual(
    written.svgs,
    ['loss.svg', 'metric.svg', 'confusion_matrix.svg'].map((f) => join(dir, f)),
  );
  assert.deepEqual(readdirSync(dir).sort(), ['confusion_matrix.svg', 'loss.svg', 'metric.svg', 'report.html']);
  for (const f of written.svgs) assert.equal(parseXml(readFileSync(f, 'utf8')).name, 'svg');
  assertSelfContainedHtml(readFileSync(written.html, 'utf8'));
  // A later run without validation in the same folder must not leave the old run's charts behind.
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const again = await writeReport(dir, sampleResults({ evaluate: false }));
  assert.deepEqual(again.svgs, [join(dir, 'loss.svg')]);
  assert.deepEqual(readdirSync(dir).sort(), ['loss.svg', 'notes.txt', 'report.html']);
});

// ---------------------------------------------------------------------------------------------
// PNG: the decoder the Chromium test relies on, checked against images built here.

/** Encodes RGB pixels as a PNG, each row with the given filter type (0–4). CRCs are left zero. */
function encodePng(width: number, height: number, rgb: Uint8Array, filters: number[]): Buffer {
  const stride = width * 3;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length]!;
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const x = rgb[y * stride + i]!;
      const a = i >= 3 ? rgb[y * stride + i - 3]! : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + i]! : 0;
      const c = i >= 3 && y > 0 ? rgb[(y - 1) * stride + i - 3]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][f]!;
      raw[y * (stride + 1) + 1 + i] = (x - predictor) & 0xff;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('decodePng undoes all five row filters; luminance variance tells blank from drawn', () => {
  const [w, h] = [7, 10];
  const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + ((i / 3) | 0) * 11) & 0xff);
  const img = decodePng(encodePng(w, h, rgb, [0, 1, 2, 3, 4]));
  assert.equal(img.width, w);
  assert.equal(img.height, h);
  assert.deepEqual(img.rgb, rgb);
  assert.ok(luminanceVariance(img) > 100);
  const blank = decodePng(encodePng(w, h, new Uint8Array(w * h * 3).fill(255), [4]));
  assert.equal(luminanceVariance(blank), 0);
  assert.equal(countColour(blank, '#ffffff'), w * h);
  assert.throws(() => decodePng(Buffer.from('not a png at all, not at all, no')), /not a PNG/);
});

// ---------------------------------------------------------------------------------------------

const requireChromium = process.env.BERTFT_REQUIRE_CHROMIUM === '1';
const skipChromium =
  !chromiumPath() && !requireChromium
    ? 'Chromium not installed (Debian: apt-get install chromium); set BERTFT_REQUIRE_CHROMIUM=1 to make this a failure, as CI does'
    : false;

test('the report renders in headless Chromium: a 1280-px page with the charts drawn', { skip: skipChromium }, async () => {
  assert.ok(
    chromiumPath(),
    'BERTFT_REQUIRE_CHROMIUM=1 but no Chromium at $CHROMIUM, /usr/bin/chromium or /usr/bin/chromium-browser (apt-get install chromium)',
  );
  const dir = mkdtempSync(join(tmpdir(), 'bertft-report-'));
  const r = sixClass();
  const { html } = await writeReport(dir, r);
  const png = join(dir, 'report.png');
  screenshot(html, png, { width: 1280, height: 2000 });
  const img = decodePng(readFileSync(png));
  assert.equal(img.width, 1280);
  assert.equal(img.height, 2000);
  const variance = luminanceVariance(img);
  assert.ok(variance > 50, `luminance variance ${variance.toFixed(1)}: a blank page?`);
  // The SVGs were drawn, not just the text: the train-loss blue and the heat map's darkest blue.
  assert.ok(countColour(img, '#4c78a8', 20) > 200, 'train-loss line pixels');
  const matrix = r.final_eval!.confusion_matrix!;
  const topShare = Math.max(...matrix.map((row, k) => row[k]! / row.reduce((a, b) => a + b, 0)));
  const [cr, cg, cb] = shade(topShare).match(/\d+/g)!.map(Number);
  const hex = `#${[cr, cg, cb].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
  assert.ok(countColour(img, hex, 6) > 1000, `heat-map cell pixels of ${hex}`);
});
