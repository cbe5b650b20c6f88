/**
 * The public study page's controller: a study's progress, contributors and
 * the per-class analysis pooled over its validated results, kept up to date
 * from the coordinator's progress stream (server-sent events), or by polling
 * when the stream fails. Without a study id it lists the coordinator's
 * studies. It holds one immutable state snapshot; the page's components
 * render it and call the methods below. It only reads results: no worker, no
 * TensorFlow.js.
 */
import { analyzeRuns, type StudyAnalysis } from '../study/analysis';
import { perClassCsv } from '../study/analysis-report';
import type { ResultsFile } from '../study/results';
import type { ClassInspection } from '../ui/views/types';
import { CoordinatorClient, CoordinatorError, type Progress, type StudyDetail, type StudySummary } from './coordinator-client';
import { downloadWithLink, fileNameFor, type Download } from './download';

/** How often to ask again when the live stream is unavailable (and how often the list refreshes). */
export const POLL_MS = 10_000;

/** Why the page could not show what it was asked for. */
export interface LoadError {
  /** not-found: no such study (404); unreachable: no answer, or the proxy or server failed (status 0 or ≥ 500); refused: any other refusal. */
  kind: 'not-found' | 'unreachable' | 'refused';
  message: string;
}

/**
 * How the page hears of changes: 'live' while the progress stream delivers,
 * 'polling' when it failed and the page asks every POLL_MS instead,
 * 'stopped' when there is nothing to follow (an unknown study).
 */
export type LiveMode = 'connecting' | 'live' | 'polling' | 'stopped';

export interface StudyListState {
  kind: 'list';
  studies: StudySummary[] | null;
  error: LoadError | null;
  /** Date.now() of the last answer. */
  updatedAt: number | null;
}

export interface StudyPageState {
  kind: 'study';
  id: string;
  /** The study as last read; kept while a later refresh fails, so the page still shows what it knew. */
  detail: StudyDetail | null;
  /** The validated results file, as the coordinator serves it. */
  results: ResultsFile | null;
  /** The per-class analysis pooled over `results`; null until there are runs to pool. */
  analysis: StudyAnalysis | null;
  /** Why the results could not be read or pooled (the progress may still be fine). */
  analysisProblem: string | null;
  /** The last failure to read the study; with `detail` still set, the page shows older data beside it. */
  error: LoadError | null;
  live: LiveMode;
  updatedAt: number | null;
  selectedComparison: string | null;
  selectedClasses: number[];
  inspected: ClassInspection | null;
}

export type PublicStudyState = StudyListState | StudyPageState;


export interface PublicStudyOptions {
  client?: CoordinatorClient;
  pollMs?: number;
  download?: Download;
  now?: () => number;
}

/** Said in the inspector: its images come from the engine worker and the dataset, which this page does not load. */
export const INSPECTOR_UNAVAILABLE =
  'the public page has no dataset loaded; download the results and import them in the workbench, which loads the dataset, to see the images';

export class PublicStudy {
  private readonly client: CoordinatorClient;
  private readonly pollMs: number;
  private readonly download: Download;
  private readonly now: () => number;
  private readonly listeners = new Set<(state: PublicStudyState) => void>();
  private current: PublicStudyState;
  private stopWatching: (() => void) | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;
  /** A change arrived while a refresh was under way: refresh once more after it. */
  private refreshAgain = false;
  /** Valid and withdrawn results when the results file was last read: the file changes only when these do. */
  private resultsAtValid: string | null = null;
  private disposed = false;

  constructor(
    readonly studyId: string | null,
    options: PublicStudyOptions = {},
  ) {
    this.client = options.client ?? new CoordinatorClient();
    this.pollMs = options.pollMs ?? POLL_MS;
    this.download = options.download ?? downloadWithLink;
    this.now = options.now ?? Date.now;
    this.current =
      studyId === null
        ? { kind: 'list', studies: null, error: null, updatedAt: null }
        : {
            kind: 'study',
            id: studyId,
            detail: null,
            results: null,
            analysis: null,
            analysisProblem: null,
            error: null,
            live: 'connecting',
            updatedAt: null,
            selectedComparison: null,
            selectedClasses: [],
            inspected: null,
          };
  }

  get state(): PublicStudyState {
    return this.current;
  }

