/** A hand-written SVG line chart: axes with round ticks, axis titles, a legend, several series. */
import { formatTick, niceDomain, niceTicks } from './ticks.js';
import { escapeXml, px, textWidth } from './xml.js';

/** One line of a chart. */
export interface Series {
  name: string;
  /** [x, y] pairs; pairs with a non-finite coordinate are left out. */
  points: [number, number][];
  /** Any CSS colour. */
  color: string;
  /** Draw dots at the points (few points, e.g. per-epoch values). A one-point series always gets its dot. */
  dots?: boolean;
  /** A dashed line, to tell a series apart without relying on colour alone. */
  dashed?: boolean;
  /** Line width in pixels (default 2); thinner for a noisy background series. */
  strokeWidth?: number;
}

/** Optional layout choices for {@link lineChart}. */
export interface LineChartOptions {
  /** Only whole-number x ticks (epochs, steps). */
  integerX?: boolean;
  /** A fixed y range instead of one fitted to the data. */
  yDomain?: [number, number];
  /** A labelled vertical line, e.g. at the best epoch. */
  marker?: { x: number; label: string };
}

const FONT = 11;
const LEGEND_ROW = 16;

/**
 * Draws series of [x, y] points as an SVG line chart. Each series becomes one `<polyline
 * class="series">` with one point per finite data point, so the picture can be checked from the
 * markup.
 *
 * @param title  shown above the plot
 * @param xLabel x-axis title
 * @param yLabel y-axis title
 * @param series lines to draw, in legend order
 * @returns a standalone `<svg>` element (valid as a file or inline in HTML)
 */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 560, height = 320, options: LineChartOptions = {}): string {
  const clean = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const all = clean.flatMap((s) => s.points);
  const [x0, x1] = xDomain(
    all.map((p) => p[0]),
    options.integerX ?? false,
  );
  const [y0, y1] = options.yDomain ?? niceDomain(Math.min(...all.map((p) => p[1]), Infinity), Math.max(...all.map((p) => p[1]), -Infinity));
  const yTicks = all.length || options.yDomain ? niceTicks(y0, y1, 5) : [];
  const xTicks = all.length ? niceTicks(x0, x1, 6, options.integerX) : [];

  const legend = layoutLegend(
    series.map((s) => s.name),
    width,
  );
  const m = {
    left: 30 + Math.max(16, ...yTicks.map((t) => textWidth(formatTick(t), FONT))),
    right: 20,
    top: 34 + legend.rows * LEGEND_ROW + (options.marker ? 16 : 6), // room for the marker's label above the plot
    bottom: 44,
  };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => m.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="${FONT}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${px(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${px(sy(t))}" y2="${px(sy(t))}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${m.left - 6}" y="${px(sy(t) + 4)}" text-anchor="end" fill="#444">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(sx(t))}" x2="${px(sx(t))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f2f2f2"/>`);
    out.push(`<line x1="${px(sx(t))}" x2="${px(sx(t))}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#999"/>`);
    out.push(`<text x="${px(sx(t))}" y="${m.top + plotH + 16}" text-anchor="middle" fill="#444">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${px(m.left + plotW / 2)}" y="${height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(13 ${px(m.top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  if (!all.length) out.push(`<text x="${px(m.left + plotW / 2)}" y="${px(m.top + plotH / 2)}" text-anchor="middle" fill="#888">no data</text>`);

  const marker = options.marker;
  if (marker && all.length && marker.x >= x0 && marker.x <= x1) {
    const x = px(sx(marker.x));
    out.push(`<line class="marker" x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + plotH}" stroke="#888" stroke-dasharray="2 3"/>`);
    // The label sits above the plot (never on the data), centred on the line but kept within the
    // plot's width, clear of the y tick labels.
    const half = textWidth(marker.label, FONT) / 2;
    const lx = Math.min(width - m.right - half, Math.max(m.left + half, sx(marker.x)));
    out.push(`<text x="${px(lx)}" y="${m.top - 4}" text-anchor="middle" fill="#666">${escapeXml(marker.label)}</text>`);
  }
  for (const s of clean) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (s.points.length) {
      const pts = s.points.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(' ');
      out.push(
        `<polyline class="series" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${s.strokeWidth ?? 2}" stroke-linejoin="round"${dash} points="${pts}"><title>${escapeXml(s.name)}</title></polyline>`,
      );
    }
    if (s.dots || s.points.length === 1) {
      for (const [x, y] of s.points)
        out.push(
          `<circle class="dot" cx="${px(sx(x))}" cy="${px(sy(y))}" r="3.5" fill="${escapeXml(s.color)}"><title>${escapeXml(`${s.name}: ${formatTick(y)} at ${formatTick(x)}`)}</title></circle>`,
        );
    }
  }
  series.forEach((s, i) => {
    const { x, row } = legend.positions[i]!;
    const y = 34 + row * LEGEND_ROW;
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    out.push(
      `<g class="legend"><line x1="${px(x)}" x2="${px(x + 18)}" y1="${y}" y2="${y}" stroke="${escapeXml(s.color)}" stroke-width="2.5"${dash}/>` +
        (s.dots ? `<circle cx="${px(x + 9)}" cy="${y}" r="3" fill="${escapeXml(s.color)}"/>` : '') +
        `<text x="${px(x + 24)}" y="${y + 4}">${escapeXml(s.name)}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** The x range: the data's, or a padded one around a single x (one epoch). */
function xDomain(xs: number[], integer: boolean): [number, number] {
  if (!xs.length) return [0, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (hi > lo) return [lo, hi];
  const pad = integer ? 0.5 : Math.abs(lo) * 0.1 || 0.5;
  return [lo - pad, hi + pad];
}

/** Legend entries left to right, centred, wrapping onto new rows when the chart is too narrow. */
function layoutLegend(names: string[], width: number): { rows: number; positions: { x: number; row: number }[] } {
  const widths = names.map((n) => 24 + textWidth(n, FONT) + 18);
  const rows: number[][] = [[]];
  let used = 0;
  widths.forEach((w, i) => {
    if (used + w > width - 40 && rows[rows.length - 1]!.length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1]!.push(i);
    used += w;
  });
  const positions: { x: number; row: number }[] = [];
  rows.forEach((row, r) => {
    const total = row.reduce((a, i) => a + widths[i]!, 0) - 18;
    let x = (width - total) / 2;
    for (const i of row) {
      positions[i] = { x, row: r };
      x += widths[i]!;
    }
  });
  return { rows: names.length ? rows.length : 0, positions };
}
