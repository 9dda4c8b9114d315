/**
 * The 6-servo XM430 arm (hardware/robots/arm6-xm430.json, with `over`'s fields) as a DynamixelRobot
 * on an in-process emulated bus (emu://), not yet connected, with every hardware event and health
 * report it sends collected in order.
 */
import { loadRobotConfig, type DynamixelRobotConfig } from '../../../hardware/robots/config.ts';
import { DynamixelRobot, type HardwareEvent } from '../../../hardware/robots/DynamixelRobot.ts';
import { createPort } from '../../../hardware/transport/openPort.ts';
import type { RobotHealth } from '../../../src/core/robot.ts';

export function emulatedArm(over: Partial<DynamixelRobotConfig> = {}, period = 0.02) {
  const cfg = { ...loadRobotConfig('hardware/robots/arm6-xm430.json'), ...over };
  const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
  const robot = new DynamixelRobot(cfg, transport, { period });
  const events: HardwareEvent[] = [];
  const health: RobotHealth[] = [];
  robot.events$.subscribe((e) => events.push(e));
  robot.health$.subscribe((h) => health.push(h));
  return { robot, emu: emulator!, events, health };
}
