/**
 * A robot made of Feetech STS servos on one bus (the SO-101 arm), from a Feetech config.
 *
 * connect(): ping every servo, check model, operating mode (position), angle limits against the
 * config's joint limits, the calibration (Homing Offset) against the config's, and the status
 * byte; refuse to arm with a diff on any mismatch, closing the port; read the pose and refuse a
 * joint more than 0.1 rad outside its limits (startPose.ts). A leader arm (role "leader") gets
 * Torque Enable 0, read back (under --dry-run, which writes nothing, it is only read and said).
 * Then (unless dry-run or a leader arm) write Torque Limit and Acceleration, goals = present pose,
 * torque on.
 *
 * Each command(): one sync write (0x83) of goal positions, then one sync read (0x82) of present
 * position, speed and load, retried within the read budget; both run off the tick. observe()
 * returns the latest completed read. command() and observe() never block, throw or allocate.
 *
 * No bus watchdog on these servos, so the host does the watchdog's job where it can:
 * - every goal is kept within velocity_limit × goal_horizon_ms of the last good measured pose
 *   (GoodPose.ts: a reading the supervisor would refuse is not taken): if axon dies (or the bus
 *   goes silent) the arm stops at most that far on, holding with torque on;
 * - Torque Enable (40) is read every TORQUE_CHECK_CYCLES cycles while armed: a servo that dropped
 *   its torque without a status bit is a fault (torqueCheck.ts);
 * - every exit (end of run, fault, a silent bus, Ctrl-C, a connect that fails after arming) applies
 *   `safe_stop`, read back and sent again to the servos that do not show it (confirmedWrite.ts);
 * - a Torque Limit from the config bounds what a stuck goal pushes with.
 * What the host cannot do: stop a servo it can no longer reach (cable pulled). Cut power with the
 * hardware e-stop then.
 */
