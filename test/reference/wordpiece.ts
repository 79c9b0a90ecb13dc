/**
 * An independent, plain-TypeScript re-statement of the original BERT tokenizer
 * (google-research/bert tokenization.py and Hugging Face's slow BertTokenizer): BasicTokenizer
 * (clean text, pad CJK characters with spaces, lower-case + strip accents, split on punctuation)
 * followed by greedy longest-match-first WordPiece. It reads vocab.txt itself and shares no code
 * with src/ or the Rust `tokenizers` package, so tests can use it as the reference.
 */
import { readFileSync } from 'node:fs';

export interface RefTokenizerOptions {
  lowerCase: boolean;
  /** null: strip accents exactly when lower-casing. */
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /^\p{Zs}$/u.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /^\p{C}$/u.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /^\p{P}$/u.test(ch);
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export class RefWordPiece {
  readonly vocab = new Map<string, number>();
  private readonly lower: boolean;
  private readonly strip: boolean;
  private readonly cjk: boolean;

  constructor(vocabPath: string, options: RefTokenizerOptions) {
    readFileSync(vocabPath, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const tok = line.replace(/\r$/, '');
        if (tok !== '' && !this.vocab.has(tok)) this.vocab.set(tok, i);
      });
    this.lower = options.lowerCase;
    this.strip = options.stripAccents ?? options.lowerCase;
    this.cjk = options.tokenizeChineseChars ?? true;
  }

  /** BasicTokenizer: the words and punctuation marks of a text. */
  basicTokens(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) cleaned += ' ';
      else if (this.cjk && isCjk(cp)) cleaned += ` ${ch} `;
      else cleaned += ch;
    }
    const out: string[] = [];
    for (let word of cleaned.split(' ').filter((w) => w !== '')) {
      if (this.lower) word = word.toLowerCase();
      if (this.strip) word = word.normalize('NFD').replace(/\p{Mn}/gu, '');
      let current = '';
      for (const ch of word) {
        if (isPunctuation(ch)) {
          if (current) out.push(current);
          out.push(ch);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current) out.push(current);
    }
    return out;
  }

  /** Greedy longest-match-first WordPiece of one word. */
  wordPieces(word: string): string[] {
    const chars = [...word];
    if (chars.length > 100) return ['[UNK]'];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.vocab.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return ['[UNK]'];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  /** Word pieces of a text; special tokens written in the text stay whole. */
  tokenize(text: string): string[] {
    const parts = text.split(new RegExp(`(${SPECIALS.map((s) => s.replace(/[[\]]/g, '\\$&')).join('|')})`));
    const out: string[] = [];
    for (const part of parts) {
      if (SPECIALS.includes(part)) out.push(part);
      else for (const w of this.basicTokens(part)) out.push(...this.wordPieces(w));
    }
    return out;
  }

  ids(tokens: string[]): number[] {
    return tokens.map((t) => this.vocab.get(t) ?? this.vocab.get('[UNK]')!);
  }

  /**
   * [CLS] a [SEP] (b [SEP]) truncated to maxLength with the `longest_first` rule of Hugging Face's
   * fast (Rust) tokenizers, which `AutoTokenizer` loads by default: the shorter segment keeps
   * min(its length, ⌊budget/2⌋) tokens and the longer one gets the rest; on a tie the second counts
   * as the longer. (The old Python tokenizer popped one token at a time and can differ by one on ties.)
   */
  encode(text: string, pair?: string, maxLength = 512): { ids: number[]; typeIds: number[] } {
    const a = this.ids(this.tokenize(text));
    const b = pair === undefined ? undefined : this.ids(this.tokenize(pair));
    const budget = maxLength - (b ? 3 : 2);
    if (!b) a.length = Math.min(a.length, budget);
    else if (a.length + b.length > budget) {
      const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
      shorter.length = Math.min(shorter.length, Math.floor(budget / 2));
      longer.length = budget - shorter.length;
    }
    const cls = this.vocab.get('[CLS]')!;
    const sep = this.vocab.get('[SEP]')!;
    const ids = [cls, ...a, sep, ...(b ? [...b, sep] : [])];
    const typeIds = ids.map((_, i) => (i < a.length + 2 ? 0 : 1));
    return { ids, typeIds };
  }
}
