/**
 * npm run contribute -- --coordinator URL [--runtime node|browser] [--study ID] [--units N] [--minutes M] [--name NAME]
 *                       [--dawn-backend auto|vulkan|opengles|null] [--kernels auto|custom|stock] [--volunteer FILE] [--hardware-gpu]
 *
 * A volunteer without a display: the app's own contributor loop
 * (src/app/contributor.ts: lease, train with heartbeats, check, upload,
 * next) driving the engine in Node on Dawn's WebGPU, or the app's engine
 * worker in headless Chromium. Ctrl-C stops after giving the unit back.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Contributor, studyToContribute, type ContributeBudget, type ContributeState } from '../app/contributor';
import { CoordinatorClient, type StudySummary } from '../app/coordinator-client';
import { KERNEL_POLICIES, parseKernelPolicy, type KernelPolicy } from '../engine/kernels/names';
import { DAWN_BACKENDS, parseDawnBackend, parseRuntime, type DawnBackend } from '../runtime/options';
import { withHeadlessPage } from './browser';
import { runCommand, UsageError, usage } from './command';

const USAGE = `usage: npm run contribute -- --coordinator URL [--runtime node|browser] [--study ID] [--units N] [--minutes M] [--name NAME]
       [--dawn-backend auto|${DAWN_BACKENDS.join('|')}] [--kernels ${KERNEL_POLICIES.join('|')}] [--volunteer FILE] [--hardware-gpu]
  --coordinator  the coordinator's URL (e.g. http://127.0.0.1:8787)
  --runtime      node (default: the engine on Dawn's WebGPU, no browser) or browser (the app's worker in headless Chromium)
  --study        the study to contribute to (default: the first that still needs work)
  --units        stop after this many units; --minutes: take no new unit after this many minutes (default: until the study is done)
  --name         the name the study page shows beside your pseudonym
  --dawn-backend node runtime: Dawn's backend (default auto: vulkan, then opengles)
  --kernels      WebGPU kernels: custom (default), stock or auto (timed on this adapter)
  --volunteer    node runtime: where your volunteer credential is kept (default ~/.config/classwise/volunteer.json)
  --hardware-gpu browser runtime: use the machine's GPU instead of SwiftShader`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function positive(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`${option}: "${value}" is not a whole number of 1 or more`);
  return n;
}

/** One line per change a person would want to see: the phase's message, and progress every few steps. */
function printer(): (state: ContributeState) => void {
  let message: string | null = null;
  let error: string | null = null;
  let lastStep = -1;
  return (state) => {
    if (state.message && state.message !== message) console.log(`[${state.phase}] ${state.message}`);
    if (state.error && state.error !== error) console.error(`[${state.phase}] error: ${state.error}`);
    message = state.message;
    error = state.error;
    const c = state.current;
    if (c && c.loss !== null && c.stepsDone !== lastStep) {
      lastStep = c.stepsDone;
      console.log(`  ${c.label} seed ${c.seed}: step ${c.stepsDone}/${c.totalSteps ?? '?'} loss ${c.loss.toFixed(4)}${c.imagesPerSec ? ` ${c.imagesPerSec.toFixed(1)} img/s` : ''}${c.etaSec !== null ? ` eta ${Math.round(c.etaSec)} s` : ''}`);
    }
  };
}

