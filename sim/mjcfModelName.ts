/**
 * An MJCF's model name, `<mujoco model="...">`, as the robot is named by (mujoco/createMujocoMjcfRobot.ts:
 * `axon sim --mjcf`'s summary; `axon eval --mjcf`'s label, src/cli/commands/evalUserRobot.ts, read
 * before the model is compiled). Undefined without one, or when the file cannot be read (its error
 * comes when it is compiled). Outside sim/mujoco, which nothing imports before MuJoCo is asked for.
 */
import { readFileSync } from 'node:fs';

export function mjcfModelName(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // Past comments (a commented-out <mujoco model="old"> names nothing).
  const m = /<mujoco\b[^>]*?\bmodel\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text.replace(/<!--[\s\S]*?-->/g, ''));
  const name = m?.[1] ?? m?.[2];
  return name !== undefined && name !== '' ? name : undefined;
}
