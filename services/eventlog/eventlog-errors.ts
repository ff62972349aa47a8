/**
 * Errors of the event log: its codes (in contracts/errors.ts's catalog, which
 * says whether a retry can help: a broker that is briefly unreachable may
 * answer later, a topic with the wrong layout or an undecodable record will
 * not), their typed contexts, and the message each code words from them.
 */
import { RewindError } from '../../contracts/errors.js';

export interface EventLogErrorContexts {
  EVENTLOG_CLOSED: { transport: string };
  EVENTLOG_UNREACHABLE: { brokers: string };
  EVENTLOG_TOPIC_LAYOUT: { topic: string; partitions: number };
  EVENTLOG_TOPIC_SETUP_FAILED: { topic: string };
  EVENTLOG_PUBLISH_FAILED: { transport: string; records: number };
  EVENTLOG_COMMIT_FAILED: { transport: string; detail: string };
  EVENTLOG_DECODE_FAILED: { topic: string; partition: number; offset: string; detail: string };
  EVENTLOG_CONSUMER_FAILED: { transport: string; detail: string };
}

export type EventLogErrorCode = keyof EventLogErrorContexts;

const MESSAGES: { [C in EventLogErrorCode]: (c: EventLogErrorContexts[C]) => string } = {
  EVENTLOG_CLOSED: (c) => `the ${c.transport} event log is closed`,
  EVENTLOG_UNREACHABLE: (c) => `cannot reach the Kafka brokers ${c.brokers}; check that they are running and that --kafka-brokers (REWIND_KAFKA_BROKERS) names them`,
  EVENTLOG_TOPIC_LAYOUT: (c) =>
    `topic ${c.topic} has ${c.partitions} partitions; rewind needs exactly 1 so that the log keeps the source's total order (delete the topic or choose another with --topic)`,
  EVENTLOG_TOPIC_SETUP_FAILED: (c) => `cannot create or check topic ${c.topic}`,
  EVENTLOG_PUBLISH_FAILED: (c) => `publishing ${c.records} records to the ${c.transport} log failed`,
  EVENTLOG_COMMIT_FAILED: (c) => `committing the ${c.transport} log position failed: ${c.detail}`,
  EVENTLOG_DECODE_FAILED: (c) => `cannot decode the record at ${c.topic}[${c.partition}]@${c.offset}: ${c.detail}`,
  EVENTLOG_CONSUMER_FAILED: (c) => `the ${c.transport} consumer failed: ${c.detail}`,
};

/** The event log's codes, for the tests and the reference that walk every code. */
export const EVENTLOG_CODES = Object.keys(MESSAGES) as EventLogErrorCode[];

export class EventLogError<C extends EventLogErrorCode = EventLogErrorCode> extends RewindError<C, EventLogErrorContexts[C]> {
  constructor(code: C, context: EventLogErrorContexts[C], options?: { cause?: unknown }) {
    const message = (MESSAGES[code] as (c: EventLogErrorContexts[C]) => string)(context);
    const causeText = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(code, `${message}${causeText}`, { context, cause: options?.cause });
    this.name = 'EventLogError';
  }
}
