/**
 * Renders a training report to PNG with headless Chromium (Debian: apt-get install chromium), to
 * look at it or attach it somewhere:
 *
 *   node --import tsx scripts/render-report.ts bertft-model                # folder: report.html (made from training_results.json if missing) → report.png
 *   node --import tsx scripts/render-report.ts bertft-model/report.html shot.png
 *   node --import tsx scripts/render-report.ts --sample 6 /tmp/sample      # made-up 6-class run → /tmp/sample/report.{html,png}
 *
 * Options: --width 1280 --height 2000 (the window, and so the PNG size), --epochs 3 (with --sample).
 * Exits 1 when the PNG comes out blank.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodePng, luminanceVariance, sampleResults, screenshot, writeReport, type TrainingResults } from '../src/report/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sample: { type: 'string' },
    epochs: { type: 'string', default: '3' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '2000' },
  },
});

/** The report.html to render, writing it first when given a results file, a folder or --sample. */
async function htmlToRender(): Promise<string> {
  if (values.sample !== undefined) {
    const classes = Number(values.sample);
    const dir = positionals[0] ?? 'report-sample';
    const labels = classes === 2 ? ['negative', 'positive'] : ['anger', 'fear', 'joy', 'love', 'sadness', 'surprise', 'disgust', 'trust'];
    const names = Array.from({ length: classes }, (_, i) => labels[i] ?? `class_${i}`);
    return (await writeReport(dir, sampleResults({ labels: names, epochs: Number(values.epochs) }))).html;
  }
  const target = positionals[0];
  if (!target) usage();
  if (target.endsWith('.json')) return (await writeReport(join(target, '..'), readResults(target))).html;
  if (statSync(target).isDirectory()) {
    const html = join(target, 'report.html');
    if (existsSync(html)) return html;
    return (await writeReport(target, readResults(join(target, 'training_results.json')))).html;
  }
  return target;
}

function readResults(file: string): TrainingResults {
  return JSON.parse(readFileSync(file, 'utf8')) as TrainingResults;
}

function usage(): never {
  process.stderr.write('usage: render-report.ts REPORT.html|training_results.json|FOLDER [OUT.png]\n       render-report.ts --sample CLASSES [FOLDER]\n');
  process.exit(2);
}

const html = await htmlToRender();
const png = (values.sample === undefined ? positionals[1] : undefined) ?? `${html.replace(/\.html$/, '')}.png`;
screenshot(html, png, { width: Number(values.width), height: Number(values.height) });
const variance = luminanceVariance(decodePng(readFileSync(png)));
process.stdout.write(`${png}\n`);
if (variance < 1) {
  process.stderr.write(`${png} looks blank (luminance variance ${variance.toFixed(2)})\n`);
  process.exit(1);
}
