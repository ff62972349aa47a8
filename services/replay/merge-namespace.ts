/**
 * The k-way merge of one namespace: its base records (sorted by key) and its
 * sorted runs of events, through a binary heap ordered by (key, source), so a
 * key's base document comes first and its events follow in position order
 * (runs are written in time order and each is sorted stably by key). Each
 * key's events are folded onto its base document with the same rules as the
 * in-memory replay.
 */
import type { ChangeEvent } from '../../contracts/avro/change-event.js';
import type { SnapshotRecord } from '../../contracts/avro/snapshot-record.js';
import { applyDocumentEvent } from './apply-document.js';
import { BinaryHeap } from './binary-heap.js';
import { compareKeys } from './key-order.js';
import { runRecordEvent, runRecordKey } from './run-record.js';

interface Item {
  key: Buffer;
  /** The encoded run record. */
  rec?: Buffer;
}

/** One sorted input of the merge. */
class Cursor {
  head: Item | undefined;
  private batch: readonly Item[] = [];
  private at = 0;

  constructor(
    readonly order: number,
    private readonly it: AsyncIterator<readonly Item[]>,
  ) {}

  async advance(): Promise<boolean> {
    if (this.at < this.batch.length) {
      this.head = this.batch[this.at++];
      return true;
    }
    for (;;) {
      const r = await this.it.next();
      if (r.done === true) {
        this.head = undefined;
        return false;
      }
      if (r.value.length === 0) continue;
      this.batch = r.value;
      this.head = this.batch[0];
      this.at = 1;
      return true;
    }
  }
}

async function* runItems(batches: AsyncIterable<readonly Buffer[]>): AsyncIterable<readonly Item[]> {
  for await (const b of batches) yield b.map((rec) => ({ key: runRecordKey(rec), rec }));
}

/** A buffered event: its encoded run record and, for sorting, a view of the key inside it. */
export interface RunEntry {
  key: Buffer;
  rec: Buffer;
}

async function* memoryItems(entries: readonly RunEntry[]): AsyncIterable<readonly Item[]> {
  for (let i = 0; i < entries.length; i += 4096) yield await Promise.resolve(entries.slice(i, i + 4096));
}

export interface MergeInputs {
  base?: AsyncIterable<SnapshotRecord>;
  /** Sorted runs in the order they were written (earlier events first). */
  runs: AsyncIterable<readonly Buffer[]>[];
  /** The last, unspilled records, already sorted. */
  tail: readonly RunEntry[];
  onGap: (ev: ChangeEvent, reason: string) => void;
}

export function mergeNamespace(inputs: MergeInputs): AsyncIterable<SnapshotRecord> {
  // Nothing to fold: the base passes through untouched.
  if (inputs.runs.length === 0 && inputs.tail.length === 0) return inputs.base ?? emptyRecords();
  return { [Symbol.asyncIterator]: () => new MergeIterator(inputs) };
}

async function* emptyRecords(): AsyncIterable<SnapshotRecord> {}

const DONE: IteratorResult<SnapshotRecord> = { done: true, value: undefined };

/**
 * The merge as a hand-written iterator rather than an async generator: most
 * records pass straight from the base to the reader, and a generator's yield
 * costs several extra promise turns per record.
 *
 * The event sources go through the heap; the base, usually far larger, is
 * merged against the heap's top directly, so a base record whose key has no
 * events costs one key comparison.
 */
class MergeIterator implements AsyncIterator<SnapshotRecord> {
  private readonly heap = new BinaryHeap<Cursor>((a, b) => {
    const c = compareKeys((a.head as Item).key, (b.head as Item).key);
    return c < 0 || (c === 0 && a.order < b.order);
  });
  private base: AsyncIterator<SnapshotRecord> | undefined;
  private pending: IteratorResult<SnapshotRecord> = DONE;
  private started = false;

  constructor(private readonly inputs: MergeInputs) {}

  private async start(): Promise<void> {
    this.started = true;
    const sources: AsyncIterable<readonly Item[]>[] = this.inputs.runs.map((run) => runItems(run));
    if (this.inputs.tail.length > 0) sources.push(memoryItems(this.inputs.tail));
    const cursors = sources.map((s, i) => new Cursor(i, s[Symbol.asyncIterator]()));
    for (const c of cursors) if (await c.advance()) this.heap.push(c);
    this.base = this.inputs.base?.[Symbol.asyncIterator]();
    if (this.base) this.pending = await this.base.next();
  }

  /** Hands out the pending base record and reads the next one. */
  private async takeBase(): Promise<IteratorResult<SnapshotRecord>> {
    const out = this.pending;
    this.pending = await (this.base as AsyncIterator<SnapshotRecord>).next();
    return out;
  }

  async next(): Promise<IteratorResult<SnapshotRecord>> {
    if (!this.started) await this.start();
    const heap = this.heap;
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return this.pending.done === true ? DONE : this.takeBase();
      const key = (top.head as Item).key;
      let doc: Buffer | undefined;
      if (this.pending.done !== true) {
        const order = compareKeys(this.pending.value.key, key);
        if (order < 0) return this.takeBase();
        if (order === 0) {
          doc = this.pending.value.document;
          await this.takeBase();
        }
      }
      // Fold every event of this key, in position order, onto the base document (if any).
      for (;;) {
        const c = heap.peek();
        if (c === undefined) break;
        const item = c.head as Item;
        if (compareKeys(item.key, key) !== 0) break;
        if (item.rec !== undefined) {
          const ev = runRecordEvent(item.rec);
          const outcome = applyDocumentEvent(doc, ev);
          if (outcome.kind === 'put') doc = outcome.doc;
          else if (outcome.kind === 'delete') doc = undefined;
          else {
            this.inputs.onGap(ev, outcome.reason);
            doc = undefined;
          }
        }
        if (await c.advance()) heap.replaceTop(c);
        else heap.pop();
      }
      if (doc !== undefined) return { done: false, value: { key, document: doc } };
    }
  }

  async return(): Promise<IteratorResult<SnapshotRecord>> {
    await this.base?.return?.();
    return DONE;
  }
}
