/**
 * The axon bridge: a robot behind a WebSocket (hardware/PROTOCOL.md).
 * Server: `BridgeServer.listen({ robot, ... })`. Client: `connectBridgeRobot(url, { token })`.
 */
export { BridgeServer, defaultPacing, WORKER_PACING_MAX_HZ } from './BridgeServer.ts';
export type { BridgeServerOptions, BridgeServerEvent } from './BridgeServer.ts';
export { BridgeRobot, connectBridgeRobot } from './BridgeRobot.ts';
export type { BridgeRobotOptions, BridgeClientEvent } from './BridgeRobot.ts';
export { BridgeError } from './BridgeError.ts';
export * from './protocol.ts';
export * from './frames.ts';
export * from './messages.ts';
export { TOKEN_ENV, generateToken, isLoopback, tokenMatches } from './tokens.ts';
