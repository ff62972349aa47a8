/**
 * What a restore does to one namespace, decided by merging the state at T with
 * the target collection, both in document-key order. Pure: it reads two sorted
 * streams and yields one action per key, so dry-run and the real run take the
 * very same decisions.
 *
 * - into-empty: every document at T in scope is inserted (the target was
 *   checked empty before anything was written, so it is not read).
 * - overwrite: the target ends equal to the state at T within the scope:
 *   absent → insert, different bytes → replace, same bytes → unchanged, and a
 *   target document whose key did not exist at T → delete (when in scope).
 * - missing-only: only absent documents are inserted; an existing document is
 *   never touched (`unchanged` when byte-identical, `kept` when it differs).
 */
import { compareDocumentKeys } from '../../contracts/index.js';
import { documentKeyOf } from './document-keys.js';
import type { KeySet } from './document-keys.js';
import { matchesBson } from './filter.js';
import type { DocumentPredicate } from './filter.js';
import type { ArchiveRecord } from './state-source.js';

export type RestoreMode = 'into-empty' | 'overwrite' | 'missing-only';
export const RESTORE_MODES: readonly RestoreMode[] = ['into-empty', 'overwrite', 'missing-only'];

export type ActionKind = 'insert' | 'replace' | 'delete' | 'unchanged' | 'kept';

export interface Action {
  kind: ActionKind;
  key: Uint8Array;
  /** The document at T, for insert and replace. */
  document?: Uint8Array;
}

export interface DocumentScope {
  /** `--filter`, evaluated on the document at T (and, for deletes, on the target's document). */
  predicate?: DocumentPredicate;
  /** `--id` / `--keys-from`: only these keys. */
  keys?: KeySet;
}

/** Whether a document of the state at T is in the restore's document scope (plan-actions and the check pass agree on it). */
export function inScope(scope: DocumentScope, key: Uint8Array, document: Uint8Array): boolean {
  if (scope.keys && !scope.keys.has(key)) return false;
  return !scope.predicate || matchesBson(scope.predicate, document);
}

interface Keyed {
  key: Uint8Array;
  document: Uint8Array;
}

async function* keyedTarget(target: AsyncIterable<Uint8Array>): AsyncGenerator<Keyed> {
  for await (const document of target) yield { key: documentKeyOf(document), document };
}

/** Skips everything at or before `after` (the last key a killed run made durable). */
async function* skipping<T extends Keyed>(items: AsyncIterable<T>, after: Uint8Array): AsyncGenerator<T> {
  for await (const item of items) {
    if (compareDocumentKeys(item.key, after) <= 0) continue;
    yield item;
  }
}

/** Only a resumed job skips; a fresh one gets the stream itself (one promise turn less per document). */
function skipThrough<T extends Keyed>(items: AsyncIterable<T>, after: Uint8Array | undefined): AsyncIterable<T> {
  return after ? skipping(items, after) : items;
}

export async function* planActions(options: {
  mode: RestoreMode;
  archive: AsyncIterable<ArchiveRecord>;
  /** The target's documents ascending by _id, raw BSON; not read in into-empty mode. */
  target: AsyncIterable<Uint8Array> | null;
  scope: DocumentScope;
  after?: Uint8Array;
}): AsyncGenerator<Action> {
  const { mode, scope, after } = options;
  const archive = skipThrough(options.archive, after)[Symbol.asyncIterator]();
  if (mode === 'into-empty' || !options.target) {
    for (let a = await archive.next(); !a.done; a = await archive.next()) {
      if (inScope(scope, a.value.key, a.value.document)) yield { kind: 'insert', key: a.value.key, document: a.value.document };
    }
    return;
  }
  const target = skipThrough(keyedTarget(options.target), after)[Symbol.asyncIterator]();
  let a = await archive.next();
  let t = await target.next();
  while (!a.done || !t.done) {
    const c = a.done ? 1 : t.done ? -1 : compareDocumentKeys(a.value.key, t.value.key);
    if (c < 0 && !a.done) {
      if (inScope(scope, a.value.key, a.value.document)) yield { kind: 'insert', key: a.value.key, document: a.value.document };
      a = await archive.next();
    } else if (c > 0 && !t.done) {
      if (mode === 'overwrite' && inScope(scope, t.value.key, t.value.document)) yield { kind: 'delete', key: t.value.key };
      t = await target.next();
    } else if (!a.done && !t.done) {
      if (inScope(scope, a.value.key, a.value.document)) {
        if (Buffer.compare(a.value.document, t.value.document) === 0) yield { kind: 'unchanged', key: a.value.key };
        else if (mode === 'overwrite') yield { kind: 'replace', key: a.value.key, document: a.value.document };
        else yield { kind: 'kept', key: a.value.key };
      }
      a = await archive.next();
      t = await target.next();
    }
  }
}
