/**
 * Renders a training report to PNG with headless Chromium, to look at it:
 *   node --import tsx scripts/render-report.ts out/model/report.html [out.png]
 */
import { screenshot } from '../src/report/index.js';

const [html, png = html?.replace(/\.html$/, '.png')] = process.argv.slice(2);
if (!html || !png) {
  process.stderr.write('usage: render-report.ts REPORT.html [OUT.png]\n');
  process.exit(2);
}
screenshot(html, png);
process.stdout.write(`${png}\n`);
