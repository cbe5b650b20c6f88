/**
 * npm run analyze -- FILE... [--baseline CONFIGHASH] [--format text|csv|json]
 *
 * The workbench's per-class analysis, headless: results files (written by
 * `npm run study`, exported by the workbench, or downloaded from a public
 * study) are read and pooled exactly as the workbench pools imported files,
 * with the workbench's messages when they cannot be, and analysed against the
 * baseline: the first file's study baseline, or the config whose hash (or a
 * unique prefix of it, 8 characters at least) --baseline gives.
 *
 * stdout: a readable report (text), the workbench's per-class CSV (csv), or
 * one JSON object (json; its fields are in README.md, "The statistics").
 * Duplicate runs (a config and seed given twice) are noted on stderr and kept
 * once. Refused input prints `error: <why>` and exits 2.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readResultsFile, type ImportedResults } from '../app/comparison';
import { analyzeRuns, DatasetMismatchError, type RunOutcome, type StudyAnalysis } from '../study/analysis';
import { analysisJson, analysisText, perClassCsv } from '../study/analysis-report';

const FORMATS = ['text', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: npm run analyze -- FILE... [--baseline CONFIGHASH] [--format ${FORMATS.join('|')}]
  FILE        results files (classwise.results/1): from npm run study, the workbench's export, a public study
  --baseline  the baseline config's hash, or a unique prefix of it (default: the first file's study baseline)
  --format    text (default): a readable report; csv: the workbench's per-class CSV; json: one object`;

/** Input the analysis refuses: printed as `error: …`, exit status 2. */
class RefusedInput extends Error {}

const short = (hash: string) => hash.slice(0, 12);

async function readAll(paths: string[]): Promise<ImportedResults[]> {
  const files: ImportedResults[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new RefusedInput(`${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    const alongside: RunOutcome[] = files.flatMap((f) => f.runs);
    // The workbench's own reader and messages: not JSON, not a results file, no runs, another dataset.
    files.push(await readResultsFile(path, text, alongside).catch((error: Error) => Promise.reject(new RefusedInput(error.message))));
  }
  return files;
}

/** The config --baseline names: its full hash, or a prefix only one config's hash starts with. */
function baselineHash(prefix: string, files: ImportedResults[]): string {
  const hashes = new Map<string, string>();
  for (const file of files) for (const run of file.runs) hashes.set(run.configHash, file.fileName);
  const matches = [...hashes.keys()].filter((h) => h.startsWith(prefix.toLowerCase()));
  const known = () => [...hashes].map(([h, f]) => `  ${short(h)} (in ${f})`).join('\n');
  if (prefix.length < 8 && prefix.length !== 64) throw new RefusedInput(`--baseline ${prefix}: give at least 8 characters of the config hash; the configs are:\n${known()}`);
  if (matches.length === 0) throw new RefusedInput(`--baseline ${prefix} matches no config in ${files.map((f) => f.fileName).join(', ')}; the configs are:\n${known()}`);
  if (matches.length > 1) throw new RefusedInput(`--baseline ${prefix} matches ${matches.length} configs (${matches.map(short).join(', ')}); give more of the hash`);
  return matches[0]!;
}

function analyse(files: ImportedResults[], baseline: string | undefined): StudyAnalysis {
  const runs = files.flatMap((f) => f.runs);
  const first = files[0]!;
  let analysis: StudyAnalysis;
  try {
    analysis = analyzeRuns(runs, baseline ?? first.baseline);
  } catch (error) {
    if (error instanceof DatasetMismatchError) throw new RefusedInput(error.message);
    throw error;
  }
  if (!analysis.baseline) {
    throw new RefusedInput(`the baseline of ${first.fileName} (study "${first.studyName}") has no runs in ${files.map((f) => f.fileName).join(', ')}; name one with --baseline`);
  }
  if (analysis.comparisons.length === 0) {
    const others = analysis.notComparable.map((x) => `\n  ${x.group.label} (${short(x.group.configHash)}): ${x.reason}`).join('');
    throw new RefusedInput(
      `no config in ${files.map((f) => f.fileName).join(', ')} can be compared with the baseline ${analysis.baseline.label} (${short(analysis.baseline.configHash)}): ` +
        (others ? `each differs from it by more than regularization:${others}` : 'the files hold runs of the baseline only'),
    );
  }
  return analysis;
}

/** What one invocation printed, and its exit status. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command on its arguments (what follows `npm run analyze --`); main() below prints it. */
export async function analyzeCommand(args: string[]): Promise<CommandOutput> {
  const stderr: string[] = [];
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { baseline: { type: 'string' }, format: { type: 'string', default: 'text' }, help: { type: 'boolean', default: false } } });
    } catch (error) {
      throw new RefusedInput(`${(error as Error).message}\n\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (values.help) return { code: 0, stdout: `${USAGE}\n`, stderr: '' };
    const format = values.format as Format;
    if (!FORMATS.includes(format)) throw new RefusedInput(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"\n\n${USAGE}`);
    if (positionals.length === 0) throw new RefusedInput(`give one or more results files\n\n${USAGE}`);
    const files = await readAll(positionals);
    const analysis = analyse(files, values.baseline === undefined ? undefined : baselineHash(values.baseline, files));
    for (const d of analysis.duplicates) {
      stderr.push(`note: ${d.runs} runs of ${d.label} (${short(d.configHash)}) seed ${d.seed}; one kept (a finished run over a provisional one, else the last given)\n`);
    }
    const stdout = format === 'json' ? JSON.stringify(analysisJson(analysis), null, 2) + '\n' : format === 'csv' ? perClassCsv(analysis) : analysisText(analysis);
    return { code: 0, stdout, stderr: stderr.join('') };
  } catch (error) {
    if (error instanceof RefusedInput) return { code: 2, stdout: '', stderr: `${stderr.join('')}error: ${error.message}\n` };
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  analyzeCommand(process.argv.slice(2)).then(
    ({ code, stdout, stderr }) => {
      process.stdout.write(stdout);
      process.stderr.write(stderr);
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
