/** A confusion-matrix heat map in SVG. */
import { escapeXml, px, textWidth, truncate } from './xml.js';

const MAX_LABEL_CHARS = 16;
const TITLE = 'Confusion matrix (rows: true label, columns: predicted)';

/**
 * Draws a confusion matrix: rows are true labels, columns predicted ones. A cell's shade is its
 * share of the row (so a rare class's errors show as clearly as a common one's), and its count is
 * printed on it (zeros in grey). Label names longer than 16 characters are cut in the middle, with
 * the full name as a tooltip.
 * Each cell is a `<g class="cell" data-row data-col data-count>` so the picture can be checked from
 * the markup.
 *
 * @param matrix counts, matrix[true][predicted]
 * @param labels class names by index (missing names show as the index)
 * @param cell   cell size in pixels; 0 picks one that keeps 2–20 classes readable
 * @returns a standalone `<svg>` element
 */
export function confusionHeatmap(matrix: number[][], labels: string[], cell = 0): string {
  const n = matrix.length;
  const name = (i: number) => labels[i] ?? String(i);
  const size = cell || Math.max(26, Math.min(90, Math.floor(560 / Math.max(1, n))));
  const countFont = size >= 44 ? 13 : size >= 32 ? 11 : 9;
  const shortNames = Array.from({ length: n }, (_, i) => truncate(name(i), MAX_LABEL_CHARS, 'middle'));
  const labelWidth = Math.max(10, ...shortNames.map((l) => textWidth(l, 11)));

  // Row labels sit left of the grid, column labels below it at 45°, each axis with its title.
  const gridLeft = 26 + labelWidth + 8;
  const gridTop = 36;
  const grid = n * size;
  const colLabelDrop = labelWidth * Math.SQRT1_2 + 14;
  const scaleLeft = gridLeft + grid + 18;
  const width = Math.ceil(Math.max(scaleLeft + 70, textWidth(TITLE, 14) + 24));
  const height = Math.ceil(gridTop + grid + colLabelDrop + 30);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeXml(TITLE)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${px(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(TITLE)}</text>`,
  ];
  matrix.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, c) => {
      const share = total > 0 ? count / total : 0;
      const x = gridLeft + c * size;
      const y = gridTop + r * size;
      const tip = `true ${name(r)}, predicted ${name(c)}: ${count} (${(share * 100).toFixed(1)}% of ${name(r)})`;
      out.push(
        `<g class="cell" data-row="${r}" data-col="${c}" data-count="${count}"><title>${escapeXml(tip)}</title>` +
          `<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="${shade(share)}" stroke="#d9d9d9" stroke-width="0.8"/>` +
          `<text x="${px(x + size / 2)}" y="${px(y + size / 2 + countFont * 0.35)}" text-anchor="middle" font-size="${countFont}" fill="${share > 0.55 ? '#fff' : count === 0 ? '#aaa' : '#222'}">${count}</text></g>`,
      );
    });
  });
  // The diagonal (correct predictions) outlined, drawn after all cells so no neighbour covers it.
  for (let i = 0; i < n; i++) {
    out.push(
      `<rect class="diagonal" x="${gridLeft + i * size + 0.5}" y="${gridTop + i * size + 0.5}" width="${size - 1}" height="${size - 1}" fill="none" stroke="#555" stroke-width="1"/>`,
    );
  }
  for (let i = 0; i < n; i++) {
    const full = escapeXml(name(i));
    const short = escapeXml(shortNames[i]!);
    const rowY = gridTop + i * size + size / 2 + 4;
    out.push(`<g class="row-label"><title>${full}</title><text x="${gridLeft - 6}" y="${px(rowY)}" text-anchor="end">${short}</text></g>`);
    const colX = gridLeft + i * size + size / 2;
    out.push(`<g class="col-label"><title>${full}</title><text transform="translate(${px(colX + 3)} ${gridTop + grid + 8}) rotate(45)">${short}</text></g>`);
  }
  out.push(`<text transform="translate(12 ${px(gridTop + grid / 2)}) rotate(-90)" text-anchor="middle" font-weight="bold">true label</text>`);
  out.push(`<text x="${px(gridLeft + grid / 2)}" y="${height - 8}" text-anchor="middle" font-weight="bold">predicted label</text>`);
  out.push(colourScale(scaleLeft, gridTop, Math.max(grid, 80)));
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The colour legend: a vertical bar, 100% of the row at the top, 0% at the bottom. Drawn as
 * discrete steps rather than a gradient, which would need an id that could clash inside one page.
 */
function colourScale(x: number, y: number, h: number): string {
  const steps = 10;
  const parts = ['<g class="scale">'];
  for (let i = 0; i < steps; i++) {
    const share = 1 - (i + 0.5) / steps;
    parts.push(`<rect x="${x}" y="${px(y + (i * h) / steps)}" width="12" height="${px(h / steps + 0.5)}" fill="${shade(share)}"/>`);
  }
  parts.push(`<rect x="${x}" y="${y}" width="12" height="${px(h)}" fill="none" stroke="#bbb"/>`);
  parts.push(`<text x="${x + 16}" y="${y + 9}" fill="#444">100%</text><text x="${x + 16}" y="${px(y + h)}" fill="#444">0%</text>`);
  parts.push(`<text transform="translate(${x + 34} ${px(y + h / 2)}) rotate(90)" text-anchor="middle" fill="#444">share of row</text>`);
  parts.push('</g>');
  return parts.join('');
}

/** White → mid blue → dark blue as the share of the row goes 0 → 1. */
export function shade(share: number): string {
  const stops: [number, number, number][] = [
    [247, 251, 255],
    [107, 174, 214],
    [8, 48, 107],
  ];
  const t = Math.min(1, Math.max(0, share)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const mix = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${mix(0)},${mix(1)},${mix(2)})`;
}
