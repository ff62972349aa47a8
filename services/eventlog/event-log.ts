/**
 * The event log port between the collector and the archiver. Two transports
 * implement it: embedded (one process; the archive itself is the durable log)
 * and Kafka (collector and archiver apart).
 *
 * Contract:
 * - publish() appends records in order and resolves once the log holds them
 *   as durably as the transport can: Kafka after every in-sync replica has
 *   them; embedded once the archiver has taken them (the archive is the log
 *   there, so the resume token only becomes durable in the catalog, together
 *   with the segment that holds the events it covers).
 * - poll() hands out records in publish order; commit(cursor) says everything
 *   up to that delivery is durable downstream (in a catalogued segment), so
 *   the log may forget it. A consumer that restarts gets everything after its
 *   last commit again: re-delivered events are absorbed downstream by their
 *   stable ids (positions), never applied twice.
 */
import type { LogRecord } from './log-record.js';

export type LogCursor =
  | { transport: 'embedded'; sequence: number }
  | { transport: 'kafka'; topic: string; partition: number; /** the next offset to read */ offset: string };

export interface LogDelivery {
  records: LogRecord[];
  /** Commit this to say every record of this delivery (and before) is durable downstream. */
  cursor: LogCursor;
}

export interface LogProducer {
  readonly transport: 'embedded' | 'kafka';
  publish(records: readonly LogRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface LogConsumer {
  readonly transport: 'embedded' | 'kafka';
  /** The next delivery in log order, or null when nothing came within waitMs. */
  poll(waitMs: number): Promise<LogDelivery | null>;
  commit(cursor: LogCursor): Promise<void>;
  close(): Promise<void>;
}
