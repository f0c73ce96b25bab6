import { BatonError } from '../../lib/errors.ts';
import type { DefinitionIssue } from './types.ts';

/**
 * A definition document is not valid. `issues` lists every problem found (up to the limit), each
 * located by its path in the document, e.g. `tasks[3].retry.maxAttempts: must be ≤ 100`.
 */
export class DefinitionInvalidError extends BatonError {
  override readonly name = 'DefinitionInvalidError';
  readonly issues: readonly DefinitionIssue[];
  /** True when more problems existed than `issues` lists. */
  readonly truncated: boolean;

  constructor(issues: readonly DefinitionIssue[], truncated = false, definitionName?: string) {
    super('INVALID_ARGUMENT', describe(issues, truncated, definitionName));
    this.issues = issues;
    this.truncated = truncated;
  }
}

/** Issues shown inline in the message; the full list is in `issues`. */
const ISSUES_IN_MESSAGE = 10;

function describe(issues: readonly DefinitionIssue[], truncated: boolean, name?: string): string {
  const subject = name === undefined ? 'workflow definition' : `workflow definition '${name}'`;
  const count = truncated ? `more than ${issues.length}` : String(issues.length);
  const lines = issues.slice(0, ISSUES_IN_MESSAGE).map((issue) => `  ${formatIssue(issue)}`);
  if (issues.length > ISSUES_IN_MESSAGE)
    lines.push(`  … and ${issues.length - ISSUES_IN_MESSAGE} more`);
  const noun = issues.length === 1 && !truncated ? 'problem' : 'problems';
  return `${subject} is invalid (${count} ${noun}):\n${lines.join('\n')}`;
}

/** `path: message`, or just the message for the document as a whole. */
export function formatIssue(issue: DefinitionIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
