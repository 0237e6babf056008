/**
 * `brickyard csi` as a process: it takes over a socket file left by a killed driver, serves,
 * shuts down on SIGTERM (exit 0, socket removed), and refuses bad flags and non-socket files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csiClient } from '../helpers/csi.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'csi-proc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function brickyard(args: string[], env: Record<string, string> = {}): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out, exited: new Promise((res) => proc.once('exit', (code) => res(code))) };
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('brickyard csi process', () => {
  it('replaces a stale socket, serves, and exits 0 on SIGTERM removing the socket', async () => {
    const socket = join(dir, 'csi.sock');
    // A socket file left behind: its owner was SIGKILLed.
    const owner = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}); setInterval(() => {}, 1000)`]);
    await until('the stale socket', () => existsSync(socket));
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    expect(existsSync(socket)).toBe(true);

    const run = brickyard(['csi', '--mode', 'node', '--endpoint', `unix://${socket}`, '--node-id', 'n-1', '--mount-log-dir', join(dir, 'logs')]);
    await until('the driver to listen', () => run.output().includes('CSI driver listening'));
    const c = csiClient(socket);
    expect(await c.identity.GetPluginInfo!()).toMatchObject({ name: 'glusterfs.csi.brickyard.io' });
    expect(await c.node.NodeGetInfo!()).toMatchObject({ node_id: 'n-1' });
    c.close();
    // Each call is logged with its method and code.
    await until('the call in the log', () => /"method":"NodeGetInfo".*"code":"OK"/.test(run.output()));
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);

  it('bad flags exit 2 with the reason and the usage', async () => {
    const run = brickyard(['csi', '--mode', 'both']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('--mode "both": expected controller, node or all');
    expect(run.output()).toContain('usage: brickyard csi');
  }, 60_000);

  it('refuses to remove a file at the endpoint that is not a socket', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'keep me');
    const run = brickyard(['csi', '--mode', 'node', '--endpoint', `unix://${path}`]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('exists and is not a socket');
    expect(existsSync(path)).toBe(true);
  }, 60_000);

  it('a controller needs --server', async () => {
    const run = brickyard(['csi', '--mode', 'controller', '--endpoint', `unix://${join(dir, 'c.sock')}`], { BRICKYARD_SERVER: '' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('--server (or BRICKYARD_SERVER) is required');
  }, 60_000);
});
