import { UsageError } from '../errors.js';

/**
 * The methods of `--domain-adaptation`: train on labelled source text so the classifier works on
 * unlabelled target text (the `--target-text` file).
 * - `dann`: a domain discriminator behind a gradient-reversal layer (heads/domain.ts);
 * - `coral`: with fine-tuning, a Deep CORAL loss between source and target feature covariances;
 *   with `--strategy frozen`, the cached source features are whitened and re-coloured to the
 *   target's covariance (coral.ts) before the head trains;
 * - `dapt`: continued masked-LM pre-training on the target text first (dapt.ts), then fine-tuning;
 * - `dapt+dann`, `dapt+coral`: both, in that order.
 */
export const DOMAIN_ADAPTATION_METHODS = ['dann', 'coral', 'dapt', 'dapt+dann', 'dapt+coral'] as const;
export type DomainAdaptationMethod = (typeof DOMAIN_ADAPTATION_METHODS)[number];

export interface DomainAdaptationPlan {
  method: DomainAdaptationMethod;
  /** Continue pre-training on the target text before fine-tuning. */
  dapt: boolean;
  /** The objective on mixed source/target batches, if any. */
  objective?: 'dann' | 'coral';
}

/** Parses `--domain-adaptation` (case-insensitive); an unknown name is a one-line UsageError. */
export function parseDomainAdaptation(value: string): DomainAdaptationPlan {
  const v = value.trim().toLowerCase().replace(/\s+/g, '') as DomainAdaptationMethod;
  if (!DOMAIN_ADAPTATION_METHODS.includes(v))
    throw new UsageError(`--domain-adaptation must be one of ${DOMAIN_ADAPTATION_METHODS.join(', ')}; got "${value}"`);
  const objective = v.endsWith('dann') ? 'dann' : v.endsWith('coral') ? 'coral' : undefined;
  return { method: v, dapt: v.startsWith('dapt'), objective };
}
