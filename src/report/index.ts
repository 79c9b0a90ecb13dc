/** `train --report`: a self-contained HTML report with learning curves and a confusion matrix. */
export type {
  TrainingResults,
  ClassificationResults,
  ClassificationHyperparameters,
  TokenClassificationResults,
  TokenClassificationHyperparameters,
  PretrainingResults,
  PretrainingHyperparameters,
  PretrainingHistoryPoint,
  PretrainingEvalPoint,
  RecipeRules,
  DomainAdaptationRecord,
  DomainAdaptationStep,
  TrainingHistoryPoint,
  TrainingStepPoint,
  ClassScore,
  FinalEval,
  ProblemType,
} from './types.js';
export { isPretrainingResults } from './types.js';
export { renderReport } from './html.js';
export { reportCharts } from './charts.js';
export { writeReport, CHART_FILES } from './write.js';
export { renderTokenReport, tokenReportCharts } from './token-classification.js';
export { escapeXml } from './xml.js';
export { niceTicks } from './ticks.js';
export { lineChart, type LineChartOptions, type Series } from './line-chart.js';
export { confusionHeatmap } from './heatmap.js';
export { chromiumPath, screenshot, type ScreenshotSize } from './screenshot.js';
export { decodePng, luminanceVariance, countColour, type RgbImage } from './png.js';
export { sampleResults, type SampleOptions } from './sample.js';
