import { type ChildProcess, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

/** The built executable, exactly as a user runs it (npm test builds dist/ first). */
export const BIN = join(REPO_ROOT, 'bin', 'bertft.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bertft ...args` synchronously with optional stdin and extra environment. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input,
    encoding: 'utf8',
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, HF_HUB_OFFLINE: '1', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Kills a training run with SIGKILL once its checkpoint has reached `atStep`: polls `stateFile` (every `pollMs`, at
 * most `polls` times, while the child runs) for its `field`, then waits for the child to exit. Returns the step it
 * was killed at, or -1 when it never got there.
 */
export async function killAtCheckpoint(child: ChildProcess, stateFile: string, field: string, atStep: number, pollMs: number, polls: number): Promise<number> {
  const exited = new Promise((r) => child.once('exit', r));
  let killedAt = -1;
  for (let i = 0; i < polls && killedAt < 0 && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, pollMs));
    if (!existsSync(stateFile)) continue;
    try {
      const step = JSON.parse(readFileSync(stateFile, 'utf8'))[field] as number;
      if (step >= atStep) {
        child.kill('SIGKILL');
        killedAt = step;
      }
    } catch {
      // the checkpoint is being replaced; look again
    }
  }
  await exited;
  return killedAt;
}
