/**
 * Applies a change event's updateDescription to the prior document, exactly as
 * mongod's update would have left it (learned from mongod's update nodes, the
 * v2 delta applier and the change-stream diff parser that turns the delta into
 * updatedFields / removedFields / truncatedArrays):
 *
 * - An existing field keeps its place; a new field is appended to its parent,
 *   in the order updatedFields lists it (the order the delta's inserts had).
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
import { BSON_TYPE, BsonBytesError, EMPTY_DOCUMENT, buildDocument, pushElement, readElements, valueBytes } from './bson-bytes.js';

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
  set?: { type: number; value: Buffer };
  remove?: boolean;
  truncate?: number;
  children?: Map<string, PathNode>;
}

const STRICT_INDEX = /^(0|[1-9]\d*)$/;

function child(parent: PathNode, name: string, kind: ComponentKind): PathNode {
  parent.children ??= new Map();
  let node = parent.children.get(name);
  if (node === undefined) {
    node = { kind, path: parent.path === '' ? name : `${parent.path}.${name}` };
    parent.children.set(name, node);
  } else if (kind !== 'auto') {
    node.kind = kind;
  }
  return node;
}

type Components = readonly { name: string; kind: ComponentKind }[];

function componentsOf(path: string, disambiguated: Map<string, Components> | undefined): Components {
  return disambiguated?.get(path) ?? path.split('.').map((name) => ({ name, kind: 'auto' as const }));
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
  const root: PathNode = { kind: 'field', path: '' };
  const disambiguated = readDisambiguated(ud.disambiguatedPaths);
  for (const e of readElements(ud.updatedFields)) {
    const node = leaf(root, e.name, disambiguated);
    if (node.set || node.children) throw new UpdateApplyError(e.name, 'path listed twice or overlaps another updated path');
    node.set = { type: e.type, value: valueBytes(ud.updatedFields, e) };
  }
  for (const path of ud.removedFields) {
    const node = leaf(root, path, disambiguated);
    if (node.set || node.children) throw new UpdateApplyError(path, 'path both updated and removed');
    node.remove = true;
  }
  for (const t of ud.truncatedArrays) {
    if (!Number.isInteger(t.newSize) || t.newSize < 0) throw new UpdateApplyError(t.field, `bad newSize ${t.newSize}`);
    const node = leaf(root, t.field, disambiguated);
    if (node.set || node.remove) throw new UpdateApplyError(t.field, 'truncated array also replaced or removed');
    node.truncate = t.newSize;
  }
  for (const n of walk(root)) {
    if (n.children && (n.set || n.remove)) throw new UpdateApplyError(n.path, 'path replaced and also changed below');
  }
  return root;
}

function* walk(node: PathNode): Generator<PathNode> {
  yield node;
  if (node.children) for (const c of node.children.values()) yield* walk(c);
}

/** Applies `ud` to the BSON document `doc` and returns the new document's bytes. */
export function applyUpdateDescription(doc: Buffer, ud: UpdateDescriptionRecord): Buffer {
  return applyCompiled(doc, compileUpdateDescription(ud));
}

export function applyCompiled(doc: Buffer, root: PathNode): Buffer {
  try {
    return applyToDocument(doc, root);
  } catch (e) {
    if (e instanceof BsonBytesError) throw new UpdateApplyError(root.path, e.message);
    throw e;
  }
}

function applyToDocument(doc: Buffer, node: PathNode): Buffer {
  if (node.truncate !== undefined) throw new UpdateApplyError(node.path, 'truncatedArrays names a document, not an array');
  const children = node.children;
  if (!children) return doc;
  const parts: Buffer[] = [];
  let length = 0;
  let matched = 0;
  const seen = new Set<string>();
  for (const e of readElements(doc)) {
    const c = matched < children.size ? children.get(e.name) : undefined;
    if (c === undefined || c.kind === 'index') {
      if (c !== undefined) throw new UpdateApplyError(c.path, 'an array index where the document has a field');
      const raw = doc.subarray(e.start, e.end);
      parts.push(raw);
      length += raw.length;
      continue;
    }
    matched++;
    seen.add(e.name);
    if (c.set) {
      length += pushElement(parts, c.set.type, e.name, c.set.value);
    } else if (c.remove) {
      // dropped: the field disappears from its parent
    } else {
      const value = applyToContainer(doc.subarray(e.valueStart, e.end), e.type, c);
      length += pushElement(parts, e.type, e.name, value);
    }
  }
  // New fields go after every existing one, in the order the event lists them.
  if (matched < children.size) {
    for (const [name, c] of children) {
      if (seen.has(name)) continue;
      if (c.kind === 'index') throw new UpdateApplyError(c.path, 'an array index where the document has no array');
      if (c.set) length += pushElement(parts, c.set.type, name, c.set.value);
      else if (c.children) length += pushElement(parts, BSON_TYPE.document, name, applyToDocument(EMPTY_DOCUMENT, c));
      else if (c.truncate !== undefined) throw new UpdateApplyError(c.path, 'truncatedArrays names a missing field');
      // removing a missing field changes nothing, as $unset
    }
  }
  return buildDocument(parts, length);
}

function applyToContainer(value: Buffer, type: number, node: PathNode): Buffer {
  if (type === BSON_TYPE.document) return applyToDocument(value, node);
  if (type === BSON_TYPE.array) return applyToArray(value, node);
  throw new UpdateApplyError(node.path, `the path goes through a value of BSON type 0x${type.toString(16)}, not a document or array`);
}

interface Item {
  type: number;
  value: Buffer;
}

const NULL_ITEM: Item = { type: BSON_TYPE.null, value: Buffer.alloc(0) };

function applyToArray(arr: Buffer, node: PathNode): Buffer {
  const items: Item[] = readElements(arr).map((e) => ({ type: e.type, value: valueBytes(arr, e) }));
  if (node.truncate !== undefined && node.truncate < items.length) items.length = node.truncate;
  const original = items.length;
  for (const [name, c] of node.children ?? []) {
    if (c.kind === 'field' || !STRICT_INDEX.test(name)) {
      throw new UpdateApplyError(c.path, 'a field name where the document has an array');
    }
    const index = Number(name);
    if (index >= items.length) {
      if (index - items.length > MAX_ARRAY_PADDING) throw new UpdateApplyError(c.path, `would pad the array by more than ${MAX_ARRAY_PADDING}`);
      while (items.length <= index) items.push(NULL_ITEM);
    }
    const current = items[index] as Item;
    if (c.set) {
      items[index] = c.set;
    } else if (c.remove) {
      items[index] = NULL_ITEM;
    } else if (current === NULL_ITEM && index >= original) {
      // A path below a padded slot creates a document there, as $set does.
      items[index] = { type: BSON_TYPE.document, value: applyToDocument(EMPTY_DOCUMENT, c) };
    } else {
      items[index] = { type: current.type, value: applyToContainer(current.value, current.type, c) };
    }
  }
  const parts: Buffer[] = [];
  let length = 0;
  items.forEach((it, i) => {
    length += pushElement(parts, it.type, String(i), it.value);
  });
  return buildDocument(parts, length);
}
