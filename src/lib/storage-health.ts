/**
 * What a node reports about its own storage: set by its disk-space monitor, carried to its peers
 * with every batch of Raft messages it sends (so the leader knows every voter's), and read by the
 * leader when it admits a client write.
 */
export interface StorageHealth {
  /** Free space is below the node's minimum (storage.minFreeDiskBytes). */
  readonly diskLow: boolean;
  /** Free space is below the node's last reserve (storage.criticalFreeDiskBytes); implies diskLow. */
  readonly diskCritical: boolean;
  /** Bytes free on the node's data volume when last measured; 0 if never measured. */
  readonly diskFreeBytes: number;
}

export const HEALTHY_STORAGE: StorageHealth = Object.freeze({
  diskLow: false,
  diskCritical: false,
  diskFreeBytes: 0,
});
