import { describe, expect, it } from 'vitest';
import { RawJson, stringifyJson } from './ordered-json.js';

describe('stringifyJson', () => {
  const doc = new RawJson('{"_id":1,"b":"x, y","10":{"2":[1,{}],"1":[]},"2":"a\\"b"}');

  it('splices documents in with their field order, laid out like JSON.stringify', () => {
    const value = { ns: 'shop.orders', versions: [{ exists: true, document: doc }] };
    const text = stringifyJson(value, 2);
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2": "a'));
    // The same layout JSON.stringify gives, apart from the key order it cannot keep.
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(text).toContain('    {\n      "exists": true,\n      "document": {\n        "_id": 1,\n        "b": "x, y",\n        "10": {\n          "2": [\n');
    expect(stringifyJson(value)).toBe('{"ns":"shop.orders","versions":[{"exists":true,"document":{"_id":1,"b":"x, y","10":{"2":[1,{}],"1":[]},"2":"a\\"b"}}]}');
  });

  it('leaves values without raw documents exactly as JSON.stringify does', () => {
    const value = { a: [1, { b: null }], s: 'x' };
    expect(stringifyJson(value, 2)).toBe(JSON.stringify(value, null, 2));
  });
});
