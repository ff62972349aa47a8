/**
 * One namespace's documents in the in-memory replay, kept off the JavaScript
 * heap. A Map of Buffers costs a key string, an object and a small Buffer per
 * document and per update, and a garbage collector that traces them all.
 * Here every document is a record in one growing slab:
 *
 *   slot (u32) | key length (u32) | capacity (u32) | key | document | slack
 *
 * (the document's own first int32 is its length; capacity is the room for
 * it, a little more than it needed when the record was written).
 * An open-addressing table of (key hash, record offset) pairs finds a key's
 * current record; each record names its table slot, so compaction and the
 * table's own moves keep the two in step. A lookup touches the table and the
 * record itself, whose key sits right before the document: two places in
 * memory, where a random update's cost is mostly cache misses. An update
 * writes its new version after the slab's last record; when no undo log needs
 * the old version and the new one fits the record's capacity (most updates
 * grow a document by a few bytes), it is copied back over the old one and
 * the slab's end is reused, still in the cache. Otherwise the new record
 * stays and the old one is dead space, reclaimed by compacting the slab in
 * place when much of it is dead. Offsets are int32: a slab holds at most
 * 2 GiB.
 */
import { int32At } from './bson-bytes.js';
import { BsonWriter } from './bson-writer.js';
import { writeGeneral } from './apply-update.js';
import type { PathNode } from './apply-update.js';
import { SplicePlan, patchPlanned, planSplice, writePlanned } from './splice-update.js';

const INITIAL_SLAB = 16 * 1024;
const HEADER = 12;
/** The slot field of a record known to be dead (an old version, or a removed document). */
const DEAD = -1;

/** Room for growth in place, in bytes, given to a record holding a document of `length` bytes. */
function slack(length: number): number {
  return Math.max(16, length >> 3);
}
/** How much of a record warmRecord reads ahead: a typical document whole, the head of a large one. */
const WARM_BYTES = 320;

function setUint32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

/** The hash the table files `key` under (see tableWord). */
export function keyHash(key: Uint8Array): number {
  return hashBytes(key, 0, key.length);
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  // FNV-1a: keys are a few bytes ({ _id } documents), where it is both fast and well spread.
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  // 31 bits: a small integer, never a boxed number when passed around.
  return (h ^ (h >>> 15)) & 0x7fffffff;
}

/**
 * Entries are table slots: valid until the next add, remove or restore (a
 * removal shifts later slots of its probe run back; growth rehashes).
 */
export class DocumentStore {
  /** `slab.buf[0, slab.pos)` holds the records, live and dead. */
  private readonly slab = new BsonWriter(Buffer.allocUnsafeSlow(INITIAL_SLAB));
  private dead = 0;
  private count = 0;
  /** Linear-probing table of (hash, record offset + 1) pairs (0: empty slot), at most half full. */
  private table = new Uint32Array(256);
  private mask = 127;

  get size(): number {
    return this.count;
  }

