/**
 * Test support: random BSON documents, random edits of them as update
 * operators would make them, and the updateDescription MongoDB's delta diff
 * would report for a (before, after) pair — an independent model the engine
 * is checked against. Documents are Maps, so field order is explicit (a plain
 * object would move integer-like names first) and `serialize` keeps it.
 */
import { Decimal128, Double, Int32, Long, deserialize, serialize } from '../../../contracts/bson.js';
import type { UpdateDescriptionRecord } from '../../../contracts/avro/change-event.js';
import { readElements } from '../bson-bytes.js';

export type Value = Int32 | Double | Long | Decimal128 | string | boolean | null | Doc | Value[];
export type Doc = Map<string, Value>;

/** A small deterministic PRNG (mulberry32), seeded by fast-check. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/**
 * Plain names, numeric-looking names and names with a dot, which need
 * disambiguatedPaths: most dotted ones start with a plain name (and "b.0"
 * with a name and an index), so a document may hold both `a.b` and `a: {b}`
 * and a path may name either.
 */
const PLAIN = ['a', 'b', 'c', 'd', 'e', 'f'];
const NUMERIC = ['0', '1', '7'];
const DOTTED = ['p.q', 'a.b', 'b.0', 'c.d.e'];

function fieldName(rng: Rng): string {
  const r = rng.next();
  return r < 0.75 ? rng.pick(PLAIN) : r < 0.9 ? rng.pick(NUMERIC) : rng.pick(DOTTED);
}

export function scalar(rng: Rng): Value {
  switch (rng.int(9)) {
    case 0: return new Int32(rng.int(1000) - 500);
    case 1: return new Double(rng.int(1000) / 8);
    case 2: return Long.fromNumber(rng.int(1_000_000) * 1_000_003);
    case 3: return Decimal128.fromString(`${rng.int(10_000)}.${rng.int(100)}`);
    case 4: return `s${rng.int(50)}`;
    case 5: return rng.chance(0.5);
    case 6: return null;
    case 7: return new Double(rng.int(3)); // integral doubles: must stay doubles
    default: return new Int32(rng.int(3));
  }
}

export function value(rng: Rng, depth: number): Value {
  const r = rng.next();
  if (depth <= 0 || r < 0.6) return scalar(rng);
  if (r < 0.8) return doc(rng, depth - 1, 3);
  return Array.from({ length: rng.int(4) }, () => value(rng, depth - 1));
}

export function doc(rng: Rng, depth: number, maxFields: number): Doc {
  const d: Doc = new Map();
  const n = rng.int(maxFields + 1);
  for (let i = 0; i < n; i++) {
    const name = fieldName(rng);
    if (!d.has(name)) d.set(name, value(rng, depth));
  }
  return d;
}

export function bytesOf(v: Value): Buffer {
  return Buffer.from(serialize(new Map([['v', v]])));
}

function same(a: Value, b: Value): boolean {
  return bytesOf(a).equals(bytesOf(b));
}

/**
 * An edit of `before` as update operators make one: existing fields keep their
 * place (changed, changed inside, or removed), new fields are appended;
 * arrays change elements, shrink or grow.
 */
export function mutateDoc(rng: Rng, before: Doc, depth: number, protect?: string): Doc {
  const after: Doc = new Map();
  for (const [k, v] of before) {
    if (k === protect) {
      after.set(k, v);
      continue;
    }
    const r = rng.next();
    if (r < 0.45) after.set(k, v);
    else if (r < 0.6) continue;
    else after.set(k, mutateValue(rng, v, depth));
  }
  const extra = rng.int(3);
  for (let i = 0; i < extra; i++) {
    const name = fieldName(rng);
    if (!after.has(name) && !before.has(name)) after.set(name, value(rng, depth));
  }
  return after;
}

