/**
 * Test helper (also run as a script by the killed-run test): a cartpole episode under the shipped
 * policy with the recorder attached, as `axon sim --record FILE` wires it.
 *   npx tsx tests/src/record/recordRun.ts FILE SECONDS   (fast; prints "recording" once started)
 */
import { openSimSession, runEpisode, traceWorldModel } from '../../../src/cli/wiring.ts';
import { attachRecorder, type RecorderOptions, type RecorderSummary, type RecordingFailure } from '../../../src/record/index.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import type { WorldModelOptions } from '../../../src/cli/wiring.ts';

export interface RecordedRun {
  readonly summary: RecorderSummary;
  /** Joint positions and sent targets copied by an independent records$ subscriber, per tick. */
  readonly seen: { seq: number; pos: number[]; sent: number[]; surprise?: number }[];
}

/** `traceRows`: with a plan or shield world model, keep its rollouts and record the predicted trajectory (as `sim --record`). */
export async function recordRun(
  file: string,
  seconds: number,
  o: RecorderOptions & { estopAtSeq?: number; realtime?: boolean; worldModel?: WorldModelOptions; traceRows?: number; actionNoise?: number; failures?: (RecordingFailure & { seenTicks: number })[] } = {},
): Promise<RecordedRun> {
  const s = await openSimSession({ robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500, worldModel: o.worldModel, ...(o.actionNoise ? { actionNoise: o.actionNoise } : {}) });
  const seen: RecordedRun['seen'] = [];
  let rec: ReturnType<typeof attachRecorder> | undefined;
  try {
    await runEpisode(s, { seed: 3, randomize: true, durationS: seconds, realtime: o.realtime ?? false, continueAfterTerminate: true }, (loop, { safety, worldModel: wm }) => {
      const worldModel = o.traceRows ? traceWorldModel(wm, o.traceRows) : undefined;
      // o.failures: each onFailure call, with the ticks the loop had emitted by then (reported during the run, or only at close).
      const onFailure = o.failures ? (f: RecordingFailure) => o.failures!.push({ ...f, seenTicks: seen.length }) : o.onFailure;
      rec = attachRecorder(loop, { spec: s.robot.spec, manifest: s.folder.manifest, worldModelManifest: s.worldModel?.folder.manifest, period: s.period, run: { command: 'sim', robot: 'cartpole', seed: 3 }, ...(worldModel ? { worldModel } : {}) }, file, { ...o, ...(onFailure ? { onFailure } : {}) });
      loop.records$.subscribe((r: TickRecord) => {
        seen.push({ seq: r.seq, pos: Array.from(r.observation.jointPosition), sent: Array.from(r.sent.target), ...(r.worldModel ? { surprise: r.worldModel.surprise } : {}) });
        if (r.seq === o.estopAtSeq) safety.estop('test e-stop', r.time, r.seq);
      });
      if (process.env.AXON_RECORD_SCRIPT) console.log('recording');
    });
    return { summary: await rec!.close(), seen };
  } finally {
    await s.close();
  }
}

if (process.argv[1]?.endsWith('recordRun.ts') && process.argv[2]) {
  process.env.AXON_RECORD_SCRIPT = '1';
  await recordRun(process.argv[2], Number(process.argv[3] ?? 600), { chunkSeconds: 0.2 });
}
