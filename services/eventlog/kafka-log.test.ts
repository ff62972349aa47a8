import { Buffer } from 'node:buffer';
import { deserialize, serialize } from '../../contracts/bson.js';
import { ConfigResourceTypes } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import type { ChangeEvent } from '../../contracts/index.js';
import { describeWith, kafkaClient, uniqueTopic } from '../../test/harness/index.js';
import { KafkaLogConsumer, KafkaLogProducer } from './kafka-log.js';
import type { LogConsumer, LogDelivery } from './event-log.js';
import type { LogRecord } from './log-record.js';

function event(seq: number, docId: number): ChangeEvent {
  return {
    id: `tok-${seq}`,
    seconds: 1_700_000_000 + seq,
    increment: 1,
    index: 0,
    wallTimeMs: null,
    op: seq % 3 === 0 ? 'insert' : 'update',
    ns: { db: 'shop', coll: 'orders' },
    to: null,
    collectionUUID: null,
    documentKey: Buffer.from(serialize({ _id: docId })),
    fullDocument: Buffer.from(serialize({ _id: docId, seq })),
    fullDocumentIsLookup: false,
    fullDocumentBeforeChange: null,
    updateDescription: null,
    operationDescription: null,
    txn: null,
    resumeToken: Buffer.from(serialize({ _data: `82${seq}` })),
  };
}

async function pollAll(consumer: LogConsumer, count: number, timeoutMs = 20_000): Promise<LogDelivery[]> {
  const out: LogDelivery[] = [];
  let seen = 0;
  const deadline = Date.now() + timeoutMs;
  while (seen < count && Date.now() < deadline) {
    const d = await consumer.poll(200);
    if (d) {
      out.push(d);
      seen += d.records.length;
    }
  }
  return out;
}

const seqOf = (r: LogRecord) => (r.kind === 'event' ? (deserialize(r.event.fullDocument as Buffer) as { seq: number }).seq : -1);

describeWith('kafka', 'event log on Kafka', (server) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close().catch(() => undefined);
  });

  it('with a tiny back-pressure limit, the consumer thread still hands over every record in order', async () => {
    const topic = uniqueTopic('eventlog-pressure');
    const producer = await KafkaLogProducer.open({ brokers: [...server.brokers], topic, maxSendBytes: 1500 });
    open.push(producer);
    const records: LogRecord[] = Array.from({ length: 40 }, (_, i) => ({ kind: 'event', event: event(i, i % 4) }));
    for (let i = 0; i < 40; i += 5) await producer.publish(records.slice(i, i + 5));
    // Far below one batch: the thread waits after every batch until polls report the bytes taken.
    const consumer = await KafkaLogConsumer.open({ brokers: [...server.brokers], topic, groupId: `${topic}-g`, maxPendingBytes: 400 });
    open.push(consumer);
    const got = (await pollAll(consumer, 40)).flatMap((d) => d.records);
    expect(got.map(seqOf)).toEqual(records.map(seqOf));
  });

  it('creates its topic with the log settings and keeps each document’s events in order', async () => {
    const topic = uniqueTopic('eventlog-order');
    const producer = await KafkaLogProducer.open({ brokers: [...server.brokers], topic, maxSendBytes: 2000 });
    open.push(producer);
    // Three documents, events interleaved; several sends because of the small maxSendBytes.
    const records: LogRecord[] = Array.from({ length: 60 }, (_, i) => ({ kind: 'event', event: event(i, i % 3) }));
    await producer.publish(records.slice(0, 30));
    await producer.publish(records.slice(30));

    const consumer = await KafkaLogConsumer.open({ brokers: [...server.brokers], topic, groupId: `${topic}-g` });
    open.push(consumer);
    const got = (await pollAll(consumer, 60)).flatMap((d) => d.records);
    expect(got.map(seqOf)).toEqual(records.map(seqOf));
    for (const doc of [0, 1, 2]) {
      const seqs = got.filter((r) => r.kind === 'event' && seqOf(r) % 3 === doc).map(seqOf);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }

    const admin = kafkaClient(server).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(1);
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
      const entries = Object.fromEntries((configs.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
      expect(entries['cleanup.policy']).toBe('delete');
      expect(entries['unclean.leader.election.enable']).toBe('false');
      expect(entries['min.insync.replicas']).toBe('1');
    } finally {
      await admin.disconnect();
    }
  });

  it('a restarted consumer resumes after its last committed offset', async () => {
    const topic = uniqueTopic('eventlog-restart');
    const groupId = `${topic}-g`;
    const producer = await KafkaLogProducer.open({ brokers: [...server.brokers], topic });
    open.push(producer);
    for (let b = 0; b < 4; b++) {
      await producer.publish(Array.from({ length: 5 }, (_, i): LogRecord => ({ kind: 'event', event: event(b * 5 + i, i) })));
    }
    const first = await KafkaLogConsumer.open({ brokers: [...server.brokers], topic, groupId, sessionTimeoutMs: 6000 });
    const deliveries = await pollAll(first, 20);
    // Commit only what is "durable downstream": the first delivery.
    const committed = deliveries[0];
    if (!committed) throw new Error('nothing delivered');
    await first.commit(committed.cursor);
    const lastCommitted = Math.max(...committed.records.map(seqOf));
    await first.close();

    const second = await KafkaLogConsumer.open({ brokers: [...server.brokers], topic, groupId, sessionTimeoutMs: 6000 });
    open.push(second);
    const again = (await pollAll(second, 20 - committed.records.length)).flatMap((d) => d.records);
    expect(again.map(seqOf)).toEqual(Array.from({ length: 19 - lastCommitted }, (_, i) => lastCommitted + 1 + i));
  });

  it('refuses a topic with several partitions: the log needs one total order', async () => {
    const topic = uniqueTopic('eventlog-layout');
    const admin = kafkaClient(server).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await expect(KafkaLogProducer.open({ brokers: [...server.brokers], topic })).rejects.toMatchObject({ code: 'EVENTLOG_TOPIC_LAYOUT' });
  });
});
