/**
 * Simulator throughput (not a test; run with `npx tsx tests/sim/simBench.ts`): physics steps per
 * second for the shipped robots under a held command, and heap growth per step.
 */
import { createSimRobot, robotNames } from '../../sim/index.ts';

for (const name of robotNames()) {
  const robot = createSimRobot(name);
  const n = robot.spec.joints.length;
  robot.command({ mode: 'effort', target: new Float64Array(n).fill(0.5) });
  robot.step(1); // warm up the JIT
  const seconds = 20; // simulated
  const rounds = 5;
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    robot.reset();
    robot.command({ mode: 'effort', target: new Float64Array(n).fill(0.5) });
    const t0 = performance.now();
    for (let k = 0; k < seconds / 0.02; k++) {
      robot.step(0.02);
      robot.observe();
    }
    const ms = performance.now() - t0;
    rates.push(Math.round(seconds / robot.physicsDt / (ms / 1000)));
  }
  const steps = Math.round(seconds / robot.physicsDt);
  const median = rates.sort((a, b) => a - b)[Math.floor(rounds / 2)];
  console.log(
    `${name}: ${median} physics steps/s (median of ${rounds} runs of ${steps} steps at ${robot.physicsDt * 1000} ms: ${rates.join(', ')}), ` +
      `${(median * robot.physicsDt).toFixed(0)}x real time`,
  );
}
