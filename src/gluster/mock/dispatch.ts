/** Runs one argv on a simulated node: the program is looked up among the subsystems' programs. */
import { LVM_BIN, UDEVADM_BIN } from '../planner.js';
import { MockGlusterBlock } from './block.js';
import { fail, type Program, type Result } from './common.js';
import { MockFs } from './fs.js';
import { MockGlusterd } from './glusterd.js';
import { MockLvm } from './lvm.js';
import type { NodeStore } from './state.js';

export class CommandDispatcher {
  private readonly programs: Map<string, Program>;

  constructor(nodes: NodeStore) {
    const lvm = new MockLvm(nodes);
    const fs = new MockFs(nodes, lvm);
    const glusterd = new MockGlusterd(nodes, fs, lvm);
    const block = new MockGlusterBlock(nodes);
    this.programs = new Map(Object.entries({ ...lvm.programs, ...fs.programs, ...glusterd.programs, ...block.programs }));
  }

  /** `argv` is a non-empty array of strings. */
  exec(host: string, argv: string[]): Result {
    // lvm_wrapper words (nsenter ... --) in front of lvm/udevadm.
    if (!this.programs.has(argv[0]!)) {
      const i = argv.findIndex((a) => a === LVM_BIN || a === UDEVADM_BIN);
      if (i > 0) argv = argv.slice(i);
    }
    const [prog, ...args] = argv as [string, ...string[]];
    const program = this.programs.get(prog);
    return program ? program(host, args, prog) : fail(`bash: line 1: ${prog}: command not found`, 127);
  }
}
