/**
 * The recorder's ring: one slot of Float64 numbers per tick, shared between the loop's thread
 * (which copies each tick into it) and the recorder's writer thread (which encodes it).
 *
 * The slot layout depends on the robot's observation (IMU, contacts, base, extras): it is made
 * from the first tick record, once per run. The ring's control words (a SharedArrayBuffer of
 * Int32) say how many slots are filled: the loop's thread adds one after copying a tick, the
 * writer thread subtracts one after encoding it (one producer, one consumer, each with its own
 * index modulo the capacity).
 */
import type { TickRecord } from '../loop/TickRecord.ts';
import { stageNames } from '../loop/TickRecord.ts';
import type { ControlMode, JointCommand } from '../core/robot.ts';
import type { SafetyState } from '../safety/types.ts';
import type { RolloutTrace } from '../worldmodel/RolloutTrace.ts';

export const STATE_NAMES: readonly SafetyState[] = ['running', 'degraded', 'safe-stop', 'e-stopped'];
export const MODE_NAMES: readonly ControlMode[] = ['position', 'velocity', 'effort'];

// Fixed head of a slot.
export const F_SEQ = 0, F_TIME = 1, F_LATE = 2, F_STATE = 3, F_RETURN = 4, F_TERM = 5, F_AGE = 6, F_INFER = 7;
export const F_OBS_TIME = 8, F_OBS_SEQ = 9, F_PROPOSED_MODE = 10, F_SENT_MODE = 11;
// World-model values (F_WM = 1 when the tick carried them).
export const F_WM = 12, F_WM_SURPRISE = 13, F_WM_COST = 14, F_WM_VETOED = 15;
/** Safety events raised up to and including this tick (a running count): the writer writes them after it. */
export const F_EVENTS = 16;
const HEAD = 17;

// Control words (Int32Array over a SharedArrayBuffer).
/** Slots filled and not yet encoded (Atomics.add by the loop's thread, Atomics.sub by the writer). */
export const C_COUNT = 0;
/** Bumped (and notified) by the loop's thread when the ring is a quarter full: the writer wakes early. */
export const C_KICK = 1;
export const CONTROL_WORDS = 2;

export interface Layout {
  readonly stride: number;
  readonly n: number;
  readonly stage: number;
  readonly pos: number;
  readonly vel: number;
  readonly eff: number;
  readonly imu: number; // -1 when absent; 10 values: orientation 4, angular velocity 3, linear acceleration 3
  readonly contacts: number;
  readonly nContacts: number;
  readonly base: number; // -1 when absent; 13 values: position 3, orientation 4, linear 3, angular 3
  readonly baseCom: number; // -1 when absent; 6 values: centre-of-mass position 3, velocity 3
  readonly extras: readonly { name: string; off: number; len: number }[];
  readonly input: number;
  readonly nInput: number;
  readonly raw: number;
  readonly action: number;
  readonly nAction: number;
  readonly proposed: CommandLayout;
  readonly sent: CommandLayout;
  /** -1 without a world-model trace; else 2 + points × stateSize: present flag, cost, states. */
  readonly pred: number;
  readonly predPoints: number;
  readonly predSize: number;
  /** -1 without a velocity command; else vx, vy, wz. */
  readonly cmd: number;
}

export interface CommandLayout {
  readonly target: number;
  readonly kp: number; // -1 when absent
  readonly kd: number;
  readonly ff: number;
}

/** The slot layout for a run, from its first tick record. */
export function makeLayout(rec: TickRecord, trace: RolloutTrace | undefined, command: boolean): Layout {
  const obs = rec.observation;
  const n = obs.jointPosition.length;
  let off = HEAD;
  const take = (k: number) => {
    const at = off;
    off += k;
    return at;
  };
  const stage = take(stageNames.length);
  const pos = take(n);
  const vel = take(n);
  const eff = take(n);
  const imu = obs.imu ? take(10) : -1;
  const nContacts = obs.contacts?.length ?? 0;
  const contacts = take(nContacts);
  const base = obs.base ? take(13) : -1;
  const baseCom = obs.base?.comPosition && obs.base.comLinearVelocity ? take(6) : -1;
  const extras = Object.entries(obs.extras).map(([name, a]) => ({ name, len: a.length, off: take(a.length) }));
  const nInput = rec.input.length;
  const input = take(nInput);
  const nAction = rec.policyAction.length;
  const raw = take(nAction);
  const action = take(nAction);
  const cmd = (c: JointCommand): CommandLayout => ({
    target: take(n),
    kp: c.kp ? take(n) : -1,
    kd: c.kd ? take(n) : -1,
    ff: c.feedforward ? take(n) : -1,
  });
  const proposed = cmd(rec.proposed);
  const sent = cmd(rec.sent);
  const predPoints = trace?.steps ?? 0, predSize = trace?.stateSize ?? 0;
  const pred = trace ? take(2 + predPoints * predSize) : -1;
  const velocity = command ? take(3) : -1;
  return { stride: off, n, stage, pos, vel, eff, imu, contacts, nContacts, base, baseCom, extras, input, nInput, raw, action, nAction, proposed, sent, pred, predPoints, predSize, cmd: velocity };
}
