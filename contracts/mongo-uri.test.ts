import { describe, expect, it } from 'vitest';
import { mongoUriProblem, redactMongoUri } from './mongo-uri.js';

describe('MongoDB URIs', () => {
  it('never show a password, also one holding a raw @ or /', () => {
    expect(redactMongoUri('mongodb://user:secret@h1:27017,h2/db?replicaSet=rs0')).toBe('mongodb://user:***@h1:27017,h2/db?replicaSet=rs0');
    expect(redactMongoUri('mongodb+srv://user:s%40cret@cluster.example.net/')).toBe('mongodb+srv://user:***@cluster.example.net/');
    expect(redactMongoUri('mongodb://user:p@ss/w0rd@host')).toBe('mongodb://***@host');
    expect(redactMongoUri('mongodb://user:p/ss@host/db')).toBe('mongodb://***@host/db');
    expect(redactMongoUri('mongodb://user@host')).toBe('mongodb://user@host');
    expect(redactMongoUri('mongodb://host:27017/?appName=x')).toBe('mongodb://host:27017/?appName=x');
    for (const uri of ['mongodb://user:p@ss/w0rd@host', 'mongodb://u:a@b@c@h', 'mongodb://u:sec/ret@h']) {
      expect(redactMongoUri(uri)).not.toMatch(/ss|w0rd|sec|ret|a@b/);
    }
  });

  it('are checked before use, each problem named, the password never repeated', () => {
    expect(mongoUriProblem('mongodb://127.0.0.1:27017/?replicaSet=rs0')).toBeNull();
    expect(mongoUriProblem('mongodb+srv://cluster.example.net')).toBeNull();
    const cases: [string, RegExp][] = [
      ['notauri', /expected a mongodb:\/\/ or mongodb\+srv:\/\/ URI .*got "notauri"/],
      ['', /got an empty value/],
      ['mongodb://', /not a valid MongoDB URI: .*host/i],
      ['mongodb://u:p@127.0.0.1:1,/', /empty host/],
      ['mongodb://user:p@ss/w0rd@host', /raw "@", "\/" or ":"; percent-encode/],
      ['mongodb://h:1/?foo=bar', /option foo is not supported/],
      ['mongodb://h:99999', /not a valid MongoDB URI/],
      ['mongodb://h:1/?serverSelectionTimeoutMS=abc', /serverSelectionTimeoutMS/],
      ['http://h:1', /expected a mongodb:\/\//],
    ];
    for (const [uri, message] of cases) {
      const problem = mongoUriProblem(uri);
      expect(problem, uri).toMatch(message);
      expect(problem).not.toMatch(/w0rd|:p@/);
    }
  });
});
