/**
 * Conformance: Heketi's recorded exchanges (test/fixtures/conformance) replayed against Brickyard.
 *
 * One `describe` per scenario, one `it` per recorded step (client invocation), in order, against
 * one server per scenario. A step fails if any of its exchanges differs from the recording beyond
 * the tolerances of KNOWN_DIFFERENCES (test/helpers/replay.ts). Exchanges on routes listed in
 * PENDING_ROUTES (or needing objects only those routes create) are reported as pending; a step
 * made only of pending/skipped exchanges is skipped. The full report is printed after each
 * scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioReplay, formatOutcome, loadScenario } from '../helpers/replay.js';

function conformance(name: string): void {
  const scenario = loadScenario(name);
  let replay: ScenarioReplay;

  beforeAll(async () => {
    replay = await ScenarioReplay.start(name);
  });

  afterAll(async () => {
    if (!replay) return;
    console.log(replay.report());
    await replay.close();
  });

  for (const step of scenario.steps) {
    const title = `step ${step.step}: ${step.label.length > 110 ? `${step.label.slice(0, 107)}...` : step.label}`;
    it(title, { timeout: 120_000 }, async (ctx) => {
      const result = await replay.runStep(step.step);
      const failed = result.outcomes.filter((o) => o.status === 'fail');
      if (failed.length > 0) expect.fail(`\n${failed.map((o) => formatOutcome(name, o)).join('\n\n')}`);
      if (result.outcomes.length === 0) ctx.skip('no HTTP exchange in this step (client-side only)');
      if (result.outcomes.every((o) => o.status === 'pending' || o.status === 'skipped')) {
        ctx.skip(result.outcomes.map((o) => `seq ${o.seq}: ${o.status}: ${o.reason ?? ''}`).join('; '));
      }
    });
  }
}

// Issue #2: topology, auth, errors and the /queue protocol.
describe('conformance: topology-load', () => conformance('topology-load'));
describe('conformance: topology-info', () => conformance('topology-info'));
describe('conformance: node-device-admin', () => conformance('node-device-admin'));
describe('conformance: errors', () => conformance('errors'));
describe('conformance: async', () => conformance('async'));

// These belong to the volume issue: un-skip them when /volumes, /blockvolumes, /operations,
// /db, /admin, /internal/logging, /metrics and /backup land (and shrink PENDING_ROUTES).
describe('conformance: volume-lifecycle', () => conformance('volume-lifecycle'));
describe('conformance: throttle', () => conformance('throttle'));
describe('conformance: ops-and-db', () => conformance('ops-and-db'));
describe('conformance: python-client', () => conformance('python-client'));
describe('conformance: python-unittest', () => conformance('python-unittest'));
