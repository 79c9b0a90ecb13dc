/** The compact BERT shapes the benchmarks use (Turc et al. 2019), as in bench/speed/torch/bert_bench.py. */
import type { BertConfig } from '../../src/models/bert/config.js';

export type ShapeName = 'tiny' | 'mini' | 'small' | 'base';

/** layers, hidden, heads; the intermediate size is 4 × hidden. */
export const SHAPES: Record<ShapeName, { layers: number; hidden: number; heads: number; label: string }> = {
  tiny: { layers: 2, hidden: 128, heads: 2, label: 'BERT-Tiny (L2 H128 A2 I512)' },
  mini: { layers: 4, hidden: 256, heads: 4, label: 'BERT-Mini (L4 H256 A4 I1024)' },
  small: { layers: 4, hidden: 512, heads: 8, label: 'BERT-Small (L4 H512 A8 I2048)' },
  base: { layers: 12, hidden: 768, heads: 12, label: 'BERT-Base (L12 H768 A12 I3072)' },
};

/** A BERT config of real size (vocabulary 30,522, 512 positions, dropout 0.1). */
export function bertShape(layers: number, hidden: number, heads: number): BertConfig {
  return {
    vocabSize: 30522,
    hiddenSize: hidden,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    intermediateSize: hidden * 4,
    hiddenAct: 'gelu',
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
    initializerRange: 0.02,
  };
}

/** The config of a named shape; throws on an unknown name. */
export function namedShape(name: string): BertConfig {
  const s = SHAPES[name as ShapeName];
  if (!s) throw new Error(`unknown shape "${name}" (known: ${Object.keys(SHAPES).join(', ')})`);
  return bertShape(s.layers, s.hidden, s.heads);
}
