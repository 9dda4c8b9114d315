/**
 * The bridge server's robot loop: the served robot paced on the server's steady clock, one loop
 * step per period dt (a simulated robot: one physics step), catching up after a late wake-up,
 * with the server's own SafetySupervisor and the command deadman.
 *
 * One step k -> k+1, scheduled at k·dt: deadman (running or degraded, and no accepted command for
 * longer than commandTimeoutS: safe-stop) -> state watch (a blown-up simulation: safe-stop) ->
 * supervisor -> robot.command -> step -> observe.
 * Unpaced (`paced: false`), the owner runs the due steps with `runDue()` after advancing its clock.
 *
 * Real-time rules: a step and `accept` allocate nothing; the hooks are called on state changes and
 * once per `decimation` steps (state frames). Nothing here throws out of `runDue`: a robot that
 * throws is e-stopped (internal error) and the lost steps are skipped.
 */
import type { Subscription } from 'rxjs';
import { createCommand, createObservation, type Observation, type Robot, type SimulatedRobot } from '../../src/core/robot.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../../src/safety/types.ts';
import type { DecodedCommand } from './frames.ts';
import { Pacer, type StepPacer } from './Pacer.ts';
import { percentilesUs, type Percentiles } from '../../src/loop/LoopStats.ts';
import type { RobotState, StateCause } from './protocol.ts';
import type { ServerCounts } from './ServerStats.ts';

/**
 * A check of the served robot's state (a simulation's state watchdog, sim/watchdog): `check` is
 * false from the first observation out of its envelope on, with the breach in `reason`, until
 * `reset` starts it again from an observation.
 */
export interface StateWatch {
  readonly reason: string | undefined;
  check(obs: Observation): boolean;
  reset(obs: Observation): void;
}

export interface RobotLoopOptions {
  readonly robot: Robot;
  readonly sim: boolean;
  /** Loop period (s). */
  readonly dt: number;
  /** Loop steps per state frame. */
  readonly decimation: number;
  /** Command deadman (s). */
  readonly commandTimeoutS: number;
  /** Most steps caught up after a late wake-up; beyond it they are skipped and counted as overruns. */
  readonly maxCatchUp: number;
  /** Spin margin (s) of the poll Pacer, used when `start` is given no other pacer. */
  readonly spinMarginS: number;
  readonly safety: Partial<SafetyConfig>;
  /** Checks each observation; once it fails a running robot is safe-stopped (BridgeServerOptions.watch). */
  readonly watch?: StateWatch;
  /** The server's steady clock (s, origin arbitrary). */
  readonly clock: () => number;
  readonly paced: boolean;
  /** Where overruns are counted. */
  readonly counts: ServerCounts;
  /** The reported state may have changed (the server publishes when it did). */
  readonly publish: (cause: StateCause, reason: string) => void;
  /** State frames are due: called after the steps of one `runDue` that crossed a decimation boundary. */
  readonly broadcast: () => void;
}

const LATE_RING = 1 << 16;

/** How the paced loop woke: the pacer, its wake-ups and their lateness after each step deadline. */
export interface PacingFigures {
  /** The pacer's kind ('poll', 'worker'), or 'unpaced' (the owner runs the steps). */
  readonly kind: string;
  readonly wakes: number;
  readonly lateUs: Percentiles;
  /** Why the pacer fell back to a timer (its timing thread was lost). */
  readonly lost?: string;
}

export class RobotLoop {
  readonly robot: Robot;
  readonly dt: number;
  readonly commandTimeoutS: number;
  /** Steps run: the loop is at loop time k·dt. */
  k = 0;
  /** The latest observation (valid until the next step). */
  obs: Observation;
  /** The command held from the commander (absent gains: the spec's; absent feed-forward: 0). */
  readonly cmd: DecodedCommand;
  /** The command the robot was last given (after safety). */
  readonly out;
  /** Arrival time (server s) and seq of the last accepted command; NaN and 0 when none. */
  lastCommandAt = Number.NaN;
  lastCommandSeq = 0;
  private _sup!: SafetySupervisor;
  private _supSub: Subscription | undefined;
  private _supReason = '';
  private _origin: number;
  private _closed = false;
  /** The watch's breach was reported (again after each re-arm while it lasts). */
  private _watchReported = false;
  private _pacer: StepPacer;
  /** Wake-up lateness of the paced loop (s): ring of the newest LATE_RING wake-ups. */
  private readonly _late = new Float64Array(LATE_RING);
  private _wakes = 0;
  private readonly _o: RobotLoopOptions;

