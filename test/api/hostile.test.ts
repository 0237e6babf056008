/**
 * Hostile input, round 2 (issue 10): argument injection through a leading dash, values the API
 * accepted but the nodes refused, and list inputs that stalled the server or flooded the nodes.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectText, startTestServer, token, type TestServer } from '../helpers/server.js';
import { hostileOption, hostileValue } from '../helpers/hostile.js';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});


async function topology(nodes = 3): Promise<{ cluster: string; nodes: string[] }> {
  const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
  const ids: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    const r = await s.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const id = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    ids.push(id);
    for (const d of ['/dev/sdb', '/dev/sdc']) expect((await s.wait((await s.post('/devices', { name: d, node: id })).headers.location)).status).toBe(204);
  }
  return { cluster, nodes: ids };
}

/** POST as a `user` token: the least a caller of POST /volumes needs. */
function userPost(path: string, body: unknown) {
  return s
    .raw()
    .post(path)
    .set('Authorization', `bearer ${token('POST', path, { iss: 'user' })}`)
    .send(JSON.stringify(body));
}

/** Every argv element any node ran that starts with `-` and is not one of the planner's own flags. */
function injected(words: string[]): string[] {
  return s.runner.commandLog.flatMap((c) => c.argv).filter((a) => words.some((w) => a.includes(w)));
}

