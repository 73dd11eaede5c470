/** A history file that cannot be read as its format says; `line` is 1-based. */
export class HistoryParseError extends Error {
  readonly code = 'HISTORY_PARSE_ERROR';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}
