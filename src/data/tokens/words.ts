/** Splitting text into words with character offsets, for spans given as character offsets. */

/** A word of a text and its [start, end) character offsets. */
export interface Word {
  text: string;
  start: number;
  end: number;
}

/** Runs of letters, digits, marks and underscores are words; every other non-space character is a word of its own. */
const WORD = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;

/** The words of a text with their offsets (UTF-16 code units, as JavaScript string indices). */
export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  for (const m of text.matchAll(WORD)) words.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return words;
}
