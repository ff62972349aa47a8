/**
 * The Kafka consumer's own thread: kafkajs fetches, decodes record batches and
 * keeps the group membership here, beside the archiver rather than on its
 * thread. Semantics are those of the consumer it replaces: a batch's fetch
 * position moves on once the batch is handed over, the group offset only when
 * the main thread commits (after the segment holding it is durable), and the
 * fetch loop waits, heartbeating, while too many bytes are handed over but not
 * yet polled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { kafkaClient } from './kafka-client.js';
import { packBatch } from './kafka-consumer-protocol.js';
import type { ConsumerThreadSettings, FromConsumer, ToConsumer } from './kafka-consumer-protocol.js';

const port = parentPort;
if (!port) throw new Error('kafka-consumer-thread runs in a worker thread');
const settings = workerData as ConsumerThreadSettings;
const post = (m: FromConsumer, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const kafka = kafkaClient(settings, 'archiver', (line) => {
  const extra = Object.fromEntries(Object.entries(line.extra).map(([k, v]) => [k, v instanceof Error ? v.message : typeof v === 'object' || typeof v === 'function' ? typeof v : v]));
  post({ type: 'log', line: { ...line, extra } });
});
const consumer = kafka.consumer({
  groupId: settings.groupId,
  allowAutoTopicCreation: false,
  sessionTimeout: settings.sessionTimeoutMs,
  heartbeatInterval: Math.max(500, Math.floor(settings.sessionTimeoutMs / 10)),
  maxBytesPerPartition: settings.maxBytesPerPartition,
});

let pendingBytes = 0;
let closed = false;
let wakeFetch: (() => void) | null = null;

consumer.on(consumer.events.CRASH, (e) => {
  // kafkajs restarts after retriable crashes by itself; a non-retriable one ends this consumer.
  if (!e.payload.restart) post({ type: 'failed', message: e.payload.error.message, name: e.payload.error.name });
});

port.on('message', (m: ToConsumer) => {
  if (m.type === 'taken') {
    pendingBytes -= m.bytes;
    wakeFetch?.();
  } else if (m.type === 'commit') {
    consumer.commitOffsets([{ topic: m.topic, partition: m.partition, offset: m.offset }]).then(
      () => post({ type: 'committed', id: m.id, error: null }),
      (err: unknown) => post({ type: 'committed', id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  } else {
    closed = true;
    wakeFetch?.();
    void consumer
      .disconnect()
      .catch(() => undefined)
      .then(() => {
        post({ type: 'closed' });
        port.close();
      });
  }
});

async function start(): Promise<void> {
  await consumer.connect();
  // A new group starts at the beginning: the log holds everything not yet archived.
  await consumer.subscribe({ topics: [settings.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const last = batch.messages.at(-1);
      if (!last || closed) return;
      const packed = packBatch(batch.messages);
      const bytes = packed.data.byteLength + 100 * batch.messages.length;
      pendingBytes += bytes;
      const next = (BigInt(last.offset) + 1n).toString();
      post({ type: 'batch', topic: batch.topic, partition: batch.partition, next, bytes, packed }, [packed.data, packed.lengths.buffer as ArrayBuffer]);
      // Back-pressure: hold the fetch loop while the archiver is behind, heartbeating so the group keeps us.
      while (pendingBytes > settings.maxPendingBytes && payload.isRunning() && !payload.isStale() && !closed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          wakeFetch = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        await payload.heartbeat();
      }
      // Resolving only moves the fetch position; the group offset moves on commit, after durability.
      payload.resolveOffset(last.offset);
      await payload.heartbeat();
    },
  });
}

start().then(
  () => post({ type: 'ready' }),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', message: e.message, name: e.name });
  },
);