function mutateValue(rng: Rng, v: Value, depth: number): Value {
  if (v instanceof Map && rng.chance(0.7)) return mutateDoc(rng, v, Math.max(0, depth - 1));
  if (Array.isArray(v) && rng.chance(0.7)) {
    const out = v.map((x) => (rng.chance(0.3) ? mutateValue(rng, x, Math.max(0, depth - 1)) : x));
    const r = rng.next();
    if (r < 0.3) out.length = rng.int(out.length + 1);
    else if (r < 0.6) for (let i = rng.int(3); i >= 0; i--) out.push(value(rng, Math.max(0, depth - 1)));
    return out;
  }
  return value(rng, depth);
}

interface DiffOut {
  updated: [string, Value][];
  removed: string[];
  truncated: { field: string; newSize: number }[];
  disambiguated: [string, (string | Int32)[]][];
}

export type Component = { name: string; index: boolean };

function record(out: DiffOut, path: Component[], list: 'updated' | 'removed' | 'truncated', v?: Value, newSize?: number): void {
  const text = path.map((c) => c.name).join('.');
  if (list === 'updated') out.updated.push([text, v as Value]);
  else if (list === 'removed') out.removed.push(text);
  else out.truncated.push({ field: text, newSize: newSize as number });
  // The server lists a path in disambiguatedPaths when a field name in it is numeric or has a dot.
  if (path.some((c) => !c.index && (/^\d+$/.test(c.name) || c.name.includes('.')))) {
    out.disambiguated.push([text, path.map((c) => (c.index ? new Int32(Number(c.name)) : c.name))]);
  }
}

function diffDoc(rng: Rng, before: Doc, after: Doc, path: Component[], out: DiffOut): void {
  for (const k of before.keys()) if (!after.has(k)) record(out, [...path, { name: k, index: false }], 'removed');
  const names = [...new Set([...before.keys(), ...after.keys()])];
  for (const [k, a] of after) {
    const p = [...path, { name: k, index: false }];
    const b = before.get(k);
    if (b === undefined && !before.has(k)) record(out, p, 'updated', a);
    // Next to a field named "k.x", a path into k could read as that field's: sent whole, so no two paths are one text.
    else if (names.some((o) => o.startsWith(`${k}.`))) {
      if (!same(b as Value, a)) record(out, p, 'updated', a);
    } else diffValue(rng, b as Value, a, p, out);
  }
}

function diffValue(rng: Rng, b: Value, a: Value, p: Component[], out: DiffOut): void {
  if (same(b, a)) return;
  // The server may send a changed sub-document or array whole or as a diff: both must apply.
  if (b instanceof Map && a instanceof Map && orderKept(b, a) && rng.chance(0.75)) diffDoc(rng, b, a, p, out);
  else if (Array.isArray(b) && Array.isArray(a) && rng.chance(0.75)) diffArray(rng, b, a, p, out);
  else record(out, p, 'updated', a);
}

/**
 * A field diff can express `after` only if the fields it keeps are in their old
 * order and every new field comes after them (updates cannot reorder fields);
 * otherwise the server sends the whole value.
 */
function orderKept(before: Doc, after: Doc): boolean {
  const kept = [...after.keys()].filter((k) => before.has(k));
  const old = [...before.keys()].filter((k) => after.has(k));
  if (kept.join('\0') !== old.join('\0')) return false;
  const keys = [...after.keys()];
  const firstNew = keys.findIndex((k) => !before.has(k));
  return firstNew < 0 || keys.slice(firstNew).every((k) => !before.has(k));
}

function diffArray(rng: Rng, b: Value[], a: Value[], path: Component[], out: DiffOut): void {
  if (a.length < b.length) record(out, path, 'truncated', undefined, a.length);
  a.forEach((x, i) => {
    const p = [...path, { name: String(i), index: true }];
    if (i >= b.length) record(out, p, 'updated', x);
    else diffValue(rng, b[i] as Value, x, p, out);
  });
}

/**
 * The updateDescription of a change from `before` to `after`, as MongoDB's
 * delta diff would report it on a stream with showExpandedEvents (6.1+):
 * disambiguatedPaths always there, empty when nothing is ambiguous.
 */
