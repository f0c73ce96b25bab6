import { parseDocument } from 'yaml';
import { utf8Length } from '../expression.ts';
import { DefinitionInvalidError } from './errors.ts';
import {
  DEFAULT_DEFINITION_LIMITS,
  type Definition,
  type DefinitionFormat,
  type DefinitionLimits,
} from './types.ts';
import { validateDefinition } from './validate.ts';

/** YAML aliases expanded while reading a document (a "billion laughs" document has millions). */
const MAX_YAML_ALIASES = 100;

/**
 * Reads a definition document (JSON or YAML; `auto` takes JSON when the text starts with `{`)
 * and validates it. Throws DefinitionInvalidError listing every problem with its path.
 */
export function parseDefinition(
  text: string,
  format: DefinitionFormat = 'auto',
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
): Definition {
  return validateDefinition(readDocument(text, format, limits), limits);
}

/** The document as plain JSON, before validation. Throws DefinitionInvalidError. */
export function readDocument(
  text: string,
  format: DefinitionFormat = 'auto',
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
): unknown {
  // Every UTF-16 unit takes at least one UTF-8 byte, so an over-long text is refused unscanned.
  const bytes = text.length > limits.maxDocumentBytes ? text.length : utf8Length(text);
  if (bytes > limits.maxDocumentBytes) {
    throw new DefinitionInvalidError([
      {
        path: '',
        message: `the document is ${bytes} bytes, larger than the limit of ${limits.maxDocumentBytes}`,
      },
    ]);
  }
  const chosen = format === 'auto' ? (text.trimStart().startsWith('{') ? 'json' : 'yaml') : format;
  return chosen === 'json' ? readJson(text) : readYaml(text);
}

function readJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DefinitionInvalidError([
      { path: '', message: `not valid JSON: ${(error as Error).message}` },
    ]);
  }
}

function readYaml(text: string): unknown {
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text, { uniqueKeys: true, prettyErrors: true, schema: 'core' });
  } catch (error) {
    // The parser recurses on nesting; a pathological document can exhaust the stack.
    throw new DefinitionInvalidError([
      { path: '', message: `not valid YAML: ${(error as Error).message}` },
    ]);
  }
  if (document.errors.length > 0) {
    throw new DefinitionInvalidError(
      document.errors.slice(0, DEFAULT_DEFINITION_LIMITS.maxIssues).map((error) => ({
        path: '',
        message: `not valid YAML: ${error.message.split('\n')[0] ?? error.message}`,
      })),
    );
  }
  try {
    return document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (error) {
    throw new DefinitionInvalidError([
      { path: '', message: `not valid YAML: ${(error as Error).message}` },
    ]);
  }
}
