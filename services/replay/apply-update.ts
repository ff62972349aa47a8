/**
 * Applies a change event's updateDescription to the prior document, exactly as
 * mongod's update would have left it (learned from mongod's update nodes, the
 * v2 delta applier and the change-stream diff parser that turns the delta into
 * updatedFields / removedFields / truncatedArrays):
 *
 * - An existing field keeps its place; a new field is appended to its parent,
 *   in the order updatedFields lists it (the order the delta's inserts had).
 *   An entry that leaves a field's value unchanged is a move to the end (see
 *   isMove). A field both moved and changed (only a pipeline update can do
 *   that) looks like a change in place: only a post-image gives its order.
 * - A dotted path walks documents and arrays. A numeric component indexes an
 *   array and names a field of a document (`a.0` on `{a: {0: x}}` is field
 *   "0"). `disambiguatedPaths` (showExpandedEvents, 6.1+) tells the exact
 *   components when field names contain dots or are numeric; it wins over
 *   splitting, and a path it does not list is split at its dots.
 * - Without disambiguatedPaths (6.0, or no showExpandedEvents) a field name
 *   may contain a dot: a document field named "p.q" is what the path "p.q"
 *   names, and a path whose parent is missing or not a container names a
 *   field whose name is the rest of the path (resolve-paths has the rules).
 * - An index past an array's end pads with nulls, as mongod does.
 * - truncatedArrays shrinks an array to newSize before its element updates.
 * - removedFields drops document fields; an array element "removed" becomes
 *   null, which is what $unset does to an array element. A removal below a
 *   missing field, or past an array's end, changes nothing: it never creates
 *   a parent document, nor pads an array.
 *
 * The new values are copied as BSON bytes from the event, never re-encoded.
 */
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { BSON_TYPE, BsonBytesError, EMPTY_DOCUMENT, documentStop, indexName, int32At, nameEnd, valueSize } from './bson-bytes.js';
import { BsonWriter, copyOut } from './bson-writer.js';
import { placeAgainstDocument } from './resolve-paths.js';
import { SplicePlan, planSplice, writePlanned } from './splice-update.js';
import { withCapacity } from './typed-array-capacity.js';
import { UpdateApplyError, arrayIndex, compileUpdateDescription, dottedChildPrefix, onlyRemovals, sameBytes } from './update-paths.js';
import type { PathNode } from './update-paths.js';

export { UpdateApplyError, compileUpdateDescription };
export type { PathNode };

/** mongod refuses to pad an array by more than this many elements (pathsupport's limit). */
export const MAX_ARRAY_PADDING = 1_500_000;

/** Where applyUpdateDescription writes before copying the result out (apply is synchronous: one at a time). */
const scratch = new BsonWriter(Buffer.allocUnsafeSlow(64 * 1024));

/** Applies `ud` to the BSON document `doc` and returns the new document's bytes. */
export function applyUpdateDescription(doc: Buffer, ud: UpdateDescriptionRecord): Buffer {
  const root = compileUpdateDescription(ud);
  scratch.pos = 0;
  writeUpdated(scratch, doc, 0, root);
  return copyOut(scratch.buf, 0, scratch.pos);
}

/**
 * Writes the document at `src[start..]` with the compiled changes applied, at
 * `out`'s position: from a splice plan when the update is a common one (see
 * splice-update), else by the general writer. On an error `out` holds a
 * partial document past where it started: the caller discards it.
 */
export function writeUpdated(out: BsonWriter, src: Uint8Array, start: number, root: PathNode): void {
  if (planSplice(src, start, root) === SplicePlan.None) writeGeneral(out, src, start, root);
  else writePlanned(out, src, start);
}

/**
 * Thrown by the general writer when the document may hold a field name with
 * a dot that a path names (see PathNode.scanNames): the paths are placed
 * against the document and the document is written again.
 */
const RESOLVE = new Error('paths to be placed against the document');

