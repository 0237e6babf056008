import type { Logger } from 'pino';
import type { ControllerPart } from './driver.js';
import type { CsiOptions } from './options.js';

/** Interim: the controller service is built on src/client, which is not on this branch yet. */
export async function createController(_o: CsiOptions, _key: string | undefined, _log: Logger): Promise<ControllerPart> {
  throw new Error('the CSI controller service is not built yet: run brickyard csi --mode node');
}
