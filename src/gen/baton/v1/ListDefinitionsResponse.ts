// Original file: proto/baton/v1/workflow.proto

import type { DefinitionSummary as _baton_v1_DefinitionSummary, DefinitionSummary__Output as _baton_v1_DefinitionSummary__Output } from '../../baton/v1/DefinitionSummary.ts';

export interface ListDefinitionsResponse {
  'definitions'?: (_baton_v1_DefinitionSummary)[];
}

export interface ListDefinitionsResponse__Output {
  'definitions': (_baton_v1_DefinitionSummary__Output)[];
}
