/**
 * The process signals that end a live run (`axon run`, `axon teleop`, `axon sim`, `axon bridge`),
 * and what happens to the ones that come after.
 *
 * Ctrl-C (SIGINT), `kill` (SIGTERM), a closed terminal or a dropped SSH session (SIGHUP) and
 * Ctrl-\ (SIGQUIT) all end the run the same way: once, through `onStop`, and the run then closes
 * its robot into its safe state (hold or torque off). A servo bus has no watchdog of its own on
 * every servo (Feetech STS), so dying on the signal's default action would leave the arm torqued.
 *
 * Signals after the first are absorbed (one line says so) until dispose(), which the run calls
 * once the robot is closed: a second Ctrl-C cannot kill the process between the stop and the
 * robot's safe stop. The bound: if the run has not closed `boundS` after the first signal
 * (default CLOSE_BOUND_S) the process exits with code 1 and says so, so that a close that hangs
 * (a bus that stopped answering, a stuck policy thread) cannot keep it alive forever.
 */

/** The signals that end a live run. SIGQUIT is not delivered on Windows and is not listened for there. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** s from the first stop signal to a hard exit (code 1) when the run has not closed by then. */
export const CLOSE_BOUND_S = 5;

/** The exit code of the hard exit: a failed run (src/cli/exitCodes.ts EXIT_FAILED). */
export const EXIT_CLOSE_HUNG = 1;

export interface StopSignalsOptions {
  /** s from the first signal to the hard exit (default CLOSE_BOUND_S). */
  readonly boundS?: number;
  /** Names what is closing in the lines printed (default 'the run'). */
  readonly what?: string;
  /** Where the lines go (default stderr). */
  readonly log?: (line: string) => void;
  /** The hard exit (default process.exit); tests inject their own. */
  readonly exit?: (code: number) => void;
}

export interface StopSignalGuard {
  /** The first stop signal, once one came. */
  readonly signal: NodeJS.Signals | undefined;
  /** Stops listening and cancels the hard exit: call it once the robot is closed. Idempotent. */
  dispose(): void;
}

/**
 * Listens for STOP_SIGNALS: the first calls `onStop(signal)` and starts the bound; later ones are
 * absorbed (logged once). Install it before the robot connects (a servo's torque goes on there).
 */
export function onStopSignals(onStop: (signal: NodeJS.Signals) => void, o: StopSignalsOptions = {}): StopSignalGuard {
  const boundS = o.boundS ?? CLOSE_BOUND_S;
  const what = o.what ?? 'the run';
  const log = o.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let first: NodeJS.Signals | undefined;
  let told = false;
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  const handler = (signal: NodeJS.Signals) => {
    if (disposed) return;
    if (first === undefined) {
      first = signal;
      // Unref'd: a run that closes in time exits as it would have; only a hang meets it.
      timer = setTimeout(() => {
        log(`axon: ${what} did not close within ${boundS} s of ${first}: exiting (code ${EXIT_CLOSE_HUNG}); the robot may not have reached its safe state`);
        exit(EXIT_CLOSE_HUNG);
      }, boundS * 1000);
      timer.unref();
      onStop(signal);
      return;
    }
    if (told) return;
    told = true;
    log(`axon: ${signal} ignored: ${what} is stopping and closing the robot into its safe state (hard exit after ${boundS} s)`);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get signal() {
      return first;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const s of STOP_SIGNALS) process.off(s, handler);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
