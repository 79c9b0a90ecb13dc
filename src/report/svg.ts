/**
 * Hand-written SVG charts: small, dependency-free, inlined into a self-contained report. Pure
 * functions returning SVG strings; all text is escaped.
 */
export { escapeXml, truncate } from './xml.js';
export { niceTicks, niceDomain, formatTick } from './ticks.js';
export { lineChart, type Series, type LineChartOptions } from './line-chart.js';
export { confusionHeatmap, shade } from './heatmap.js';
