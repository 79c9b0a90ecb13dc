/** `train --report`: a self-contained HTML report with learning curves and a confusion matrix. */
export type { TrainingResults } from './types.js';
export { renderReport, reportCharts } from './html.js';
export { writeReport } from './write.js';
export { confusionHeatmap, escapeXml, lineChart, niceTicks, type Series } from './svg.js';
export { chromiumPath, screenshot } from './screenshot.js';
