import type { SimulatedRobot } from '../../src/core/robot.ts';
import type { SimRobot } from '../SimRobot.ts';

/**
 * What the shipped robots' randomisers and per-episode draws call: the engine-neutral part of a
 * simulated robot, which the cannon-es SimRobot and the MuJoCo robot (sim/mujoco) both have. One
 * seed draws the same episode in both engines because both go through the same draws
 * (sim/robots/index.ts, humanoid.ts, arm.ts).
 */
export type RandomizableRobot = SimulatedRobot &
  Pick<
    SimRobot,
    | 'physicsDt'
    | 'setEpisodeInitialState'
    | 'getInitialPositions'
    | 'setLinkMass'
    | 'nominalLinkMass'
    | 'bodyLinkNames'
    | 'setBodyMassScale'
    | 'setFriction'
    | 'setActuatorScale'
    | 'setSensorNoise'
    | 'setActionLatency'
    | 'setPushes'
    | 'setExtra'
  >;

const RANDOMIZABLE: readonly (keyof RandomizableRobot)[] = [
  'setEpisodeInitialState',
  'getInitialPositions',
  'setLinkMass',
  'nominalLinkMass',
  'bodyLinkNames',
  'setBodyMassScale',
  'setFriction',
  'setActuatorScale',
  'setSensorNoise',
  'setActionLatency',
  'setPushes',
  'setExtra',
];

/** Whether a simulated robot (either engine) has what the randomisers call. */
export function isRandomizable(robot: SimulatedRobot): robot is RandomizableRobot {
  return RANDOMIZABLE.every((k) => typeof (robot as unknown as Record<string, unknown>)[k] === 'function');
}
