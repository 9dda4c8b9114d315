import { createCommand, type SimulatedRobot } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import type { Mlp } from './mlp.ts';

/**
 * One training episode through the same stages as the runtime loop (observation builder ->
 * policy -> action mapper -> safety -> robot), run synchronously on sim time: no clock, no RxJS,
 * so that thousands of rollouts stay cheap. Returns the task's return plus an optional shaping term.
 */
export class Rollout {
  private readonly builder: ObservationBuilder;
  private readonly mapper: ActionMapper;
  private readonly action: Float32Array;
  private readonly proposed;
  private readonly sent;
  readonly period: number;

  constructor(
    private readonly robot: SimulatedRobot,
    private readonly task: Task,
    private readonly manifest: ModelManifest,
  ) {
    this.builder = new ObservationBuilder(manifest, robot.spec);
    this.mapper = new ActionMapper(manifest, robot.spec);
    this.action = new Float32Array(this.mapper.clipped.length);
    this.proposed = createCommand(robot.spec, this.mapper.mode);
    this.sent = createCommand(robot.spec, this.mapper.mode);
    this.period = 1 / manifest.control_hz;
  }

  /**
   * Runs one episode of at most `ticks` ticks from the robot's present (already reset) state.
   * `shaping(obs, action)` is added to the reward each tick.
   */
  run(mlp: Mlp, ticks: number, shaping?: (jointPosition: Float32Array, jointVelocity: Float32Array, action: Float32Array) => number): { ret: number; steps: number; success: boolean } {
    const { robot, task, builder, mapper } = this;
    const safety = new SafetySupervisor(robot.spec, this.period);
    let obs = robot.observe();
    builder.reset();
    mapper.clipped.fill(0);
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
}
