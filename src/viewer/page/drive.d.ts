// Types of page/drive.js, for the tests that run it under a stub DOM.
export interface PageDrive {
  /** What the page asks for (vx, vy, wz). */
  cmd: number[];
  /** The value in use on the server. */
  value: number[];
  ranges: number[][];
  enabled: boolean;
  inModel: boolean;
  canCommand: boolean;
  gamepad: string | null | undefined;
  sent: number;
  set(vx: number, vy: number, wz: number): void;
  /** Reads the gamepad (once per drawn frame). */
  poll(): void;
  onHello(h: { canCommand?: boolean; velocityCommand: { inModel: boolean; ranges: number[][]; value: number[] } | null }): void;
  onValue(v: unknown): void;
  onAck(m: { cmd?: unknown; velocityCommand?: unknown }): void;
}
export declare function createDrive(sendCommand: (value: number[]) => void): PageDrive;
