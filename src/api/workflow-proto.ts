/** The Workflow service's definition, loaded once with the shared loader options. */
import type { ProtoGrpcType as WorkflowProto } from '../gen/workflow.ts';
import { loadProtoPackage } from '../transport/proto.ts';

let loaded: WorkflowProto['baton']['v1'] | null = null;

export function workflowProto(): WorkflowProto['baton']['v1'] {
  loaded ??= (loadProtoPackage('baton/v1/workflow.proto') as unknown as WorkflowProto).baton.v1;
  return loaded;
}
