/**
 * The encrypted file format: a header naming the master key and the data key,
 * then the plaintext in 1 MiB chunks, each sealed with AES-256-GCM under the
 * file's own data key. A chunk's nonce is its index (a data key seals one
 * file only, so a nonce never repeats under a key) and its additional data
 * binds it to the header, its position and whether it is the last chunk: a
 * changed, reordered, dropped or appended chunk, a truncated file or a
 * swapped header fails authentication, and nothing of a failing chunk is
 * returned.
 *
 *   "RWNDENC1" | u32 header length | header JSON | chunks: ciphertext + 16-byte tag
 *
 * The header holds no secret: {v, alg, keyId, dekId, chunk}. The wrapped data
 * key lives beside the file as a key envelope (key-envelopes.ts), so a key
 * rotation writes new envelopes and never touches this file.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { ArchiveError } from './archive-errors.js';

export const ENCRYPTED_MAGIC = Buffer.from('RWNDENC1', 'latin1');
export const CHUNK_BYTES = 1024 * 1024;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 64 * 1024;

export interface EncryptedHeader {
  v: 1;
  alg: 'AES-256-GCM';
  /** The master key that wrapped the data key when the file was written. */
  keyId: string;
  /** Names the data key; its envelopes carry the same id. */
  dekId: string;
  chunk: number;
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(Math.floor(index / 2 ** 32), 4);
  n.writeUInt32BE(index >>> 0, 8);
  return n;
}

function aad(headerHash: Buffer, index: number, final: boolean): Buffer {
  const a = Buffer.alloc(headerHash.length + 9);
  headerHash.copy(a, 0);
  a.writeUInt32BE(Math.floor(index / 2 ** 32), headerHash.length);
  a.writeUInt32BE(index >>> 0, headerHash.length + 4);
  a[headerHash.length + 8] = final ? 1 : 0;
  return a;
}

function encodeHeader(header: EncryptedHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([ENCRYPTED_MAGIC, len, json]);
}

/** Encrypts a byte stream: yields the header, then sealed chunks; the last chunk is marked final. */
export async function* encryptStream(source: AsyncIterable<Uint8Array>, header: EncryptedHeader, dek: Buffer): AsyncGenerator<Buffer> {
  const head = encodeHeader(header);
  const headerHash = createHash('sha256').update(head).digest();
  yield head;
  let index = 0;
  const seal = (plain: Buffer, final: boolean): Buffer => {
    const c = createCipheriv('aes-256-gcm', dek, nonce(index));
    c.setAAD(aad(headerHash, index, final));
    const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    index++;
    return out;
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    pendingBytes += chunk.length;
    // Seal only chunks known not to be the last: one more byte must follow.
    while (pendingBytes > CHUNK_BYTES) {
      const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      yield seal(all.subarray(0, CHUNK_BYTES), false);
      const rest = all.subarray(CHUNK_BYTES);
      pending = [rest];
      pendingBytes = rest.length;
    }
  }
  yield seal(Buffer.concat(pending, pendingBytes), true);
}

export interface DecryptTarget {
  path: string;
  location: string;
}

/** Reads and checks the header at the start of `buf`; null when more bytes are needed. */
export function readHeader(buf: Buffer, at: DecryptTarget): { header: EncryptedHeader; bytes: Buffer } | null {
  if (buf.length < ENCRYPTED_MAGIC.length + 4) return null;
  const len = buf.readUInt32BE(ENCRYPTED_MAGIC.length);
  const fail = (detail: string) => new ArchiveError('ARCHIVE_DECRYPT_FAILED', { ...at, detail });
  if (len > MAX_HEADER_BYTES) throw fail(`encryption header of ${len} bytes`);
  const end = ENCRYPTED_MAGIC.length + 4 + len;
  if (buf.length < end) return null;
  let header: EncryptedHeader;
  try {
    header = JSON.parse(buf.subarray(ENCRYPTED_MAGIC.length + 4, end).toString('utf8')) as EncryptedHeader;
  } catch {
    throw fail('the encryption header is not readable');
  }
  if (header.v !== 1 || header.alg !== 'AES-256-GCM' || typeof header.keyId !== 'string' || typeof header.dekId !== 'string' || header.chunk !== CHUNK_BYTES) {
    throw fail('unknown encryption header');
  }
  return { header, bytes: buf.subarray(0, end) };
}

export function isEncrypted(start: Buffer): boolean {
  return start.length >= ENCRYPTED_MAGIC.length && start.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC);
}

/**
 * Decrypts what encryptStream wrote. `source` yields the whole file from its
 * first byte; `openKey` turns the header into the data key (or throws the key
 * error). Yields plaintext chunk by chunk, each only after its tag checked.
 */
export async function* decryptStream(
  source: AsyncIterable<Buffer>,
  at: DecryptTarget,
  openKey: (header: EncryptedHeader) => Promise<Buffer>,
): AsyncGenerator<Buffer> {
  const fail = (detail: string, cause?: unknown) => new ArchiveError('ARCHIVE_DECRYPT_FAILED', { ...at, detail }, { cause });
  let buf: Buffer = Buffer.alloc(0);
  let headerHash: Buffer | null = null;
  let dek: Buffer | null = null;
  let index = 0;
  const open = (sealed: Buffer, final: boolean): Buffer => {
    if (sealed.length < TAG_BYTES) throw fail('the file ends inside a chunk');
    const d = createDecipheriv('aes-256-gcm', dek as Buffer, nonce(index));
    d.setAAD(aad(headerHash as Buffer, index, final));
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = sealed.subarray(0, sealed.length - TAG_BYTES);
    try {
      const plain = Buffer.concat([d.update(body), d.final()]);
      index++;
      return plain;
    } catch (err) {
      throw fail(`chunk ${index} does not authenticate${final ? ' as the last chunk (truncated or extended?)' : ''}`, err);
    }
  };
  const sealedChunk = CHUNK_BYTES + TAG_BYTES;
  for await (const chunk of source) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (!headerHash) {
      if (buf.length >= ENCRYPTED_MAGIC.length && !isEncrypted(buf)) throw fail('not an encrypted rewind file');
      const h = readHeader(buf, at);
      if (!h) continue;
      headerHash = createHash('sha256').update(h.bytes).digest();
      dek = await openKey(h.header);
      buf = buf.subarray(h.bytes.length);
    }
    let pos = 0;
    while (buf.length - pos > sealedChunk) {
      yield open(buf.subarray(pos, pos + sealedChunk), false);
      pos += sealedChunk;
    }
    buf = buf.subarray(pos);
  }
  if (!headerHash) throw fail('the file ends inside its encryption header');
  yield open(buf, true);
}
