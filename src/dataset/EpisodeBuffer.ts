/**
 * One episode's frames in memory, column by column, filled one frame at a time. The live writer
 * fills it on the tick (copies of numbers only, into blocks allocated 2048 frames at a time, so a
 * tick never copies what came before); `axon export` fills it from a recording's ticks. Both go
 * through `push`, so a dataset recorded live and one exported from the same run's MCAP hold the
 * same values.
 */
import type { EpisodeData } from './DatasetStore.ts';
import { ENV_STATE_FEATURE, HELD_FEATURE, type FeatureSource } from './format.ts';

const BLOCK = 2048;

/** What an episode keeps beside its frames (meta/episodes). */
export interface EpisodeMeta {
  task: string;
  success?: boolean;
  seed?: number;
  randomization?: Record<string, number>;
  /** How the episode ended: the run summary's words (safe_stop, signal, duration, fault) or truncated (docs/dataset.md). */
  endedBy?: string;
  stopReason?: string;
  /** The control mode of its frames' commands (EpisodeData.mode). */
  mode?: string;
}

/**
 * A tick the supervisor holds in a stop (safe-stop or e-stopped): its command is the stop's hold
 * (position targets, whatever the policy's mode), so it and the ticks after it are not frames; the
 * episode ends with the tick before (docs/dataset.md "How an episode ended").
 */
export function isStopTick(safetyState: string): boolean {
  return safetyState === 'safe-stop' || safetyState === 'e-stopped';
}

/**
 * A tick the supervisor held in a degraded state (SafetySupervisor.check returns 'degraded' only
 * on a tick whose command it replaced by its hold: a stale or bad observation, a late policy or
 * world model, a rejected command), before a stop latched: a frame, kept so that the episode's
 * frames stay one per tick at its fps, marked `axon.held` (docs/dataset.md "Held ticks").
 */
export function isHeldTick(safetyState: string): boolean {
  return safetyState === 'degraded';
}

/** The reason of the state_change event of a stop tick (no allocation: a reference to the event's string). */
export function stopReasonOf(events: readonly { readonly kind: string; readonly reason: string; readonly state: string }[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].kind === 'state_change' && isStopTick(events[i].state)) return events[i].reason;
  return undefined;
}

/**
 * How an episode ended, as the episodes table says it (docs/dataset.md "How an episode ended"): one
 * rule for `--dataset` (DatasetWriter) and `axon export lerobot`, so both give the same. An episode
 * the supervisor stopped (`stopped`: it has a stop tick) keeps the run's ended_by when that names
 * the cause of a requested stop (signal, fault), else it is safe_stop; an episode that ran on is a
 * recording cut before its footer (truncated) or ended as the run did (`runEndedBy`: duration,
 * signal, invalid...; absent where the run did not say), except that an episode whose loop the
 * task ended (`terminated`: its last tick's `terminated` in a sim or eval loop, which stops on it)
 * is `terminated` where the run says `duration`.
 */
export function episodeEndedByOf(stopped: boolean, runEndedBy: string | undefined, truncated = false, terminated = false): string | undefined {
  if (stopped) return runEndedBy === 'signal' || runEndedBy === 'fault' ? runEndedBy : 'safe_stop';
  if (truncated) return 'truncated';
  // The task ended the episode (the pole fell) before the time limit: a failure terminal, not a time-limit cut (review R17 F2).
  return terminated && runEndedBy === 'duration' ? 'terminated' : runEndedBy;
}

/**
 * Grid slots a live loop lost between two consecutive ticks (overruns: docs/timing.md), from the
 * times they fired (tick time + lateness, s): 0 when they are one period (1/fps) apart give or
 * take half a period (jitter), k when k slots went by without a tick. A frame's timestamp is
 * frame_index / fps, so frames across a lost slot look consecutive (docs/dataset.md "Lost slots").
 */
export function lostSlots(prevFire: number, fire: number, fps: number): number {
  const k = Math.round((fire - prevFire) * fps) - 1;
  return k > 0 ? k : 0;
}

/**
 * The longest time between two frames of one episode (s): a gap of lost slots longer than this ends
 * the episode there and the next tick starts the next one (docs/dataset.md "Lost slots"). Shorter
 * gaps are counted and noted (the timestamps across them are off by the slots lost): a loaded
 * machine loses a few slots often, and cutting a demonstration at each would leave pieces.
 */
