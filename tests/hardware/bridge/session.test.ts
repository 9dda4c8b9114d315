/**
 * A bridge client gets its loop from the same session builder as a local run: the cartpole served
 * by `axon bridge --sim cartpole` gives the same JSON summary (episode included) as the local sim,
 * and the world model, --record and --async work over the bridge.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimRobot } from '../../../sim/index.ts';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { startServer, type Json } from './helpers.ts';
import { readRecording } from '../../../src/record/index.ts';

const FIXTURE = 'tests/hardware/bridge/fixtures/axon.ts';

function axon(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: Json }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      let json: Json = {};
      try {
        json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Json;
      } catch {
        /* reported by the caller's expectations */
      }
      resolve({ code, stdout, stderr, json });
    }),
  );
}

/** Every key path of a JSON object (arrays and per-stage maps as leaves). */
function keyPaths(o: Json, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) && k !== 'stage_us' && k !== 'events' ? keyPaths(v as Json, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

describe('a bridged robot runs the same session as a local one', () => {
  let server: BridgeServer;
  beforeAll(async () => {
    server = await startServer({ robot: createSimRobot('cartpole'), commandTimeoutS: 0.5 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the cartpole over the bridge gives the local JSON summary, episode included', async () => {
    const local = await axon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '1', '--fast', '--json']);
    expect(local.code, local.stderr).toBe(0);
    const bridged = await axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--duration', '1', '--json']);
    expect(bridged.code, bridged.stderr).toBe(0);
    // ended_by is in both (a local run says it too); physics in both for a MuJoCo robot, absent for cannon-es.
    const onlyBridge = new Set(['bridge.url', 'bridge.clock', 'bridge.engine', 'bridge.reconnects', 'bridge.frames_received', 'bridge.commands_sent', 'bridge.commands_withheld', 'bridge.server_state']);
    const b = keyPaths(bridged.json).filter((k) => !onlyBridge.has(k));
    expect(b.sort()).toEqual(keyPaths(local.json).sort());
    expect(local.json.ticks).toBe(50);
    // Over the bridge --duration is wall time on the loop clock: 50 ticks, fewer if a loaded host skips slots (review R15 F12).
    expect(bridged.json.ticks).toBeLessThanOrEqual(50);
    for (const s of [local.json, bridged.json]) {
      expect(s.command).toBe('sim');
      expect(s.episode).toMatchObject({ steps: s.ticks, success: true, terminated: false });
      expect(s.episode.return).toBeGreaterThan(0.8 * s.ticks);
      expect(s.safety.state).toBe('running');
      expect(s.ended_by).toBe('duration');
    }
    // `robot` names the served robot, as the local run's names its robot (and a recording's run.robot does); the URL is bridge.url.
    expect(bridged.json.robot).toBe('cartpole');
    expect(local.json.robot).toBe('cartpole');
    expect(bridged.json.bridge.url).toBe(server.url);
    expect(bridged.json.bridge.clock).toBe('timer'); // the default for a link that streams state
    // The blocking clock, asked for: the state frames that came while the thread slept are read before each tick.
    const blocking = await axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--duration', '1', '--sleep', 'block', '--json']);
    expect(blocking.code, blocking.stderr).toBe(0);
    expect(blocking.json.bridge.clock).toBe('block');
    expect(blocking.json.ticks).toBeLessThanOrEqual(50); // 1 s of wall time
    expect(blocking.json.episode).toMatchObject({ steps: blocking.json.ticks, success: true });
    expect(blocking.json.safety.state).toBe('running');
  }, 60_000);

  it('shields with the world model, records and runs the policy async over the bridge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-session-'));
    const file = join(dir, 'run.mcap');
    const r = await axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--world-model', 'models/cartpole-wm', '--wm-mode', 'shield', '--action-noise', '0.3', '--async', '--record', file, '--duration', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.world_model).toMatchObject({ model: 'models/cartpole-wm', mode: 'shield' });
    expect(typeof r.json.world_model.vetoes).toBe('number');
    expect(r.json.async_policy.action_age_ticks.max).toBeGreaterThanOrEqual(0);
    expect(r.json.record.ticks).toBe(r.json.ticks);
    expect(r.json.record.dropped).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(0);
    const rec = await readRecording(file);
    expect(rec.run.robot).toBe(r.json.robot);
    expect(rec.run.bridge).toBe(r.json.bridge.url);
  }, 60_000);
});
