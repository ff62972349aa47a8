/**
 * The tree of paths an updateDescription touches, compiled once per event.
 * Building it checks for conflicting paths. Names are byte ranges — of the
 * event's own updatedFields, or of a cached UTF-8 encoding of a removed or
 * truncated path — so compiling decodes no field name and allocates no Buffer;
 * names are decoded only to word an error.
 */
import { deserialize } from '../../contracts/bson.js';
import type { UpdateDescriptionRecord } from '../../contracts/avro/change-event.js';
import { EXACT_BSON } from '../../contracts/document-key.js';
import { BsonBytesError, int32At, nameBytes, valueSize } from './bson-bytes.js';

export class UpdateApplyError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`cannot apply update at ${JSON.stringify(path)}: ${reason}`);
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
  /** Matched while its parent document is written (each tree is written once). */
  seen = false;

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
  if (c.kind === 'field') return -1;
  const n = c.nameLength;
  if (n === 0 || (n > 1 && c.name[c.nameStart] === 0x30)) return -1;
  let index = 0;
  for (let i = 0; i < n; i++) {
    const d = (c.name[c.nameStart + i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    index = index * 10 + d;
  }
  return index;
}

export function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

function child(parent: PathNode, name: Uint8Array, start: number, length: number, kind: ComponentKind): PathNode {
  // Descending below a path that is replaced or removed as a whole: two paths of the event overlap.
  if (parent.setType >= 0 || parent.remove) throw new UpdateApplyError(parent.path, 'path replaced and also changed below');
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

/** The node of the path `path[start, end)`, created with its parents as needed. */
function leaf(root: PathNode, path: Uint8Array, start: number, end: number, disambiguated: Map<string, Components> | undefined): PathNode {
  const exact = disambiguated?.get(utf8(path, start, end));
  if (exact !== undefined) {
    if (exact.length === 0 || exact.some((p) => p.name === '')) throw new UpdateApplyError(utf8(path, start, end), 'empty path component');
    let node = root;
    for (const p of exact) {
      const b = nameBytes(p.name);
      node = child(node, b, 0, b.length, p.kind);
    }
    return node;
  }
  // Components split at '.' (a byte that never occurs inside a multi-byte UTF-8 character).
  // (A path refused halfway leaves nodes behind: the whole tree is dropped with the error.)
  let node = root;
  let from = start;
  for (let i = start; i <= end; i++) {
    if (i < end && path[i] !== 0x2e) continue;
    if (i === from) throw new UpdateApplyError(utf8(path, start, end), 'empty path component');
    node = child(node, path, from, i - from, 'auto');
    from = i + 1;
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

function stringLeaf(root: PathNode, path: string, disambiguated: Map<string, Components> | undefined): PathNode {
  const b = nameBytes(path);
  return leaf(root, b, 0, b.length, disambiguated);
}

/** The tree of `ud`'s paths, valid until the next call (its nodes are reused). */
export function compileUpdateDescription(ud: UpdateDescriptionRecord): PathNode {
  pooled = 0;
  const root = newNode(undefined, 'field', NO_BYTES, 0, 0);
  const disambiguated = readDisambiguated(ud.disambiguatedPaths);
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
    const node = leaf(root, u, at + 1, nul, disambiguated);
    if (node.setType >= 0 || node.remove || node.childCount > 0) throw new UpdateApplyError(utf8(u, at + 1, nul), 'path listed twice or overlaps another updated path');
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
    const node = stringLeaf(root, path, disambiguated);
    if (node.setType >= 0 || node.remove || node.childCount > 0) throw new UpdateApplyError(path, 'path both updated and removed, or changed below');
    node.remove = true;
  }
  const truncated = ud.truncatedArrays;
  for (let i = 0; i < truncated.length; i++) {
    const t = truncated[i] as (typeof truncated)[number];
    if (!Number.isInteger(t.newSize) || t.newSize < 0) throw new UpdateApplyError(t.field, `bad newSize ${t.newSize}`);
    const node = stringLeaf(root, t.field, disambiguated);
    if (node.setType >= 0 || node.remove) throw new UpdateApplyError(t.field, 'truncated array also replaced or removed');
    node.truncate = t.newSize;
  }
  return root;
}
