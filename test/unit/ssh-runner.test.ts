/**
 * SshRunner without a lab: a fake `ssh` (bash) records its argv and runs the remote line
 * locally with `bash -c`, so quoting, exit codes, stderr and timing behave as on a node.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SshExecConfig } from '../../src/config.js';
import { CommandError, type NodeCommand } from '../../src/gluster/executor.js';
import { renderCommand } from '../../src/gluster/quote.js';
import { SshRunner, type SshRunnerOptions } from '../../src/gluster/ssh.js';

const FAKE_SSH = `#!/bin/bash
# fake ssh: records argv (NUL-separated, one file per call), then runs the remote line locally.
# Parses as OpenSSH does: options up to the host (a "-..." word is an option unless "--" came
# first), then the host, then (unless "--" came first) more options, then the remote command.
d=\${FAKE_SSH_DIR:?}
printf '%s\\0' "$@" >"$d/calls/$(date +%s%N).$$"
host= line= op= ctl= master= ended=
while [ $# -gt 0 ]; do
  case $1 in
    --) ended=1; shift; [ -z "$host" ] && { host=$1; shift; }; line="$*"; break ;;
    -O) op=$2; shift 2 ;;
    -o) case $2 in ControlPath=*) ctl=\${2#ControlPath=} ;; ControlMaster=auto) master=1 ;; ProxyCommand=*) echo "option $2" >>"$d/options.log" ;; esac; shift 2 ;;
    -oProxyCommand=*) echo "option \${1#-o}" >>"$d/options.log"; shift ;;
    -i|-p|-l|-F|-S|-E|-b|-c|-D|-e|-J|-L|-m|-Q|-R|-W|-w) shift 2 ;;
    -*) shift ;;
    *) if [ -z "$host" ]; then host=$1; shift; else line="$*"; break; fi ;;
  esac
done
case $host in
  refused*) echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255 ;;
  denied*) echo "root@$host: Permission denied (publickey)." >&2; exit 255 ;;
  muxdead*) printf 'mux_client_request_session: read from master failed: Broken pipe\\r\\nssh: connect to host %s port 22: Connection timed out\\r\\n' "$host" >&2; exit 255 ;;
  # the connection drops mid-command: ssh says nothing at LogLevel=ERROR; a new one is refused
  dropped*) [ "$ctl" = none ] && echo "ssh: connect to host $host port 22: No route to host" >&2; exit 255 ;;
  # only a dead master's chatter; a new connection fails without a word
  muxonly*) [ "$ctl" = none ] || printf 'mux_client_read_packet: read header failed: Broken pipe\\r\\n' >&2; exit 255 ;;
  hostkey*) echo "Host key verification failed." >&2; exit 255 ;;
esac
sock=\${ctl//%C/sock-$host}
if [ -n "$op" ]; then
  # "-O exit": end the pretend master
  [ -n "$ctl" ] && [ -s "$sock" ] && kill "$(cat "$sock")" 2>/dev/null
  [ -n "$ctl" ] && rm -f "$sock"
  exit 0
fi
# a "master connection": a file where the control socket would be
[ -n "$master" ] && [ -n "$ctl" ] && : >"$sock"
case $host in
  # like a real master, something else holds our stdout/stderr until the remote command ends
  hold*) sleep 20 & echo $! >"$sock" ;;
esac
export FAKE_HOST=$host PATH="$d/bin:$PATH"
exec bash -c "$line"
`;

const FAKE_SUDO = `#!/bin/bash
echo "sudo:$*" >>"$FAKE_SSH_DIR/sudo.log"
exec "$@"
`;

let dir: string;
let fake: string;
/** Every runner a test makes; closed after each test even when it failed (no stray socket dirs). */
const open: SshRunner[] = [];

function runner(c: SshExecConfig, o: SshRunnerOptions = {}): SshRunner {
  const r = new SshRunner(c, o);
  open.push(r);
  return r;
}

function cfg(over: Partial<SshExecConfig> = {}): SshExecConfig {
  return { keyfile: '/keys/id_test', user: 'heketi', port: 2222, sudo: false, options: [], connectTimeoutSec: 7, ...over };
}

