/**
 * How far a consumer group (the archiver's) is behind a topic: per partition,
 * the high watermark minus the group's committed offset (the low watermark
 * when the group has committed nothing yet). Read with kafkajs's admin client
 * and short timeouts, so `rewind status` answers quickly when the brokers are
 * down: the caller gets a reason instead of a figure. Loaded lazily (kafkajs
 * is heavy): only when a status file says the archive is fed through Kafka.
 */
import { kafkaClient } from './kafka-client.js';

export interface ConsumerLag {
  topic: string;
  groupId: string;
  /** Messages the group has not committed yet, over every partition. */
  messages: number;
  partitions: { partition: number; high: number; committed: number | null; lag: number }[];
}

export async function readConsumerLag(settings: { brokers: string[]; topic: string; groupId: string; timeoutMs?: number }): Promise<ConsumerLag> {
  const timeoutMs = settings.timeoutMs ?? 3000;
  const kafka = kafkaClient(
    { brokers: settings.brokers, clientId: 'rewind-status', client: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs } },
    'status',
    () => undefined,
  );
  // A few quick retries: a broker answers "coordinator not available" (retriable) while it creates its offsets topic.
  // The caller bounds the whole read by its own timeout.
  const admin = kafka.admin({ retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
  await admin.connect();
  try {
    // One after the other: two requests at once on a fresh admin race its metadata refresh ("no brokers in the broker pool").
    const tops = await admin.fetchTopicOffsets(settings.topic);
    const committed = await admin.fetchOffsets({ groupId: settings.groupId, topics: [settings.topic] });
    const byPartition = new Map((committed.find((t) => t.topic === settings.topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const partitions = tops
      .map((t) => {
        const high = Number(t.high);
        const c = byPartition.get(t.partition);
        const done = c === undefined || c < 0 ? null : c;
        return { partition: t.partition, high, committed: done, lag: Math.max(0, high - (done ?? Number(t.low))) };
      })
      .sort((a, b) => a.partition - b.partition);
    return { topic: settings.topic, groupId: settings.groupId, messages: partitions.reduce((n, p) => n + p.lag, 0), partitions };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
