import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';

/** Scales effort / feed-forward of every command by `factor` once `active` (a weakened motor: fault injection). */
export class WeakMotors implements SimulatedRobot {
  active = false;
  private readonly cmd: JointCommand;
  constructor(
    private readonly robot: SimulatedRobot,
    private readonly factor: number,
  ) {
    const n = robot.spec.joints.length;
    this.cmd = { mode: 'effort', target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n), feedforward: new Float64Array(n) };
  }
  get spec() {
    return this.robot.spec;
  }
  get health$() {
    return this.robot.health$;
  }
  get physicsDt() {
    return this.robot.physicsDt;
  }
  connect() {
    return this.robot.connect();
  }
  observe() {
    return this.robot.observe();
  }
  command(c: JointCommand): void {
    if (!this.active || c.mode !== 'effort') return this.robot.command(c);
    const k = this.factor, d = this.cmd;
    d.mode = c.mode;
    for (let i = 0; i < d.target.length; i++) {
      d.target[i] = c.target[i] * k;
      d.kp![i] = c.kp?.[i] ?? 0;
      d.kd![i] = c.kd?.[i] ?? 0;
      d.feedforward![i] = (c.feedforward?.[i] ?? 0) * k;
    }
    this.robot.command(d);
  }
  step(dt: number) {
    this.robot.step(dt);
  }
  reset(seed?: number) {
    this.robot.reset(seed);
  }
  close() {
    return this.robot.close();
  }
}
