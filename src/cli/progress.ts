/**
 * A progress bar on a terminal (stderr), nothing when stderr is not a TTY (CI logs, pipes): a
 * `--json` run's stdout stays one JSON line either way.
 */
export function progressLine(total: number, label = 'episodes'): ((done: number, of?: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const t0 = performance.now();
  return (done, of = total) => {
    const width = 30;
    const filled = Math.round((done / of) * width);
    const rate = done / Math.max(1e-3, (performance.now() - t0) / 1000);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${of} ${label} ${rate.toFixed(1)}/s`);
    if (done >= of) process.stderr.write('\n');
  };
}
