// Original file: proto/baton/v1/workflow.proto

import type { Long } from '@grpc/proto-loader';

export interface GetDefinitionResponse {
  'name'?: (string);
  'version'?: (number);
  'registeredMs'?: (number | string | Long);
  'definitionJson'?: (string);
}

export interface GetDefinitionResponse__Output {
  'name': (string);
  'version': (number);
  'registeredMs': (number);
  'definitionJson': (string);
}
