/**
 * A robot made of Dynamixel X-series servos on one Protocol 2.0 bus, from a JSON config.
 *
 * connect(): ping every servo, check model numbers, operating modes, position limits and
 * hardware errors, and refuse to arm with a diff on any mismatch; read the pose and refuse a
 * joint more than 0.1 rad outside its limits (startPose.ts: it may read a turn off); then (unless dry-run) hold the
 * present pose, bound a current-based position joint's current (Goal Current from its
 * effort_limit, within Current Limit) and enable torque. The first bus cycle sets the bus watchdog
 * (98), so the servos stop by themselves if axon goes quiet for `watchdog_ms`.
 *
 * Each command(): one sync write of goals (position or current), then one sync read (fast sync
 * read where the firmware has it) of present current, velocity and position, retried within the
 * read budget. Both run off the tick (the bus is asynchronous); observe() returns the latest
 * completed read. command() and observe() never block, throw or allocate.
 *
 * Effort (N·m at the joint): on a model with current sensing, Present Current × the model's own
 * current unit (XM/XH 2.69 mA, XL330 1 mA) × its torque constant (stall torque / stall current).
 * XL430 and XC430 have none: address 126 is Present Load (0.1 % of the maximum torque, which
 * ROBOTIS calls "an inferred value ... not a measured value"); effort is then an estimate,
 * load × the datasheet stall torque at the rated voltage, as FeetechRobot does with its load. A
 * config asking such a servo for current or current-based position is refused at construction
 * (RobotConfigError naming the joint), so Goal Current is never sent to a servo without it.
 *
 * Faults, each an event on `events$` and, where the robot cannot go on, a fault on `health$`:
 * - reads that keep failing: `stale` (the safety supervisor sees the sequence stop and holds,
 *   then safe-stops); recovery clears it.
 * - reads that reach `silent_bus_cycles` (a servo or the whole bus gone silent): a fault, and
 *   `safe_stop` sent at once to the servos still listening.
 * - a servo's hardware error (alert bit): that servo has cut its own torque (Shutdown); the robot
 *   latches a fault naming the joint and applies `safe_stop` to all others (hold: goal = present
 *   pose in the position modes, goal velocity or current 0 in velocity and current mode, torque
 *   on; torque_off: torque disabled), ignoring further commands.
 * - the link lost (unplugged): fault with the port's message; the servos stop on their watchdog.
 * - a pause longer than the watchdog: the servos stop and refuse every goal (Bus Watchdog reads -1),
 *   unseen under a sync write; 98 is read after a long cycle and every 50 cycles, and a trip is a
 *   `bus_watchdog` fault naming the servos, then `safe_stop`; never re-armed mid-run.
 * - a servo whose Torque Enable (64) reads 0 while armed (read every TORQUE_CHECK_CYCLES cycles:
 *   a reboot on a voltage sag leaves torque off and 98 = 0, unseen otherwise): a `hardware_error`
 *   fault naming it, then `safe_stop` (torqueCheck.ts).
 * - close() (end of run, Ctrl-C, after a fault too): `safe_stop` applied, port drained and closed.
 * Every safe stop is read back (Torque Enable 64, or the goal it wrote) and sent again to the servos
 * that do not show it (confirmedWrite.ts); a stop that keeps torque on also reads Torque Enable back;
 * the `safe_stop` event names those it could not confirm. The hold is each joint's last good reading
 * (GoodPose.ts), never one the supervisor would refuse.
 * A leader arm (role "leader") gets Torque Enable 0 at connect, read back (not under --dry-run).
 */
