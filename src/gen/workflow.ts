import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActivateTasksRequest as _baton_v1_ActivateTasksRequest, ActivateTasksRequest__Output as _baton_v1_ActivateTasksRequest__Output } from './baton/v1/ActivateTasksRequest.ts';
import type { ActivateTasksResponse as _baton_v1_ActivateTasksResponse, ActivateTasksResponse__Output as _baton_v1_ActivateTasksResponse__Output } from './baton/v1/ActivateTasksResponse.ts';
import type { ActivatedTask as _baton_v1_ActivatedTask, ActivatedTask__Output as _baton_v1_ActivatedTask__Output } from './baton/v1/ActivatedTask.ts';
import type { CompleteTaskRequest as _baton_v1_CompleteTaskRequest, CompleteTaskRequest__Output as _baton_v1_CompleteTaskRequest__Output } from './baton/v1/CompleteTaskRequest.ts';
import type { CurrentTask as _baton_v1_CurrentTask, CurrentTask__Output as _baton_v1_CurrentTask__Output } from './baton/v1/CurrentTask.ts';
import type { DefinitionSummary as _baton_v1_DefinitionSummary, DefinitionSummary__Output as _baton_v1_DefinitionSummary__Output } from './baton/v1/DefinitionSummary.ts';
import type { ErrorInfo as _baton_v1_ErrorInfo, ErrorInfo__Output as _baton_v1_ErrorInfo__Output } from './baton/v1/ErrorInfo.ts';
import type { FailTaskRequest as _baton_v1_FailTaskRequest, FailTaskRequest__Output as _baton_v1_FailTaskRequest__Output } from './baton/v1/FailTaskRequest.ts';
import type { GetDefinitionRequest as _baton_v1_GetDefinitionRequest, GetDefinitionRequest__Output as _baton_v1_GetDefinitionRequest__Output } from './baton/v1/GetDefinitionRequest.ts';
import type { GetDefinitionResponse as _baton_v1_GetDefinitionResponse, GetDefinitionResponse__Output as _baton_v1_GetDefinitionResponse__Output } from './baton/v1/GetDefinitionResponse.ts';
import type { GetWorkflowRequest as _baton_v1_GetWorkflowRequest, GetWorkflowRequest__Output as _baton_v1_GetWorkflowRequest__Output } from './baton/v1/GetWorkflowRequest.ts';
import type { GetWorkflowResponse as _baton_v1_GetWorkflowResponse, GetWorkflowResponse__Output as _baton_v1_GetWorkflowResponse__Output } from './baton/v1/GetWorkflowResponse.ts';
import type { HeartbeatTaskRequest as _baton_v1_HeartbeatTaskRequest, HeartbeatTaskRequest__Output as _baton_v1_HeartbeatTaskRequest__Output } from './baton/v1/HeartbeatTaskRequest.ts';
import type { HistoryEvent as _baton_v1_HistoryEvent, HistoryEvent__Output as _baton_v1_HistoryEvent__Output } from './baton/v1/HistoryEvent.ts';
import type { InstanceOperationRequest as _baton_v1_InstanceOperationRequest, InstanceOperationRequest__Output as _baton_v1_InstanceOperationRequest__Output } from './baton/v1/InstanceOperationRequest.ts';
import type { ListDefinitionsRequest as _baton_v1_ListDefinitionsRequest, ListDefinitionsRequest__Output as _baton_v1_ListDefinitionsRequest__Output } from './baton/v1/ListDefinitionsRequest.ts';
import type { ListDefinitionsResponse as _baton_v1_ListDefinitionsResponse, ListDefinitionsResponse__Output as _baton_v1_ListDefinitionsResponse__Output } from './baton/v1/ListDefinitionsResponse.ts';
import type { ListWorkflowsRequest as _baton_v1_ListWorkflowsRequest, ListWorkflowsRequest__Output as _baton_v1_ListWorkflowsRequest__Output } from './baton/v1/ListWorkflowsRequest.ts';
import type { ListWorkflowsResponse as _baton_v1_ListWorkflowsResponse, ListWorkflowsResponse__Output as _baton_v1_ListWorkflowsResponse__Output } from './baton/v1/ListWorkflowsResponse.ts';
import type { OperationResponse as _baton_v1_OperationResponse, OperationResponse__Output as _baton_v1_OperationResponse__Output } from './baton/v1/OperationResponse.ts';
import type { RegisterDefinitionRequest as _baton_v1_RegisterDefinitionRequest, RegisterDefinitionRequest__Output as _baton_v1_RegisterDefinitionRequest__Output } from './baton/v1/RegisterDefinitionRequest.ts';
import type { RegisterDefinitionResponse as _baton_v1_RegisterDefinitionResponse, RegisterDefinitionResponse__Output as _baton_v1_RegisterDefinitionResponse__Output } from './baton/v1/RegisterDefinitionResponse.ts';
import type { SignalRequest as _baton_v1_SignalRequest, SignalRequest__Output as _baton_v1_SignalRequest__Output } from './baton/v1/SignalRequest.ts';
import type { StartWorkflowRequest as _baton_v1_StartWorkflowRequest, StartWorkflowRequest__Output as _baton_v1_StartWorkflowRequest__Output } from './baton/v1/StartWorkflowRequest.ts';
import type { StartWorkflowResponse as _baton_v1_StartWorkflowResponse, StartWorkflowResponse__Output as _baton_v1_StartWorkflowResponse__Output } from './baton/v1/StartWorkflowResponse.ts';
import type { TaskAck as _baton_v1_TaskAck, TaskAck__Output as _baton_v1_TaskAck__Output } from './baton/v1/TaskAck.ts';
import type { WorkflowClient as _baton_v1_WorkflowClient, WorkflowDefinition as _baton_v1_WorkflowDefinition } from './baton/v1/Workflow.ts';
import type { WorkflowSummary as _baton_v1_WorkflowSummary, WorkflowSummary__Output as _baton_v1_WorkflowSummary__Output } from './baton/v1/WorkflowSummary.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  baton: {
    v1: {
      ActivateTasksRequest: MessageTypeDefinition<_baton_v1_ActivateTasksRequest, _baton_v1_ActivateTasksRequest__Output>
      ActivateTasksResponse: MessageTypeDefinition<_baton_v1_ActivateTasksResponse, _baton_v1_ActivateTasksResponse__Output>
      ActivatedTask: MessageTypeDefinition<_baton_v1_ActivatedTask, _baton_v1_ActivatedTask__Output>
      CompleteTaskRequest: MessageTypeDefinition<_baton_v1_CompleteTaskRequest, _baton_v1_CompleteTaskRequest__Output>
      CurrentTask: MessageTypeDefinition<_baton_v1_CurrentTask, _baton_v1_CurrentTask__Output>
      DefinitionSummary: MessageTypeDefinition<_baton_v1_DefinitionSummary, _baton_v1_DefinitionSummary__Output>
      ErrorInfo: MessageTypeDefinition<_baton_v1_ErrorInfo, _baton_v1_ErrorInfo__Output>
      FailTaskRequest: MessageTypeDefinition<_baton_v1_FailTaskRequest, _baton_v1_FailTaskRequest__Output>
      GetDefinitionRequest: MessageTypeDefinition<_baton_v1_GetDefinitionRequest, _baton_v1_GetDefinitionRequest__Output>
      GetDefinitionResponse: MessageTypeDefinition<_baton_v1_GetDefinitionResponse, _baton_v1_GetDefinitionResponse__Output>
      GetWorkflowRequest: MessageTypeDefinition<_baton_v1_GetWorkflowRequest, _baton_v1_GetWorkflowRequest__Output>
      GetWorkflowResponse: MessageTypeDefinition<_baton_v1_GetWorkflowResponse, _baton_v1_GetWorkflowResponse__Output>
      HeartbeatTaskRequest: MessageTypeDefinition<_baton_v1_HeartbeatTaskRequest, _baton_v1_HeartbeatTaskRequest__Output>
      HistoryEvent: MessageTypeDefinition<_baton_v1_HistoryEvent, _baton_v1_HistoryEvent__Output>
      InstanceOperationRequest: MessageTypeDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_InstanceOperationRequest__Output>
      ListDefinitionsRequest: MessageTypeDefinition<_baton_v1_ListDefinitionsRequest, _baton_v1_ListDefinitionsRequest__Output>
      ListDefinitionsResponse: MessageTypeDefinition<_baton_v1_ListDefinitionsResponse, _baton_v1_ListDefinitionsResponse__Output>
      ListWorkflowsRequest: MessageTypeDefinition<_baton_v1_ListWorkflowsRequest, _baton_v1_ListWorkflowsRequest__Output>
      ListWorkflowsResponse: MessageTypeDefinition<_baton_v1_ListWorkflowsResponse, _baton_v1_ListWorkflowsResponse__Output>
      OperationResponse: MessageTypeDefinition<_baton_v1_OperationResponse, _baton_v1_OperationResponse__Output>
      RegisterDefinitionRequest: MessageTypeDefinition<_baton_v1_RegisterDefinitionRequest, _baton_v1_RegisterDefinitionRequest__Output>
      RegisterDefinitionResponse: MessageTypeDefinition<_baton_v1_RegisterDefinitionResponse, _baton_v1_RegisterDefinitionResponse__Output>
      SignalRequest: MessageTypeDefinition<_baton_v1_SignalRequest, _baton_v1_SignalRequest__Output>
      StartWorkflowRequest: MessageTypeDefinition<_baton_v1_StartWorkflowRequest, _baton_v1_StartWorkflowRequest__Output>
      StartWorkflowResponse: MessageTypeDefinition<_baton_v1_StartWorkflowResponse, _baton_v1_StartWorkflowResponse__Output>
      TaskAck: MessageTypeDefinition<_baton_v1_TaskAck, _baton_v1_TaskAck__Output>
      Workflow: SubtypeConstructor<typeof grpc.Client, _baton_v1_WorkflowClient> & { service: _baton_v1_WorkflowDefinition }
      WorkflowSummary: MessageTypeDefinition<_baton_v1_WorkflowSummary, _baton_v1_WorkflowSummary__Output>
    }
  }
}