function cmd(argv: string[], over: Partial<NodeCommand> = {}): NodeCommand {
  return { argv, timeoutSec: 30, ...over };
}

/** Recorded calls, oldest first: one argv array per ssh invocation. */
function calls(): string[][] {
  const d = join(dir, 'calls');
  return readdirSync(d)
    .sort((a, b) => (BigInt(a.split('.')[0]) < BigInt(b.split('.')[0]) ? -1 : 1))
    .map((f) => readFileSync(join(d, f), 'utf8').split('\0').slice(0, -1));
}

/** Value after the `-o` whose value starts with `key=`. */
function opt(argv: string[], key: string): string | undefined {
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === '-o' && argv[i + 1].startsWith(`${key}=`)) return argv[i + 1].slice(key.length + 1);
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CommandError);
    return e as CommandError;
  }
  throw new Error('expected the batch to fail');
}

/** A command that logs "<host> start|end <ns>" around a sleep (to check overlap). */
function timed(log: string, sleep = 0.3): NodeCommand {
  return cmd(['sh', '-c', `echo "$FAKE_HOST start $(date +%s%N)" >>${log}; sleep ${sleep}; echo "$FAKE_HOST end $(date +%s%N)" >>${log}`]);
}

function intervals(log: string): Map<string, [bigint, bigint][]> {
  const byHost = new Map<string, [bigint, bigint][]>();
  const open = new Map<string, bigint>();
  for (const l of readFileSync(log, 'utf8').trim().split('\n')) {
    const [host, what, ns] = l.split(' ');
    if (what === 'start') open.set(host, BigInt(ns));
    else {
      const list = byHost.get(host) ?? [];
      list.push([open.get(host)!, BigInt(ns)]);
      byHost.set(host, list);
    }
  }
  return byHost;
}

