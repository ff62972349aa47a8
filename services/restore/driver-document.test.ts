import { describe, expect, it } from 'vitest';
import { serialize } from '../../contracts/bson.js';
import { ejsonToBson } from '../../contracts/ejson-to-bson.js';
import { documentForDriver } from './driver-document.js';

// mongodb's serializer is the one the driver writes with: what it makes of the value is what the server receives.
import { BSON } from 'mongodb';

describe('documentForDriver', () => {
  it('gives the driver values it writes back to the same bytes, digit-only names in place at every depth', () => {
    for (const text of [
      '{"_id":{"$numberInt":"1"},"b":"x","10":{"$numberInt":"1"},"2":{"$numberInt":"2"},"a":{"9":1,"x":2,"0":3},"list":[{"7":1,"3":2},[{"5":1,"4":2}],3]}',
      '{"_id":{"2":1,"1":2},"20":"x","3":"y"}',
      '{"_id":{"$oid":"65f0c0ffee0000000000002a"},"d":{"$numberDecimal":"1.10"},"l":{"$numberLong":"5"},"n":{"$numberDouble":"-0.0"},"bin":{"$binary":{"base64":"AAEC","subType":"80"}}}',
    ]) {
      const bytes = ejsonToBson(text);
      const written = Buffer.from(BSON.serialize(documentForDriver(bytes)));
      expect(written.toString('hex'), text).toBe(bytes.toString('hex'));
      // Also inside the driver's write commands: a replacement and an insert keep the bytes.
      const command = Buffer.from(BSON.serialize({ u: documentForDriver(bytes) }));
      expect(command.includes(bytes)).toBe(true);
    }
  });

  it('exposes the _id for filters, and the plain path decodes as before', () => {
    const withDigits = documentForDriver(ejsonToBson('{"_id":7,"2":1}'));
    expect((withDigits as { _id: unknown })._id).toEqual(expect.objectContaining({ value: 7 }));
    const plain = documentForDriver(serialize({ _id: 1, a: 2 }));
    expect(Object.keys(plain)).toEqual(['_id', 'a']);
  });
});
