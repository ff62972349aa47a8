/**
 * Errors of the event log, with stable codes and whether a retry can help: a
 * broker that is briefly unreachable may answer later, a topic with the wrong
 * layout or an undecodable record will not.
 */
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

const SPECS: { [C in EventLogErrorCode]: { retryable: boolean; message: (c: EventLogErrorContexts[C]) => string } } = {
  EVENTLOG_CLOSED: { retryable: false, message: (c) => `the ${c.transport} event log is closed` },
  EVENTLOG_UNREACHABLE: {
    retryable: true,
    message: (c) => `cannot reach the Kafka brokers ${c.brokers}; check that they are running and that --kafka-brokers (REWIND_KAFKA_BROKERS) names them`,
  },
  EVENTLOG_TOPIC_LAYOUT: {
    retryable: false,
    message: (c) =>
      `topic ${c.topic} has ${c.partitions} partitions; rewind needs exactly 1 so that the log keeps the source's total order (delete the topic or choose another with --topic)`,
  },
  EVENTLOG_TOPIC_SETUP_FAILED: { retryable: true, message: (c) => `cannot create or check topic ${c.topic}` },
  EVENTLOG_PUBLISH_FAILED: { retryable: true, message: (c) => `publishing ${c.records} records to the ${c.transport} log failed` },
  EVENTLOG_COMMIT_FAILED: { retryable: true, message: (c) => `committing the ${c.transport} log position failed: ${c.detail}` },
  EVENTLOG_DECODE_FAILED: {
    retryable: false,
    message: (c) => `cannot decode the record at ${c.topic}[${c.partition}]@${c.offset}: ${c.detail}`,
  },
  EVENTLOG_CONSUMER_FAILED: { retryable: true, message: (c) => `the ${c.transport} consumer failed: ${c.detail}` },
};

export class EventLogError<C extends EventLogErrorCode = EventLogErrorCode> extends Error {
  readonly code: C;
  readonly context: Readonly<EventLogErrorContexts[C]>;
  readonly retryable: boolean;

  constructor(code: C, context: EventLogErrorContexts[C], options?: { cause?: unknown }) {
    const spec = SPECS[code];
    const causeText = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(`${code}: ${spec.message(context)}${causeText}`, options);
    this.name = 'EventLogError';
    this.code = code;
    this.context = Object.freeze({ ...context });
    this.retryable = spec.retryable;
  }
}
