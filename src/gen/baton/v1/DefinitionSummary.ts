// Original file: proto/baton/v1/workflow.proto


export interface DefinitionSummary {
  'name'?: (string);
  'latestVersion'?: (number);
}

export interface DefinitionSummary__Output {
  'name': (string);
  'latestVersion': (number);
}
