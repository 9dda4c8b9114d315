/**
 * Errors are data (docs/style.md 5): every error axon raises for bad input carries a stable `code`,
 * the thing it is about (`where`: a file, element, field, flag or byte offset) and what was
 * expected, so that the CLI can print one clear line and tests can match on the code.
 */
export class AxonError extends Error {
  /** Stable machine-readable code, e.g. `URDF_MISSING_LINK`, `MANIFEST_FIELD`, `CLI_FLAG`. */
  readonly code: string;
  /** The offending thing: a file path, an XML element, a JSON pointer, a flag name. */
  readonly where: string;
  /** What was expected there, in words. */
  readonly expected: string | undefined;
  /** What is wrong, alone (the message without `where` and `expected`): for a caller that names the thing differently (`ROBOT on PORT`) without repeating it. */
  readonly detail: string;

  constructor(code: string, where: string, message: string, expected?: string) {
    super(expected === undefined ? `${where}: ${message}` : `${where}: ${message} (expected ${expected})`);
    this.name = new.target.name;
    this.code = code;
    this.where = where;
    this.expected = expected;
    this.detail = message;
  }
}

/** A command-line flag or argument that cannot be used. The CLI exits with code 2. */
export class UsageError extends AxonError {
  constructor(flag: string, message: string, expected?: string) {
    super('CLI_USAGE', flag, message, expected);
  }
}

/**
 * An error as plain data, to cross a worker thread's postMessage: structured cloning keeps an
 * Error's message but drops `code`, `where` and `expected`, so an AxonError raised in a worker
 * would reach the CLI as a bare failure (exit 1) instead of bad input (exit 2).
 */
export interface ErrorData {
  readonly message: string;
  readonly code?: string;
  readonly where?: string;
  readonly expected?: string;
}

export function errorData(e: unknown): ErrorData {
  if (e instanceof AxonError) return { message: e.message, code: e.code, where: e.where, ...(e.expected !== undefined ? { expected: e.expected } : {}) };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** The error errorData described, rebuilt on this thread: an AxonError (same code, where, expected and message) when it was one. */
export function errorFromData(d: ErrorData): Error {
  if (d.code === undefined || d.where === undefined) return new Error(d.message);
  const e = new AxonError(d.code, d.where, '', d.expected);
  e.message = d.message;
  return e;
}

/**
 * A thrown error's message on one line, at most 160 characters: parsers quote the text around a
 * fault, newlines and all, and an AxonError is one line on stderr.
 */
export function oneLineMessage(e: unknown): string {
  const t = String((e as Error)?.message ?? e).replace(/\s+/g, ' ').trim();
  return t.length > 160 ? `${t.slice(0, 157)}...` : t;
}
