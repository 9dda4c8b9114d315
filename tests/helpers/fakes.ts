import { BehaviorSubject } from 'rxjs';
import { createObservation, type JointCommand, type JointSpec, type Observation, type RobotHealth, type RobotSpec, type SimulatedRobot } from '../../src/core/robot.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';

export function joint(name: string, extra: Partial<JointSpec> = {}): JointSpec {
  return { name, type: 'revolute', lower: -1, upper: 1, velocityLimit: 2, effortLimit: 5, defaultPosition: 0, kp: 10, kd: 1, ...extra };
}

export function spec(joints: JointSpec[], imu = false): RobotSpec {
  return { name: 'fake', joints, sensors: { imu, contacts: [] }, controlModes: ['position', 'velocity', 'effort'] };
}

/**
 * Unit-mass joints integrated exactly (semi-implicit Euler) under the commanded effort: a robot
 * whose physics the test can predict by hand. Position mode runs PD at each substep.
 */
export class PointMassRobot implements SimulatedRobot {
  readonly health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
  readonly obs: Observation;
  readonly q: Float64Array;
  readonly v: Float64Array;
  readonly commands: JointCommand[] = [];
  private last: JointCommand | undefined;
  private t = 0;
  private substeps = 0;
  constructor(
    readonly spec: RobotSpec,
    readonly physicsDt = 0.002,
  ) {
    this.obs = createObservation(spec);
    this.q = new Float64Array(spec.joints.length);
    this.v = new Float64Array(spec.joints.length);
  }
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  observe(): Observation {
    this.obs.time = this.t;
    this.obs.seq = this.substeps;
    for (let i = 0; i < this.q.length; i++) {
      this.obs.jointPosition[i] = this.q[i];
      this.obs.jointVelocity[i] = this.v[i];
    }
    return this.obs;
  }
  command(cmd: JointCommand): void {
    this.last = { mode: cmd.mode, target: Float64Array.from(cmd.target), kp: cmd.kp && Float64Array.from(cmd.kp), kd: cmd.kd && Float64Array.from(cmd.kd) };
    this.commands.push(this.last);
  }
  step(dt: number): void {
    const n = Math.round(dt / this.physicsDt);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < this.q.length; i++) {
        const j = this.spec.joints[i];
        let u = 0;
        const c = this.last;
        if (c?.mode === 'effort') u = c.target[i];
        else if (c?.mode === 'position') u = (c.kp?.[i] ?? j.kp) * (c.target[i] - this.q[i]) - (c.kd?.[i] ?? j.kd) * this.v[i];
        u = Math.max(-j.effortLimit, Math.min(j.effortLimit, u));
        this.obs.jointEffort[i] = u;
        this.v[i] += u * this.physicsDt;
        this.q[i] += this.v[i] * this.physicsDt;
      }
      this.t += this.physicsDt;
      this.substeps++;
    }
  }
  reset(): void {
    this.q.fill(0);
    this.v.fill(0);
    this.t = 0;
    this.commands.length = 0;
    this.last = undefined;
  }
}

export function manifest(over: Partial<ModelManifest> = {}): ModelManifest {
  return {
    schema: 'axon.model/1',
    name: 'test',
    kind: 'policy',
    robot: 'fake',
    joints: ['a', 'b'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos_rel' }, { term: 'joint_vel' }] },
    action: { type: 'joint_position', scale: 0.5 },
    ...over,
  };
}
