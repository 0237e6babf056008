/**
 * The REST client of Brickyard: typed methods for every route of openapi.yaml, Heketi's JWT per
 * request, 429 retries and /queue following. Isomorphic (global fetch + WebCrypto): used by the
 * CLI, the tests that drive a live server, the benchmarks, the CSI driver and the console.
 *
 *   const c = new HeketiClient({ server: 'http://127.0.0.1:8080', user: 'admin', key });
 *   const v = await c.volumeCreate({ size: 10, durability: { type: 'replicate', replicate: { replica: 3 } } });
 *   await c.withOptions({ signal: AbortSignal.timeout(60_000) }).volumeDelete(v.id);
 *
 * Asynchronous routes resolve when the operation has ended (202, /queue polled every pollMs, the
 * 303 followed). `start` + `poll` split that for callers that keep the queue location themselves.
 * Failures: ApiError (status, server text), NetworkError, ProtocolError, or the abort reason.
 */
export { HeketiClient } from './client.js';
export { Transport, errorOf, parseJson, type ClientOptions, type Reply, type SendOptions } from './transport.js';
export { ApiError, ClientError, NetworkError, ProtocolError } from './errors.js';
export { importHmacKey, qsh, signToken, tokenPath, type HmacKey } from './jwt.js';
export type * from './types.js';
