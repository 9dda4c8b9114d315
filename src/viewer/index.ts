/** The viewer and operator console: a three.js page served by axon, fed over WebSocket. */
export { attachViewer, pageKinematics } from './attachViewer.ts';
export type { Viewer, ViewerOptions, ViewerRobot, ViewerModel, ViewerSafety, ViewerRollouts } from './attachViewer.ts';
export { ViewerServer } from './ViewerServer.ts';
export { viewerRefusalLine } from './refusals.ts';
export type { ViewerRefusals } from './refusals.ts';
export type { ViewerServerOptions, ViewerClient, ViewerLimits } from './ViewerServer.ts';
export { PausableClock } from './PausableClock.ts';
export type { SimControl, PausableClockOptions } from './PausableClock.ts';
export * from './frames.ts';
