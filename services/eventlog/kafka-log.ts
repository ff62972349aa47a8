/**
 * The Kafka transport (kafkajs): the collector publishes with an idempotent
 * producer and acks from every in-sync replica; the archiver reads as a
 * consumer group and commits offsets itself, only after the segment holding
 * the records is durable in the archive. A restarted archiver therefore reads
 * again everything after its last durable segment; the duplicates are dropped
 * by position (see services/archiver). Topic layout: kafka-topic.ts.
 */
import { Kafka, Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import type { Consumer, ICustomPartitioner, KafkaConfig, LogEntry, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { EventLogError } from './eventlog-errors.js';
import type { LogConsumer, LogCursor, LogDelivery, LogProducer } from './event-log.js';
import { decodeRecord, encodeRecord } from './kafka-record-codec.js';
import { DEFAULT_TOPIC_SETTINGS, ensureLogTopic } from './kafka-topic.js';
import type { LogTopicSettings } from './kafka-topic.js';
import { approximateRecordBytes } from './log-record.js';
import type { LogRecord } from './log-record.js';

export interface KafkaLogOptions {
  brokers: string[];
  topic: string;
  clientId?: string;
  retentionMs?: number;
  maxMessageBytes?: number;
  replicationFactor?: number;
  /** One send carries at most this many bytes (records are split across sends, in order). */
  maxSendBytes?: number;
  logger?: Logger;
  /** Extra kafkajs client settings (ssl, sasl, timeouts). */
  client?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
}

/** kafkajs logs through the process's pino logger. */
function kafkaClient(options: KafkaLogOptions, role: string): Kafka {
  const logger = options.logger?.child({ component: `kafka-${role}` });
  return new Kafka({
    ...options.client,
    brokers: options.brokers,
    clientId: options.clientId ?? `rewind-${role}`,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...extra } = entry.log;
      if (entry.level <= KafkaLogLevel.ERROR) logger.error({ ...extra, namespace: entry.namespace }, message);
      else if (entry.level === KafkaLogLevel.WARN) logger.warn({ ...extra, namespace: entry.namespace }, message);
      else logger.debug({ ...extra, namespace: entry.namespace }, message);
    },
  });
}

function topicSettings(options: KafkaLogOptions): LogTopicSettings {
  return {
    topic: options.topic,
    retentionMs: options.retentionMs ?? DEFAULT_TOPIC_SETTINGS.retentionMs,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_TOPIC_SETTINGS.maxMessageBytes,
    ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
  };
}

async function prepareTopic(kafka: Kafka, options: KafkaLogOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureLogTopic(admin, topicSettings(options));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The log topic has one partition (kafka-topic.ts): every record goes there without hashing its key
 * (murmur2 over every key was a visible share of publishing). Records still carry their keys, and a
 * topic an operator gave more partitions is partitioned by key as kafkajs's default does.
 */
const onePartitionFirst: ICustomPartitioner = () => {
  const byKey = Partitioners.DefaultPartitioner();
  return (args) => {
    const only = args.partitionMetadata.length === 1 ? args.partitionMetadata[0] : undefined;
    return only ? only.partitionId : byKey(args);
  };
};

export class KafkaLogProducer implements LogProducer {
  readonly transport = 'kafka' as const;
  private closed = false;

  private constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly maxSendBytes: number,
  ) {}

  static async open(options: KafkaLogOptions): Promise<KafkaLogProducer> {
    const kafka = kafkaClient(options, 'collector');
    await prepareTopic(kafka, options);
    // Idempotent: the broker drops a retried batch it already has, so a retry never duplicates or reorders.
    // One request in flight and every send awaited: records reach the partition in publish order.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: onePartitionFirst });
    await producer.connect();
    return new KafkaLogProducer(producer, options.topic, options.maxSendBytes ?? 8 * 1024 * 1024);
  }

  async publish(records: readonly LogRecord[]): Promise<void> {
    if (this.closed) throw new EventLogError('EVENTLOG_CLOSED', { transport: 'kafka' });
    let chunk: ReturnType<typeof encodeRecord>[] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const messages = chunk;
      chunk = [];
      bytes = 0;
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
      } catch (err) {
        throw new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: messages.length }, { cause: err });
      }
    };
    for (const record of records) {
      const size = approximateRecordBytes(record);
      if (bytes + size > this.maxSendBytes) await flush();
      chunk.push(encodeRecord(record));
      bytes += size;
    }
    await flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.disconnect();
  }
}

