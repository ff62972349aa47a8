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
 *   "0"). `disambiguatedPaths` (showExpandedEvents) tells the exact components
 *   when field names contain dots or are numeric; it wins over splitting.
 * - An index past an array's end pads with nulls, as mongod does.
 * - truncatedArrays shrinks an array to newSize before its element updates.
 * - removedFields drops document fields; an array element "removed" becomes
 *   null, which is what $unset does to an array element.
 *
 * The new values are copied as BSON bytes from the event, never re-encoded.
 */
import { deserialize } from 'bson';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { BSON_TYPE, BsonBytesError, BsonWriter, EMPTY_DOCUMENT, indexName, nameBytes, readElements, valueBytes, valueSize } from './bson-bytes.js';

/** mongod refuses to pad an array by more than this many elements (pathsupport's limit). */
export const MAX_ARRAY_PADDING = 1_500_000;

export class UpdateApplyError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`cannot apply update at ${JSON.stringify(path)}: ${reason}`);
    this.name = 'UpdateApplyError';
    this.path = path;
  }
}

type ComponentKind = 'auto' | 'field' | 'index';

interface PathNode {
  kind: ComponentKind;
  /** The full path up to here, for error messages. */
  path: string;
  name: string;
  /** This component's name as UTF-8 bytes, to match field names without decoding them. */
  nameBytes: Buffer;
  set?: { type: number; value: Buffer };
  remove?: boolean;
  truncate?: number;
  children?: PathNode[];
}

const STRICT_INDEX = /^(0|[1-9]\d*)$/;

function child(parent: PathNode, name: string, kind: ComponentKind): PathNode {
  // Descending below a path that is replaced or removed as a whole: two paths of the event overlap.
  if (parent.set || parent.remove) throw new UpdateApplyError(parent.path, 'path replaced and also changed below');
  parent.children ??= [];
  let node = parent.children.find((c) => c.name === name);
  if (node === undefined) {
    node = { kind, path: parent.path === '' ? name : `${parent.path}.${name}`, name, nameBytes: nameBytes(name) };
    parent.children.push(node);
  } else if (kind !== 'auto') {
    node.kind = kind;
  }
  return node;
}

type Components = readonly { name: string; kind: ComponentKind }[];

function componentsOf(path: string, disambiguated: Map<string, Components> | undefined): Components {
  const exact = disambiguated?.get(path);
  if (exact !== undefined) return exact;
  if (!path.includes('.')) return [{ name: path, kind: 'auto' }];
  return path.split('.').map((name) => ({ name, kind: 'auto' as const }));
}

function leaf(root: PathNode, path: string, disambiguated: Map<string, Components> | undefined): PathNode {
  const parts = componentsOf(path, disambiguated);
  if (parts.length === 0 || parts.some((p) => p.name === '')) throw new UpdateApplyError(path, 'empty path component');
  let node = root;
  for (const p of parts) node = child(node, p.name, p.kind);
  return node;
}

/** disambiguatedPaths: { "a.0.b": ["a", 0, "b"] } — numbers are array indexes, strings field names. */
function readDisambiguated(bytes: Buffer | null): Map<string, Components> | undefined {
  if (bytes === null) return undefined;
  const doc = deserialize(bytes, EXACT_BSON) as Record<string, unknown>;
  const out = new Map<string, Components>();
  for (const [path, list] of Object.entries(doc)) {
    if (!Array.isArray(list)) throw new UpdateApplyError(path, 'disambiguatedPaths entry is not an array');
    out.set(
      path,
      list.map((c: unknown) => {
        if (typeof c === 'string') return { name: c, kind: 'field' as const };
        const n = typeof c === 'number' ? c : Number((c as { valueOf(): unknown }).valueOf());
        if (!Number.isInteger(n) || n < 0) throw new UpdateApplyError(path, 'disambiguatedPaths component is neither a string nor an index');
        return { name: String(n), kind: 'index' as const };
      }),
    );
  }
  return out;
}

