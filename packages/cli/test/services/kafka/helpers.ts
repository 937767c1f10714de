import { randomUUID } from 'node:crypto';
import type { IncomingMessage, KafkaClient } from '../../../src/services/kafka/index.js';

/** A prefix no other run or test uses, so suites share one broker without seeing each other's data. */
export function uniquePrefix(label: string): string {
  return `t${randomUUID().slice(0, 8)}.${label}.`;
}

/** Reads `topics` from the beginning in a fresh group until `count` messages arrived (or fails after `timeoutMs`). */
export async function collect(
  client: KafkaClient,
  topics: readonly string[],
  count: number,
  timeoutMs = 15_000,
): Promise<IncomingMessage[]> {
  const received: IncomingMessage[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consumer = await client.consume({
    groupId: `collect-${randomUUID()}`,
    topics,
    fromBeginning: true,
    handle: async (message) => {
      received.push(message);
      if (received.length >= count) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      enough,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`collect: ${received.length} of ${count} messages after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  return received;
}