describe('argument injection through a leading dash', () => {
  it('rejects an option value that gluster would read as its own --option, before any 202', async () => {
    await topology();
    const r = await userPost('/volumes', { size: 1, name: 'injA', durability: { type: 'none' }, glustervolumeoptions: ['performance.readdir-ahead --remote-host=203.0.113.9'] });
    expectText(r, 400, 'Invalid volume option "performance.readdir-ahead --remote-host=203.0.113.9": volume option value must not start with "-"');
    for (const opt of ['-x on', '--log-file=/etc/passwd on', 'user.a -1', 'user.b --glusterd-sock=/tmp/x']) {
      expect((await userPost('/volumes', { size: 1, glustervolumeoptions: [opt] })).status, opt).toBe(400);
    }
    expect(injected(['--remote-host', '--log-file', '--glusterd-sock'])).toEqual([]);
    expect(s.by.ctx.db.prepare('SELECT count(*) AS n FROM volumes').get()).toEqual({ n: 0 });
  });

  it('keeps embedded spaces and "--word" inside a value: one argv element gluster does not parse as an option', async () => {
    await topology();
    const r = await userPost('/volumes', { size: 1, name: 'spaced', durability: { type: 'none' }, glustervolumeoptions: ['user.note a --remote-host=x b'] });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(303);
    const set = s.runner.commandLog.find((c) => c.argv.includes('user.note'))!;
    expect(set.argv.slice(-3)).toEqual(['spaced', 'user.note', 'a --remote-host=x b']);
  });

  it.each(['--version', '--xml', '-x', '-', 'all', 'force'])('rejects the volume name %j before any 202', async (name) => {
    await topology();
    expectText(await userPost('/volumes', { size: 1, name, durability: { type: 'none' } }), 400, 'validation failed: name: must be in a valid format.');
    expect(s.runner.commandLog.some((c) => c.argv.includes('create'))).toBe(false);
  });

  it('rejects clone and block volume names with a leading dash', async () => {
    await topology();
    const v = await s.wait((await s.post('/volumes', { size: 1, durability: { type: 'none' } })).headers.location);
    const id = v.headers.location.split('/').pop()!;
    expectText(await s.post(`/volumes/${id}/clone`, { name: '--xml' }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/blockvolumes', { size: 1, name: '--json' }), 400, 'validation failed: name: must be in a valid format.');
    expect(s.runner.commandLog.some((c) => c.argv.includes('clone'))).toBe(false);
  });

  it('rejects hostnames that an executor could read as an option', async () => {
    const { cluster } = await topology(1);
    for (const h of ['-oProxyCommand=touch /tmp/pwned', '-p2222', '--help']) {
      const r = await s.post('/nodes', { zone: 1, hostnames: { manage: [h], storage: ['10.0.0.9'] }, cluster });
      expectText(r, 400, `validation failed: hostnames: (manage: [${h}] is not a valid manage hostname.).`);
    }
  });
});

describe('the API accepts only what the nodes accept', () => {
  it.each([
    ['manage', 'first.example.'],
    ['manage', 'fe80::2%eth0'],
    ['storage', '10.0.0.300'],
    ['storage', 'a'.repeat(64)],
  ])('rejects the %s hostname %j with Heketi text', async (kind, h) => {
    const { cluster } = await topology(1);
    const hostnames = kind === 'manage' ? { manage: [h], storage: ['10.0.0.9'] } : { manage: ['node9'], storage: [h] };
    expectText(await s.post('/nodes', { zone: 1, hostnames, cluster }), 400, `validation failed: hostnames: (${kind}: [${h}] is not a valid ${kind} hostname.).`);
  });

  it.each([
    ['a C1 control', 'user.x a\u0085b'],
    ['U+2028', 'user.x a\u2028b'],
    ['NBSP as the separator', 'performance.readdir-ahead\u00a0on'],
    ['a tab as the separator', 'performance.readdir-ahead\ton'],
    ['an over-long value', `user.x ${'v'.repeat(4097)}`],
  ])('rejects an option with %s before any 202', async (_what, opt) => {
    await topology();
    const r = await userPost('/volumes', { size: 1, glustervolumeoptions: [opt] });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^Invalid volume option /);
  });

  it('rejects a device name over 4096 characters before any 202', async () => {
    const { nodes } = await topology(1);
    expectText(await s.post('/devices', { name: `/dev/${'a'.repeat(4100)}`, node: nodes[0] }), 400, 'validation failed: name: must be in a valid format.');
  });

  it('skips an unreachable node as the probe peer and probes from the next one', async () => {
    const { cluster } = await topology(3);
    const first = (s.by.ctx.db.prepare('SELECT manage_hostname AS h FROM nodes WHERE cluster_id = ? ORDER BY id LIMIT 1').get(cluster) as { h: string }).h;
    s.runner.setHostDown(first, true);
    const r = await s.post('/nodes', { zone: 4, hostnames: { manage: ['node4'], storage: ['10.0.0.4'] }, cluster });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(303);
    const probe = s.runner.commandLog.filter((c) => c.argv.includes('probe')).pop()!;
    expect(probe.host).not.toBe(first);
    expect(probe.argv.at(-1)).toBe('10.0.0.4');
  });

  it('skips a stored node whose hostname the executor refuses (an imported Heketi DB), never a 500', async () => {
    const { cluster } = await topology(2);
    // A node stored before this validation existed: its manage hostname sorts first.
    s.by.ctx.db.prepare("UPDATE nodes SET manage_hostname = 'first.example.' WHERE id = (SELECT min(id) FROM nodes WHERE cluster_id = ?)").run(cluster);
    const r = await s.post('/nodes', { zone: 3, hostnames: { manage: ['node3'], storage: ['10.0.0.3'] }, cluster });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(303);
  });
});

describe('API accepts ⇒ nodes accept, through HTTP', () => {
  /** A 202 whose background work failed on a value the node layer refused (a ValidationError text). */
  const refusedLater = (text: string) => /^invalid [a-zA-Z /_]+ ".*": /m.test(text);

  it('POST /volumes with hostile names and options: 400, or a 202 whose commands all run', { timeout: 120_000 }, async () => {
    await topology();
    const seen: string[] = [];
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileValue, fc.constant('')), fc.array(hostileOption, { maxLength: 2 }), async (name, options) => {
        const r = await userPost('/volumes', { size: 1, name, durability: { type: 'none' }, glustervolumeoptions: options });
        if (r.status === 400) return;
        expect(r.status, r.text).toBe(202);
        const done = await s.wait(r.headers.location);
        expect(refusedLater(done.text), done.text).toBe(false);
        seen.push(name);
        accepted++;
        if (done.status === 303) await s.wait((await s.del(done.headers.location)).headers.location);
      }),
      { numRuns: 60 },
    );
    // Enough of the generated requests get through to make the property mean something.
    expect(accepted).toBeGreaterThan(5);
    const values = s.runner.commandLog.flatMap((c) => c.argv);
    for (const n of seen.filter((x) => x !== '')) expect(values.filter((a) => a.startsWith(n) && a.startsWith('-'))).toEqual([]);
  });

  it('POST /nodes and /devices with hostile hostnames and device names: 400, or a 202 whose commands all run', { timeout: 120_000 }, async () => {
    const { cluster, nodes } = await topology(1);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostileValue, hostileValue, hostileValue, async (manage, storage, dev) => {
        const n = await s.post('/nodes', { zone: 1, hostnames: { manage: [manage], storage: [storage] }, cluster });
        if (n.status !== 400) {
          expect([202, 409], n.text).toContain(n.status);
          if (n.status === 202) {
            accepted++;
            expect(refusedLater((await s.wait(n.headers.location)).text)).toBe(false);
          }
        }
        const d = await s.post('/devices', { name: `/dev/${dev}`, node: nodes[0] });
        if (d.status !== 400) {
          expect(d.status, d.text).toBe(202);
          accepted++;
          expect(refusedLater((await s.wait(d.headers.location)).text)).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
    expect(accepted).toBeGreaterThan(5);
  });
});

