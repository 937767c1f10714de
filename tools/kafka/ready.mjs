// Exits 0 once a Kafka client's metadata request succeeds against $1 (host:port), within $2 ms.
// A port that accepts TCP is not enough: the broker answers metadata only once KRaft has
// elected its controller and the broker has registered, which is what clients need.
// Uses kafkajs, the client the project uses, resolved from the tradenova package.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [broker = '127.0.0.1:19092', timeoutText = '60000'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutText);
const require = createRequire(fileURLToPath(new URL('../../packages/cli/package.json', import.meta.url)));
let kafkajs;
try {
  kafkajs = require('kafkajs');
} catch {
  console.error('ready: kafkajs is not installed; run `npm ci` (or ./tn) first');
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({
  clientId: 'tradenova-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});
let lastError = 'no attempt';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.fetchTopicMetadata({ topics: [] });
    await admin.disconnect();
    if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== undefined) {
      process.exit(0);
    }
    lastError = 'no controller yet';
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
    await admin.disconnect().catch(() => {});
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.error(`ready: ${broker} did not answer a metadata request: ${lastError}`);
process.exit(1);
