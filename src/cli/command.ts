/**
 * How every command ends, one way: what it returns is its exit status (0 when
 * nothing); a mistake in its arguments prints `error: <why>` and its usage,
 * and a refusal (input the user can fix: a bad file, no WebGPU adapter)
 * `error: <why>` alone, both with status 2; anything else is a failure, status
 * 1, printed with its stack unless the command's failures are operational
 * (a coordinator that refused, a network that failed) and say all there is.
 */
import { DawnUnavailable } from '../runtime/options';
import { ConfigError } from '../study/config';

/** A mistake in a command's arguments: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a parse whose plain Error (an unknown option value, listing the valid ones) is the user's mistake. */
export function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The options of the commands that run the engine on a study or a file (study, reference): where, on what, and where to write. */
export const ENGINE_OPTIONS = {
  backend: { type: 'string', default: 'webgpu' },
  runtime: { type: 'string', default: 'browser' },
  'dawn-backend': { type: 'string', default: 'auto' },
  kernels: { type: 'string', default: 'custom' },
  out: { type: 'string' },
  'hardware-gpu': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

export interface CommandOptions {
  /** Printed after an argument mistake. */
  usage?: string;
  /** Errors the user caused and can fix, beyond argument mistakes and a missing WebGPU adapter. */
  refusals?: ((error: unknown) => boolean)[];
  /** Failures print their stack (default), or, for operational failures that say all there is, their message. */
  stacks?: boolean;
}

/** node:util's parseArgs refuses an unknown option or a missing value with these codes: an argument mistake. */
const badArguments = (error: unknown) => error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');

/** Dawn for Node found no adapter; by name, as it may come from a copy of the module loaded with the runtime. */
const noAdapter = (error: unknown) => error instanceof Error && error.name === DawnUnavailable.name;

export function runCommand(main: () => Promise<number | void>, { usage, refusals = [], stacks = true }: CommandOptions = {}): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof UsageError || error instanceof ConfigError || badArguments(error)) {
        console.error(`error: ${message}${usage ? `\n\n${usage}` : ''}`);
        process.exit(2);
      }
      if (noAdapter(error) || refusals.some((refused) => refused(error))) {
        console.error(`error: ${message}`);
        process.exit(2);
      }
      console.error(stacks && error instanceof Error ? (error.stack ?? message) : `error: ${message}`);
      process.exit(1);
    },
  );
}
