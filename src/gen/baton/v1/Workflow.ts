// Original file: proto/baton/v1/workflow.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivateTasksRequest as _baton_v1_ActivateTasksRequest, ActivateTasksRequest__Output as _baton_v1_ActivateTasksRequest__Output } from '../../baton/v1/ActivateTasksRequest.ts';
import type { ActivateTasksResponse as _baton_v1_ActivateTasksResponse, ActivateTasksResponse__Output as _baton_v1_ActivateTasksResponse__Output } from '../../baton/v1/ActivateTasksResponse.ts';
import type { CompleteTaskRequest as _baton_v1_CompleteTaskRequest, CompleteTaskRequest__Output as _baton_v1_CompleteTaskRequest__Output } from '../../baton/v1/CompleteTaskRequest.ts';
import type { FailTaskRequest as _baton_v1_FailTaskRequest, FailTaskRequest__Output as _baton_v1_FailTaskRequest__Output } from '../../baton/v1/FailTaskRequest.ts';
import type { GetDefinitionRequest as _baton_v1_GetDefinitionRequest, GetDefinitionRequest__Output as _baton_v1_GetDefinitionRequest__Output } from '../../baton/v1/GetDefinitionRequest.ts';
import type { GetDefinitionResponse as _baton_v1_GetDefinitionResponse, GetDefinitionResponse__Output as _baton_v1_GetDefinitionResponse__Output } from '../../baton/v1/GetDefinitionResponse.ts';
import type { GetWorkflowRequest as _baton_v1_GetWorkflowRequest, GetWorkflowRequest__Output as _baton_v1_GetWorkflowRequest__Output } from '../../baton/v1/GetWorkflowRequest.ts';
import type { GetWorkflowResponse as _baton_v1_GetWorkflowResponse, GetWorkflowResponse__Output as _baton_v1_GetWorkflowResponse__Output } from '../../baton/v1/GetWorkflowResponse.ts';
import type { HeartbeatTaskRequest as _baton_v1_HeartbeatTaskRequest, HeartbeatTaskRequest__Output as _baton_v1_HeartbeatTaskRequest__Output } from '../../baton/v1/HeartbeatTaskRequest.ts';
import type { InstanceOperationRequest as _baton_v1_InstanceOperationRequest, InstanceOperationRequest__Output as _baton_v1_InstanceOperationRequest__Output } from '../../baton/v1/InstanceOperationRequest.ts';
import type { ListDefinitionsRequest as _baton_v1_ListDefinitionsRequest, ListDefinitionsRequest__Output as _baton_v1_ListDefinitionsRequest__Output } from '../../baton/v1/ListDefinitionsRequest.ts';
import type { ListDefinitionsResponse as _baton_v1_ListDefinitionsResponse, ListDefinitionsResponse__Output as _baton_v1_ListDefinitionsResponse__Output } from '../../baton/v1/ListDefinitionsResponse.ts';
import type { ListWorkflowsRequest as _baton_v1_ListWorkflowsRequest, ListWorkflowsRequest__Output as _baton_v1_ListWorkflowsRequest__Output } from '../../baton/v1/ListWorkflowsRequest.ts';
import type { ListWorkflowsResponse as _baton_v1_ListWorkflowsResponse, ListWorkflowsResponse__Output as _baton_v1_ListWorkflowsResponse__Output } from '../../baton/v1/ListWorkflowsResponse.ts';
import type { OperationResponse as _baton_v1_OperationResponse, OperationResponse__Output as _baton_v1_OperationResponse__Output } from '../../baton/v1/OperationResponse.ts';
import type { RegisterDefinitionRequest as _baton_v1_RegisterDefinitionRequest, RegisterDefinitionRequest__Output as _baton_v1_RegisterDefinitionRequest__Output } from '../../baton/v1/RegisterDefinitionRequest.ts';
import type { RegisterDefinitionResponse as _baton_v1_RegisterDefinitionResponse, RegisterDefinitionResponse__Output as _baton_v1_RegisterDefinitionResponse__Output } from '../../baton/v1/RegisterDefinitionResponse.ts';
import type { SignalRequest as _baton_v1_SignalRequest, SignalRequest__Output as _baton_v1_SignalRequest__Output } from '../../baton/v1/SignalRequest.ts';
import type { StartWorkflowRequest as _baton_v1_StartWorkflowRequest, StartWorkflowRequest__Output as _baton_v1_StartWorkflowRequest__Output } from '../../baton/v1/StartWorkflowRequest.ts';
import type { StartWorkflowResponse as _baton_v1_StartWorkflowResponse, StartWorkflowResponse__Output as _baton_v1_StartWorkflowResponse__Output } from '../../baton/v1/StartWorkflowResponse.ts';
import type { TaskAck as _baton_v1_TaskAck, TaskAck__Output as _baton_v1_TaskAck__Output } from '../../baton/v1/TaskAck.ts';

