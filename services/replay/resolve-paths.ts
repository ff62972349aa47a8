/**
 * Places an event's paths against the document they change, for an event
 * without disambiguatedPaths (MongoDB 6.0 never sends it; 6.1+ only with
 * showExpandedEvents). Such a path is its components joined with dots, and a
 * field name may itself contain a dot (written with $setField or
 * $replaceWith), so `"p.q"` may name the field `p.q` or the field `q` of `p`.
 *
 * The server's update events come from the delta its update logged
 * (change_stream_document_diff_parser.cpp joins the delta's field names with
 * dots): a path descends only through documents and arrays that exist, ends
 * at the field or element that was set, inserted or deleted (a deleted field
 * exists; a truncated array exists), and a parent the update creates is part
 * of the inserted value, never a path of its own. So the reading of a path is
 * the first one, in this order, that such a delta can have written:
 *
 * - In a document: the field whose name is the rest of the path; then the
 *   fields whose names are a dot-bounded prefix of the rest and that hold a
 *   document or an array, the longest name first (a field named "p.q" wins
 *   over the field `q` of `p`); then, for a set, a new field whose name is the
 *   rest of the path (it may contain dots).
 * - In an array: the component is an index; a path goes on only through an
 *   element that exists and is a document or array.
 *
 * A path no delta can have written (a removal of a missing field, a path
 * through a scalar or past an array's end) takes the longest-name reading
 * without looking ahead: a removal of what is missing then removes nothing,
 * and a path the general writer refuses is still refused.
 *
 * Only the slow path comes here: the writers read a document's field names
 * as they write it and ask for this only when a name starts with a path's
 * component and a dot, or a path's parent is missing or not a container.
 */
import { BSON_TYPE, BsonBytesError, documentStop, nameEnd, valueSize } from './bson-bytes.js';
import type { PathNode, PathPlacer } from './update-paths.js';
import { PathGoal, canonicalIndex, childNode, recompile, sameBytes, splitPath } from './update-paths.js';

/** One component of a reading: `path[start, start + length)`, an array index or a field name. */
interface Part {
  start: number;
  length: number;
  index: boolean;
}

/** A field or element of the document: its type, where its value starts, its name's length. */
interface Found {
  type: number;
  value: number;
  nameLength: number;
}

const NO_DOCUMENT = new Uint8Array(0);

function isContainer(type: number): boolean {
  return type === BSON_TYPE.document || type === BSON_TYPE.array;
}

class DocumentPlacer implements PathPlacer {
  src: Uint8Array = NO_DOCUMENT;
  start = 0;
  private path: Uint8Array = NO_DOCUMENT;
  private end = 0;
  private goal = PathGoal.Set;
  private readonly parts: Part[] = [];

  leaf(root: PathNode, path: Uint8Array, start: number, end: number, goal: PathGoal): PathNode {
    this.path = path;
    this.end = end;
    this.goal = goal;
    this.parts.length = 0;
    if (!this.written(this.start, false, start)) return this.longest(root, start);
    let node = root;
    for (const p of this.parts) node = childNode(node, path, p.start, p.length, p.index ? 'index' : 'field');
    return node;
  }

  /** Whether a delta can have written the rest of the path from `from`, in the container at `container`; its reading is in `parts`. */
  private written(container: number, inArray: boolean, from: number): boolean {
    const { path, end, goal, parts } = this;
    if (inArray) {
      let dot = from;
      while (dot < end && path[dot] !== 0x2e) dot++;
      const index = canonicalIndex(path, from, dot - from);
      if (index < 0) return false;
      const element = this.element(container, index);
      if (dot === end) {
        // An array's delta sets elements (or appends) and truncates; it removes none.
        if (goal === PathGoal.Remove || (goal === PathGoal.Truncate && element?.type !== BSON_TYPE.array)) return false;
        parts.push({ start: from, length: dot - from, index: true });
        return true;
      }
      if (element === undefined || !isContainer(element.type)) return false;
      parts.push({ start: from, length: dot - from, index: true });
      if (this.written(element.value, element.type === BSON_TYPE.array, dot + 1)) return true;
      parts.pop();
      return false;
    }
    const rest = end - from;
    const fields = this.fields(container, from);
    const whole = fields.find((f) => f.nameLength === rest);
    if (whole !== undefined && (goal !== PathGoal.Truncate || whole.type === BSON_TYPE.array)) {
      parts.push({ start: from, length: rest, index: false });
      return true;
    }
    const prefixes = fields.filter((f) => f.nameLength < rest && isContainer(f.type)).sort((a, b) => b.nameLength - a.nameLength);
    for (const f of prefixes) {
      parts.push({ start: from, length: f.nameLength, index: false });
      if (this.written(f.value, f.type === BSON_TYPE.array, from + f.nameLength + 1)) return true;
      parts.pop();
    }
    if (goal !== PathGoal.Set) return false;
    parts.push({ start: from, length: rest, index: false });
    return true;
  }