function pickStudy(studies: StudySummary[], wanted: string | undefined): StudySummary {
  if (studies.length === 0) throw new Error('the coordinator has no published study');
  const study = studyToContribute(studies, wanted ?? null);
  if (!study) throw new UsageError(`no study "${wanted}" on this coordinator; its studies: ${studies.map((s) => `${s.id} (${s.name})`).join(', ')}`);
  return study;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      coordinator: { type: 'string' },
      runtime: { type: 'string', default: 'node' },
      study: { type: 'string' },
      units: { type: 'string' },
      minutes: { type: 'string' },
      name: { type: 'string' },
      'dawn-backend': { type: 'string', default: 'auto' },
      kernels: { type: 'string', default: 'custom' },
      volunteer: { type: 'string', default: join(homedir(), '.config', 'classwise', 'volunteer.json') },
      'hardware-gpu': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.coordinator) throw new UsageError('--coordinator URL is required');
  const coordinator = usage(() => new URL(values.coordinator!)).origin;
  const runtime = usage(() => parseRuntime(values.runtime));
  const dawnBackend = usage(() => parseDawnBackend(values['dawn-backend']));
  const kernels = usage(() => parseKernelPolicy(values.kernels));
  const budget: ContributeBudget = { units: positive(values.units, '--units'), minutes: positive(values.minutes, '--minutes') };
  const options = { coordinator, study: values.study, budget, name: values.name };
  if (runtime === 'node') await contributeInNode(options, dawnBackend, kernels, resolve(values.volunteer));
  else await contributeInBrowser(options, kernels, values['hardware-gpu']);
}

interface Options {
  coordinator: string;
  study: string | undefined;
  budget: ContributeBudget;
  name: string | undefined;
}

/** The contributor loop in this process, over the engine on Dawn; the coordinator also serves the study's datasets. */
async function contributeInNode(options: Options, dawnBackend: DawnBackend | 'auto', kernels: KernelPolicy, volunteerFile: string): Promise<void> {
  const { startNodeEngine } = await import('../runtime/node-engine');
  const { fileVolunteer } = await import('../runtime/volunteer-file');
  const node = await startNodeEngine(dawnBackend, kernels, options.coordinator);
  const adapter = node.report.adapter;
  console.log(`engine: ${node.report.backend} on ${node.report.userAgent}${adapter ? `, ${[adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' ')}` : ''}, kernels ${node.report.kernelPolicy}`);
  const contributor = new Contributor(() => node.engine, printer(), new CoordinatorClient(options.coordinator), fileVolunteer(volunteerFile, options.coordinator));
  const stop = () => {
    console.log('stopping: giving the unit back…');
    contributor.stop();
  };
  process.once('SIGINT', stop);
  try {
    await contributor.listStudies();
    if (contributor.current.listError) throw new Error(contributor.current.listError);
    const study = pickStudy(contributor.current.studies ?? [], options.study);
    console.log(`study: ${study.name} (${study.id}), ${study.progress.units} units`);
    await contributor.start(study.id, options.budget, options.name);
    if (contributor.current.phase === 'failed') throw new Error(contributor.current.error ?? 'the contribution failed');
    summarize(contributor.current);
  } finally {
    process.off('SIGINT', stop);
    node.close();
  }
}

/** The same loop in the app's page in headless Chromium (its engine worker), the page served with /api forwarded to the coordinator. */
async function contributeInBrowser(options: Options, kernels: KernelPolicy, hardwareGpu: boolean): Promise<void> {
  const state = await withHeadlessPage(ROOT, 'src/app/headless.html', { hardwareGpu, coordinator: options.coordinator }, async (page) => {
    await page.exposeFunction('classwiseContributeReport', printer());
    await page.waitForFunction(() => typeof window.classwiseContribute === 'function');
    return page.evaluate(([o, k]) => window.classwiseContribute!(o, k), [{ study: options.study ?? null, budget: options.budget, name: options.name ?? null }, kernels] as const);
  });
  if (state.phase === 'failed') throw new Error(state.error ?? 'the contribution failed');
  summarize(state);
}

function summarize(state: ContributeState): void {
  for (const unit of state.done) console.log(`  ${unit.label} seed ${unit.seed}: top-1 ${(100 * unit.top1).toFixed(1)}%, ${unit.state}${unit.fromStorage ? ' (trained before)' : ''}`);
  console.log(`${state.done.length} unit${state.done.length === 1 ? '' : 's'} uploaded. ${state.message ?? ''}`);
}

runCommand(main, { usage: USAGE, stacks: false });
