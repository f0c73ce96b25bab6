export * from './types.ts';
export { DefinitionInvalidError, formatIssue } from './errors.ts';
export { parseDefinition, readDocument } from './parse.ts';
export { validateDefinition, taskReferences } from './validate.ts';
export { canonicalDefinitionJson, canonicalJson } from './canonical.ts';
export { validateJsonSchema } from './json-schema.ts';
export { childTaskLists, listTasks, indexTasks, type TaskLocation } from './walk.ts';
