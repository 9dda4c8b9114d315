/**
 * The viewer's public types: what attachViewer is given (the robot to draw, the safety it acts on,
 * the options, a world model's rollouts, a velocity command) and what it returns.
 */
import type { Subscription } from 'rxjs';
import type { Observation, RobotHealth, RobotSpec } from '../core/robot.ts';
import type { SafetyEvent, SafetyState } from '../safety/types.ts';
import type { ViewerLimits, ViewerLiveness } from './ViewerServer.ts';
import type { SimControl } from './PausableClock.ts';
import type { ViewerRefusals } from './refusals.ts';
import type { RolloutTrace } from '../worldmodel/RolloutTrace.ts';
import type { VelocityCommand } from '../loop/VelocityCommand.ts';
import type { ViewerModel } from './pageModel.ts';

/** A world model's rollouts to draw: the hook's trace and how its states map to joint positions. */
export interface ViewerRollouts {
  readonly trace: RolloutTrace;
  readonly mode: 'plan' | 'shield';
  /** Joint angle = state[slot] / scale + offset for robot joint `joint` (ObservationBuilder.jointPositionSlots). */
  readonly jointSlots: readonly { readonly slot: number; readonly joint: number; readonly scale: number; readonly offset: number }[];
  /** World-model step (s), shown with the horizon. */
  readonly dt: number;
}

/**
 * What the viewer draws: the spec, and for a 3D view the URDF (visuals and kinematic tree). With
 * `linkPose` (SimRobot) the frames carry every link's pose; without it (a real robot) the page
 * poses the links itself from the measured joint positions, the root fixed at the origin.
 */
export interface ViewerRobot {
  readonly spec: RobotSpec;
  readonly model?: ViewerModel;
  /** World pose of a link frame: position (m) into pos[0..2], orientation x y z w into quat[0..3]. */
  linkPose?(linkName: string, pos: Float64Array, quat: Float64Array): void;
  /**
   * Called with the newest tick's observation before a frame's link poses are read (off the tick,
   * once per frame built): a robot drawn by a stand-in that is not the robot itself (a bridged
   * URDF robot: a SimRobot of the URDF, src/cli/bridgeDrawing.ts) is put at the observed joints
   * and base here, as a replay puts it at each recorded tick.
   */
  poseFrom?(obs: Observation): void;
}

/** The part of a SafetySupervisor the viewer uses. */
export interface ViewerSafety {
  readonly state: SafetyState;
  readonly events$: { subscribe(fn: (e: SafetyEvent) => void): Subscription };
  estop(reason: string, now: number, seq: number): void;
  reset(reason: string, obs: Observation, seq: number, now?: number): void;
  /** A recording's safety (replay): state and events as recorded; the page hides E-STOP, Disarm and Arm (hello `recordedSafety`). */
  readonly recorded?: boolean;
}

export interface ViewerOptions {
  /** Default 8090; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  readonly token?: string;
  /** Origins besides the page's own that may open the WebSocket, their hosts passing the Host check: a reverse proxy (`--allow-origin`, ViewerServerOptions). */
  readonly allowOrigins?: readonly string[];
  /**
   * E-stop and disarm need the token too; default false: stopping is always allowed, a page
   * without the token may stop the robot (arming, reset and commands still need it). Set it for a
   * viewer exposed beyond the robot's own network.
   */
  readonly stopNeedsToken?: boolean;
  /** State frames per second to a client that does not ask for them (the page asks once per drawn frame); default 30. */
  readonly frameHz?: number;
  /** Stats messages per second; default 4. */
  readonly statsHz?: number;
  /** Pause/step control (simulation only). */
  readonly control?: SimControl;
  /** Shown in the page title. */
  readonly title?: string;
  /**
   * The physics engine that ran (a simulation, e.g. "cannon-es", "MuJoCo"): in the default title
   * and the page's loop panel.
   */
  readonly engine?: string;
  /** A world model's rollouts (plan, shield), drawn as ghost paths. */
  readonly rollouts?: ViewerRollouts;
  /** Rollout frames per second at most (sent only when the rollouts changed); default 10. */
  readonly rolloutHz?: number;
  /**
   * The operator's velocity command (locomotion policies): the page drives it (keys, stick,
   * gamepad) with `{"type":"cmd","cmd":"velocity","value":[vx,vy,wz]}` (token needed; clamped to
   * the source's ranges, a non-finite value refused); stats carry the value in use. When the page
   * that last set it disconnects, or is not heard from for `liveness.commandTimeoutS`, the
   * command goes back to zero (a teleop deadman).
   */
  readonly velocityCommand?: ViewerVelocityCommand;
  /**
   * How silent pages are noticed (docs/viewer.md, "A page that goes silent"): a ping every `pingS`
   * (0.25 s); the velocity command goes to zero when the page that set it has not been heard for
   * `commandTimeoutS` (1 s); any page not heard for `timeoutS` (3 s) is disconnected.
   */
  readonly liveness?: ViewerLiveness & { readonly commandTimeoutS?: number };
  /**
   * What one connection may send (docs/viewer.md, "A page that floods"): over it the connection is
   * closed (1008) before its message is parsed. Defaults: 400 messages and 64 KiB a second, 400
   * messages and 128 KiB at once.
   */
  readonly limits?: ViewerLimits;
  /**
   * The robots' health (the run's robot; a leader and a follower in teleop), or the robots: Arm is
   * refused while any reports a fault (docs/safety.md, "How a run ends": a robot fault is a
   * protective stop), except faults its health marks `armable`, which Arm clears with its arm()
   * (docs/viewer.md: a bridge client re-armed after the server operator's reset).
   */
  readonly health?: readonly (HealthSource | { readonly health$: HealthSource; arm?(): string | undefined })[];
}

export type HealthSource = { subscribe(fn: (h: RobotHealth) => void): Subscription };

/** A velocity command source for the viewer, and whether the policy reads it. */
export interface ViewerVelocityCommand {
  readonly source: Pick<VelocityCommand, 'set' | 'zero' | 'value' | 'applied' | 'ranges'>;
  /** The policy has a velocity_commands term (else the page says that it has none). */
  readonly inModel: boolean;
}

export interface Viewer {
  /** Page URL with the command token. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Pages connected now. */
  readonly clients: number;
  /** State frames sent so far (all clients together). */
  readonly framesSent: number;
  /** Rollout frames sent so far (to all clients). */
  readonly rolloutFramesSent: number;
  /** Connections closed for sending more than `limits` allow. */
  readonly closedOverLimit: number;
  /** What the server refused so far (upgrades 503/403, requests 403, connections closed 1008): the run's summary line (viewerRefusalLine). */
  readonly refusals: ViewerRefusals;
  close(): Promise<void>;
}
