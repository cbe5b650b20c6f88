/**
 * Reference files: both shared fixtures are read whole; bad files are refused
 * naming the case and the field; the error measures and the tolerance rule are
 * the fixture's; `npm run reference` refuses bad input before a browser starts.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseReferenceFile, parseReferenceText, ReferenceFileError, type TrainingCase } from '../../src/engine/reference/fixture';
import { allowedError, elementwiseRelativeError, largestAbsoluteError, relativeError, scalarError, withinTorchRule } from '../../src/engine/reference/measure';
import { formatCaseReport, verdictLine, type CaseReport } from '../../src/engine/reference/report';

const RESNET = new URL('../../../shared/fixtures/torch-resnet-reference.json', import.meta.url);
const MICRO = new URL('../../../shared/fixtures/torch-sgd-reference.json', import.meta.url);
const resnetText = readFileSync(RESNET, 'utf8');
const resnet = JSON.parse(resnetText) as { about: string; cases: Record<string, unknown>[] };

/** The ResNet-20 case and one crop case of the shared fixture, as plain JSON to break. */
function smallFile(): { about: string; cases: Record<string, unknown>[] } {
  return { about: 'test', cases: structuredClone([resnet.cases[0]!, resnet.cases[3]!]) };
}

function refusal(file: unknown): string {
  try {
    parseReferenceFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ReferenceFileError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
}

type Json = Record<string, unknown>;
const training = (file: ReturnType<typeof smallFile>) => file.cases[0]! as Json;

describe('reading reference files', () => {
  it('reads the shared ResNet fixture: every tensor by state_dict name, in its shape', () => {
    const file = parseReferenceText(resnetText);
    expect(file.cases.map((c) => `${c.kind} ${c.name}`)).toEqual([
      'training resnet20-w0.25',
      'training resnet18-w0.0625-small-stem',
      'training resnet50-w0.0625-imagenet-stem',
      'resized-crop resized-crop-28x28x1',
      'resized-crop resized-crop-32x32x3',
    ]);
    const r20 = file.cases[0] as TrainingCase;
    // 19 convs and BNs and the fc: 59 parameters, 38 running statistics.
    expect([r20.init.size, r20.gradientsAtStep0.size, r20.final.size]).toEqual([97, 59, 97]);
    expect(r20.init.get('layer2.0.conv1.weight')!.shape).toEqual([3, 3, 4, 8]);
    expect(r20.init.get('fc.weight')!.shape).toEqual([16, 4]);
    expect(r20.batches.map((b) => b.x.shape)).toEqual([[8, 8, 8, 3], [8, 8, 8, 3]]);
    expect(r20.hyper).toMatchObject({ lr: 0.05, momentum: 0.9, nesterov: false, steps: 4, bnMomentum: 0.1, bnEpsilon: 1e-5 });
    const r50 = file.cases[2] as TrainingCase;
    expect(r50.init.has('layer1.0.downsample.0.weight')).toBe(true);
    expect(r50.torchFloat32Error.final.size).toBe(267);
  });

  it('reads the micro-net file, whose cases predate `kind`, by the engine names', () => {
    const file = parseReferenceText(readFileSync(MICRO, 'utf8'));
    expect(file.cases.map((c) => c.kind)).toEqual(['micro-net', 'micro-net', 'micro-net']);
    const c = file.cases[0]!;
    if (c.kind !== 'micro-net') throw new Error('not a micro-net case');
    expect([...c.init.keys()]).toEqual(['conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'fc.weight', 'fc.bias']);
  });

  it('refuses a file that is not JSON', () => {
    expect(() => parseReferenceText('{"cases": [')).toThrow(/^not JSON: /);
    expect(refusal([1, 2])).toBe('must be an object, got an array of 2');
    expect(refusal({ cases: [] })).toBe('cases: holds no case');
  });

  it('refuses an unknown case kind, naming the case and the field', () => {
    const file = smallFile();
    training(file).kind = 'inference';
    expect(refusal(file)).toBe('case "resnet20-w0.25": kind: unknown case kind "inference"; known kinds: training, resized-crop (and, without a kind, the micro-net)');
  });

  it('refuses a parameter the model lacks', () => {
    const file = smallFile();
    (training(file).init as Json)['layer4.0.conv1.weight'] = [[[[0]]]];
    expect(refusal(file)).toBe('case "resnet20-w0.25": init.layer4.0.conv1.weight: the resnet20 model has no tensor named "layer4.0.conv1.weight"');
    const grads = smallFile();
    (training(grads).gradientsAtStep0 as Json)['bn1.running_mean'] = [0, 0, 0, 0];
    expect(refusal(grads)).toMatch(/^case "resnet20-w0\.25": gradientsAtStep0\.bn1\.running_mean: the resnet20 model's parameters has no tensor named/);
    const errors = smallFile();
    ((training(errors).torchFloat32Error as Json).final as Json)['fc.kernel'] = 1e-7;
    expect(refusal(errors)).toBe('case "resnet20-w0.25": torchFloat32Error.final.fc.kernel: the model has no tensor named "fc.kernel"');
  });

  it('refuses a tensor the file leaves out', () => {
    const file = smallFile();
    delete (training(file).final as Json)['layer3.2.bn2.running_var'];
    expect(refusal(file)).toBe('case "resnet20-w0.25": final.layer3.2.bn2.running_var: missing: the resnet20 model has this tensor (shape [16])');
  });

  it('refuses a shape mismatch, naming both shapes', () => {
    const file = smallFile();
    // Width 1/2 doubles every channel count: conv1 is then [3, 3, 3, 8], the file's [3, 3, 3, 4].
    training(file).model = { arch: 'resnet20', width: 0.5, stem: 'auto' };
    expect(refusal(file)).toBe('case "resnet20-w0.25": init.conv1.weight: has shape [3, 3, 3, 4], expected [3, 3, 3, 8]');
    const batch = smallFile();
    training(batch).inputShape = [16, 16, 3];
    expect(refusal(batch)).toBe('case "resnet20-w0.25": batches[0].xNHWC: has shape [8, 8, 8, 3], expected [8, 16, 16, 3]');
    const crop = smallFile();
    const window = ((crop.cases[1]! as Json).windows as Json[])[2]!;
    window.outputHWC = (window.outputHWC as unknown[]).slice(1);
    expect(refusal(crop)).toBe('case "resized-crop-28x28x1": windows[2].outputHWC: has shape [27, 28, 1], expected [28, 28, 1]');
  });

  it('refuses values a run cannot use', () => {
    const label = smallFile();
    ((training(label).batches as Json[])[1]!.labels as number[])[3] = 4;
    expect(refusal(label)).toBe('case "resnet20-w0.25": batches[1].labels[3]: 4 is not a class index 0–3');
    const arch = smallFile();
    training(arch).model = { arch: 'resnet99', width: 1 };
    expect(refusal(arch)).toMatch(/^case "resnet20-w0\.25": model\.arch: unknown architecture "resnet99"; known: resnet18/);
    const steps = smallFile();
    (training(steps).hyper as Json).steps = 3;
    expect(refusal(steps)).toBe('case "resnet20-w0.25": lossPerStep: has 4 entries, expected 3');
    const nan = smallFile();
    ((training(nan).init as Json)['fc.bias'] as unknown[])[2] = 'x';
    expect(refusal(nan)).toBe('case "resnet20-w0.25": init.fc.bias: element 2 is "x", not a finite number');
    const window = smallFile();
    ((window.cases[1]! as Json).windows as Json[])[0]!.left = 10;
    expect(refusal(window)).toBe('case "resized-crop-28x28x1": windows[0]: window (top 7, left 10, height 21, width 22) is not inside the 28×28 image');
    const twice = smallFile();
    (twice.cases[1]! as Json).name = 'resnet20-w0.25';
    expect(refusal(twice)).toBe('case "resnet20-w0.25": name: two cases have this name');
    const kindless = smallFile();
    delete (kindless.cases[1]! as Json).kind;
    expect(refusal(kindless)).toMatch(/^case "resized-crop-28x28x1": init: must be an object/);
  });
});

describe("the fixture's measures and rule", () => {
  it('measures a tensor by its largest difference over its largest magnitude', () => {
    expect(relativeError([1, -2.5, 3], [1, -2, 4])).toBeCloseTo(1 / 4, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    expect(relativeError([Number.NaN, 1], [1, 1])).toBe(Number.POSITIVE_INFINITY);
    expect(scalarError(1.1, 1)).toBeCloseTo(0.1, 12);
    expect(scalarError(Number.NaN, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(largestAbsoluteError([10, 200.004], [10.002, 200])).toBeCloseTo(0.004, 9);
    // The micro-net's: relative to each value, with a floor of 1e-3 under it.
    expect(elementwiseRelativeError([2.0002, 1e-6], [2, 0])).toBeCloseTo(1e-3, 9);
  });

  it('passes an error within 10× PyTorch float32s, or under 1e-5, and nothing else', () => {
    expect(withinTorchRule(9.9e-4, 1e-4)).toBe(true);
    expect(withinTorchRule(1.01e-3, 1e-4)).toBe(false);
    expect(withinTorchRule(9e-6, 1e-9)).toBe(true);
    expect(withinTorchRule(1e-5, 1e-9)).toBe(false);
    expect(allowedError(1e-4)).toBeCloseTo(1e-3, 15);
    expect(allowedError(1e-8)).toBe(1e-5);
  });

  it('prints the worst quantity of each group, the ratio, and a verdict', () => {
    const report: CaseReport = {
      name: 'r',
      kind: 'training',
      rule: 'rule',
      seconds: 1.25,
      leakedTensors: 0,
      ok: false,
      quantities: [
        { group: 'loss', name: 'step 0', engineError: 2e-7, torchError: 1e-7, allowed: 1e-5, ok: true },
        { group: 'loss', name: 'step 1', engineError: 5e-6, torchError: 1e-7, allowed: 1e-5, ok: true },
        { group: 'final', name: 'fc.weight', engineError: 3e-3, torchError: 1e-4, allowed: 1e-3, ok: false },
      ],
    };
    const lines = formatCaseReport(report);
    expect(lines[0]).toBe('OVER r (training, 3 quantities, 1.3 s): rule');
    expect(lines[1]).toMatch(/loss +step 1 +engine 5\.00e-6 +PyTorch float32 1\.00e-7 +ratio 50\.0$/);
    expect(lines[2]).toMatch(/after training +fc\.weight +engine 3\.00e-3 +PyTorch float32 1\.00e-4 +ratio 30\.0 +OVER \(allowed 1\.00e-3\)$/);
    expect(lines[3]).toBe('     1 over tolerance: after training fc.weight 3.00e-3');
    expect(verdictLine([report, { ...report, name: 's', ok: true }], 'cpu')).toBe('verdict: 1 of 2 cases over tolerance (cpu): r');
    expect(verdictLine([{ ...report, ok: true }], 'cpu')).toBe('verdict: all 1 cases within tolerance (cpu)');
  });
});

const run = promisify(execFile);

async function reference(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'src/cli/reference.ts', ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run reference, bad input', () => {
  it('refuses a bad file before starting a browser, naming the case and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classwise-reference-'));
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"cases": [');
    const kind = join(dir, 'kind.json');
    const file = smallFile();
    (file.cases[1] as Json).kind = 'rotate';
    await writeFile(kind, JSON.stringify(file));
    const [notJson, unknownKind] = await Promise.all([reference(broken), reference(kind, '--backend', 'cpu')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^error: not JSON: /);
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toMatch(/^error: case "resized-crop-28x28x1": kind: unknown case kind "rotate"/);
  });
});
