import { build } from 'vite';

/** vitest globalSetup: the browser tests and GET /ui serve dist/console, so build it first (~2 s). */
export default async function setup(): Promise<void> {
  await build({ configFile: new URL('../../src/console/vite.config.mjs', import.meta.url).pathname, logLevel: 'warn' });
}
