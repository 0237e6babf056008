/**
 * GET /queue/{id} answers entries of this process's operations from the runner's memory and holds
 * a poll of a running one until it ends (at most POLL_HOLD_MS). Asserted: every answer from
 * memory is the one the database path gives for the same row (pending, 303 + Location, 500
 * text), an entry is still delivered exactly once, a restarted server (memory empty) answers from
 * the database, a held poll sees the end with one request, and a client that leaves while held
 * does not lose the result.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import supertest from 'supertest';
import { createBrickyard, type Brickyard } from '../../src/app.js';
import { MockRunner } from '../../src/gluster/mock/index.js';
import { getQueueEntry, type QueueEntry } from '../../src/store/queue.js';
import { POLL_HOLD_MS } from '../../src/operations/runner.js';
import { expectText, startTestServer, token, type TestServer } from '../helpers/server.js';

let s: TestServer;
/** Commands matching this wait for `open()`. */
let gate: { match: RegExp; opened: Promise<void>; open: () => void } | undefined;

function closeGate(match: RegExp): void {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  gate = { match, opened, open };
}

beforeEach(async () => {
  s = await startTestServer((c) => (c.glusterfs.volumeCreateRetries = 0));
  const run = s.runner.run.bind(s.runner);
  s.runner.run = async (host, commands) => {
    if (gate && commands.some((c) => gate!.match.test(c.argv.join(' ')))) await gate.opened;
    return run(host, commands);
  };
  const cluster = (await s.post('/clusters', { file: true })).body.id as string;
  for (let i = 1; i <= 3; i++) {
    const r = await s.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const node = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    expect((await s.wait((await s.post('/devices', { name: '/dev/sdb', node })).headers.location)).status).toBe(204);
  }
});

afterEach(async () => {
  gate?.open();
  gate = undefined;
  await s.close();
});

const createVolume = async () => {
  const r = await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect({ status: r.status, text: r.text }).toEqual({ status: 202, text: "" }); // the cause, if it fails
  return r.headers.location as string;
};

const idOf = (location: string) => location.split('/').pop()!;

/** What a client sees of an answer (the date and request id differ per request). */
function seen(r: supertest.Response) {
  const { date: _date, 'x-request-id': _rid, ...headers } = r.headers as Record<string, string>;
  return { status: r.status, headers, text: r.text };
}

/** The row back as it was before a poll delivered (and deleted) it. */
function restore(row: QueueEntry): void {
  s.by.ctx.db
    .prepare('INSERT INTO queue (id, status, location, error, op_id, created_at, finished_at) VALUES (@id, @status, @location, @error, @op_id, @created_at, @finished_at)')
    .run(row);
}

/** The answer from memory, then the same row's answer through the database path. */
async function memoryAndDatabase(location: string) {
  const id = idOf(location);
  expect(s.by.ctx.ops.queueAnswer(id)?.status).not.toBe('pending');
  expect(s.by.ctx.ops.queueAnswer(id)).toBeDefined();
  const row = getQueueEntry(s.by.ctx.db, id)!;
  const memory = await s.get(location);
  expect(s.by.ctx.ops.queueAnswer(id)).toBeUndefined();
  expect(getQueueEntry(s.by.ctx.db, id)).toBeUndefined();
  restore(row);
  const database = await s.get(location);
  expectText(await s.get(location), 404, 'Id not found');
  return { memory: seen(memory), database: seen(database) };
}