  constructor(o: RobotLoopOptions) {
    this._o = o;
    this.robot = o.robot;
    this.dt = o.dt;
    this.commandTimeoutS = o.commandTimeoutS;
    this._origin = o.clock();
    this._pacer = new Pacer(o.spinMarginS, o.clock);
    const spec = o.robot.spec;
    this.out = createCommand(spec, 'position');
    this.cmd = { command: createCommand(spec, 'effort') as DecodedCommand['command'], hasGains: false, hasFeedforward: false };
    this.obs = createObservation(spec);
    this.newSupervisor();
    o.watch?.reset(o.robot.observe());
  }

  /** Server steady time (s) since the loop started. */
  now(): number {
    return this._o.clock() - this._origin;
  }

  /** The supervisor guarding the robot (replaced by `newSupervisor`). */
  get sup(): SafetySupervisor {
    return this._sup;
  }

  /** The robot's state as the protocol reports it (a disarmed safe-stop is idle). */
  get robotState(): RobotState {
    const s = this._sup.state;
    return !this._sup.armed && s === 'safe-stop' ? 'idle' : s;
  }

  /** A fresh supervisor: disarmed, idle (reset, release, sim_reset). */
  newSupervisor(): void {
    this._watchReported = false;
    this._supSub?.unsubscribe();
    this._sup = new SafetySupervisor(this.robot.spec, this.dt, this._o.safety);
    this._supSub = this._sup.events$.subscribe((e) => {
      if (e.kind === 'state_change') this._supReason = e.reason;
    });
  }

  /** The simulation was put back to its initial state (`obs`): the state watch starts again from it. */
  simReset(obs: Observation): void {
    this.obs = obs;
    this._o.watch?.reset(obs);
    this.newSupervisor();
  }

  /** Safe-stop through the supervisor (a 'safe_stop' event, latched until reset). */
  safeStop(cause: StateCause, reason: string): void {
    this._sup.safeStop(reason, this.obs.time, this.k);
    this._o.publish(cause, reason);
  }

  /** Protective stop through the supervisor (latched until reset). */
  estop(reason: string): void {
    this._sup.estop(reason, this.obs.time, this.k);
  }

  /**
   * Takes an accepted command frame at server time `now` (s): copies it into the held command;
   * absent gains are the spec's, absent feed-forward 0. Allocates nothing.
   */
  accept(src: DecodedCommand, seq: number, now: number): void {
    const spec = this.robot.spec;
    const n = spec.joints.length;
    const dst = this.cmd.command;
    dst.mode = src.command.mode;
    dst.target.set(src.command.target);
    if (src.hasGains) {
      dst.kp.set(src.command.kp);
      dst.kd.set(src.command.kd);
    } else {
      for (let i = 0; i < n; i++) {
        dst.kp[i] = spec.joints[i].kp;
        dst.kd[i] = spec.joints[i].kd;
      }
    }
    if (src.hasFeedforward) dst.feedforward.set(src.command.feedforward);
    else dst.feedforward.fill(0);
    this.lastCommandAt = now;
    this.lastCommandSeq = seq;
  }

