import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig, validateRobotConfig, type DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { validateFeetechConfig } from '../../hardware/robots/feetechConfig.ts';
import { loadAnyRobotConfig } from '../../hardware/robots/openRobot.ts';
import { DynamixelRobot, HardwareMismatchError, type HardwareEvent } from '../../hardware/robots/DynamixelRobot.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import type { MemoryTransport } from '../../hardware/transport/MemoryTransport.ts';
import { HardwareError } from '../../hardware/dynamixel/controlTable.ts';
import { readLe } from '../../hardware/dynamixel/packet.ts';
import { createCommand, type RobotHealth } from '../../src/core/robot.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { runLive } from '../../src/cli/live.ts';
import { writeConstantPoseModel } from './helpers/armModel.ts';

const ARM = 'hardware/robots/arm6-xm430.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function armOnEmulator(over: Partial<DynamixelRobotConfig> = {}, emu: Parameters<typeof createPort>[1]['emulator'] = {}, servos?: NonNullable<Parameters<typeof createPort>[1]['servos']>) {
  const cfg = { ...loadRobotConfig(ARM), ...over };
  const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: servos ?? cfg.joints.map((j) => ({ id: j.id, model: j.model })), emulator: emu });
  const robot = new DynamixelRobot(cfg, transport, { period: 0.02 });
  const events: HardwareEvent[] = [];
  const health: RobotHealth[] = [];
  robot.events$.subscribe((e) => events.push(e));
  robot.health$.subscribe((h) => health.push(h));
  return { cfg, robot, emu: emulator!, transport: transport as MemoryTransport, events, health };
}

describe('robot configs', () => {
  it('reads a config saved with a byte-order mark (a Windows editor), as without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bom-'));
    const file = join(dir, 'arm.json');
    writeFileSync(file, '\uFEFF' + readFileSync(ARM, 'utf8'));
    expect(loadRobotConfig(file)).toEqual(loadRobotConfig(ARM));
  });

  it.each(readdirSync('hardware/robots').filter((f) => f.endsWith('.json')))('shipped %s is valid for its protocol', (f) => {
    const c = loadAnyRobotConfig(`hardware/robots/${f}`);
    expect(c.config.joints.length).toBeGreaterThan(0);
  });

  it('ships a 20-servo humanoid, a 12-servo leg set, a 6-servo arm and the Koch leader and follower (6 each) on Dynamixel, and the SO-101 leader and follower (6 each) on Feetech', () => {
    const all = readdirSync('hardware/robots').filter((f) => f.endsWith('.json')).map((f) => loadAnyRobotConfig(`hardware/robots/${f}`));
    const sizes = (p: string) => all.filter((c) => c.protocol === p).map((c) => c.config.joints.length).sort((a, b) => a - b);
    expect(sizes('dynamixel')).toEqual([6, 6, 6, 12, 20]);
    expect(sizes('feetech')).toEqual([6, 6]);
  });

  it.each([
    [(c: any) => { c.joints[1].id = c.joints[0].id; }, '#/joints/1/id', 'already joint'],
    [(c: any) => { c.joints[0].model = 'AX-12'; }, '#/joints/0/model', ''],
    [(c: any) => { c.watchdog_ms = 30; }, '#/watchdog_ms', ''],
    [(c: any) => { c.joints[2].lower = 3; }, '#/joints/2/lower', 'not below upper'],
    [(c: any) => { c.extra = 1; }, '#/extra', ''],
  ])('rejects a bad config naming the field (%#)', (mutate, pointer, words) => {
    const raw = JSON.parse(readFileSync(ARM, 'utf8'));
    mutate(raw);
    expect(() => validateRobotConfig(raw, 'arm.json')).toThrow(expect.objectContaining({ code: 'ROBOT_CONFIG', where: expect.stringContaining(pointer), message: expect.stringContaining(words) }));
  });

  it.each([
    [(c: any) => { c.baud = 123; }, '#/baud', 'is 123', 'one of 9600, 57600, 115200, 1000000, 2000000, 3000000, 4000000, 4500000'],
    [(c: any) => { c.baud = 'fast'; }, '#/baud', 'is "fast"', 'one of 9600, 57600,'],
    [(c: any) => { c.joints[0].model = 'XM999'; }, '#/joints/0/model', 'is "XM999"', 'one of XM430-W350, '],
    [(c: any) => { c.operating_mode = 'turbo'; }, '#/operating_mode', 'is "turbo"', 'one of current, velocity, position,'],
    [(c: any) => { c.joints[0].direction = 0; }, '#/joints/0/direction', 'is 0', 'one of 1, -1'],
    [(c: any) => { c.safe_stop = 'explode'; }, '#/safe_stop', 'is "explode"', 'one of hold, torque_off'],
    [(c: any) => { c.role = 'master'; }, '#/role', 'is "master"', 'one of follower, leader'], // was: "Unexpected property"
  ])('a value outside a union says what it allows (%#), not "Expected union value"', (mutate, pointer, message, expected) => {
    const raw = JSON.parse(readFileSync(ARM, 'utf8'));
    mutate(raw);
    let e: any;
    try {
      validateRobotConfig(raw, 'arm.json');
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: 'ROBOT_CONFIG', where: `arm.json${pointer}` });
    expect(e.expected).toContain(expected);
    expect(e.message).toBe(`arm.json${pointer}: ${message} (expected ${e.expected})`);
  });

  it('a Dynamixel config takes the optional role Feetech configs have: koch-follower is a follower, a leader one loads', () => {
    expect(loadRobotConfig('hardware/robots/koch-follower.json').role).toBe('follower');
    const raw = JSON.parse(readFileSync('hardware/robots/koch-follower.json', 'utf8'));
    raw.role = 'leader';
    expect(validateRobotConfig(raw, 'koch-leader.json').role).toBe('leader'); // was: ROBOT_CONFIG at #/role
    delete raw.role;
    expect(validateRobotConfig(raw, 'koch.json').role).toBeUndefined();
  });

  it("a Feetech config's baud outside its list says the list", () => {
    const raw = JSON.parse(readFileSync('hardware/robots/so101-follower.json', 'utf8'));
    raw.baud = 12345;
    expect(() => validateFeetechConfig(raw, 'so101.json')).toThrow('so101.json#/baud: is 12345 (expected one of 1000000, 500000, 250000, 128000, 115200, 76800, 57600, 38400)');
  });
});

