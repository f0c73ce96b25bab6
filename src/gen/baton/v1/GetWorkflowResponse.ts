// Original file: proto/baton/v1/workflow.proto

import type { ErrorInfo as _baton_v1_ErrorInfo, ErrorInfo__Output as _baton_v1_ErrorInfo__Output } from '../../baton/v1/ErrorInfo.ts';
import type { CurrentTask as _baton_v1_CurrentTask, CurrentTask__Output as _baton_v1_CurrentTask__Output } from '../../baton/v1/CurrentTask.ts';
import type { HistoryEvent as _baton_v1_HistoryEvent, HistoryEvent__Output as _baton_v1_HistoryEvent__Output } from '../../baton/v1/HistoryEvent.ts';
import type { Long } from '@grpc/proto-loader';

export interface GetWorkflowResponse {
  'workflowId'?: (string);
  'definitionName'?: (string);
  'definitionVersion'?: (number);
  'businessKey'?: (string);
  'status'?: (string);
  'inputJson'?: (string);
  'variablesJson'?: (string);
  'outputJson'?: (string);
  'error'?: (_baton_v1_ErrorInfo | null);
  'createdMs'?: (number | string | Long);
  'updatedMs'?: (number | string | Long);
  'closedMs'?: (number | string | Long);
  'parentWorkflowId'?: (string);
  'currentTasks'?: (_baton_v1_CurrentTask)[];
  'history'?: (_baton_v1_HistoryEvent)[];
  'historyTruncatedCount'?: (number | string | Long);
  'index'?: (number | string | Long);
}

export interface GetWorkflowResponse__Output {
  'workflowId': (string);
  'definitionName': (string);
  'definitionVersion': (number);
  'businessKey': (string);
  'status': (string);
  'inputJson': (string);
  'variablesJson': (string);
  'outputJson': (string);
  'error': (_baton_v1_ErrorInfo__Output | null);
  'createdMs': (number);
  'updatedMs': (number);
  'closedMs': (number);
  'parentWorkflowId': (string);
  'currentTasks': (_baton_v1_CurrentTask__Output)[];
  'history': (_baton_v1_HistoryEvent__Output)[];
  'historyTruncatedCount': (number);
  'index': (number);
}
