/**
 * A small turret-and-wrist robot whose motors saturate, and a run that holds one command on a
 * robot under the state watchdog, for the effort-limit tests of both engines
 * (tests/sim/mujocoSaturation.test.ts, tests/bench/saturationFigures.ts). The robot has the awkward
 * properties of vendor files: light distal links (a 20 g wrist of 1e-5 kg·m², a 5 g jaw of 1e-6
 * with a product of inertia), small effort limits (0.5 N·m on the turret and the jaw, 20 on the
 * wrist, 0.02 on the boom), joints declared out of tree order (the jaw first), a tool frame `tcp`
 * with `<mass value="0"/>` and a zero tensor and a `camera_frame` without `<inertial>`.
 *
 * Fixed to `world`. The turret turns about z (gravity does not load it) and carries 0.4 kg (4e-3
 * kg·m² about its axis): a step of its target saturates it for real, it accelerates at limit /
 * inertia. The wrist and jaw turn about x with their masses on the axis (gravity loads them by
 * under 1e-3 N·m): their PD law never needs its limit over a step (the damping, taken at the next
 * velocity, stops a light link first), it only has to stay stable. The boom (50 g, 0.1 m out
 * along y, about x) weighs 0.049 N·m on a 0.02 N·m motor: it cannot be held and falls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { StateWatchdog } from '../../sim/watchdog/StateWatchdog.ts';

/** Effort limits (N·m) by joint, as written. */
export const WRIST_EFFORT = { turret: 0.5, wrist: 20, jaw: 0.5, boom: 0.02 } as const;

/** The turret's inertia about its axis (kg·m²): its link's izz plus the wrist's and jaw's (on the axis). */
export const TURRET_INERTIA = 4e-3 + 1e-5 + 1e-6;

/** The boom's weight about its axis at q = 0 (N·m): 0.05 kg × 9.81 m/s² × 0.1 m. */
export const BOOM_LOAD = 0.05 * 9.81 * 0.1;

/** Writes DIR/saturation_wrist.urdf and returns its path. */
export function writeSaturationWrist(dir: string): string {
  const file = join(dir, 'saturation_wrist.urdf');
  writeFileSync(file, URDF);
  return file;
}

const URDF = `<?xml version="1.0" encoding="utf-8"?>
<!-- exported by a CAD plug-in: joints in the order they were mated -->
<robot name="saturation_wrist">
  <link name="world"/>
  <joint name="mount" type="fixed">
    <parent link="world"/>
    <child link="base_link"/>
    <origin rpy="0 0 0" xyz="0 0 0.3"/>
  </joint>
  <link name="base_link">
    <inertial><origin xyz="0 0 0"/><mass value="1.2"/><inertia ixx="2e-3" ixy="0" ixz="0" iyy="2e-3" iyz="0" izz="2e-3"/></inertial>
  </link>
  <joint name="jaw" type="revolute">
    <parent link="wrist_link"/>
    <child link="jaw_link"/>
    <origin rpy="0 0 0" xyz="0 0 0.03"/>
    <axis xyz="1 0 0"/>
    <limit effort="0.5" lower="-2.5" upper="2.5" velocity="6"/>
  </joint>
  <joint name="turret" type="revolute">
    <parent link="base_link"/>
    <child link="upper_link"/>
    <origin rpy="0 0 0" xyz="0 0 0.05"/>
    <axis xyz="0 0 1"/>
    <limit effort="0.5" lower="-3" upper="3" velocity="6"/>
  </joint>
  <link name="upper_link">
    <inertial><origin xyz="0 0 0.04"/><mass value="0.4"/><inertia ixx="2.5e-3" ixy="0" ixz="0" iyy="2.5e-3" iyz="0" izz="4e-3"/></inertial>
  </link>
  <joint name="wrist" type="revolute">
    <parent link="upper_link"/>
    <child link="wrist_link"/>
    <origin rpy="0 0 0" xyz="0 0 0.08"/>
    <axis xyz="1 0 0"/>
    <limit effort="20" lower="-2.5" upper="2.5" velocity="6"/>
  </joint>
  <link name="wrist_link">
    <inertial><origin xyz="0 0 0"/><mass value="0.02"/><inertia ixx="1e-5" ixy="0" ixz="0" iyy="1e-5" iyz="0" izz="1e-5"/></inertial>
  </link>
  <link name="jaw_link">
    <inertial><origin xyz="0 0 0"/><mass value="0.005"/><inertia ixx="1e-6" ixy="1e-7" ixz="0" iyy="1e-6" iyz="0" izz="1e-6"/></inertial>
  </link>
  <joint name="tcp_joint" type="fixed">
    <parent link="jaw_link"/>
    <child link="tcp"/>
    <origin rpy="0 0 0" xyz="0 0 0.02"/>
  </joint>
  <link name="tcp">
    <inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial>
  </link>
  <joint name="boom" type="revolute">
    <parent link="base_link"/>
    <child link="boom_link"/>
    <origin rpy="0 0 0" xyz="0.06 0 0"/>
    <axis xyz="1 0 0"/>
    <limit effort="0.02" lower="-3" upper="3" velocity="6"/>
  </joint>
  <link name="boom_link">
    <inertial><origin xyz="0 0.1 0"/><mass value="0.05"/><inertia ixx="1e-5" ixy="0" ixz="0" iyy="1e-5" iyz="0" izz="1e-5"/></inertial>
  </link>
  <joint name="camera_joint" type="fixed">
    <parent link="upper_link"/>
    <child link="camera_frame"/>
    <origin rpy="0 0 0" xyz="0.02 0 0.06"/>
  </joint>
  <link name="camera_frame"/>
</robot>
`;

