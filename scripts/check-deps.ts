/**
 * The dependency check (npm run deps): src/ against the layers in .dependency-cruiser.cjs.
 *
 *   node --import tsx scripts/check-deps.ts [tsconfig]    (default tsconfig.build.json; exit 1 on a violation)
 *
 * 1. tsc compiles the project into a fresh temporary folder, so only value imports remain (`import type` and imports
 *    used only as types are gone). dependency-cruiser's own TypeScript parser needs TypeScript < 7; this project builds
 *    with TypeScript 7, so dependency-cruiser reads tsc's JavaScript instead.
 * 2. dependency-cruiser checks that output against .dependency-cruiser.cjs (upward imports between layers; parts
 *    that are in no layer).
 * 3. Cycles between top-level parts of src/: dependency-cruiser's folder scope compares immediate folders only
 *    (src/heads against src/models/bert), so this file folds every module onto its top-level part and reports each
 *    strongly connected group of two or more parts.
 *
 * test/unit/dependency-check.test.ts runs checkDependencies() on the fixtures in test/fixtures/dep-cycle/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, format, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG = join(REPO, '.dependency-cruiser.cjs');

/** The layers, bottom to top, as .dependency-cruiser.cjs defines them: top-level parts of src/ (folders, or files without extension). */
export const LAYERS = (createRequire(import.meta.url)(CONFIG) as { layers: string[][] }).layers;

export interface DependencyCheck {
  /** Upward imports and unlisted parts, as dependency-cruiser names them: `rule: from → to`. */
  violations: string[];
  /** Cycles between top-level parts of src/, each as `src/a, src/b: src/a → src/b → src/a` (the parts, then one cycle through them). */
  cycles: string[];
  /** The report to print. */
  report: string;
}

/** The top-level part of src/ a module path belongs to (`src/heads`, `src/errors.js`), or undefined outside src/. */
function topLevel(path: string): string | undefined {
  return /^src\/[^/]+/.exec(path)?.[0];
}

/** Strongly connected groups of two or more nodes (Tarjan), each rotated to start at its first name, sorted. */
function cyclicGroups(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One cycle through a group's parts, found by walking part edges inside the group from its first part. */
function cycleThrough(group: string[], edges: Map<string, Set<string>>): string[] {
  const inGroup = new Set(group);
  const start = group[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!inGroup.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...group, start];
}

/**
 * Checks the project of `tsconfig` (its compiled src/ tree) against .dependency-cruiser.cjs. The tsconfig's rootDir
 * must be its src/ folder.
 */
export async function checkDependencies(tsconfig = join(REPO, 'tsconfig.build.json')): Promise<DependencyCheck> {
  const out = mkdtempSync(join(tmpdir(), 'bertft-deps-'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [
        join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        tsconfig,
        '--outDir',
        join(out, 'src'),
        '--declaration',
        'false',
        '--sourceMap',
        'false',
        '--noEmitOnError',
        'false',
      ],
      { encoding: 'utf8' },
    );
    if (tsc.error) throw tsc.error;
    // Type errors are the typecheck's business (npm run typecheck); tsc still emits, and the imports are what count here.
    const config = createRequire(import.meta.url)(CONFIG) as IConfiguration;
    const { output } = await cruise(['src'], { ...config.options, baseDir: out, validate: true, ruleSet: { forbidden: config.forbidden } });
    const result = output as ICruiseResult;
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

    const edges = new Map<string, Set<string>>();
    for (const m of result.modules) {
      const from = topLevel(m.source);
      if (from === undefined) continue;
      for (const d of m.dependencies) {
        const to = topLevel(d.resolved);
        if (to !== undefined && to !== from && !d.dependencyTypes.includes('type-only')) {
          if (!edges.has(from)) edges.set(from, new Set());
          edges.get(from)!.add(to);
        }
      }
    }
    const cycles = cyclicGroups(edges).map((g) => `${g.join(', ')}: ${cycleThrough(g, edges).join(' → ')}`);

    const lines: string[] = [];
    if (violations.length > 0) lines.push(((await format(result, { outputType: 'err-long' })).output as string).trimEnd());
    for (const c of cycles) {
      lines.push(
        `  error folder-cycle: ${c}`,
        '    top-level parts of src/ import each other; one of them belongs below the other. See docs/architecture.md.',
        '',
      );
    }
    const modules = result.summary.totalCruised;
    lines.push(
      violations.length + cycles.length === 0
        ? `✔ dependency check: no upward imports, no cycles between the parts of src/ (${modules} modules, .dependency-cruiser.cjs)`
        : `✘ dependency check: ${violations.length} rule violation(s), ${cycles.length} cycle(s) between parts of src/ (${modules} modules; layers in .dependency-cruiser.cjs, docs/architecture.md)`,
    );
    return { violations, cycles, report: lines.join('\n') };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = await checkDependencies(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`${check.report}\n`);
  process.exitCode = check.violations.length + check.cycles.length > 0 ? 1 : 0;
}
