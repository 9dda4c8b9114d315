/**
 * The axon bridge: a robot behind a WebSocket (hardware/PROTOCOL.md).
 * Server: `BridgeServer.listen({ robot, ... })`. Client: `connectBridgeRobot(url, { token })`.
 */
export { BridgeServer } from './BridgeServer.ts';
export type { BridgeServerEvent } from './BridgeServer.ts';
export { defaultPacing, WORKER_PACING_MAX_HZ } from './serverOptions.ts';
export type { BridgeServerOptions } from './serverOptions.ts';
export { BridgeRobot, connectBridgeRobot } from './BridgeRobot.ts';
export type { BridgeRobotOptions, BridgeClientEvent } from './BridgeRobot.ts';
export { BridgeError } from './BridgeError.ts';
export * from './protocol.ts';
export * from './frames.ts';
export * from './messages.ts';
export { TOKEN_ENV, generateToken, isLoopback, tokenMatches } from './tokens.ts';
