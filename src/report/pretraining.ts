/** The report of a `bertft pretrain` run: masked-LM loss curves, held-out accuracy, settings. One self-contained HTML page. */
import { formatDuration, formatNumber, formatSetting } from './format.js';
import { lineChart } from './line-chart.js';
import { escapeXml as esc } from './xml.js';

/** The parts of pretraining_results.json the report reads (a PretrainingResults, report/types.ts, is one). */
export interface PretrainingReportInput {
  source: string;
  corpus: { files: string[]; documents: number; word_pieces: number; sequences: number; max_length: number };
  hyperparameters: Record<string, string | number | boolean | null | undefined>;
  steps: number;
  tokens_seen: number;
  elapsed_s: number;
  final_train_loss?: number;
  final_eval?: { loss: number; accuracy: number };
  history: Array<{ step: number; tokens: number; loss: number; lr: number }>;
  evals: Array<{ step: number; tokens: number; loss: number; accuracy: number }>;
}

/** Mean of each run of `k` points, so a long noisy curve stays readable. */
function smooth(points: [number, number][], max = 400): [number, number][] {
  const k = Math.max(1, Math.ceil(points.length / max));
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += k) {
    const chunk = points.slice(i, i + k);
    out.push([chunk.at(-1)![0], chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}

/** The loss chart (training and held-out masked-LM loss against millions of tokens seen). */
export function pretrainingLossChart(r: PretrainingReportInput): string {
  return lineChart('Masked-LM loss', 'tokens seen (millions)', 'cross-entropy', [
    { name: 'training', points: smooth(r.history.map((h) => [h.tokens / 1e6, h.loss])), color: '#4c78a8', strokeWidth: 1.5 },
    { name: 'held-out', points: r.evals.map((e) => [e.tokens / 1e6, e.loss]), color: '#e45756', dots: true },
  ]);
}

export function renderPretrainingReport(r: PretrainingReportInput): string {
  const accuracy = lineChart('Held-out masked-token accuracy', 'tokens seen (millions)', 'accuracy', [
    { name: 'held-out', points: r.evals.map((e) => [e.tokens / 1e6, e.accuracy]), color: '#54a24b', dots: true },
  ]);
  const card = (k: string, v: string, d = '') =>
    `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div><div class="d">${esc(d)}</div></div>`;
  const settings = Object.entries(r.hyperparameters)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<div><span>${esc(k)}</span><code>${esc(formatSetting(v))}</code></div>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bertft pre-training report</title>
<style>body{font-family:system-ui,sans-serif;margin:0 auto;padding:24px;color:#222;max-width:1220px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin:18px 0}
.card{border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;background:#fafcfe}.card .k{color:#555;font-size:13px}
.card .v{font-size:22px;font-weight:600}.card .d{color:#666;font-size:13px}.row{display:flex;flex-wrap:wrap;gap:20px}
svg.chart{border:1px solid #e3e3e3;border-radius:6px;max-width:100%;height:auto}.settings{columns:3 280px;font-size:14px}
.settings div{display:flex;justify-content:space-between;gap:12px;border-bottom:1px dotted #ddd;padding:3px 0}</style></head><body>
<h1>Masked-LM pre-training</h1><p>${esc(r.source)} on ${esc(r.corpus.files.join(', '))}</p>
<div class="cards">${card('steps', formatNumber(r.steps))}${card('tokens seen', `${(r.tokens_seen / 1e6).toFixed(1)} M`, `${r.corpus.word_pieces.toLocaleString('en')} word pieces in the corpus`)}${card('time', formatDuration(r.elapsed_s))}${card('training loss', r.final_train_loss === undefined ? '—' : r.final_train_loss.toFixed(3))}${r.final_eval ? card('held-out loss', r.final_eval.loss.toFixed(3)) + card('masked-token accuracy', r.final_eval.accuracy.toFixed(3), 'held-out') : ''}</div>
<div class="row">${pretrainingLossChart(r)}${r.evals.length ? accuracy : ''}</div>
<h2>Settings</h2><div class="settings">${settings}</div>
</body></html>
`;
}
