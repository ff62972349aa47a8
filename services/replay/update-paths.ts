/**
 * The tree of paths an updateDescription touches, compiled once per event.
 * Building it checks for conflicting paths. Names are byte ranges — of the
 * event's own updatedFields, or of a cached UTF-8 encoding of a removed or
 * truncated path — so compiling decodes no field name and allocates no Buffer;
 * names are decoded only to word an error.
 */
import { RewindError } from '../../contracts/errors.js';
import { deserialize } from '../../contracts/bson.js';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { BsonBytesError, int32At, nameBytes, valueSize } from './bson-bytes.js';

export class UpdateApplyError extends RewindError<'UPDATE_NOT_APPLICABLE'> {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('UPDATE_NOT_APPLICABLE', `cannot apply update at ${JSON.stringify(path)}: ${reason}`, { context: { path } });
    this.name = 'UpdateApplyError';
    this.path = path;
  }
}

export type ComponentKind = 'auto' | 'field' | 'index';

const NO_BYTES = new Uint8Array(0);

/**
 * One path component. Nodes are pooled (see `pool`): a class with a fixed
 * shape, reset in place, so compiling an event allocates nothing.
 */
export class PathNode {
  parent: PathNode | undefined = undefined;
  kind: ComponentKind = 'auto';
  /** The component's UTF-8 name is `name[nameStart, nameStart + nameLength)`. */
  name: Uint8Array = NO_BYTES;
  nameStart = 0;
  nameLength = 0;
  /** The new value, when set: `setBuf[setStart, setEnd)` of BSON type `setType` (-1: not set). */
  setType = -1;
  setBuf: Uint8Array = NO_BYTES;
  setStart = 0;
  setEnd = 0;
  remove = false;
  /** truncatedArrays' newSize (-1: none). */
  truncate = -1;
  /** The children are `children[0, childCount)`; the array is kept across reuses. */
  readonly children: PathNode[] = [];
  childCount = 0;
  /**
   * On a root: the event has no disambiguatedPaths and its paths, split at
   * their dots, overlap. The tree has no children: the writers place the
   * paths against the document first (see OVERLAP).
   */
  overlaps = false;
  /** Matched while its parent document is written (each tree is written once). */
  seen = false;
  /**
   * This document's field names are all read, not only up to the last match:
   * the event has no disambiguatedPaths, and a path goes through a child of
   * this node, so a field of this document whose own name contains a dot
   * (`"p.q"`) may be what the path names (see resolve-paths).
   */
  scanNames = false;

  reset(parent: PathNode | undefined, kind: ComponentKind, name: Uint8Array, nameStart: number, nameLength: number): this {
    this.parent = parent;
    this.kind = kind;
    this.name = name;
    this.nameStart = nameStart;
    this.nameLength = nameLength;
    this.setType = -1;
    this.setBuf = NO_BYTES;
    this.setStart = 0;
    this.setEnd = 0;
    this.remove = false;
    this.truncate = -1;
    this.childCount = 0;
    this.seen = false;
    this.scanNames = false;
    this.overlaps = false;
    return this;
  }

  /** The dotted path down to here, for error messages. */
  get path(): string {
    const own = utf8(this.name, this.nameStart, this.nameStart + this.nameLength);
    if (this.parent === undefined) return '';
    const above = this.parent.path;
    return above === '' ? own : `${above}.${own}`;
  }
}

/**
 * The nodes of the tree compiled last. Apply is synchronous and a tree is
 * written right after it is compiled, so compiling the next one may reuse
 * them; the pool grows to the largest tree seen.
 */
const pool: PathNode[] = [];
let pooled = 0;

function newNode(parent: PathNode | undefined, kind: ComponentKind, name: Uint8Array, start: number, length: number): PathNode {
  let node = pool[pooled];
  if (node === undefined) {
    node = new PathNode();
    pool.push(node);
  }
  pooled++;
  return node.reset(parent, kind, name, start, length);
}

function utf8(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
}

/** The array index a component names, or -1: a field name, or not a canonical index ("0", "17", never "01"). */
export function arrayIndex(c: PathNode): number {
  return c.kind === 'field' ? -1 : canonicalIndex(c.name, c.nameStart, c.nameLength);
}

