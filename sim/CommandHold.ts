import { AxonError } from '../src/core/errors.ts';
import type { ControlMode, JointCommand, JointSpec } from '../src/core/robot.ts';

/** Longest action latency setActionLatency accepts (physics steps). */
export const MAX_LATENCY_STEPS = 100;

/**
 * The command a simulated robot holds between commands, and its action latency: with a latency
 * of L physics steps a command waits in a ring and becomes the held one L steps after command()
 * received it. Shared by the cannon-es SimRobot and the MuJoCo robot (sim/mujoco), which read
 * `mode`, `target`, `kp`, `kd`, `ff` at every physics step.
 *
 * Gains: a command's kp/kd arrays, when present, are used as given (0 means no gain); when absent
 * the JointSpec defaults apply; feed-forward absent = 0. A full ring (more than
 * MAX_LATENCY_STEPS commands per latency window) drops the oldest pending command.
 *
 * Real-time rules: command() and applyDue() allocate nothing (the ring is sized here).
 */
export class CommandHold {
  /** Held command: mode, target (rad | m | N·m), gains (N·m/rad, N·m·s/rad), feed-forward (N·m | N). */
  mode: ControlMode = 'effort';
  readonly target: Float64Array;
  readonly kp: Float64Array;
  readonly kd: Float64Array;
  readonly ff: Float64Array;
  private latency = 0;
  private readonly due: Float64Array;
  private readonly pMode: ControlMode[];
  private readonly pTarget: Float64Array[];
  private readonly pKp: Float64Array[];
  private readonly pKd: Float64Array[];
  private readonly pFf: Float64Array[];
  private head = 0;
  /** Commands waiting in the latency ring. */
  pending = 0;

  constructor(
    private readonly joints: readonly Pick<JointSpec, 'kp' | 'kd'>[],
    private readonly robotName: string,
  ) {
    const n = joints.length;
    this.target = new Float64Array(n);
    this.kp = Float64Array.from(joints, (j) => j.kp);
    this.kd = Float64Array.from(joints, (j) => j.kd);
    this.ff = new Float64Array(n);
    const cap = MAX_LATENCY_STEPS + 1;
    this.due = new Float64Array(cap);
    this.pMode = new Array<ControlMode>(cap).fill('effort');
    this.pTarget = Array.from({ length: cap }, () => new Float64Array(n));
    this.pKp = Array.from({ length: cap }, () => new Float64Array(n));
    this.pKd = Array.from({ length: cap }, () => new Float64Array(n));
    this.pFf = Array.from({ length: cap }, () => new Float64Array(n));
  }

  /** Action latency (physics steps). */
  get latencySteps(): number {
    return this.latency;
  }

  /** Sets the latency (an integer in [0, MAX_LATENCY_STEPS], else AxonError SIM_OPTION) and drops pending commands. */
  setLatency(steps: number): void {
    if (!(Number.isInteger(steps) && steps >= 0 && steps <= MAX_LATENCY_STEPS)) {
      throw new AxonError('SIM_OPTION', 'actionLatency', `is ${steps} steps`, `an integer in [0, ${MAX_LATENCY_STEPS}] physics steps`);
    }
    this.latency = steps;
    this.pending = 0;
    this.head = 0;
  }

  /**
   * Holds `cmd` (copied: the caller may reuse its arrays), or queues it until physics step
   * `step + latency` when there is a latency; `step` is the robot's physics step count now.
   * Throws AxonError COMMAND_SHAPE only for a target of the wrong length (a wiring bug).
   */
  command(cmd: JointCommand, step: number): void {
    const joints = this.joints;
    const n = joints.length;
    if (cmd.target.length !== n) {
      throw new AxonError('COMMAND_SHAPE', 'JointCommand.target', `has ${cmd.target.length} values`, `${n}, one per joint of ${this.robotName}`);
    }
    let kp = this.kp, kd = this.kd, ff = this.ff;
    if (this.latency === 0) {
      this.mode = cmd.mode;
      this.target.set(cmd.target);
    } else {
      const cap = this.due.length;
      if (this.pending === cap) {
        this.head = (this.head + 1) % cap;
        this.pending--;
      }
      const k = (this.head + this.pending) % cap;
      this.pending++;
      this.due[k] = step + this.latency;
      this.pMode[k] = cmd.mode;
      this.pTarget[k].set(cmd.target);
      kp = this.pKp[k];
      kd = this.pKd[k];
      ff = this.pFf[k];
    }
    for (let i = 0; i < n; i++) {
      kp[i] = cmd.kp?.[i] ?? joints[i].kp;
      kd[i] = cmd.kd?.[i] ?? joints[i].kd;
      ff[i] = cmd.feedforward?.[i] ?? 0;
    }
  }

  /** Makes every queued command due at physics step `step` the held one (call when `pending > 0`). */
  applyDue(step: number): void {
    const cap = this.due.length;
    while (this.pending > 0 && this.due[this.head] <= step) {
      const k = this.head;
      this.mode = this.pMode[k];
      this.target.set(this.pTarget[k]);
      this.kp.set(this.pKp[k]);
      this.kd.set(this.pKd[k]);
      this.ff.set(this.pFf[k]);
      this.head = (k + 1) % cap;
      this.pending--;
    }
  }

  /** An episode's start: no pending command, zero effort held with the default gains (the latency stays). */
  reset(): void {
    this.pending = 0;
    this.head = 0;
    this.mode = 'effort';
    this.target.fill(0);
    this.ff.fill(0);
    for (let i = 0; i < this.joints.length; i++) {
      this.kp[i] = this.joints[i].kp;
      this.kd[i] = this.joints[i].kd;
    }
  }
}