export interface KafkaLogConsumerOptions extends KafkaLogOptions {
  groupId: string;
  /** Consumer-group session timeout (the broker allows 6 s to 5 min by default). Default 30 s. */
  sessionTimeoutMs?: number;
  /** eachBatch waits while this many bytes are delivered but not yet polled. Default 32 MiB. */
  maxPendingBytes?: number;
}

interface Pending {
  delivery: LogDelivery;
  bytes: number;
}

export class KafkaLogConsumer implements LogConsumer {
  readonly transport = 'kafka' as const;
  private readonly queue: Pending[] = [];
  private pendingBytes = 0;
  private failure: EventLogError | null = null;
  private closed = false;
  private wakePoll: (() => void) | null = null;
  private wakeFetch: (() => void) | null = null;

  private constructor(
    private readonly consumer: Consumer,
    private readonly maxPendingBytes: number,
  ) {}

  static async open(options: KafkaLogConsumerOptions): Promise<KafkaLogConsumer> {
    const kafka = kafkaClient(options, 'archiver');
    await prepareTopic(kafka, options);
    const consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
      maxBytesPerPartition: Math.max(16 * 1024 * 1024, options.maxMessageBytes ?? 0),
    });
    const self = new KafkaLogConsumer(consumer, options.maxPendingBytes ?? 32 * 1024 * 1024);
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts after retriable crashes by itself; a non-retriable one ends this consumer.
      if (!e.payload.restart) self.fail(e.payload.error);
    });
    await consumer.connect();
    // A new group starts at the beginning: the log holds everything not yet archived.
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const records: LogRecord[] = [];
        let bytes = 0;
        for (const message of batch.messages) {
          try {
            const record = decodeRecord(message);
            records.push(record);
            bytes += approximateRecordBytes(record);
          } catch (err) {
            // A record that cannot be decoded will not decode on retry: stop here, offsets untouched.
            const detail = err instanceof Error ? err.message : String(err);
            self.failure = new EventLogError(
              'EVENTLOG_DECODE_FAILED',
              { topic: batch.topic, partition: batch.partition, offset: message.offset, detail },
              { cause: err },
            );
            self.wakePoll?.();
            while (!self.closed && payload.isRunning()) await new Promise((r) => setTimeout(r, 200));
            return;
          }
        }
        const last = batch.messages.at(-1);
        if (!last) return;
        const cursor: LogCursor = {
          transport: 'kafka',
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(last.offset) + 1n).toString(),
        };
        self.queue.push({ delivery: { records, cursor }, bytes });
        self.pendingBytes += bytes;
        self.wakePoll?.();
        // Back-pressure: hold the fetch loop while the archiver is behind, heartbeating so the group keeps us.
        while (self.pendingBytes > self.maxPendingBytes && payload.isRunning() && !payload.isStale() && !self.closed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            self.wakeFetch = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          await payload.heartbeat();
        }
        // Resolving only moves the fetch position; the group offset moves in commit(), after durability.
        payload.resolveOffset(last.offset);
        await payload.heartbeat();
      },
    });
    return self;
  }

  private fail(err: Error): void {
    this.failure = new EventLogError('EVENTLOG_CONSUMER_FAILED', { transport: 'kafka', detail: err.message }, { cause: err });
    this.wakePoll?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  async poll(waitMs: number): Promise<LogDelivery | null> {
    if (this.closed) throw new EventLogError('EVENTLOG_CLOSED', { transport: 'kafka' });
    this.throwIfFailed();
    if (this.queue.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakePoll = done;
      });
      this.wakePoll = null;
      this.throwIfFailed();
    }
    const next = this.queue.shift();
    if (!next) return null;
    this.pendingBytes -= next.bytes;
    this.wakeFetch?.();
    return next.delivery;
  }

  async commit(cursor: LogCursor): Promise<void> {
    if (cursor.transport !== 'kafka') throw new TypeError('a Kafka consumer commits Kafka cursors only');
    try {
      await this.consumer.commitOffsets([{ topic: cursor.topic, partition: cursor.partition, offset: cursor.offset }]);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new EventLogError('EVENTLOG_COMMIT_FAILED', { transport: 'kafka', detail }, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeFetch?.();
    await this.consumer.disconnect();
  }
}
