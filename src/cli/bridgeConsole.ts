/**
 * `axon bridge`'s operator console on a terminal: `e` e-stop, `r` reset, `s` status, `q` quit
 * (docs/bridge.md). The stop key acts on the key: on a terminal stdin is put in raw mode and each
 * keypress is handled at once, no Enter needed, so `e` typed twice in a hurry is two stops, not an
 * unknown command. Where raw mode is not to be had, stdin is read by lines, and a line with an `e`
 * anywhere in it is an e-stop first (the rest of the line is not acted on, and the operator is told).
 * Raw mode swallows Ctrl-C's signal: the key itself quits, as the signal would. Any key named `e`
 * is a stop (Alt+e, Esc then `e`, Ctrl-E); another control key, or a lone Esc, prints the help.
 *
 * Off the tick: keys come on the event loop, rarely.
 */
import { createInterface, emitKeypressEvents } from 'node:readline';

/** What the console drives (a BridgeServer). */
export interface ConsoleServer {
  readonly robotState: string;
  readonly commanderId: number | undefined;
  estop(reason: string): void;
  reset(reason: string): void;
  stats(): unknown;
}

export interface OperatorConsole {
  /** One keypress (a single character; '\u0003' is Ctrl-C). */
  key(ch: string): void;
  /** One line (line mode, where raw keys cannot be had). */
  line(text: string): void;
}

/** The console's help line, printed on a key or line it does not know. */
export const CONSOLE_HELP = "operator: 'e' e-stop, 'r' reset, 's' status, 'q' quit";

/**
 * The operator console over `server`: `say` prints a line, `quit` ends serving.
 */
export function operatorConsole(server: ConsoleServer, say: (s: string) => void, quit: () => void): OperatorConsole {
  const reset = () => {
    if (server.robotState === 'safe-stop' || server.robotState === 'e-stopped') server.reset('console');
    else say(`nothing to reset: robot is ${server.robotState}`);
  };
  const status = () => say(`robot ${server.robotState}, commander ${server.commanderId ?? 'none'}, ${JSON.stringify(server.stats())}`);
  return {
    key(ch) {
      if (ch === 'e' || ch === 'E') server.estop('console');
      else if (ch === '\u0003' || ch === 'q' || ch === 'Q') quit();
      else if (ch === 'r' || ch === 'R') reset();
      else if (ch === 's' || ch === 'S') status();
      else if (ch === '\r' || ch === '\n' || ch === ' ' || ch === '\t') return;
      else say(CONSOLE_HELP);
    },
    line(text) {
      const cmd = text.trim().toLowerCase();
      if (cmd.includes('e')) {
        // Stop first, explain after: a line made of stop keys (or with one in it) is never "unknown".
        server.estop('console');
        const rest = cmd.replace(/e/g, '').trim();
        if (rest.length > 0) say(`e-stop (the line had an 'e'); the rest of it, "${rest.slice(0, 40)}", was not acted on`);
        return;
      }
      if (cmd === 'r') reset();
      else if (cmd === 's' || cmd === 'status') status();
      else if (cmd === 'q' || cmd === 'quit') quit();
      else if (cmd.length > 0) say(CONSOLE_HELP);
    },
  };
}

/** The stdin a console reads (process.stdin, or a stand-in in tests). */
export interface ConsoleInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * Feeds `input` to the console: raw keypresses when it is a terminal that can go raw, else lines.
 * Returns how the console was read and a function that detaches it (and leaves raw mode).
 */
export function attachConsole(input: ConsoleInput, c: OperatorConsole): { readonly mode: 'keys' | 'lines'; detach(): void } {
  if (input.isTTY === true && typeof input.setRawMode === 'function') {
    emitKeypressEvents(input);
    input.setRawMode(true);
    const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean; meta?: boolean; sequence?: string } | undefined) => {
      const name = key?.name;
      if (key?.ctrl === true && name === 'c') return c.key('\u0003');
      // A key named e is a stop whatever came with it: Node's decoder joins Esc and a key typed
      // within 500 ms into one meta key (Alt+e reads the same), and Ctrl-E is a stop too.
      if (name === 'e') return c.key('e');
      // Any other control key (Ctrl-Z, Ctrl-\, a lone Esc) does nothing here: say what does.
      if (key?.ctrl === true || name === 'escape') return c.key(key?.sequence ?? '\u001b');
      // Esc or Alt then a letter or digit: the key itself (Esc means nothing to this console).
      if (key?.meta === true && name !== undefined && name.length === 1) return c.key(name);
      // A printable key (escape sequences such as the arrows come with no single character).
      if (str !== undefined && str.length === 1) c.key(str);
    };
    input.on('keypress', onKey);
    input.resume();
    return {
      mode: 'keys',
      detach() {
        input.off('keypress', onKey);
        input.setRawMode?.(false);
        input.pause();
      },
    };
  }
  const rl = createInterface({ input });
  rl.on('line', (l) => c.line(l));
  return { mode: 'lines', detach: () => rl.close() };
}