/** The array index `name[start, start + n)` spells, or -1. */
export function canonicalIndex(name: Uint8Array, start: number, n: number): number {
  if (n === 0 || (n > 1 && name[start] === 0x30)) return -1;
  let index = 0;
  for (let i = 0; i < n; i++) {
    const d = (name[start + i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    index = index * 10 + d;
  }
  return index;
}

/**
 * Whether the field name `src[start, start + length)` is a child's name and a
 * dot and more, for a child that paths go through: such a field may be what
 * the paths name (scanNames).
 */
export function dottedChildPrefix(node: PathNode, src: Uint8Array, start: number, length: number): boolean {
  const children = node.children;
  for (let i = 0; i < node.childCount; i++) {
    const c = children[i] as PathNode;
    const n = c.nameLength;
    if (c.childCount > 0 && length > n && src[start + n] === 0x2e && sameBytes(c.name, c.nameStart, src, start, n)) return true;
  }
  return false;
}

export function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/**
 * Split at their dots, the paths of an event without disambiguatedPaths may
 * overlap (`c` set, `c.d.e.a` set) where they do not: `c.d.e` may be one
 * field's name. Compiling then stops at the first overlap (OVERLAP) and
 * leaves the paths to be placed against the document (PathNode.overlaps).
 */
const OVERLAP = new Error('paths overlap once split at their dots');
let deferOverlaps = false;

function overlap(path: string, reason: string): Error {
  return deferOverlaps ? OVERLAP : new UpdateApplyError(path, reason);
}

/** The child of `parent` named `name[start, start + length)`, created if missing. */
export function childNode(parent: PathNode, name: Uint8Array, start: number, length: number, kind: ComponentKind): PathNode {
  // Descending below a path that is replaced or removed as a whole: two paths of the event overlap.
  if (parent.setType >= 0 || parent.remove) throw overlap(parent.path, 'path replaced and also changed below');
  const list = parent.children;
  for (let i = 0; i < parent.childCount; i++) {
    const c = list[i] as PathNode;
    if (c.nameLength === length && sameBytes(c.name, c.nameStart, name, start, length)) {
      if (kind !== 'auto') c.kind = kind;
      return c;
    }
  }
  const node = newNode(parent, kind, name, start, length);
  list[parent.childCount++] = node;
  return node;
}

type Components = readonly { name: string; kind: ComponentKind }[];

/**
 * How a path is turned into nodes: by disambiguatedPaths and splitting at
 * dots (compileUpdateDescription), or against the document (recompile).
 */
export interface PathPlacer {
  leaf(root: PathNode, path: Uint8Array, start: number, end: number, goal: PathGoal): PathNode;
}

/** What the event does at the end of a path. */
export const enum PathGoal {
  Set,
  Remove,
  Truncate,
}

/**
 * The nodes of `path[start, end)` below `node`, one per dot-separated
 * component (a byte that never occurs inside a multi-byte UTF-8 character).
 * With `mark`, each node that gets a child has its parent read every field
 * name (scanNames). A path refused halfway leaves nodes behind: the whole
 * tree is dropped with the error.
 */
export function splitPath(node: PathNode, path: Uint8Array, start: number, end: number, mark = false): PathNode {
  let from = start;
  for (let i = start; i <= end; i++) {
    if (i < end && path[i] !== 0x2e) continue;
    if (i === from) throw new UpdateApplyError(utf8(path, start, end), 'empty path component');
    if (mark && node.parent !== undefined) node.parent.scanNames = true;
    node = childNode(node, path, from, i - from, 'auto');
    from = i + 1;
  }
  return node;
}

/** The node of the path `path[start, end)`, created with its parents as needed. */
function leaf(
  root: PathNode,
  path: Uint8Array,
  start: number,
  end: number,
  disambiguated: Map<string, Components> | undefined,
  placer: PathPlacer | undefined,
  goal: PathGoal,
): PathNode {
  if (placer !== undefined) return placer.leaf(root, path, start, end, goal);
  // With disambiguatedPaths (even {}), a path it does not list has no dotted or numeric field name (the
  // server lists every such path): split it. Without, a dotted name may hide in the document: mark.
  if (disambiguated === undefined) return splitPath(root, path, start, end, true);
  const exact = disambiguated.get(utf8(path, start, end));
  if (exact === undefined) return splitPath(root, path, start, end);
  if (exact.length === 0 || exact.some((p) => p.name === '')) throw new UpdateApplyError(utf8(path, start, end), 'empty path component');
  let node = root;
  for (const p of exact) {
    const b = nameBytes(p.name);
    node = childNode(node, b, 0, b.length, p.kind);
  }
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

/** The event compiled last, to place its paths anew with recompile(). */
let lastDescription: UpdateDescriptionRecord | undefined;
let lastRoot: PathNode | undefined;

/** The tree of `ud`'s paths, valid until the next call (its nodes are reused). */
export function compileUpdateDescription(ud: UpdateDescriptionRecord): PathNode {
  pooled = 0;
  lastDescription = undefined;
  lastRoot = undefined;
  const disambiguated = readDisambiguated(ud.disambiguatedPaths);
  let root: PathNode;
  deferOverlaps = disambiguated === undefined;
  try {
    root = build(ud, disambiguated, undefined);
  } catch (e) {
    if (e !== OVERLAP) throw e;
    pooled = 0;
    root = newNode(undefined, 'field', NO_BYTES, 0, 0);
    root.overlaps = true;
  } finally {
    deferOverlaps = false;
  }
  lastDescription = ud;
  lastRoot = root;
  return root;
}

/**
 * The paths of the tree compiled last (`root`), placed by `placer` into a
 * second tree. The first stays intact; both are valid until the next
 * compileUpdateDescription().
 */
export function recompile(root: PathNode, placer: PathPlacer): PathNode {
  if (root !== lastRoot || lastDescription === undefined) throw new Error('recompile: not the tree compiled last');
  return build(lastDescription, undefined, placer);
}

function build(ud: UpdateDescriptionRecord, disambiguated: Map<string, Components> | undefined, placer: PathPlacer | undefined): PathNode {
  const root = newNode(undefined, 'field', NO_BYTES, 0, 0);
  const u = ud.updatedFields;
  if (u.length < 5) throw new BsonBytesError('document at 0 runs past the buffer');
  const size = int32At(u, 0);
  const stop = size - 1;
  if (size < 5 || stop >= u.length || u[stop] !== 0) throw new BsonBytesError(`bad document length ${size} at 0`);
  for (let at = 4; at < stop; ) {
    const type = u[at] as number;
    let nul = at + 1;
    while (nul < stop && u[nul] !== 0) nul++;
    if (nul >= stop) throw new BsonBytesError(`unterminated field name at ${at}`);
    const end = nul + 1 + valueSize(u, type, nul + 1);
    if (end > stop) throw new BsonBytesError(`field ${JSON.stringify(utf8(u, at + 1, nul))} runs past its document`);
    const node = leaf(root, u, at + 1, nul, disambiguated, placer, PathGoal.Set);
    if (node.setType >= 0 || node.remove || node.childCount > 0) throw overlap(utf8(u, at + 1, nul), 'path listed twice or overlaps another updated path');
    node.setType = type;
    node.setBuf = u;
    node.setStart = nul + 1;
    node.setEnd = end;
    at = end;
  }
  // Indexed loops: these lists are mostly empty, and an iterator per event is not free.
  const removed = ud.removedFields;
  for (let i = 0; i < removed.length; i++) {
    const path = removed[i] as string;
    const b = nameBytes(path);
    const node = leaf(root, b, 0, b.length, disambiguated, placer, PathGoal.Remove);
    if (node.setType >= 0 || node.remove || node.childCount > 0) throw overlap(path, 'path both updated and removed, or changed below');
    node.remove = true;
  }
  const truncated = ud.truncatedArrays;
  for (let i = 0; i < truncated.length; i++) {
    const t = truncated[i] as (typeof truncated)[number];
    if (!Number.isInteger(t.newSize) || t.newSize < 0) throw new UpdateApplyError(t.field, `bad newSize ${t.newSize}`);
    const b = nameBytes(t.field);
    const node = leaf(root, b, 0, b.length, disambiguated, placer, PathGoal.Truncate);
    if (node.setType >= 0 || node.remove) throw overlap(t.field, 'truncated array also replaced or removed');
    node.truncate = t.newSize;
  }
  return root;
}

/**
 * Whether every path below `node` (or `node` itself) is a removal: such a
 * subtree changes nothing where its parent is missing — a removal never
 * creates a parent document, nor pads an array.
 */
export function onlyRemovals(node: PathNode): boolean {
  if (node.setType >= 0 || node.truncate >= 0) return false;
  if (node.childCount === 0) return node.remove;
  for (let i = 0; i < node.childCount; i++) if (!onlyRemovals(node.children[i] as PathNode)) return false;
  return true;
}