export interface WorkflowClient extends grpc.Client {
  ActivateTasks(argument: _baton_v1_ActivateTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  ActivateTasks(argument: _baton_v1_ActivateTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  ActivateTasks(argument: _baton_v1_ActivateTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  ActivateTasks(argument: _baton_v1_ActivateTasksRequest, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  activateTasks(argument: _baton_v1_ActivateTasksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  activateTasks(argument: _baton_v1_ActivateTasksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  activateTasks(argument: _baton_v1_ActivateTasksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  activateTasks(argument: _baton_v1_ActivateTasksRequest, callback: grpc.requestCallback<_baton_v1_ActivateTasksResponse__Output>): grpc.ClientUnaryCall;
  
  Cancel(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  CompleteTask(argument: _baton_v1_CompleteTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  CompleteTask(argument: _baton_v1_CompleteTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  CompleteTask(argument: _baton_v1_CompleteTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  CompleteTask(argument: _baton_v1_CompleteTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  completeTask(argument: _baton_v1_CompleteTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  completeTask(argument: _baton_v1_CompleteTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  completeTask(argument: _baton_v1_CompleteTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  completeTask(argument: _baton_v1_CompleteTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  
  FailTask(argument: _baton_v1_FailTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  FailTask(argument: _baton_v1_FailTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  FailTask(argument: _baton_v1_FailTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  FailTask(argument: _baton_v1_FailTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  failTask(argument: _baton_v1_FailTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  failTask(argument: _baton_v1_FailTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  failTask(argument: _baton_v1_FailTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  failTask(argument: _baton_v1_FailTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  
  GetDefinition(argument: _baton_v1_GetDefinitionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  GetDefinition(argument: _baton_v1_GetDefinitionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  GetDefinition(argument: _baton_v1_GetDefinitionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  GetDefinition(argument: _baton_v1_GetDefinitionRequest, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  getDefinition(argument: _baton_v1_GetDefinitionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  getDefinition(argument: _baton_v1_GetDefinitionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  getDefinition(argument: _baton_v1_GetDefinitionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  getDefinition(argument: _baton_v1_GetDefinitionRequest, callback: grpc.requestCallback<_baton_v1_GetDefinitionResponse__Output>): grpc.ClientUnaryCall;
  
  GetWorkflow(argument: _baton_v1_GetWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  GetWorkflow(argument: _baton_v1_GetWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  GetWorkflow(argument: _baton_v1_GetWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  GetWorkflow(argument: _baton_v1_GetWorkflowRequest, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  getWorkflow(argument: _baton_v1_GetWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  getWorkflow(argument: _baton_v1_GetWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  getWorkflow(argument: _baton_v1_GetWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  getWorkflow(argument: _baton_v1_GetWorkflowRequest, callback: grpc.requestCallback<_baton_v1_GetWorkflowResponse__Output>): grpc.ClientUnaryCall;
  
  HeartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  HeartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  HeartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  HeartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  heartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  heartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  heartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  heartbeatTask(argument: _baton_v1_HeartbeatTaskRequest, callback: grpc.requestCallback<_baton_v1_TaskAck__Output>): grpc.ClientUnaryCall;
  
  ListDefinitions(argument: _baton_v1_ListDefinitionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  ListDefinitions(argument: _baton_v1_ListDefinitionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  ListDefinitions(argument: _baton_v1_ListDefinitionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  ListDefinitions(argument: _baton_v1_ListDefinitionsRequest, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  listDefinitions(argument: _baton_v1_ListDefinitionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  listDefinitions(argument: _baton_v1_ListDefinitionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  listDefinitions(argument: _baton_v1_ListDefinitionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  listDefinitions(argument: _baton_v1_ListDefinitionsRequest, callback: grpc.requestCallback<_baton_v1_ListDefinitionsResponse__Output>): grpc.ClientUnaryCall;
  
  ListWorkflows(argument: _baton_v1_ListWorkflowsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  ListWorkflows(argument: _baton_v1_ListWorkflowsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  ListWorkflows(argument: _baton_v1_ListWorkflowsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  ListWorkflows(argument: _baton_v1_ListWorkflowsRequest, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  listWorkflows(argument: _baton_v1_ListWorkflowsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  listWorkflows(argument: _baton_v1_ListWorkflowsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  listWorkflows(argument: _baton_v1_ListWorkflowsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  listWorkflows(argument: _baton_v1_ListWorkflowsRequest, callback: grpc.requestCallback<_baton_v1_ListWorkflowsResponse__Output>): grpc.ClientUnaryCall;
  
  Pause(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  RegisterDefinition(argument: _baton_v1_RegisterDefinitionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  RegisterDefinition(argument: _baton_v1_RegisterDefinitionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  RegisterDefinition(argument: _baton_v1_RegisterDefinitionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  RegisterDefinition(argument: _baton_v1_RegisterDefinitionRequest, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  registerDefinition(argument: _baton_v1_RegisterDefinitionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  registerDefinition(argument: _baton_v1_RegisterDefinitionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  registerDefinition(argument: _baton_v1_RegisterDefinitionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  registerDefinition(argument: _baton_v1_RegisterDefinitionRequest, callback: grpc.requestCallback<_baton_v1_RegisterDefinitionResponse__Output>): grpc.ClientUnaryCall;
  
  Restart(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Restart(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Restart(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Restart(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restart(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restart(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restart(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restart(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  Resume(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  Retry(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Retry(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Retry(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Retry(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  retry(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  retry(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  retry(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  retry(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  Signal(argument: _baton_v1_SignalRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Signal(argument: _baton_v1_SignalRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Signal(argument: _baton_v1_SignalRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Signal(argument: _baton_v1_SignalRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  signal(argument: _baton_v1_SignalRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  signal(argument: _baton_v1_SignalRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  signal(argument: _baton_v1_SignalRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  signal(argument: _baton_v1_SignalRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  StartWorkflow(argument: _baton_v1_StartWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  StartWorkflow(argument: _baton_v1_StartWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  StartWorkflow(argument: _baton_v1_StartWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  StartWorkflow(argument: _baton_v1_StartWorkflowRequest, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  startWorkflow(argument: _baton_v1_StartWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  startWorkflow(argument: _baton_v1_StartWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  startWorkflow(argument: _baton_v1_StartWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  startWorkflow(argument: _baton_v1_StartWorkflowRequest, callback: grpc.requestCallback<_baton_v1_StartWorkflowResponse__Output>): grpc.ClientUnaryCall;
  
  Terminate(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Terminate(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Terminate(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  Terminate(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  terminate(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  terminate(argument: _baton_v1_InstanceOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  terminate(argument: _baton_v1_InstanceOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  terminate(argument: _baton_v1_InstanceOperationRequest, callback: grpc.requestCallback<_baton_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WorkflowHandlers extends grpc.UntypedServiceImplementation {
  ActivateTasks: grpc.handleUnaryCall<_baton_v1_ActivateTasksRequest__Output, _baton_v1_ActivateTasksResponse>;
  
  Cancel: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
  CompleteTask: grpc.handleUnaryCall<_baton_v1_CompleteTaskRequest__Output, _baton_v1_TaskAck>;
  
  FailTask: grpc.handleUnaryCall<_baton_v1_FailTaskRequest__Output, _baton_v1_TaskAck>;
  
  GetDefinition: grpc.handleUnaryCall<_baton_v1_GetDefinitionRequest__Output, _baton_v1_GetDefinitionResponse>;
  
  GetWorkflow: grpc.handleUnaryCall<_baton_v1_GetWorkflowRequest__Output, _baton_v1_GetWorkflowResponse>;
  
  HeartbeatTask: grpc.handleUnaryCall<_baton_v1_HeartbeatTaskRequest__Output, _baton_v1_TaskAck>;
  
  ListDefinitions: grpc.handleUnaryCall<_baton_v1_ListDefinitionsRequest__Output, _baton_v1_ListDefinitionsResponse>;
  
  ListWorkflows: grpc.handleUnaryCall<_baton_v1_ListWorkflowsRequest__Output, _baton_v1_ListWorkflowsResponse>;
  
  Pause: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
  RegisterDefinition: grpc.handleUnaryCall<_baton_v1_RegisterDefinitionRequest__Output, _baton_v1_RegisterDefinitionResponse>;
  
  Restart: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
  Resume: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
  Retry: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
  Signal: grpc.handleUnaryCall<_baton_v1_SignalRequest__Output, _baton_v1_OperationResponse>;
  
  StartWorkflow: grpc.handleUnaryCall<_baton_v1_StartWorkflowRequest__Output, _baton_v1_StartWorkflowResponse>;
  
  Terminate: grpc.handleUnaryCall<_baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse>;
  
}

export interface WorkflowDefinition extends grpc.ServiceDefinition {
  ActivateTasks: MethodDefinition<_baton_v1_ActivateTasksRequest, _baton_v1_ActivateTasksResponse, _baton_v1_ActivateTasksRequest__Output, _baton_v1_ActivateTasksResponse__Output>
  Cancel: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
  CompleteTask: MethodDefinition<_baton_v1_CompleteTaskRequest, _baton_v1_TaskAck, _baton_v1_CompleteTaskRequest__Output, _baton_v1_TaskAck__Output>
  FailTask: MethodDefinition<_baton_v1_FailTaskRequest, _baton_v1_TaskAck, _baton_v1_FailTaskRequest__Output, _baton_v1_TaskAck__Output>
  GetDefinition: MethodDefinition<_baton_v1_GetDefinitionRequest, _baton_v1_GetDefinitionResponse, _baton_v1_GetDefinitionRequest__Output, _baton_v1_GetDefinitionResponse__Output>
  GetWorkflow: MethodDefinition<_baton_v1_GetWorkflowRequest, _baton_v1_GetWorkflowResponse, _baton_v1_GetWorkflowRequest__Output, _baton_v1_GetWorkflowResponse__Output>
  HeartbeatTask: MethodDefinition<_baton_v1_HeartbeatTaskRequest, _baton_v1_TaskAck, _baton_v1_HeartbeatTaskRequest__Output, _baton_v1_TaskAck__Output>
  ListDefinitions: MethodDefinition<_baton_v1_ListDefinitionsRequest, _baton_v1_ListDefinitionsResponse, _baton_v1_ListDefinitionsRequest__Output, _baton_v1_ListDefinitionsResponse__Output>
  ListWorkflows: MethodDefinition<_baton_v1_ListWorkflowsRequest, _baton_v1_ListWorkflowsResponse, _baton_v1_ListWorkflowsRequest__Output, _baton_v1_ListWorkflowsResponse__Output>
  Pause: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
  RegisterDefinition: MethodDefinition<_baton_v1_RegisterDefinitionRequest, _baton_v1_RegisterDefinitionResponse, _baton_v1_RegisterDefinitionRequest__Output, _baton_v1_RegisterDefinitionResponse__Output>
  Restart: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
  Resume: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
  Retry: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
  Signal: MethodDefinition<_baton_v1_SignalRequest, _baton_v1_OperationResponse, _baton_v1_SignalRequest__Output, _baton_v1_OperationResponse__Output>
  StartWorkflow: MethodDefinition<_baton_v1_StartWorkflowRequest, _baton_v1_StartWorkflowResponse, _baton_v1_StartWorkflowRequest__Output, _baton_v1_StartWorkflowResponse__Output>
  Terminate: MethodDefinition<_baton_v1_InstanceOperationRequest, _baton_v1_OperationResponse, _baton_v1_InstanceOperationRequest__Output, _baton_v1_OperationResponse__Output>
}