import type { Observable } from 'rxjs';
import { performance } from 'node:perf_hooks';
import { createObservation, type ControlMode, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../../src/core/robot.ts';
import { AxonError } from '../../src/core/errors.ts';
import { DynamixelBus, type SyncReadResult } from '../dynamixel/DynamixelBus.ts';
import { PRESENT_BLOCK, describeHardwareError } from '../dynamixel/controlTable.ts';
import { modelByName } from '../dynamixel/servoModels.ts';
import { describeStatusError, writeLe } from '../dynamixel/packet.ts';
import type { Transport } from '../transport/Transport.ts';
import { jointModelIssue, type DynamixelRobotConfig } from './config.ts';
import { BusCycle } from './BusCycle.ts';
import { BusReadHealth } from './BusReadHealth.ts';
import { StatusErrorReport } from './StatusErrorReport.ts';
import { HardwareMismatchError, robotError, type HardwareEvent } from './HardwareEvent.ts';
import { jointSpecsOf } from './busConfig.ts';
import { DYNAMIXEL_START_POSE_CAUSE, StartPoseError, startPoseIssues } from './startPose.ts';
import { checkServo } from './dynamixelServoCheck.ts';
import { DynamixelWatchdog } from './dynamixelWatchdog.ts';
import { SAFE_STOP_BUDGET_S, confirmedSaid, namedIds, unconfirmedFault, unconfirmedNames, writeConfirmed, type ConfirmResult } from './confirmedWrite.ts';
import { closeWithSafeStop, servoNames } from './closeServos.ts';
import { GoodPose } from './GoodPose.ts';
import { TorqueCheck, withTorqueReadBack } from './torqueCheck.ts';
import { DynamixelUnits } from './dynamixelUnits.ts';

export { FAULT_EVENTS, HardwareMismatchError, type HardwareEvent, type HardwareEventKind } from './HardwareEvent.ts';

export interface DynamixelRobotOptions {
  /** Read only: never enable torque or write goals (what `axon run --dry-run` uses; a leader config is read only whatever this says). */
  readonly dryRun?: boolean;
  /** Tick period the robot is driven at (s); sets the read budget. Default 0.02. */
  readonly period?: number;
  /** Consecutive failed bus cycles before health says stale (default 2). */
  readonly staleAfterCycles?: number;
  /** Steady clock (s), for event and observation stamps and the read deadline; default performance.now(). */
  readonly now?: () => number;
}

const steadyNow = () => performance.now() / 1000;

export class DynamixelRobot implements Robot {
  readonly spec: RobotSpec;
  readonly bus: DynamixelBus;
  readonly events$: Observable<HardwareEvent>;
  /** Every event so far (for summaries). */
  readonly eventLog: HardwareEvent[];
  readonly health$: Observable<RobotHealth>;
  private readonly _status: BusReadHealth;
  private readonly _statusErrors: StatusErrorReport;

  private readonly _n: number;
  private readonly _ids: number[];
  /** Register units <-> joint units, and each servo's goal limits read at connect. */
  private readonly _units: DynamixelUnits;
  private readonly _mode: ControlMode;
  private readonly _obs: Observation;
  // Latest read, SI units, robot joint order (written by the bus cycle, copied by observe()).
  private readonly _pos: Float32Array;
  private readonly _vel: Float32Array;
  private readonly _eff: Float32Array;
  private readonly _raw: Uint8Array; // sync read buffer
  /**
   * Each joint's last good reading, as its PRESENT_BLOCK row (GoodPose: the supervisor's rule):
   * what the `hold` writes, so that an impossible reading never becomes a goal (review R25 F1).
   */
  private readonly _goodRaw: Uint8Array;
  private readonly _good: GoodPose;
  /** `joint (id n)` per joint. */
  private readonly _names: string[];
  private readonly _goalBytes: Uint8Array; // sync write buffer
  private _seq = 0;
  private readonly _now: () => number;
  private _armed = false;
  private _fast = false;
  private readonly _readBudget: number;
  private readonly _cycles: BusCycle;
  /** Never enable torque nor write goals: --dry-run, or a leader arm (config `role: "leader"`). */
  private readonly _readOnly: boolean;

  constructor(
    readonly config: DynamixelRobotConfig,
    transport: Transport,
    private readonly o: DynamixelRobotOptions = {},
  ) {
    this.bus = new DynamixelBus(transport, {
      ...(config.reply_timeout_ms !== undefined ? { replyMarginS: config.reply_timeout_ms / 1000 } : {}),
      ...(config.latency_timer_ms !== undefined ? { latencyTimerS: config.latency_timer_ms / 1000 } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    this._now = o.now ?? steadyNow;
    this._readOnly = (o.dryRun ?? false) || config.role === 'leader';
    this._status = new BusReadHealth({
      now: this._now,
      port: transport.name,
      jointOf: (id) => this._jointOf(id),
      staleAfter: o.staleAfterCycles ?? 2,
      silentAfter: config.silent_bus_cycles ?? 50,
      integrity: 'CRC',
    });
    this.events$ = this._status.events$;
    this.health$ = this._status.health$;
    this.eventLog = this._status.eventLog;
    this._statusErrors = new StatusErrorReport((k, why, id) => this._status.emit(k, why, id), (id) => this._jointOf(id), describeStatusError);
    const js = config.joints;
    const n = js.length;
    js.forEach((j, i) => {
      const e = jointModelIssue(config, j, `${config.name}#/joints/${i}`);
      if (e) throw e;
    });
    this._n = n;
    this._ids = js.map((j) => j.id);
    this._mode = config.operating_mode === 'current' ? 'effort' : config.operating_mode === 'velocity' ? 'velocity' : 'position';
    this._units = new DynamixelUnits(js, js.map((j) => modelByName(j.model)!), this._mode);
    // In velocity mode only Goal Velocity is written (DynamixelUnits.encodeGoals): the servo's own velocity loop
    // moves the joint, axon's kd is never sent, so the spec says so (JointSpec.ownVelocityLoop).
    const joints = jointSpecsOf(js, config);
    this.spec = {
      name: config.name,
      joints: this._mode === 'velocity' ? joints.map((j) => ({ ...j, ownVelocityLoop: true })) : joints,
      sensors: { imu: false, contacts: [] },
      controlModes: [this._mode],
    };
    this._obs = createObservation(this.spec);
    this._obs.extras.bus_age = new Float32Array(1);
    this._pos = new Float32Array(n);
    this._vel = new Float32Array(n);
    this._eff = new Float32Array(n);
    this._raw = new Uint8Array(n * PRESENT_BLOCK.length);
    this._goodRaw = new Uint8Array(n * PRESENT_BLOCK.length);
    this._good = new GoodPose(this.spec.joints, o.period ?? 0.02);
    this._names = servoNames(js);
    this._goalBytes = new Uint8Array(n * 4);
    this._readBudget = (o.period ?? 0.02) * (config.read_budget ?? 0.6);
    this.bus.onLost = (err) => this._portLost(err);
    this._cycles = new BusCycle(() => this._once(), () => this.bus.lost);
    this._watchdog = new DynamixelWatchdog(n, config.watchdog_ms);
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
  /** Bus cycles that ended without a complete read, since connect. */
  get failedReads(): number {
    return this._status.failedTotal;
  }

  /**
   * Pings and checks every servo, reads the present pose and (unless dry-run) arms. Any failure
   * closes the port and rejects with the port and the servo ids named; on a silent bus that takes
   * ids × attempts × (wire time + reply timeout), e.g. 6 × 3 × 36 ms at 1 Mbps by default.
   */
  async connect(): Promise<void> {
    const where = `${this.config.name} on ${this.bus.transport.name}`;
    try {
      await this._connect(where);
    } catch (e) {
      this._cycles.closed = true;
      await this.bus.close().catch(() => {});
      if (e instanceof AxonError && !(e instanceof HardwareMismatchError)) throw robotError(e, where, this.bus.transport.name);
      throw e;
    }
  }

  private async _connect(where: string): Promise<void> {
    const c = this.config;
    await this.bus.open();
    const diff: string[] = [];
    let fastOk = c.fast_sync_read ?? true;
    const frames: string[] = [];
    for (const j of c.joints) {
      const k = c.joints.indexOf(j);
      const r = await checkServo(this.bus, c, j, (ticks) => this._units.ticksToJoint(k, ticks));
      diff.push(...r.diff);
      if (!r.answered) continue;
      if (!r.fastSyncRead) fastOk = false;
      if (r.frame !== undefined) frames.push(r.frame);
      this._units.setLimits(k, r.velocityLimit, r.currentLimit, r.positionLimits);
    }
    if (diff.length === c.joints.length && diff.every((d) => d.includes('did not answer a ping'))) {
      const ms = Math.round(this.bus.timeoutFor(10, 14) * 1000);
      diff.push(`no servo answered on ${this.bus.transport.name} (ids ${this._ids.join(', ')}; ${this.bus.attempts} pings each, ${ms} ms reply timeout): check power, wiring, the port and the baud rate (${c.baud} bit/s)`);
    }
    if (diff.length > 0) throw new HardwareMismatchError(where, diff);
    this._fast = fastOk && this._n > 1;
    // First read: the present pose (soft start begins from it).
    const r = await this._read(this._now() + 0.5);
    if (!r.ok) throw new AxonError('HW_READ', where, `servo ids ${r.missing.join(', ')} (${r.missing.map((id) => this._jointOf(id)).join(', ')}) did not answer the first sync read within 0.5 s${r.errors.length > 0 ? ` (${r.errors.map((id, i) => `id ${id}: ${describeStatusError(r.errorCodes[i])}`).join('; ')})` : ''}`);
    // A joint far outside its limits (or a turn off) would be driven there the long way round.
    const off = startPoseIssues(c.joints, this._pos, () => DYNAMIXEL_START_POSE_CAUSE);
    if (off.length > 0) throw new StartPoseError(where, off);
    const leader = c.role === 'leader' ? await this._leaderTorqueOff(where) : '';
    this._status.connected(
      `${this._n} servos on ${this.bus.transport.name} at ${c.baud} bit/s, ${this._fast ? 'fast ' : ''}sync read${leader}` +
        (frames.length > 0 ? `; set on the servos, under the config's direction and offset: ${frames.join(', ')}` : ''),
    );
    if (this._readOnly) return;

    // Arm: clear the watchdog, goals = present pose, torque on, watchdog on.
    const ids = this._ids;
    await this.bus.syncWrite(98, 1, ids, new Uint8Array(this._n));
    if (this._mode === 'position') {
      this._units.holdGoals(this._heldRaw(), this._goalBytes);
      await this.bus.syncWrite(116, 4, ids, this._goalBytes);
    } else {
      this._goalBytes.fill(0);
      if (this._mode === 'effort') await this.bus.syncWrite(102, 2, ids, this._goalBytes.subarray(0, this._n * 2));
      else await this.bus.syncWrite(104, 4, ids, this._goalBytes);
    }
    // Current-based position: Goal Current (102) is the most current the position controller may
    // use (e-Manual control_table_goal_current.md: "This value sets a limit to current in
    // Current-based Position Control mode"); its power-on value is not documented, so it is set
    // here from the joint's effort_limit, within the servo's Current Limit: a gripper closed on an
    // object squeezes with at most that (LeRobot's Koch gripper relies on this mode for it).
    for (let i = 0; i < this._n; i++) {
      if ((c.joints[i].operating_mode ?? c.operating_mode) !== 'current_based_position') continue;
      const b = new Uint8Array(2);
      writeLe(b, 0, 2, this._units.goalCurrentFor(i, c.joints[i].effort_limit));
      await this.bus.write(ids[i], 102, b);
    }
    await this.bus.syncWrite(64, 1, ids, new Uint8Array(this._n).fill(1));
    // The bus watchdog (98) is set by the first bus cycle, just before its goals (_once): set here,
    // the set-up between connect and the first tick (a world model loading, a first inference) would
    // trip it, and the servos would refuse every goal of the run. Until then the goals are the
    // present pose, which is also what a tripped watchdog leaves.
    const check = await this._read(this._now() + 0.5);
    if (check.alerts.length > 0) await this._hardwareFault(check.alerts);
    this._armed = true;
    this._status.emit('armed', `torque on, bus watchdog ${c.watchdog_ms} ms from the first command, safe stop: ${c.safe_stop}`);
  }

  /**
   * Stamps observations and events on the run's clock from now on (runLive gives its loop
   * clock's now): an observation's time is then that clock's reading when its read completed.
   * The bus deadlines and `bus_age` stay on this robot's steady clock.
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
    o.extras.bus_age[0] = this._now() - this._status.lastReadAt;
    return o;
  }

  command(cmd: JointCommand): void {
    if (this._cycles.closed) return;
    if (!this._status.faulted && this._armed && !this._readOnly && cmd.mode === this._mode) {
      this._units.encodeGoals(cmd, this._goalBytes);
      this._goalsDirty = true;
    }
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

  private _goalsDirty = false;
  /** The servos' bus watchdog (98): set by the first bus cycle, read back (dynamixelWatchdog.ts). */
  private readonly _watchdog: DynamixelWatchdog;
  /** Torque Enable (64) read back while armed and after a safe stop that keeps torque on (torqueCheck.ts). */
  private readonly _torque = new TorqueCheck(64);
  /** Servos that raised their alert (Shutdown may have cut their torque). */
  private readonly _alarmed = new Set<number>();

  /** One bus cycle: the goals (when new and not faulted), then the sync read, then (when due) the watchdog check. */
  private async _once(): Promise<void> {
    const w = this._watchdog;
    const armNow = this._armed && !this._readOnly && !w.armed && !this._status.faulted;
    if (armNow) await this.bus.syncWrite(98, 1, this._ids, w.value);
    if (this._goalsDirty && !this._status.faulted) {
      this._goalsDirty = false;
      const ids = this._ids;
      if (this._mode === 'position') await this.bus.syncWrite(116, 4, ids, this._goalBytes);
      else if (this._mode === 'effort') await this.bus.syncWrite(102, 2, ids, this._goalBytes.subarray(0, this._n * 2));
      else await this.bus.syncWrite(104, 4, ids, this._goalBytes);
    }
    const faulted = this._status.faulted;
    const r = await this._read(this._now() + this._readBudget);
    // This cycle latched silent_bus: the servos still listening get the safe stop now, not at close
    // (they keep hearing the sync reads, so their bus watchdog never fires).
    if (!faulted && this._status.faulted && this._armed) await this._safeStop('bus silent');
    else if (r.alerts.length > 0 && !this._status.faulted) await this._hardwareFault(r.alerts);
    else if (w.cycleEnded(this._now()) && !this._status.faulted) await this._checkWatchdog();
    // Torque Enable every TORQUE_CHECK_CYCLES cycles (not in a cycle that read 98: one extra read at most):
    // a rebooted servo comes back with torque off and 98 = 0, which the watchdog check passes.
    else if (this._armed && !this._readOnly && !this._status.faulted && this._torque.cycleEnded()) await this._checkTorque();
    if (armNow) w.armed = true;
  }

  /** Torque Enable (64) read back while armed: a servo reading 0 is a `hardware_error` naming it, then the safe stop. */
  private async _checkTorque(): Promise<void> {
    const why = await this._torque.checkArmed(this.bus, this._ids, this._now() + this._readBudget, this._status, (id) => this._jointOf(id));
    if (why !== undefined) await this._safeStop(why);
  }

  /** Bus Watchdog (98) read back: a servo reading -1 is a `bus_watchdog` fault naming the servos, then the safe stop; never re-armed mid-run. */
  private async _checkWatchdog(): Promise<void> {
    const ids = await this._watchdog.check(this.bus, this._ids, this._now() + this._readBudget);
    if (ids.length === 0) return;
    const names = ids.map((id) => `${this._jointOf(id)} (id ${id})`);
    const f = this._watchdog.fault(names);
    this._status.faulted = true;
    this._status.addFaults([f]);
    this._status.emit('bus_watchdog', f);
    await this._safeStop(`bus watchdog tripped on ${names.join(', ')}`);
  }

  /** One sync read into the latest-state buffers. */
  private async _read(deadline: number): Promise<SyncReadResult> {
    const r = await this.bus.syncRead(PRESENT_BLOCK.address, PRESENT_BLOCK.length, this._ids, this._raw, deadline, this._fast);
    if (r.retries > 0 && r.ok) this._status.emit('read_retry', `sync read needed ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}`);
    if (r.ok) {
      this._units.decode(this._raw, this._pos, this._vel, this._eff);
      this._good.take(this._pos, this._now());
      const L = PRESENT_BLOCK.length;
      for (let i = 0; i < this._n; i++) if (this._good.refused[i] === 0) for (let k = i * L; k < (i + 1) * L; k++) this._goodRaw[k] = this._raw[k];
      this._seq++;
      this._statusErrors.ok();
      this._status.readOk();
    } else if (!this.bus.lost) {
      this._statusErrors.failed(r);
      this._status.readFailed(r.missing, r.retries);
    }
    return r;
  }

  /** The last good reading of every joint (PRESENT_BLOCK rows); a joint that never had one gets its latest. */
  private _heldRaw(): Uint8Array {
    const L = PRESENT_BLOCK.length;
    for (let i = 0; i < this._n; i++) if (Number.isNaN(this._good.pose[i])) this._goodRaw.set(this._raw.subarray(i * L, (i + 1) * L), i * L);
    return this._goodRaw;
  }

  private _jointOf(id: number): string {
    return this.config.joints.find((j) => j.id === id)?.name ?? `id ${id}`;
  }

  private async _hardwareFault(ids: number[]): Promise<void> {
    for (const id of ids) this._alarmed.add(id);
    await this._status.servoFaults(
      ids,
      (id) => this.bus.readValue(id, 70, 1),
      (id, bits) => `joint ${this._jointOf(id)} (id ${id}): hardware error ${bits < 0 ? 'unknown (could not read Hardware Error Status)' : describeHardwareError(bits)}`,
    );
    await this._safeStop(`hardware error on ${ids.map((id) => this._jointOf(id)).join(', ')}`);
  }

  /**
   * Applies the configured safe stop to every servo, read back and sent again to the servos that
   * do not show it (confirmedWrite.ts): Torque Enable (64) = 0, or the goal written (a position-mode
   * hold within the servo's position limits, DynamixelUnits.holdGoals).
   */
  private async _safeStop(why: string): Promise<void> {
    if (this._readOnly || this.bus.lost) return;
    const ids = this._ids;
    const jointOf = (id: number) => this._jointOf(id);
    // An unconfirmed stop is also a fault naming the servos (BusReadHealth.stopConfirmed): the run fails, the summary names them.
    const torqueOff = this.config.safe_stop === 'torque_off';
    const say = async (what: string, goal: ConfirmResult) => {
      // A stop that keeps torque on has it read back too: a goal read back on a servo that dropped
      // its torque holds nothing (review R25 F3).
      const held = torqueOff ? { result: goal, note: '', limpRisk: '' } : await withTorqueReadBack(this._torque, this.bus, ids, this._now() + SAFE_STOP_BUDGET_S, goal, this._alarmed, (id) => `${jointOf(id)} (id ${id})`);
      const r = held.result;
      const good = this._mode === 'position' && !torqueOff ? this._good.heldNote(this._names) : '';
      this._status.emit('safe_stop', `${why}: ${confirmedSaid(what, this._n, r, jointOf)}${held.note}${good}`);
      const risk = torqueOff ? 'torque may still be on there' : `they may still drive to their previous goal (torque on)${held.limpRisk}`;
      this._status.stopConfirmed(unconfirmedNames(r, jointOf), unconfirmedFault(why, torqueOff ? 'torque off' : 'hold', r, jointOf, `${risk}; the bus watchdog (${this.config.watchdog_ms} ms) stops them only once the bus is quiet`));
    };
    if (torqueOff) {
      await say('torque off', await writeConfirmed(this.bus, this._now, 64, 1, ids, new Uint8Array(this._n)));
    } else if (this._mode === 'position') {
      // Hold the pose read last: goal position = present position (torque stays on), within the limits the servo checks.
      this._units.holdGoals(this._heldRaw(), this._goalBytes);
      await this._watchdog.keepTrippedGoals(this.bus, this._ids, this._goalBytes, this._now() + SAFE_STOP_BUDGET_S);
      await say('holding the present pose (goal = present position, torque on)', await writeConfirmed(this.bus, this._now, 116, 4, ids, this._goalBytes));
    } else {
      // Velocity mode: the servo's velocity loop brakes to rest and holds still; current mode
      // commands no torque (the joint is free to be back-driven, torque stays enabled).
      const effort = this._mode === 'effort';
      const r = await writeConfirmed(this.bus, this._now, effort ? 102 : 104, effort ? 2 : 4, ids, new Uint8Array(this._n * (effort ? 2 : 4)));
      await say(`stopping (${effort ? 'goal current 0' : 'goal velocity 0'}, torque on)`, r);
    }
  }

  /**
   * A leader arm is moved by hand: Torque Enable (64) 0 on every servo, read back (a servo left
   * torqued by an earlier follower use would fight the operator); connect refuses one it cannot
   * turn off. Under --dry-run nothing is written: the torque is read and said as found. Returns
   * the note for the `connected` event.
   */
  private async _leaderTorqueOff(where: string): Promise<string> {
    const n = this._n;
    if (this.o.dryRun) {
      const te = new Uint8Array(n);
      const r = await this.bus.syncRead(64, 1, this._ids, te, this._now() + 0.5);
      const on = this._ids.filter((id, i) => r.missing.includes(id) || r.errors.includes(id) || te[i] !== 0);
      return on.length === 0 ? ' (leader arm: read only, torque off)' : ` (leader arm: read only; torque on or unread at ${namedIds(on, (id) => this._jointOf(id))}, left so: --dry-run writes nothing)`;
    }
    const r = await writeConfirmed(this.bus, this._now, 64, 1, this._ids, new Uint8Array(n));
    if (r.unconfirmed.length > 0)
      throw new HardwareMismatchError(
        where,
        r.unconfirmed.map((id) => `joint ${this._jointOf(id)} (id ${id}): Torque Enable (64) did not read back 0 after ${r.writes} writes of 0 (a leader arm is moved by hand, torque off)`),
      );
    return ' (leader arm: read only, torque off, read back)';
  }

  private _portLost(err: Error): void {
    const f = `port ${this.bus.transport.name} lost: ${err.message}; the servos stop on their bus watchdog (${this.config.watchdog_ms} ms)`;
    this._status.portLost(f);
  }
}

