/**
 * The Kafka transport (kafkajs): the collector publishes with an idempotent
 * producer and acks from every in-sync replica; the archiver reads as a
 * consumer group and commits offsets itself, only after the segment holding
 * the records is durable in the archive. A restarted archiver therefore reads
 * again everything after its last durable segment; the duplicates are dropped
 * by position (see services/archiver). Topic layout: kafka-topic.ts. The
 * producer's kafkajs client runs on its own thread (kafka-producer-thread.ts);
 * events reach the archiver still Avro-encoded (kafka-event-record.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Kafka, KafkaConfig } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClient, pinoSink } from './kafka-client.js';
import type { FromProducer, ProducerThreadSettings, ToProducer } from './kafka-producer-protocol.js';
import { unpackBatch } from './kafka-consumer-protocol.js';
import type { ConsumerThreadSettings, FromConsumer, ToConsumer } from './kafka-consumer-protocol.js';
import { EventLogError } from './eventlog-errors.js';
import type { LogConsumer, LogCursor, LogDelivery, LogProducer } from './event-log.js';
import { decodeRecord } from './kafka-record-codec.js';
import { packRecords } from './kafka-record-packer.js';
import { DEFAULT_TOPIC_SETTINGS, ensureLogTopic } from './kafka-topic.js';
import type { LogTopicSettings } from './kafka-topic.js';
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

/**
 * A worker thread's entry beside this module. Compiled (dist/, the shipped
 * build), the thread's own .js. Run from the TypeScript sources (vitest, tsx),
 * a .mjs shim that registers tsx first, because a worker does not inherit the
 * main thread's loader.
 */
export function threadEntry(name: 'kafka-producer-thread' | 'kafka-consumer-thread', moduleUrl: string = import.meta.url): URL {
  return new URL(moduleUrl.endsWith('.ts') ? `./${name}.mjs` : `./${name}.js`, moduleUrl);
}

function client(options: KafkaLogOptions, role: string): Kafka {
  return kafkaClient(options, role, pinoSink(options.logger, role));
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

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
  records: number;
}

/**
 * Publishes through the producer thread (kafka-producer-thread.ts): records are encoded here, straight
 * into the buffer handed over (kafka-record-packer.ts); kafkajs runs on its own core. publish() resolves
 * once the broker acknowledged every record, as before.
 */
export class KafkaLogProducer implements LogProducer {
  readonly transport = 'kafka' as const;
  private closed = false;
  private failure: EventLogError | null = null;
  private needsReset = false;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  static async open(options: KafkaLogOptions): Promise<KafkaLogProducer> {
    await prepareTopic(client(options, 'collector'), options);
    const settings: ProducerThreadSettings = {
      brokers: options.brokers,
      topic: options.topic,
      maxSendBytes: options.maxSendBytes ?? 8 * 1024 * 1024,
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      ...(options.client === undefined ? {} : { client: options.client }),
    };
    const worker = new Worker(threadEntry('kafka-producer-thread'), { workerData: settings });
    const self = new KafkaLogProducer(worker);
    const log = pinoSink(options.logger, 'collector');
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromProducer) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'log') log(m.line);
        else if (m.type === 'sent') self.settle(m.id, null);
        else if (m.type === 'failed') {
          const cause = Object.assign(new Error(m.message), { name: m.name });
          if (m.id === null) reject(new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: 0 }, { cause }));
          else self.settle(m.id, cause);
        }
      });
      worker.on('error', (err) => {
        self.fail(err);
        reject(new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: 0 }, { cause: err }));
      });
      worker.on('exit', (code) => {
        if (!self.closed) self.fail(new Error(`the Kafka producer thread exited (code ${code})`));
        reject(new Error(`the Kafka producer thread exited (code ${code})`));
      });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return self;
  }

  private settle(id: number, err: Error | null): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (!err) return w.resolve();
    // The thread fails everything queued behind a failed send; the next publish starts afresh.
    this.needsReset = true;
    w.reject(new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: w.records }, { cause: err }));
  }

  /** The thread is gone: every publish waiting for it fails, and so will every later one. */
  private fail(err: Error): void {
    this.failure ??= new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: 0 }, { cause: err });
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.reject(new EventLogError('EVENTLOG_PUBLISH_FAILED', { transport: 'kafka', records: w.records }, { cause: err }));
    }
  }

  publish(records: readonly LogRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new EventLogError('EVENTLOG_CLOSED', { transport: 'kafka' }));
    if (this.failure) return Promise.reject(this.failure);
    if (records.length === 0) return Promise.resolve();
    const packed = packRecords(records);
    if (this.needsReset) {
      this.needsReset = false;
      this.post({ type: 'reset' });
    }
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, records: records.length });
      this.post({ type: 'send', id, packed }, [packed.data, packed.layout.buffer as ArrayBuffer]);
    });
  }

  private post(m: ToProducer, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.failure) this.post({ type: 'close' });
    // The thread disconnects after the sends already queued; it is stopped if it does not end in time.
    const timer = setTimeout(() => void this.worker.terminate(), 30_000);
    await this.exited;
    clearTimeout(timer);
    this.fail(new Error('the Kafka producer is closed'));
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

/**
 * Reads through the consumer thread (kafka-consumer-thread.ts): batches arrive packed, and records
 * are decoded here (events only to their head: the archiver copies their bytes).
 */
