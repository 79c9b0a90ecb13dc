/**
 * Sample English text for tests that need a few real sentences and no data set (written for these
 * tests, in the style of movie-review data): short sentences of different lengths, so batches are
 * padded, a review of about 100 word pieces, and a long review of more than 128, so it is cut at
 * any max length the embedded model allows.
 */

export const SENTENCES = [
  "it 's a warm and often very funny little film .",
  'grim , joyless and far too long',
  'the director trusts her actors , and the quiet scenes between the two sisters are the best thing in the movie .',
  'the score , the costumes and the photography are all lovely , even when the story runs out of steam .',
  'slow -- painfully , needlessly slow .',
];

/** A review of about 100 word pieces: longer than most sentences, within the embedded model's 128 positions. */
export const REVIEW =
  'I went in expecting another tired remake and came out surprised. The first hour is patient: the camera stays with ' +
  'the family at the dinner table, the jokes land because nobody in the scene is trying to be funny, and the old house ' +
  'feels lived in rather than dressed for the shoot. Then the plot arrives, and with it every habit of the genre.';

/** REVIEW and more: about 195 word pieces, more than the embedded model's 128 positions. */
export const LONG_REVIEW =
  REVIEW +
  ' A stranger knocks at the door, a secret comes out in the rain, the music tells us what to feel three seconds before ' +
  'the actors do. The lead is still good; she plays the last twenty minutes almost without words, and her face does ' +
  'more than the script ever manages. The supporting cast is uneven, the editing in the middle section is choppy, and ' +
  'the final scene goes on for at least two endings too many. Still, I would rather watch an honest film that stumbles ' +
  'than a polished one with nothing to say. Seven out of ten, mostly for the first hour and for the lead.';

const SUBJECTS = ['the film', 'this movie', 'the acting', 'the story', 'the ending', 'the soundtrack', 'every scene', 'the script'];
const POSITIVE = ['is wonderful', 'is a joy to watch', 'works beautifully', 'is sharp and funny', 'stays with you', 'is moving and honest'];
const NEGATIVE = ['is a mess', 'is dull and lifeless', 'falls flat', 'drags on forever', 'is painfully boring', 'makes no sense'];
const TAILS = ['', ' from start to finish', ' , as expected', ' in the second half', ' for most of its running time', ' , and the cast knows it'];

/**
 * `count` header-less "sentence<TAB>label" lines (label 1 positive, 0 negative, drawn with
 * `seed`), in the shape of SST-2: a small, learnable sentiment set for end-to-end training runs.
 */
export function sentimentLines(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const next = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
  return Array.from({ length: count }, () => {
    const label = next(2);
    const predicates = label ? POSITIVE : NEGATIVE;
    return `${SUBJECTS[next(SUBJECTS.length)]} ${predicates[next(predicates.length)]}${TAILS[next(TAILS.length)]} .\t${label}`;
  });
}

/** The sentences of sentimentLines alone: `count` lines of plain English text (a small pre-training corpus). */
export function sentences(count: number, seed: number): string[] {
  return sentimentLines(count, seed).map((l) => l.split('\t')[0]!);
}
