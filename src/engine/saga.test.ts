import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineHarness } from './testing/harness.ts';

const sagaYaml = readFileSync(
  new URL('./definition/examples/order-saga.yaml', import.meta.url),
  'utf8',
);
const order = {
  orderId: 'o-1',
  items: [{ sku: 'A', quantity: 2 }],
  amount: 30,
  cardToken: 'tok',
  address: 'x',
};

describe('order saga', () => {
  it('compensates in reverse order when shipping fails non-retryably', async () => {
    const h = new EngineHarness();
    expect(await h.register(sagaYaml)).toBe(1);
    await h.start('order-1', 'order-saga', order);
    await h.work('inventory.reserve', { reservationId: 'r-9' });
    await h.work('payments.charge', { chargeId: 'c-7' });
    await h.failWork('shipping.ship', 'ADDRESS_INVALID');
    await h.work('payments.refund', {});
    await h.work('inventory.release', {});
    const view = await h.instance('order-1');
    expect(view.status).toBe('COMPENSATED');
    expect(view.error?.code).toBe('ADDRESS_INVALID');
    expect(await h.history('order-1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted order-saga v1",
        "#1 TaskScheduled reserve type=inventory.reserve attempt=1",
        "#2 TaskStarted reserve attempt=1 worker=w1",
        "#3 TaskCompleted reserve attempt=1 output={"reservationId":"r-9"}",
        "#4 VariablesSet reserve {"reservationId":"r-9"}",
        "#5 StepCompleted reserve output={"reservationId":"r-9"}",
        "#6 TaskScheduled charge type=payments.charge attempt=1",
        "#7 TaskStarted charge attempt=1 worker=w1",
        "#8 TaskCompleted charge attempt=1 output={"chargeId":"c-7"}",
        "#9 VariablesSet charge {"chargeId":"c-7"}",
        "#10 StepCompleted charge output={"chargeId":"c-7"}",
        "#11 TaskScheduled ship type=shipping.ship attempt=1",
        "#12 TaskStarted ship attempt=1 worker=w1",
        "#13 TaskFailed ship attempt=1 ADDRESS_INVALID",
        "#14 StepFailed ship ADDRESS_INVALID",
        "#15 CompensationStarted cause=FAILED ADDRESS_INVALID at ship",
        "#16 CompensationScheduled refund for charge",
        "#17 TaskScheduled refund type=payments.refund attempt=1",
        "#18 TaskStarted refund attempt=1 worker=w1",
        "#19 TaskCompleted refund attempt=1 output={}",
        "#20 StepCompleted refund output={}",
        "#21 CompensationScheduled release for reserve",
        "#22 TaskScheduled release type=inventory.release attempt=1",
        "#23 TaskStarted release attempt=1 worker=w1",
        "#24 TaskCompleted release attempt=1 output={}",
        "#25 StepCompleted release output={}",
        "#26 WorkflowCompensated",
      ]
    `);
  });
});
