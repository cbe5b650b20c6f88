/**
 * npm run publish-study -- (--config FILE.json | --preset NAME) [--coordinator URL] [--quorum N] [--max-replicas N]
 *
 * The organiser's side of a shared study: works out the identity of the
 * study's dataset exactly as the engine will report it, and its test labels
 * (study-dataset.ts), then publishes the spec, that identity and the labels
 * to the coordinator with the admin token (CLASSWISE_ADMIN_TOKEN).
 * Volunteers' results must then carry the same content hash, class names and
 * per-class test counts, and their per-image predictions are compared
 * against each other with those labels.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isPresetName, PRESETS } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../study/study';
import { DatasetUnavailable, describeStudyDataset } from './study-dataset';
import { runCommand, UsageError } from './command';

/** Where `npm run coordinator` listens by default. */
const DEFAULT_COORDINATOR = 'http://127.0.0.1:8787';

const USAGE = `usage: npm run publish-study -- (--config FILE.json | --preset NAME) [--coordinator URL] [--quorum N] [--max-replicas N]
  --config        a study spec (schema classwise.study/1)
  --preset        one of: ${Object.keys(PRESETS).join(', ')}
  --coordinator   the coordinator's origin (default ${DEFAULT_COORDINATOR}, where npm run coordinator listens)
  --quorum        agreeing replicas each unit needs (default 2)
  --max-replicas  replicas tried before a unit is left inconclusive (default quorum + 2)
  The admin token is read from CLASSWISE_ADMIN_TOKEN.`;

async function loadSpec(configPath: string | undefined, preset: string | undefined): Promise<StudySpec> {
  if ((configPath === undefined) === (preset === undefined)) throw new UsageError('give exactly one of --config FILE.json or --preset NAME');
  if (preset !== undefined) {
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
    return parseStudySpec(PRESETS[preset]);
  }
  const text = await readFile(configPath!, 'utf8').catch(() => {
    throw new UsageError(`cannot read ${configPath}`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${configPath} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseStudySpec(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      preset: { type: 'string' },
      coordinator: { type: 'string', default: DEFAULT_COORDINATOR },
      quorum: { type: 'string', default: '2' },
      'max-replicas': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const spec = await loadSpec(values.config, values.preset);
  let coordinator: string;
  try {
    coordinator = new URL(values.coordinator).origin;
  } catch {
    throw new UsageError(`--coordinator must be a URL such as ${DEFAULT_COORDINATOR}, got "${values.coordinator}"`);
  }
  const quorum = positiveInt(values.quorum, '--quorum');
  const maxReplicas = values['max-replicas'] === undefined ? undefined : positiveInt(values['max-replicas'], '--max-replicas');
  const token = process.env.CLASSWISE_ADMIN_TOKEN;
  if (!token) throw new UsageError('set CLASSWISE_ADMIN_TOKEN to the organiser token the coordinator printed (or was started with)');

  const dataset = await describeStudyDataset(spec.baseline.dataset, coordinator);
  console.log(`dataset: ${dataset.classNames.length} classes, ${dataset.testCount} test images, content ${dataset.contentHash.slice(0, 12)}…`);
  const response = await fetch(`${coordinator}/api/v1/studies`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ spec, dataset, quorum, ...(maxReplicas !== undefined && { maxReplicas }) }),
  }).catch((error: unknown) => {
    throw new Error(`no coordinator answered at ${coordinator} (${error instanceof Error ? error.message : String(error)}): start one with npm run coordinator, or say where it is with --coordinator URL`);
  });
  const answer = (await response.json().catch(() => ({}))) as { id?: string; units?: number; maxReplicas?: number; error?: string; issues?: string[] };
  if (!response.ok) throw new Error(`the coordinator at ${coordinator} refused the study (${response.status}): ${answer.error ?? ''}${answer.issues?.length ? `: ${answer.issues.join('; ')}` : ''}`);
  console.log(`published "${spec.name}": ${answer.units} units (${planRuns(spec).length} runs, quorum ${quorum}, at most ${answer.maxReplicas} replicas), id ${answer.id}`);
  console.log(`public page: ${coordinator}/study.html?id=${answer.id}`);
  console.log(`volunteers:  ${coordinator}/#contribute`);
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

runCommand(main, { usage: USAGE, refusals: [(error) => error instanceof DatasetUnavailable], stacks: false });
