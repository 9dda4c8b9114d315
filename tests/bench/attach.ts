/**
 * What a loop bench attaches to a live run, as the CLI's `--record` and `--view` do: the MCAP
 * recorder (its writer thread started first, as `axon run --record` does before the robot is
 * opened), or the viewer with one page's socket connected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Robot } from '../../src/core/robot.ts';
import type { ControlLoop } from '../../src/loop/ControlLoop.ts';
import { attachRecorder, prepareRecorderThread, type Recorder } from '../../src/record/index.ts';
import type { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { attachViewer, type Viewer } from '../../src/viewer/index.ts';

export type Attach = 'record' | 'view';

export interface Attached {
  /** Call from runLive's onLoop. */
  onLoop(loop: ControlLoop, safety: SafetySupervisor, robot: Robot, period: number): void;
  /** After the run: closes what was attached and removes the recording. */
  close(): Promise<void>;
}

/** Readies `kind` (nothing when undefined); call before the robot is opened. */
export async function prepareAttach(kind: Attach | undefined): Promise<Attached> {
  const dir = kind === 'record' ? mkdtempSync(join(tmpdir(), 'axon-bench-live-')) : undefined;
  if (dir) {
    prepareRecorderThread();
    await new Promise((r) => setTimeout(r, 1000));
  }
  let recorder: Recorder | undefined;
  let viewer: Promise<Viewer> | undefined;
  let ws: WebSocket | undefined;
  return {
    onLoop(loop, safety, robot, period) {
      if (dir) recorder = attachRecorder(loop, { spec: robot.spec, period }, join(dir, 'run.mcap'));
      if (kind === 'view')
        viewer = attachViewer(loop, safety, robot, { port: 0 }).then(async (v) => {
          ws = new WebSocket(v.url.replace('http://', 'ws://').replace('/?', '/ws?'));
          await new Promise((res) => ws!.once('open', res));
          return v;
        });
    },
    async close() {
      await recorder?.close();
      ws?.close();
      await (await viewer)?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
