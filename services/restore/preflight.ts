/**
 * The check pass of a restore: every document the job would write is read
 * once, before the first write, exactly as the write pass will read it. Each
 * snapshot block the namespace needs is decompressed and decoded, every event
 * up to T is folded onto its document, and the keys are checked to come in
 * strictly ascending order (the merge with the target relies on it). So a
 * block that does not decode behind a matching checksum, a snapshot position
 * that contradicts the segments (an update of a document the snapshot lacks),
 * or keys out of order refuse the whole job here, instead of stopping it with
 * earlier namespaces already written. A dry run makes the same pass, so it
 * refuses exactly what the real run refuses, at the same point.
 *
 * It also counts what is in scope at T (progress totals, and "nothing to
 * restore" is known before anything is created) and which `--id` keys exist.
 */
import { compareDocumentKeys } from '../../contracts/index.js';
import { keyToJson } from './document-keys.js';
import type { KeySet } from './document-keys.js';
import { RestoreError } from './errors.js';
import { inScope } from './plan-actions.js';
import type { DocumentScope } from './plan-actions.js';
import type { NamespaceAtT } from './state-source.js';

export interface NamespaceCheck {
  ns: string;
  /** Documents at T. */
  documents: number;
  /** Documents at T within the document scope (all of them without one). */
  inScope: number;
  /** Keys of the scope's key set that exist at T (when the scope has one). */
  keysFound: Uint8Array[];
}

export async function checkNamespace(source: NamespaceAtT, scope: DocumentScope, onProgress?: (checked: number) => void): Promise<NamespaceCheck> {
  const check: NamespaceCheck = { ns: source.ns, documents: 0, inScope: 0, keysFound: [] };
  const keys: KeySet | undefined = scope.keys;
  let previous: Uint8Array | null = null;
  for await (const record of source.records()) {
    if (previous !== null && compareDocumentKeys(previous, record.key) >= 0) {
      throw new RestoreError('ARCHIVE_INCONSISTENT', `${source.ns}: the archive's documents at the target are not in key order (${JSON.stringify(keyToJson(record.key))} after ${JSON.stringify(keyToJson(previous))}); nothing was written`, {
        context: { ns: source.ns },
      });
    }
    previous = record.key;
    check.documents++;
    if (inScope(scope, record.key, record.document)) {
      check.inScope++;
      if (keys) check.keysFound.push(record.key);
    }
    if (onProgress && check.documents % 10_000 === 0) onProgress(check.documents);
  }
  onProgress?.(check.documents);
  return check;
}
