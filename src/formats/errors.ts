/**
 * The one error every data-format parser throws: the file it was reading and
 * what is wrong with it, so a CLI can print `error: <file>: <problem>` and the
 * workbench can show the same line.
 *
 * Pure: no tfjs, no DOM; runs in Node and in a Web Worker.
 */
export class FormatError extends Error {
  constructor(
    /** The file (or URL, or archive member) that is wrong. */
    readonly file: string,
    /** What is wrong with it, without the file name. */
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'FormatError';
  }
}
