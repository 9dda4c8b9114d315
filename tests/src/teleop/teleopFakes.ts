/**
 * In-memory arms for runTeleop tests: every observe() is a fresh reading (its own seq) of a pose the
 * test sets, with a velocity the test sets; health is a subject the test drives.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { performance } from 'node:perf_hooks';
import { createObservation, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../../../src/core/robot.ts';

export interface FakeArmEvent {
  readonly time: number;
  readonly kind: string;
  readonly reason: string;
}

export class FakeArm implements Robot {
  readonly health = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
  readonly health$ = this.health.asObservable();
  /** As a servo robot's events$ (read_failed, stale, ...): what the arm says happened. */
  readonly events = new Subject<FakeArmEvent>();
  readonly events$ = this.events.asObservable();
  readonly obs: Observation;
  /** The pose and velocity every reading reports (robot joint order). */
  readonly pose: Float32Array;
  readonly velocity: Float32Array;
  commands = 0;
  private _seq = 0;
  private _now: () => number = () => performance.now() / 1000;

  constructor(readonly spec: RobotSpec) {
    this.obs = createObservation(spec);
    this.pose = new Float32Array(spec.joints.length);
    this.velocity = new Float32Array(spec.joints.length);
  }
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  useClock(now: () => number): void {
    this._now = now;
  }
  observe(): Observation {
    this.obs.time = this._now();
    this.obs.seq = ++this._seq;
    this.obs.jointPosition.set(this.pose);
    this.obs.jointVelocity.set(this.velocity);
    return this.obs;
  }
  command(_c: JointCommand): void {
    this.commands++;
  }
}
