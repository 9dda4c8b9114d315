import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import type { SafetyEvent } from '../../src/safety/index.ts';
import { createMujocoUrdfRobot, readUrdf, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { FreeRunTask } from '../../sim/tasks/freeRun.ts';
import { WatchedTask } from '../../sim/watchdog/StateWatchdog.ts';
import { runCommand } from '../helpers/saturation.ts';

/**
 * MuJoCo's silent reset (sim/mujoco/MujocoWarnings.ts; docs/mujoco.md, "MuJoCo's reset"): mj_step's
 * mj_checkAcc resets the whole simulation on a huge acceleration and only counts a warning. axon
 * makes it the state watchdog's breach, so a run ends in the supervisor's safe-stop naming the warning.
 */

const robots: MujocoRobot[] = [];
const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-reset-'));
afterAll(() => {
  robots.forEach((r) => r.dispose());
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A tool tip as a CAD exporter writes it: a frame link with no <inertial>, the tip's inertia a
 * rounding residue (4e-11 kg·m²) and an effort limit of 1.5 N·m: 1.5 / 4e-11 = 3.75e10 rad/s², past
 * MuJoCo's 1e10 (mju_isBad) on the first step.
 */
function writeTip(): string {
  const file = join(dir, 'tip.urdf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<!-- exported by a CAD plug-in -->
<robot name="tiptoy">
  <link name="base_link">
    <inertial><origin xyz="0 0 0"/><mass value="1.0"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial>
  </link>
  <link name="tool_frame"/>
  <joint name="tool_mount" type="fixed"><parent link="base_link"/><child link="tool_frame"/><origin xyz="0 0 0.05" rpy="0 0 0"/></joint>
  <joint name="tip_joint" type="revolute">
    <parent link="tool_frame"/><child link="tip"/><origin xyz="0 0 0.01" rpy="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-3.0" upper="3.0" effort="1.5" velocity="10"/>
  </joint>
  <link name="tip">
    <inertial><origin xyz="0 0 0"/><mass value="0.0001"/><inertia ixx="4e-11" ixy="0" ixz="0" iyy="4e-11" iyz="0" izz="4e-11"/></inertial>
  </link>
</robot>
`,
  );
  return file;
}

async function tipRobot(): Promise<MujocoRobot> {
  const file = writeTip();
  const robot = await createMujocoUrdfRobot(file, readUrdf(file), { physicsDt: 0.002, fixedBase: true });
  robots.push(robot);
  return robot;
}

describe("MuJoCo's reset on a bad acceleration", () => {
  it('is the state watchdog\'s breach, naming mjWARN_BADQACC and the time; reset() clears it', async () => {
    // Before: MuJoCo reset the tip to qpos0 at every step and axon saw a joint at rest (position 0,
    // velocity 0 for the whole run), no breach: the run went on as if nothing happened.
    const robot = await tipRobot();
    const r = runCommand(robot, { mode: 'effort', target: Float64Array.of(1.5) }, { seconds: 0.1, tick: 0.02, physicsDt: 0.002 });
    expect(r.trip).toMatch(/^MuJoCo reset the simulation at t = 0\.002 s \(mjWARN_BADQACC: Nan, Inf or huge value in QACC at DOF 0\. The simulation is unstable\.\)$/);
    expect(r.tripAt).toBe(0.02); // the first tick
    expect(robot.observe().diverged).toBe(r.trip); // kept: later resets do not replace the first
    robot.reset(1);
    expect(robot.observe().diverged).toBeUndefined();
    // A sane effort on the same robot: no breach.
    const calm = runCommand(robot, { mode: 'effort', target: Float64Array.of(1e-12) }, { seconds: 0.1, tick: 0.02, physicsDt: 0.002 });
    expect(calm.trip).toBeUndefined();
  });

  it('is seen through the binding too, where the heap view does not hold the counters (another build\'s mjData layout), after a reset as well', async () => {
    const robot = await tipRobot();
    Object.defineProperty((robot as unknown as { warnings: object }).warnings, 'viewed', { value: false });
    const r = runCommand(robot, { mode: 'effort', target: Float64Array.of(1.5) }, { seconds: 0.1, tick: 0.02, physicsDt: 0.002 });
    expect(r.trip).toMatch(/^MuJoCo reset the simulation at t = 0\.002 s \(mjWARN_BADQACC: /);
    robot.reset(1);
    const again = runCommand(robot, { mode: 'effort', target: Float64Array.of(1.5) }, { seconds: 0.1, tick: 0.02, physicsDt: 0.002 });
    expect(again.trip).toMatch(/mjWARN_BADQACC/);
  });

  it('ends in the supervisor\'s safe-stop through the watched task, as a blown-up cannon-es run does', async () => {
    const robot = await tipRobot();
    const sup = new SafetySupervisor(robot.spec, 0.02, {});
    const events: SafetyEvent[] = [];
    sup.events$.subscribe((e) => events.push(e));
    sup.arm(robot.observe(), 0);
    // SimSession's wiring (sim/session/SimSession.ts): the watched task's trip is reported to the supervisor.
    const task = new WatchedTask(new FreeRunTask(), robot.spec, (reason, obs) => sup.reportStateWatchdog(reason, obs.time, obs.seq));
    task.reset(robot.observe());
    let ended = -1;
    for (let k = 0; k < 5 && ended < 0; k++) {
      robot.command({ mode: 'effort', target: Float64Array.of(1.5) });
      robot.step(0.02);
      if (task.step(robot.observe(), 0.02)) ended = k;
    }
    expect(ended).toBe(0);
    expect(sup.state).toBe('safe-stop');
    const ev = events.find((e) => e.kind === 'state_watchdog');
    expect(ev?.reason).toContain('MuJoCo reset the simulation at t = 0.002 s (mjWARN_BADQACC');
    expect(task.invalid).toContain('mjWARN_BADQACC');
    expect(task.success).toBe(false);
  });
});
