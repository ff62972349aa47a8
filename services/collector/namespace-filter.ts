/**
 * Which namespaces are captured: include and exclude patterns over `db.coll`,
 * where `*` matches any run of characters (`shop.*`, `*.audit`, `shop.orders`),
 * matched in linear time by contracts/namespace-pattern.ts (restore's `--ns`
 * reads patterns the same way). MongoDB's own databases (admin, local, config)
 * and `system.*` collections are never captured: they are not user data and
 * cannot be restored into.
 */
import { compileNamespacePattern, namespaceMatches } from '../../contracts/namespace-pattern.js';
import type { NamespacePattern } from '../../contracts/namespace-pattern.js';

const SYSTEM_DBS = new Set(['admin', 'local', 'config']);

export interface NamespaceScope {
  include: readonly string[];
  exclude: readonly string[];
}

export const CAPTURE_EVERYTHING: NamespaceScope = { include: ['*'], exclude: [] };

export class NamespaceFilter {
  private readonly include: NamespacePattern[];
  private readonly exclude: NamespacePattern[];
  private readonly includeDb: NamespacePattern[];

  constructor(scope: NamespaceScope = CAPTURE_EVERYTHING) {
    this.include = scope.include.map(compileNamespacePattern);
    this.exclude = scope.exclude.map(compileNamespacePattern);
    // A database-level event (dropDatabase) concerns every collection of the db: keep it when any include may match there.
    this.includeDb = scope.include.map((p) => compileNamespacePattern(p.includes('.') ? p.slice(0, p.indexOf('.')) : p));
  }

  /** Whether any collection of this database may be captured (the copy skips the others entirely). */
  capturesDb(db: string): boolean {
    return !SYSTEM_DBS.has(db) && db !== '' && this.includeDb.some((p) => namespaceMatches(p, db));
  }

  /** `coll` null: a database-level event. */
  // The answers so far, by db then coll (a database-level event's by db alone): this runs for every
  // event, and events interleave a few namespaces (remembering only the last one missed every other
  // event). Bounded: a source with very many namespaces starts over now and then.
  private readonly answers = new Map<string, Map<string, boolean>>();
  private readonly dbAnswers = new Map<string, boolean>();
  private answered = 0;

  captures(db: string, coll: string | null): boolean {
    let colls = coll === null ? undefined : this.answers.get(db);
    const known = coll === null ? this.dbAnswers.get(db) : colls?.get(coll);
    if (known !== undefined) return known;
    const captured = this.decide(db, coll);
    if (this.answered >= 4096) {
      this.answers.clear();
      this.dbAnswers.clear();
      this.answered = 0;
      colls = undefined;
    }
    this.answered += 1;
    if (coll === null) {
      this.dbAnswers.set(db, captured);
      return captured;
    }
    if (colls === undefined) this.answers.set(db, (colls = new Map<string, boolean>()));
    colls.set(coll, captured);
    return captured;
  }

  private decide(db: string, coll: string | null): boolean {
    if (SYSTEM_DBS.has(db) || db === '') return false;
    if (coll === null) return this.includeDb.some((p) => namespaceMatches(p, db));
    if (coll.startsWith('system.')) return false;
    const ns = `${db}.${coll}`;
    return this.include.some((p) => namespaceMatches(p, ns)) && !this.exclude.some((p) => namespaceMatches(p, ns));
  }
}
