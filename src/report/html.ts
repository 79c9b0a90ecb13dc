import { confusionHeatmap, escapeXml, lineChart, type Series } from './svg.js';
import type { TrainingResults } from './types.js';

/** The charts of a report, as SVG strings keyed by file name. */
export function reportCharts(r: TrainingResults): Record<string, string> {
  const charts: Record<string, string> = {};
  const loss: Series[] = [];
  if (r.steps?.length) loss.push({ name: 'train loss (per step)', color: '#4c78a8', points: smooth(r.steps.map((s) => [s.step, s.loss])) });
  else loss.push({ name: 'train loss', color: '#4c78a8', dots: true, points: r.history.map((h) => [h.step, h.train_loss]) });
  if (r.history.some((h) => h.eval_loss !== undefined)) {
    loss.push({ name: 'eval loss', color: '#e45756', dots: true, points: r.history.filter((h) => h.eval_loss !== undefined).map((h) => [h.step, h.eval_loss!]) });
  }
  charts['loss.svg'] = lineChart('Loss', 'step', 'loss', loss);
  const metric = r.best?.metric && r.best.metric !== 'eval_loss' ? r.best.metric : Object.keys(r.history[0]?.eval_metrics ?? {})[0];
  if (metric) {
    charts['metric.svg'] = lineChart(`Validation ${metric} per evaluation`, 'epoch', metric, [
      { name: metric, color: '#54a24b', dots: true, points: r.history.filter((h) => h.eval_metrics?.[metric] !== undefined).map((h) => [h.epoch, h.eval_metrics![metric]!]) },
    ]);
  }
  const cm = r.final_eval?.confusion_matrix;
  if (cm && cm.length) charts['confusion_matrix.svg'] = confusionHeatmap(cm, r.final_eval?.labels ?? r.labels);
  return charts;
}

/** Moving average over ~1/50 of the steps, so a long per-step curve stays readable. */
function smooth(points: [number, number][]): [number, number][] {
  const w = Math.max(1, Math.floor(points.length / 50));
  if (w === 1) return points;
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += w) {
    const chunk = points.slice(i, i + w);
    out.push([chunk[chunk.length - 1]![0], chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}

const cell = (v: unknown) => `<td>${escapeXml(typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : String(v ?? '—'))}</td>`;

/** A self-contained HTML report (inline CSS and SVG, no scripts, no external files). */
export function renderReport(r: TrainingResults): string {
  const charts = reportCharts(r);
  const scalars = Object.entries(r.final_eval ?? {}).filter(([, v]) => typeof v === 'number');
  const perClass = r.final_eval?.per_class ?? [];
  const hp = Object.entries(r.hyperparameters);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bertft report — ${escapeXml(r.output_dir)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;margin-bottom:4px} .sub{color:#666;margin-top:0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.card b{display:block;font-size:18px}.charts{display:flex;flex-wrap:wrap;gap:16px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:4px 10px;text-align:right}th{background:#f5f5f5}
td:first-child,th:first-child{text-align:left}
</style></head><body>
<h1>bertft training report</h1>
<p class="sub">${escapeXml(r.model)} → ${escapeXml(r.output_dir)} · ${escapeXml(r.problem_type)} · strategy <b>${escapeXml(r.strategy)}</b> · engine ${escapeXml(r.engine)}${r.backend ? ` (${escapeXml(r.backend)})` : ''}</p>
<div class="cards">
<div class="card">best ${escapeXml(r.best?.metric ?? 'metric')}<b>${r.best ? r.best.value.toFixed(4) : '—'}</b>${r.best ? `epoch ${r.best.epoch}` : 'no validation data'}</div>
<div class="card">training time<b>${r.train_runtime_s.toFixed(1)} s</b>${r.train_examples_per_s.toFixed(1)} examples/s</div>
<div class="card">data<b>${r.train_examples}</b>train · ${r.eval_examples} validation</div>
<div class="card">labels<b>${r.labels.length}</b>${escapeXml(r.labels.slice(0, 6).join(', '))}${r.labels.length > 6 ? ', …' : ''}</div>
</div>
<h2>Learning curves</h2>
<div class="charts">${charts['loss.svg'] ?? ''}${charts['metric.svg'] ?? ''}</div>
${charts['confusion_matrix.svg'] ? `<h2>Confusion matrix (best model)</h2>\n${charts['confusion_matrix.svg']}` : ''}
${scalars.length ? `<h2>Validation metrics (best model)</h2><table><tr><th>metric</th><th>value</th></tr>${scalars.map(([k, v]) => `<tr>${cell(k)}${cell(v)}</tr>`).join('')}</table>` : ''}
${perClass.length ? `<h2>Per class</h2><table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClass.map((c) => `<tr>${cell(c.label)}${cell(c.precision)}${cell(c.recall)}${cell(c.f1)}${cell(c.support)}</tr>`).join('')}</table>` : ''}
<h2>History</h2><table><tr><th>epoch</th><th>step</th><th>train loss</th><th>eval loss</th><th>${escapeXml(r.best?.metric ?? 'metric')}</th><th>learning rate</th><th>elapsed (s)</th></tr>
${r.history.map((h) => `<tr>${cell(h.epoch)}${cell(h.step)}${cell(h.train_loss)}${cell(h.eval_loss)}${cell(r.best ? h.eval_metrics?.[r.best.metric] : undefined)}${cell(h.learning_rate.toExponential(2))}${cell(h.elapsed_s)}</tr>`).join('\n')}</table>
<h2>Settings</h2><table><tr><th>setting</th><th>value</th></tr>${hp.map(([k, v]) => `<tr>${cell(k)}${cell(v)}</tr>`).join('')}</table>
<p class="sub">started ${escapeXml(r.started_at ?? '')} · finished ${escapeXml(r.finished_at ?? '')} · bertft ${escapeXml(String(r.bertft_version ?? ''))}</p>
</body></html>
`;
}
