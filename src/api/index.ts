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
export { ValidationError } from './errors.ts';
