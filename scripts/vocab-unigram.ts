/**
 * The unigram plateau of each vocabulary (issue 21): the masked-LM loss and accuracy of a model that
 * ignores its input and always predicts the training corpus' piece frequencies, on the held-out text.
 * A pre-training run below this loss (above this accuracy) has left the plateau.
 *
 *   node --import tsx scripts/vocab-unigram.ts --train corpus/train.txt --heldout corpus/heldout.txt TOKENIZER_DIR...
 *
 * Per tokenizer folder, one JSON line: vocab size, word pieces of the training corpus and of the held-out
 * text (special tokens aside, as masking never selects them), pieces per whitespace word on held-out,
 * the cross-entropy of the training unigram on the held-out pieces (nats; add-one smoothing), the
 * held-out pieces' own entropy, and the accuracy of always predicting the most frequent training piece.
 * `plateau_*`: the first thing masked LM learns on top of that, copying the input where it is not [MASK]
 * (80 % of the selected pieces are [MASK], 10 % random, 10 % kept): unigram at [MASK], and half the mass
 * on the input elsewhere gives loss 0.8 U + 0.1 (U + ln 2) + 0.1 ln 2 = 0.9 U + 0.2 ln 2 (0.9 U when the
 * model tells a random piece from a kept one perfectly) and accuracy 0.9 a + 0.1.
 */
import { parseArgs } from 'node:util';
import { readDocuments } from '../src/pretraining/corpus.js';
import { BertTokenizer } from '../src/tokenization/index.js';

const { values, positionals } = parseArgs({
  options: { train: { type: 'string' }, heldout: { type: 'string' } },
  allowPositionals: true,
});
if (!values.train || !values.heldout || positionals.length === 0) {
  console.error('usage: vocab-unigram.ts --train FILE --heldout FILE TOKENIZER_DIR...');
  process.exit(2);
}

async function counts(tok: BertTokenizer, docs: string[]): Promise<{ counts: Float64Array; total: number }> {
  const c = new Float64Array(tok.vocabSize);
  let total = 0;
  for (let i = 0; i < docs.length; i += 1024) {
    for (const ids of await tok.idsOf(docs.slice(i, i + 1024))) {
      for (const id of ids) c[id]! += 1;
      total += ids.length;
    }
  }
  return { counts: c, total };
}

const trainDocs = readDocuments([values.train]);
const heldDocs = readDocuments([values.heldout]);
const heldWords = heldDocs.reduce((a, d) => a + d.split(/\s+/).filter(Boolean).length, 0);
for (const dir of positionals) {
  const tok = await BertTokenizer.fromDir(dir);
  const train = await counts(tok, trainDocs);
  const held = await counts(tok, heldDocs);
  const V = tok.vocabSize;
  let crossEntropy = 0;
  let entropy = 0;
  let top = 0;
  for (let id = 0; id < V; id++) {
    if (train.counts[id]! > train.counts[top]!) top = id;
    const n = held.counts[id]!;
    if (n === 0) continue;
    const q = (train.counts[id]! + 1) / (train.total + V);
    crossEntropy -= (n / held.total) * Math.log(q);
    entropy -= (n / held.total) * Math.log(n / held.total);
  }
  console.log(
    JSON.stringify({
      tokenizer: dir,
      vocab: V,
      train_pieces: train.total,
      heldout_pieces: held.total,
      pieces_per_word: +(held.total / heldWords).toFixed(4),
      unigram_loss: +crossEntropy.toFixed(4),
      heldout_entropy: +entropy.toFixed(4),
      uniform_loss: +Math.log(V).toFixed(4),
      unigram_accuracy: +(held.counts[top]! / held.total).toFixed(4),
      plateau_loss: [+(0.9 * crossEntropy).toFixed(4), +(0.9 * crossEntropy + 0.2 * Math.LN2).toFixed(4)],
      plateau_accuracy: +((0.9 * held.counts[top]!) / held.total + 0.1).toFixed(4),
      most_frequent: tok.idToToken(top),
    }),
  );
}
