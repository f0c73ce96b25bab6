// Original file: proto/baton/v1/admin.proto

import type { BackupHeader as _baton_v1_BackupHeader, BackupHeader__Output as _baton_v1_BackupHeader__Output } from '../../baton/v1/BackupHeader.ts';

export interface BackupChunk {
  'header'?: (_baton_v1_BackupHeader | null);
  'data'?: (Buffer | Uint8Array | string);
}

export interface BackupChunk__Output {
  'header': (_baton_v1_BackupHeader__Output | null);
  'data': (Buffer);
}
