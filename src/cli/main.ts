#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import { StartError } from '../errors.js';
import { isOfflineDbCommand, runDbCommand } from './db.js';
import { runCli, USAGE as CLIENT_USAGE } from './run.js';

const USAGE = `usage: brickyard serve [--config FILE] [--disable-auth]
       brickyard db import|export|check --dbfile DB [--jsonfile FILE]
       brickyard k8s migrate-pvs [-f FILE]... [-o FILE] [--driver-name NAME] [--servers H1,H2] [--pv NAME]...
       brickyard csi [--endpoint unix:///csi/csi.sock] [--mode controller|node|all] [...]   (brickyard csi --help)
       brickyard [--server URL] [--user U] [--secret K] [--json] <heketi-cli verb>
       brickyard --version`;

function option(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

async function serve(args: string[]): Promise<void> {
  // The server modules are loaded only to serve: client and offline verbs do not need them.
  const { createBrickyard } = await import('../app.js');
  const { config, warnings, generatedKeys } = loadConfig({
    configFile: option(args, '--config'),
    disableAuth: args.includes('--disable-auth'),
  });
  const by = await createBrickyard(config, { logger: true });
  for (const w of warnings) by.app.log.warn(w);
  if (!config.auth.enabled) process.stderr.write('WARNING: Brickyard started with --disable-auth\n');
  if (generatedKeys) {
    process.stdout.write(
      `Generated JWT keys (kept in ${generatedKeys.file}):\n  admin key: ${generatedKeys.adminKey}\n  user key:  ${generatedKeys.userKey}\n`,
    );
  }
  // SIGUSR2 returns the server to normal mode, the only way out of read-only (as Heketi).
  process.on('SIGUSR2', () => {
    by.ctx.admin.state = 'normal';
    by.app.log.info('admin mode reset to normal (SIGUSR2)');
  });
  const stop = async () => {
    await by.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await by.app.listen({ port: config.port, host: config.listenAddress });
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write('brickyard 0.1.0\n');
    return;
  }
  if (cmd === 'serve' || cmd === undefined) return serve(rest);
  if (cmd === 'csi') {
    // The CSI driver (docs/csi.md), loaded only for this command.
    const { runCsi } = await import('../csi/main.js');
    return runCsi(rest);
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n\n${CLIENT_USAGE}`);
    return;
  }
  if (cmd === 'k8s') {
    const { runK8s } = await import('../k8s/cli.js');
    const io = { readStdin: () => readFileSync(0, 'utf8'), stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };
    process.exitCode = runK8s(rest, io);
    return;
  }
  if (cmd === 'db' && isOfflineDbCommand(rest)) {
    const r = runDbCommand(rest);
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exitCode = r.code;
    return;
  }
  // Everything else is a heketi-cli verb against a server.
  const r = await runCli(argv, process.env, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: process.stdout.isTTY === true && process.stderr.isTTY === true,
  });
  process.exitCode = r.code;
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof ConfigError || e instanceof StartError) {
    process.stderr.write(`ERROR: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`ERROR: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
