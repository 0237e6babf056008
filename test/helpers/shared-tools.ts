/**
 * The real tools of shared/tools (heketi-cli v10.4.1, csi-sanity v5.3.1): found through an
 * environment variable, else in shared/ beside the checkout — CI clones the repository with
 * `../shared` next to it; a git worktree one level deeper (wt/NAME) finds it two levels up. Never an
 * absolute path: a checkout anywhere else must work the same.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function sharedTool(name: 'heketi-cli' | 'csi-sanity', envVar: string): string | undefined {
  const candidates = [process.env[envVar], join(ROOT, '../shared/tools', name), join(ROOT, '../../shared/tools', name)];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}
