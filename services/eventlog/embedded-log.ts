/**
 * The embedded transport: collector and archiver in one process. Records pass
 * through a bounded in-memory queue (back-pressure: publish waits while the
 * archiver is behind by more than maxPendingBytes). Nothing here is durable by
 * itself: the archive is the log. The archiver commits the resume token in the
 * catalog only with the segment holding the events it covers, so after a crash
 * the collector resumes from there and the lost tail of this queue is simply
 * read again from the change stream.
 */
import { EventLogError } from './eventlog-errors.js';
import type { LogConsumer, LogCursor, LogDelivery, LogProducer } from './event-log.js';
import { approximateRecordBytes } from './log-record.js';
import type { LogRecord } from './log-record.js';

export interface EmbeddedLogOptions {
  /** Publish waits while this many bytes are queued and not yet taken. Default 32 MiB. */
  maxPendingBytes?: number;
}

interface Item {
  records: LogRecord[];
  bytes: number;
  sequence: number;
}

export class EmbeddedLog {
  private readonly maxPendingBytes: number;
  private readonly queue: Item[] = [];
  private pendingBytes = 0;
  private sequence = 0;
  private producerClosed = false;
  private consumerClosed = false;
  private wakeConsumer: (() => void) | null = null;
  private readonly wakeProducers: (() => void)[] = [];

  constructor(options: EmbeddedLogOptions = {}) {
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
  }

  /** True once the producer is closed and the consumer has taken everything. */
  get ended(): boolean {
    return this.producerClosed && this.queue.length === 0;
  }

  readonly producer: LogProducer = {
    transport: 'embedded',
    publish: async (records) => {
      if (this.producerClosed || this.consumerClosed) throw new EventLogError('EVENTLOG_CLOSED', { transport: 'embedded' });
      if (records.length === 0) return;
      const bytes = records.reduce((n, r) => n + approximateRecordBytes(r), 0);
      // Always admit into an empty queue, so one oversized batch cannot block forever.
      while (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes) {
        await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
        if (this.consumerClosed) throw new EventLogError('EVENTLOG_CLOSED', { transport: 'embedded' });
      }
      this.sequence += 1;
      this.queue.push({ records: [...records], bytes, sequence: this.sequence });
      this.pendingBytes += bytes;
      this.wakeConsumer?.();
    },
    close: () => {
      this.producerClosed = true;
      this.wakeConsumer?.();
      return Promise.resolve();
    },
  };

  readonly consumer: LogConsumer = {
    transport: 'embedded',
    poll: async (waitMs) => {
      if (this.consumerClosed) throw new EventLogError('EVENTLOG_CLOSED', { transport: 'embedded' });
      if (this.queue.length === 0 && !this.producerClosed && waitMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, waitMs);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.wakeConsumer = done;
        });
        this.wakeConsumer = null;
      }
      const item = this.queue.shift();
      if (!item) return null;
      this.pendingBytes -= item.bytes;
      for (const wake of this.wakeProducers.splice(0)) wake();
      const delivery: LogDelivery = { records: item.records, cursor: { transport: 'embedded', sequence: item.sequence } };
      return delivery;
    },
    // The archive is the durable log: the archiver's catalog update is the commit.
    commit: (_cursor: LogCursor) => Promise.resolve(),
    close: () => {
      this.consumerClosed = true;
      for (const wake of this.wakeProducers.splice(0)) wake();
      return Promise.resolve();
    },
  };
}
