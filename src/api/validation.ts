import type { ApiSettings } from '../config/index.ts';
import { NODE_ID_PATTERN } from '../config/index.ts';
import { nodeId } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import { ValidationError } from './errors.ts';

const ADDRESS_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export function validateKey(key: string, limits: ApiSettings): string {
  if (key.length === 0) throw new ValidationError('key', 'must not be empty');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limits.maxKeyBytes)
    throw new ValidationError(
      'key',
      `is ${bytes} bytes; the limit is ${limits.maxKeyBytes} (api.maxKeyBytes)`,
    );
  return key;
}

export function validateValue(value: Uint8Array, limits: ApiSettings): Uint8Array {
  if (value.length > limits.maxValueBytes) {
    throw new ValidationError(
      'value',
      `is ${value.length} bytes; the limit is ${limits.maxValueBytes} (api.maxValueBytes)`,
    );
  }
  return value;
}

export function validateNodeId(field: string, id: string): NodeId {
  if (!NODE_ID_PATTERN.test(id)) {
    throw new ValidationError(
      field,
      `"${id}" is not a node id (1-63 characters: letters, digits, "_", ".", "-")`,
    );
  }
  return nodeId(id);
}

export function validateAddress(field: string, address: string): string {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!ADDRESS_PATTERN.test(address) || port < 1 || port > 65535) {
    throw new ValidationError(field, `"${address}" is not host:port (e.g. 127.0.0.1:7004)`);
  }
  return address;
}