  /** The slot of `key`, or -1. */
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
      const at = (v - 1) | 0;
      if (int32At(buf, at + 4) !== n) continue;
      const k = at + HEADER;
      let i = 0;
      while (i < n && buf[k + i] === key[i]) i++;
      if (i === n) return slot;
    }
  }

  /*
   * Reading ahead. Before a batch of events is applied, the memory their
   * find() and update will touch is read in passes over the whole batch:
   * the keys' table slots, then the first lines of their records (header,
   * key and the start of the document, where an update's fields usually
   * are). A random document's lookup is mostly cache and TLB misses; touched
   * one event at a time they stall one after the other, touched in tight
   * passes of independent loads they overlap, and the apply that follows
   * finds them in the cache. JavaScript has no prefetch instruction: loads
   * whose results are summed are the next best thing. Reads only, and
   * harmless when wrong.
   */

  /** The table word (record offset + 1, or 0) of the key hashed by keyHash(), or of the slot where its probe ends. */
  tableWord(hash: number): number {
    const t = this.table;
    const mask = this.mask;
    let slot = hash & mask;
    // Most probes end in the home slot's cache line: comparing hashes costs no further miss.
    while (t[2 * slot] !== hash && t[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    return (t[2 * slot + 1] as number) | 0;
  }

  /** Reads the first lines of the record a table word names; returns a sum of what it read. */
  warmRecord(word: number): number {
    // 0: an empty slot; -1: a slot being linked.
    if (word <= 0) return 0;
    const buf = this.slab.buf;
    const at = word - 1;
    const end = Math.min(at + WARM_BYTES, this.slab.pos) - 1;
    let sum = 0;
    for (let p = at; p < end; p += 64) sum += buf[p] as number;
    return sum + (buf[end] ?? 0);
  }

  private recordOf(slot: number): number {
    // `| 0`: an int32, not the float64 a Uint32Array load may give, which every call taking an offset would box.
    return ((this.table[2 * slot + 1] as number) - 1) | 0;
  }

  /** The current document of an entry, as a copy of its own. */
  document(slot: number): Buffer {
    const at = this.recordOf(slot);
    const doc = at + HEADER + int32At(this.slab.buf, at + 4);
    return Buffer.from(this.slab.buf.subarray(doc, doc + int32At(this.slab.buf, doc)));
  }

  /** Every entry's key and document, as copies of their own, in no particular order. */
  entries(): { key: Buffer; document: Buffer }[] {
    const out: { key: Buffer; document: Buffer }[] = [];
    const buf = this.slab.buf;
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.table[2 * slot + 1] === 0) continue;
      const at = this.recordOf(slot);
      out.push({ key: Buffer.from(buf.subarray(at + HEADER, at + HEADER + int32At(buf, at + 4))), document: this.document(slot) });
    }
    return out;
  }

  /**
   * Stores `doc` as the document of `key` (a new entry, or a new version of
   * an existing one: never over the old one, which restore() may bring back).
   */
  put(key: Uint8Array, doc: Uint8Array): void {
    const e = this.find(key);
    if (e >= 0) this.replace(e, doc, false);
    else this.add(key, doc);
  }

  /** A new entry for an absent key. */
  add(key: Uint8Array, doc: Uint8Array): number {
    const slot = this.link(hashBytes(key, 0, key.length));
    const at = this.beginRecord(slot, key, 0, key.length);
    this.slab.copy(doc, 0, doc.length);
    this.endRecord(at);
    this.table[2 * slot + 1] = at + 1;
    return slot;
  }

  /** A new document for an entry: over the old one when `inPlace` allows (no undo log needs it) and it fits. */
  replace(slot: number, doc: Uint8Array, inPlace: boolean): void {
    const old = this.recordOf(slot);
    const buf = this.slab.buf;
    const keyEnd = old + HEADER + int32At(buf, old + 4);
    if (inPlace && doc.length <= int32At(buf, old + 8)) {
      buf.set(doc, keyEnd);
      return;
    }
    const at = this.beginRecord(slot, buf, old + HEADER, keyEnd);
    this.slab.copy(doc, 0, doc.length);
    this.endRecord(at);
    this.moved(slot, at);
  }

  /**
   * Applies a compiled updateDescription to the entry's document: in place
   * when `inPlace` allows (no undo log needs the current version) and the
   * update only overwrites values with same-size ones, else as a new version.
   */
  update(slot: number, root: PathNode, inPlace: boolean): void {
    const slab = this.slab;
    // The source is read from the slab object of the moment: if the write grows the slab, the old one stays readable.
    const src = slab.buf;
    const old = this.recordOf(slot);
    const keyEnd = old + HEADER + int32At(src, old + 4);
    const plan = planSplice(src, keyEnd, root);
    if (plan === SplicePlan.SameSize && inPlace) {
      patchPlanned(src);
      return;
    }
    const at = this.beginRecord(slot, src, old + HEADER, keyEnd);
    try {
      if (plan === SplicePlan.None) writeGeneral(slab, src, keyEnd, root);
      else writePlanned(slab, src, keyEnd);
    } catch (e) {
      slab.pos = at;
      throw e;
    }
    const doc = at + (keyEnd - old);
    if (inPlace && slab.pos - doc <= int32At(slab.buf, old + 8)) {
      // It fits: over the old version, and the slab's end is free again.
      slab.buf.copyWithin(keyEnd, doc, slab.pos);
      slab.pos = at;
      return;
    }
    this.endRecord(at);
    this.moved(slot, at);
  }

  remove(slot: number): void {
    const at = this.recordOf(slot);
    this.dead += this.recordSize(at);
    setUint32(this.slab.buf, at, DEAD);
    this.unlink(slot);
  }

  /** Where the entry's current record is, to put it back with restore(). */
  location(slot: number): number {
    return this.recordOf(slot);
  }

  /**
   * Undoes changes to `key` since location() was read (no compaction in
   * between): its record at `at` is current again, or the key is absent when
   * `at` < 0.
   */
  restore(key: Uint8Array, at: number): void {
    let slot = this.find(key);
    if (at < 0) {
      if (slot >= 0) this.remove(slot);
      return;
    }
    if (slot < 0) slot = this.link(hashBytes(key, 0, key.length));
    else this.dead += this.recordSize(this.recordOf(slot));
    setUint32(this.slab.buf, at, slot);
    this.table[2 * slot + 1] = at + 1;
    this.dead -= this.recordSize(at);
  }

  /**
   * Compacts the slab in place once it is three quarters full and at least
   * half of that is dead: live records slide down over dead ones, run by run,
   * in one pass (each record names its slot, so the pass needs no sorting).
   * Moves every document, so it must not run while an undo log holds
   * locations.
   */
  maybeCompact(): void {
    const slab = this.slab;
    const end = slab.pos;
    if (end * 4 < slab.buf.length * 3 || this.dead * 2 < end) return;
    const buf = slab.buf;
    const t = this.table;
    let shift = 0;
    let run = -1;
    for (let at = 0; at < end; ) {
      const slot = int32At(buf, at);
      const next = at + this.recordSize(at);
      if (slot !== DEAD && t[2 * slot + 1] === at + 1) {
        if (run < 0) run = at;
        t[2 * slot + 1] = at - shift + 1;
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

  /** Starts a record of `slot` with the key `key[start, end)`; returns where it starts. */
  private beginRecord(slot: number, key: Uint8Array, start: number, end: number): number {
    const slab = this.slab;
    slab.ensure(HEADER + end - start);
    const at = slab.pos;
    if (at + HEADER + end - start >= 2 ** 31) throw new RangeError('a replay namespace holds at most 2 GiB of records');
    setUint32(slab.buf, at, slot);
    setUint32(slab.buf, at + 4, end - start);
    slab.pos = at + HEADER;
    // A key read from the slab stays readable in the old buffer if ensure() just grew it.
    slab.copy(key, start, end);
    return at;
  }

  /** Ends the record started at `at`: the document is what was written after the key; then its slack. */
  private endRecord(at: number): void {
    const slab = this.slab;
    const length = slab.pos - at - HEADER - int32At(slab.buf, at + 4);
    const room = slack(length);
    slab.ensure(room);
    if (slab.pos + room >= 2 ** 31) throw new RangeError('a replay namespace holds at most 2 GiB of records');
    setUint32(slab.buf, at + 8, length + room);
    slab.pos += room;
  }

  private moved(slot: number, at: number): void {
    const old = this.recordOf(slot);
    this.dead += this.recordSize(old);
    // Marked while its bytes are in the cache anyway: compaction then skips it without a table lookup.
    setUint32(this.slab.buf, old, DEAD);
    this.table[2 * slot + 1] = at + 1;
  }

  /** A new slot for `hash` (its record is set by the caller). */
  private link(hash: number): number {
    if ((this.count + 1) * 2 > this.mask + 1) this.growTable();
    const t = this.table;
    let slot = hash & this.mask;
    while (t[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
    t[2 * slot] = hash;
    // Occupied from here on: the caller stores the record's offset at once.
    t[2 * slot + 1] = 0xffffffff;
    this.count++;
    return slot;
  }

  private unlink(slot: number): void {
    const t = this.table;
    const mask = this.mask;
    const buf = this.slab.buf;
    let i = slot;
    // Backward-shift deletion: later pairs of the probe run move up, so no tombstones are left.
    for (let j = (i + 1) & mask; t[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = (t[2 * j] as number) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        t[2 * i] = t[2 * j] as number;
        t[2 * i + 1] = t[2 * j + 1] as number;
        setUint32(buf, (t[2 * i + 1] as number) - 1, i);
        i = j;
      }
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.count--;
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    const t = this.table;
    const buf = this.slab.buf;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i + 1] as number;
      if (v === 0) continue;
      const hash = old[i] as number;
      let slot = hash & this.mask;
      while (t[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      t[2 * slot] = hash;
      t[2 * slot + 1] = v;
      setUint32(buf, v - 1, slot);
    }
  }
}