export class KafkaLogConsumer implements LogConsumer {
  readonly transport = 'kafka' as const;
  private readonly queue: Pending[] = [];
  private failure: EventLogError | null = null;
  private closed = false;
  private wakePoll: (() => void) | null = null;
  private nextCommitId = 1;
  private readonly commits = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly exited: Promise<void>;
  /** Bytes polled but not yet reported to the thread: reported in lumps, each report wakes the thread. */
  private unreported = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly reportEvery: number,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  static async open(options: KafkaLogConsumerOptions): Promise<KafkaLogConsumer> {
    await prepareTopic(client(options, 'archiver'), options);
    const settings: ConsumerThreadSettings = {
      brokers: options.brokers,
      topic: options.topic,
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      maxBytesPerPartition: Math.max(16 * 1024 * 1024, options.maxMessageBytes ?? 0),
      maxPendingBytes: options.maxPendingBytes ?? 32 * 1024 * 1024,
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      ...(options.client === undefined ? {} : { client: options.client }),
    };
    const worker = new Worker(threadEntry('kafka-consumer-thread'), { workerData: settings });
    // The thread over-counts by at most a quarter of its limit, so it can never wait on bytes already taken.
    const self = new KafkaLogConsumer(worker, settings.maxPendingBytes / 4);
    const log = pinoSink(options.logger, 'archiver');
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromConsumer) => {
        switch (m.type) {
          case 'ready':
            return resolve();
          case 'log':
            return log(m.line);
          case 'batch':
            return self.take(m);
          case 'committed':
            return self.committed(m.id, m.error);
          case 'failed': {
            const cause = Object.assign(new Error(m.message), { name: m.name });
            self.fail(cause);
            return reject(new EventLogError('EVENTLOG_CONSUMER_FAILED', { transport: 'kafka', detail: m.message }, { cause }));
          }
          case 'closed':
            return;
        }
      });
      worker.on('error', (err) => {
        self.fail(err);
        reject(err);
      });
      worker.on('exit', (code) => {
        if (!self.closed) self.fail(new Error(`the Kafka consumer thread exited (code ${code})`));
        reject(new Error(`the Kafka consumer thread exited (code ${code})`));
      });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return self;
  }

  private take(m: Extract<FromConsumer, { type: 'batch' }>): void {
    if (this.failure) return;
    const records: LogRecord[] = [];
    for (const message of unpackBatch(m.packed)) {
      try {
        records.push(decodeRecord(message));
      } catch (err) {
        // A record that cannot be decoded will not decode on retry: stop here, offsets untouched.
        const detail = err instanceof Error ? err.message : String(err);
        this.failure = new EventLogError('EVENTLOG_DECODE_FAILED', { topic: m.topic, partition: m.partition, offset: message.offset, detail }, { cause: err });
        this.wakePoll?.();
        return;
      }
    }
    const cursor: LogCursor = { transport: 'kafka', topic: m.topic, partition: m.partition, offset: m.next };
    this.queue.push({ delivery: { records, cursor }, bytes: m.bytes });
    this.wakePoll?.();
  }

  private committed(id: number, error: string | null): void {
    const waiting = this.commits.get(id);
    if (!waiting) return;
    this.commits.delete(id);
    if (error === null) waiting.resolve();
    else waiting.reject(new EventLogError('EVENTLOG_COMMIT_FAILED', { transport: 'kafka', detail: error }, { cause: new Error(error) }));
  }

  private fail(err: Error): void {
    this.failure ??= new EventLogError('EVENTLOG_CONSUMER_FAILED', { transport: 'kafka', detail: err.message }, { cause: err });
    this.wakePoll?.();
    for (const [id, waiting] of this.commits) {
      this.commits.delete(id);
      waiting.reject(new EventLogError('EVENTLOG_COMMIT_FAILED', { transport: 'kafka', detail: err.message }, { cause: err }));
    }
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
    this.unreported += next.bytes;
    if (this.unreported >= this.reportEvery) {
      const message: ToConsumer = { type: 'taken', bytes: this.unreported };
      this.worker.postMessage(message);
      this.unreported = 0;
    }
    return next.delivery;
  }

  commit(cursor: LogCursor): Promise<void> {
    if (cursor.transport !== 'kafka') return Promise.reject(new TypeError('a Kafka consumer commits Kafka cursors only'));
    if (this.closed) return Promise.reject(new EventLogError('EVENTLOG_CLOSED', { transport: 'kafka' }));
    if (this.failure) return Promise.reject(new EventLogError('EVENTLOG_COMMIT_FAILED', { transport: 'kafka', detail: this.failure.message }, { cause: this.failure }));
    const id = this.nextCommitId++;
    return new Promise<void>((resolve, reject) => {
      this.commits.set(id, { resolve, reject });
      const message: ToConsumer = { type: 'commit', id, topic: cursor.topic, partition: cursor.partition, offset: cursor.offset };
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const message: ToConsumer = { type: 'close' };
    this.worker.postMessage(message);
    // The thread leaves the group and ends; it is stopped if it does not end in time.
    const timer = setTimeout(() => void this.worker.terminate(), 30_000);
    await this.exited;
    clearTimeout(timer);
    this.fail(new Error('the Kafka consumer is closed'));
  }
}