  /**
   * Starts stepping from loop time 0 (paced: on `pacer`, default the poll Pacer with the options'
   * spin margin; unpaced: the owner calls `runDue`).
   */
  start(pacer?: StepPacer): void {
    if (pacer !== undefined) this._pacer = pacer;
    this._origin = this._o.clock();
    this.k = 0;
    if (!this._o.paced) return;
    const fire = () => {
      if (this._closed) return;
      this._late[this._wakes++ & (LATE_RING - 1)] = this.now() - (this.k + 1) * this.dt;
      this.runDue();
      if (!this._closed) this._pacer.at(this._origin + (this.k + 1) * this.dt, fire);
    };
    this.runDue();
    this._pacer.at(this._origin + (this.k + 1) * this.dt, fire);
  }

  /** The paced loop's wake-ups so far (allocates: not for the tick path). */
  pacing(): PacingFigures {
    const n = Math.min(this._wakes, LATE_RING);
    const lost = this._pacer.lost;
    return { kind: this._o.paced ? this._pacer.kind : 'unpaced', wakes: this._wakes, lateUs: percentilesUs(this._late.subarray(0, n)), ...(lost !== undefined ? { lost } : {}) };
  }

  /**
   * Stops stepping; the robot is given one last command through the supervisor (after an e-stop
   * by the caller, the safe one). Resolves when the pacer has released its resources (a timing
   * thread); the stop itself is done on return.
   */
  stop(): Promise<void> {
    // The pacer first: even when the robot throws on its last command, no timing thread or timer
    // outlives the loop.
    this._closed = true;
    const released = this._pacer.cancel();
    released.catch(() => {});
    try {
      this._sup.check(this.cmd.command, this.obs, this.obs.time, this.k, this.out);
      this.robot.command(this.out);
    } finally {
      this._supSub?.unsubscribe();
    }
    return released;
  }

  /** Runs the steps due at the clock's present time; broadcasts state if a frame came due. */
  runDue(): void {
    if (this._closed) return;
    try {
      const due = Math.floor(this.now() / this.dt);
      const maxCatchUp = this._o.maxCatchUp;
      if (due - this.k > maxCatchUp) {
        this._o.counts.overruns += due - this.k - maxCatchUp;
        this.k = due - maxCatchUp;
      }
      let send = false;
      while (this.k < due) {
        this._tick();
        this.k++;
        if (this.k % this._o.decimation === 0) send = true;
      }
      if (send) this._o.broadcast();
    } catch (e) {
      // Nothing in a tick should throw; if the robot does, stop it protectively, skip the lost
      // steps and go on serving (clients see the e-stop and its reason).
      this.k = Math.max(this.k + 1, Math.floor(this.now() / this.dt));
      this._internalStop(e);
    }
  }

  /** One loop step k -> k+1 (scheduled at k·dt on the server clock). */
  private _tick(): void {
    const t = this.k * this.dt;
    const sup = this._sup;
    const obs = this.obs;
    if (sup.armed && (sup.state === 'running' || sup.state === 'degraded') && t - this.lastCommandAt > this.commandTimeoutS) {
      const gap = t - this.lastCommandAt;
      this.safeStop('deadman', `command deadman: no command for ${gap.toFixed(3)} s (limit ${this.commandTimeoutS} s)`);
    }
    const watch = this._o.watch;
    if (watch !== undefined && !watch.check(obs) && (!this._watchReported || (sup.armed && (sup.state === 'running' || sup.state === 'degraded')))) {
      // A blown-up simulation: reported once, and a robot re-armed while it lasts is stopped again.
      this._watchReported = true;
      sup.reportStateWatchdog(watch.reason ?? 'state out of its envelope', obs.time, this.k);
    }
    sup.check(this.cmd.command, obs, obs.time, this.k, this.out);
    this._o.publish('safety', this._supReason);
    this.robot.command(this.out);
    if (this._o.sim) (this.robot as SimulatedRobot).step(this.dt);
    this.obs = this.robot.observe();
  }

  private _internalStop(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this._sup.state === 'e-stopped') return;
    try {
      this._sup.estop(`internal error: ${msg}`, this.obs.time, this.k);
      this._o.publish('safety', `internal error in the server loop: ${msg}`);
    } catch {
      /* nothing more to do */
    }
  }
}
