/**
 * Paths into a document, written the way a reader finds the spot: `tasks[3].retry.maxAttempts`,
 * `tasks[0].headers["Content-Type"]`.
 */
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function childPath(base: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const text = String(key);
  if (!PLAIN_KEY.test(text)) return `${base}[${JSON.stringify(text)}]`;
  return base === '' ? text : `${base}.${text}`;
}

export function joinPath(base: string, keys: readonly PropertyKey[]): string {
  let path = base;
  for (const key of keys) path = childPath(path, key);
  return path;
}