/** The tree of paths an updateDescription touches; building it once checks for conflicting paths. */
export function compileUpdateDescription(ud: UpdateDescriptionRecord): PathNode {
  const root: PathNode = { kind: 'field', path: '', name: '', nameBytes: Buffer.alloc(0) };
  const disambiguated = readDisambiguated(ud.disambiguatedPaths);
  for (const e of readElements(ud.updatedFields)) {
    const node = leaf(root, e.name, disambiguated);
    if (node.set || node.remove || node.children) throw new UpdateApplyError(e.name, 'path listed twice or overlaps another updated path');
    node.set = { type: e.type, value: valueBytes(ud.updatedFields, e) };
  }
  for (const path of ud.removedFields) {
    const node = leaf(root, path, disambiguated);
    if (node.set || node.remove || node.children) throw new UpdateApplyError(path, 'path both updated and removed, or changed below');
    node.remove = true;
  }
  for (const t of ud.truncatedArrays) {
    if (!Number.isInteger(t.newSize) || t.newSize < 0) throw new UpdateApplyError(t.field, `bad newSize ${t.newSize}`);
    const node = leaf(root, t.field, disambiguated);
    if (node.set || node.remove) throw new UpdateApplyError(t.field, 'truncated array also replaced or removed');
    node.truncate = t.newSize;
  }
  return root;
}

/** Applies `ud` to the BSON document `doc` and returns the new document's bytes. */
export function applyUpdateDescription(doc: Buffer, ud: UpdateDescriptionRecord): Buffer {
  return applyCompiled(doc, compileUpdateDescription(ud));
}

export function applyCompiled(doc: Buffer, root: PathNode): Buffer {
  const out = new BsonWriter();
  try {
    writeDocument(out, doc, 0, root);
  } catch (e) {
    if (e instanceof BsonBytesError) throw new UpdateApplyError(root.path, e.message);
    throw e;
  }
  return out.take();
}

/**
 * Writes the document at `src[start..]` with `node`'s changes applied. One
 * pass: untouched runs of elements are copied in one piece, names are matched
 * as bytes, nested documents are written in place and their length patched.
 */
function writeDocument(out: BsonWriter, src: Buffer, start: number, node: PathNode): void {
  if (node.truncate !== undefined) throw new UpdateApplyError(node.path, 'truncatedArrays names a document, not an array');
  const size = src.readInt32LE(start);
  const stop = start + size - 1;
  if (size < 5 || stop >= src.length || src[stop] !== 0) throw new BsonBytesError(`bad document length ${size} at ${start}`);
  const children = node.children;
  if (!children) {
    out.copy(src, start, stop + 1);
    return;
  }
  const lengthAt = out.reserveLength();
  const seen: boolean[] = new Array<boolean>(children.length).fill(false);
  let matched = 0;
  let runStart = start + 4;
  let at = runStart;
  while (at < stop) {
    const type = src[at] as number;
    // Field names are short: a plain loop beats Buffer#indexOf and Buffer#compare, which cross into C++.
    let nul = at + 1;
    while (nul < stop && src[nul] !== 0) nul++;
    if (nul >= stop) throw new BsonBytesError(`unterminated field name at ${at}`);
    const valueStart = nul + 1;
    const end = valueStart + valueSize(src, type, valueStart);
    if (end > stop) throw new BsonBytesError(`field at ${at} runs past its document`);
    let hit = -1;
    if (matched < children.length) {
      const nameLength = nul - at - 1;
      for (let i = 0; i < children.length && hit < 0; i++) {
        const w = (children[i] as PathNode).nameBytes;
        if (seen[i] || w.length !== nameLength) continue;
        let j = 0;
        while (j < nameLength && w[j] === src[at + 1 + j]) j++;
        if (j === nameLength) hit = i;
      }
    }
    if (hit >= 0 && isMove(children[hit] as PathNode, src, type, valueStart, end)) {
      // The field leaves its place and is appended below, with the new fields.
      out.copy(src, runStart, at);
      runStart = end;
    } else if (hit >= 0) {
      const c = children[hit] as PathNode;
      if (c.kind === 'index') throw new UpdateApplyError(c.path, 'an array index where the document has a field');
      out.copy(src, runStart, at);
      runStart = end;
      matched++;
      seen[hit] = true;
      if (c.set) {
        out.element(c.set.type, c.nameBytes, c.set.value);
      } else if (!c.remove) {
        out.header(type, c.nameBytes);
        writeContainer(out, src, valueStart, type, c);
      }
      // (a removed field is simply not copied)
    }
    at = end;
  }
  out.copy(src, runStart, stop);
  // New fields go after every existing one, in the order the event lists them.
  if (matched < children.length) {
    children.forEach((c, i) => {
      if (seen[i]) return;
      if (c.kind === 'index') throw new UpdateApplyError(c.path, 'an array index where the document has no array');
      if (c.set) {
        out.element(c.set.type, c.nameBytes, c.set.value);
      } else if (c.children) {
        out.header(BSON_TYPE.document, c.nameBytes);
        writeDocument(out, EMPTY_DOCUMENT, 0, c);
      } else if (c.truncate !== undefined) {
        throw new UpdateApplyError(c.path, 'truncatedArrays names a missing field');
      }
      // removing a missing field changes nothing, as $unset
    });
  }
  out.endDocument(lengthAt);
}

