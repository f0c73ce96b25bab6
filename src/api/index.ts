export { ApiServices } from './services.ts';
export type { ApiOptions } from './services.ts';
export {
  toServiceError,
  grpcStatusOf,
  LEADER_METADATA_KEY,
  LEADER_ADDRESS_METADATA_KEY,
  HOPS_METADATA_KEY,
} from './status.ts';
export { apiProto } from './proto.ts';
export { RemovalProbe, statusProvesRemoval } from './removal-probe.ts';
export { ValidationError } from './errors.ts';
export { WorkflowApi } from './workflow-service.ts';
export type { WorkflowApiOptions } from './workflow-service.ts';
export { workflowProto } from './workflow-proto.ts';
export { WorkflowNotFoundError } from './workflow-errors.ts';
