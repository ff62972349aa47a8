/**
 * One namespace's documents in the in-memory replay, kept off the JavaScript
 * heap. A Map of Buffers costs a key string, an object and a small Buffer per
 * document and per update, and a garbage collector that traces them all.
 * Here every version of a document is a record appended to one growing slab:
 *
 *   entry (u32) | key length (u32) | document length (u32) | key | document
 *
 * An entry number locates its current record (`recordAt`); an open-addressing
 * table of (key hash, entry) pairs finds the entry of a key. A lookup touches
 * the table, `recordAt` and the record itself, whose key sits right before the
 * document: three places in memory, where a random update's cost is mostly
 * cache misses. An update writes its new version straight after the slab's
 * last record; the old version is dead space, reclaimed by compacting the
 * slab in place when much of it is dead.
 */
import { int32At } from './bson-bytes.js';
import { BsonWriter } from './bson-writer.js';
import { writeUpdated } from './apply-update.js';
import type { PathNode } from './apply-update.js';

const INITIAL_SLAB = 16 * 1024;
const HEADER = 12;

function setUint32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  // FNV-1a: keys are a few bytes ({ _id } documents), where it is both fast and well spread.
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h ^ (h >>> 15);
}

export class DocumentStore {
  /** `slab.buf[0, slab.pos)` holds the records, live and dead. */
  private readonly slab = new BsonWriter(Buffer.allocUnsafeSlow(INITIAL_SLAB));
  private dead = 0;
  /** Each entry's current record (-1: the entry is free). Freed entries are reused. */
  private recordAt = new Float64Array(64);
  private top = 0;
  private readonly free: number[] = [];
  private count = 0;
  /** Linear-probing table of (hash, entry + 1) pairs (entry + 1 = 0: empty), at most half full. */
  private table = new Int32Array(256);
  private mask = 127;

  get size(): number {
    return this.count;
  }

