import { constants } from 'node:os';
import { STOP_SIGNALS } from '../session/stopSignals.ts';

/**
 * Ctrl-C / SIGTERM / SIGHUP / SIGQUIT (STOP_SIGNALS: an SSH session dropping sends SIGHUP) for a
 * command that ends its work cleanly (eval, in all its modes; docs/eval.md, "Ending an eval
 * early"): the first aborts `signal`, its reason the signal's name. Every handler comes off at the
 * first, so a second signal of any kind kills the process at once (Node's default). `release()`
 * takes them off when the work ended by itself.
 */
export function stopOnSignal(): { readonly signal: AbortSignal; release(): void } {
  const stop = new AbortController();
  const release = () => {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    release();
    stop.abort(sig);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return { signal: stop.signal, release };
}

/** 128 + the signal's number (130 SIGINT, 143 SIGTERM): what a shell reports for a process the signal ended. */
export function signalExitCode(sig: string): number {
  return 128 + (constants.signals[sig as NodeJS.Signals] ?? 0);
}

/**
 * Ends a process that printed its summary but holds `stuck` worker threads blocked in native code
 * (src/eval/pool.ts, PoolEnd.stuck). Node joins every thread at exit and cannot join such a one:
 * leaving main, process.exit() and process.reallyExit() all hang. The signal the operator sent ends
 * it instead, by its default action (stopOnSignal's handlers must be off): exit 128 + N, said on stderr.
 */
export async function endPastStuckThreads(stuck: number, sig: NodeJS.Signals): Promise<void> {
  process.stderr.write(`axon: ${stuck} worker thread${stuck > 1 ? 's are' : ' is'} blocked in native code and cannot be ended; Node cannot exit while ${stuck > 1 ? 'they run' : 'it runs'}: ending the process by ${sig} (exit ${signalExitCode(sig)})\n`);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  await new Promise<void>((r) => process.stderr.write('', () => r()));
  process.kill(process.pid, sig);
}
