import { AxonError } from '../core/errors.ts';

/**
 * A guarded onnxruntime call (guardedSession.ts) that did not answer within its deadline, or one made
 * while an earlier call still has not: the loop counts it as the stage's deadline miss, not an error.
 */
export class InferenceTimeout extends AxonError {
  constructor(where: string, message: string) {
    super('INFERENCE_TIMEOUT', where, message);
  }
}
