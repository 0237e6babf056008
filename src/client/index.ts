/**
 * The REST client of Brickyard: typed methods for every route of openapi.yaml, Heketi's JWT per
 * request, 429 retries and /queue following. Isomorphic (global fetch + WebCrypto): used by the
 * CLI, the tests that drive a live server, the benchmarks, the CSI driver and the console.
 */
export { HeketiClient } from './client.js';
export { Transport, errorOf, parseJson, type ClientOptions, type Reply, type SendOptions } from './transport.js';
export { ApiError, ClientError, NetworkError, ProtocolError } from './errors.js';
export { importHmacKey, qsh, signToken, tokenPath, type HmacKey } from './jwt.js';
export type * from './types.js';