  /** Calls `listener` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: PublicStudyState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** The first read, then the progress stream for a study, or polling for the list. */
  async start(): Promise<void> {
    if (this.current.kind === 'list') {
      this.startPolling();
      return this.refresh();
    }
    await this.refresh();
    // An unknown study has nothing to follow; any other outcome (even an unreachable coordinator) is followed until it recovers.
    if (this.disposed || this.errorKind() === 'not-found') return;
    this.watch();
    if (this.current.error) this.fallBackToPolling();
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatching?.();
    this.stopWatching = null;
    this.stopPolling();
    this.listeners.clear();
  }

  /**
   * Reads the study (or the list) again, and the validated results when the
   * number of valid results changed. Calls that arrive during a refresh are
   * folded into one more refresh after it, so a burst of progress events
   * costs two requests, not one per event.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async () => {
      do {
        this.refreshAgain = false;
        await (this.current.kind === 'list' ? this.loadList() : this.loadStudy(this.current.id));
      } while (this.refreshAgain && !this.disposed);
    };
    this.refreshing = run().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  selectComparison(treatmentHash: string): void {
    this.setStudy({ selectedComparison: treatmentHash, inspected: null });
  }

  selectClasses(classes: number[]): void {
    const k = this.current.kind === 'study' ? (this.current.analysis?.dataset.classNames.length ?? 0) : 0;
    this.setStudy({ selectedClasses: classes.filter((c) => Number.isInteger(c) && c >= 0 && c < k) });
  }

  /** The inspector shows a class's test images and crops, read by the engine worker from the dataset; this page has neither, and says so. */
  inspectClass(classIndex: number | null): void {
    if (this.current.kind !== 'study') return;
    const { analysis, selectedComparison } = this.current;
    const comparison = analysis?.comparisons.find((c) => c.treatment.configHash === selectedComparison) ?? analysis?.comparisons[0];
    if (classIndex === null || !analysis || !comparison) return this.setStudy({ inspected: null });
    this.setStudy({
      inspected: {
        classIndex,
        className: analysis.dataset.classNames[classIndex] ?? `class ${classIndex}`,
        treatmentLabel: comparison.treatment.label,
        status: 'unavailable',
        reason: INSPECTOR_UNAVAILABLE,
        wrong: [],
        crops: [],
      },
    });
  }

  /** The validated results as a classwise.results/1 file, for the workbench's import. */
  downloadResults(): void {
    if (this.current.kind !== 'study' || !this.current.results) return;
    const { results } = this.current;
    this.download(fileNameFor('classwise-results', results.study.name, 'json'), new Blob([JSON.stringify(results, null, 2)], { type: 'application/json' }));
  }

  /** The pooled per-class table of every comparison, as the workbench exports it. */
  downloadCsv(): void {
    if (this.current.kind !== 'study' || !this.current.analysis) return;
    const name = this.current.results?.study.name ?? this.current.detail?.name ?? 'study';
    this.download(fileNameFor('classwise-per-class', name, 'csv'), new Blob([perClassCsv(this.current.analysis)], { type: 'text/csv' }));
  }

  /** A chart the views drew: the view makes the image, the page saves it. */
  saveChart(fileName: string, blob: Blob): void {
    this.download(fileName, blob);
  }

  private async loadList(): Promise<void> {
    try {
      const studies = await this.client.studies();
      this.setList({ studies, error: null, updatedAt: this.now() });
    } catch (error) {
      this.setList({ error: loadError(error) });
    }
  }

