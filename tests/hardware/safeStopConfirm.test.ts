/**
 * The safe stop of both servo robots reaches every servo still listening, and says what it could
 * not confirm: after a silent_bus fault (one servo gone), when its sync write is lost on the wire,
 * and a leader arm's torque off at connect (docs/feetech.md "No bus watchdog"; docs/hardware.md "Faults").
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, openConfiguredRobot, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import type { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import type { Transport, TransportHandlers } from '../../hardware/transport/Transport.ts';
import { loadRobotConfig, type DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { writeConfirmed, type ConfirmBus } from '../../hardware/robots/confirmedWrite.ts';

const FOLLOWER = loadAnyRobotConfig('hardware/robots/so101-follower.json');
const LEADER = loadAnyRobotConfig('hardware/robots/so101-leader.json');
const ARM = 'hardware/robots/arm6-xm430.json';

/**
 * The host end of a link that drops the sync writes (instruction 0x83) at `address` that `drop`
 * picks (by their count from 1): a packet lost on a noisy daisy chain, exactly that one.
 */
class DroppingTransport implements Transport {
  dropped = 0;
  private _seen = 0;
  constructor(
    private readonly inner: Transport,
    private readonly protocol: 'feetech' | 'dynamixel',
    private readonly address: number,
    private readonly drop: (n: number) => boolean,
  ) {}
  get name() { return this.inner.name; }
  get baud() { return this.inner.baud; }
  get isOpen() { return this.inner.isOpen; }
  open() { return this.inner.open(); }
  on(h: TransportHandlers) { this.inner.on(h); }
  close() { return this.inner.close(); }
  write(b: Uint8Array): void {
    // Feetech: FF FF ID LEN INST P0..; Dynamixel 2.0: FF FF FD 00 ID LEN_L LEN_H INST P0 P1 (address LE).
    const hit = this.protocol === 'feetech' ? b[4] === 0x83 && b[5] === this.address : b[7] === 0x83 && (b[8] | (b[9] << 8)) === this.address;
    if (hit && this.drop(++this._seen)) {
      this.dropped++;
      return;
    }
    this.inner.write(b);
  }
}

async function feetechOn(config: FeetechRobotConfig, wrap: (t: Transport) => Transport = (t) => t, torqueOn = false, dryRun = false) {
  const servos = feetechServosOf(config).map((s) => (torqueOn ? { ...s, table: { ...s.table, torque_enable: 1 } } : s));
  const emu = new FeetechEmulator({ servos });
  const [host, dev] = memoryPair('emu-h1');
  await dev.open();
  emu.attach(dev);
  const link = wrap(host);
  const robot = new FeetechRobot(config, link, { period: 0.02, dryRun });
  return { emu, robot, link };
}

function dynamixelOn(over: Partial<DynamixelRobotConfig>, wrap: (t: Transport) => Transport = (t) => t, table: Record<string, number> = {}) {
  const cfg = { ...loadRobotConfig(ARM), ...over };
  const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model, table })) });
  const link = wrap(transport);
  return { robot: new DynamixelRobot(cfg, link, { period: 0.02 }), emu: emulator as DynamixelEmulator, link };
}

const stops = (r: { eventLog: { kind: string; reason: string }[] }) => r.eventLog.filter((e) => e.kind === 'safe_stop').map((e) => e.reason);

