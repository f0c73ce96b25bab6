// Original file: proto/baton/v1/workflow.proto

import type { WorkflowSummary as _baton_v1_WorkflowSummary, WorkflowSummary__Output as _baton_v1_WorkflowSummary__Output } from '../../baton/v1/WorkflowSummary.ts';

export interface ListWorkflowsResponse {
  'workflows'?: (_baton_v1_WorkflowSummary)[];
  'nextPageToken'?: (string);
}

export interface ListWorkflowsResponse__Output {
  'workflows': (_baton_v1_WorkflowSummary__Output)[];
  'nextPageToken': (string);
}
