import { describe, expect, it } from 'vitest';
import * as P from '../../hardware/dynamixel/packet.ts';
import { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { PacketDecoder } from '../../hardware/dynamixel/PacketDecoder.ts';
import { SERVO_MODELS, modelByName, modelByNumber, torqueConstant, controlTableOf } from '../../hardware/dynamixel/servoModels.ts';
import { loadRobotConfig, validateRobotConfig, type DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { DynamixelRobot, type HardwareEvent } from '../../hardware/robots/DynamixelRobot.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import { createCommand } from '../../src/core/robot.ts';

const ARM = 'hardware/robots/arm6-xm430.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shipped 6-joint arm with every servo swapped for `model`, in `mode`; joint 2 geared 2:1. */
function armOf(model: string, mode: DynamixelRobotConfig['operating_mode'], over: Partial<DynamixelRobotConfig> = {}): DynamixelRobotConfig {
  const base = loadRobotConfig(ARM);
  const joints = base.joints.map((j, i) => ({ ...j, model, ...(i === 1 ? { gear_ratio: 2, lower: -1.2, upper: 1.2 } : {}) }));
  return { ...base, name: `arm6-${model.toLowerCase()}`, operating_mode: mode, joints, ...over };
}

const MODE_CODE = { current: 0, velocity: 1, position: 3 } as const;

function onEmulator(cfg: DynamixelRobotConfig, code: number) {
  const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model, table: { operating_mode: code } })) });
  const robot = new DynamixelRobot(cfg, transport, { period: 0.02 });
  const events: HardwareEvent[] = [];
  robot.events$.subscribe((e) => events.push(e));
  return { robot, emu: emulator!, events };
}

/** One servo's emulator on virtual time, asked raw packets. */
function servoRig(model: string) {
  const emu = new DynamixelEmulator({ servos: [{ id: 1, model }], now: () => 0 });
  const ask = (pkt: Uint8Array) => {
    const sent: P.Packet[] = [];
    const out: P.Packet[] = [];
    new PacketDecoder((p) => sent.push(p)).push(pkt); // through the decoder, as bytes
    for (const r of emu.handle(sent[0])) new PacketDecoder((q) => out.push(q)).push(r);
    return out[0];
  };
  return { emu, ask };
}

describe('Dynamixel models', () => {
  it('resolve by the model numbers ROBOTIS gives them, and the emulator answers a ping with them', () => {
    const want: Record<number, string> = { 1060: 'XL430-W250', 1070: 'XC430-W150', 1080: 'XC430-W240', 1190: 'XL330-M077', 1200: 'XL330-M288', 1020: 'XM430-W350' };
    for (const [n, name] of Object.entries(want)) {
      expect(modelByNumber(Number(n))?.name).toBe(name);
      const { ask } = servoRig(name);
      expect(P.readLe(ask(P.ping(1)).params, 0, 2)).toBe(Number(n));
    }
    expect(new Set(SERVO_MODELS.map((m) => m.number)).size).toBe(SERVO_MODELS.length);
  });

  it('carry their own current unit, or none, at address 126', () => {
    expect(modelByName('XL330-M288')!.currentUnit).toBe(0.001);
    expect(modelByName('XM430-W350')!.currentUnit).toBe(0.00269);
    expect(modelByName('XL430-W250')!.currentUnit).toBeUndefined();
    const at126 = (m: string) => controlTableOf(modelByName(m)!).find((i) => i.address === 126)!;
    expect(at126('XL430-W250')).toMatchObject({ name: 'present_load', scale: 0.001, min: -1000, max: 1000 });
    expect(at126('XC430-W240').name).toBe('present_load');
    expect(at126('XL330-M077')).toMatchObject({ name: 'present_current', scale: 0.001 });
    expect(controlTableOf(modelByName('XL430-W250')!).some((i) => i.address === 38 || i.address === 102)).toBe(false);
  });
});

describe('emulated servos answer with their own table', () => {
  it('XL430-W250: Goal Current (102) and Current Limit (38) are not defined: Access Error; no current operating mode', () => {
    const { emu, ask } = servoRig('XL430-W250');
    expect(ask(P.write(1, 102, P.le(100, 2))).error).toBe(7);
    expect(ask(P.read(1, 38, 2)).error).toBe(7);
    expect(ask(P.write(1, 11, [0])).error).toBe(4); // current mode
    expect(ask(P.write(1, 11, [5])).error).toBe(4); // current-based position
    expect(ask(P.write(1, 11, [1])).error).toBe(0);
    expect(emu.servo(1).mem[11]).toBe(1);
    expect(P.readLe(ask(P.read(1, 44, 4)).params, 0, 4)).toBe(265); // factory Velocity Limit
    expect(ask(P.read(1, 126, 10)).error).toBe(0); // the present block still reads
  });

  it('XL330-M288: Current Limit up to 1750 (1 mA units), Goal Current within it, 4 Mbps at most', () => {
    const { ask } = servoRig('XL330-M288');
    expect(P.readLe(ask(P.read(1, 38, 2)).params, 0, 2)).toBe(1750);
    expect(ask(P.write(1, 38, P.le(1751, 2))).error).toBe(4);
    expect(ask(P.write(1, 102, P.le(1750, 2))).error).toBe(0);
    expect(ask(P.write(1, 102, P.le(1751, 2))).error).toBe(4);
    expect(ask(P.write(1, 8, [7])).error).toBe(4); // 4.5 Mbps: not on an XL330
  });
});

