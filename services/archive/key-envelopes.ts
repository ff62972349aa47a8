/**
 * Key envelopes: the data key of one encrypted file, wrapped (AES-256-GCM) by
 * one master key, stored as a small object of its own:
 *
 *   keys/<file path>/<master key id>.json   {v, dekId, keyId, iv, wrapped}
 *
 * Written before the file itself, so no file exists without a way to open
 * it. Rotation writes an envelope under the new key, then removes the old
 * ones: the encrypted file is never rewritten, which is what lets write-once
 * storage hold it. The additional data binds an envelope to its file's path,
 * its data key id and its master key id, so an envelope copied to another
 * file or renamed to another key id does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ArchiveError, isArchiveError } from './archive-errors.js';
import { readWhole } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import type { Keyring } from './keyring.js';

export const KEYS_PREFIX = 'keys/';

interface Envelope {
  v: 1;
  dekId: string;
  keyId: string;
  iv: string;
  wrapped: string;
}

export const envelopePath = (filePath: string, keyId: string) => `${KEYS_PREFIX}${filePath}/${keyId}.json`;

const aadOf = (filePath: string, dekId: string, keyId: string) => Buffer.from(`rewind-data-key\0${filePath}\0${dekId}\0${keyId}`);

export function wrapDataKey(filePath: string, dekId: string, dek: Buffer, keyId: string, master: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master, iv);
  c.setAAD(aadOf(filePath, dekId, keyId));
  const wrapped = Buffer.concat([c.update(dek), c.final(), c.getAuthTag()]);
  const envelope: Envelope = { v: 1, dekId, keyId, iv: iv.toString('base64'), wrapped: wrapped.toString('base64') };
  return Buffer.from(`${JSON.stringify(envelope)}\n`);
}

/** The master key ids that have an envelope for `filePath`. */
export async function envelopeKeyIds(store: BlobStore, filePath: string): Promise<string[]> {
  const prefix = `${KEYS_PREFIX}${filePath}/`;
  return (await store.list(prefix)).filter((p) => p.endsWith('.json')).map((p) => p.slice(prefix.length, -'.json'.length));
}

/** The data key id an envelope is for (rotation re-wraps by it). */
export async function envelopeDataKeyId(store: BlobStore, filePath: string, keyId: string): Promise<string> {
  return (await readEnvelope(store, filePath, keyId)).dekId;
}

async function readEnvelope(store: BlobStore, filePath: string, keyId: string): Promise<Envelope> {
  const path = envelopePath(filePath, keyId);
  try {
    return JSON.parse((await readWhole(store, path)).toString('utf8')) as Envelope;
  } catch (err) {
    if (isArchiveError(err)) throw err;
    throw new ArchiveError('ARCHIVE_DECRYPT_FAILED', { path: filePath, location: store.locate(filePath), detail: `the key envelope ${path} is not readable` }, { cause: err });
  }
}

/** Unwraps the envelope of `filePath` under `keyId`; ARCHIVE_KEY_WRONG when that key does not open it. */
export async function unwrapDataKey(store: BlobStore, filePath: string, dekId: string, keyId: string, master: Buffer): Promise<Buffer> {
  const path = envelopePath(filePath, keyId);
  const location = store.locate(filePath);
  const envelope = await readEnvelope(store, filePath, keyId);
  if (envelope.dekId !== dekId || envelope.keyId !== keyId) {
    throw new ArchiveError('ARCHIVE_DECRYPT_FAILED', { path: filePath, location, detail: `the key envelope ${path} belongs to another data key` });
  }
  try {
    const wrapped = Buffer.from(envelope.wrapped, 'base64');
    const d = createDecipheriv('aes-256-gcm', master, Buffer.from(envelope.iv, 'base64'));
    d.setAAD(aadOf(filePath, dekId, keyId));
    d.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([d.update(wrapped.subarray(0, wrapped.length - 16)), d.final()]);
  } catch (err) {
    throw new ArchiveError('ARCHIVE_KEY_WRONG', { path: filePath, location, keyId }, { cause: err });
  }
}

/** The data key of `filePath`, through the first envelope whose master key is loaded. */
export async function openDataKey(store: BlobStore, keyring: Keyring | null, filePath: string, dekId: string, headerKeyId: string): Promise<Buffer> {
  const ids = await envelopeKeyIds(store, filePath);
  const usable = keyring ? ids.filter((id) => keyring.has(id)) : [];
  const id = usable[0];
  if (!keyring || id === undefined) {
    const named = (ids.length > 0 ? ids : [headerKeyId]).map((i) => JSON.stringify(i)).join(' or ');
    throw new ArchiveError('ARCHIVE_KEY_MISSING', { path: filePath, location: store.locate(filePath), keyIds: named });
  }
  return unwrapDataKey(store, filePath, dekId, id, keyring.get(id) as Buffer);
}

/** Deletes a file and its key envelopes (retention, aborted writes). */
export async function deleteFileAndEnvelopes(store: BlobStore, filePath: string): Promise<void> {
  await store.delete(filePath);
  for (const id of await envelopeKeyIds(store, filePath)) await store.delete(envelopePath(filePath, id));
}
