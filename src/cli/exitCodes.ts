/**
 * The exit codes of every axon command, in one place: 0 a run that did what it was asked (an eval
 * below its bar is still 0: its figures say so), and otherwise one of these.
 */

/** A run that failed: sim2sim's engines disagreeing, a command's own failure. */
export const EXIT_FAILED = 1;
/** Bad input: a flag, a file, a manifest field, a URDF element (one line naming it). */
export const EXIT_USAGE = 2;
/** A run the state watchdog ended (the simulation blew up): sim, and the simulation a bridge served. */
export const EXIT_INVALID_RUN = 3;
/** A run whose recording (MCAP or dataset) dropped frames, unless --allow-drops. */
export const EXIT_DROPPED = 4;
