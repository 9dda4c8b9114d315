import { AxonError } from '../../src/core/errors.ts';
import { errorName } from './protocol.ts';

/**
 * A bridge failure a caller can act on (STYLE.md 5): `code` is an axon code such as
 * `BRIDGE_VERSION`, `BRIDGE_AUTH`, `BRIDGE_CONNECT`; `protocolCode` the numeric protocol error
 * (hardware/PROTOCOL.md) when the server sent one.
 */
export class BridgeError extends AxonError {
  readonly protocolCode: number | undefined;

  constructor(code: string, where: string, message: string, expected?: string, protocolCode?: number) {
    super(code, where, message, expected);
    this.protocolCode = protocolCode;
  }

  /** From a server's error message: `where` is the server URL. */
  static fromServer(code: string, url: string, protocolCode: number, text: string): BridgeError {
    return new BridgeError(code, url, `server refused: ${errorName(protocolCode)} (${protocolCode}): ${text}`, undefined, protocolCode);
  }
}
