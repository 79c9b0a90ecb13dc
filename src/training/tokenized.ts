import type { TokenBatch } from '../tokenization/index.js';
import type { BertTokenizer } from '../tokenization/index.js';

/** Every example tokenized once, unpadded; batches are padded to their own longest row later. */
export interface TokenizedSet {
  ids: Int32Array[];
  typeIds: Int32Array[];
  lengths: number[];
  padId: number;
}

const CHUNK = 2048;

/** Tokenizes texts, all single or all paired, in chunks, keeping each row's real tokens only. */
async function tokenizeUniform(
  tokenizer: BertTokenizer,
  texts: readonly string[],
  pairs: readonly string[] | undefined,
  maxLength: number,
): Promise<TokenizedSet> {
  const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: tokenizer.padId };
  for (let start = 0; start < texts.length; start += CHUNK) {
    const chunk = texts.slice(start, start + CHUNK);
    const chunkPairs = pairs?.slice(start, start + CHUNK);
    const b = await tokenizer.encodeBatch(chunk, chunkPairs, { maxLength });
    for (let r = 0; r < b.batchSize; r++) {
      const off = r * b.seqLength;
      const len = b.lengths[r]!;
      set.ids.push(b.inputIds.slice(off, off + len));
      set.typeIds.push(b.tokenTypeIds.slice(off, off + len));
      set.lengths.push(len);
    }
  }
  return set;
}

/**
 * Tokenizes texts with their optional second texts, keeping each row's real tokens only. A row
 * without a second text is encoded as a single text (`[CLS] A [SEP]`, `<s> A </s>`), as Hugging
 * Face does for a text alone, even when other rows are pairs: training, evaluation and predict
 * all tokenize here, so they agree.
 */
export async function tokenizeAll(
  tokenizer: BertTokenizer,
  texts: readonly string[],
  pairs: readonly (string | undefined)[] | undefined,
  maxLength: number,
): Promise<TokenizedSet> {
  const rows = texts.map((_, i) => i);
  const paired = pairs ? rows.filter((i) => pairs[i] !== undefined) : [];
  if (paired.length === 0) return tokenizeUniform(tokenizer, texts, undefined, maxLength);
  if (paired.length === texts.length) return tokenizeUniform(tokenizer, texts, pairs as readonly string[], maxLength);
  const single = rows.filter((i) => pairs![i] === undefined);
  const a = await tokenizeUniform(
    tokenizer,
    single.map((i) => texts[i]!),
    undefined,
    maxLength,
  );
  const b = await tokenizeUniform(
    tokenizer,
    paired.map((i) => texts[i]!),
    paired.map((i) => pairs![i]!),
    maxLength,
  );
  const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: a.padId };
  const put = (from: TokenizedSet, at: number[]) =>
    at.forEach((i, k) => {
      set.ids[i] = from.ids[k]!;
      set.typeIds[i] = from.typeIds[k]!;
      set.lengths[i] = from.lengths[k]!;
    });
  put(a, single);
  put(b, paired);
  return set;
}

/** Pads the chosen rows to the longest among them (dynamic padding) with an attention mask. */
export function collate(set: TokenizedSet, indices: readonly number[]): TokenBatch {
  const seqLength = Math.max(1, ...indices.map((i) => set.lengths[i]!));
  const n = indices.length;
  const inputIds = new Int32Array(n * seqLength).fill(set.padId);
  const tokenTypeIds = new Int32Array(n * seqLength);
  const attentionMask = new Int32Array(n * seqLength);
  indices.forEach((i, row) => {
    const off = row * seqLength;
    inputIds.set(set.ids[i]!, off);
    tokenTypeIds.set(set.typeIds[i]!, off);
    attentionMask.fill(1, off, off + set.lengths[i]!);
  });
  return { batchSize: n, seqLength, inputIds, attentionMask, tokenTypeIds };
}

/** Rows of a [N, width] target matrix for the chosen examples. */
export function gatherRows(matrix: Float32Array, width: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((i, r) => out.set(matrix.subarray(i * width, (i + 1) * width), r * width));
  return out;
}