const overlap = (a: [bigint, bigint], b: [bigint, bigint]) => a[0] < b[1] && b[0] < a[1];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssh-runner-test-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'calls'));
  fake = join(dir, 'bin', 'ssh');
  writeFileSync(fake, FAKE_SSH);
  chmodSync(fake, 0o755);
  writeFileSync(join(dir, 'bin', 'sudo'), FAKE_SUDO);
  chmodSync(join(dir, 'bin', 'sudo'), 0o755);
  process.env.FAKE_SSH_DIR = dir;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  for (const f of readdirSync(join(dir, 'calls'))) rmSync(join(dir, 'calls', f));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SshRunner argv', () => {
  it('runs ssh with key, port, user, BatchMode, ConnectTimeout, options, ControlMaster and the rendered line', async () => {
    const r = runner(cfg({ options: ['Compression=no', '-o', 'StrictHostKeyChecking=accept-new'] }), { sshBinary: fake });
    const res = await r.run('node1.example', [cmd(['echo', 'hello world', "it's"])]);
    expect(res).toEqual([{ exitCode: 0, stdout: "hello world it's\n", stderr: '' }]);
    const [argv] = calls();
    expect(argv.slice(0, 10)).toEqual(['-i', '/keys/id_test', '-p', '2222', '-l', 'heketi', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=7']);
    expect(argv.slice(-3)).toEqual(['--', 'node1.example', renderCommand(['echo', 'hello world', "it's"])]);
    // the operator's options come first (ssh keeps the first value), a literal "-o" entry is skipped
    expect(argv.slice(10, 14)).toEqual(['-o', 'Compression=no', '-o', 'StrictHostKeyChecking=accept-new']);
    expect(opt(argv, 'ControlMaster')).toBe('auto');
    expect(opt(argv, 'ControlPersist')).toBe('60s');
    expect(opt(argv, 'LogLevel')).toBe('ERROR');
    const ctl = opt(argv, 'ControlPath')!;
    expect(ctl.endsWith('/%C')).toBe(true);
    const ctlDir = ctl.slice(0, -3);
    expect(statSync(ctlDir).mode & 0o777).toBe(0o700);
    // every element after the options is exactly --, host, line: one remote line per command
    expect(argv.filter((a) => a === '--')).toHaveLength(1);
    await r.close();
    expect(existsSync(ctlDir)).toBe(false);
  });

  it('does not verify host keys unless SSH_KNOWN_HOSTS is set', async () => {
    const r1 = runner(cfg(), { sshBinary: fake, env: {} });
    await r1.run('h', [cmd(['true'])]);
    const r2 = runner(cfg(), { sshBinary: fake, env: { SSH_KNOWN_HOSTS: '/etc/kh1::/srv/my keys/kh2' } });
    await r2.run('h', [cmd(['true'])]);
    const [a, b] = calls();
    expect(opt(a, 'StrictHostKeyChecking')).toBe('no');
    expect(opt(a, 'UserKnownHostsFile')).toBe('/dev/null');
    expect(opt(b, 'StrictHostKeyChecking')).toBe('yes');
    expect(opt(b, 'UserKnownHostsFile')).toBe('/etc/kh1 "/srv/my keys/kh2"');
    await Promise.all([r1.close(), r2.close()]);
  });

  it('prefixes sudo when configured', async () => {
    const r = runner(cfg({ sudo: true }), { sshBinary: fake });
    const res = await r.run('h', [cmd(['printf', '%s', 'a b'])]);
    expect(res[0].stdout).toBe('a b');
    expect(calls()[0].at(-1)).toBe(renderCommand(['sudo', 'printf', '%s', 'a b']));
    expect(readFileSync(join(dir, 'sudo.log'), 'utf8')).toContain('sudo:printf %s a b');
    await r.close();
  });

  it('can run without multiplexing', async () => {
    const r = runner(cfg(), { sshBinary: fake, multiplex: false });
    await r.run('h', [cmd(['true'])]);
    const [argv] = calls();
    expect(opt(argv, 'ControlMaster')).toBeUndefined();
    expect(opt(argv, 'ControlPath')).toBeUndefined();
    await r.close();
  });

  it('finds `ssh` on PATH by default', async () => {
    const oldPath = process.env.PATH;
    process.env.PATH = `${join(dir, 'bin')}:${oldPath}`;
    try {
      const r = runner(cfg());
      const res = await r.run('h', [cmd(['echo', 'via PATH'])]);
      expect(res[0].stdout).toBe('via PATH\n');
      await r.close();
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('passes a hostile argument as one literal argument', async () => {
    const target = join(dir, 'pwned');
    const hostile = [`'; touch ${target} #`, `$(touch ${target})`, `\`touch ${target}\``, `a\nb"c\\d`, '', ' ', '*', '~', '-n'];
    const r = runner(cfg(), { sshBinary: fake });
    for (const arg of hostile) {
      const [res] = await r.run('h', [cmd(['printf', '%s', arg])]);
      expect(res.stdout).toBe(arg);
    }
    const [res] = await r.run('h', [cmd(['sh', '-c', 'printf "%s|" "$@"', 'sh', ...hostile])]);
    expect(res.stdout).toBe(hostile.map((a) => `${a}|`).join(''));
    expect(existsSync(target)).toBe(false);
    await r.close();
  });

  it('refuses host names that ssh would read as options or user@host', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    for (const host of ['-oProxyCommand=touch /tmp/x', '-p2222', 'root@h', 'a b', '', 'first.example.']) {
      const e = await rejection(r.run(host, [cmd(['true'])]));
      expect(e.message).toMatch(/invalid hostname/);
      expect(e.unreachable).toBe(true);
    }
    expect(calls()).toHaveLength(0);
    await r.close();
  });

  it('ends ssh\'s options before the host, so a host can never be one', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    await r.run('h1', [cmd(['true'])]);
    await r.close();
    for (const argv of calls()) {
      const host = argv.indexOf('h1');
      expect(argv[host - 1], JSON.stringify(argv)).toBe('--');
      expect(argv.slice(0, host - 1)).not.toContain('--');
    }
    // The fake reads argv as OpenSSH does: without the "--", such a host would be an option.
    const pwned = join(dir, 'pwned');
    const { execFileSync } = await import('node:child_process');
    execFileSync(fake, [`-oProxyCommand=touch ${pwned}`, 'true'], { env: { ...process.env, FAKE_SSH_DIR: dir } });
    expect(readFileSync(join(dir, 'options.log'), 'utf8')).toContain(`option ProxyCommand=touch ${pwned}`);
    rmSync(join(dir, 'options.log'));
    execFileSync(fake, ['--', `-oProxyCommand=touch ${pwned}`, 'true'], { env: { ...process.env, FAKE_SSH_DIR: dir } });
    expect(existsSync(join(dir, 'options.log'))).toBe(false);
  });
});

describe('SshRunner batches', () => {
  it('returns one result per command, stdout kept as is', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const res = await r.run('h', [cmd(['echo', 'one']), cmd(['sh', '-c', 'printf two; echo warn >&2'])]);
    expect(res).toEqual([
      { exitCode: 0, stdout: 'one\n', stderr: '' },
      { exitCode: 0, stdout: 'two', stderr: 'warn\n' },
    ]);
    await r.close();
  });

  it('stops at the first failing command; the error text is its trimmed stderr', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('h', [cmd(['echo', 'a']), cmd(['sh', '-c', 'echo out; echo "  boom: no such VG  " >&2; exit 5']), cmd(['echo', 'c'])]));
    expect(e.message).toBe('boom: no such VG');
    expect(e.host).toBe('h');
    expect(e.argv).toEqual(['sh', '-c', 'echo out; echo "  boom: no such VG  " >&2; exit 5']);
    expect(e.result).toEqual({ exitCode: 5, stdout: 'out\n', stderr: '  boom: no such VG  \n' });
    expect(e.unreachable).toBe(false);
    expect(calls()).toHaveLength(2);
    await r.close();
  });

  it('reports "Process exited with status N" when stderr is empty', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('h', [cmd(['sh', '-c', 'echo only-stdout; exit 3'])]));
    expect(e.message).toBe('Process exited with status 3');
    await r.close();
  });

  it('goes on after an allowFailure command and reports its result', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const res = await r.run('h', [cmd(['sh', '-c', 'echo nope >&2; exit 2'], { allowFailure: true }), cmd(['echo', 'after'])]);
    expect(res).toEqual([
      { exitCode: 2, stdout: '', stderr: 'nope\n' },
      { exitCode: 0, stdout: 'after\n', stderr: '' },
    ]);
    await r.close();
  });

  it('kills a command that runs past its timeout: "SSH command timeout"', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const t0 = Date.now();
    const e = await rejection(r.run('h', [cmd(['sleep', '10'], { timeoutSec: 0.4 }), cmd(['echo', 'never'])]));
    expect(e.message).toBe('SSH command timeout');
    expect(e.unreachable).toBe(false);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(calls()).toHaveLength(1);
    await r.close();
  });

  it('does not wait for a multiplexing master that still holds the output pipes', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const t0 = Date.now();
    const e = await rejection(r.run('hold1', [cmd(['sleep', '10'], { timeoutSec: 0.4 })]));
    expect(e.message).toBe('SSH command timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
    await r.close(); // ends the pretend master
  });

  it('a timeout is fatal even for allowFailure commands', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('h', [cmd(['sleep', '10'], { timeoutSec: 0.3, allowFailure: true }), cmd(['echo', 'never'])]));
    expect(e.message).toBe('SSH command timeout');
    await r.close();
  });

  it('flags connection failures (exit 255 + ssh error) as unreachable', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('refused.example', [cmd(['true']), cmd(['true'])]));
    expect(e.unreachable).toBe(true);
    expect(e.message).toBe('ssh: connect to host refused.example port 22: Connection refused');
    const d = await rejection(r.run('denied.example', [cmd(['true'])], ));
    expect(d.unreachable).toBe(true);
    expect(d.message).toBe('root@denied.example: Permission denied (publickey).');
    // even allowFailure cannot go on without a connection
    const a = await rejection(r.run('refused.example', [cmd(['true'], { allowFailure: true }), cmd(['true'])]));
    expect(a.unreachable).toBe(true);
    expect(calls()).toHaveLength(3);
    await r.close();
  });

  it('drops the ssh multiplexing chatter of a dead master from the error', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('muxdead.example', [cmd(['true'])]));
    expect(e.unreachable).toBe(true);
    expect(e.message).toBe('ssh: connect to host muxdead.example port 22: Connection timed out');
  });

  it('a node lost mid-command is reported with its name and ssh\'s own message, not only "status 255"', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('dropped.example', [cmd(['true'])]));
    expect(e.unreachable).toBe(true);
    expect(e.message).toBe('ssh to dropped.example failed (exit 255): ssh: connect to host dropped.example port 22: No route to host');
    const m = await rejection(r.run('muxonly.example', [cmd(['true'])]));
    expect(m.unreachable).toBe(true);
    expect(m.message).toBe('ssh to muxonly.example failed (exit 255): ssh exited with status 255 without a message');
    const k = await rejection(r.run('hostkey.example', [cmd(['true'])]));
    expect(k.unreachable).toBe(true);
    expect(k.message).toBe('ssh to hostkey.example: Host key verification failed.');
    await r.close();
  });

  it('a remote command that itself exits 255 is not "unreachable"', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const e = await rejection(r.run('h', [cmd(['sh', '-c', 'exit 255'])]));
    expect(e.unreachable).toBe(false);
    expect(e.message).toBe('Process exited with status 255');
    await r.close();
  });
});

