/**
 * The log topic, created by rewind with the settings the log needs, and
 * checked when it already exists.
 *
 * One partition per source. Kafka keeps order per partition only; the
 * archiver writes segments in position order and commits "complete up to P".
 * With several partitions (keyed by namespace + document key) it would have to
 * merge them by position and could only trust P once every partition had
 * passed it (watermarks carried by heartbeats on each partition), and the
 * collector's checkpoints would have to be per partition. One change stream is
 * one cursor, far slower than one partition's throughput, so a single
 * partition costs nothing and gives the total order directly. Keys are still
 * namespace + document key (kafka-record-codec.ts), so a topic repartitioned
 * by an operator keeps each document's events in order.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { EventLogError } from './eventlog-errors.js';

export interface LogTopicSettings {
  topic: string;
  /** How long the log keeps records. The archiver must never lag behind more than this. */
  retentionMs: number;
  /** Largest record the log accepts (a 16 MiB document with pre- and post-images fits). */
  maxMessageBytes: number;
  /** Default: min(3, brokers). */
  replicationFactor?: number;
}

export const DEFAULT_TOPIC_SETTINGS = {
  retentionMs: 7 * 24 * 3600 * 1000,
  maxMessageBytes: 64 * 1024 * 1024,
} as const;

export function topicConfigEntries(settings: LogTopicSettings, replicationFactor: number): ITopicConfig['configEntries'] {
  return [
    // Never compact: compaction keeps only the latest record per key, and the log must keep every event.
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: String(settings.retentionMs) },
    { name: 'retention.bytes', value: '-1' },
    // acks=all means "every in-sync replica"; with min.insync.replicas 2 that is at least two copies.
    { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
    // A replica that missed acknowledged writes must never become leader.
    { name: 'unclean.leader.election.enable', value: 'false' },
    { name: 'max.message.bytes', value: String(settings.maxMessageBytes) },
  ];
}

/** Creates the topic (one partition) or checks that the existing one has one partition. */
export async function ensureLogTopic(admin: Admin, settings: LogTopicSettings): Promise<{ created: boolean }> {
  const { topic } = settings;
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = meta.topics[0]?.partitions.length ?? 0;
      if (partitions !== 1) throw new EventLogError('EVENTLOG_TOPIC_LAYOUT', { topic, partitions });
      return { created: false };
    }
    const cluster = await admin.describeCluster();
    const replicationFactor = settings.replicationFactor ?? Math.min(3, cluster.brokers.length);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor, configEntries: topicConfigEntries(settings, replicationFactor) }],
    });
    return { created: true };
  } catch (err) {
    if (err instanceof EventLogError) throw err;
    throw new EventLogError('EVENTLOG_TOPIC_SETUP_FAILED', { topic }, { cause: err });
  }
}
