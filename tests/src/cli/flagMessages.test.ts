/**
 * Messages that named an internal name or offered what they then refused (review R14 F9): each
 * names the user's flag and what it takes, exit 2, one line.
 */
import { describe, expect, it } from 'vitest';
import { runAxon } from '../../helpers/cli.ts';
import { checkHostResolves } from '../../../src/cli/commands/bridge.ts';

const axon = (...args: string[]) => runAxon(args, 90_000);

/** Exit 2 and exactly one line on stderr, matching `line`. */
function refused(r: ReturnType<typeof axon>, line: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('flag messages (review R14 F9)', () => {
  it('inspect --physics-hz 7 names --physics-hz as sim does, not the simulator\'s internal "physicsDt"', () => {
    const r = axon('inspect', 'models/cartpole-balance', '--physics-hz', '7');
    refused(r, /^axon: error \[CLI_USAGE\]: --physics-hz: 7 Hz is not a whole multiple of the model's control rate 50 Hz \(expected a multiple of 50\)$/);
    expect(r.stderr).not.toContain('physicsDt');
  });

  it("sim names the manifest's control_hz as well: the flag may be its default, the rate the manifest's (R27)", () => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--physics-hz', '7', '--duration', '0.1');
    refused(r, /^axon: error \[CLI_USAGE\]: --physics-hz: 7 Hz is not a whole multiple of the model's control rate 50 Hz \(\S*models\/cartpole-balance\/manifest\.json#\/control_hz\) \(expected a multiple of 50\)$/);
  });

  it('hw emulate --protocol offers only what it takes: dynamixel or feetech (auto was offered, then refused)', () => {
    for (const v of ['nosuch', 'auto']) {
      const r = axon('hw', 'emulate', '--protocol', v);
      refused(r, new RegExp(`argument '${v}' is invalid\\. expected dynamixel or feetech$`));
    }
  });

  it('hw scan --ids 253: pinged on Feetech (set-id --to 253 makes one), refused naming --ids on Dynamixel (reserved)', () => {
    const fe = axon('hw', 'scan', '--protocol', 'feetech', '--port', 'emu://253', '--ids', '253', '--json');
    expect(fe.code, fe.stderr).toBe(0);
    expect(JSON.parse(fe.lastLine).servos.map((s: { id: number }) => s.id)).toEqual([253]);
    refused(axon('hw', 'scan', '--port', 'emu://2', '--ids', '250-253'), /^axon: error \[CLI_USAGE\]: --ids: id 253 is reserved on Dynamixel \(Protocol 2\.0\) \(expected ids 0\.\.252, or --protocol feetech for 253\)$/);
    refused(axon('hw', 'scan', '--protocol', 'feetech', '--port', 'emu://2', '--ids', '254'), /argument '254' is invalid\. expected ids like 1-20 or 1,3,7-9 \(0\.\.252 on Dynamixel, 0\.\.253 on Feetech\)$/);
  });

  it('bridge --host that does not resolve is said so, not "reachable from other machines"', async () => {
    await expect(checkHostResolves('nosuch.invalid')).rejects.toMatchObject({ code: 'CLI_USAGE', message: expect.stringMatching(/^--host: "nosuch\.invalid" does not resolve \(\w+\): there is no address to bind/) });
    for (const h of ['127.0.0.1', '0.0.0.0', '::1', '[::1]', 'localhost']) await expect(checkHostResolves(h)).resolves.toBeUndefined();
    const r = axon('bridge', '--sim', 'cartpole', '--host', 'nosuch.invalid');
    refused(r, /^axon: error \[CLI_USAGE\]: --host: "nosuch\.invalid" does not resolve/);
    expect(r.stderr).not.toContain('reachable from other machines');
  });

  it("manifest from-isaaclab --joints '' names --joints, not a config field it made look missing", () => {
    for (const v of ['', ' , ,', '[]']) refused(axon('manifest', 'from-isaaclab', 'tests/fixtures/nosuch-env.yaml', '--joints', v), /^axon: error \[CLI_USAGE\]: --joints: names no joint \(expected /);
  });
});
