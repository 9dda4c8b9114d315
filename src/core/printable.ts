/**
 * Text from elsewhere (a bridge server's robot name, a recording's file name) made safe to print on
 * an operator's terminal: a character that a terminal acts on instead of showing, or that reorders
 * what follows, is written as its `\uXXXX` escape. ESC and the other C0 controls (a colour, a
 * cursor move, a cleared screen), DEL, the C1 controls (U+009B is a one-byte CSI), the line and
 * paragraph separators, and the bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069: "Trojan Source", CVE-2021-42574) are escaped; every other character, and a
 * string without those, is left as it is.
 */

/** The characters printable() escapes, as a regular-expression class body (a schema pattern refuses them with it). */
export const UNPRINTABLE_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'g');

/** `s` with each character a terminal would act on written as `\uXXXX` (see the file's comment). */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}


/** How many characters of an error line errorLine() keeps: any line, and one that quotes unprintable (binary) input. */
export const ERROR_LINE_MAX = 2000;
export const ERROR_LINE_MAX_BINARY = 300;

/**
 * An error message as one printable line: parsers quote the input they choked on (V8's JSON.parse
 * the first bytes of a PNG, NUL and newlines included; the yaml library a whole binary "token",
 * 18 KB once), and docs/cli.md promises one line on stderr. What a terminal would act on is
 * escaped (printable(): newlines too), and U+FFFD (bytes that were not UTF-8). A message that had
 * either quotes binary input (axon's own messages have none): it is cut at ERROR_LINE_MAX_BINARY
 * characters, any other at ERROR_LINE_MAX, saying how much was cut.
 */
export function errorLine(message: string): string {
  // U+FFFD: bytes that were not UTF-8 (a binary file read as text), escaped too.
  const p = printable(message).replace(/\uFFFD/g, '\\ufffd');
  const max = p === message ? ERROR_LINE_MAX : ERROR_LINE_MAX_BINARY;
  return p.length > max ? `${p.slice(0, max)}... (${p.length - max} more characters cut)` : p;
}
