// Original file: proto/baton/v1/workflow.proto

import type { ActivatedTask as _baton_v1_ActivatedTask, ActivatedTask__Output as _baton_v1_ActivatedTask__Output } from '../../baton/v1/ActivatedTask.ts';

export interface ActivateTasksResponse {
  'tasks'?: (_baton_v1_ActivatedTask)[];
}

export interface ActivateTasksResponse__Output {
  'tasks': (_baton_v1_ActivatedTask__Output)[];
}
