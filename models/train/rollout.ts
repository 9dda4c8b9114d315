import { createCommand, type JointCommand, type SimulatedRobot } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { manifestOnlyFolder, openSession, type Session } from '../../src/session/index.ts';
import type { Mlp } from './mlp.ts';

/**
 * Training episodes through the runtime's stages: the session builder (src/session) builds the
 * observation builder, action mapper and safety supervisor of every episode, as it builds them
 * for `sim`, `run` and eval, from the manifest the policy is trained for. The stages then run
 * synchronously on sim time (observe -> build -> policy -> map -> safety -> command -> step): no
 * clock, no RxJS, so that thousands of rollouts stay cheap. The session owns the robot.
 */
export class Rollout {
  private readonly action: Float32Array;
  private readonly proposed: JointCommand;
  private readonly sent: JointCommand;
  readonly period: number;

  private constructor(
    private readonly session: Session<SimulatedRobot>,
    private readonly task: Task,
  ) {
    const { mapper } = session.stages();
    this.action = new Float32Array(mapper.clipped.length);
    this.proposed = createCommand(session.robot.spec, mapper.mode);
    this.sent = createCommand(session.robot.spec, mapper.mode);
    this.period = session.period;
  }

  /** Opens the session that trains `manifest`'s policy on `robot` (the robot holds still until a rollout's policy acts). */
  static async open(robot: SimulatedRobot, task: Task, manifest: ModelManifest): Promise<Rollout> {
    const session = await openSession(robot, { holdFolder: manifestOnlyFolder(manifest, `${manifest.name} training`) });
    return new Rollout(session, task);
  }

  /**
   * Runs one episode of at most `ticks` ticks from the robot's present (already reset) state.
   * `shaping(obs, action)` is added to the reward each tick.
   */
  run(mlp: Mlp, ticks: number, shaping?: (jointPosition: Float32Array, jointVelocity: Float32Array, action: Float32Array) => number): { ret: number; steps: number; success: boolean } {
    const { task } = this;
    const robot = this.session.robot;
    const { builder, mapper, safety } = this.session.stages();
    let obs = robot.observe();
    task.reset(obs);
    safety.arm(obs, 0);
    let shaped = 0;
    let steps = 0;
    for (let k = 0; k < ticks; k++) {
      obs = robot.observe();
      const input = builder.build(obs, mapper.clipped);
      mlp.forward(input, this.action);
      mapper.map(this.action, this.proposed);
      safety.check(this.proposed, obs, obs.time, k, this.sent);
      robot.command(this.sent);
      steps++;
      const done = task.step(obs, this.period);
      if (shaping) shaped += shaping(obs.jointPosition, obs.jointVelocity, mapper.clipped);
      if (done) break;
      robot.step(this.period);
    }
    return { ret: task.totalReward + shaped, steps, success: task.success };
  }

  /** Closes the session and its robot. */
  close(): Promise<void> {
    return this.session.close();
  }
}