export interface StepRunResult {
  /** Largest |velocity| of each joint over the run (rad/s | m/s; robot joint order), read after every physics step. */
  readonly peak: Float64Array;
  /** Largest |effort| / effort limit of each joint over the run. */
  readonly effortRatio: Float64Array;
  /** The state watchdog's first breach judged at each tick (sim/watchdog/StateWatchdog.ts), and its time (s); undefined: none. */
  readonly trip: string | undefined;
  readonly tripAt: number | undefined;
  /** Positions at the end (rad | m). */
  readonly final: Float32Array;
  /** Positions and velocities after every tick, for comparing runs bit for bit. */
  readonly trajectory: Float64Array;
}

/**
 * Holds one command for `seconds`: a tick every `tick` s (the watchdog judges each), the robot
 * stepped physics step by physics step in between (`physicsDt`), each observed (peaks, efforts).
 */
export function runCommand(robot: SimulatedRobot, cmd: JointCommand, o: { readonly seconds: number; readonly tick: number; readonly physicsDt: number }): StepRunResult {
  const n = robot.spec.joints.length;
  const peak = new Float64Array(n);
  const effortRatio = new Float64Array(n);
  const watchdog = new StateWatchdog(robot.spec);
  watchdog.reset(robot.observe());
  const ticks = Math.round(o.seconds / o.tick);
  const sub = Math.round(o.tick / o.physicsDt);
  const trajectory = new Float64Array(ticks * 2 * n);
  let tripAt: number | undefined;
  for (let k = 0; k < ticks; k++) {
    robot.command(cmd);
    for (let s = 0; s < sub; s++) {
      robot.step(o.physicsDt);
      const obs = robot.observe();
      for (let i = 0; i < n; i++) {
        const v = Math.abs(obs.jointVelocity[i]);
        peak[i] = Number.isNaN(v) ? Infinity : Math.max(peak[i], v); // NaN: blown up
        const lim = robot.spec.joints[i].effortLimit;
        if (lim > 0) effortRatio[i] = Math.max(effortRatio[i], Math.abs(obs.jointEffort[i]) / lim);
      }
    }
    const obs = robot.observe();
    for (let i = 0; i < n; i++) {
      trajectory[(k * 2) * n + i] = obs.jointPosition[i];
      trajectory[(k * 2 + 1) * n + i] = obs.jointVelocity[i];
    }
    if (tripAt === undefined && !watchdog.check(obs)) tripAt = (k + 1) * o.tick;
  }
  return { peak, effortRatio, trip: watchdog.reason, tripAt, final: Float32Array.from(robot.observe().jointPosition), trajectory };
}