  private async loadStudy(id: string): Promise<void> {
    let detail: StudyDetail;
    try {
      detail = await this.client.study(id);
    } catch (error) {
      const problem = loadError(error);
      if (problem.kind === 'not-found') {
        // Nothing will ever arrive for a study that does not exist: stop asking.
        this.stopWatching?.();
        this.stopWatching = null;
        this.stopPolling();
        this.resultsAtValid = null;
        this.setStudy({ detail: null, results: null, analysis: null, analysisProblem: null, error: problem, live: 'stopped' });
      } else {
        this.setStudy({ error: problem });
      }
      return;
    }
    if (this.disposed) return;
    const valid = validResults(detail.progress);
    if (valid === this.resultsAtValid && this.current.kind === 'study' && this.current.analysisProblem === null) {
      this.setStudy({ detail, error: null, updatedAt: this.now() });
      return;
    }
    let results: ResultsFile;
    try {
      results = await this.client.results(id);
    } catch (error) {
      // The progress is fresh even though the results are not; resultsAtValid stays, so the next refresh tries again.
      this.setStudy({ detail, error: null, analysisProblem: `The validated results could not be read: ${error instanceof Error ? error.message : String(error)}`, updatedAt: this.now() });
      return;
    }
    this.resultsAtValid = valid;
    let analysis: StudyAnalysis | null = null;
    let analysisProblem: string | null = null;
    if (results.runs.length > 0) {
      try {
        analysis = analyzeRuns(results.runs, results.study.baseline);
      } catch (error) {
        analysisProblem = `The validated results cannot be pooled: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const k = analysis?.dataset.classNames.length ?? 0;
    const selectedClasses = this.current.kind === 'study' ? this.current.selectedClasses.filter((c) => c < k) : [];
    this.setStudy({ detail, results, analysis, analysisProblem, error: null, updatedAt: this.now(), selectedClasses });
  }

  private watch(): void {
    if (this.current.kind !== 'study' || this.stopWatching || this.disposed) return;
    this.stopWatching = this.client.watch(
      this.current.id,
      (progress) => this.onProgress(progress),
      (closed) => this.onStreamError(closed),
    );
  }

  private onProgress(progress: Progress): void {
    if (this.current.kind !== 'study' || this.disposed) return;
    // The stream delivers again: polling would only repeat what it says.
    this.stopPolling();
    const { detail } = this.current;
    // The first event on connecting repeats what the page just read; only a change is worth a request.
    const changed = !detail || JSON.stringify(detail.progress) !== JSON.stringify(progress);
    // The counts show at once; contributors and units follow with the refresh.
    this.setStudy({ live: 'live', ...(detail && changed ? { detail: { ...detail, progress } } : {}) });
    if (changed) void this.refresh();
  }

  private onStreamError(closed: boolean): void {
    if (this.current.kind !== 'study' || this.disposed) return;
    if (closed) {
      // The browser will not reconnect a refused stream; a successful poll opens a new one.
      this.stopWatching?.();
      this.stopWatching = null;
    }
    const wasLive = this.current.live === 'live';
    this.fallBackToPolling();
    // Ask at once whether the coordinator itself is gone (or only the stream), rather than in POLL_MS.
    if (wasLive) void this.refresh();
  }

  private fallBackToPolling(): void {
    if (this.current.kind === 'study' && this.current.live !== 'stopped') this.setStudy({ live: 'polling' });
    this.startPolling();
  }

  private startPolling(): void {
    if (this.pollTimer !== null || this.disposed) return;
    this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
  }

  private stopPolling(): void {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private async poll(): Promise<void> {
    await this.refresh();
    // The coordinator answers again: try the stream again, which ends the polling once it delivers.
    if (this.current.kind === 'study' && !this.current.error && !this.stopWatching) this.watch();
  }

  private errorKind(): LoadError['kind'] | null {
    return this.current.error?.kind ?? null;
  }

  private setList(patch: Partial<Omit<StudyListState, 'kind'>>): void {
    if (this.current.kind !== 'list') return;
    this.emit({ ...this.current, ...patch });
  }

  private setStudy(patch: Partial<Omit<StudyPageState, 'kind' | 'id'>>): void {
    if (this.current.kind !== 'study') return;
    this.emit({ ...this.current, ...patch });
  }

  private emit(next: PublicStudyState): void {
    if (this.disposed) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }
}

/** What the validated results file depends on: a new valid result, or a revocation withdrawing some. */
function validResults(progress: Progress): string {
  return `${progress.results.valid ?? 0}/${progress.results.withdrawn ?? 0}`;
}

export function loadError(error: unknown): LoadError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CoordinatorError) {
    // Unreachable: nothing that speaks the API answered. ≥ 500: the coordinator itself failed.
    if (error.unreachable || error.status >= 500) return { kind: 'unreachable', message };
    if (error.status === 404) return { kind: 'not-found', message };
    return { kind: 'refused', message };
  }
  // A schema failure on an answer: the coordinator answered something this page cannot read.
  return { kind: 'refused', message };
}
