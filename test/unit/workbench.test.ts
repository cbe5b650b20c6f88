/**
 * The workbench's controllers in Node, on a fake engine worker that answers
 * the way the real one does (events, then a result; RunCancelled on cancel).
 * The real worker and page are covered by test/browser/ui.test.ts; these
 * cover the controllers' own logic: what state each intent leaves behind.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunRequest } from '../../workers/api';
import type { EngineHandle } from '../../workers/client';
import type { StudyJournal } from '../../src/app/run-controller';
import type { WorkbenchState } from '../../src/app/state';
import { Workbench } from '../../src/app/workbench';
import { configHash, parseRunConfig } from '../../src/study/config';
import { PRESETS } from '../../src/study/presets';
import type { RunResult } from '../../src/study/results';

const CLASSES = ['a', 'b', 'c', 'd'];
const DATASET = { name: 'four', classNames: CLASSES, testCount: 64, contentHash: 'e'.repeat(64) };

/** A result as the worker returns it: `correct` test images right in each class of 16. */
async function resultOf(request: RunRequest, correct: number[]): Promise<RunResult> {
  const config = parseRunConfig(request.config);
  return {
    config,
    configHash: await configHash(config),
    seed: request.seed,
    environment: { backend: 'webgpu', adapter: null, fallbacks: [], browser: 'node', tfjsVersion: '4.22.0' },
    dataset: DATASET,
    top1: correct.reduce((a, b) => a + b, 0) / 64,
    perClass: CLASSES.map((name, i) => ({ class: name, correct: correct[i]!, total: 16 })),
    confusion: CLASSES.map((_, i) => CLASSES.map((__, j) => (i === j ? correct[i]! : j === (i + 1) % 4 ? 16 - correct[i]! : 0))),
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 1, lr: 0.1, imagesPerSec: 10 }],
    steps: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    wallTimeSec: 1,
  } as RunResult;
}

class FakeEngine {
  readonly calls: string[] = [];
  /** Resolves a run that waits (see holdRuns). */
  private release: (() => void) | null = null;
  private rejectRun: ((error: Error) => void) | null = null;
  holdRuns = false;
  deleted: string[] = [];