  /** The reading that takes the longest fitting name at each level, without looking ahead. */
  private longest(root: PathNode, start: number): PathNode {
    const { path, end } = this;
    let node = root;
    let container = this.start;
    let inArray = false;
    let from = start;
    for (;;) {
      let next: Found | undefined;
      if (inArray) {
        let dot = from;
        while (dot < end && path[dot] !== 0x2e) dot++;
        const index = canonicalIndex(path, from, dot - from);
        if (index >= 0 && dot === end) return childNode(node, path, from, end - from, 'index');
        next = index < 0 ? undefined : this.element(container, index);
        // Past the end, through a scalar, or a name in an array: split as any path (padded, or refused).
        if (next === undefined || !isContainer(next.type)) return splitPath(node, path, from, end);
        node = childNode(node, path, from, dot - from, 'index');
        from = dot + 1;
      } else {
        const rest = end - from;
        for (const f of this.fields(container, from)) {
          if (f.nameLength === rest) return childNode(node, path, from, rest, 'field');
          if (isContainer(f.type) && (next === undefined || f.nameLength > next.nameLength)) next = f;
        }
        if (next === undefined) return childNode(node, path, from, rest, 'field');
        node = childNode(node, path, from, next.nameLength, 'field');
        from += next.nameLength + 1;
      }
      container = next.value;
      inArray = next.type === BSON_TYPE.array;
    }
  }

  /** The fields of the document at `container` whose name is the rest of the path from `from`, or a dot-bounded prefix of it. */
  private fields(container: number, from: number): Found[] {
    const { src, path, end } = this;
    const rest = end - from;
    const out: Found[] = [];
    const stop = documentStop(src, container);
    for (let at = container + 4; at < stop; ) {
      const type = src[at] as number;
      const nul = nameEnd(src, at + 1, stop);
      const valueEnd = nul + 1 + valueSize(src, type, nul + 1);
      if (valueEnd > stop) throw new BsonBytesError(`field at ${at} runs past its document`);
      const n = nul - at - 1;
      if ((n === rest || (n < rest && path[from + n] === 0x2e)) && sameBytes(src, at + 1, path, from, n)) out.push({ type, value: nul + 1, nameLength: n });
      at = valueEnd;
    }
    return out;
  }

  /** Element `index` of the array at `container`, if it has one. */
  private element(container: number, index: number): Found | undefined {
    const src = this.src;
    const stop = documentStop(src, container);
    for (let at = container + 4, k = 0; at < stop; k++) {
      const type = src[at] as number;
      const nul = nameEnd(src, at + 1, stop);
      if (k === index) return { type, value: nul + 1, nameLength: nul - at - 1 };
      at = nul + 1 + valueSize(src, type, nul + 1);
      if (at > stop) throw new BsonBytesError(`array element at ${at} runs past its array`);
    }
    return undefined;
  }
}

const placer = new DocumentPlacer();

/** The paths of the tree compiled last (`root`), placed against the document at `src[start..]`, as a second tree. */
export function placeAgainstDocument(root: PathNode, src: Uint8Array, start: number): PathNode {
  placer.src = src;
  placer.start = start;
  try {
    return recompile(root, placer);
  } finally {
    placer.src = NO_DOCUMENT;
  }
}
