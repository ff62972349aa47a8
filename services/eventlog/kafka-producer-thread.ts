/**
 * The Kafka producer's own thread. kafkajs spends as much CPU per record as
 * rewind's own capture work (record encoding, CRCs, and an allocation per
 * message that grows with the send), and its garbage made every collection of
 * the main thread's young heap slower. Here it runs beside the collector on a
 * second core. Semantics are unchanged: an idempotent producer, one request in
 * flight, acks from every in-sync replica, sends in the order they arrive; the
 * main thread hears "sent" only after the broker acknowledged every record.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import { kafkaClient, onePartitionFirst } from './kafka-client.js';
import type { FromProducer, ProducerThreadSettings, ToProducer } from './kafka-producer-protocol.js';
import { unpackMessages } from './kafka-producer-protocol.js';

const port = parentPort;
if (!port) throw new Error('kafka-producer-thread runs in a worker thread');
const settings = workerData as ProducerThreadSettings;
const post = (m: FromProducer) => port.postMessage(m);

const kafka = kafkaClient(settings, 'collector', (line) => {
  // A log field that cannot be cloned (a socket, a function) is sent as text.
  try {
    post({ type: 'log', line });
  } catch {
    const fields = Object.fromEntries(Object.entries(line.extra).map(([k, v]) => [k, v instanceof Error ? v.message : typeof v === 'object' || typeof v === 'function' ? typeof v : v]));
    post({ type: 'log', line: { ...line, extra: fields } });
  }
});
// Idempotent: the broker drops a retried batch it already has, so a retry never duplicates or reorders.
// One request in flight and every send awaited: records reach the partition in publish order.
const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: onePartitionFirst });

let chain: Promise<void> = Promise.resolve();
/**
 * After a failed send, every send already queued behind it fails too: each was published after the
 * failed one, and letting it in would put its records in the log with a hole before them. The main
 * thread says `reset` once it has seen the failure; what it sends after that is a fresh start.
 */
let poisoned: { message: string; name: string } | null = null;

async function send(id: number, message: Extract<ToProducer, { type: 'send' }>): Promise<void> {
  if (poisoned) {
    post({ type: 'failed', id, message: `not sent after an earlier failure: ${poisoned.message}`, name: poisoned.name });
    return;
  }
  const messages = unpackMessages(message.packed);
  try {
    // Split by bytes, in order; each send waits for the previous one's acknowledgement.
    let start = 0;
    while (start < messages.length) {
      let end = start;
      let bytes = 0;
      while (end < messages.length) {
        const m = messages[end];
        const size = m ? m.key.length + m.value.length : 0;
        if (end > start && bytes + size > settings.maxSendBytes) break;
        bytes += size;
        end += 1;
      }
      await producer.send({ topic: settings.topic, acks: -1, messages: messages.slice(start, end) });
      start = end;
    }
    post({ type: 'sent', id });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    poisoned = { message: e.message, name: e.name };
    post({ type: 'failed', id, message: e.message, name: e.name });
  }
}

port.on('message', (m: ToProducer) => {
  if (m.type === 'send') {
    chain = chain.then(() => send(m.id, m));
    return;
  }
  if (m.type === 'reset') {
    chain = chain.then(() => {
      poisoned = null;
    });
    return;
  }
  chain = chain
    .then(() => producer.disconnect())
    .catch(() => undefined)
    .then(() => {
      post({ type: 'closed' });
      port.close();
    });
});

producer.connect().then(
  () => post({ type: 'ready' }),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', id: null, message: e.message, name: e.name });
  },
);
