/**
 * Print a model's layer table and parameter count:
 *
 *   npm run model -- --arch resnet50 --classes 1000 --input 224,224,3 [--width 1] [--stem auto]
 *
 * The last line is always `params: N`. Bad arguments exit with code 2.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ARCHS, ConfigError, modelSchema, parseWith, type ModelConfig } from '../study/config';
import { buildArchitecture, countParameters, resolveStem, summarize, type InputShape } from '../model/architecture';
import { UsageError } from './command';

export const USAGE = `usage: npm run model -- --arch ARCH --classes N --input H,W,C [--width W] [--stem auto|imagenet|small]

  --arch      ${ARCHS.join(', ')}
  --classes   number of classes (positive integer)
  --input     input shape as height,width,channels, e.g. 224,224,3 or 28,28,1
  --width     channel multiplier (default 1)
  --stem      auto (default: small below 64 px), imagenet (7x7 + max-pool) or small (3x3, no pool)
  --help      print this message`;

export interface ModelArgs {
  help: boolean;
  model: ModelConfig;
  inputShape: InputShape;
  classes: number;
}

function parsePositiveInt(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`${what} must be a positive integer, got '${text}'`);
  return Number(text);
}

export function parseInputShape(text: string): InputShape {
  const parts = text.split(',');
  if (parts.length !== 3) throw new UsageError(`--input must be height,width,channels (e.g. 224,224,3), got '${text}'`);
  const [h, w, c] = parts.map((p, i) => parsePositiveInt(p, `--input ${['height', 'width', 'channels'][i]}`)) as InputShape;
  return [h, w, c];
}

const OPTIONS = {
  arch: { type: 'string' },
  classes: { type: 'string' },
  input: { type: 'string' },
  width: { type: 'string' },
  stem: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses argv (without node and script); throws UsageError or ConfigError on bad input. */
export function parseModelArgs(argv: string[]): ModelArgs | { help: true } {
  let values: ReturnType<typeof parseArgs<{ args: string[]; strict: true; allowPositionals: false; options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  if (values.arch === undefined) throw new UsageError('--arch is required');
  if (values.classes === undefined) throw new UsageError('--classes is required');
  if (values.input === undefined) throw new UsageError('--input is required');
  let width: number | undefined;
  if (values.width !== undefined) {
    width = Number(values.width);
    if (values.width.trim() === '' || !Number.isFinite(width)) throw new UsageError(`--width must be a number, got '${values.width}'`);
  }
  const model = parseWith(modelSchema, { arch: values.arch, width, stem: values.stem }, 'model arguments');
  return { help: false, model, inputShape: parseInputShape(values.input), classes: parsePositiveInt(values.classes, '--classes') };
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The aligned table; the last line is `params: N`. */
export function formatSummary(args: ModelArgs): string {
  const spec = buildArchitecture(args.model, args.inputShape, args.classes);
  const rows = summarize(spec);
  const table = [
    ['name', 'kind', 'output', 'params'],
    ...rows.map((r) => [r.name, r.kind, r.outputShape.join('x'), String(r.params)]),
  ];
  const widths = [0, 1, 2, 3].map((col) => Math.max(...table.map((row) => row[col]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, col) => pad(cell, widths[col]!, col === 3))
      .join('  ')
      .trimEnd();
  const total = countParameters(spec);
  const header =
    `${spec.arch}, width ${spec.width}, stem ${resolveStem(args.model, args.inputShape)}, ` +
    `input ${spec.inputShape.join('x')}, ${spec.numClasses} classes`;
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [header, '', line(table[0]!), rule, ...table.slice(1).map(line), rule, `params: ${total}`].join('\n');
}

export function main(argv: string[]): number {
  let args: ModelArgs | { help: true };
  try {
    args = parseModelArgs(argv);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let text: string;
  try {
    text = formatSummary(args);
  } catch (error) {
    // buildArchitecture refuses an input that shrinks to nothing.
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  console.log(text);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
