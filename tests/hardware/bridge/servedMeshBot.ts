/**
 * A maker's URDF served over the bridge in this process, as `axon bridge --urdf FILE
 * --urdf-package-path DIR` serves it (src/cli/bridgeRobot.ts builds it, and its hello.robotFile):
 * the mesh_bot fixture (tests/fixtures/urdf/mesh_bot_description), copied into a folder of its own
 * so that the server's path is not the client's. Its awkwardness is a maker's: meshes by package://
 * URIs, a binary STL whose 80-byte header begins with "solid", an OBJ of quads, a Collada visual,
 * zero-inertia frame links (a massless base_link fixed to the chassis, an empty imu_link), joints
 * listed tip first. The test's afterEach closes what `open` holds.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeServer, BridgeServerOptions } from '../../../hardware/bridge/index.ts';
import { openServedRobot, type ServedRobot } from '../../../src/cli/bridgeRobot.ts';
import { startServer } from './helpers.ts';

export const MESH_BOT_FIXTURE = 'tests/fixtures/urdf/mesh_bot_description';
/** The moving joints of mesh_bot, in tree order as served. */
export const MESH_BOT_JOINTS = ['arm_joint', 'wheel_joint'];

/** A copy of the mesh_bot package under a new folder: { root (the package path), urdf }. */
export function copyMeshBot(prefix: string): { root: string; urdf: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  cpSync(MESH_BOT_FIXTURE, join(root, 'mesh_bot_description'), { recursive: true });
  return { root, urdf: join(root, 'mesh_bot_description', 'urdf', 'mesh_bot.urdf') };
}

export interface ServedMeshBot {
  readonly server: BridgeServer;
  readonly served: ServedRobot;
  /** The server's copy of the URDF (its package root is `root`). */
  readonly urdf: string;
  readonly root: string;
}

/**
 * Serves mesh_bot on a free loopback port (token "secret-token") at 200 Hz physics, paced in real
 * time unless `o` says otherwise; `robotFile: null` serves it as a server from before hello.robotFile.
 * `edit` changes the server's copy of the URDF before it is served (another revision of the file).
 */
export async function serveMeshBot(
  open: { close(): Promise<void> | void }[],
  o: Omit<Partial<BridgeServerOptions>, 'robotFile'> & { robotFile?: null } = {},
  edit?: (urdf: string) => void,
): Promise<ServedMeshBot> {
  const { root, urdf } = copyMeshBot('axon-served-mesh-bot-');
  edit?.(urdf);
  const served = await openServedRobot({ urdf, urdfPackagePath: [root], strict: false, physics: 'cannon', seed: 1, randomize: false }, 0.005);
  open.push(served.robot);
  const { robotFile, ...rest } = o;
  const server = await startServer({ robot: served.robot, ...(robotFile === null || !served.robotFile ? {} : { robotFile: served.robotFile }), ...rest });
  open.push(server);
  return { server, served, urdf, root };
}
