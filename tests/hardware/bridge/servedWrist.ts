/**
 * The vendor wrist (tests/helpers/vendorWrist.ts) served by a bridge server as `axon bridge --urdf`
 * sets it up, unpaced on virtual time, with a commanding raw client: what the bridge tests of a
 * served robot file share. `wristFrame` is a command frame for its 3 joints.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import type { BridgeServer, BridgeServerOptions } from '../../../hardware/bridge/index.ts';
import { openServedRobot } from '../../../src/cli/bridgeRobot.ts';
import { VirtualTime } from '../../../src/clock/VirtualTime.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { writeVendorWrist } from '../../helpers/vendorWrist.ts';
import { RawClient, startServer } from './helpers.ts';

/** A command frame of `mode` for the wrist's 3 joints (the spec's gains). */
export function wristFrame(mode: 'position' | 'effort', seq: number, values: number[]): Buffer {
  const b = Buffer.alloc(commandBytes(3, 2));
  encodeCommand(b, 3, seq, 0, 0, { mode, target: Float64Array.from(values) });
  return b;
}

export interface ServedWrist {
  readonly s: BridgeServer;
  readonly c: RawClient;
  /** Runs the server's due steps for `seconds` of virtual time, one step period at a time. */
  readonly step: (seconds: number) => void;
  /** The virtual time (s). */
  readonly now: () => number;
}

/**
 * Serves the wrist (fixed base) with the given set-up, authenticates a commanding client, and
 * pushes everything to close onto `open` (the caller's afterEach closes it, newest first).
 */
export async function serveWrist(
  o: { readonly kp?: number; readonly pd?: 'implicit' | 'explicit'; readonly watch?: (spec: RobotSpec) => BridgeServerOptions['watch'] },
  open: { close(): Promise<void> | void }[],
): Promise<ServedWrist> {
  const urdf = writeVendorWrist(mkdtempSync(join(tmpdir(), 'axon-served-wrist-')));
  const served = await openServedRobot(
    { urdf, fixedBase: true, ...(o.kp !== undefined ? { kp: o.kp } : {}), ...(o.pd !== undefined ? { pd: o.pd } : {}), urdfPackagePath: [], strict: false, physics: 'cannon', seed: 1, randomize: false },
    0.002,
  );
  open.push(served.robot);
  const time = new VirtualTime(0);
  const watch = o.watch?.(served.robot.spec);
  const s = await startServer({ robot: served.robot, now: time.now, paced: false, ...(watch !== undefined ? { watch } : {}) });
  open.push(s);
  const step = (seconds: number) => {
    const end = time.now() + seconds;
    while (time.now() < end - 1e-12) {
      time.advanceTo(time.now() + s.dt);
      s.runDue();
    }
  };
  const c = await RawClient.open(s.url);
  open.push(c);
  await c.auth('secret-token', 'command');
  return { s, c, step, now: time.now };
}
