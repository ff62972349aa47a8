/**
 * `--filter <JSON query>`: a small, exact subset of MongoDB's query language,
 * evaluated on the archive's documents (the archive is files, not a server).
 *
 * Supported: implicit equality, $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin,
 * $exists, and the logical $and, $or, $nor; dotted paths through embedded
 * documents and arrays (numeric components index arrays). Comparison operators
 * only match values of the same type bracket, as MongoDB does; equality uses
 * MongoDB's BSON comparison (1, 1.0 and NumberLong(1) are equal). Anything else
 * ($regex, $elemMatch, $expr, $type, regular-expression values, …) is refused
 * with UNSUPPORTED_FILTER_OPERATOR: a restore must never widen or narrow its
 * scope because an operator was silently ignored.
 */
import { EJSON, deserialize } from '../../contracts/bson.js';
import type { Document } from 'bson';
import { EXACT_BSON, compareBsonValues } from '../../contracts/index.js';
import { RestoreError } from './errors.js';

export type DocumentPredicate = (doc: Document) => boolean;

const MISSING = Symbol('missing');
type Candidate = unknown;

const COMPARISONS = ['$gt', '$gte', '$lt', '$lte'] as const;
const FIELD_OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$exists', ...COMPARISONS]);
const LOGICAL = new Set(['$and', '$or', '$nor']);

function isPlainObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp) && (v as { _bsontype?: unknown })._bsontype === undefined;
}

function isRegex(v: unknown): boolean {
  return v instanceof RegExp || (typeof v === 'object' && v !== null && (v as { _bsontype?: unknown })._bsontype === 'BSONRegExp');
}

/** MongoDB's type brackets for comparison operators ($gt only compares like with like). */
function bracket(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Date) return 'date';
  if (Array.isArray(v)) return 'array';
  const bt = (v as { _bsontype?: string })._bsontype;
  switch (bt) {
    case 'Int32': case 'Double': case 'Long': case 'Decimal128': return 'number';
    case 'BSONSymbol': return 'string';
    case undefined: return 'object';
    default: return bt;
  }
}

/** Every value a dotted path reaches, MongoDB style: arrays on the way fan out. */
function candidates(value: unknown, parts: readonly string[], i: number): Candidate[] {
  if (i === parts.length) return [value];
  const part = parts[i] as string;
  if (Array.isArray(value)) {
    const out: Candidate[] = [];
    if (/^\d+$/.test(part)) {
      const idx = Number(part);
      if (idx < value.length) out.push(...candidates(value[idx], parts, i + 1));
    }
    for (const element of value) {
      if (isPlainObject(element)) out.push(...candidates(element, parts, i));
    }
    return out.length ? out : [MISSING];
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, part)) return candidates(value[part], parts, i + 1);
  return [MISSING];
}

/** A leaf array matches through itself and through each of its elements. */
function expand(values: Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  for (const v of values) {
    out.push(v);
    if (Array.isArray(v)) out.push(...(v as unknown[]));
  }
  return out;
}

function equalsAny(values: Candidate[], wanted: unknown): boolean {
  if (wanted === null) return values.some((v) => v === MISSING || v === null || v === undefined) || expand(values.filter((v) => v !== MISSING)).some((v) => v === null);
  return expand(values.filter((v) => v !== MISSING)).some((v) => bracket(v) === bracket(wanted) && compareBsonValues(v, wanted) === 0);
}

function compareAny(values: Candidate[], op: (typeof COMPARISONS)[number], wanted: unknown): boolean {
  return expand(values.filter((v) => v !== MISSING)).some((v) => {
    if (bracket(v) !== bracket(wanted)) return false;
    const c = compareBsonValues(v, wanted);
    return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
  });
}

function refuseRegex(value: unknown, where: string): void {
  if (isRegex(value)) {
    throw new RestoreError('UNSUPPORTED_FILTER_OPERATOR', `--filter: regular expressions are not supported (at ${where})`);
  }
}