describe('DynamixelRobot on the emulator', () => {
  it('refuses to arm with a diff when the bus does not match the config', async () => {
    const servos = [{ id: 1 }, { id: 2, model: 'XH540-W270' }, { id: 3 }, { id: 4 }, { id: 5 }];
    const { robot } = armOnEmulator({}, {}, servos);
    const err = await robot.connect().catch((e) => e);
    expect(err).toBeInstanceOf(HardwareMismatchError);
    expect(err.code).toBe('HW_MISMATCH');
    expect(err.diff).toEqual([
      'joint shoulder_lift (id 2): model 1100 XH540-W270 on the bus, 1020 XM430-W350 in the config',
      'joint gripper: servo id 6 did not answer a ping at 1000000 bit/s (nothing arrived at all: check power, the id and the baud rate)',
    ]);
  });

  it('refuses servos whose limits are narrower than the config or in another mode', async () => {
    const { robot, emu } = armOnEmulator();
    emu.servo(1).set('min_position_limit', 1024);
    emu.servo(4).set('operating_mode', 1);
    const err = await robot.connect().catch((e) => e);
    expect(err.diff[0]).toMatch(/joint shoulder_pan \(id 1\): config range \[-2.6, 2.6\] rad exceeds the servo's position limits/);
    expect(err.diff[1]).toBe('joint wrist_pitch (id 4): operating mode velocity (1) on the servo, position (3) in the config');
  });

  it('connects, soft-starts from the present pose, drives goals and closes holding', async () => {
    // The longest bus watchdog: a loaded host's late timer (over 100 ms) is not what this test is about (busWatchdog.test.ts).
    const { robot, emu, events } = armOnEmulator({ watchdog_ms: 2540 });
    emu.servo(2).pos += 0.3; // not at zero when we start
    await robot.connect();
    expect([...emu.servos.values()].every((s) => s.torqueOn && s.mem[98] === 0)).toBe(true); // the watchdog is set by the first command (busWatchdog.test.ts)
    expect(robot.observe().jointPosition[1]).toBeCloseTo(0.3, 2);
    expect(emu.servo(2).angle).toBeCloseTo(0.3, 2); // goal = present pose on arming: no jump
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.set([0.2, 0.3, -0.2, 0, 0.1, 0.4]);
    for (let i = 0; i < 60; i++) {
      robot.command(cmd);
      await sleep(15);
    }
    const q = robot.observe().jointPosition;
    expect(Array.from(q, (x) => Math.round(x * 100) / 100)).toEqual([0.2, 0.3, -0.2, 0, 0.1, 0.4]);
    expect(emu.servo(3).angle).toBeCloseTo(0.2, 2); // elbow has direction -1
    await robot.close();
    // A read that times out while the machine is loaded and then recovers is reported (read_failed,
    // recovered) and is right; this test is about the life cycle around it.
    expect(events.map((e) => e.kind).filter((k) => k !== 'read_failed' && k !== 'recovered')).toEqual(['connected', 'armed', 'safe_stop', 'closed']);
    expect(emu.servo(1).torqueOn).toBe(true); // safe_stop: hold
  });

  it("clamps goal current and goal velocity to each servo's own limits, read at connect (an XH430-W350 takes at most 648 units): none is refused", async () => {
    const base = loadRobotConfig(ARM);
    for (const [mode, address, size, limit] of [['current', 102, 2, 648], ['velocity', 104, 4, 200]] as const) {
      const joints = base.joints.map((j) => ({ ...j, model: 'XH430-W350' }));
      const code = mode === 'current' ? 0 : 1;
      const { robot, emu } = armOnEmulator({ operating_mode: mode, joints }, {}, joints.map((j) => ({ id: j.id, model: 'XH430-W350', table: { operating_mode: code } })));
      await robot.connect();
      expect(emu.servo(1).mem[0] | (emu.servo(1).mem[1] << 8)).toBe(1000); // the model number ROBOTIS gives it
      const cmd = createCommand(robot.spec, mode === 'current' ? 'effort' : 'velocity');
      cmd.target.fill(50); // far past both limits (N·m, rad/s)
      robot.command(cmd);
      await sleep(60);
      const goals = [...emu.servos.values()].map((s) => readLe(s.mem, address, size, true));
      expect(goals.map(Math.abs)).toEqual(joints.map(() => limit));
      await robot.close();
    }
  });

  it("says at connect which servos carry their own reverse bit or homing offset (under the config's direction and offset)", async () => {
    const cfg = loadRobotConfig(ARM);
    const servos = cfg.joints.map((j) => ({ id: j.id, model: j.model, ...(j.id === 2 ? { table: { drive_mode: 1, homing_offset: 1024 } } : {}) }));
    const { robot, events } = armOnEmulator({}, {}, servos);
    await robot.connect();
    const connected = events.find((e) => e.kind === 'connected')!.reason;
    expect(connected).toContain(`set on the servos, under the config's direction and offset: ${cfg.joints[1].name} (id 2) reverse homing offset 1024 ticks`);
    expect(connected).not.toContain('(id 1)');
    await robot.close();
  });

  it('Ctrl-C / close with safe_stop torque_off disables torque and closes the port', async () => {
    const { robot, emu, transport } = armOnEmulator({ safe_stop: 'torque_off' });
    await robot.connect();
    await robot.close();
    await sleep(20);
    expect([...emu.servos.values()].some((s) => s.torqueOn)).toBe(false);
    expect(transport.isOpen).toBe(false);
  });

  it('a servo hardware error: event, fault on health$, the other joints hold, commands ignored', async () => {
    const { robot, emu, events, health } = armOnEmulator();
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    emu.injectHardwareError(3, HardwareError.overload);
    for (let i = 0; i < 5; i++) {
      robot.command(cmd);
      await sleep(10);
    }
    await robot.settle();
    expect(events.find((e) => e.kind === 'hardware_error')).toMatchObject({ id: 3, joint: 'elbow', reason: 'joint elbow (id 3): hardware error overload' });
    expect(events.find((e) => e.kind === 'safe_stop')?.reason).toMatch(/holding the present pose/);
    expect(health.at(-1)!.faults).toEqual(['joint elbow (id 3): hardware error overload']);
    expect(emu.servo(3).torqueOn).toBe(false); // the servo's own Shutdown
    expect(emu.servo(1).torqueOn).toBe(true); // the others hold
    cmd.target.fill(1);
    robot.command(cmd);
    await robot.settle();
    await sleep(100);
    emu.advance();
    expect(emu.servo(1).angle).toBeCloseTo(0, 2); // new goals are ignored after the fault
    await robot.close();
  });

  it('reads that keep failing: retried, then stale; the supervisor holds and then safe-stops', async () => {
    const { robot, emu, events, health } = armOnEmulator();
    await robot.connect();
    const safety = new SafetySupervisor(robot.spec, 0.02, { staleAfterS: 0.05, staleTicksToSafeStop: 3 });
    const cmd = createCommand(robot.spec, 'position');
    const out = createCommand(robot.spec, 'position');
    safety.arm(robot.observe(), 0);
    emu.lossRate = 1; // the bus goes silent (cable noise, a dead servo)
    const t0 = robot.observe().time;
    for (let k = 1; k <= 20; k++) {
      const obs = robot.observe();
      expect(obs.time).toBeLessThanOrEqual(performance.now() / 1000); // stamped when read, not when observed
      safety.check(cmd, obs, performance.now() / 1000, k, out);
      robot.command(out);
      await sleep(20);
    }
    expect(events.some((e) => e.kind === 'read_failed')).toBe(true);
    expect(events.some((e) => e.kind === 'stale')).toBe(true);
    expect(health.at(-1)!.stale).toBe(true);
    expect(safety.counts.stale_observation).toBeGreaterThan(0);
    expect(safety.state).toBe('safe-stop');
    expect(robot.observe().time).toBe(t0); // no read completed: the stamp did not move
    // One event per streak, not one per failed cycle.
    expect(events.filter((e) => e.kind === 'read_failed')).toHaveLength(1);
    expect(robot.failedReads).toBeGreaterThanOrEqual(15);
    emu.lossRate = 0;
    for (let k = 0; k < 20 && health.at(-1)!.stale; k++) {
      robot.command(out);
      await robot.settle();
    }
    expect(health.at(-1)!.stale).toBe(false);
    expect(events.some((e) => e.kind === 'recovered')).toBe(true);
    await robot.close();
  });

  it('port unplugged: fault with a clear message, the servos stop on their own watchdog', async () => {
    const { robot, emu, transport, events, health } = armOnEmulator();
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.fill(0.5);
    robot.command(cmd);
    await robot.settle();
    transport.fail('USB adapter unplugged');
    expect(health.at(-1)).toMatchObject({ connected: false });
    expect(health.at(-1)!.faults[0]).toMatch(/port emu:\/\/ lost: USB adapter unplugged; the servos stop on their bus watchdog \(100 ms\)/);
    expect(events.at(-1)!.kind).toBe('port_lost');
    robot.command(cmd); // nothing to send it to, no throw
    await sleep(200);
    emu.advance();
    expect([...emu.servos.values()].every((s) => s.watchdogTripped)).toBe(true);
    await robot.close();
  });

  it('dry run: reads, never enables torque nor writes goals', async () => {
    const cfg = loadRobotConfig(ARM);
    const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id })) });
    const robot = new DynamixelRobot(cfg, transport, { dryRun: true });
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.fill(1);
    robot.command(cmd);
    await robot.settle();
    expect(robot.observe().seq).toBeGreaterThan(1);
    expect([...emulator!.servos.values()].some((s) => s.torqueOn || s.get('goal_position') !== 2048)).toBe(false);
    await robot.close();
  });

  it('a leader config (role "leader") is read only without --dry-run: reads, never enables torque nor writes goals', async () => {
    const cfg: DynamixelRobotConfig = { ...loadRobotConfig(ARM), role: 'leader' };
    const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id })) });
    const robot = new DynamixelRobot(cfg, transport);
    const events: HardwareEvent[] = [];
    robot.events$.subscribe((e) => events.push(e));
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.fill(1);
    robot.command(cmd);
    await robot.settle();
    robot.command(cmd);
    await robot.settle();
    expect(robot.observe().seq).toBeGreaterThan(1);
    expect(robot.bus.stats.syncWrites).toBe(1); // Torque Enable 0 at connect (read back), nothing else
    expect([...emulator!.servos.values()].some((s) => s.torqueOn || s.get('goal_position') !== 2048)).toBe(false); // was: armed, goals written
    await robot.close();
    expect(events.map((e) => e.kind)).not.toContain('armed');
    expect(events.find((e) => e.kind === 'connected')?.reason).toContain('leader arm: read only, torque off, read back');
  });

  it('a policy drives the emulated arm to its target through runLive (wall clock, soft start, safety)', async () => {
    const target = [0.4, -0.3, 0.5, 0.2, -0.4, 0.3];
    const policy = writeConstantPoseModel(target);
    const { robot, emu } = armOnEmulator();
    const r = await runLive(robot, { policy, durationS: 2.5, handleSignals: false });
    expect(r.endedBy).toBe('duration');
    expect(r.safety.state).toBe('running');
    emu.advance();
    for (let i = 0; i < 6; i++) expect(emu.servo(i + 1).angle * (i === 2 ? -1 : 1)).toBeCloseTo(target[i], 1);
    expect(Array.from(robot.observe().jointPosition, (x) => Math.round(x * 100) / 100)).toEqual(target);
  });
});
