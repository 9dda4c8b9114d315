/**
 * `axon bridge`'s operator console (src/cli/bridgeConsole.ts): the stop key acts on the key, with
 * no Enter, and a line with a stop key in it is a stop first; the console drives a real server.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachConsole, CONSOLE_HELP, operatorConsole, type ConsoleInput } from '../../../src/cli/bridgeConsole.ts';
import { startServer, waitUntil } from '../../hardware/bridge/helpers.ts';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** A terminal's stdin: a stream that says it is a TTY and records its raw mode. */
function fakeTty(): PassThrough & ConsoleInput & { raw: boolean[] } {
  const s = new PassThrough() as PassThrough & ConsoleInput & { raw: boolean[]; isTTY: boolean };
  s.raw = [];
  s.isTTY = true;
  s.setRawMode = (m: boolean) => s.raw.push(m);
  return s;
}

async function served(): Promise<{ s: BridgeServer; said: string[]; quits: number[] }> {
  const s = await startServer();
  open.push(s);
  return { s, said: [], quits: [] };
}

describe('the bridge console', () => {
  it('on a terminal, the key e e-stops at once, no Enter; "ee" is two stops, not an unknown command', async () => {
    const { s, said, quits } = await served();
    const tty = fakeTty();
    const att = attachConsole(tty, operatorConsole(s, (l) => said.push(l), () => quits.push(1)));
    expect(att.mode).toBe('keys');
    expect(tty.raw).toEqual([true]);
    tty.write('e');
    await waitUntil(() => s.robotState === 'e-stopped', 'the e-stop on the key alone');
    tty.write('r');
    await waitUntil(() => s.robotState === 'idle', 'the reset');
    tty.write('ee');
    await waitUntil(() => s.robotState === 'e-stopped', 'the e-stop');
    expect(said).toEqual([]);
    tty.write('\u0003'); // Ctrl-C in raw mode is a key, not a signal: it quits
    await waitUntil(() => quits.length === 1, 'quit on Ctrl-C');
    att.detach();
    expect(tty.raw).toEqual([true, false]);
  });

  it('an arrow key is ignored, an unknown key prints the help', async () => {
    const { s, said } = await served();
    const tty = fakeTty();
    const att = attachConsole(tty, operatorConsole(s, (l) => said.push(l), () => {}));
    tty.write('\u001b[A');
    tty.write('x');
    await waitUntil(() => said.length === 1, 'the help');
    expect(said).toEqual([CONSOLE_HELP]);
    expect(s.robotState).toBe('idle');
    att.detach();
  });

  it('Esc then e (joined by the key decoder into one meta key) or Alt+e is a stop; Ctrl-Z and a lone Esc print the help', async () => {
    const said: string[] = [];
    const estops: string[] = [];
    const server = { robotState: 'running', commanderId: 1, estop: (r: string) => estops.push(r), reset: () => {}, stats: () => ({}) };
    const tty = fakeTty();
    const att = attachConsole(tty, operatorConsole(server, (l) => said.push(l), () => {}));
    tty.write('\u001be'); // what a terminal sends for Alt+e, and for Esc then e within 500 ms
    await waitUntil(() => estops.length === 1, 'the e-stop on Esc+e');
    expect(said).toEqual([]);
    tty.write('\u001a'); // Ctrl-Z: raw mode took its signal; the console says what the keys are
    await waitUntil(() => said.length === 1, 'the help on Ctrl-Z');
    tty.write('\u001b'); // a lone Esc, reported once the decoder's 500 ms have passed
    await waitUntil(() => said.length === 2, 'the help on Esc');
    expect(said).toEqual([CONSOLE_HELP, CONSOLE_HELP]);
    tty.write('\u0005'); // Ctrl-E
    await waitUntil(() => estops.length === 2, 'the e-stop on Ctrl-E');
    expect(estops).toEqual(['console', 'console']);
    att.detach();
  });

  it('read by lines (no raw mode), a line with an e in it is an e-stop first', async () => {
    const { s, said } = await served();
    const input = new PassThrough();
    const att = attachConsole(input, operatorConsole(s, (l) => said.push(l), () => {}));
    expect(att.mode).toBe('lines');
    input.write('ee\n');
    await waitUntil(() => s.robotState === 'e-stopped', 'the e-stop on "ee"');
    expect(said).toEqual([]);
    input.write('r\n');
    await waitUntil(() => s.robotState === 'idle', 'the reset');
    input.write('reset\n'); // has an e: stop first, and say the rest was not acted on
    await waitUntil(() => s.robotState === 'e-stopped', 'the e-stop on "reset"');
    expect(said).toEqual([`e-stop (the line had an 'e'); the rest of it, "rst", was not acted on`]);
    att.detach();
  });
});