function compileField(path: string, spec: unknown): DocumentPredicate {
  if (path.length === 0 || path.split('.').some((p) => p.length === 0)) {
    throw new RestoreError('BAD_FILTER', `--filter: invalid field path ${JSON.stringify(path)}`);
  }
  const parts = path.split('.');
  const at = (doc: Document) => candidates(doc, parts, 0);
  const keys = isPlainObject(spec) ? Object.keys(spec) : [];
  const operatorKeys = keys.filter((k) => k.startsWith('$'));
  if (operatorKeys.length === 0) {
    refuseRegex(spec, path);
    return (doc) => equalsAny(at(doc), spec);
  }
  if (operatorKeys.length !== keys.length) {
    throw new RestoreError('BAD_FILTER', `--filter: ${JSON.stringify(path)} mixes operators and field names`);
  }
  const tests: DocumentPredicate[] = [];
  for (const op of operatorKeys) {
    const arg = (spec as Document)[op] as unknown;
    if (!FIELD_OPERATORS.has(op)) {
      throw new RestoreError('UNSUPPORTED_FILTER_OPERATOR', `--filter: operator ${op} (at ${path}) is not supported; supported: ${[...FIELD_OPERATORS, ...LOGICAL].join(', ')}`, { context: { operator: op, path } });
    }
    refuseRegex(arg, `${path}.${op}`);
    switch (op) {
      case '$eq': tests.push((doc) => equalsAny(at(doc), arg)); break;
      case '$ne': tests.push((doc) => !equalsAny(at(doc), arg)); break;
      case '$in':
      case '$nin': {
        if (!Array.isArray(arg)) throw new RestoreError('BAD_FILTER', `--filter: ${op} needs an array (at ${path})`);
        for (const v of arg) refuseRegex(v, `${path}.${op}`);
        const hit = (doc: Document) => { const vs = at(doc); return arg.some((v) => equalsAny(vs, v)); };
        tests.push(op === '$in' ? hit : (doc) => !hit(doc));
        break;
      }
      case '$exists': {
        const want = Boolean(arg);
        tests.push((doc) => at(doc).some((v) => v !== MISSING) === want);
        break;
      }
      default: {
        const cmp = op as (typeof COMPARISONS)[number];
        tests.push((doc) => compareAny(at(doc), cmp, arg));
      }
    }
  }
  return (doc) => tests.every((t) => t(doc));
}

function compileQuery(query: unknown, where: string): DocumentPredicate {
  if (!isPlainObject(query)) throw new RestoreError('BAD_FILTER', `--filter: ${where} must be a query document`);
  const tests: DocumentPredicate[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('$')) {
      if (!LOGICAL.has(key)) {
        throw new RestoreError('UNSUPPORTED_FILTER_OPERATOR', `--filter: top-level operator ${key} is not supported; supported: ${[...LOGICAL].join(', ')}`, { context: { operator: key } });
      }
      if (!Array.isArray(value) || value.length === 0) throw new RestoreError('BAD_FILTER', `--filter: ${key} needs a non-empty array`);
      const parts = value.map((q, i) => compileQuery(q, `${key}[${i}]`));
      if (key === '$and') tests.push((doc) => parts.every((p) => p(doc)));
      else if (key === '$or') tests.push((doc) => parts.some((p) => p(doc)));
      else tests.push((doc) => !parts.some((p) => p(doc)));
    } else {
      tests.push(compileField(key, value));
    }
  }
  return (doc) => tests.every((t) => t(doc));
}

/** Parses `--filter` text (Extended JSON, so `{"$oid": …}` and `{"$date": …}` work) and compiles it. */
export function parseFilter(text: string): DocumentPredicate {
  let query: unknown;
  try {
    query = EJSON.parse(text, { relaxed: false });
  } catch (cause) {
    throw new RestoreError('BAD_FILTER', `--filter is not valid (Extended) JSON: ${(cause as Error).message}`, { cause });
  }
  return compileQuery(query, 'the filter');
}

/** Applies a predicate to BSON bytes, reading them without changing their types. */
export function matchesBson(predicate: DocumentPredicate, bytes: Uint8Array): boolean {
  return predicate(deserialize(bytes, EXACT_BSON));
}
