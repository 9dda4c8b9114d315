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

  constructor(code: string, where: string, message: string, expected?: string) {
    super(expected === undefined ? `${where}: ${message}` : `${where}: ${message} (expected ${expected})`);
    this.name = new.target.name;
    this.code = code;
    this.where = where;
    this.expected = expected;
  }
}

/** A command-line flag or argument that cannot be used. The CLI exits with code 2. */
export class UsageError extends AxonError {
  constructor(flag: string, message: string, expected?: string) {
    super('CLI_USAGE', flag, message, expected);
  }
}
