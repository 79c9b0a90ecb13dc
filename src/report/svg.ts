/** Hand-written SVG charts: small, dependency-free, and inlined into a self-contained report. */

/** Escapes text for XML content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  /** Draw dots at the points (few points, e.g. per-epoch values). */
  dots?: boolean;
}

/** Round tick values covering [lo, hi] (1-2-5 steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

/** A line chart with axes, ticks, axis titles and a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 560, height = 320): string {
  const m = { left: 60, right: 20, top: 36, bottom: 48 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#999"/>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    parts.push(`<text x="${sx(t)}" y="${height - m.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${width / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) parts.push(`<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    if (s.dots) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    // Legend entries in rows that fit the plot width.
    const perRow = Math.max(1, Math.floor((width - m.left - m.right - 10) / 150));
    const lx = m.left + 10 + (i % perRow) * 150;
    const ly = m.top + 8 + Math.floor(i / perRow) * 14;
    parts.push(`<rect x="${lx}" y="${ly}" width="12" height="3" fill="${s.color}"/><text x="${lx + 16}" y="${ly + 5}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A confusion-matrix heat map: rows = true labels, columns = predicted, shaded by row share. */
export function confusionHeatmap(matrix: number[][], labels: string[], cell = 0): string {
  const n = labels.length;
  const size = cell || Math.max(28, Math.min(64, Math.floor(480 / Math.max(1, n))));
  const short = (l: string) => (l.length > 12 ? `${l.slice(0, 11)}…` : l);
  const left = 110;
  const top = 40;
  const width = Math.max(left + n * size + 20, 480); // room for the title with few classes
  const height = top + n * size + Math.min(90, 20 + 7 * Math.max(...labels.map((l) => Math.min(l.length, 12))));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">Confusion matrix (rows: true, columns: predicted)</text>`,
  ];
  matrix.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, c) => {
      const share = count / total;
      const light = Math.round(255 - share * 190);
      const fill = `rgb(${light},${Math.round(255 - share * 120)},255)`;
      const x = left + c * size;
      const y = top + r * size;
      parts.push(`<rect class="cell" x="${x}" y="${y}" width="${size}" height="${size}" fill="${fill}" stroke="#fff"><title>${escapeXml(`${labels[r]} → ${labels[c]}: ${count}`)}</title></rect>`);
      parts.push(`<text x="${x + size / 2}" y="${y + size / 2 + 4}" text-anchor="middle" fill="${share > 0.6 ? '#fff' : '#000'}">${count}</text>`);
    });
    parts.push(`<text x="${left - 6}" y="${top + r * size + size / 2 + 4}" text-anchor="end"><title>${escapeXml(labels[r]!)}</title>${escapeXml(short(labels[r]!))}</text>`);
  });
  labels.forEach((l, c) => {
    const x = left + c * size + size / 2;
    const y = top + n * size + 8;
    parts.push(`<text transform="translate(${x} ${y}) rotate(45)" text-anchor="start"><title>${escapeXml(l)}</title>${escapeXml(short(l))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