/** The general writer: every update, every error worded. */
export function writeGeneral(out: BsonWriter, src: Uint8Array, start: number, root: PathNode): void {
  const begin = out.pos;
  try {
    if (root.overlaps || !writeSplit(out, src, start, root)) {
      out.pos = begin;
      resetItems();
      writeDocument(out, src, start, placeAgainstDocument(root, src, start));
    }
  } catch (e) {
    if (e instanceof BsonBytesError) throw new UpdateApplyError(root.path, e.message);
    throw e;
  }
}

/** Writes with the paths split at their dots; false when they are to be placed against the document instead. */
function writeSplit(out: BsonWriter, src: Uint8Array, start: number, root: PathNode): boolean {
  resetItems();
  try {
    writeDocument(out, src, start, root);
    return true;
  } catch (e) {
    if (e === RESOLVE) return false;
    // Without disambiguatedPaths, a dotted path the document contradicts once split may name a dotted field.
    if (e instanceof UpdateApplyError && root.scanNames) return false;
    throw e;
  }
}

function writeSet(out: BsonWriter, c: PathNode): void {
  out.header(c.setType, c.name, c.nameStart, c.nameLength);
  out.copy(c.setBuf, c.setStart, c.setEnd);
}

/**
 * Writes the document at `src[start..]` with `node`'s changes applied. One
 * pass: untouched runs of elements are copied in one piece, names are matched
 * as bytes, nested documents are written in place and their length patched.
 */
function writeDocument(out: BsonWriter, src: Uint8Array, start: number, node: PathNode): void {
  if (node.truncate >= 0) throw new UpdateApplyError(node.path, 'truncatedArrays names a document, not an array');
  const stop = documentStop(src, start);
  const children = node.children;
  const count = node.childCount;
  if (count === 0) {
    out.copy(src, start, stop + 1);
    return;
  }
  for (let i = 0; i < count; i++) (children[i] as PathNode).seen = false;
  const lengthAt = out.reserveLength();
  const scan = node.scanNames;
  let matched = 0;
  let runStart = start + 4;
  let at = runStart;
  // Once every child has its field, the rest is copied in one piece, unread (unless its names must be read).
  while (at < stop && (matched < count || scan)) {
    const type = src[at] as number;
    const nul = nameEnd(src, at + 1, stop);
    const valueStart = nul + 1;
    const end = valueStart + valueSize(src, type, valueStart);
    if (end > stop) throw new BsonBytesError(`field at ${at} runs past its document`);
    let hit: PathNode | undefined;
    const nameLength = nul - at - 1;
    for (let i = 0; i < count; i++) {
      const c = children[i] as PathNode;
      if (!c.seen && c.nameLength === nameLength && sameBytes(c.name, c.nameStart, src, at + 1, nameLength)) {
        hit = c;
        break;
      }
    }
    if (hit === undefined) {
      if (scan && dottedChildPrefix(node, src, at + 1, nameLength)) throw RESOLVE;
    } else if (isMove(hit, src, type, valueStart, end)) {
      // The field leaves its place and is appended below, with the new fields.
      out.copy(src, runStart, at);
      runStart = end;
    } else {
      if (hit.kind === 'index') throw new UpdateApplyError(hit.path, 'an array index where the document has a field');
      out.copy(src, runStart, at);
      runStart = end;
      matched++;
      hit.seen = true;
      if (hit.setType >= 0) {
        writeSet(out, hit);
      } else if (!hit.remove) {
        out.header(type, hit.name, hit.nameStart, hit.nameLength);
        writeContainer(out, src, valueStart, type, hit);
      }
      // (a removed field is simply not copied)
    }
    at = end;
  }
  out.copy(src, runStart, stop);
  // New fields go after every existing one, in the order the event lists them.
  if (matched < count) {
    for (let i = 0; i < count; i++) {
      const c = children[i] as PathNode;
      if (c.seen) continue;
      if (c.kind === 'index') throw new UpdateApplyError(c.path, 'an array index where the document has no array');
      if (c.setType >= 0) {
        writeSet(out, c);
      } else if (c.childCount > 0) {
        // A removal below a missing field changes nothing; a set below one names a field with a dot.
        if (onlyRemovals(c)) continue;
        if (scan) throw RESOLVE;
        out.header(BSON_TYPE.document, c.name, c.nameStart, c.nameLength);
        writeDocument(out, EMPTY_DOCUMENT, 0, c);
      } else if (c.truncate >= 0) {
        throw new UpdateApplyError(c.path, 'truncatedArrays names a missing field');
      }
      // removing a missing field changes nothing, as $unset
    }
  }
  out.endDocument(lengthAt);
}