describe('robot configs ask only what the model has', () => {
  it('refuses current mode on XL430-W250 naming the joint, the model and the modes it has', () => {
    const raw = JSON.parse(JSON.stringify(armOf('XL430-W250', 'current')));
    expect(() => validateRobotConfig(raw, 'koch.json')).toThrow(
      expect.objectContaining({
        code: 'ROBOT_CONFIG',
        where: 'koch.json#/operating_mode',
        message: expect.stringMatching(/joint "shoulder_pan" \(id 1\) is a XL430-W250, which has no current operating mode/),
        expected: expect.stringContaining('velocity, position, extended_position'),
      }),
    );
  });

  it("refuses a gripper's current_based_position on XC430 but takes it on XL330 (LeRobot's Koch gripper)", () => {
    const raw = JSON.parse(JSON.stringify(armOf('XC430-W150', 'position')));
    raw.joints[5].operating_mode = 'current_based_position';
    expect(() => validateRobotConfig(raw, 'arm.json')).toThrow(expect.objectContaining({ where: 'arm.json#/joints/5/operating_mode', message: expect.stringContaining('joint "gripper" (id 6) is a XC430-W150') }));
    raw.joints[5].model = 'XL330-M288';
    expect(validateRobotConfig(raw, 'arm.json').joints[5].operating_mode).toBe('current_based_position');
  });

  it('a robot built in code from such a config is refused before the bus is touched', () => {
    const cfg = armOf('XL430-W250', 'current');
    const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
    expect(() => new DynamixelRobot(cfg, transport)).toThrow(/joint "shoulder_pan" \(id 1\) is a XL430-W250/);
    expect(emulator!.stats.received).toBe(0);
  });
});

describe('effort from each model’s own address 126, on the emulated bus', () => {
  it('XL330-M288 in current mode: goals in 1 mA units and effort read back from them (2.69 mA units would be 2.69× off)', async () => {
    const cfg = armOf('XL330-M288', 'current');
    const { robot, emu } = onEmulator(cfg, MODE_CODE.current);
    await robot.connect();
    const kt = torqueConstant(modelByName('XL330-M288')!);
    const cmd = createCommand(robot.spec, 'effort');
    cmd.target.fill(0.1); // N·m at each joint
    for (let k = 0; k < 6; k++) {
      robot.command(cmd);
      await sleep(20);
    }
    await robot.settle();
    robot.command(cmd);
    await robot.settle();
    emu.advance();
    const obs = robot.observe();
    cfg.joints.forEach((j, i) => {
      const s = emu.servo(j.id);
      const dir = j.direction ?? 1, gear = j.gear_ratio ?? 1;
      const amps = (0.1 / gear / kt) * dir;
      expect(P.readLe(s.mem, 102, 2, true)).toBe(Math.round(amps / 0.001)); // Goal Current, raw mA
      expect(s.torque * dir * gear).toBeCloseTo(0.1, 3); // what the motor actually applies, at the joint
      expect(obs.jointEffort[i]).toBeCloseTo(0.1, 3); // Present Current × 1 mA × kt
    });
    await robot.close();
  });

  it('XL430-W250 in velocity mode: connects without Current Limit, effort estimated from Present Load × stall torque', async () => {
    const cfg = armOf('XL430-W250', 'velocity');
    const { robot, emu, events } = onEmulator(cfg, MODE_CODE.velocity);
    await robot.connect();
    expect(events[0].reason).not.toContain('fast'); // Fast Sync Read unconfirmed for XL430: plain Sync Read
    const cmd = createCommand(robot.spec, 'velocity');
    cmd.target.fill(1.5); // rad/s at each joint: a steady torque against the emulated friction
    for (let k = 0; k < 25; k++) {
      robot.command(cmd);
      await sleep(20);
    }
    await robot.settle();
    emu.advance();
    const obs = robot.observe();
    const stall = modelByName('XL430-W250')!.stallTorque;
    cfg.joints.forEach((j, i) => {
      const s = emu.servo(j.id);
      const dir = j.direction ?? 1, gear = j.gear_ratio ?? 1;
      const load = P.readLe(s.mem, 126, 2, true);
      expect(load).toBe(Math.round((1000 * s.torque) / stall)); // 0.1 % of the stall torque, not a current
      expect(Math.abs(s.torque)).toBeGreaterThan(0.02);
      expect(obs.jointEffort[i]).toBeCloseTo(dir * gear * s.torque, 2);
    });
    expect(P.readLe(emu.servo(1).mem, 102, 2)).toBe(0); // no goal current ever written there
    await robot.close();
  });
});
