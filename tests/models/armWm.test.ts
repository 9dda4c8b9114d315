/**
 * models/arm-wm shields the arm of hardware/robots/arm6-xm430.json on the emulated bus: the noisy
 * pose policy (models/arm6-pose) without the shield sends targets the safety supervisor must clamp
 * into the joint limits; with the shield none gets through (the shield vetoes them first).
 */
import { describe, expect, it } from 'vitest';
import { loadRobotConfig } from '../../hardware/robots/config.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import { loadModelFolder } from '../../src/model/manifest.ts';
import { runLive } from '../../src/cli/live.ts';
import { ARM6_JOINTS } from '../../models/train/worldmodel/arm.ts';

const CONFIG = 'hardware/robots/arm6-xm430.json';

function emulatedArm(): DynamixelRobot {
  const cfg = loadRobotConfig(CONFIG);
  const { transport } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
  return new DynamixelRobot(cfg, transport, { period: 0.02 });
}

describe('models/arm-wm', () => {
  it('is made for the real arm: its joints and limits are the config\'s, with a constraint on every joint and every target', () => {
    const cfg = loadRobotConfig(CONFIG);
    const m = loadModelFolder('models/arm-wm').manifest;
    expect(m.joints).toEqual(cfg.joints.map((j) => j.name));
    expect(m.joints).toEqual(ARM6_JOINTS);
    const c = m.world_model!.constraints!;
    for (const j of cfg.joints) {
      const pos = c.find((x) => x.state === `joint_pos.${j.name}`)!;
      expect(pos.lower).toBeGreaterThan(j.lower);
      expect(pos.upper).toBeLessThan(j.upper);
      const target = c.find((x) => x.state === `last_action.${j.name}`)!;
      const scale = m.action.scale as number;
      expect(target.upper! * scale).toBeLessThan(j.upper);
      expect(target.lower! * scale).toBeGreaterThan(j.lower);
    }
    const held = (m.provenance as { eval: { one_step_rms: number[] } }).eval.one_step_rms;
    expect(Math.max(...held.slice(0, 6))).toBeLessThan(0.05); // joint positions, rad
  });

  it('on the emulated bus: the noisy policy gets clamped without the shield, never with it', async () => {
    const o = { policy: 'models/arm6-pose', durationS: 3, actionNoise: 0.3, handleSignals: false };
    const shielded = await runLive(emulatedArm(), { ...o, worldModel: { dir: 'models/arm-wm', mode: 'shield' } });
    const bare = await runLive(emulatedArm(), o);
    expect(bare.safety.counts.position_clamp).toBeGreaterThan(10);
    expect(shielded.worldModel!.vetoes).toBeGreaterThan(10);
    expect(shielded.safety.counts.position_clamp ?? 0).toBe(0);
  }, 60_000);

  it('e-stopped mid-run, the shield is not run: no veto is counted after the stop (review F4)', async () => {
    let before = 0;
    let after = 0;
    let stopped = false;
    let held = 0;
    let staleRecords = 0;
    const r = await runLive(emulatedArm(), {
      policy: 'models/arm6-pose',
      durationS: 2,
      actionNoise: 0.3,
      seed: 1,
      handleSignals: false,
      worldModel: { dir: 'models/arm-wm', mode: 'shield' },
      onLoop: (loop, safety) => {
        safety.events$.subscribe((e) => {
          if (e.kind === 'shield_veto') stopped ? after++ : before++;
        });
        loop.records$.subscribe((rec) => {
          // Ticks recorded after the stop (MCAP, viewer): none carries the last veto or its cost (review R12 F2).
          if (stopped) {
            held++;
            if (rec.worldModel!.vetoed || Number.isFinite(rec.worldModel!.cost)) staleRecords++;
          }
          if (!stopped && rec.time >= 1) {
            stopped = true;
            safety.estop('test: operator e-stop', rec.time, rec.seq);
          }
        });
      },
    });
    expect(r.safety.state, JSON.stringify({ endedBy: r.endedBy, stop: r.safety.stopCause })).toBe('e-stopped');
    expect(before).toBeGreaterThan(0); // the shield was at work before the stop (how often varies with the host's load)
    expect(after).toBe(0);
    expect(held).toBeGreaterThan(10);
    expect(staleRecords).toBe(0);
    expect(r.worldModel!.vetoes).toBe(before);
    expect(r.safety.counts.shield_veto).toBe(before);
  }, 60_000);
});
