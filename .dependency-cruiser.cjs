// @ts-check
/**
 * bertft's layers, bottom to top, defined once (docs/architecture.md explains them). A module in src/ may import
 * its own layer and the layers below it, never one above; and the top-level parts of src/ may not import each
 * other in a cycle (within a layer; across layers the upward rules already forbid it). `npm run deps`
 * (scripts/check-deps.ts) checks src/ against this file and adds the cycle check between top-level parts, which
 * dependency-cruiser's folder scope cannot express (it compares immediate folders: src/heads against src/models/bert).
 * test/unit/dependency-check.test.ts checks the fixtures under test/fixtures/dep-cycle/ the same way.
 *
 * Only value imports count: scripts/check-deps.ts compiles src/ with tsc first (TypeScript 7 has no JS API for
 * dependency-cruiser's TypeScript parser), and tsc drops `import type` and imports used only as types. So the
 * paths dependency-cruiser sees end in .js.
 *
 * Each entry is a top-level folder of src/ or a file there (named without its extension).
 */
const LAYERS = [
  ['errors', 'version'],
  ['data', 'tokenization', 'metrics', 'hub'],
  ['models'],
  ['heads'],
  ['checkpoint', 'pretrained'],
  ['engine'],
  ['inference', 'export'],
  ['augment', 'datasets', 'report'],
  ['trainer'],
  ['pretraining'],
  ['adaptation'],
  ['training'],
  ['classifier', 'token-classifier', 'encoder', 'serve'],
  ['cli', 'index'],
];

/** A path regex matching the given top-level parts of src/ (a folder and everything in it, or a file). */
const parts = (names) => `^src/(${names.join('|')})(/|\\.[cm]?js$)`;

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `upward-from-${layer.join('-')}`,
  severity: 'error',
  comment: `${layer.join(', ')} (layer ${i}) may import only its own layer and those below; this import points up. See docs/architecture.md.`,
  from: { path: parts(layer) },
  to: { path: parts(LAYERS.slice(i + 1).flat()) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'unlisted-part',
      severity: 'error',
      comment: 'A top-level part of src/ that is in no layer: add it to LAYERS in .dependency-cruiser.cjs and to docs/architecture.md.',
      from: {},
      to: { path: '^src/', pathNot: parts(LAYERS.flat()) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: false,
  },
};
// For scripts/check-deps.ts and the tests; not enumerable, so dependency-cruiser's config validation does not see it.
Object.defineProperty(module.exports, 'layers', { value: LAYERS, enumerable: false });
