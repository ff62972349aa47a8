/**
 * A MongoDB wire-protocol sink for memory benchmarks: it answers the handshake
 * and the few commands a restore issues, acknowledges every write and only
 * counts the documents it is sent. It exists because the in-memory stand-in
 * keeps every document plus a never-truncated oplog on its Java heap (about
 * 10 KB a document), so it cannot take the millions of documents needed to
 * show that the *client's* memory does not grow with a namespace. Nothing
 * here measures a server; rates against it are not figures.
 *
 * Protocol: OP_MSG (2013) for commands; OP_QUERY (2004) only for a legacy
 * handshake, answered with OP_REPLY (1). Checksums are never requested by the
 * driver, and moreToCome (w: 0) requests get no reply.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Long, deserialize, serialize } from 'bson';
import type { Document } from 'bson';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MORE_TO_COME = 1 << 1;

export interface WireSink {
  uri: string;
  /** Documents acknowledged by insert commands, per namespace. */
  inserted: Map<string, number>;
  stop: () => Promise<void>;
}

interface Command {
  body: Document;
  /** Documents of kind-1 sections, counted without decoding them. */
  sequenceCounts: Map<string, number>;
}

function countDocuments(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let at = start; at < end; at += buf.readInt32LE(at)) n++;
  return n;
}

function parseMsg(buf: Buffer): { flags: number; command: Command } {
  const flags = buf.readUInt32LE(16);
  let at = 20;
  let body: Document | undefined;
  const sequenceCounts = new Map<string, number>();
  while (at < buf.length) {
    const kind = buf[at];
    at++;
    const size = buf.readInt32LE(at);
    if (kind === 0) {
      body = deserialize(buf.subarray(at, at + size));
    } else {
      const nameEnd = buf.indexOf(0, at + 4);
      const name = buf.toString('utf8', at + 4, nameEnd);
      sequenceCounts.set(name, countDocuments(buf, nameEnd + 1, at + size));
    }
    at += size;
  }
  if (!body) throw new Error('OP_MSG without a body section');
  return { flags, command: { body, sequenceCounts } };
}

function parseQuery(buf: Buffer): Document {
  // flags(4) then the collection name as a C string, skip(4), return(4), then the query.
  const nameEnd = buf.indexOf(0, 20);
  const queryAt = nameEnd + 1 + 8;
  return deserialize(buf.subarray(queryAt, queryAt + buf.readInt32LE(queryAt)));
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

let nextRequestId = 1;

function msgReply(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const total = 16 + 4 + 1 + body.length;
  return Buffer.concat([header(total, nextRequestId++, responseTo, OP_MSG), Buffer.alloc(4), Buffer.from([0]), body]);
}

function queryReply(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(1, 16); // numberReturned; flags, cursor id and startingFrom stay 0
  return Buffer.concat([header(16 + 20 + body.length, nextRequestId++, responseTo, OP_REPLY), fixed, body]);
}

export async function startWireSink(): Promise<WireSink> {
  const inserted = new Map<string, number>();
  let connectionId = 0;

  const answer = (command: Command, connection: number): Document => {
    const { body } = command;
    const name = Object.keys(body)[0] ?? '';
    const db = typeof body.$db === 'string' ? body.$db : 'admin';
    const documentsIn = (field: string) => command.sequenceCounts.get(field) ?? (Array.isArray(body[field]) ? (body[field] as unknown[]).length : 0);
    switch (name.toLowerCase()) {
      case 'hello':
      case 'ismaster':
        return {
          ...(name === 'hello' ? {} : { ismaster: true }),
          helloOk: true,
          isWritablePrimary: true,
          maxBsonObjectSize: 16 * 1024 * 1024,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          localTime: new Date(),
          minWireVersion: 0,
          // The same wire version as the stand-in announces (4.4), so the driver speaks alike to both.
          maxWireVersion: 9,
          connectionId: connection,
          ok: 1,
        };
      case 'insert': {
        const n = documentsIn('documents');
        const ns = `${db}.${String(body.insert)}`;
        inserted.set(ns, (inserted.get(ns) ?? 0) + n);
        return { n, ok: 1 };
      }
      case 'update': {
        const n = documentsIn('updates');
        return { n, nModified: 0, ok: 1 };
      }
      case 'delete':
        return { n: documentsIn('deletes'), ok: 1 };
      case 'find':
      case 'aggregate':
      case 'listcollections':
      case 'listindexes': {
        // Every collection is empty and has no indexes or options: what a fresh target looks like.
        const coll = typeof body[name] === 'string' ? String(body[name]) : '$cmd';
        return { cursor: { id: Long.ZERO, ns: `${db}.${coll}`, firstBatch: [] }, ok: 1 };
      }
      case 'count':
        return { n: 0, ok: 1 };
      case 'ping':
      case 'buildinfo':
      case 'create':
      case 'createindexes':
      case 'drop':
      case 'dropdatabase':
      case 'endsessions':
      case 'killcursors':
        return { ok: 1 };
      default:
        return { ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: `wire sink: no command ${name}` };
    }
  };

  const serve = (socket: Socket) => {
    const connection = ++connectionId;
    let pending: Buffer = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (pending.length < length) break;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const requestId = message.readInt32LE(4);
        const opCode = message.readInt32LE(12);
        if (opCode === OP_MSG) {
          const { flags, command } = parseMsg(message);
          const reply = answer(command, connection);
          if ((flags & MORE_TO_COME) === 0) socket.write(msgReply(requestId, reply));
        } else if (opCode === OP_QUERY) {
          socket.write(queryReply(requestId, answer({ body: parseQuery(message), sequenceCounts: new Map() }, connection)));
        } else {
          socket.destroy(new Error(`wire sink: unsupported opcode ${opCode}`));
          return;
        }
      }
    });
  };

  const server: Server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    inserted,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
