/**
 * The common update in one pass: a few fields set, added, removed or moved,
 * array elements set or appended, an array truncated. The planner walks the
 * document once, as writeUpdated's general writer would, and records each
 * change as an edit of a byte range (with the new lengths of the documents
 * around it). The new version is then the old bytes between the edits, copied
 * run by run, and the edits' bytes: no second walk, no element-by-element
 * rewriting. When every edit overwrites a value with one of the same type and
 * size, the edits can even be made in place.
 *
 * The planner only plans what the general writer would write without an
 * error, and declines everything else — creating a document below a new
 * path, removing an existing array element, a long padding, a malformed
 * document, any path the general writer refuses, a document whose field
 * names the paths must be placed against (a dotted name that starts with a
 * path's component, see resolve-paths) — so that writing the plan
 * gives exactly the general writer's bytes (a property test holds the two
 * together), and the general writer still words every error.
 */
import { BSON_TYPE, indexName, int32At, valueSize } from './bson-bytes.js';
import type { BsonWriter } from './bson-writer.js';
import type { PathNode } from './update-paths.js';
import { withCapacity } from './typed-array-capacity.js';
import { arrayIndex, dottedChildPrefix, onlyRemovals, sameBytes } from './update-paths.js';

export const enum SplicePlan {
  /** Left to the general writer. */
  None,
  /** Every edit overwrites a value with one of the same type and size: patchPlanned() may apply it in place. */
  SameSize,
  /** The document changes size or shape: writePlanned() writes the new version. */
  Resized,
}

const enum EditKind {
  /** Nothing (a document whose length did not change). */
  Skip,
  /** A document's or array's length field `[from, from + 4)` becomes `value`. */
  Length,
  /** The element `[from, to)` gets the node's type and value; its name `[from + 1, value)` stays. */
  Replace,
  /** The element `[from, to)` is dropped (or, for a truncation, the elements `[from, to)`). */
  Remove,
  /** A new field, the node's, is inserted at `from` (a document's terminating NUL). */
  Insert,
  /** A new array element with index `value` is inserted at `from` (the array's NUL): the node's value, or null without a node. */
  Append,
}

/** Padding beyond this is left to the general writer, which knows mongod's limit. */
const MAX_SPLICE_PADDING = 1000;

/** The plan of the last planSplice(), valid until the next one (apply is synchronous). */
let editKind = new Uint8Array(32);
let editFrom = new Int32Array(32);
let editTo = new Int32Array(32);
let editValue = new Int32Array(32);
const editNode: (PathNode | undefined)[] = [];
let edits = 0;
let sameSize = true;

/** Thrown when the planner declines: one instance made once, as nothing is worded and no stack is wanted. */
const DECLINE = new Error('splice declined');

function addEdit(kind: EditKind, from: number, to: number, value: number, node: PathNode | undefined): number {
  if (edits === editKind.length) growEdits();
  const e = edits++;
  editKind[e] = kind;
  editFrom[e] = from;
  editTo[e] = to;
  editValue[e] = value;
  editNode[e] = node;
  return e;
}

function growEdits(): void {
  const n = editKind.length * 2;
  editKind = withCapacity(editKind, n);
  editFrom = withCapacity(editFrom, n);
  editTo = withCapacity(editTo, n);
  editValue = withCapacity(editValue, n);
}

/** The frame of the document or array at `start`: its terminating NUL's offset. */
function containerStop(buf: Uint8Array, start: number): number {
  if (start + 5 > buf.length) throw DECLINE;
  const size = int32At(buf, start);
  const stop = start + size - 1;
  if (size < 5 || stop >= buf.length || buf[stop] !== 0) throw DECLINE;
  return stop;
}

function nameEnd(buf: Uint8Array, from: number, stop: number): number {
  let nul = from;
  while (nul < stop && buf[nul] !== 0) nul++;
  if (nul >= stop) throw DECLINE;
  return nul;
}

function valueEnd(buf: Uint8Array, type: number, valueStart: number, stop: number): number {
  // valueSize throws on an unknown type: the catch in planSplice declines.
  const end = valueStart + valueSize(buf, type, valueStart);
  if (end > stop) throw DECLINE;
  return end;
}

/** Closes a container's length edit: skipped when its size did not change. */
function closeLength(e: number, buf: Uint8Array, start: number, delta: number): void {
  if (delta === 0) {
    editKind[e] = EditKind.Skip;
  } else {
    editValue[e] = int32At(buf, start) + delta;
    sameSize = false;
  }
}

