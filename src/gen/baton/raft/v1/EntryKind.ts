// Original file: proto/baton/raft/v1/raft.proto

export const EntryKind = {
  ENTRY_KIND_UNSPECIFIED: 'ENTRY_KIND_UNSPECIFIED',
  ENTRY_KIND_NORMAL: 'ENTRY_KIND_NORMAL',
  ENTRY_KIND_NOOP: 'ENTRY_KIND_NOOP',
  ENTRY_KIND_CONFIG: 'ENTRY_KIND_CONFIG',
} as const;

export type EntryKind =
  | 'ENTRY_KIND_UNSPECIFIED'
  | 0
  | 'ENTRY_KIND_NORMAL'
  | 1
  | 'ENTRY_KIND_NOOP'
  | 2
  | 'ENTRY_KIND_CONFIG'
  | 3

export type EntryKind__Output = typeof EntryKind[keyof typeof EntryKind]