describe('queue answers from memory', () => {
  it('pending: the same 200 + X-Pending as the database path, after holding the poll', async () => {
    closeGate(/volume create/);
    const location = await createVolume();
    const started = Date.now();
    const memory = await s.get(location);
    expect(Date.now() - started).toBeGreaterThanOrEqual(POLL_HOLD_MS - 20);
    const spy = vi.spyOn(s.by.ctx.ops, 'queueAnswer').mockReturnValue(undefined);
    const database = await s.get(location);
    spy.mockRestore();
    expect(seen(memory)).toEqual(seen(database));
    expect(memory.headers['x-pending']).toBe('true');
    expect(getQueueEntry(s.by.ctx.db, idOf(location))?.status).toBe('pending');
    gate!.open();
    expect((await s.wait(location)).status).toBe(303);
  });

  it('done: the same 303 + Location + body as the database path, delivered once', async () => {
    const location = await createVolume();
    await s.by.ctx.ops.idle();
    const { memory, database } = await memoryAndDatabase(location);
    expect(memory).toEqual(database);
    expect(memory.status).toBe(303);
    expect(memory.headers.location).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
  });

  it('failed: the same 500 text as the database path, delivered once', async () => {
    s.runner.failNext({ match: /volume create/, stderr: 'volume create: failed: Staging failed on 10.0.0.2', times: 10 });
    const location = await createVolume();
    await s.by.ctx.ops.idle();
    const { memory, database } = await memoryAndDatabase(location);
    expect(memory).toEqual(database);
    expect(memory.status).toBe(500);
    expect(memory.text).toContain('Staging failed on 10.0.0.2');
  });

  it('204: the same empty answer as the database path', async () => {
    const location = await createVolume();
    const volume = (await s.wait(location)).headers.location as string;
    const del = await s.del(volume);
    await s.by.ctx.ops.idle();
    const { memory, database } = await memoryAndDatabase(del.headers.location);
    expect(memory).toEqual(database);
    expect(memory.status).toBe(204);
  });

  it('an answer whose row is gone from the database is not given from memory', async () => {
    const location = await createVolume();
    await s.by.ctx.ops.idle();
    s.by.ctx.db.prepare('DELETE FROM queue WHERE id = ?').run(idOf(location));
    expectText(await s.get(location), 404, 'Id not found');
  });

  it('a held poll answers the end as soon as it exists', async () => {
    closeGate(/volume create/);
    const location = await createVolume();
    const poll = s.get(location).then((r) => r);
    setTimeout(() => gate!.open(), 30);
    const r = await poll;
    expect(r.status).toBe(303);
    expectText(await s.get(location), 404, 'Id not found');
  });

  it('a client that leaves while held does not lose the result', async () => {
    closeGate(/volume create/);
    const location = await createVolume();
    const path = location;
    await expect(
      s
        .raw()
        .get(path)
        .set('Authorization', `bearer ${token('GET', path)}`)
        .timeout(50),
    ).rejects.toThrow(/Timeout/);
    await new Promise((r) => setTimeout(r, 50)); // the server notices the closed connection
    gate!.open();
    await s.by.ctx.ops.idle();
    const r = await s.get(location);
    expect(r.status).toBe(303);
  });

  it('a restarted server (nothing in memory) answers from the database, once', async () => {
    const location = await createVolume();
    await s.by.close(); // waits for the operation; nobody polled it
    const by: Brickyard = await createBrickyard(s.config, {
      runner: new MockRunner({ stateFile: `${s.config.glusterfs.dbPath}.mock-nodes.json`, deviceSizeGb: s.config.glusterfs.mock.deviceSizeGb }),
    });
    try {
      await by.app.ready();
      expect(by.ctx.ops.queueAnswer(idOf(location))).toBeUndefined();
      const get = () => supertest(by.app.server).get(location).set('Authorization', `bearer ${token('GET', location)}`);
      const done = await get();
      expect(done.status).toBe(303);
      expect(done.headers.location).toMatch(/^\/volumes\/[0-9a-f]{32}$/);
      expect(done.text).toBe(`<a href="${done.headers.location}">See Other</a>.\n\n`);
      expectText(await get(), 404, 'Id not found');
    } finally {
      await by.close();
      s.by = await createBrickyard(s.config, { runner: s.runner }); // for afterEach's close
    }
  });

  it('closing the server answers a held poll at once', async () => {
    closeGate(/volume create/);
    const location = await createVolume();
    const poll = s.get(location).then((r) => r);
    await new Promise((r) => setTimeout(r, 20));
    s.by.ctx.ops.releaseHeld();
    const started = Date.now();
    const r = await poll;
    expect(Date.now() - started).toBeLessThan(POLL_HOLD_MS);
    expect(r.headers['x-pending']).toBe('true');
  });
});