/** Plans a replacement of the element `[at, end)` by the node's value; returns the size change. */
function planReplace(buf: Uint8Array, at: number, valueStart: number, end: number, c: PathNode): number {
  addEdit(EditKind.Replace, at, end, valueStart, c);
  const delta = c.setEnd - c.setStart - (end - valueStart);
  if (delta !== 0 || c.setType !== buf[at]) sameSize = false;
  return delta;
}

/** As writeDocument: returns the document's size change. */
function planDocument(buf: Uint8Array, start: number, node: PathNode): number {
  if (node.truncate >= 0) throw DECLINE;
  const stop = containerStop(buf, start);
  const children = node.children;
  const count = node.childCount;
  for (let i = 0; i < count; i++) (children[i] as PathNode).seen = false;
  const length = addEdit(EditKind.Length, start, start + 4, 0, undefined);
  let delta = 0;
  let matched = 0;
  const scan = node.scanNames;
  for (let at = start + 4; at < stop && (matched < count || scan); ) {
    const type = buf[at] as number;
    const nul = nameEnd(buf, at + 1, stop);
    const valueStart = nul + 1;
    const end = valueEnd(buf, type, valueStart, stop);
    const nameLength = nul - at - 1;
    let hit: PathNode | undefined;
    for (let i = 0; i < count; i++) {
      const c = children[i] as PathNode;
      if (!c.seen && c.nameLength === nameLength && sameBytes(c.name, c.nameStart, buf, at + 1, nameLength)) {
        hit = c;
        break;
      }
    }
    if (hit === undefined) {
      if (scan && dottedChildPrefix(node, buf, at + 1, nameLength)) throw DECLINE;
    } else {
      const unchanged =
        hit.setType === type && hit.setEnd - hit.setStart === end - valueStart && sameBytes(hit.setBuf, hit.setStart, buf, valueStart, end - valueStart);
      if (unchanged) {
        // A move (see apply-update's isMove): dropped here, inserted at the end below with the new fields.
        addEdit(EditKind.Remove, at, end, 0, undefined);
        delta -= end - at;
        sameSize = false;
      } else {
        if (hit.kind === 'index') throw DECLINE;
        hit.seen = true;
        matched++;
        if (hit.setType >= 0) {
          delta += planReplace(buf, at, valueStart, end, hit);
        } else if (hit.remove) {
          addEdit(EditKind.Remove, at, end, 0, undefined);
          delta -= end - at;
          sameSize = false;
        } else if (type === BSON_TYPE.document) {
          delta += planDocument(buf, valueStart, hit);
        } else if (type === BSON_TYPE.array) {
          delta += planArray(buf, valueStart, hit);
        } else {
          throw DECLINE;
        }
      }
    }
    at = end;
  }
  if (matched < count) {
    for (let i = 0; i < count; i++) {
      const c = children[i] as PathNode;
      if (c.seen) continue;
      if (c.kind === 'index' || c.childCount > 0 || c.truncate >= 0) throw DECLINE;
      if (c.setType < 0) continue; // removing a missing field changes nothing
      addEdit(EditKind.Insert, stop, stop, 0, c);
      delta += 2 + c.nameLength + c.setEnd - c.setStart;
      sameSize = false;
    }
  }
  closeLength(length, buf, start, delta);
  return delta;
}

/** The child of an array node that sets index `k`, if any. */
function childAt(node: PathNode, k: number): PathNode | undefined {
  for (let i = 0; i < node.childCount; i++) {
    const c = node.children[i] as PathNode;
    if (arrayIndex(c) === k) return c;
  }
  return undefined;
}

