// Self-tests of the harness's Kafka broker, through kafkajs: the guarantees
// rewind's event log relies on (idempotent producing, consumer-group offsets,
// transactions with read_committed isolation) hold on the broker tests get.
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith, kafkaClient, uniqueTopic } from './index.js';

interface Received {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

const text = (message: KafkaMessage): string => message.value?.toString('utf8') ?? '';

describeWith('kafka', 'harness: Kafka broker', (server) => {
  let kafka: Kafka;
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    kafka = kafkaClient(server);
    admin = kafka.admin();
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  async function createTopic(label: string, numPartitions = 1): Promise<string> {
    const topic = uniqueTopic(label);
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    return topic;
  }

  /** Starts a consumer on `topic` and resolves once `done(received)` holds (or rejects after `timeoutMs`). */
  async function consume(
    options: { groupId: string; readUncommitted?: boolean; fromBeginning?: boolean; autoCommit?: boolean },
    topic: string,
    done: (received: readonly Received[]) => boolean,
    onMessage: (consumer: Consumer, received: Received) => Promise<void> = () => Promise.resolve(),
    timeoutMs = 30_000,
  ): Promise<Received[]> {
    const consumer = kafka.consumer({
      groupId: options.groupId,
      readUncommitted: options.readUncommitted ?? false,
      // A disconnect waits for the fetch in flight; keep that short.
      maxWaitTimeInMs: 250,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    const received: Received[] = [];
    return new Promise<Received[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumer saw ${received.length} messages in ${timeoutMs} ms: ${JSON.stringify(received)}`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: options.autoCommit ?? true,
          eachMessage: async ({ partition, message }) => {
            if (done(received)) return; // Already finished: ignore what arrives before disconnect.
            const entry = { partition, offset: Number(message.offset), value: text(message) };
            received.push(entry);
            await onMessage(consumer, entry);
            if (done(received)) {
              clearTimeout(timer);
              resolve(received);
            }
          },
        })
        .catch(reject);
    });
  }

  it('an idempotent producer’s messages are all read by a consumer group, in order per partition', async () => {
    const topic = await createTopic('idempotent', 3);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 7}`, value: `m${i}` }));
    try {
      for (let i = 0; i < sent.length; i += 20) {
        await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 20) });
      }
    } finally {
      await producer.disconnect();
    }

    const received = await consume({ groupId: uniqueTopic('group') }, topic, (got) => got.length >= sent.length);
    expect(received.map((r) => r.value).sort()).toEqual(sent.map((m) => m.value).sort());
    // Same key → same partition, and each partition is read in production order.
    const order = (value: string): number => Number(value.slice(1));
    for (const partition of new Set(received.map((r) => r.partition))) {
      const values = received.filter((r) => r.partition === partition).map((r) => order(r.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('a restarted consumer resumes at its committed offset', async () => {
    const topic = await createTopic('resume');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const groupId = uniqueTopic('group');

    // First life: process and commit the first 4 messages only.
    const first = await consume({ groupId, autoCommit: false }, topic, (got) => got.length >= 4, async (consumer, entry) => {
      await consumer.commitOffsets([{ topic, partition: entry.partition, offset: String(entry.offset + 1) }]);
    });
    expect(first.map((r) => r.value)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions[0]?.offset).toBe('4');

    // Second life, same group: starts at offset 4, not at the beginning.
    const second = await consume({ groupId, fromBeginning: true }, topic, (got) => got.length >= 6);
    expect(second.map((r) => r.value)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(second[0]?.offset).toBe(4);
  });

  it('a transactional producer’s aborted batch is invisible to a read_committed consumer', async () => {
    const topic = await createTopic('transactions');
    const producer = kafka.producer({ transactionalId: uniqueTopic('tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const committed1 = await producer.transaction();
      await committed1.send({ topic, messages: [{ value: 'committed-1' }] });
      await committed1.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
      await aborted.abort();
      const committed2 = await producer.transaction();
      await committed2.send({ topic, messages: [{ value: 'committed-2' }] });
      await committed2.commit();
    } finally {
      await producer.disconnect();
    }

    const committedView = await consume({ groupId: uniqueTopic('committed') }, topic, (got) =>
      got.some((r) => r.value === 'committed-2'),
    );
    expect(committedView.map((r) => r.value)).toEqual(['committed-1', 'committed-2']);
    // The aborted batch did reach the log: a read_uncommitted consumer sees it.
    const uncommittedView = await consume({ groupId: uniqueTopic('uncommitted'), readUncommitted: true }, topic, (got) =>
      got.some((r) => r.value === 'committed-2'),
    );
    expect(uncommittedView.map((r) => r.value)).toEqual(['committed-1', 'aborted-1', 'aborted-2', 'committed-2']);
  });
});