/**
 * mongod logs no update for a field whose value does not change, so an
 * updatedFields entry equal to the current value byte for byte is the delta's
 * *insert* of an existing field — a pipeline update that reordered fields — and
 * the delta applier appends inserts at the end of their document.
 */
function isMove(c: PathNode, src: Uint8Array, type: number, valueStart: number, end: number): boolean {
  return c.setType === type && c.setEnd - c.setStart === end - valueStart && sameBytes(c.setBuf, c.setStart, src, valueStart, end - valueStart);
}

function writeContainer(out: BsonWriter, src: Uint8Array, start: number, type: number, node: PathNode): void {
  if (type === BSON_TYPE.document) writeDocument(out, src, start, node);
  else if (type === BSON_TYPE.array) writeArray(out, src, start, node);
  else throw new UpdateApplyError(node.path, `the path goes through a value of BSON type 0x${type.toString(16)}, not a document or array`);
}

/**
 * The elements of the arrays being written, as a stack of numbers shared by
 * nested writeArray calls (a call owns [base, base + n) and pops it on
 * return): objects per element were most of what an update allocated.
 */
const enum ItemKind {
  /** `src[start, end)`. */
  Copy,
  /** The value the child at `child` sets. */
  Set,
  /** No value bytes (null). */
  Empty,
  /** The container at `src[start..]`, with the child's changes. */
  Descend,
  /** A new document with the child's changes. */
  Create,
}

const SMALL_STACK = 256;
let itemKind = new Uint8Array(SMALL_STACK);
let itemType = new Uint8Array(SMALL_STACK);
let itemCreated = new Uint8Array(SMALL_STACK);
// Int32, not Float64: a float64 element passed on to a call that is not inlined is boxed into a new
// HeapNumber, two per copied element. Offsets fit: a BSON document and a store's slab are below 2 GiB.
let itemStart = new Int32Array(SMALL_STACK);
let itemEnd = new Int32Array(SMALL_STACK);
let itemChild = new Int32Array(SMALL_STACK);
let itemTop = 0;

function resetItems(): void {
  itemTop = 0;
  // A huge padded array is no reason to keep a huge stack.
  if (itemKind.length > 64 * 1024) growItems(SMALL_STACK, true);
}

function growItems(capacity: number, shrink = false): void {
  itemKind = withCapacity(itemKind, capacity, !shrink);
  itemType = withCapacity(itemType, capacity, !shrink);
  itemCreated = withCapacity(itemCreated, capacity, !shrink);
  itemStart = withCapacity(itemStart, capacity, !shrink);
  itemEnd = withCapacity(itemEnd, capacity, !shrink);
  itemChild = withCapacity(itemChild, capacity, !shrink);
}

function pushItem(kind: ItemKind, type: number, start: number, end: number, child: number, created: boolean): void {
  if (itemTop === itemKind.length) growItems(itemTop * 2);
  const i = itemTop++;
  itemKind[i] = kind;
  itemType[i] = type;
  itemStart[i] = start;
  itemEnd[i] = end;
  itemChild[i] = child;
  itemCreated[i] = created ? 1 : 0;
}

