/** CoNLL files: one token per line (token first, tag in the label column), a blank line between sentences. */
import { BertftError } from '../../errors.js';
import type { RawSentence } from './tags.js';

/** A stray byte-order mark (U+FEFF) at the start of a line, as left where files were concatenated. */
const BOM = /^\uFEFF/;

/**
 * Parses CoNLL text into raw sentences. Lines holding only whitespace (or a stray byte-order mark)
 * end a sentence; a line whose token is `-DOCSTART-` is skipped and ends one too. Columns are split
 * on tabs when the first token line has a tab, else on runs of spaces; every token line must have
 * that line's number of columns, at least two.
 */
export function parseConll(text: string, file: string, labelColumn?: number): { sentences: RawSentence[]; docstarts: number } {
  const lines = text.split('\n');
  const sentences: RawSentence[] = [];
  let current: RawSentence | undefined;
  let docstarts = 0;
  let split: ((line: string) => string[]) | undefined;
  let width = 0;
  let widthLine = 0;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(BOM, '').replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    if (!split) {
      split = line.includes('\t') ? (l) => l.split('\t') : (l) => l.trim().split(/ +/);
      width = split(line).length;
      widthLine = n + 1;
      if (width < 2) throw new BertftError(`${file}:${n + 1}: expected a token and a tag separated by a tab or spaces, got one column`);
      if (labelColumn !== undefined && (!Number.isInteger(labelColumn) || labelColumn < 1 || labelColumn >= width)) {
        throw new BertftError(`${file}: label column ${labelColumn} is out of range; lines have ${width} columns (token 0, tags 1–${width - 1})`);
      }
    }
    const cols = split(line);
    if (cols.length !== width) {
      throw new BertftError(`${file}:${n + 1}: ${cols.length} column${cols.length === 1 ? '' : 's'} where line ${widthLine} has ${width}`);
    }
    const token = cols[0]!;
    const tag = cols[labelColumn ?? width - 1]!.trim();
    if (token.trim() === '') throw new BertftError(`${file}:${n + 1}: a tag without a token`);
    if (tag === '') throw new BertftError(`${file}:${n + 1}: a token without a tag`);
    if (token === '-DOCSTART-') {
      docstarts++;
      current = undefined;
      continue;
    }
    if (!current) {
      current = { tokens: [], tags: [], file, line: n + 1, lines: [] };
      sentences.push(current);
    }
    current.tokens.push(token);
    current.tags.push(tag);
    current.lines.push(n + 1);
  }
  return { sentences, docstarts };
}