export const MAX_GAP_S = 0.5;

/** Whether `lost` slots at `fps` make a gap that ends the episode (MAX_GAP_S). */
export function gapEndsEpisode(lost: number, fps: number): boolean {
  return lost > 0 && (lost + 1) / fps > MAX_GAP_S;
}

/** ended_by of an episode a gap of lost slots ended (docs/dataset.md "Lost slots"). */
export const LOST_SLOTS_ENDED_BY = 'lost_slots';

/** stop_reason of an episode a gap ended: from the count and the rate only (the same text from --dataset and export). */
export function lostSlotsReason(lost: number, fps: number): string {
  return `${lost} grid slots lost after the last frame (the next tick came ${Math.round(((lost + 1) * 1000) / fps)} ms later, at ${fps} fps)`;
}

/** The note of a run that lost grid slots between frames (docs/dataset.md "Lost slots"). */
export function lostSlotsNotes(slots: number, episodes: number): string[] {
  if (slots === 0) return [];
  return [
    `the loop lost ${slots} grid slot${slots === 1 ? '' : 's'} (overruns) between frames: ${episodes} episode${episodes === 1 ? '' : 's'} ended at a gap longer than ${MAX_GAP_S * 1000} ms (ended_by lost_slots); ` +
      `the frames across a shorter gap have timestamps off by the slots lost`,
  ];
}

/** What one frame is made of (robot joint order). */
export interface FrameValues {
  readonly position: ArrayLike<number>;
  readonly velocity: ArrayLike<number>;
  /** orientation xyzw, angular velocity, linear acceleration (10 values), when the robot has an IMU. */
  readonly imu?: { readonly orientation: ArrayLike<number>; readonly angularVelocity: ArrayLike<number>; readonly linearAcceleration: ArrayLike<number> };
  /** The velocity command the tick's observation used (vx, vy, wz), when the features have it. */
  readonly velocityCommand?: ArrayLike<number>;
  /** The command sent after safety (targets per joint). */
  readonly action: ArrayLike<number>;
  /**
   * The task's return so far, this tick's observation scored. A frame's `next.reward` is the
   * return's increase from its tick to the next frame's tick (or `successor`): the reward of the
   * observations its action led to (docs/dataset.md "Reward and done").
   */
  readonly episodeReturn: number;
  /** The supervisor held this tick (isHeldTick): its action is the hold's. */
  readonly held: boolean;
}

/** observation.environment_state: per frame, each of `parts` (row-major columns of L frames) one after the other. */
function envState(L: number, parts: readonly Float32Array[]): Float32Array {
  const dims = parts.map((p) => (L === 0 ? 0 : p.length / L));
  const per = dims.reduce((a, d) => a + d, 0);
  const out = new Float32Array(L * per);
  for (let i = 0; i < L; i++) {
    let at = i * per;
    parts.forEach((p, k) => {
      out.set(p.subarray(i * dims[k], (i + 1) * dims[k]), at);
      at += dims[k];
    });
  }
  return out;
}

export class EpisodeBuffer {
  private readonly n: number;
  private readonly blocks: { state: Float32Array; imu?: Float32Array; cmd?: Float32Array; action: Float32Array; reward: Float32Array; held: Uint8Array }[] = [];
  /** The return at the last frame's tick. */
  private lastReturn = 0;
  length = 0;
  /** Frames marked held (FrameValues.held). */
  heldFrames = 0;

  constructor(private readonly s: FeatureSource) {
    this.n = s.joints.length;
  }

