/**
 * The Hugging Face Hub resolver: a `--model` argument (local folder or Hub id) → a local folder,
 * through a cache shared with Python's huggingface_hub. See docs/model-cache.md.
 */
export { resolveModelDir, type ResolveOptions } from './resolve.js';
export { hubCacheDir, hfHome, isOffline, hubEndpoint, hubToken } from './env.js';
export { looksLikeHubId, repoFolderName, isCommitHash } from './repo-id.js';
export { findCachedSnapshot, type CachedSnapshot } from './cache.js';
export type { ProgressListener } from './fetch-file.js';
