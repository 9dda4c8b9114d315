/** `x` rounded to `digits` decimals (summaries, never the tick path). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