/**
 * mongod logs no update for a field whose value does not change, so an
 * updatedFields entry equal to the current value byte for byte is the delta's
 * *insert* of an existing field — a pipeline update that reordered fields — and
 * the delta applier appends inserts at the end of their document.
 */
function isMove(c: PathNode, src: Buffer, type: number, valueStart: number, end: number): boolean {
  const v = c.set;
  return v !== undefined && v.type === type && v.value.length === end - valueStart && src.compare(v.value, 0, v.value.length, valueStart, end) === 0;
}

function writeContainer(out: BsonWriter, src: Buffer, start: number, type: number, node: PathNode): void {
  if (type === BSON_TYPE.document) writeDocument(out, src, start, node);
  else if (type === BSON_TYPE.array) writeArray(out, src, start, node);
  else throw new UpdateApplyError(node.path, `the path goes through a value of BSON type 0x${type.toString(16)}, not a document or array`);
}

/** An array element: a slice of the source, a new value from the event, a padding null, or a changed container. */
interface Item {
  type: number;
  src: Buffer;
  start: number;
  end: number;
  node?: PathNode;
  created?: boolean;
}

const NO_BYTES = Buffer.alloc(0);

function writeArray(out: BsonWriter, src: Buffer, start: number, node: PathNode): void {
  // Element boundaries only: an array's names are its indexes, rewritten below.
  const items: Item[] = [];
  const stop = start + src.readInt32LE(start) - 1;
  if (stop >= src.length || src[stop] !== 0) throw new BsonBytesError(`bad array length at ${start}`);
  for (let at = start + 4; at < stop; ) {
    const type = src[at] as number;
    let nul = at + 1;
    while (nul < stop && src[nul] !== 0) nul++;
    if (nul >= stop) throw new BsonBytesError(`unterminated array index at ${at}`);
    const end = nul + 1 + valueSize(src, type, nul + 1);
    if (end > stop) throw new BsonBytesError(`array element at ${at} runs past its array`);
    items.push({ type, src, start: nul + 1, end });
    at = end;
  }
  if (node.truncate !== undefined && node.truncate < items.length) items.length = node.truncate;
  const original = items.length;
  for (const c of node.children ?? []) {
    if (c.kind === 'field' || !STRICT_INDEX.test(c.name)) {
      throw new UpdateApplyError(c.path, 'a field name where the document has an array');
    }
    const index = Number(c.name);
    if (index >= items.length) {
      if (index - items.length > MAX_ARRAY_PADDING) throw new UpdateApplyError(c.path, `would pad the array by more than ${MAX_ARRAY_PADDING}`);
      while (items.length <= index) items.push({ type: BSON_TYPE.null, src: NO_BYTES, start: 0, end: 0, created: true });
    }
    const current = items[index] as Item;
    if (c.set) items[index] = { type: c.set.type, src: c.set.value, start: 0, end: c.set.value.length };
    else if (c.remove) items[index] = { type: BSON_TYPE.null, src: NO_BYTES, start: 0, end: 0 };
    else if (current.created === true && index >= original) {
      // A path below a padded slot creates a document there, as $set does.
      items[index] = { type: BSON_TYPE.document, src: EMPTY_DOCUMENT, start: 0, end: EMPTY_DOCUMENT.length, node: c };
    } else {
      items[index] = { ...current, node: c };
    }
  }
  const lengthAt = out.reserveLength();
  items.forEach((it, i) => {
    out.header(it.type, i < 1000 ? indexName(i) : nameBytes(String(i)));
    if (it.node) writeContainer(out, it.src, it.start, it.type, it.node);
    else out.copy(it.src, it.start, it.end);
  });
  out.endDocument(lengthAt);
}
