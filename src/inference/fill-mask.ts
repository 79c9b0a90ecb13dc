import type { TfjsBackendChoice } from '../engine/tfjs/backend.js';
import type { DeviceChoice } from '../engine/types.js';
import { BertftError, UsageError } from '../errors.js';
import { checkMaxLength, usablePositions } from '../checkpoint/positions.js';
import { checkMaskedLmFamily, loadPretrained, type PretrainedFolder } from '../pretrained.js';
import type { BertTokenizer } from '../tokenization/index.js';
import type { EngineChoice } from '../engine/select.js';
import { createMaskedLmRunner, resolveMaskedLmHead, type MaskedLmRunner } from './masked-lm.js';

/**
 * Fill-mask: the most likely tokens for each [MASK] of a text, as Hugging Face's `fill-mask`
 * pipeline gives them (`token`, `token_str`, `score`, `sequence`), from a model with a masked-LM
 * head (`BertForMaskedLM` / `BertForPreTraining`, or a folder written by `bertft pretrain`).
 */

export interface FillMaskPrediction {
  /** The predicted token id. */
  token: number;
  /** The token as the tokenizer decodes it alone (`##ing` stays `##ing`, as in transformers). */
  token_str: string;
  /** Its probability at this [MASK] (softmax over the vocabulary). */
  score: number;
  /** The text with this [MASK] replaced, decoded without special tokens; other [MASK]s of the text stay `[MASK]`. */
  sequence: string;
}

export interface FillMaskResult {
  text: string;
  /** One list per [MASK], in text order, each the top-k predictions by descending score. */
  masks: FillMaskPrediction[][];
}

export interface FillMaskOptions {
  /** Predictions per [MASK] (default 5, at most the vocabulary size). */
  topK?: number;
  /** Longest token sequence incl. [CLS]/[SEP] (default 512, capped by the model); a [MASK] cut off by it is an error. */
  maxLength?: number;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /** Called after each batch with how many texts are done. */
  onProgress?: (done: number, total: number) => void;
}

export interface MaskedLanguageModelLoadOptions {
  /** `auto` (default: onnxruntime when it loads, else TF.js), `tfjs` or `onnxruntime`. */
  engine?: EngineChoice;
  /** TF.js backend when the TF.js engine runs. */
  backend?: TfjsBackendChoice;
  /** cpu (default) or cuda: onnxruntime's CUDA execution provider. */
  device?: DeviceChoice;
  /** Use only the local Hub cache (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Hub revision (branch, tag or commit) for Hub ids. */
  revision?: string;
}

/** A text fill-mask cannot use (no [MASK], or its [MASK] cut off); `textIndex` is 0-based in the texts given. */
export class FillMaskTextError extends BertftError {
  constructor(
    readonly textIndex: number,
    readonly problem: string,
  ) {
    super(`text ${textIndex + 1} ${problem}`);
    this.name = 'FillMaskTextError';
  }
}

const DEFAULT_TOP_K = 5;

/** transformers' clean_up_tokenization: no space before punctuation and English contractions. */
function cleanUp(text: string): string {
  return text
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

/**
 * Word pieces back to text as the WordPiece decoder of BERT's tokenizer.json does it (`##` pieces
 * joined to the previous one, a space before the others, clean-up per piece and over the whole),
 * so `sequence` and `token_str` equal transformers' and transformers.js' for BERT tokenizers.
 */
export function decodeWordPieces(tokens: readonly string[]): string {
  let text = '';
  tokens.forEach((t, i) => {
    text += cleanUp(i === 0 ? t : t.startsWith('##') ? t.slice(2) : ` ${t}`);
  });
  return cleanUp(text);
}

/** The k largest entries of probabilities `p` (descending; ties keep the lower id first). */
function topK(p: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let v = 0; v < p.length; v++) {
    if (best.length === k && p[v] <= p[best[k - 1]]) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && p[best[at - 1]] < p[v]) at--;
    best.splice(at, 0, v);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Softmax of one row of float32 logits, in float64. */
function softmaxRow(logits: Float32Array, offset: number, V: number): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]);
  const p = new Float64Array(V);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += p[v] = Math.exp(logits[offset + v] - max);
  for (let v = 0; v < V; v++) p[v] /= sum;
  return p;
}

/**
 * A BERT with its masked-LM head, ready for fill-mask. Each instance owns its weights and session.
 */
export class MaskedLanguageModel {
  private constructor(
    readonly folder: PretrainedFolder,
    private readonly runner: MaskedLmRunner,
  ) {}

  /** Loads a local Hugging Face folder or a Hub id whose weights include `cls.predictions.*`. */
  static async fromPretrained(model: string, options: MaskedLanguageModelLoadOptions = {}): Promise<MaskedLanguageModel> {
    const folder = await loadPretrained(model, options);
    checkMaskedLmFamily(folder.config, folder.dir, 'fill-mask');
    if (!folder.mlmHead) {
      throw new BertftError(
        `${folder.dir} has no masked-LM head (cls.predictions.*); fill-mask needs a BertForMaskedLM or BertForPreTraining checkpoint, such as one written by bertft pretrain`,
      );
    }
    if (folder.tokenizer.maskId === undefined) {
      throw new BertftError(`${folder.dir}: the tokenizer has no mask token "${folder.tokenizer.settings.maskToken}"`);
    }
    const head = resolveMaskedLmHead(folder.mlmHead, folder.weights, folder.raw, folder.config);
    const runner = await createMaskedLmRunner(folder.config, folder.weights, head, options);
    return new MaskedLanguageModel(folder, runner);
  }

