/**
 * The driver's services for one mode: Identity always; Controller and/or Node as the mode says
 * (the other's RPCs answer UNIMPLEMENTED).
 */
import { failedPrecondition } from './errors.js';
import type { CsiServices } from './proto.js';
import type { NodeService } from './node.js';
import { NODE_CAPABILITIES } from './node.js';
import type { Handler, ServiceRegistration } from './server.js';
import type { NodeGetVolumeStatsRequest, NodePublishVolumeRequest, NodeStageVolumeRequest, NodeUnpublishVolumeRequest, NodeUnstageVolumeRequest } from './types.js';

/** What the controller contributes: its RPC handlers and its part of Probe. */
export interface ControllerPart {
  handlers: Record<string, Handler>;
  /** undefined when healthy, else why not. */
  probe(): Promise<string | undefined>;
}

export interface DriverParts {
  driverName: string;
  version: string;
  controller?: ControllerPart;
  node?: NodeService;
}

/**
 * Plugin capabilities are the same for every instance of a version, whatever it serves
 * (spec.md GetPluginCapabilities), so a node-only instance reports the controller too.
 * No VOLUME_ACCESSIBILITY_CONSTRAINTS: every node can mount every volume (no topology).
 */
export const PLUGIN_CAPABILITIES = [{ service: { type: 'CONTROLLER_SERVICE' } }, { volume_expansion: { type: 'ONLINE' } }];

export function identityHandlers(p: DriverParts): Record<string, Handler> {
  return {
    GetPluginInfo: () => ({ name: p.driverName, vendor_version: p.version, manifest: {} }),
    GetPluginCapabilities: () => ({ capabilities: PLUGIN_CAPABILITIES }),
    Probe: async () => {
      const problems: string[] = [];
      const n = p.node?.probe();
      if (n) problems.push(n);
      const c = await p.controller?.probe();
      if (c) problems.push(c);
      if (problems.length > 0) throw failedPrecondition(problems.join('; '));
      return { ready: { value: true } };
    },
  };
}

export function nodeHandlers(node: NodeService): Record<string, Handler> {
  return {
    NodeStageVolume: (r: NodeStageVolumeRequest) => node.stage(r),
    NodeUnstageVolume: (r: NodeUnstageVolumeRequest) => node.unstage(r),
    NodePublishVolume: (r: NodePublishVolumeRequest) => node.publish(r),
    NodeUnpublishVolume: (r: NodeUnpublishVolumeRequest) => node.unpublish(r),
    NodeGetVolumeStats: (r: NodeGetVolumeStatsRequest) => node.stats(r),
    NodeGetInfo: () => node.info(),
    NodeGetCapabilities: () => ({ capabilities: NODE_CAPABILITIES.map((type) => ({ rpc: { type } })) }),
  };
}

export function registrations(services: CsiServices, p: DriverParts): ServiceRegistration[] {
  return [
    { service: services.Identity, handlers: identityHandlers(p) },
    { service: services.Controller, handlers: p.controller?.handlers ?? {} },
    { service: services.Node, handlers: p.node ? nodeHandlers(p.node) : {} },
  ];
}
