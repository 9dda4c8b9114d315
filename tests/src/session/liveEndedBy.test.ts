/**
 * The one rule for how a live run ended (src/session/liveEndedBy.ts), shared by `axon run` and
 * `axon teleop`, and the exit code the CLI gives each end (src/cli/exitCodes.ts failLiveRun):
 * docs/safety.md "How a run ends".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { liveEndedBy, type LiveEndedBy } from '../../../src/session/index.ts';
import { EXIT_SAFE_STOPPED, failLiveRun } from '../../../src/cli/exitCodes.ts';

const stop = { kind: 'stale_observation', reason: 'stale observation for 3 ticks', time: 1.25 };

describe('liveEndedBy: the rule runLive and runTeleop share', () => {
  // [what happened, faulted, signalled, held in its own stop at the end, ended_by]
  const table: [string, boolean, boolean, boolean, LiveEndedBy][] = [
    ['ran to its end', false, false, false, 'duration'],
    ["the operator's Ctrl-C", false, true, false, 'signal'],
    ['a robot fault', true, false, false, 'fault'],
    ['a fault, then a signal', true, true, false, 'fault'],
    ["the supervisor's own stop, then a fault (a bus gone silent after stale reads)", true, false, true, 'fault'],
    ['own stop, then a signal, then a fault', true, true, true, 'fault'],
    ["the supervisor's own stop, held to the end", false, false, true, 'safe_stop'],
    ['own stop, then a signal', false, true, true, 'safe_stop'],
    ['own stop, re-armed by the operator, run to its end', false, false, false, 'duration'],
    ['own stop, re-armed, then a signal', false, true, false, 'signal'],
  ];
  it.each(table)('%s', (_what, faulted, signalled, held, want) => {
    expect(liveEndedBy({ faulted, signalled, ownStop: held ? stop : undefined })).toBe(want);
  });
});

describe('failLiveRun: the exit code of each end', () => {
  const before = process.exitCode;
  afterEach(() => {
    process.exitCode = before;
    vi.restoreAllMocks();
  });
  const msg = (f: string) => `run ended on a robot fault: ${f}`;

  it('fault: throws (exit 1) naming the faults, also when the supervisor had stopped first', () => {
    expect(() => failLiveRun({ endedBy: 'fault', safety: { ownStop: stop } }, ['servo 3 overload'], msg)).toThrow('run ended on a robot fault: servo 3 overload');
  });

  it("safe_stop: exit 5 with one line naming the supervisor's stop", () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    failLiveRun({ endedBy: 'safe_stop', safety: { ownStop: stop } }, [], msg);
    expect(process.exitCode).toBe(EXIT_SAFE_STOPPED);
    expect(String(err.mock.calls[0][0])).toContain('stale observation for 3 ticks');
  });

  it('signal and duration leave the exit code as it is', () => {
    process.exitCode = undefined;
    failLiveRun({ endedBy: 'signal', safety: {} }, [], msg);
    failLiveRun({ endedBy: 'duration', safety: {} }, [], msg);
    expect(process.exitCode).toBeUndefined();
  });

  it("a fault in the robot's own event log fails the run even when the loop did not see it", () => {
    expect(() => failLiveRun({ endedBy: 'duration', safety: {} }, ['bus silent for 40 cycles'], msg)).toThrow('bus silent for 40 cycles');
  });
});
