import type { TagsChangeRequest } from '../../client/index.js';
import { flagBool, goMap, type Command, type CommandGroup, type Ctx } from '../command.js';
import { CliError } from '../flags.js';

/** `node|device settags ID k:v…` and `rmtags ID k…` (aliases deltags, removetags). */
export function tagCommands(kind: 'nodes' | 'devices'): CommandGroup {
  const change = (c: Ctx, id: string, req: TagsChangeRequest) => (kind === 'nodes' ? c.client().nodeSetTags(id, req) : c.client().deviceSetTags(id, req));
  const settags: Command = {
    flags: [{ name: 'exact', short: 'e', type: 'bool' }],
    async run(c) {
      if (c.args.length < 1) throw new CliError('id required');
      const [id, ...pairs] = c.args as [string, ...string[]];
      if (pairs.length < 1) throw new CliError('at least one tag:value pair expected');
      const tags: Record<string, string> = {};
      for (const p of pairs) {
        const i = p.indexOf(':');
        if (i < 0) throw new CliError(`expected colon (:) between tag name and value, got: ${p}`);
        tags[p.slice(0, i)] = p.slice(i + 1);
      }
      await change(c, id, { tags: goMap(tags), change_type: flagBool(c, 'exact') ? 'set' : 'update' });
    },
  };
  const rmtags: Command = {
    flags: [{ name: 'all', type: 'bool' }],
    async run(c) {
      if (c.args.length < 1) throw new CliError('id required');
      const [id, ...names] = c.args as [string, ...string[]];
      const all = flagBool(c, 'all');
      if (all && names.length > 0) throw new CliError('--all may not be combined with named tags');
      if (!all && names.length < 1) throw new CliError('at least one tag expected');
      await change(c, id, all ? { tags: {}, change_type: 'set' } : { tags: goMap(Object.fromEntries(names.map((n) => [n, '']))), change_type: 'delete' });
    },
  };
  return { settags, rmtags, deltags: rmtags, removetags: rmtags };
}
