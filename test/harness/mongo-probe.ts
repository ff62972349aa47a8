// Asks a MongoDB server what it is: its version and whether it is a replica
// set member (change streams and transactions need one).
import { MongoClient } from 'mongodb';

export interface MongoFacts {
  readonly version: string;
  /** The replica set name, when the server is a member of one. */
  readonly replicaSet: string | undefined;
  readonly writablePrimary: boolean;
}

export async function probeMongo(uri: string, timeoutMs = 10_000): Promise<MongoFacts> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    const admin = client.db('admin');
    const build = await admin.command({ buildInfo: 1 });
    const hello = await admin.command({ hello: 1 });
    return {
      version: String(build.version),
      replicaSet: typeof hello.setName === 'string' ? hello.setName : undefined,
      writablePrimary: hello.isWritablePrimary === true,
    };
  } finally {
    await client.close();
  }
}
