/** The node simulator behind `glusterfs.executor: mock` and the tests (see runner.ts). */
export { MockRunner, type CommandLogEntry, type FailRule, type MockRunnerOptions } from './runner.js';
export type { FsDir, FsRec, GBlock, GSnapBrick, GSnapshot, GVolume, HostState, LineRec, LvRec, MockState, MountRec, PoolState, PvRec, VgRec } from './state.js';