  /** Copies one frame (no allocation except a new block every 2048 frames). */
  push(f: FrameValues): void {
    const i = this.length % BLOCK;
    if (i === 0) {
      const n = this.n;
      this.blocks.push({
        state: new Float32Array(BLOCK * 2 * n),
        ...(this.s.imu ? { imu: new Float32Array(BLOCK * 10) } : {}),
        ...(this.s.velocityCommand ? { cmd: new Float32Array(BLOCK * 3) } : {}),
        action: new Float32Array(BLOCK * n),
        reward: new Float32Array(BLOCK),
        held: new Uint8Array(BLOCK),
      });
    }
    const b = this.blocks[this.blocks.length - 1];
    const n = this.n;
    const st = b.state, o = i * 2 * n;
    for (let j = 0; j < n; j++) {
      st[o + j] = f.position[j];
      st[o + n + j] = f.velocity[j];
    }
    const a = b.action, oa = i * n;
    for (let j = 0; j < n; j++) a[oa + j] = f.action[j];
    if (b.imu) {
      const m = b.imu, oi = i * 10, u = f.imu;
      if (u) {
        for (let k = 0; k < 4; k++) m[oi + k] = u.orientation[k];
        for (let k = 0; k < 3; k++) m[oi + 4 + k] = u.angularVelocity[k];
        for (let k = 0; k < 3; k++) m[oi + 7 + k] = u.linearAcceleration[k];
      } else m.fill(NaN, oi, oi + 10);
    }
    if (b.cmd) {
      const c = f.velocityCommand;
      if (c) for (let k = 0; k < 3; k++) b.cmd[i * 3 + k] = c[k];
      else b.cmd.fill(NaN, i * 3, i * 3 + 3);
    }
    b.held[i] = f.held ? 1 : 0;
    if (f.held) this.heldFrames++;
    // The frame before this one takes the reward of the ticks up to this one (its action's result);
    // this frame's is 0 until the next frame or successor() says it (F4: LeRobot's next.* convention).
    if (this.length > 0) this.setLastReward(f.episodeReturn - this.lastReturn);
    b.reward[i] = 0;
    this.lastReturn = f.episodeReturn;
    this.length++;
  }

  /**
   * The return at the tick that follows the last frame's action but is no frame: the stop tick
   * after it (a stop ends the episode), or with `--fps` decimation the last recorded tick the last
   * frame covers. The last frame's next.reward becomes the increase up to it. Without one, the last
   * frame's reward stays 0: its action's result was never observed (docs/dataset.md "Reward and done").
   */
  successor(episodeReturn: number): void {
    if (this.length > 0) this.setLastReward(episodeReturn - this.lastReturn);
  }

  private setLastReward(r: number): void {
    const k = this.length - 1;
    this.blocks[(k / BLOCK) | 0].reward[k % BLOCK] = r;
  }

  /** The episode as contiguous columns (off the tick: allocates and copies). */
  take(meta: EpisodeMeta): EpisodeData {
    const L = this.length, n = this.n;
    const cat = <T extends Float32Array | Uint8Array>(pick: (b: (typeof this.blocks)[number]) => T | undefined, per: number, make: (n: number) => T = (n) => new Float32Array(n) as T): T => {
      const out = make(L * per);
      let at = 0;
      for (const b of this.blocks) {
        const src = pick(b)!;
        const k = Math.min(BLOCK, L - at / per) * per;
        out.set(src.subarray(0, k), at);
        at += k;
      }
      return out;
    };
    const columns: Record<string, Float32Array | Uint8Array> = {
      'observation.state': cat((b) => b.state, 2 * n),
      action: cat((b) => b.action, n),
    };
    if (this.s.imu) columns['observation.imu'] = cat((b) => b.imu, 10);
    if (this.s.velocityCommand) columns['observation.velocity_command'] = cat((b) => b.cmd, 3);
    if (this.s.envState) columns[ENV_STATE_FEATURE] = envState(L, [...(this.s.imu ? [columns['observation.imu'] as Float32Array] : []), ...(this.s.velocityCommand ? [columns['observation.velocity_command'] as Float32Array] : [])]);
    const done = new Uint8Array(L);
    if (L > 0) done[L - 1] = 1;
    columns['next.done'] = done;
    columns[HELD_FEATURE] = cat((b) => b.held, 1, (k) => new Uint8Array(k));
    if (this.s.task) {
      columns['next.reward'] = cat((b) => b.reward, 1);
      const success = new Uint8Array(L);
      if (L > 0 && meta.success) success[L - 1] = 1;
      columns['next.success'] = success;
    }
    return {
      length: L,
      columns,
      task: meta.task,
      ...(meta.success !== undefined ? { success: meta.success } : {}),
      ...(meta.seed !== undefined ? { seed: meta.seed } : {}),
      ...(meta.randomization ? { randomization: meta.randomization } : {}),
      ...(meta.endedBy !== undefined ? { endedBy: meta.endedBy } : {}),
      ...(meta.stopReason !== undefined ? { stopReason: meta.stopReason } : {}),
      ...(meta.mode !== undefined ? { mode: meta.mode } : {}),
    };
  }
}
