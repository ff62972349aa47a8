/**
 * Opens an archive by the name a person gives it: a folder, or
 * `s3://bucket/prefix`. Returns the blob store and the catalog store over the
 * same place, so every command, the archiver and restore reach files and
 * catalog alike. Opening touches nothing: the first request is the caller's.
 */
import { resolve } from 'node:path';
import { parseArchiveLocation } from '../../contracts/archive-location.js';
import type { ArchiveLocation } from '../../contracts/archive-location.js';
import type { EncryptionConfig, S3Config } from '../../contracts/config.js';
import { ArchiveError } from './archive-errors.js';
import type { BlobStore } from './blob-store.js';
import { CatalogStore } from './catalog-store.js';
import type { CatalogStoreOptions } from './catalog-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { withKeyring } from './keyed-store.js';
import { loadKeyring } from './keyring.js';
import type { Keyring } from './keyring.js';
import { S3BlobStore } from './s3-blob-store.js';
import type { S3BlobStoreOptions } from './s3-blob-store.js';
import { S3CatalogMedium } from './s3-catalog-medium.js';

export interface ArchiveAccess {
  /** How to reach an S3-compatible store (archive.s3 in the config, REWIND_S3_* for other commands). */
  s3?: Partial<S3Config> & Pick<S3BlobStoreOptions, 'credentials' | 'client' | 'retryBaseMs' | 'tempDir'>;
  catalog?: CatalogStoreOptions;
  /** Client-side encryption: the keys to load (archive.encryption, REWIND_ENCRYPTION_KEY(S)), or a loaded keyring. */
  encryption?: EncryptionConfig;
  keyring?: Keyring;
}

export interface OpenedArchive {
  location: ArchiveLocation;
  /** As shown to people: an absolute folder or s3://bucket/prefix. */
  root: string;
  /** Encrypts new files and opens encrypted ones when the archive was opened with keys. */
  store: BlobStore;
  keyring: Keyring | null;
  catalog: CatalogStore;
}

/**
 * An archive as a request names it, already parsed (a folder or a bucket
 * prefix) with the means to reach it: what the application layer's jobs take
 * instead of a command-line string.
 */
export interface ArchiveRef {
  location: ArchiveLocation;
  access?: ArchiveAccess;
}

/** The location as people write it: the folder, or s3://bucket/prefix. */
export function archiveLocationText(location: ArchiveLocation): string {
  return location.kind === 'fs' ? location.dir : `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
}

export function openArchiveRef(ref: ArchiveRef): OpenedArchive {
  return openArchiveAt(archiveLocationText(ref.location), ref.access);
}

export function openArchiveAt(name: string, access: ArchiveAccess = {}): OpenedArchive {
  const location = parseArchiveLocation(name);
  if ('error' in location) throw new ArchiveError('ARCHIVE_LOCATION_INVALID', { location: name, reason: location.error });
  // Keys are loaded now: a missing key file or variable stops a command before it touches the archive.
  const keyring = access.keyring ?? (access.encryption ? loadKeyring(access.encryption) : null);
  const keyed = (store: BlobStore) => (keyring ? withKeyring(store, keyring) : store);
  if (location.kind === 'fs') {
    const root = resolve(location.dir);
    return { location: { kind: 'fs', dir: root }, root, store: keyed(new FsBlobStore(root)), keyring, catalog: new CatalogStore(root, access.catalog) };
  }
  const s3 = access.s3 ?? {};
  const store = new S3BlobStore({
    bucket: location.bucket,
    prefix: location.prefix,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.region ? { region: s3.region } : {}),
    addressing: s3.addressing ?? 'virtual-host',
    ...(s3.partBytes ? { partBytes: s3.partBytes } : {}),
    ...(s3.maxAttempts ? { maxAttempts: s3.maxAttempts } : {}),
    ...(s3.credentials ? { credentials: s3.credentials } : {}),
    ...(s3.client ? { client: s3.client } : {}),
    ...(s3.retryBaseMs !== undefined ? { retryBaseMs: s3.retryBaseMs } : {}),
    ...(s3.tempDir ? { tempDir: s3.tempDir } : {}),
  });
  const catalog = new CatalogStore(new S3CatalogMedium(store, s3.leaseMs ? { leaseMs: s3.leaseMs } : {}), access.catalog);
  return { location, root: store.root, store: keyed(store), keyring, catalog };
}