export function diffDocuments(rng: Rng, before: Doc, after: Doc): UpdateDescriptionRecord {
  const out: DiffOut = { updated: [], removed: [], truncated: [], disambiguated: [] };
  diffDoc(rng, before, after, [], out);
  return {
    updatedFields: Buffer.from(serialize(new Map(out.updated))),
    removedFields: out.removed,
    truncatedArrays: out.truncated,
    disambiguatedPaths: Buffer.from(serialize(new Map(out.disambiguated))),
  };
}

export function docBytes(d: Doc): Buffer {
  return Buffer.from(serialize(d));
}

/** The event as a server without showExpandedEvents (or 6.0) sends it: no disambiguatedPaths. */
export function withoutDisambiguation(ud: UpdateDescriptionRecord): UpdateDescriptionRecord {
  return { ...ud, disambiguatedPaths: null };
}

export type PathGoal = 'set' | 'remove' | 'truncate';

function isContainer(v: Value | undefined): v is Doc | Value[] {
  return v instanceof Map || Array.isArray(v);
}

/**
 * A model of how a path without disambiguatedPaths is read against the
 * document (services/replay/resolve-paths.ts has the rules and why): the first
 * reading a delta can have written — in a document the whole rest as a name,
 * then dot-bounded prefixes naming a document or array, longest first, then
 * (for a set) a new field named by the rest; in an array an index, descending
 * only into an element that exists. Undefined when no delta can have written
 * the path.
 */
export function placePath(before: Doc, path: string, goal: PathGoal): Component[] | undefined {
  const place = (container: Doc | Value[], rest: string): Component[] | undefined => {
    if (Array.isArray(container)) {
      const dot = rest.indexOf('.');
      const name = dot < 0 ? rest : rest.slice(0, dot);
      if (!/^(0|[1-9][0-9]*)$/.test(name)) return undefined;
      const exists = Number(name) < container.length;
      const element = container[Number(name)];
      if (dot < 0) return goal === 'remove' || (goal === 'truncate' && !(exists && Array.isArray(element))) ? undefined : [{ name, index: true }];
      if (!exists || !isContainer(element)) return undefined;
      const below = place(element, rest.slice(dot + 1));
      return below && [{ name, index: true }, ...below];
    }
    if (container.has(rest) && (goal !== 'truncate' || Array.isArray(container.get(rest)))) return [{ name: rest, index: false }];
    const prefixes = [...container.keys()].filter((k) => rest.startsWith(`${k}.`) && isContainer(container.get(k))).sort((x, y) => y.length - x.length);
    for (const k of prefixes) {
      const below = place(container.get(k) as Doc | Value[], rest.slice(k.length + 1));
      if (below) return [{ name: k, index: false }, ...below];
    }
    return goal === 'set' ? [{ name: rest, index: false }] : undefined;
  };
  return place(before, path);
}

/** Every path of `ud` with what it does there, in the order the event lists them. */
export function eventPaths(ud: UpdateDescriptionRecord): { path: string; goal: PathGoal }[] {
  const updated = readElements(ud.updatedFields).map((e) => ({ path: e.name, goal: 'set' as const }));
  return [...updated, ...ud.removedFields.map((path) => ({ path, goal: 'remove' as const })), ...ud.truncatedArrays.map((t) => ({ path: t.field, goal: 'truncate' as const }))];
}

/** The components `ud` means by `path`: its disambiguatedPaths entry, else its dot-separated names (numeric ones index arrays). */
export function trueComponents(ud: UpdateDescriptionRecord, path: string): Component[] {
  const listed = ud.disambiguatedPaths === null ? undefined : (deserialize(ud.disambiguatedPaths) as Record<string, unknown[] | undefined>)[path];
  if (listed !== undefined) return listed.map((c) => (typeof c === 'string' ? { name: c, index: false } : { name: String(c), index: true }));
  return path.split('.').map((name) => ({ name, index: /^\d+$/.test(name) }));
}

/** disambiguatedPaths that list `readings`, for an event whose paths are to be read exactly so. */
export function disambiguatedPathsOf(readings: Map<string, Component[]>): Buffer {
  return Buffer.from(serialize(new Map([...readings].map(([path, cs]) => [path, cs.map((c) => (c.index ? new Int32(Number(c.name)) : c.name))]))));
}
