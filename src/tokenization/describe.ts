import type { SpecialTokens } from './config.js';

/**
 * The kind of subword model a tokenizer runs, and how its pieces mark word boundaries:
 * - `wordpiece`: continuation pieces carry a prefix (`##`);
 * - `bpe` (byte-level, RoBERTa/GPT-2) and `unigram` (SentencePiece with Metaspace, XLM-R): a piece
 *   that starts a word carries a marker (`Ġ` for a byte-level space, `▁` for Metaspace);
 * - `other`: neither (WordLevel, or a pre-tokenizer bertft does not know).
 */
export type TokenizerKind = 'wordpiece' | 'bpe' | 'unigram' | 'other';

export interface TokenizerDescription {
  kind: TokenizerKind;
  /** WordPiece's continuing-subword prefix (`##`). */
  continuingPrefix?: string;
  /** The word-start marker of byte-level (`Ġ`) or Metaspace (`▁`) pieces. */
  wordStart?: string;
  /** Whether the pieces are byte-level (GPT-2's byte-to-character alphabet). */
  byteLevel: boolean;
  /** Special tokens by role as tokenizer.json names them (post-processor, model, padding, added tokens). */
  specials: Partial<SpecialTokens>;
}

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** A component and, for `Sequence` components, every member (pre-tokenizers, post-processors). */
function flatten(v: unknown, key: string): Json[] {
  const o = asObject(v);
  if (!o) return [];
  const members = o[key];
  return o.type === 'Sequence' && Array.isArray(members) ? members.flatMap((m) => flatten(m, key)) : [o];
}

/** The first and last special token of a TemplateProcessing `single` template. */
function templateEnds(single: unknown): { first?: string; last?: string } {
  if (!Array.isArray(single)) return {};
  const ids = single.map((piece) => asObject(asObject(piece)?.SpecialToken)?.id).map((id) => (typeof id === 'string' ? id : undefined));
  return { first: ids[0], last: ids[ids.length - 1] };
}

/** cls/sep as the post-processor adds them: `[CLS] A [SEP]`, `<s> A </s>`. */
function postProcessorSpecials(post: unknown): Partial<SpecialTokens> {
  for (const p of flatten(post, 'processors')) {
    if (p.type === 'RobertaProcessing' || p.type === 'BertProcessing') {
      const cls = (p.cls as unknown[] | undefined)?.[0];
      const sep = (p.sep as unknown[] | undefined)?.[0];
      return { ...(typeof cls === 'string' ? { clsToken: cls } : {}), ...(typeof sep === 'string' ? { sepToken: sep } : {}) };
    }
    if (p.type === 'TemplateProcessing') {
      const { first, last } = templateEnds(p.single);
      return { ...(first ? { clsToken: first } : {}), ...(last ? { sepToken: last } : {}) };
    }
  }
  return {};
}

/** The model's unknown token: WordPiece/BPE name it, Unigram gives its vocabulary index. */
function unkOf(model: Json): string | undefined {
  if (typeof model.unk_token === 'string') return model.unk_token;
  if (typeof model.unk_id === 'number' && Array.isArray(model.vocab)) {
    const entry = model.vocab[model.unk_id] as unknown;
    if (Array.isArray(entry) && typeof entry[0] === 'string') return entry[0];
  }
  return undefined;
}

/** pad (the padding setting), else pad, mask and unk: an added special token spelled the usual way. */
function addedSpecials(json: Json): Partial<SpecialTokens> {
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as Json[]).filter((t) => t.special === true).map((t) => String(t.content)) : [];
  const padding = asObject(json.padding)?.pad_token;
  const pad = typeof padding === 'string' ? padding : added.find((t) => t === '<pad>' || t === '[PAD]');
  const mask = added.find((t) => t === '<mask>' || t === '[MASK]');
  const unk = added.find((t) => t === '<unk>' || t === '[UNK]');
  return { ...(pad ? { padToken: pad } : {}), ...(mask ? { maskToken: mask } : {}), ...(unk ? { unkToken: unk } : {}) };
}

/** What a parsed tokenizer.json is: its model kind, word-boundary marker and special tokens. */
export function describeTokenizerJson(json: Json): TokenizerDescription {
  const model = asObject(json.model) ?? {};
  const pre = flatten(json.pre_tokenizer, 'pretokenizers');
  const metaspace = pre.find((p) => p.type === 'Metaspace');
  const byteLevel = pre.some((p) => p.type === 'ByteLevel');
  const unk = unkOf(model);
  const specials = { ...addedSpecials(json), ...postProcessorSpecials(json.post_processor), ...(unk ? { unkToken: unk } : {}) };
  if (model.type === 'WordPiece') {
    const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
    return { kind: 'wordpiece', continuingPrefix: prefix, byteLevel: false, specials };
  }
  const wordStart = metaspace ? (typeof metaspace.replacement === 'string' ? metaspace.replacement : '▁') : byteLevel ? 'Ġ' : undefined;
  const kind: TokenizerKind = wordStart === undefined ? 'other' : model.type === 'Unigram' ? 'unigram' : model.type === 'BPE' ? 'bpe' : 'other';
  return { kind, ...(wordStart !== undefined ? { wordStart } : {}), byteLevel, specials };
}

/** vocab.txt folders: BERT's WordPiece. */
export const WORDPIECE_VOCAB: TokenizerDescription = { kind: 'wordpiece', continuingPrefix: '##', byteLevel: false, specials: {} };

/** GPT-2's byte-to-character alphabet, inverted: the character each byte is written as → the byte. */
function byteLevelAlphabet(): Map<string, number> {
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    map.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
  }
  return map;
}

let alphabet: Map<string, number> | undefined;

/** The text a byte-level piece stands for (a piece that starts inside a character begins with U+FFFD). */
export function byteLevelText(piece: string): string {
  alphabet ??= byteLevelAlphabet();
  const bytes = Uint8Array.from([...piece].map((c) => alphabet!.get(c) ?? 0x3f));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
