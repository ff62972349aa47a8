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
  // The last answer: consecutive events mostly share a namespace, and this runs for every event.
  private last: { db: string; coll: string | null; captured: boolean } | null = null;

  captures(db: string, coll: string | null): boolean {
    const last = this.last;
    if (last?.db === db && last.coll === coll) return last.captured;
    const captured = this.decide(db, coll);
    this.last = { db, coll, captured };
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
