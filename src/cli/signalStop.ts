import { constants } from 'node:os';

/**
 * Ctrl-C / SIGTERM for a command that ends its work cleanly (eval, in all its modes; docs/eval.md,
 * "Ending an eval early"): the first SIGINT or SIGTERM aborts `signal`, its reason the signal's
 * name. Both handlers come off at the first, so a second signal of either kind kills the process at
 * once (Node's default). `release()` takes them off when the work ended by itself.
 */
export function stopOnSignal(): { readonly signal: AbortSignal; release(): void } {
  const stop = new AbortController();
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    release();
    stop.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: stop.signal, release };
}

/** 128 + the signal's number (130 SIGINT, 143 SIGTERM): what a shell reports for a process the signal ended. */
export function signalExitCode(sig: string): number {
  return 128 + (constants.signals[sig as NodeJS.Signals] ?? 0);
}
