/**
 * The CSI driver's default name: what `brickyard csi` registers as and what `brickyard k8s
 * migrate-pvs` writes into PVs (`spec.csi.driver`). One constant, because a PV naming another
 * driver than the one running never mounts. Its own module so that both may import it (csi and k8s
 * are siblings, and k8s imports only client, gluster and this).
 */
export const DEFAULT_CSI_DRIVER_NAME = 'glusterfs.csi.brickyard.io';
