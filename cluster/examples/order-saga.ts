/**
 * The order saga, run in-process: `npm run example:saga` (lives outside src/engine: it reads a file and prints, the engine it drives stays pure).
 *
 * Registers src/engine/definition/examples/order-saga.yaml, starts an order, and plays the
 * workers: stock is reserved, the card is charged, shipping fails with a non-retryable
 * ADDRESS_INVALID. The engine then runs the compensations in reverse order — refund the charge,
 * release the stock — and the workflow ends COMPENSATED. Prints the event history.
 */
import { readFileSync } from 'node:fs';
import { EngineHarness } from '../../src/engine/testing/harness.ts';

const definition = readFileSync(
  new URL('../../src/engine/definition/examples/order-saga.yaml', import.meta.url),
  'utf8',
);

async function main(): Promise<void> {
  const engine = new EngineHarness();
  const version = await engine.register(definition);
  console.log(`registered order-saga v${version}`);
  await engine.start('order-1001', 'order-saga', {
    orderId: '1001',
    items: [{ sku: 'BOOK-42', quantity: 1 }],
    amount: 19.9,
    cardToken: 'tok_visa',
    address: 'nowhere',
  });

  const reserve = await engine.work('inventory.reserve', { reservationId: 'res-1' });
  console.log(`worker: reserved stock (${reserve.taskId})`);
  const charge = await engine.work('payments.charge', { chargeId: 'ch-1' });
  console.log(`worker: charged the card (${charge.taskId})`);
  const ship = await engine.failWork('shipping.ship', 'ADDRESS_INVALID', false);
  console.log(`worker: shipping failed, address invalid (${ship.taskId})`);
  const refund = await engine.work('payments.refund', { refunded: true });
  console.log(`worker: refunded the charge (${refund.taskId})`);
  const release = await engine.work('inventory.release', { released: true });
  console.log(`worker: released the stock (${release.taskId})`);

  console.log('\nhistory of order-1001:');
  for (const line of await engine.history('order-1001')) console.log(`  ${line}`);
  const view = await engine.instance('order-1001');
  console.log(
    `\nfinal status: ${view.status} (${view.error?.code ?? ''}: ${view.error?.message ?? ''})`,
  );
  if (view.status !== 'COMPENSATED') process.exitCode = 1;
}

await main();
