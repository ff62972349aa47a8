// Waits until a Kafka broker answers a kafkajs admin client (metadata round trip).
import { Kafka, logLevel } from 'kafkajs';

export async function waitForKafka(
  brokers: readonly string[],
  timeoutMs: number,
  stillStarting: () => boolean = () => true,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'rewind-harness-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && stillStarting()) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = new Error('the broker answered without a controller yet');
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms`, { cause: lastError });
}