  /** The entry of `key`, or -1. */
  find(key: Uint8Array): number {
    const n = key.length;
    const h = hashBytes(key, 0, n);
    const t = this.table;
    const mask = this.mask;
    const buf = this.slab.buf;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const v = t[2 * slot + 1] as number;
      if (v === 0) return -1;
      if (t[2 * slot] !== h) continue;
      const at = this.recordAt[v - 1] as number;
      if (int32At(buf, at + 4) !== n) continue;
      const k = at + HEADER;
      let i = 0;
      while (i < n && buf[k + i] === key[i]) i++;
      if (i === n) return v - 1;
    }
  }

  /** The current document of an entry, as a copy of its own. */
  document(entry: number): Buffer {
    const at = this.recordAt[entry] as number;
    const doc = at + HEADER + int32At(this.slab.buf, at + 4);
    return Buffer.from(this.slab.buf.subarray(doc, doc + int32At(this.slab.buf, at + 8)));
  }

  /** Every entry's key and document, as copies of their own, in no particular order. */
  entries(): { key: Buffer; document: Buffer }[] {
    const out: { key: Buffer; document: Buffer }[] = [];
    const buf = this.slab.buf;
    for (let e = 0; e < this.top; e++) {
      const at = this.recordAt[e] as number;
      if (at < 0) continue;
      out.push({ key: Buffer.from(buf.subarray(at + HEADER, at + HEADER + int32At(buf, at + 4))), document: this.document(e) });
    }
    return out;
  }

  /** Stores `doc` as the document of `key` (a new entry, or a new version of an existing one). */
  put(key: Uint8Array, doc: Uint8Array): void {
    const e = this.find(key);
    if (e >= 0) this.replace(e, doc);
    else this.add(key, doc);
  }

  /** A new entry for an absent key. */
  add(key: Uint8Array, doc: Uint8Array): number {
    const e = this.link(hashBytes(key, 0, key.length));
    const at = this.beginRecord(e, key, 0, key.length);
    this.slab.copy(doc, 0, doc.length);
    this.endRecord(at);
    this.recordAt[e] = at;
    return e;
  }

  replace(entry: number, doc: Uint8Array): void {
    const old = this.recordAt[entry] as number;
    const at = this.beginRecord(entry, this.slab.buf, old + HEADER, old + HEADER + int32At(this.slab.buf, old + 4));
    this.slab.copy(doc, 0, doc.length);
    this.endRecord(at);
    this.moved(entry, at);
  }

  /** Writes the entry's document with a compiled updateDescription applied as its new version. */
  update(entry: number, root: PathNode): void {
    const slab = this.slab;
    const old = this.recordAt[entry] as number;
    const keyEnd = old + HEADER + int32At(slab.buf, old + 4);
    const at = this.beginRecord(entry, slab.buf, old + HEADER, keyEnd);
    try {
      // The source is read from the slab object of the moment: if the write grows the slab, the old one stays readable.
      writeUpdated(slab, slab.buf, keyEnd, root);
    } catch (e) {
      slab.pos = at;
      throw e;
    }
    this.endRecord(at);
    this.moved(entry, at);
  }

  remove(entry: number): void {
    const at = this.recordAt[entry] as number;
    const buf = this.slab.buf;
    this.dead += this.recordSize(at);
    this.unlink(hashBytes(buf, at + HEADER, at + HEADER + int32At(buf, at + 4)), entry);
  }

  /** Where the entry's current record is, to put it back with restore(). */
  location(entry: number): number {
    return this.recordAt[entry] as number;
  }

  /**
   * Undoes changes to `key` since location() was read (no compaction in
   * between): its record at `at` is current again, or the key is absent when
   * `at` < 0.
   */
  restore(key: Uint8Array, at: number): void {
    let e = this.find(key);
    if (at < 0) {
      if (e >= 0) this.remove(e);
      return;
    }
    if (e < 0) e = this.link(hashBytes(key, 0, key.length));
    else this.dead += this.recordSize(this.recordAt[e] as number);
    // The record names its entry, which may have another number now.
    setUint32(this.slab.buf, at, e);
    this.recordAt[e] = at;
    this.dead -= this.recordSize(at);
  }

  /**
   * Compacts the slab in place once it is three quarters full and at least
   * half of that is dead: live records slide down over dead ones, run by run,
   * in one pass (each record names its entry, so the pass needs no sorting).
   * Moves every document, so it must not run while an undo log holds
   * locations.
   */
  maybeCompact(): void {
    const slab = this.slab;
    const end = slab.pos;
    if (end * 4 < slab.buf.length * 3 || this.dead * 2 < end) return;
    const buf = slab.buf;
    let shift = 0;
    let run = -1;
    for (let at = 0; at < end; ) {
      const e = int32At(buf, at);
      const next = at + this.recordSize(at);
      if (this.recordAt[e] === at) {
        if (run < 0) run = at;
        this.recordAt[e] = at - shift;
      } else {
        if (run >= 0 && shift > 0) buf.copyWithin(run - shift, run, at);
        run = -1;
        shift += next - at;
      }
      at = next;
    }
    if (run >= 0 && shift > 0) buf.copyWithin(run - shift, run, end);
    slab.pos = end - shift;
    this.dead = 0;
  }

  private recordSize(at: number): number {
    const buf = this.slab.buf;
    return HEADER + int32At(buf, at + 4) + int32At(buf, at + 8);
  }

  /** Starts a record of `entry` with the key `key[start, end)`; returns where it starts. */
  private beginRecord(entry: number, key: Uint8Array, start: number, end: number): number {
    const slab = this.slab;
    slab.ensure(HEADER + end - start);
    const at = slab.pos;
    setUint32(slab.buf, at, entry);
    setUint32(slab.buf, at + 4, end - start);
    slab.pos = at + HEADER;
    // A key read from the slab stays readable in the old buffer if ensure() just grew it.
    slab.copy(key, start, end);
    return at;
  }

  /** Ends the record started at `at`: the document is what was written after the key. */
  private endRecord(at: number): void {
    const buf = this.slab.buf;
    setUint32(buf, at + 8, this.slab.pos - at - HEADER - int32At(buf, at + 4));
  }

  private moved(entry: number, at: number): void {
    this.dead += this.recordSize(this.recordAt[entry] as number);
    this.recordAt[entry] = at;
  }

  /** A new entry in the table (its record is set by the caller). */
  private link(hash: number): number {
    if ((this.count + 1) * 2 > this.mask + 1) this.growTable();
    let e = this.free.pop();
    if (e === undefined) {
      if (this.top === this.recordAt.length) {
        const bigger = new Float64Array(this.top * 2);
        bigger.set(this.recordAt);
        this.recordAt = bigger;
      }
      e = this.top++;
    }
    this.insertSlot(hash, e);
    this.count++;
    return e;
  }

  private insertSlot(hash: number, entry: number): void {
    const t = this.table;
    let slot = hash & this.mask;
    while (t[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
    t[2 * slot] = hash;
    t[2 * slot + 1] = entry + 1;
  }

  private unlink(hash: number, entry: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (t[2 * i + 1] !== entry + 1) i = (i + 1) & mask;
    // Backward-shift deletion: later pairs of the probe run move up, so no tombstones are left.
    for (let j = (i + 1) & mask; t[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = (t[2 * j] as number) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        t[2 * i] = t[2 * j] as number;
        t[2 * i + 1] = t[2 * j + 1] as number;
        i = j;
      }
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.recordAt[entry] = -1;
    this.free.push(entry);
    this.count--;
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let slot = 0; slot < old.length; slot += 2) {
      const v = old[slot + 1] as number;
      if (v !== 0) this.insertSlot(old[slot] as number, v - 1);
    }
  }
}
