import type { VjpRule } from './context.js';
import { elementwiseRules } from './elementwise.js';
import { linalgRules } from './linalg.js';
import { normalizationRules } from './normalization.js';
import { reduceRules } from './reduce.js';
import { shapeRules } from './shape.js';
import { softmaxRules } from './softmax.js';

export type { VjpContext, VjpRule } from './context.js';

/** Every op type reverse-mode differentiation knows, by ONNX op type. */
export const VJP_RULES: Readonly<Record<string, VjpRule>> = {
  ...elementwiseRules,
  ...linalgRules,
  ...softmaxRules,
  ...reduceRules,
  ...shapeRules,
  ...normalizationRules,
};