  async init() {
    return { backend: 'webgpu', adapter: null, fallbacks: [] };
  }
  watchDevice() {}
  async listDatasets() {
    this.calls.push('listDatasets');
    return [];
  }
  async describeDataset() {
    this.calls.push('describeDataset');
    return { ...DATASET, shape: [8, 8, 3], trainCount: 64 };
  }
  async deleteDataset(id: string) {
    this.deleted.push(id);
  }
  async run(request: RunRequest, onEvent: (event: RunEvent) => void): Promise<RunResult> {
    this.calls.push(`run ${request.seed}`);
    onEvent({ kind: 'dataset', trainCount: 64, ...DATASET });
    if (this.holdRuns) {
      await new Promise<void>((resolve, reject) => {
        this.release = resolve;
        this.rejectRun = reject;
      });
    }
    const crop = parseRunConfig(request.config).augmentation.crop.kind;
    return resultOf(request, crop === 'none' ? [16, 16, 16, 16] : [16, 8, 16, 16]);
  }
  cancel() {
    this.calls.push('cancel');
    const error = new Error('the run was cancelled');
    error.name = 'RunCancelled';
    this.rejectRun?.(error);
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
  finishHeldRun() {
    this.release?.();
  }
}

function memoryJournal(text: string | null = null): StudyJournal & { text: string | null } {
  return {
    text,
    read() {
      return this.text;
    },
    write(value) {
      this.text = value;
    },
    clear() {
      this.text = null;
    },
  };
}

async function workbench(journal = memoryJournal()) {
  const engine = new FakeEngine();
  const handle = { engine: engine as unknown as EngineHandle['engine'], terminate() {} };
  const downloads: string[] = [];
  const wb = new Workbench(() => handle, (name) => downloads.push(name), journal);
  await wb.init();
  return { wb, engine, downloads, journal };
}

const until = async (wb: Workbench, test: (s: WorkbenchState) => boolean) => {
  for (let i = 0; i < 200 && !test(wb.state); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(test(wb.state)).toBe(true);
};

describe('the workbench controllers', () => {
  it('select a preset, refuse an unknown one and a bad spec file, saying why', async () => {
    const { wb } = await workbench();
    wb.design.selectPreset('smoke');
    expect(wb.state.study?.spec.name).toBe('smoke');
    expect(wb.state.study?.planned.map((p) => p.baseline)).toEqual([true, false]);
    wb.design.selectPreset('nope');
    expect(wb.state.study).toBeNull();
    expect(wb.state.studyError).toBe('there is no preset named "nope"');
    wb.design.loadSpecFile('x.json', '{');
    expect(wb.state.studyError).toMatch(/^x\.json is not valid JSON: /);
    wb.design.loadSpecFile('y.json', JSON.stringify({ ...PRESETS.smoke, seeds: [] }));
    expect(wb.state.studyError).toMatch(/^y\.json was refused: /);
    wb.design.loadSpecFile('z.json', JSON.stringify(PRESETS.smoke));
    expect(wb.state.study?.source).toEqual({ kind: 'file', fileName: 'z.json' });
    expect(wb.state.studyError).toBeNull();
  });

  it('describe the study dataset once per dataset config', async () => {
    const { wb, engine } = await workbench();
    wb.design.selectPreset('smoke');
    await until(wb, (s) => s.design.datasetSummary !== null);
    const described = engine.calls.filter((c) => c === 'describeDataset').length;
    wb.design.designStudy({ ...PRESETS.smoke, name: 'renamed' });
    await until(wb, (s) => s.study?.spec.name === 'renamed');
    expect(engine.calls.filter((c) => c === 'describeDataset').length).toBe(described);
  });

  it('run a study to the end: every run done, the results file, the comparison, the journal cleared, the cache listed again', async () => {
    const { wb, engine, downloads, journal } = await workbench();
    wb.design.selectPreset('smoke');
    expect(wb.canRun).toBe(true);
    const listed = engine.calls.filter((c) => c === 'listDatasets').length;
    await wb.runs.run();
    expect(wb.state.phase).toBe('finished');
    expect(wb.state.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(wb.state.results?.runs).toHaveLength(2);
    expect(journal.text).toBeNull();
    const comparison = wb.state.comparison.analysis?.comparisons[0];
    expect(comparison?.classes.map((c) => c.delta.estimate)).toEqual([0, -0.5, 0, 0]);
    expect(wb.state.comparison.selectedComparison).toBe(comparison?.treatment.configHash);
    await until(wb, () => engine.calls.filter((c) => c === 'listDatasets').length > listed);
    wb.exports.exportResults();
    wb.exports.exportCsv();
    expect(downloads).toEqual(['classwise-results-smoke.json', 'classwise-per-class-smoke.csv']);
  });

  it('cancel a study in its second run and keep the first; the journal is cleared', async () => {
    const { wb, engine, journal } = await workbench();
    wb.design.selectPreset('smoke');
    engine.holdRuns = true;
    const running = wb.runs.run();
    await until(wb, (s) => s.current === 0);
    expect(journal.text).not.toBeNull();
    engine.finishHeldRun();
    await until(wb, (s) => s.current === 1);
    wb.runs.cancel();
    expect(wb.state.phase).toBe('cancelling');
    await running;
    expect(wb.state.phase).toBe('cancelled');
    expect(wb.state.runs.map((r) => r.status)).toEqual(['done', 'cancelled']);
    expect(journal.text).toBeNull();
    expect(wb.canRun).toBe(true);
  });

  it('offer the study a journal names for resuming, and drop a journal it cannot read', async () => {
    const kept = await workbench(memoryJournal(JSON.stringify({ source: { kind: 'preset', name: 'smoke' }, spec: PRESETS.smoke })));
    expect(kept.wb.state.interrupted?.spec.name).toBe('smoke');
    await kept.wb.runs.resumeInterrupted();
    expect(kept.wb.state.phase).toBe('finished');
    expect(kept.wb.state.interrupted).toBeNull();

    const broken = memoryJournal('{"source": 1}');
    const dropped = await workbench(broken);
    expect(dropped.wb.state.interrupted).toBeNull();
    expect(broken.text).toBeNull();
  });

  it('put a study back on its own data when the cached dataset it used is deleted', async () => {
    const { wb, engine } = await workbench();
    wb.design.selectPreset('smoke');
    wb.design.useDataset({ url: 'import:pets', name: 'pets' });
    expect(wb.state.study?.spec.name).toBe('smoke · pets');
    expect(wb.state.study?.spec.baseline.dataset).toEqual({ kind: 'manifest', url: 'import:pets' });
    await wb.datasets.deleteDataset('import:pets');
    expect(engine.deleted).toEqual(['import:pets']);
    expect(wb.state.study?.spec.name).toBe('smoke');
    expect(wb.state.study?.source).toEqual({ kind: 'preset', name: 'smoke' });
  });
});
