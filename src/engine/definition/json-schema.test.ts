import { describe, expect, it } from 'vitest';
import { formatIssue } from './errors.ts';
import { validateJsonSchema } from './json-schema.ts';
import type { JsonSchema } from './types.ts';

const order: JsonSchema = {
  type: 'object',
  required: ['orderId', 'items'],
  additionalProperties: false,
  properties: {
    orderId: { type: 'string', minLength: 3, pattern: '^o-[0-9]+$' },
    express: { type: 'boolean' },
    channel: { enum: ['web', 'shop'] },
    note: { type: ['string', 'null'], maxLength: 5 },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: {
        type: 'object',
        required: ['sku'],
        properties: {
          sku: { type: 'string' },
          quantity: { type: 'integer', minimum: 1, maximum: 10 },
        },
      },
    },
  },
};

function check(value: unknown): string[] {
  return validateJsonSchema(order, value as never).map(formatIssue);
}

describe('validateJsonSchema', () => {
  it('accepts a valid value', () => {
    expect(
      check({ orderId: 'o-12', items: [{ sku: 'a', quantity: 2 }], channel: 'web', note: null }),
    ).toEqual([]);
  });

  it('reports every problem with its path', () => {
    expect(
      check({
        orderId: 'x',
        items: [{ quantity: 0 }, { sku: 1, quantity: 2.5 }],
        channel: 'fax',
        note: 'too long',
        extra: 1,
      }),
    ).toEqual([
      'input.orderId: must be at least 3 characters long',
      'input.orderId: must match the pattern /^o-[0-9]+$/',
      'input.items[0].sku: is required',
      'input.items[0].quantity: must be ≥ 1',
      'input.items[1].sku: must be string, not an integer',
      'input.items[1].quantity: must be integer, not a number',
      'input.channel: must be one of "web", "shop"',
      'input.note: must be at most 5 characters long',
      'input.extra: is not an allowed field',
    ]);
  });

  it('checks types, required fields and list sizes', () => {
    expect(check([])).toEqual(['input: must be object, not an array']);
    expect(check({ orderId: 'o-1' })).toEqual(['input.items: is required']);
    expect(check({ orderId: 'o-1', items: [] })).toEqual([
      'input.items: must have at least 1 items',
    ]);
    expect(
      check({ orderId: 'o-1', items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }, { sku: 'd' }] }),
    ).toEqual(['input.items: must have at most 3 items']);
  });

  it('caps the issues it returns', () => {
    const items = Array.from({ length: 3 }, () => ({ quantity: 0 }));
    expect(validateJsonSchema(order, { orderId: 'x', items }, 'input', 2)).toHaveLength(2);
  });
});