function writeArray(out: BsonWriter, src: Uint8Array, start: number, node: PathNode): void {
  // Element boundaries only: an array's names are its indexes, rewritten below.
  if (start + 5 > src.length) throw new BsonBytesError(`bad array length at ${start}`);
  const stop = start + int32At(src, start) - 1;
  if (stop >= src.length || src[stop] !== 0) throw new BsonBytesError(`bad array length at ${start}`);
  const base = itemTop;
  for (let at = start + 4; at < stop; ) {
    const type = src[at] as number;
    let nul = at + 1;
    while (nul < stop && src[nul] !== 0) nul++;
    if (nul >= stop) throw new BsonBytesError(`unterminated array index at ${at}`);
    const end = nul + 1 + valueSize(src, type, nul + 1);
    if (end > stop) throw new BsonBytesError(`array element at ${at} runs past its array`);
    pushItem(ItemKind.Copy, type, nul + 1, end, -1, false);
    at = end;
  }
  if (node.truncate >= 0 && node.truncate < itemTop - base) itemTop = base + node.truncate;
  const original = itemTop - base;
  // Without disambiguatedPaths, a set below a slot past the end names a dotted field above the array (resolve-paths):
  // exactly then the array's parent reads all its names (the array node has a child).
  const dotted = (node.parent as PathNode).scanNames;
  for (let ci = 0; ci < node.childCount; ci++) {
    const c = node.children[ci] as PathNode;
    const index = arrayIndex(c);
    if (index < 0) throw new UpdateApplyError(c.path, 'a field name where the document has an array');
    // Removing past the end pads nothing (a slot another path pads stays null).
    if (index >= original && onlyRemovals(c)) continue;
    if (dotted && index >= original && c.childCount > 0) throw RESOLVE;
    if (index >= itemTop - base) {
      if (index - (itemTop - base) > MAX_ARRAY_PADDING) throw new UpdateApplyError(c.path, `would pad the array by more than ${MAX_ARRAY_PADDING}`);
      while (itemTop - base <= index) pushItem(ItemKind.Empty, BSON_TYPE.null, 0, 0, -1, true);
    }
    const i = base + index;
    if (c.setType >= 0) {
      itemKind[i] = ItemKind.Set;
      itemType[i] = c.setType;
      itemChild[i] = ci;
    } else if (c.remove) {
      itemKind[i] = ItemKind.Empty;
      itemType[i] = BSON_TYPE.null;
    } else if (itemCreated[i] === 1 && index >= original) {
      // A path below a padded slot creates a document there, as $set does.
      itemKind[i] = ItemKind.Create;
      itemType[i] = BSON_TYPE.document;
      itemChild[i] = ci;
    } else {
      itemKind[i] = ItemKind.Descend;
      itemChild[i] = ci;
    }
    itemCreated[i] = 0;
  }
  const n = itemTop - base;
  const lengthAt = out.reserveLength();
  for (let k = 0; k < n; k++) {
    // Read the stack afresh each time: a nested array may have grown it.
    const i = base + k;
    const type = itemType[i] as number;
    const name = indexName(k);
    out.header(type, name, 0, name.length);
    switch (itemKind[i]) {
      case ItemKind.Copy:
        out.copy(src, itemStart[i] as number, itemEnd[i] as number);
        break;
      case ItemKind.Set: {
        const c = node.children[itemChild[i] as number] as PathNode;
        out.copy(c.setBuf, c.setStart, c.setEnd);
        break;
      }
      case ItemKind.Descend:
        writeContainer(out, src, itemStart[i] as number, type, node.children[itemChild[i] as number] as PathNode);
        break;
      case ItemKind.Create:
        writeContainer(out, EMPTY_DOCUMENT, 0, BSON_TYPE.document, node.children[itemChild[i] as number] as PathNode);
        break;
      default:
        break;
    }
  }
  itemTop = base;
  out.endDocument(lengthAt);
}
