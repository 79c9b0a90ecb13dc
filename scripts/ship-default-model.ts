/**
 * Turns a `bertft pretrain` output folder into the embedded default model under models/:
 * float16 safetensors (HF BertForMaskedLM names, decoder tied and not stored), the position table
 * cut to the positions pre-training used (so every tool truncates where the model was trained),
 * tokenizer files with that model_max_length, pretraining_results.json, and a model card (README.md)
 * written from the run's own results (every stage, the held-out curve, the commands).
 *
 *   node --import tsx scripts/ship-default-model.ts <pretrain-output> [models/bert-tiny-en] [--command "..."]...
 *        [--similarity-max-loss L] [--similarity-max-pieces-per-word P] [--held-out LOSS,ACCURACY] [--compute "..."]
 *        [--classifier-pooling mean]
 *
 * A run that continued another (`--model <folder>`) is one stage of several: the card lists every stage,
 * following each run's `source` to the pretraining_results.json there, and `--command` repeats, one per
 * stage in order. --classifier-pooling writes config.json's `classifier_pooling` (docs/families.md): a
 * model pre-trained by masked LM alone has an untrained pooler, so its fine-tuning should pool otherwise.
 *
 * --held-out gives the held-out masked-LM loss and accuracy of exactly these weights (a snapshot's own
 * results end at the last periodic evaluation before it; measure the snapshot with
 * `bertft pretrain --model <snapshot> --text <held-out> --eval-text <held-out> --max-steps 1 --seed <run's seed>`,
 * whose "step 0" line is the snapshot's). --compute states the whole compute behind the model.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/checkpoint/safetensors.js';
import type { HostTensor } from '../src/models/host-tensor.js';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args.splice(args.indexOf(name), 2)[1] : undefined);
const commands: string[] = [];
for (let c = flag('--command'); c !== undefined; c = flag('--command')) commands.push(c);
const classifierPooling = flag('--classifier-pooling');
if (classifierPooling !== undefined && classifierPooling !== 'cls' && classifierPooling !== 'mean') throw new Error('--classifier-pooling: cls or mean');
// The masked-LM loss limit that advise calibrated for this model (docs/concepts.md), stored in config.json.
const similarityMaxLoss = flag('--similarity-max-loss');
// The fragmentation limit advise calibrated for this vocabulary (src/training/advise.ts, maxPiecesPerWordOf).
const similarityMaxPieces = flag('--similarity-max-pieces-per-word');
const heldOut = flag('--held-out')?.split(',').map(Number);
const compute = flag('--compute');
const corpusCommand = flag('--corpus-command') ?? 'node --import tsx scripts/pretraining-corpus.ts corpus';
const [src, dest = resolve(import.meta.dirname, '..', 'models', 'bert-tiny-en')] = args;
if (!src) throw new Error('usage: ship-default-model.ts <pretrain-output> [dest]');

const results = JSON.parse(readFileSync(join(src, 'pretraining_results.json'), 'utf8'));
const maxLength: number = results.corpus.max_length;
const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
const { tensors } = await readSafetensors(join(src, 'model.safetensors'));
const out = new Map<string, HostTensor>();
for (const [name, t] of tensors) {
  if (name === 'bert.embeddings.position_embeddings.weight') {
    out.set(name, { shape: [maxLength, t.shape[1]!], data: t.data.slice(0, maxLength * t.shape[1]!) });
  } else out.set(name, t);
}
mkdirSync(dest, { recursive: true });
await writeSafetensors(join(dest, 'model.safetensors'), out, undefined, 'F16');
writeFileSync(
  join(dest, 'config.json'),
  `${JSON.stringify(
    {
      ...config,
      max_position_embeddings: maxLength,
      ...(classifierPooling ? { classifier_pooling: classifierPooling } : {}),
      ...(similarityMaxLoss || similarityMaxPieces
        ? {
            bertft_similarity: {
              ...(similarityMaxLoss ? { max_masked_lm_loss: Number(similarityMaxLoss) } : {}),
              ...(similarityMaxPieces ? { max_pieces_per_word: Number(similarityMaxPieces) } : {}),
            },
          }
        : {}),
    },
    null,
    2,
  )}\n`,
);
for (const f of ['tokenizer.json', 'vocab.txt', 'special_tokens_map.json']) {
  copyFileSync(join(src, f), join(dest, f));
  chmodSync(join(dest, f), 0o644);
}
const tokCfg = JSON.parse(readFileSync(join(src, 'tokenizer_config.json'), 'utf8'));
writeFileSync(join(dest, 'tokenizer_config.json'), `${JSON.stringify({ ...tokCfg, model_max_length: maxLength }, null, 2)}\n`);
const { history, ...summary } = results;
writeFileSync(
  join(dest, 'pretraining_results.json'),
  `${JSON.stringify({ ...summary, history: history.filter((_: unknown, i: number) => i % 10 === 0) }, null, 2)}\n`,
);

// The stages, first to last: a continued run's `source` is the folder it started from, with that run's results.
type Results = typeof results;
const stages: Results[] = [results];
for (let r = results; existsSync(join(String(r.source), 'pretraining_results.json')); ) {
  r = JSON.parse(readFileSync(join(String(r.source), 'pretraining_results.json'), 'utf8'));
  stages.unshift(r);
}
const first = stages[0].hyperparameters;
const h = results.hyperparameters;
const a = results.architecture;
const fin = heldOut ? { loss: heldOut[0]!, accuracy: heldOut[1]! } : (results.final_eval ?? results.evals.at(-1));
// A vocabulary trimmed by `bertft pretrain --vocab-size` keeps bert-base-uncased's pieces but numbers them anew.
const trimmed = String(results.source ?? '').includes('trimmed to');
const vocabulary = trimmed
  ? `bert-base-uncased's WordPiece vocabulary trimmed to its ${a.vocab.toLocaleString('en')} pieces most used in the corpus (every single character kept, so no English word becomes [UNK]; \`bertft pretrain --vocab-size\`), lower-cased; the ids are its own, not bert-base-uncased's`
  : `the bert-base-uncased WordPiece vocabulary (${a.vocab} tokens, lower-cased), so its ids match every bert-base-uncased tool`;
// One clause per stage: its steps, batch, tokens, minutes, learning rate, schedule and seed.
const stageText = (r: Results, i: number): string => {
  const x = r.hyperparameters;
  const warm = Math.ceil((x.warmup_ratio ?? 0) * (x.max_steps ?? 0));
  const cut =
    x.max_steps && r.steps < x.max_steps
      ? ` over a ${x.max_steps.toLocaleString('en')}-step schedule, stopped at step ${r.steps.toLocaleString('en')} (a snapshot; the learning rate had come down to ${((x.learning_rate * (x.max_steps - r.steps)) / (x.max_steps - warm)).toPrecision(2)})`
      : '';
  return `${stages.length > 1 ? `stage ${i + 1}${i > 0 ? ' (continuing the previous stage)' : ''}: ` : ''}${r.steps.toLocaleString('en')} steps of ${x.batch_size * (x.gradient_accumulation ?? 1)} sequences, ${(r.tokens_seen / 1e6).toFixed(1)} M token positions (${r.epochs.toFixed(2)} epochs), ${(r.elapsed_s / 60).toFixed(0)} minutes, peak learning rate ${x.learning_rate}, warm-up ${x.warmup_ratio * 100}% then linear decay${x.minutes ? ' following the wall-time budget' : ''}${cut}, seed ${x.seed}`;
};
const tokensTotal = stages.reduce((n, r) => n + r.tokens_seen, 0);
const minutesTotal = stages.reduce((n, r) => n + r.elapsed_s / 60, 0);
// The held-out curve over all stages, tokens counted from the first: at most 8 points a stage (evenly
// spaced over its evaluations, its last one always kept), so the card shows the shape, not every eval.
// A later stage's step-0 evaluation is the previous stage's end again, so it is left out.
type Eval = { tokens: number; loss: number; accuracy: number };
const curve: (Eval & { stage: number })[] = [];
let before = 0;
for (const [i, r] of stages.entries()) {
  const evals: Eval[] = r.evals ?? [];
  const every = Math.max(1, Math.ceil(evals.length / 8));
  for (const [j, e] of evals.entries()) {
    if (i > 0 && j === 0) continue;
    if (j % every === 0 || j === evals.length - 1) curve.push({ ...e, stage: i + 1, tokens: before + e.tokens });
  }
  before += r.tokens_seen;
}
const curveTable = [
  '| stage | token positions | held-out masked-LM loss | masked-token accuracy |',
  '|---:|---:|---:|---:|',
  ...curve.map((c) => `| ${c.stage} | ${(c.tokens / 1e6).toFixed(1)} M | ${c.loss.toFixed(3)} | ${c.accuracy.toFixed(3)} |`),
].join('\n');
const mb = (statSync(join(dest, 'model.safetensors')).size / 1e6).toFixed(1);
const card = `# bert-tiny-en — the embedded default model of bertft

An English BERT pre-trained from scratch with \`bertft pretrain\` (masked LM) on one 2-core CPU machine,
so that \`npx bertft train\` works with no flags and no network. It is what \`--model\` defaults to.

| | |
|---|---|
| architecture | BERT (post-LN), ${a.layers} layers, hidden ${a.hidden}, ${a.heads} heads, intermediate ${a.intermediate}, GELU; \`BertForMaskedLM\` with a (randomly initialised, untrained) pooler${classifierPooling ? `; config.json's \`classifier_pooling: ${classifierPooling}\` makes fine-tuning pool ${classifierPooling === 'mean' ? 'the mean of the tokens' : 'the first token'} by default instead (docs/families.md)` : ''} |
| vocabulary | ${vocabulary} |
| positions | ${maxLength} (pre-training used sequences of ${maxLength} tokens; the position table is cut there and \`model_max_length\` is ${maxLength}) |
| weights | \`model.safetensors\`, float16 (${mb} MB), Hugging Face names (\`bert.*\`, \`cls.predictions.*\`; the decoder is tied to the word embeddings) |
| objective | masked LM only: ${h.mlm_probability * 100}% of tokens selected per batch (dynamic), 80% [MASK] / 10% random / 10% kept, ${h.whole_word_masking ? 'whole-word' : 'per-token'} selection; logits only at masked positions; no next-sentence prediction |
| corpus | ${results.corpus.documents.toLocaleString('en')} documents, ${results.corpus.word_pieces.toLocaleString('en')} word pieces, packed into ${results.corpus.sequences.toLocaleString('en')} blocks of ${maxLength}: IMDB train and test review texts (less 500 held out), AG News train-sample descriptions (\`alps_dev_from_train.tsv\`, less 10 that also occur in the test split), emotion training texts (less 17 that also occur in its test/validation). Labels were not used |
| excluded | SST-2, MR, TREC, SMS spam, AG News test, emotion test and validation, and SpamAssassin are never read (they stay clean for evaluation) |
| initialisation | ${first.embedding_init === 'skipgram' ? `word-piece embeddings from skip-gram vectors (word2vec with negative sampling, ${first.skipgram_epochs} passes over the same corpus, rescaled to std 0.02); everything else BERT's own initialisation (N(0, 0.02), LayerNorm 1/0, zero biases)` : "BERT's own initialisation (N(0, 0.02), LayerNorm 1/0, zero biases)"} |
| training | ${stages.map(stageText).join('; ')}${stages.length > 1 ? `; in all ${(tokensTotal / 1e6).toFixed(1)} M token positions, ${minutesTotal.toFixed(0)} minutes` : ''}. AdamW (β 0.9/0.999, ε 1e-8, weight decay ${h.weight_decay} on matrices), gradient clipping ${h.max_grad_norm}, dropout ${h.dropout} while pre-training (the config keeps 0.1 for fine-tuning) |${compute ? `\n| compute | ${compute} |` : ''}
| result | final training loss ${results.final_train_loss?.toFixed(3)}; held-out masked-LM loss ${fin?.loss.toFixed(3)}, masked-token accuracy ${fin?.accuracy.toFixed(3)} (500 held-out IMDB test reviews${heldOut ? ', measured on these float16 weights' : ''}) |

## Masked-LM curve

Held-out masked-LM loss and masked-token accuracy during pre-training (the 500 held-out IMDB test reviews,
the run's seed fixing the masks; float32 weights, before the float16 cast)${stages.length > 1 ? ', token positions counted from the first stage' : ''}:

${curveTable}

## Reproduce

\`\`\`sh
${corpusCommand}
${commands.length > 0 ? commands.join('\n') : '(not recorded)'}
node --import tsx scripts/ship-default-model.ts <output folder> models/bert-tiny-en${classifierPooling ? ` --classifier-pooling ${classifierPooling}` : ''}${similarityMaxLoss ? ` --similarity-max-loss ${similarityMaxLoss}` : ''}${similarityMaxPieces ? ` --similarity-max-pieces-per-word ${similarityMaxPieces}` : ''}
\`\`\`

The run is resumable: killed at any point, the same \`bertft pretrain\` command continues from
\`<output>/checkpoint-last\`. With \`--minutes\` the schedule follows wall time, so a rerun on a faster
or busier machine sees a different number of tokens.

## What it is good for

See docs/pretraining.md for what it buys on SST-2 against the same architecture trained from
BERT's initialisation, and the masked-LM curve of this run. It is a small model (BERT-Tiny shape) trained
on far less text than Google's BERT-Tiny (about 33 billion token positions); for best accuracy
use a larger published model when you have network access (\`--model org/name\`).

Licence: Apache-2.0, as bertft. The corpora are research data sets (see ../../docs/datasets.md).
`;
writeFileSync(join(dest, 'README.md'), card);
console.log(`wrote ${dest} (${mb} MB weights)`);
