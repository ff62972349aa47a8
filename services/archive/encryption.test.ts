// Client-side encryption of archive files (AES-256-GCM, a data key per file
// wrapped by a master key): nothing of a document reaches the store in the
// clear, the file names its key, a wrong or missing key is named, tampering is
// refused, and rotation re-wraps data keys without rewriting a file.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptionConfigSchema, parseConfig } from '../../contracts/config.js';
import type { ChangeEvent, FileRef } from '../../contracts/index.js';
import {
  CatalogStore,
  ENCRYPTED_MAGIC,
  FsBlobStore,
  deleteFileAndEnvelopes,
  envelopeKeyIds,
  loadKeyring,
  makeKeyring,
  openArchiveAt,
  readSegment,
  readSnapshotNamespace,
  rotateKeys,
  withKeyring,
  writeSegment,
  writeSnapshotNamespace,
} from './index.js';
import type { BlobStore } from './index.js';
import { bsonBytes, makeEvent, tempDir } from './testing/samples.js';

const MARKER = 'MARKER-7f3a-not-for-the-store';
const k1 = randomBytes(32);
const k2 = randomBytes(32);

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('rewind-enc-')));
afterEach(async () => cleanup());

const keyring = (keys: Record<string, Buffer>, active: string | null) => makeKeyring(new Map(Object.entries(keys)), active);

function markedEvents(n: number, pad = 0): ChangeEvent[] {
  return Array.from({ length: n }, (_, i) =>
    makeEvent(i + 1, { increment: i + 1, document: bsonBytes({ _id: i, note: `${MARKER} ${i}`, pad: randomBytes(pad).toString('base64') }) }),
  );
}

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function filesContaining(root: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await allFiles(root)) if ((await readFile(f)).includes(Buffer.from(needle))) out.push(f);
  return out;
}

async function readAllEvents(store: BlobStore, ref: Parameters<typeof readSegment>[1]): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for await (const e of readSegment(store, ref)) out.push(e);
  return out;
}

/** Writes a segment, a snapshot namespace and a catalog naming them, as the archiver does. */
async function writeArchive(store: BlobStore): Promise<{ segment: FileRef; events: ChangeEvent[] }> {
  const events = markedEvents(50);
  const seg = await writeSegment(store, events, { codec: 'null' });
  const snap = await writeSnapshotNamespace(
    store,
    'snap-1',
    { ns: 'shop.orders', indexes: [], options: {} },
    [1, 2, 3].map((i) => ({ key: bsonBytes({ _id: i }), document: bsonBytes({ _id: i, secret: `${MARKER} doc ${i}` }) })),
    { codec: 'null' },
  );
  const catalog = new CatalogStore(dir);
  await catalog.init('enc');
  await catalog.update((c) => {
    c.segments.push(seg);
    c.snapshots.push({ id: 'snap-1', position: '1714564800.0.0', kind: 'initial-copy', namespaces: [snap], createdAt: new Date().toISOString() });
  });
  return { segment: seg.file, events };
}