describe('list inputs are de-duplicated and capped', () => {
  it('answers 28,000 copies of one cluster id at once with a 400 naming the field and the cap', async () => {
    const { cluster } = await topology();
    const r = await userPost('/volumes', { size: 1, clusters: Array<string>(28_000).fill(cluster) });
    expectText(r, 400, 'validation failed: clusters: too many clusters specified (28000), up to 64 supported.');
    expectText(await s.post('/blockvolumes', { size: 1, clusters: Array<string>(65).fill(cluster) }), 400, 'validation failed: clusters: too many clusters specified (65), up to 64 supported.');
  });

  it('de-duplicates repeated cluster ids', async () => {
    const { cluster } = await topology();
    const r = await userPost('/volumes', { size: 1, durability: { type: 'none' }, clusters: [cluster, cluster, cluster] });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(303);
    const unknown = '0123456789abcdef0123456789abcdef';
    expectText(await userPost('/volumes', { size: 1, clusters: [unknown, unknown] }), 400, `Cluster id ${unknown} not found`);
  });

  it('caps glustervolumeoptions and sets them in bounded batches', async () => {
    await topology();
    const many = Array.from({ length: 20_000 }, (_, i) => `user.k${i} v`);
    expectText(await userPost('/volumes', { size: 1, glustervolumeoptions: many }), 400, 'validation failed: glustervolumeoptions: too many options specified (20000), up to 128 supported.');
    expect(s.runner.commandLog.filter((c) => c.argv.includes('set'))).toEqual([]);
    const r = await userPost('/volumes', { size: 1, name: 'many', durability: { type: 'none' }, glustervolumeoptions: many.slice(0, 128) });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(303);
    const sets = s.runner.commandLog.filter((c) => c.argv.includes('set'));
    // 128 options in batches of 32 pairs, then the user.heketi.id tag.
    expect(sets).toHaveLength(5);
    const options = s.runner.snapshot().pool.volumes['many']!.options;
    expect(options['user.k0']).toBe('v');
    expect(options['user.k127']).toBe('v');
  });

  it('sets a repeated option once, keeping the order gluster applies them in', async () => {
    await topology();
    const sent = ['user.a 1', 'performance.readdir-ahead off', 'user.a 2', 'performance.readdir-ahead off'];
    const r = await userPost('/volumes', { size: 1, name: 'repeats', durability: { type: 'none' }, glustervolumeoptions: sent });
    expect(r.status).toBe(202);
    const done = await s.wait(r.headers.location);
    expect(done.status).toBe(303);
    const sets = s.runner.commandLog.filter((c) => c.argv.includes('set') && !c.argv.includes('user.heketi.id'));
    expect(sets).toHaveLength(1);
    // Exact repeats go; the order of what is left is kept, so user.a ends as 2.
    expect(sets[0]!.argv.slice(sets[0]!.argv.indexOf('set') + 2)).toEqual(['user.a', '1', 'user.a', '2', 'performance.readdir-ahead', 'off']);
    expect(s.runner.snapshot().pool.volumes['repeats']!.options['user.a']).toBe('2');
    expect((await s.get(done.headers.location)).body.glustervolumeoptions.filter(Boolean)).toEqual(['user.a 1', 'user.a 2', 'performance.readdir-ahead off']);
  });

  it('caps hostnames lists and tags maps before looking at their contents', async () => {
    const { cluster, nodes } = await topology(1);
    const hosts = Array.from({ length: 17 }, (_, i) => `h${i}`);
    expectText(
      await s.post('/nodes', { zone: 1, hostnames: { manage: hosts, storage: ['10.0.0.9'] }, cluster }),
      400,
      'validation failed: hostnames: (manage: too many hostnames specified (17), up to 16 supported.).',
    );
    const tags = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`t${i}`, 'v']));
    expectText(await s.post(`/nodes/${nodes[0]}/tags`, { change_type: 'set', tags }), 400, 'validation failed: tags: too many tags specified (60000), up to 32 supported.');
  });
});
