/**
 * Keeping one MongoClient usable across outages. Driver 7 closes the topology
 * when its automatic first connect fails (server selection timed out), and
 * every later operation on that client fails at once with "Topology is
 * closed" — so a collector that retried with backoff would never see the
 * source come back. An explicit connect() before each unit of work reopens the
 * topology after such a failure and costs nothing while connected.
 */
import type { MongoClient, MongoClientOptions } from 'mongodb';

export async function connected(client: MongoClient): Promise<MongoClient> {
  return client.connect();
}

/**
 * Our defaults for a source client, each one only where the URI does not set
 * it: options given to the constructor override the URI's, and an operator's
 * `serverSelectionTimeoutMS=` in the URI must win.
 */
export function withUriPrecedence(uri: string, defaults: MongoClientOptions): MongoClientOptions {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1).toLowerCase() : '';
  const given = new Set(query.split('&').map((kv) => kv.split('=')[0] ?? ''));
  return Object.fromEntries(Object.entries(defaults).filter(([k]) => !given.has(k.toLowerCase())));
}
