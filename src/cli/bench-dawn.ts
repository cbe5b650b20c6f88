/**
 * One Dawn backend's share of `npm run bench` (src/bench/dawn.ts), in a
 * process of its own: each Dawn backend gets a fresh process and tfjs, and
 * one that crashes or hangs costs only its own figures. Reads its plan as
 * JSON from argv, logs to stderr, and prints its result as the last line of
 * stdout.
 */
import { benchDawn } from '../bench/dawn';
import type { ModelCase } from '../bench/training';
import type { DawnBackend } from '../runtime/options';
import { runCommand } from './command';

export interface DawnPlan {
  backend: DawnBackend;
  models: ModelCase[];
  steps: number;
  budgetSec: number;
  /** The custom arm's kernels: all custom (default) or the autotuner's choice. */
  policy?: 'custom' | 'tiled' | 'auto';
}

const plan = JSON.parse(process.argv[2] ?? '{}') as DawnPlan;
runCommand(
  async () => {
    const result = await benchDawn(plan.backend, plan.models, plan.steps, plan.budgetSec, (line) => console.error(`[bench] ${line}`), plan.policy);
    console.log(JSON.stringify(result));
  },
  { stacks: false },
);
