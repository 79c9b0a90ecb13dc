/** Hub repository ids and revisions: what they may look like and how the cache names them. */

// One part of an id, as the Hub allows it: word characters, `-` and `.`, at most 96, starting and
// ending with a word character. `--` and `..` are forbidden on the Hub (`--` separates the parts of
// cache folder names, `..` would climb out of them).
const ID_PART = /^(?!.*(?:--|\.\.))\w(?:[\w.-]{0,94}\w)?$/;
const COMMIT = /^[0-9a-f]{40}$/;

/**
 * Whether `s` can be a Hub model id: `org/name`, or a single `name` as legacy ids such as
 * `bert-base-uncased` are. Paths (`./x`, `/x`, `a/b/c`, `~/x`) are not.
 */
export function looksLikeHubId(s: string): boolean {
  const parts = s.split('/');
  return parts.length <= 2 && parts.every((p) => ID_PART.test(p)) && !s.endsWith('.git');
}

/** Whether a revision is a full commit hash (then it names a snapshot directly, with no ref). */
export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/** `org/name` → `models--org--name`, the cache folder of a model repository. */
export function repoFolderName(id: string): string {
  return ['models', ...id.split('/')].join('--');
}

/**
 * Whether a file name from the Hub (a shard listed in an index) is a plain relative path that stays
 * inside the snapshot folder; a crafted index must not make us write elsewhere.
 */
export function isSafeRepoPath(file: string): boolean {
  if (!file || file.startsWith('/') || file.includes('\\') || file.includes('\0')) return false;
  return file.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