describe('client-side encryption', () => {
  it('with encryption on, no document byte reaches the store in the clear (without it, the marker is plainly there)', async () => {
    const plain = await tempDir('rewind-enc-plain-');
    try {
      // The control: the same archive unencrypted, codec null, shows the marker in its files.
      await writeSegment(new FsBlobStore(plain.dir), markedEvents(50), { codec: 'null' });
      expect(await filesContaining(plain.dir, MARKER)).not.toHaveLength(0);
    } finally {
      await plain.cleanup();
    }
    const store = withKeyring(new FsBlobStore(dir), keyring({ k1 }, 'k1'));
    const { segment, events } = await writeArchive(store);
    expect(await filesContaining(dir, MARKER)).toEqual([]);
    // Every file there is either encrypted, a key envelope, or the catalog (with its checksums); and the catalog holds no key.
    for (const f of await allFiles(dir)) {
      const bytes = await readFile(f);
      const rel = f.slice(dir.length + 1);
      if (rel.startsWith('segments/') || rel.startsWith('snapshots/')) expect(bytes.subarray(0, 8).equals(ENCRYPTED_MAGIC)).toBe(true);
      else expect(rel).toMatch(/^(keys\/.+\/k1\.json|catalog(\.prev|\.sums)?\.json)$/);
    }
    const catalogText = await readFile(join(dir, 'catalog.json'), 'utf8');
    for (const secret of [k1.toString('base64'), k1.toString('hex')]) expect(catalogText).not.toContain(secret);
    for (const envelopeFile of (await allFiles(join(dir, 'keys'))).map((f) => readFile(f, 'utf8'))) {
      const wrapped = (JSON.parse(await envelopeFile) as { wrapped: string }).wrapped;
      expect(catalogText).not.toContain(wrapped);
    }
    // And everything reads back exactly.
    const back = await readAllEvents(store, segment);
    expect(back.map((e) => Buffer.from(e.fullDocument as Buffer).toString('hex'))).toEqual(events.map((e) => Buffer.from(e.fullDocument as Buffer).toString('hex')));
    const catalog = await new CatalogStore(dir).read();
    const docs = [];
    for await (const r of readSnapshotNamespace(store, catalog.snapshots[0]?.namespaces[0] as never)) docs.push(r);
    expect(docs).toHaveLength(3);
  });

  it('names the master key in the file header; a missing or wrong key is an error naming it', async () => {
    const { segment } = await writeArchive(withKeyring(new FsBlobStore(dir), keyring({ k1 }, 'k1')));
    const head = await readFile(join(dir, segment.path));
    const len = head.readUInt32BE(8);
    expect(JSON.parse(head.subarray(12, 12 + len).toString())).toMatchObject({ v: 1, alg: 'AES-256-GCM', keyId: 'k1', chunk: 1024 * 1024 });

    const none = readAllEvents(new FsBlobStore(dir), segment);
    await expect(none).rejects.toMatchObject({ code: 'ARCHIVE_KEY_MISSING', retryable: false });
    await expect(readAllEvents(new FsBlobStore(dir), segment)).rejects.toThrow(/master key "k1", which is not loaded/);
    await expect(readAllEvents(withKeyring(new FsBlobStore(dir), keyring({ k2 }, null)), segment)).rejects.toMatchObject({
      code: 'ARCHIVE_KEY_MISSING',
      context: { keyIds: '"k1"' },
    });
    await expect(readAllEvents(withKeyring(new FsBlobStore(dir), keyring({ k1: k2 }, null)), segment)).rejects.toMatchObject({
      code: 'ARCHIVE_KEY_WRONG',
      context: { keyId: 'k1' },
    });
  });

  it('refuses a tampered file: by its checksum, and by authentication when the checksum was forged too', async () => {
    const store = withKeyring(new FsBlobStore(dir), keyring({ k1 }, 'k1'));
    // Large enough for several 1 MiB chunks.
    const events = markedEvents(3000, 1000);
    const entry = await writeSegment(store, events, { codec: 'null' });
    const file = join(dir, entry.file.path);
    const original = await readFile(file);
    const forged = (bytes: Buffer): FileRef => ({ path: entry.file.path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });

    const flipped = Buffer.from(original);
    flipped[200] = (flipped[200] as number) ^ 1;
    await writeFile(file, flipped);
    await expect(readAllEvents(store, entry)).rejects.toMatchObject({ code: 'ARCHIVE_CHECKSUM_MISMATCH' });
    const seen: ChangeEvent[] = [];
    const err = await (async () => {
      for await (const e of readSegment(store, forged(flipped))) seen.push(e);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ARCHIVE_DECRYPT_FAILED' });
    expect(seen).toHaveLength(0); // the first chunk failed: nothing of it was decoded

    // Cut at a chunk boundary (whole chunks dropped from the end): the last chunk left is not marked last.
    const truncated = original.subarray(0, original.length - ((original.length - 12 - original.readUInt32BE(8)) % (1024 * 1024 + 16)));
    expect(truncated.length).toBeLessThan(original.length);
    await writeFile(file, truncated);
    await expect(readAllEvents(store, forged(truncated))).rejects.toMatchObject({ code: 'ARCHIVE_DECRYPT_FAILED', message: expect.stringMatching(/last chunk/) as unknown });

    // An envelope moved to another file does not open it.
    await writeFile(file, original);
    const other = await writeSegment(store, markedEvents(5), { codec: 'null' });
    const envelope = await readFile(join(dir, 'keys', other.file.path, 'k1.json'));
    await writeFile(join(dir, 'keys', entry.file.path, 'k1.json'), envelope);
    await expect(readAllEvents(store, entry)).rejects.toMatchObject({ code: 'ARCHIVE_DECRYPT_FAILED' });
  });

  it('rotates: re-wraps every data key under the new master key and rewrites no encrypted file', async () => {
    const store = withKeyring(new FsBlobStore(dir), keyring({ k1 }, 'k1'));
    const entries = [await writeSegment(store, markedEvents(10)), await writeSegment(store, markedEvents(20)), await writeSegment(store, markedEvents(30))];
    const before = await Promise.all(entries.map((e) => readFile(join(dir, e.file.path))));

    const both = withKeyring(new FsBlobStore(dir), keyring({ k1, k2 }, 'k2'));
    const report = await rotateKeys(both, keyring({ k1, k2 }, 'k2'), 'k2');
    expect(report).toMatchObject({ to: 'k2', files: 3, rewrapped: 3, alreadyUnderTarget: 0, envelopesRemoved: 3, problems: [] });
    const after = await Promise.all(entries.map((e) => readFile(join(dir, e.file.path))));
    after.forEach((b, i) => expect(b.equals(before[i] as Buffer)).toBe(true));
    for (const e of entries) expect(await envelopeKeyIds(both, e.file.path)).toEqual(['k2']);

    // The old key is retired: only the new one opens the files now, and the catalog's checksums still hold.
    const onlyNew = withKeyring(new FsBlobStore(dir), keyring({ k2 }, null));
    expect(await readAllEvents(onlyNew, entries[2] as never)).toHaveLength(30);
    await expect(readAllEvents(withKeyring(new FsBlobStore(dir), keyring({ k1 }, null)), entries[0] as never)).rejects.toMatchObject({
      code: 'ARCHIVE_KEY_MISSING',
      context: { keyIds: '"k2"' },
    });
    // A second run has nothing left to do.
    expect(await rotateKeys(both, keyring({ k1, k2 }, 'k2'), 'k2')).toMatchObject({ rewrapped: 0, alreadyUnderTarget: 3, envelopesRemoved: 0, problems: [] });
    // A file whose key is not loaded is reported, not skipped silently.
    const k3 = randomBytes(32);
    await writeSegment(withKeyring(new FsBlobStore(dir), keyring({ k3 }, 'k3')), markedEvents(3));
    const partial = await rotateKeys(both, keyring({ k1, k2 }, 'k2'), 'k2');
    expect(partial.problems).toEqual([expect.objectContaining({ code: 'ARCHIVE_KEY_MISSING', message: expect.stringContaining('"k3"') as unknown })]);
  });

  it('deleting a file removes its key envelopes too; an aborted write leaves neither', async () => {
    const store = withKeyring(new FsBlobStore(dir), keyring({ k1 }, 'k1'));
    const entry = await writeSegment(store, markedEvents(5));
    await deleteFileAndEnvelopes(store, entry.file.path);
    expect(await store.list()).toEqual([]);
    await expect(writeSegment(store, [makeEvent(2, { increment: 2 }), makeEvent(1, { increment: 1 })])).rejects.toMatchObject({ code: 'SEGMENT_OUT_OF_ORDER' });
    expect(await store.list()).toEqual([]);
  });

  it('loads master keys from files and environment variables; a bad one is named without showing it', async () => {
    const file = join(dir, 'k1.key');
    await writeFile(file, `${k1.toString('base64')}\n`);
    const ring = loadKeyring(parseConfig(encryptionConfigSchema, { key: 'k1', keys: `k1=file:${file},k2=env:REWIND_TEST_K2` }), { REWIND_TEST_K2: k2.toString('hex') });
    expect(ring.ids).toEqual(['k1', 'k2']);
    expect(ring.get('k1')?.equals(k1)).toBe(true);
    expect(ring.get('k2')?.equals(k2)).toBe(true);
    const short = randomBytes(16).toString('base64');
    const bad = (() => {
      try {
        loadKeyring({ keys: { k9: { env: 'K9' } } }, { K9: short });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(bad).toMatchObject({ code: 'ARCHIVE_KEY_INVALID', context: { keyId: 'k9', source: 'environment variable K9' } });
    expect(bad?.message).not.toContain(short);
    expect(() => loadKeyring({ keys: { k9: { env: 'UNSET_VAR' } } }, {})).toThrow(/"k9" from environment variable UNSET_VAR: it is not set/);
    expect(() => loadKeyring({ keys: { k9: { file: join(dir, 'none.key') } } })).toThrow(/"k9" from file .*none\.key: cannot read it/);
    expect(() => parseConfig(encryptionConfigSchema, { key: 'k3', keys: { k1: { file: 'x' } } })).toThrow(/key: the active key must be one of keys/);
    expect(() => parseConfig(encryptionConfigSchema, { keys: { k1: { file: 'x', env: 'Y' } } })).toThrow(/keys\.k1/);
    expect(() => parseConfig(encryptionConfigSchema, { keys: 'k1=disk:/x' })).toThrow(/expected id=file:\/path or id=env:NAME/);
  });

  it('rewind keys rotate and rewind verify through bin/rewind.mjs: verify needs no key, rotate takes them from the environment', async () => {
    const ring = keyring({ k1 }, 'k1');
    const opened = openArchiveAt(dir, { keyring: ring });
    await writeArchive(opened.store);
    const bin = fileURLToPath(new URL('../../bin/rewind.mjs', import.meta.url));
    const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { env: { ...process.env, REWIND_ARCHIVE_DIR: '', ...env } }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
    const verify = await run({}, 'verify', '--archive', dir, '--json');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ files: 2, ok: 2, problems: [] });
    // An encrypted file whose envelope is gone is reported: no key could open it.
    const catalog = await new CatalogStore(dir).read();
    const seg = catalog.segments[0]?.file.path as string;
    const envelope = join(dir, 'keys', seg, 'k1.json');
    const kept = await readFile(envelope);
    await rm(envelope);
    const lost = await run({}, 'verify', '--archive', dir, '--json');
    expect(lost.code).toBe(3); // a file no key can open is damage: exit 3, and a gap
    expect(JSON.parse(lost.stdout)).toMatchObject({ ok: 1, problems: [{ path: seg, code: 'ARCHIVE_KEY_MISSING' }] });
    await writeFile(envelope, kept);
    const keysEnv = { REWIND_K1: k1.toString('base64'), REWIND_K2: k2.toString('hex'), REWIND_ENCRYPTION_KEYS: 'k1=env:REWIND_K1,k2=env:REWIND_K2', REWIND_ENCRYPTION_KEY: 'k2' };
    const rotated = await run(keysEnv, 'keys', 'rotate', '--archive', dir, '--json');
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ to: 'k2', files: 2, rewrapped: 2, problems: [] });
    const noKeys = await run({}, 'keys', 'rotate', '--archive', dir);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toMatch(/no master keys: set REWIND_ENCRYPTION_KEYS/);
  });
});

describe('a failing store ends the writer with its error', () => {
  it('an envelope that cannot be stored fails the write (it neither hangs nor stores the file)', async () => {
    const fs = new FsBlobStore(dir);
    const failing: BlobStore = {
      locate: (p) => fs.locate(p),
      put: (p, s) => (p.startsWith('keys/') ? Promise.reject(new Error('disk full')) : fs.put(p, s)),
      openRead: (p) => fs.openRead(p),
      stat: (p) => fs.stat(p),
      exists: (p) => fs.exists(p),
      delete: (p) => fs.delete(p),
      list: (p) => fs.list(p),
    };
    const store = withKeyring(failing, keyring({ k1 }, 'k1'));
    // Several MiB of events: more than the writer's buffer, so it would wait for room forever.
    await expect(writeSegment(store, markedEvents(3000, 1000), { codec: 'null' })).rejects.toThrow(/disk full/);
    expect(await fs.list()).toEqual([]);
  });
});