describe('SshRunner serialisation', () => {
  it('never overlaps two batches to one host, runs two hosts in parallel', async () => {
    const log = join(dir, 'timing.log');
    rmSync(log, { force: true });
    const r = runner(cfg(), { sshBinary: fake });
    const t0 = Date.now();
    await Promise.all([
      r.run('hostA', [timed(log), timed(log)]),
      r.run('hostA', [timed(log)]),
      r.run('hostA', [timed(log)]),
      r.run('hostB', [timed(log), timed(log)]),
      r.run('hostB', [timed(log)]),
    ]);
    const elapsed = Date.now() - t0;
    const iv = intervals(log);
    const a = iv.get('hostA')!;
    const b = iv.get('hostB')!;
    expect(a).toHaveLength(4);
    expect(b).toHaveLength(3);
    for (const list of [a, b]) {
      for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) expect(overlap(list[i], list[j])).toBe(false);
    }
    expect(a.some((x) => b.some((y) => overlap(x, y)))).toBe(true);
    // 4 x 0.3 s on hostA in series, hostB alongside: well under the 7 x 0.3 s of a global lock
    expect(elapsed).toBeLessThan(2000);
    await r.close();
  });

  it('a failed batch does not block the next batch to that host', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const first = r.run('h', [cmd(['false'])]);
    const second = r.run('h', [cmd(['echo', 'ok'])]);
    await expect(first).rejects.toBeInstanceOf(CommandError);
    await expect(second).resolves.toEqual([{ exitCode: 0, stdout: 'ok\n', stderr: '' }]);
    await r.close();
  });
});

