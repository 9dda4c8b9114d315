/**
 * What the viewer's server refused over a run, and the line the run's summary prints about it: the
 * operator otherwise never sees an upgrade refused 503 (token-less reconnects over the server-wide
 * budget), 403 (another site's Origin, or a Host that is not this viewer's name) or a page closed
 * over its message bounds (docs/viewer.md, "A page that floods", "Only the viewer's own page").
 */
export interface ViewerRefusals {
  /** Token-less WebSocket upgrades answered 503: over the server-wide upgrade budget. */
  readonly upgradesRefused: number;
  /** Upgrades answered 403: their Origin was another site's page. */
  readonly originsRefused: number;
  /** Requests and upgrades answered 403: their Host was not a name of this viewer (DNS rebinding). */
  readonly hostsRefused: number;
  /** Connections closed (1008) for sending more than the message or byte bounds allow, or not reading. */
  readonly closedOverLimit: number;
}

/** The summary's line (`axon viewer: refused ...; closed ...`), or undefined when the viewer refused nothing. */
export function viewerRefusalLine(r: ViewerRefusals): string | undefined {
  const parts: string[] = [];
  if (r.upgradesRefused > 0) parts.push(`${r.upgradesRefused} token-less WebSocket upgrade(s) over its budget (503)`);
  if (r.originsRefused > 0) parts.push(`${r.originsRefused} upgrade(s) from another site's page (403 Origin)`);
  if (r.hostsRefused > 0) parts.push(`${r.hostsRefused} request(s) under a name not its own (403 Host)`);
  const said = [
    ...(parts.length > 0 ? [`refused ${parts.join(', ')}`] : []),
    ...(r.closedOverLimit > 0 ? [`closed ${r.closedOverLimit} connection(s) over its bounds (1008)`] : []),
  ];
  return said.length === 0 ? undefined : `axon viewer: ${said.join('; ')} (docs/viewer.md, "A page that floods")`;
}