  get tokenizer(): BertTokenizer {
    return this.folder.tokenizer;
  }

  /** The mask token to write in texts (usually `[MASK]`). */
  get maskToken(): string {
    return this.folder.tokenizer.settings.maskToken;
  }

  /** `tfjs` or `onnxruntime`. */
  get engine(): string {
    return this.runner.engine;
  }

  /**
   * The top-k tokens for every [MASK] of every text (results in input order).
   * @throws FillMaskTextError naming the text (1-based) that has no [MASK], or whose [MASK] lies past maxLength.
   * @throws UsageError for a bad topK, maxLength or batchSize.
   */
  async fillMask(texts: string[], options: FillMaskOptions = {}): Promise<FillMaskResult[]> {
    const { config, tokenizer } = this.folder;
    const V = config.vocabSize;
    const k = options.topK ?? DEFAULT_TOP_K;
    const positions = usablePositions(config);
    const maxLength = options.maxLength ?? Math.min(512, positions);
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`top-k must be a positive whole number, got ${k}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`batch size must be a positive whole number, got ${batchSize}`);
    checkMaxLength(config, maxLength);
    const mask = this.maskToken;
    texts.forEach((t, i) => {
      if (!t.includes(mask)) throw new FillMaskTextError(i, `has no ${mask} token to fill`);
    });
    const maskId = tokenizer.maskId!;
    const s = tokenizer.settings;
    const specials = new Set([s.padToken, s.unkToken, s.clsToken, s.sepToken, mask]);
    const piece = (id: number) => tokenizer.idToToken(id) ?? s.unkToken;
    // WordPiece as BERT's decoder (decodeWordPieces); byte-level BPE and SentencePiece by the tokenizer's own decoder.
    const decode = async (ids: number[]) => (tokenizer.kind === 'wordpiece' ? decodeWordPieces(ids.map(piece)) : tokenizer.decode(ids));

    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
    const results: FillMaskResult[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const batch = await tokenizer.encodeBatch(
        idx.map((i) => texts[i]),
        undefined,
        { maxLength },
      );
      const S = batch.seqLength;
      const positions: number[] = [];
      const rowIds: number[][] = [];
      const rowMasks: number[][] = [];
      idx.forEach((textIndex, row) => {
        const ids = Array.from(batch.inputIds.subarray(row * S, row * S + batch.lengths[row]));
        const at = ids.flatMap((id, s2) => (id === maskId ? [s2] : []));
        if (at.length === 0) {
          throw new FillMaskTextError(
            textIndex,
            batch.lengths[row] >= maxLength
              ? `has its ${mask} past the first ${maxLength} tokens; shorten the text or raise --max-length`
              : `has no ${mask} token after tokenization`,
          );
        }
        rowIds.push(ids);
        rowMasks.push(at);
        for (const p of at) positions.push(row * S + p);
      });
      const logits = await this.runner.run(batch, Int32Array.from(positions));
      let m = 0;
      for (const [row, textIndex] of idx.entries()) {
        const ids = rowIds[row];
        const maskAt = rowMasks[row];
        // With one [MASK], decode as the pipelines do (all special tokens skipped); with several, keep the others visible.
        const skip = maskAt.length === 1 ? specials : new Set([...specials].filter((t) => t !== mask));
        const masks = maskAt.map((pos) => {
          const p = softmaxRow(logits, m++ * V, V);
          return topK(p, Math.min(k, V)).map(async (token) => {
            const filled = ids.map((id, j) => (j === pos ? token : id));
            return { token, token_str: await decode([token]), score: p[token], sequence: await decode(filled.filter((id) => !skip.has(piece(id)))) };
          });
        });
        results[textIndex] = { text: texts[textIndex], masks: await Promise.all(masks.map((row) => Promise.all(row))) };
      }
      options.onProgress?.(Math.min(start + batchSize, texts.length), texts.length);
    }
    return results;
  }

  /** Frees the weights and the session. */
  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}

/**
 * Fill-mask in one call: loads `model` (a folder or Hub id; or uses a loaded MaskedLanguageModel),
 * predicts, and frees what it loaded. For many calls, keep a MaskedLanguageModel instead.
 */
export async function fillMask(
  model: string | MaskedLanguageModel,
  texts: string[],
  options: FillMaskOptions & MaskedLanguageModelLoadOptions = {},
): Promise<FillMaskResult[]> {
  if (typeof model !== 'string') return model.fillMask(texts, options);
  const loaded = await MaskedLanguageModel.fromPretrained(model, options);
  try {
    return await loaded.fillMask(texts, options);
  } finally {
    await loaded.dispose();
  }
}
