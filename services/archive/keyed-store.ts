/**
 * A blob store that carries the archive's keyring: the container writer
 * encrypts through it (with the active key) and the container reader opens
 * encrypted files through it, so everything that writes or reads files
 * (archiver, compaction, restore, history) is encrypted by opening the
 * archive with keys, without passing keys along. Stored bytes are the
 * ciphertext: file references, sha256 and `rewind verify` need no key.
 */
import type { Readable } from 'node:stream';
import type { FileRef } from '../../contracts/index.js';
import type { BlobSource, BlobStat, BlobStore } from './blob-store.js';
import type { Keyring } from './keyring.js';

const KEYRING = Symbol('rewind.keyring');

class KeyedBlobStore implements BlobStore {
  readonly [KEYRING]: Keyring;
  readonly inner: BlobStore;
  readonly openVerified?: (ref: FileRef) => Promise<Readable>;

  constructor(inner: BlobStore, keyring: Keyring) {
    this.inner = inner;
    this[KEYRING] = keyring;
    if (inner.openVerified) this.openVerified = (ref) => (inner.openVerified as (r: FileRef) => Promise<Readable>).call(inner, ref);
  }

  locate(path: string): string {
    return this.inner.locate(path);
  }
  put(path: string, source: BlobSource): Promise<FileRef> {
    return this.inner.put(path, source);
  }
  openRead(path: string): Promise<Readable> {
    return this.inner.openRead(path);
  }
  stat(path: string): Promise<BlobStat | null> {
    return this.inner.stat(path);
  }
  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }
  delete(path: string): Promise<void> {
    return this.inner.delete(path);
  }
  list(prefix?: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
}

export function withKeyring(store: BlobStore, keyring: Keyring): BlobStore {
  return new KeyedBlobStore(store instanceof KeyedBlobStore ? store.inner : store, keyring);
}

/** The keyring the store carries, or null (the archive was opened without keys). */
export function keyringOf(store: BlobStore): Keyring | null {
  return store instanceof KeyedBlobStore ? store[KEYRING] : null;
}

/** The store underneath (an S3BlobStore or FsBlobStore), for code that needs its own methods. */
export function unkeyed(store: BlobStore): BlobStore {
  return store instanceof KeyedBlobStore ? store.inner : store;
}