import type { Observable } from 'rxjs';
import { performance } from 'node:perf_hooks';
import { createObservation, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../../src/core/robot.ts';
import { AxonError } from '../../src/core/errors.ts';
import type { SyncReadResult } from '../dynamixel/DynamixelBus.ts';
import { FeetechBus } from '../feetech/FeetechBus.ts';
import { FEETECH_PRESENT_BLOCK, FeetechMode, RAD_PER_TICK, feetechModelByName } from '../feetech/controlTable.ts';
import { decodeSignMagnitude, describeStatus, encodeSignMagnitude, readLe, writeLe } from '../feetech/packet.ts';
import type { Transport } from '../transport/Transport.ts';
import { BusCycle } from './BusCycle.ts';
import { BusReadHealth } from './BusReadHealth.ts';
import { HardwareMismatchError, robotError, type HardwareEvent } from './HardwareEvent.ts';
import { jointSpecsOf } from './busConfig.ts';
import { FEETECH_START_POSE_CAUSE, StartPoseError, startPoseIssues } from './startPose.ts';
import { ticksToJoint, type FeetechRobotConfig } from './feetechConfig.ts';
import { SAFE_STOP_BUDGET_S, confirmedSaid, namedIds, unconfirmedFault, unconfirmedNames, writeConfirmed, type ConfirmResult } from './confirmedWrite.ts';
import { closeWithSafeStop, servoNames } from './closeServos.ts';
import { GoodPose } from './GoodPose.ts';
import { TorqueCheck, withTorqueReadBack } from './torqueCheck.ts';

export interface FeetechRobotOptions {
  /** Read only: never enable torque or write goals (`axon run --dry-run`, a leader arm). */
  readonly dryRun?: boolean;
  /** Tick period the robot is driven at (s); sets the read budget. Default 0.02. */
  readonly period?: number;
  /** Consecutive failed bus cycles before health says stale (default 2). */
  readonly staleAfterCycles?: number;
}

const now = () => performance.now() / 1000;
const BLOCK = FEETECH_PRESENT_BLOCK.length;
/** Reply margin of the pings that check the bus before arming (s). */
const PREARM_MARGIN_S = 0.05;

export class FeetechRobot implements Robot {
  readonly spec: RobotSpec;
  readonly bus: FeetechBus;
  readonly events$: Observable<HardwareEvent>;
  readonly eventLog: HardwareEvent[];
  readonly health$: Observable<RobotHealth>;
  private readonly _status: BusReadHealth;
  private readonly _n: number;
  private readonly _ids: number[];
  private readonly _dir: Float64Array;
  private readonly _off: Float64Array;
  private readonly _stall: Float64Array; // N·m at full duty
  private readonly _lead: Float64Array; // largest goal lead over the present pose (ticks)
  private readonly _lo: Int32Array; // joint limits in ticks (after direction)
  private readonly _hi: Int32Array;
  /** Each servo's angle limits (9, 11; both 0: none), read at connect: it clamps a goal to them. */
  private readonly _angleMin: Int32Array;
  private readonly _angleMax: Int32Array;
  private readonly _obs: Observation;
  private readonly _pos: Float32Array;
  private readonly _vel: Float32Array;
  private readonly _eff: Float32Array;
  private readonly _ticks: Float64Array; // latest present position (ticks)
  /**
   * Present position (ticks) of each joint's last good reading (GoodPose: the supervisor's rule):
   * what goals are clamped around and what `hold` writes, so that an impossible reading (an encoder
   * glitch, a wrap past 0/4095) never drives a servo (review R25 F1).
   */
  private readonly _goodTicks: Float64Array;
  private readonly _good: GoodPose;
  /** `joint (id n)` per joint. */
  private readonly _names: string[];
  private readonly _raw: Uint8Array;
  private readonly _goalBytes: Uint8Array;
  private readonly _readOnly: boolean;
  private _seq = 0;
  private _armed = false;
  private _goalsDirty = false;
  private readonly _readBudget: number;
  private readonly _cycles: BusCycle;
  /** Torque Enable (40) read back while armed and at a hold (torqueCheck.ts). */
  private readonly _torque = new TorqueCheck(40);
  /** Servos that raised their alert (their own protection may have cut their torque). */
  private readonly _alarmed = new Set<number>();

  constructor(
    readonly config: FeetechRobotConfig,
    transport: Transport,
    private readonly o: FeetechRobotOptions = {},
  ) {
    const margin = config.reply_timeout_ms !== undefined ? config.reply_timeout_ms / 1000 : config.latency_timer_ms !== undefined ? (2 * config.latency_timer_ms + 2) / 1000 : undefined;
    this.bus = new FeetechBus(transport, margin !== undefined ? { replyMarginS: margin } : {});
    this._status = new BusReadHealth({
      now,
      port: transport.name,
      jointOf: (id) => this._jointOf(id),
      staleAfter: o.staleAfterCycles ?? 2,
      silentAfter: config.silent_bus_cycles ?? 50,
      integrity: 'checksum',
      silentNote: '; STS servos hold their last goal (no bus watchdog)',
    });
    this.events$ = this._status.events$;
    this.health$ = this._status.health$;
    this.eventLog = this._status.eventLog;
    const js = config.joints;
    const n = js.length;
    this._n = n;
    this._ids = js.map((j) => j.id);
    this._dir = Float64Array.from(js, (j) => j.direction ?? 1);
    this._off = Float64Array.from(js, (j) => j.offset ?? 0);
    this._stall = Float64Array.from(js, (j) => feetechModelByName(j.model)!.stallTorque);
    this._lead = Float64Array.from(js, (j) => (j.velocity_limit * config.goal_horizon_ms) / 1000 / RAD_PER_TICK);
    this._lo = Int32Array.from(js, (j, i) => Math.ceil(Math.min(this._toTicks(i, j.lower), this._toTicks(i, j.upper))));
    this._hi = Int32Array.from(js, (j, i) => Math.floor(Math.max(this._toTicks(i, j.lower), this._toTicks(i, j.upper))));
    this._angleMin = new Int32Array(n);
    this._angleMax = new Int32Array(n);
    this._readOnly = (o.dryRun ?? false) || config.role === 'leader';
    this.spec = { name: config.name, joints: jointSpecsOf(js, config), sensors: { imu: false, contacts: [] }, controlModes: ['position'] };
    this._obs = createObservation(this.spec);
    this._obs.extras.bus_age = new Float32Array(1);
    this._pos = new Float32Array(n);
    this._vel = new Float32Array(n);
    this._eff = new Float32Array(n);
    this._ticks = new Float64Array(n);
    this._goodTicks = new Float64Array(n).fill(Number.NaN);
    this._good = new GoodPose(this.spec.joints, o.period ?? 0.02);
    this._names = servoNames(js);
    this._raw = new Uint8Array(n * BLOCK);
    this._goalBytes = new Uint8Array(n * 2);
    this._readBudget = (o.period ?? 0.02) * (config.read_budget ?? 0.6);
    this.bus.onLost = (err) => this._portLost(err);
    this._cycles = new BusCycle(() => this._once(), () => this.bus.lost);
  }

  get armed(): boolean {
    return this._armed;
  }
  get faulted(): boolean {
    return this._status.faulted;
  }
  /** The servos (`joint (id n)`) the last safe stop could not confirm: torque may still be on there (a fault too). */
  get safeStopUnconfirmed(): readonly string[] {
    return this._status.unconfirmed;
  }
  /** Bus cycles without a complete read since connect. */
  get failedReads(): number {
    return this._status.failedTotal;
  }

  /** Joint angle -> present ticks (fractional). */
  private _toTicks(i: number, rad: number): number {
    return ((rad - this._off[i]) * this._dir[i]) / RAD_PER_TICK + 2048;
  }

  async connect(): Promise<void> {
    const c = this.config;
    const where = `${c.name} on ${this.bus.transport.name}`;
    // A port that cannot be opened names the arm too (a teleop session opens two).
    await this.bus.open().catch((e: unknown) => {
      throw e instanceof AxonError ? robotError(e, where, this.bus.transport.name) : e;
    });
    try {
      await this._check(where);
      const r = await this._read(now() + 0.5);
      if (!r.ok) throw new AxonError('HW_READ', where, `servos ${r.missing.join(', ')} did not answer the first sync read`);
      // A joint far outside its limits (or past the 0/4095 wrap) would be driven there the long way round.
      const off = startPoseIssues(c.joints, this._pos, () => FEETECH_START_POSE_CAUSE);
      if (off.length > 0) throw new StartPoseError(where, off);
      const leader = c.role === 'leader' ? await this._leaderTorqueOff(where) : '';
      this._status.connected(`${this._n} Feetech servos on ${this.bus.transport.name} at ${c.baud} bit/s${leader}`);
      if (this._readOnly) return;
      const ids = this._ids;
      const n = this._n;
      if (c.torque_limit !== undefined) {
        const tl = new Uint8Array(n * 2);
        for (let i = 0; i < n; i++) writeLe(tl, i * 2, 2, Math.round(c.torque_limit * 1000));
        await this.bus.syncWrite(48, 2, ids, tl);
      }
      if (c.acceleration !== undefined) await this.bus.syncWrite(41, 1, ids, new Uint8Array(n).fill(c.acceleration));
      await this.bus.syncWrite(46, 2, ids, new Uint8Array(n * 2)); // goal speed 0: the servo's maximum, the host paces
      this._holdGoals();
      await this.bus.syncWrite(42, 2, ids, this._goalBytes);
      await this.bus.syncWrite(40, 1, ids, new Uint8Array(n).fill(1));
      const check = await this._read(now() + 0.5);
      this._armed = true;
      if (check.alerts.length > 0) await this._fault(check.alerts, check.alertCodes);
      this._status.emit('armed', `torque on; no bus watchdog on STS servos: goals kept within ${c.goal_horizon_ms} ms of travel from the measured pose, safe stop: ${c.safe_stop}`);
    } catch (e) {
      if (this._armed) await this._safeStop('connect failed').catch(() => {});
      this._armed = false;
      await this.bus.close().catch(() => {});
      throw e;
    }
  }

  /** Pings, models, modes, limits, calibration and status against the config; throws the diff. */
  private async _check(where: string): Promise<void> {
    const c = this.config;
    const diff: string[] = [];
    for (let i = 0; i < this._n; i++) {
      const j = c.joints[i];
      // Before arming, not on the tick: a generous reply margin, so that a host still busy
      // starting the run (or a slow adapter) does not read as a missing servo.
      const status = await this.bus.ping(j.id, undefined, Math.max(this.bus.replyMarginS, PREARM_MARGIN_S));
      if (status === undefined) {
        diff.push(`joint ${j.name}: servo id ${j.id} did not answer a ping at ${c.baud} bit/s (${this.bus.lastMiss})`);
        continue;
      }
      const want = feetechModelByName(j.model)!;
      const head = await this.bus.read(j.id, 0, 5);
      const model = readLe(head, 3, 2);
      if (model !== want.number) {
        diff.push(`joint ${j.name} (id ${j.id}): model ${model} on the bus, ${want.number} ${want.name} in the config`);
        continue;
      }
      const eeprom = await this.bus.read(j.id, 9, 25); // 9..33: angle limits .. operating mode
      const minT = readLe(eeprom, 0, 2), maxT = readLe(eeprom, 2, 2);
      this._angleMin[i] = minT;
      this._angleMax[i] = maxT;
      const offset = decodeSignMagnitude(readLe(eeprom, 31 - 9, 2), 11);
      const mode = eeprom[33 - 9];
      if (mode !== FeetechMode.position) diff.push(`joint ${j.name} (id ${j.id}): operating mode ${mode} on the servo, 0 (position) in the config`);
      if (j.homing_offset !== undefined && offset !== j.homing_offset)
        diff.push(`joint ${j.name} (id ${j.id}): homing offset ${offset} ticks on the servo, ${j.homing_offset} in the config (recalibrate: axon hw calibrate --config ...)`);
      if (!(minT === 0 && maxT === 0) && (this._lo[i] < minT || this._hi[i] > maxT)) {
        const a = ticksToJoint(j, minT), b = ticksToJoint(j, maxT);
        diff.push(`joint ${j.name} (id ${j.id}): config range [${j.lower}, ${j.upper}] rad exceeds the servo's angle limits [${Math.min(a, b).toFixed(4)}, ${Math.max(a, b).toFixed(4)}] rad (ticks ${minT}..${maxT})`);
      }
      if (status !== 0) diff.push(`joint ${j.name} (id ${j.id}): status ${describeStatus(status)} (fix the cause, then power-cycle the servo)`);
    }
    if (diff.length > 0) throw new HardwareMismatchError(where, diff);
  }

  /**
   * Stamps observations and events on the run's clock from now on (runLive gives its loop
   * clock's now): an observation's time is then that clock's reading when its read completed.
   * The bus deadlines and `bus_age` stay on the steady clock.
   */
  useClock(now: () => number): void {
    this._status.useClock(now);
  }

  /** The latest complete read, stamped with the time it completed (steady s, or the run's clock after useClock), not the time of this call. */
  observe(): Observation {
    const o = this._obs;
    o.time = this._status.lastReadTime;
    o.seq = this._seq;
    o.jointPosition.set(this._pos);
    o.jointVelocity.set(this._vel);
    o.jointEffort.set(this._eff);
    o.extras.bus_age[0] = now() - this._status.lastReadAt;
    return o;
  }

  command(cmd: JointCommand): void {
    if (this._cycles.closed) return;
    if (!this._status.faulted && this._armed && !this._readOnly && cmd.mode === 'position') this._encodeGoals(cmd);
    this._cycles.request();
  }

  /** The bus cycle in flight (or the last one): Robot.settle. */
  settle(): Promise<void> {
    return this._cycles.settle();
  }

  async close(): Promise<void> {
    if (this._cycles.closed) return;
    this._cycles.closed = true;
    await closeWithSafeStop({
      settle: () => this._cycles.settle(),
      armed: () => this._armed,
      bus: this.bus,
      safeStop: (why) => this._safeStop(why),
      disarm: () => {
        this._armed = false;
      },
      joints: this._names,
      status: this._status,
    });
  }

  // ---- internals ----

  /** Joint i's last good present position (ticks); the latest reading before any good one. */
  private _heldTicks(i: number): number {
    const g = this._goodTicks[i];
    return Number.isNaN(g) ? this._ticks[i] : g;
  }

  private _holdGoals(): void {
    for (let i = 0; i < this._n; i++) writeLe(this._goalBytes, i * 2, 2, encodeSignMagnitude(Math.round(this._heldTicks(i)), 15));
  }

  /** Goals in ticks: within the joint limits and within the goal horizon of the last good measured pose. */
  private _encodeGoals(cmd: JointCommand): void {
    const t = cmd.target;
    for (let i = 0; i < this._n; i++) {
      const x = t[i];
      if (!Number.isFinite(x)) continue; // the supervisor never sends these; keep the previous goal
      let g = this._toTicks(i, x);
      const p = this._heldTicks(i), lead = this._lead[i];
      if (g > p + lead) g = p + lead;
      else if (g < p - lead) g = p - lead;
      if (g < this._lo[i]) g = this._lo[i];
      else if (g > this._hi[i]) g = this._hi[i];
      writeLe(this._goalBytes, i * 2, 2, encodeSignMagnitude(Math.round(g), 15));
    }
    this._goalsDirty = true;
  }

  /** One bus cycle: the goals (when new and not faulted), then the sync read. */
  private async _once(): Promise<void> {
    if (this._goalsDirty && !this._status.faulted) {
      this._goalsDirty = false;
      await this.bus.syncWrite(42, 2, this._ids, this._goalBytes);
    }
    const faulted = this._status.faulted;
    const r = await this._read(now() + this._readBudget);
    // This cycle latched silent_bus: the servos still listening get the safe stop now, not at close.
    if (!faulted && this._status.faulted && this._armed) await this._safeStop('bus silent');
    // A servo's alert is a fault whether the arm is driven or only read (a leader, --dry-run), as on
    // Dynamixel: a leader whose angle sensor failed must not be followed. Nothing is written to a
    // read-only arm (_safeStop); its health's fault ends a teleop run (src/teleop/runTeleop.ts).
    else if (r.alerts.length > 0 && !this._status.faulted) await this._fault(r.alerts, r.alertCodes);
    // Torque Enable every TORQUE_CHECK_CYCLES cycles: a servo that dropped its torque shows no status bit.
    else if (this._armed && !this._readOnly && !this._status.faulted && this._torque.cycleEnded()) await this._checkTorque();
  }

  /** Torque Enable (40) read back while armed: a servo reading 0 is a `hardware_error` naming it, then the safe stop. */
  private async _checkTorque(): Promise<void> {
    const why = await this._torque.checkArmed(this.bus, this._ids, now() + this._readBudget, this._status, (id) => this._jointOf(id));
    if (why !== undefined) await this._safeStop(why);
  }

  private async _read(deadline: number): Promise<SyncReadResult> {
    const r = await this.bus.syncRead(FEETECH_PRESENT_BLOCK.address, BLOCK, this._ids, this._raw, deadline);
    if (r.retries > 0 && r.ok) this._status.emit('read_retry', `sync read needed ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}`);
    if (r.ok) {
      for (let i = 0; i < this._n; i++) {
        const o = i * BLOCK;
        const ticks = decodeSignMagnitude(readLe(this._raw, o, 2), 15);
        const speed = decodeSignMagnitude(readLe(this._raw, o + 2, 2), 15);
        const load = decodeSignMagnitude(readLe(this._raw, o + 4, 2), 10);
        this._ticks[i] = ticks;
        this._pos[i] = this._dir[i] * (ticks - 2048) * RAD_PER_TICK + this._off[i];
        this._vel[i] = this._dir[i] * speed * RAD_PER_TICK;
        // Load is the motor's PWM duty (0.1 %): an estimate of the torque, not a measurement.
        this._eff[i] = this._dir[i] * (load / 1000) * this._stall[i];
      }
      this._good.take(this._pos, now());
      for (let i = 0; i < this._n; i++) if (this._good.refused[i] === 0) this._goodTicks[i] = this._ticks[i];
      this._seq++;
      this._status.readOk();
    } else if (!this.bus.lost) {
      this._status.readFailed(r.missing, r.retries);
    }
    return r;
  }

  private _jointOf(id: number): string {
    return this.config.joints.find((j) => j.id === id)?.name ?? `id ${id}`;
  }

  /**
   * Servos whose reply carried a status bit (`codes`, same order): the fault names the bits of the
   * reply together with those Status (65) shows when read now; a bit the register no longer shows
   * (a voltage dip over) is still the cause, said as seen in the reply (review R25 F4).
   */
  private async _fault(ids: number[], codes: readonly number[]): Promise<void> {
    for (const id of ids) this._alarmed.add(id);
    const reg = new Map<number, number>();
    const fromReply = (id: number) => codes[ids.indexOf(id)] ?? 0;
    await this._status.servoFaults(
      ids,
      async (id) => {
        let r = -1;
        try {
          r = await this.bus.readValue(id, 65, 1);
        } catch {
          /* said below: not read */
        }
        reg.set(id, r);
        return r < 0 ? (fromReply(id) !== 0 ? fromReply(id) : -1) : fromReply(id) | r;
      },
      (id, bits) => {
        const r = reg.get(id) ?? -1;
        const seen = fromReply(id);
        const note = seen === 0 ? '' : r < 0 ? ' (in its reply; Status, address 65, could not be read)' : (seen & ~r) !== 0 ? ` (in its reply; Status, address 65, reads ${describeStatus(r)} now)` : '';
        return `joint ${this._jointOf(id)} (id ${id}): servo status ${bits < 0 ? 'unknown (could not read Status, address 65)' : describeStatus(bits)}${note}`;
      },
    );
    await this._safeStop(`servo fault on ${ids.map((id) => this._jointOf(id)).join(', ')}`);
  }

  /**
   * The config's safe stop, read back: Torque Enable (40) = 0, or for `hold` Goal Position (42) =
   * the last good measured pose, then Torque Enable read back on (torqueCheck.ts); sent again to
   * the servos that do not show it (confirmedWrite.ts), and
   * those still unconfirmed named in the event. A pose beyond a servo's angle limits (9, 11; a
   * joint resting on its stop after `axon hw calibrate` wrote the config's range there) reads back
   * either as written or clamped to them: no source in the repo says which an STS3215 stores (the
   * emulator stores it as written and clamps the motion), so both count as the hold.
   */
  private async _safeStop(why: string): Promise<void> {
    if (this._readOnly || this.bus.lost) return;
    if (this.config.safe_stop === 'torque_off') {
      const r = await writeConfirmed(this.bus, now, 40, 1, this._ids, new Uint8Array(this._n));
      this._status.emit('safe_stop', `${why}: ${this._said('torque off', r)}`);
      this._stopConfirmed(why, 'torque off', r, 'torque may still be on there; cut servo power if that is not safe');
    } else {
      this._holdGoals();
      const clamped = new Uint8Array(this._n * 2);
      for (let i = 0; i < this._n; i++) {
        const lo = this._angleMin[i], hi = this._angleMax[i];
        const t = Math.round(this._heldTicks(i));
        writeLe(clamped, i * 2, 2, encodeSignMagnitude(lo === 0 && hi === 0 ? t : Math.min(hi, Math.max(lo, t)), 15));
      }
      const goal = await writeConfirmed(this.bus, now, 42, 2, this._ids, this._goalBytes, { alsoAccept: clamped });
      // "torque on" is read back too: a goal read back on a servo that dropped its torque holds nothing (review R25 F3).
      const held = await withTorqueReadBack(this._torque, this.bus, this._ids, now() + SAFE_STOP_BUDGET_S, goal, this._alarmed, (id) => `${this._jointOf(id)} (id ${id})`);
      const r = held.result;
      this._status.emit('safe_stop', `${why}: ${this._said('holding the present pose (goal = present position, torque on)', r)}${held.note}${this._good.heldNote(this._names)}`);
      this._stopConfirmed(why, 'hold', r, `they may still drive to their previous goal (torque on, no bus watchdog)${held.limpRisk}; cut servo power if that is not safe`);
    }
  }

  /** An unconfirmed stop is a fault naming the servos (BusReadHealth.stopConfirmed): the run fails, the summary names them. */
  private _stopConfirmed(why: string, what: string, r: ConfirmResult, risk: string): void {
    const jointOf = (id: number) => this._jointOf(id);
    this._status.stopConfirmed(unconfirmedNames(r, jointOf), unconfirmedFault(why, what, r, jointOf, risk));
  }

  /** What a confirmed write did, for the safe_stop event: read back on all, or which servos it could not confirm. */
  private _said(what: string, r: ConfirmResult): string {
    return confirmedSaid(what, this._n, r, (id) => this._jointOf(id));
  }

  /**
   * A leader arm is moved by hand: Torque Enable 0 on every servo, read back (a servo left torqued
   * by an earlier follower use would fight the operator); connect refuses one it cannot turn off.
   * Under --dry-run nothing is written: the torque is read and said as found. Returns the note
   * for the `connected` event.
   */
  private async _leaderTorqueOff(where: string): Promise<string> {
    const n = this._n;
    if (this.o.dryRun) {
      const te = new Uint8Array(n);
      const r = await this.bus.syncRead(40, 1, this._ids, te, now() + 0.5);
      const on = this._ids.filter((id, i) => r.missing.includes(id) || te[i] !== 0);
      return on.length === 0 ? ' (leader arm: read only, torque off)' : ` (leader arm: read only; torque on or unread at ${namedIds(on, (id) => this._jointOf(id))}, left so: --dry-run writes nothing)`;
    }
    const r = await writeConfirmed(this.bus, now, 40, 1, this._ids, new Uint8Array(n));
    if (r.unconfirmed.length > 0)
      throw new HardwareMismatchError(
        where,
        r.unconfirmed.map((id) => `joint ${this._jointOf(id)} (id ${id}): Torque Enable (40) did not read back 0 after ${r.writes} writes of 0 (a leader arm is moved by hand, torque off)`),
      );
    return ' (leader arm: read only, torque off, read back)';
  }

  private _portLost(err: Error): void {
    const f = `port ${this.bus.transport.name} lost: ${err.message}; STS servos have no bus watchdog: each holds its last goal (at most ${this.config.goal_horizon_ms} ms of travel beyond the last measured pose); cut servo power if that is not safe`;
    this._status.portLost(f);
  }
}