describe('SshRunner close', () => {
  it('sends "-O exit" for each host with a master and removes the control directory', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    await Promise.all([r.run('h1', [cmd(['true'])]), r.run('h2', [cmd(['true'])])]);
    const ctl = opt(calls()[0], 'ControlPath')!;
    const ctlDir = ctl.slice(0, -3);
    expect(readdirSync(ctlDir).sort()).toEqual(['sock-h1', 'sock-h2']);
    await r.close();
    const exits = calls().filter((a) => a.includes('-O'));
    expect(exits.map((a) => a.at(-1)).sort()).toEqual(['h1', 'h2']);
    for (const a of exits) {
      expect(a.slice(-4, -1)).toEqual(['-O', 'exit', '--']);
      expect(opt(a, 'ControlPath')).toBe(ctl);
      expect(a).toEqual(expect.arrayContaining(['-p', '2222', '-l', 'heketi']));
    }
    expect(existsSync(ctlDir)).toBe(false);
    // usable again after close (a new control directory)
    await r.run('h1', [cmd(['true'])]);
    await r.close();
  });

  it('waits for running batches before closing', async () => {
    const r = runner(cfg(), { sshBinary: fake });
    const running = r.run('h', [cmd(['sh', '-c', 'sleep 0.3; echo done'])]);
    await r.close();
    await expect(running).resolves.toEqual([{ exitCode: 0, stdout: 'done\n', stderr: '' }]);
  });
});
