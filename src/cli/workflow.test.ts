import { describe, expect, it } from 'vitest';
import { startWorkflowRequest } from './workflow.ts';

describe('baton workflow start: the request', () => {
  it('makes the workflow id itself when none is given, so a retried call cannot start a second run', () => {
    const first = startWorkflowRequest('order', { input: '{}' });
    const second = startWorkflowRequest('order', { input: '{}' });
    expect(first.request.workflowId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.generatedId).toBe(first.request.workflowId);
    expect(second.request.workflowId).not.toBe(first.request.workflowId);
    // A retry of the same request finds its own earlier run instead of failing on it.
    expect(first.request.reusePolicy).toBe('RETURN_EXISTING');
  });

  it('passes the caller’s id and policy through unchanged', () => {
    const { request, generatedId } = startWorkflowRequest('order', {
      input: '{"a":1}',
      id: 'order-42',
      version: 3,
    });
    expect(generatedId).toBeNull();
    expect(request).toEqual({
      definitionName: 'order',
      version: 3,
      inputJson: '{"a":1}',
      workflowId: 'order-42',
      businessKey: '',
      reusePolicy: '',
    });
    expect(
      startWorkflowRequest('order', { input: '{}', reusePolicy: 'ALLOW_IF_CLOSED' }).request
        .reusePolicy,
    ).toBe('ALLOW_IF_CLOSED');
  });

  it('leaves a business key to its own default: RETURN_EXISTING would hand back another run', () => {
    const { request } = startWorkflowRequest('order', { input: '{}', businessKey: 'cart-7' });
    expect(request.workflowId).not.toBe('');
    expect(request.reusePolicy).toBe('');
  });
});
