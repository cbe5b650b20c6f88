/**
 * npm run reference -- FILE.json [--runtime browser|node] [--backend webgpu|webgl|cpu] [--dawn-backend auto|vulkan|opengles]
 *                      [--kernels custom|stock] [--out REPORT.json] [--hardware-gpu]
 *
 * Reproduces every case of a PyTorch reference file with the engine's own
 * code in headless Chromium (src/app/reference.html → src/engine/reference/),
 * or in Node on Dawn's WebGPU (--runtime node),
 * and prints, per case, its worst quantities, then a verdict line. Exit
 * status: 0 when every case is within its tolerance, 1 when any is not, 2 when
 * the file or the arguments are refused.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { KernelSet, ReferenceEnvironment } from '../app/reference';
import { BACKENDS, type BackendName } from '../engine/backend';
import { parseCase, parseReferenceText, ReferenceFileError } from '../engine/reference/fixture';
import { DAWN_BACKENDS, parseDawnBackend, parseRuntime, type DawnBackend } from '../runtime/options';
import { formatCaseReport, verdictLine, type CaseReport } from '../engine/reference/report';
import { ENGINE_OPTIONS, runCommand, UsageError, usage } from './command';

const KERNEL_SETS: readonly KernelSet[] = ['custom', 'tiled', 'stock'];
const USAGE = `usage: npm run reference -- FILE.json [--runtime browser|node] [--backend ${BACKENDS.join('|')}] [--dawn-backend auto|${DAWN_BACKENDS.join('|')}]
       [--kernels ${KERNEL_SETS.join('|')}] [--out REPORT.json] [--hardware-gpu]
  FILE.json      a reference file: ../shared/fixtures/torch-resnet-reference.json, torch-sgd-reference.json,
                 or one written by test/reference/torch_resnet_reference.py
  --backend      the backend to ask for first (default webgpu; falls back to webgl, then cpu)
  --runtime      browser (default: headless Chromium) or node (Dawn for Node's WebGPU, no browser)
  --dawn-backend node runtime: Dawn's backend (default auto: vulkan, then opengles)
  --kernels      on WebGPU: the engine's custom kernels and fusions (default), the same with the tiled
                 convolutions, or tfjs's stock ones
  --out          also write every case's report, each quantity with its errors, as JSON
  --hardware-gpu use the machine's GPU instead of SwiftShader`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: ENGINE_OPTIONS,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one reference file');
  const backend = values.backend as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError(`unknown backend "${values.backend}"; use one of ${BACKENDS.join(', ')}`);
  const kernels = values.kernels as KernelSet;
  if (!KERNEL_SETS.includes(kernels)) throw new UsageError(`unknown kernel set "${values.kernels}"; use one of ${KERNEL_SETS.join(', ')}`);

  const runtime = usage(() => parseRuntime(values.runtime));
  const dawnBackend = usage(() => parseDawnBackend(values['dawn-backend']));
  const path = resolve(positionals[0]!);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Checked whole before Chromium starts: a bad file is refused at once, naming the case and the field.
  const file = parseReferenceText(text);
  const raw = (JSON.parse(text) as { cases: unknown[] }).cases;
  console.log(`${path}: ${file.cases.length} cases${file.about ? `\n  ${file.about.slice(0, 160)}${file.about.length > 160 ? '…' : ''}` : ''}`);
  if (runtime === 'node') return inNode(path, raw, dawnBackend, kernels, values.out);

  // Loaded only now: Vite and Playwright take seconds to import, and a refused file should not wait for them.
  const { withHeadlessPage } = await import('./browser');
  return withHeadlessPage(ROOT, 'src/app/reference.html', { hardwareGpu: values['hardware-gpu'] }, async (page, pageErrors) => {
    await page.waitForFunction(() => typeof window.classwiseReference === 'object', undefined, { timeout: 60_000 });
    const environment: ReferenceEnvironment = await page.evaluate(([b, k]) => window.classwiseReference!.start(b, k), [backend, kernels] as const);
    const described = describeEnvironment(environment);
    console.log(`running on ${described}\n`);
    const reports: CaseReport[] = [];
    for (const [i, kase] of raw.entries()) {
      const report = await page.evaluate(([json, index]) => window.classwiseReference!.runCase(json, index), [JSON.stringify(kase), i] as const);
      reports.push(report);
      console.log(formatCaseReport(report).join('\n'));
    }
    if (pageErrors.length) throw new Error(`uncaught errors in the page:\n${pageErrors.join('\n')}`);
    if (values.out) {
      await writeFile(resolve(values.out), JSON.stringify({ file: path, environment, reports }, null, 1) + '\n');
      console.log(`\nwrote ${resolve(values.out)}`);
    }
    // The verdict is the last line, whatever else was printed.
    console.log(`\n${verdictLine(reports, described)}`);
    return reports.every((r) => r.ok) ? 0 : 1;
  });
}

/** The same cases through the same runner, in this process on Dawn's WebGPU. */
async function inNode(path: string, raw: unknown[], dawnBackend: DawnBackend | 'auto', kernels: KernelSet, out: string | undefined): Promise<number> {
  const { startDawn } = await import('../runtime/dawn');
  const runtime = await startDawn(dawnBackend);
  try {
    const { selectBackend } = await import('../engine/backend');
    const { referenceEnvironment } = await import('../engine/reference/environment');
    const { runReferenceCase } = await import('../engine/reference/run');
    const environment = referenceEnvironment(await selectBackend('webgpu', kernels));
    const described = `${describeEnvironment(environment)}, Node.js on Dawn (${runtime.backend})`;
    console.log(`running on ${described}\n`);
    const reports: CaseReport[] = [];
    for (const [i, kase] of raw.entries()) {
      const report = await runReferenceCase(parseCase(kase as Parameters<typeof parseCase>[0], i));
      reports.push(report);
      console.log(formatCaseReport(report).join('\n'));
    }
    if (out) {
      await writeFile(resolve(out), JSON.stringify({ file: path, environment, reports }, null, 1) + '\n');
      console.log(`\nwrote ${resolve(out)}`);
    }
    // The verdict is the last line, whatever else was printed.
    console.log(`\n${verdictLine(reports, described)}`);
    return reports.every((r) => r.ok) ? 0 : 1;
  } finally {
    runtime.close();
  }
}

function describeEnvironment(e: ReferenceEnvironment): string {
  const tiled = e.tiled.length ? ` (${e.tiled.join(', ')} tiled)` : '';
  const kernels = e.backend === 'webgpu' ? (e.kernels.length ? `, custom kernels${tiled}${e.fusions ? ' and fusions' : ''}` : ', stock kernels') : '';
  return `${e.backend}${e.adapter ? ` (${e.adapter})` : ''}${kernels}`;
}

runCommand(main, { usage: USAGE, refusals: [(error) => error instanceof ReferenceFileError] });
