import type { CommandGroup } from '../command.js';

/** `db dump|check` through the server (the offline `db` verbs are in ../db.ts): indented by 4, as heketi-cli prints them. */
const indented = (v: unknown) => `${JSON.stringify(v, null, 4)}\n`;

export const dbCommands: CommandGroup = {
  dump: {
    async run(c) {
      c.out(indented(await c.client().dbDump()));
    },
  },
  check: {
    async run(c) {
      c.out(indented(await c.client().dbCheck()));
    },
  },
};
