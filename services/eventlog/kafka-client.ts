/**
 * The kafkajs client as rewind configures it, shared by the consumer (main
 * thread) and the producer (its own thread, kafka-producer-thread.ts).
 */
import { Kafka, Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import type { ICustomPartitioner, KafkaConfig, LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/** What the client needs besides brokers; every field can cross a thread boundary. */
export interface KafkaClientSettings {
  brokers: string[];
  clientId?: string;
  /** Extra kafkajs client settings (ssl, sasl, timeouts). */
  client?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
}

/** One kafkajs log line, in a shape that survives postMessage. */
export interface KafkaLogLine {
  level: KafkaLogLevel;
  namespace: string;
  message: string;
  extra: Record<string, unknown>;
}

export function kafkaClient(settings: KafkaClientSettings, role: string, sink: (line: KafkaLogLine) => void): Kafka {
  return new Kafka({
    ...settings.client,
    brokers: settings.brokers,
    clientId: settings.clientId ?? `rewind-${role}`,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      sink({ level: entry.level, namespace: entry.namespace, message, extra });
    },
  });
}

/** kafkajs logs through the process's pino logger. */
export function pinoSink(logger: Logger | undefined, role: string): (line: KafkaLogLine) => void {
  const log = logger?.child({ component: `kafka-${role}` });
  return (line) => {
    if (!log) return;
    const fields = { ...line.extra, namespace: line.namespace };
    if (line.level <= KafkaLogLevel.ERROR) log.error(fields, line.message);
    else if (line.level === KafkaLogLevel.WARN) log.warn(fields, line.message);
    else log.debug(fields, line.message);
  };
}

/**
 * The log topic has one partition (kafka-topic.ts): every record goes there without hashing its key
 * (murmur2 over every key was a visible share of publishing). Records still carry their keys, and a
 * topic an operator gave more partitions is partitioned by key as kafkajs's default does.
 */
export const onePartitionFirst: ICustomPartitioner = () => {
  const byKey = Partitioners.DefaultPartitioner();
  return (args) => {
    const only = args.partitionMetadata.length === 1 ? args.partitionMetadata[0] : undefined;
    return only ? only.partitionId : byKey(args);
  };
};
