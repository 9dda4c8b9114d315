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

/** How many characters of an error message that quotes binary input errorLine() keeps. */
export const ERROR_LINE_MAX_BINARY = 300;

/** What binary input quoted in a message shows as: a control character other than tab and newline, or U+FFFD (bytes that were not UTF-8). */
const BINARY = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\uFFFD]`);

/**
 * An error message as stderr gets it. Parsers quote the input they choked on (V8's JSON.parse the
 * first bytes of a PNG, NUL and CR included; the yaml library a whole binary "token", 18 KB once):
 * a message with a character printable() escapes (other than the newlines of axon's own lists)
 * or U+FFFD quotes binary input, and becomes one line, escaped (U+FFFD as `\ufffd` too), cut at
 * ERROR_LINE_MAX_BINARY characters with the count cut. Any other message is left as it is.
 */
export function errorLine(message: string): string {
  if (!BINARY.test(message)) return message;
  const p = printable(message).replace(/\uFFFD/g, '\\ufffd');
  return p.length > ERROR_LINE_MAX_BINARY ? `${p.slice(0, ERROR_LINE_MAX_BINARY)}... (${p.length - ERROR_LINE_MAX_BINARY} more characters cut)` : p;
}

/** A word of a command line as a shell reads it back: quoted when it holds anything but plain path characters. */
export function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}
