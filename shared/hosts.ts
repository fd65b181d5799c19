/** Backup host settings (tessera.conf): shared by the engine, the CLI and the app's Hosts screen. */

export interface HostConfig {
  /** Backup hosts: each runs one child job of a compound job. */
  readonly hosts: number;
  /** Disks (streams) each host reads at once: NO_OF_BACKUP_STREAMS_PER_NODE. */
  readonly streamsPerHost: number;
}

export const MAX_HOSTS = 64;
export const MAX_STREAMS_PER_HOST = 64;
