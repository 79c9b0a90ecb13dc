import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { renderReport, reportCharts } from './html.js';
import type { TrainingResults } from './types.js';

/** Writes report.html and the charts as separate SVG files into `dir`. */
export async function writeReport(dir: string, results: TrainingResults): Promise<{ html: string; svgs: string[] }> {
  const html = join(dir, 'report.html');
  await writeFileAtomic(html, renderReport(results));
  const svgs: string[] = [];
  for (const [name, svg] of Object.entries(reportCharts(results))) {
    const file = join(dir, name);
    await writeFileAtomic(file, svg);
    svgs.push(file);
  }
  return { html, svgs };
}
