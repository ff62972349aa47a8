/**
 * Master keys for client-side encryption: loaded from files or environment
 * variables (32 bytes, written as base64 or hex), each under an id that files
 * and key envelopes name. One key is active (it wraps the data keys of new
 * files); the others are loaded so older files stay readable and can be
 * re-wrapped (`rewind keys rotate`). Key material never appears in a message.
 */
import { readFileSync } from 'node:fs';
import type { EncryptionConfig } from '../../contracts/config.js';
import { ArchiveError } from './archive-errors.js';

export const MASTER_KEY_BYTES = 32;

export interface Keyring {
  /** The key that wraps data keys of new files; null: this process only reads. */
  readonly active: string | null;
  has(id: string): boolean;
  get(id: string): Buffer | undefined;
  readonly ids: readonly string[];
}

/** Decodes key text: 64 hex digits or base64 of 32 bytes (whitespace ignored). */
export function parseKeyText(text: string, id: string, source: string): Buffer {
  const t = text.replace(/\s+/g, '');
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === MASTER_KEY_BYTES) key = b;
  }
  if (!key) {
    throw new ArchiveError('ARCHIVE_KEY_INVALID', { keyId: id, source, detail: `expected ${MASTER_KEY_BYTES} bytes as 64 hex digits or base64` });
  }
  return key;
}

export function makeKeyring(keys: ReadonlyMap<string, Buffer>, active: string | null): Keyring {
  if (active !== null && !keys.has(active)) {
    throw new ArchiveError('ARCHIVE_KEY_INVALID', { keyId: active, source: 'the active key', detail: 'it is not among the loaded keys' });
  }
  return { active, has: (id) => keys.has(id), get: (id) => keys.get(id), ids: [...keys.keys()].sort() };
}

/** Loads every configured key now, so a missing file or variable stops the process at start. */
export function loadKeyring(config: EncryptionConfig, env: NodeJS.ProcessEnv = process.env): Keyring {
  const keys = new Map<string, Buffer>();
  for (const [id, source] of Object.entries(config.keys)) {
    if ('file' in source) {
      let text: string;
      try {
        text = readFileSync(source.file, 'utf8');
      } catch (err) {
        throw new ArchiveError('ARCHIVE_KEY_INVALID', { keyId: id, source: `file ${source.file}`, detail: `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})` }, { cause: err });
      }
      keys.set(id, parseKeyText(text, id, `file ${source.file}`));
    } else {
      const text = env[source.env];
      if (text === undefined || text === '') {
        throw new ArchiveError('ARCHIVE_KEY_INVALID', { keyId: id, source: `environment variable ${source.env}`, detail: 'it is not set' });
      }
      keys.set(id, parseKeyText(text, id, `environment variable ${source.env}`));
    }
  }
  return makeKeyring(keys, config.key ?? null);
}
