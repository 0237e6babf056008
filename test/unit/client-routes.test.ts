import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { HeketiClient } from '../../src/client/index.js';

/** Every route of openapi.yaml has its method in src/client (named by its operationId unless listed here). */
const RENAMED: Record<string, string | null> = {
  queueStatus: 'poll', // every async method polls; `poll` is the route on its own
  operationsInfo: 'operations',
  pendingOperationCleanup: 'operationsCleanup',
  swaggerUi: null, // the HTML page of the API browser, for people
  webConsole: null, // the console's page, for people
};

describe('src/client covers openapi.yaml', () => {
  it('has a method for every operationId', () => {
    const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = Object.values(spec.paths).flatMap((p) => Object.values(p).flatMap((op) => (op.operationId ? [op.operationId] : [])));
    expect(ids.length).toBeGreaterThan(40);
    const missing = ids.filter((id) => {
      const name = id in RENAMED ? RENAMED[id] : id;
      return name !== null && typeof (HeketiClient.prototype as unknown as Record<string, unknown>)[name!] !== 'function';
    });
    expect(missing).toEqual([]);
  });
});