/** As writeArray: returns the array's size change. */
function planArray(buf: Uint8Array, start: number, node: PathNode): number {
  const stop = containerStop(buf, start);
  for (let i = 0; i < node.childCount; i++) if (arrayIndex(node.children[i] as PathNode) < 0) throw DECLINE;
  const length = addEdit(EditKind.Length, start, start + 4, 0, undefined);
  const keep = node.truncate >= 0 ? node.truncate : 0x7fffffff;
  let delta = 0;
  let k = 0;
  let cut = -1;
  // Every element is read, as the general writer reads them, also past a truncation.
  for (let at = start + 4; at < stop; k++) {
    const type = buf[at] as number;
    const nul = nameEnd(buf, at + 1, stop);
    // Copied runs keep their names: only an array named as the general writer names it (0, 1, ...) qualifies.
    const name = indexName(k);
    if (nul - at - 1 !== name.length || !sameBytes(name, 0, buf, at + 1, name.length)) throw DECLINE;
    const valueStart = nul + 1;
    const end = valueEnd(buf, type, valueStart, stop);
    if (k === keep) cut = at;
    if (cut < 0) {
      const c = childAt(node, k);
      if (c !== undefined) {
        if (c.setType >= 0) delta += planReplace(buf, at, valueStart, end, c);
        else if (c.remove) throw DECLINE;
        else if (type === BSON_TYPE.document) delta += planDocument(buf, valueStart, c);
        else if (type === BSON_TYPE.array) delta += planArray(buf, valueStart, c);
        else throw DECLINE;
      }
    }
    at = end;
  }
  let size = Math.min(k, keep);
  if (cut >= 0) {
    addEdit(EditKind.Remove, cut, stop, 0, undefined);
    delta -= stop - cut;
    sameSize = false;
  }
  // Paths past the end append, in index order; a gap is padded with nulls, as $set pads. Removals pad nothing.
  let last = -1;
  for (let i = 0; i < node.childCount; i++) {
    const c = node.children[i] as PathNode;
    if (!onlyRemovals(c)) last = Math.max(last, arrayIndex(c));
  }
  if (last - size > MAX_SPLICE_PADDING) throw DECLINE;
  for (; size <= last; size++) {
    const c = childAt(node, size);
    // A path below a padded slot creates a document there: left to the general writer.
    if (c !== undefined && c.setType < 0 && !onlyRemovals(c)) throw DECLINE;
    // A removed padded slot stays null.
    const set = c !== undefined && c.setType >= 0 ? c : undefined;
    addEdit(EditKind.Append, stop, stop, size, set);
    delta += 2 + indexName(size).length + (set === undefined ? 0 : set.setEnd - set.setStart);
    sameSize = false;
  }
  closeLength(length, buf, start, delta);
  return delta;
}

/** Plans the compiled update of the document at `buf[start..]`; see SplicePlan. */
export function planSplice(buf: Uint8Array, start: number, root: PathNode): SplicePlan {
  edits = 0;
  sameSize = true;
  if (root.overlaps) return SplicePlan.None;
  try {
    planDocument(buf, start, root);
  } catch {
    // DECLINE, or valueSize's error for an unknown type: the general writer words it.
    edits = 0;
    return SplicePlan.None;
  }
  return sameSize ? SplicePlan.SameSize : SplicePlan.Resized;
}

/** Applies a SameSize plan to the very bytes it was made from. */
export function patchPlanned(buf: Uint8Array): void {
  for (let e = 0; e < edits; e++) {
    if (editKind[e] !== EditKind.Replace) continue;
    const c = editNode[e] as PathNode;
    const at = editValue[e] as number;
    for (let i = c.setStart; i < c.setEnd; i++) buf[at + i - c.setStart] = c.setBuf[i] as number;
  }
}

/** Writes the new version of the planned document `src[start..]` at `out`'s position. */
export function writePlanned(out: BsonWriter, src: Uint8Array, start: number): void {
  let pos = start;
  for (let e = 0; e < edits; e++) {
    const kind = editKind[e] as EditKind;
    if (kind === EditKind.Skip) continue;
    const from = editFrom[e] as number;
    out.copy(src, pos, from);
    const c = editNode[e];
    switch (kind) {
      case EditKind.Length:
        out.int32(editValue[e] as number);
        break;
      case EditKind.Replace:
        out.byte((c as PathNode).setType);
        out.copy(src, from + 1, editValue[e] as number);
        out.copy((c as PathNode).setBuf, (c as PathNode).setStart, (c as PathNode).setEnd);
        break;
      case EditKind.Insert:
        out.header((c as PathNode).setType, (c as PathNode).name, (c as PathNode).nameStart, (c as PathNode).nameLength);
        out.copy((c as PathNode).setBuf, (c as PathNode).setStart, (c as PathNode).setEnd);
        break;
      case EditKind.Append: {
        const name = indexName(editValue[e] as number);
        out.header(c === undefined ? BSON_TYPE.null : c.setType, name, 0, name.length);
        if (c !== undefined) out.copy(c.setBuf, c.setStart, c.setEnd);
        break;
      }
      default:
        break;
    }
    pos = editTo[e] as number;
  }
  out.copy(src, pos, start + int32At(src, start));
}