describe('a servo gone silent mid-run: the others get the safe stop at the silent_bus fault, and at close', () => {
  it('Feetech (SO-101, torque_off): servos 1..5 torque off at the fault, the silent gripper named unconfirmed', async () => {
    const config = { ...(FOLLOWER.config as FeetechRobotConfig), safe_stop: 'torque_off' as const };
    const { emu, robot: r } = await feetechOn(config);
    await r.connect();
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    emu.servos.splice(emu.servos.findIndex((s) => s.id === 6), 1); // brown-out of the gripper's servo only
    const t = Float64Array.from([0, 0, 0, 0, 0, 0]);
    for (let k = 0; k < 80 && !r.faulted; k++) {
      r.command({ mode: 'position', target: t });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    await r.settle();
    // Before close: the cycle that latched silent_bus sent it (a run may go on closing much later).
    expect(emu.servos.map((s) => s.torqueOn)).toEqual([false, false, false, false, false]);
    const kinds = r.eventLog.map((e) => e.kind);
    expect(kinds.indexOf('safe_stop')).toBe(kinds.indexOf('silent_bus') + 1);
    expect(stops(r)[0]).toBe('bus silent: torque off confirmed on 5 of 6 servos; unconfirmed after 3 writes (no reply or another value): gripper (id 6)');
    for (const s of emu.servos) s.write(40, Uint8Array.of(1), performance.now() / 1000); // torqued again (a reset): close() stops them too
    await r.close();
    expect(emu.servos.some((s) => s.torqueOn)).toBe(false);
    expect(stops(r)[1]).toMatch(/^robot closed: torque off confirmed on 5 of 6 servos; .*gripper \(id 6\)$/);
  });

  it('Feetech (hold): the goal of the servos still answering is their last measured pose, read back', async () => {
    const { emu, robot: r } = await feetechOn(FOLLOWER.config as FeetechRobotConfig);
    await r.connect();
    emu.servos.splice(emu.servos.findIndex((s) => s.id === 6), 1);
    const far = Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    for (let k = 0; k < 80 && !r.faulted; k++) {
      r.command({ mode: 'position', target: far });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    expect(stops(r)[0]).toMatch(/^bus silent: holding the present pose \(goal = present position, torque on\) confirmed on 5 of 6 servos; .*gripper \(id 6\)$/);
    await r.close();
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    const pose = r.observe().jointPosition; // the last complete read, before the gripper went
    for (let i = 0; i < 5; i++) expect(Math.abs((emu.servos[i].get('goal_position') - 2048) * ((2 * Math.PI) / 4096) * (config(i).direction ?? 1) - pose[i])).toBeLessThan(0.002);
  });

  it('Dynamixel (arm6-xm430, torque_off): servos 1..5 torque off, the silent one named', async () => {
    const { robot: r, emu } = dynamixelOn({ safe_stop: 'torque_off' });
    await r.connect();
    emu.servos.delete(6);
    const t = Float64Array.from(r.observe().jointPosition);
    for (let k = 0; k < 80 && !r.faulted; k++) {
      r.command({ mode: 'position', target: t });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    expect([...emu.servos.values()].map((s) => s.mem[64])).toEqual([0, 0, 0, 0, 0]);
    expect(stops(r)[0]).toMatch(/^bus silent: torque off confirmed on 5 of 6 servos; unconfirmed after 3 writes \(no reply or another value\): \w+ \(id 6\)$/);
    await r.close();
    // The stop at close could not reach id 6 either: a fault naming it, and the robot says so.
    expect(r.eventLog.map((e) => e.kind).slice(-3)).toEqual(['safe_stop', 'safe_stop_unconfirmed', 'closed']);
    expect(r.safeStopUnconfirmed).toEqual([expect.stringMatching(/ \(id 6\)$/)]);
  });
});

function config(i: number) {
  return (FOLLOWER.config as FeetechRobotConfig).joints[i];
}

describe('a safe stop whose sync write is lost on the wire is read back and sent again', () => {
  it('Feetech: the first Torque Enable 0 is dropped; close() still leaves every servo off and says so', async () => {
    const config = { ...(FOLLOWER.config as FeetechRobotConfig), safe_stop: 'torque_off' as const };
    let drop: DroppingTransport | undefined;
    // Sync writes at 40 in this run: 1 torque on (arming), 2 the safe stop's first.
    const { emu, robot: r } = await feetechOn(config, (t) => (drop = new DroppingTransport(t, 'feetech', 40, (n) => n === 2)));
    await r.connect();
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    await r.close();
    expect(drop!.dropped).toBe(1);
    expect(emu.servos.filter((s) => s.torqueOn).length).toBe(0);
    expect(stops(r)).toEqual(['robot closed: torque off on all 6 servos (read back)']);
  });

  it('Feetech: every torque-off write lost: the event names all six unconfirmed, after 3 writes', async () => {
    const config = { ...(FOLLOWER.config as FeetechRobotConfig), safe_stop: 'torque_off' as const };
    let drop: DroppingTransport | undefined;
    const { emu, robot: r } = await feetechOn(config, (t) => (drop = new DroppingTransport(t, 'feetech', 40, (n) => n >= 2)));
    await r.connect();
    await r.close();
    expect(drop!.dropped).toBe(3);
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true); // what the event must then say
    expect(stops(r)).toEqual([
      'robot closed: torque off confirmed on 0 of 6 servos; unconfirmed after 3 writes (no reply or another value): shoulder_pan (id 1), shoulder_lift (id 2), elbow_flex (id 3), wrist_flex (id 4), wrist_roll (id 5), gripper (id 6)',
    ]);
  });

  it('Dynamixel: the first Torque Enable (64) 0 is dropped; close() still leaves every servo off', async () => {
    let drop: DroppingTransport | undefined;
    // Sync writes at 64: 1 torque on (arming), 2 the safe stop's first.
    const { robot: r, emu } = dynamixelOn({ safe_stop: 'torque_off' }, (t) => (drop = new DroppingTransport(t, 'dynamixel', 64, (n) => n === 2)));
    await r.connect();
    await r.close();
    expect(drop!.dropped).toBe(1);
    expect([...emu.servos.values()].map((s) => s.mem[64])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(stops(r)).toEqual(['robot closed: torque off on all 6 servos (read back)']);
  });

  it('Dynamixel (hold): the first goal write of the stop is dropped; the goal read back is the present pose', async () => {
    let drop: DroppingTransport | undefined;
    let armed = false;
    // Goal Position (116) sync writes: the arming one and the run's goals pass; the first one after close() is dropped.
    const { robot: r, emu } = dynamixelOn({}, (t) => (drop = new DroppingTransport(t, 'dynamixel', 116, () => armed && drop!.dropped === 0)));
    await r.connect();
    const far = Float64Array.from([0.6, 0.6, -0.6, 0.6, 0.6, 0.6]);
    r.command({ mode: 'position', target: far }); // a goal far ahead: the hold must replace it
    await r.settle();
    armed = true;
    await r.close();
    expect(drop!.dropped).toBe(1);
    const q = r.observe().jointPosition;
    const goals = [...emu.servos.values()].map((s) => s.get('goal_position'));
    // goal = the pose read last (near the start, 2048), not the far goal (0.6 rad = 391 ticks away)
    expect(q.every((x) => Math.abs(x) < 0.05)).toBe(true);
    expect(goals.every((g) => Math.abs(g - 2048) < 40)).toBe(true);
    expect(stops(r)).toEqual(['robot closed: holding the present pose (goal = present position, torque on) on all 6 servos (read back)']);
  });
});

describe('a leader arm: Torque Enable 0 at connect, read back', () => {
  it('Feetech SO-101 leader whose servos were left torqued: off after connect, and the event says it was read back', async () => {
    const { emu, robot: r } = await feetechOn(LEADER.config as FeetechRobotConfig, undefined, true);
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    await r.connect();
    expect(emu.servos.some((s) => s.torqueOn)).toBe(false);
    expect(r.eventLog.find((e) => e.kind === 'connected')?.reason).toBe('6 Feetech servos on emu-h1 at 1000000 bit/s (leader arm: read only, torque off, read back)');
    expect(r.armed).toBe(false);
    await r.close();
  });

  it('--dry-run writes nothing: the torque is left on and the event says so, naming the servos', async () => {
    const { emu, robot: r } = await feetechOn(LEADER.config as FeetechRobotConfig, undefined, true, true);
    await r.connect();
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    expect(r.bus.stats.syncWrites).toBe(0);
    expect(r.eventLog.find((e) => e.kind === 'connected')?.reason).toMatch(/leader arm: read only; torque on or unread at shoulder_pan \(id 1\), .*gripper \(id 6\), left so: --dry-run writes nothing\)$/);
    await r.close();
  });

  it('a leader whose torque cannot be turned off is refused (HW_MISMATCH naming the servos), the port closed', async () => {
    let drop: DroppingTransport | undefined;
    const { robot: r, link } = await feetechOn(LEADER.config as FeetechRobotConfig, (t) => (drop = new DroppingTransport(t, 'feetech', 40, () => true)), true);
    const err = (await r.connect().catch((e: unknown) => e)) as { code: string; diff: string[] };
    expect(drop!.dropped).toBe(3);
    expect(err.code).toBe('HW_MISMATCH');
    expect(err.diff[0]).toBe('joint shoulder_pan (id 1): Torque Enable (40) did not read back 0 after 3 writes of 0 (a leader arm is moved by hand, torque off)');
    expect(err.diff).toHaveLength(6);
    expect(link.isOpen).toBe(false);
  });

  it('Dynamixel leader (role "leader") left torqued: Torque Enable (64) 0 on every servo, no goal written', async () => {
    const { robot: r, emu } = dynamixelOn({ role: 'leader' }, undefined, { torque_enable: 1 });
    expect([...emu.servos.values()].every((s) => s.torqueOn)).toBe(true);
    await r.connect();
    expect([...emu.servos.values()].some((s) => s.torqueOn)).toBe(false);
    expect(r.eventLog.find((e) => e.kind === 'connected')?.reason).toContain('(leader arm: read only, torque off, read back)');
    await r.close();
    expect(r.eventLog.map((e) => e.kind)).toEqual(['connected', 'closed']);
  });
});

describe('a hold whose pose is beyond a servo\'s limits (a joint resting on its stop)', () => {
  it('Feetech (SO-101 hold): servo 1 30 ticks past its angle limit 11 (the config\'s range, as hw calibrate writes it): the hold is confirmed on all 6', async () => {
    const config = FOLLOWER.config as FeetechRobotConfig;
    const probe = new FeetechRobot(config, memoryPair('probe')[0]) as unknown as { _lo: Int32Array; _hi: Int32Array };
    const lo = probe._lo[0], hi = probe._hi[0];
    const servos = feetechServosOf(config).map((s, i) => (i === 0 ? { ...s, position: (hi + 30 - 2048) * ((2 * Math.PI) / 4096), table: { ...s.table, min_position_limit: lo, max_position_limit: hi } } : s));
    const emu = new FeetechEmulator({ servos });
    const [host, dev] = memoryPair('emu-lim');
    await dev.open();
    emu.attach(dev);
    const r = new FeetechRobot(config, host, { period: 0.02 });
    await r.connect();
    const s1 = emu.servos.find((s) => s.id === 1)!;
    expect(s1.get('present_position')).toBeGreaterThan(hi + 25);
    await r.close();
    expect(stops(r)).toEqual(['robot closed: holding the present pose (goal = present position, torque on) on all 6 servos (read back)']);
    expect(s1.torqueOn).toBe(true);
  });

  it('Dynamixel (arm6-xm430 hold): a joint resting just past its Max Position Limit (48) is held at the limit, not left on a refused goal', async () => {
    const cfg = loadRobotConfig(ARM);
    // shoulder_pan: config upper 2.6 rad (tick 3742); the servo's limit 3745; the joint at 2.64 rad
    // (tick 3768: past the limit, within the 0.1 rad connect accepts beyond the config's range).
    const limit = Math.ceil(2048 + 2.6 / ((2 * Math.PI) / 4096)) + 2;
    const servos = cfg.joints.map((j) => (j.id === 1 ? { id: 1, model: j.model, position: 2.64, table: { max_position_limit: limit } } : { id: j.id, model: j.model }));
    const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos });
    const emu = emulator as DynamixelEmulator;
    const r = new DynamixelRobot(cfg, transport, { period: 0.02 });
    await r.connect();
    const s1 = emu.servos.get(1)!;
    expect(s1.get('present_position')).toBeGreaterThan(limit + 15);
    const far = Float64Array.from(r.observe().jointPosition);
    far[0] = 1.5; // a goal far back: the hold must replace it
    r.command({ mode: 'position', target: far });
    await r.settle();
    expect(s1.get('goal_position')).toBeLessThan(limit - 10);
    await r.close();
    expect(s1.get('goal_position')).toBe(limit);
    expect(stops(r)).toEqual(['robot closed: holding the present pose (goal = present position, torque on) on all 6 servos (read back)']);
  });

  it('writeConfirmed takes either row from a servo that stores the clamped value instead of the one written', async () => {
    // A bus whose servo 2 stores 100 for the 120 written (clamped to its limit), servo 1 as written.
    const stored = new Map<number, number>();
    const bus: ConfirmBus = {
      lost: undefined,
      replyMarginS: 0.001,
      syncWrite: async (_a, _l, ids, data) => ids.forEach((id, k) => stored.set(id, Math.min(id === 2 ? 100 : 4095, data[k * 2] | (data[k * 2 + 1] << 8)))),
      syncRead: async (_a, _l, ids, out) => {
        ids.forEach((id, k) => ((out[k * 2] = stored.get(id)! & 0xff), (out[k * 2 + 1] = stored.get(id)! >> 8)));
        return { ok: true, missing: [], alerts: [], alertCodes: [], errors: [], errorCodes: [], retries: 0 };
      },
    };
    const data = Uint8Array.of(120, 0, 120, 0);
    expect(await writeConfirmed(bus, () => 0, 42, 2, [1, 2], data)).toEqual({ unconfirmed: [2], writes: 3 });
    expect(await writeConfirmed(bus, () => 0, 42, 2, [1, 2], data, { alsoAccept: Uint8Array.of(120, 0, 100, 0) })).toEqual({ unconfirmed: [], writes: 1 });
  });
});

describe('a safe stop at close that throws (a port error the bus did not mark lost)', () => {
  it('Feetech and Dynamixel: every servo named unconfirmed, a fault, the port closed anyway', async () => {
    const f = await feetechOn({ ...(FOLLOWER.config as FeetechRobotConfig), safe_stop: 'torque_off' as const });
    const d = dynamixelOn({ safe_stop: 'torque_off' });
    for (const r of [f.robot, d.robot] as (FeetechRobot | DynamixelRobot)[]) {
      let faults: readonly string[] = [];
      r.health$.subscribe((h) => (faults = h.faults));
      await r.connect();
      (r as unknown as { _safeStop: () => Promise<void> })._safeStop = async () => {
        throw new Error('EIO: write failed');
      };
      await r.close();
      expect(r.faulted).toBe(true);
      expect(r.safeStopUnconfirmed).toEqual(r.config.joints.map((j) => `${j.name} (id ${j.id})`)); // the form every path names them in (R25 F7)
      expect(faults.join(' ')).toContain('the safe stop failed (EIO: write failed)');
      expect(r.eventLog.map((e) => e.kind)).toContain('closed');
    }
    expect(f.link.isOpen).toBe(false);
  });
});
