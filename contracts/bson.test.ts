import { createRequire } from 'node:module';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import type * as Driver from 'mongodb';
import * as ours from './bson.js';

const require = createRequire(import.meta.url);

describe('one bson in the process', () => {
  it("exports the mongodb driver's own classes", () => {
    const driver = (require('mongodb') as typeof Driver).BSON;
    for (const name of ['Binary', 'BSONRegExp', 'BSONSymbol', 'Code', 'DBRef', 'Decimal128', 'Double', 'Int32', 'Long', 'MaxKey', 'MinKey', 'ObjectId', 'Timestamp', 'UUID'] as const) {
      expect(ours[name], name).toBe(driver[name]);
    }
    expect(ours.deserialize).toBe(driver.deserialize);
    // A value the driver's bson decoded passes our instanceof, which a second copy would fail.
    const decoded = driver.deserialize(driver.serialize({ t: new driver.Timestamp({ t: 5, i: 6 }) })) as { t: unknown };
    expect(decoded.t).toBeInstanceOf(ours.Timestamp);
  });

  it('shows why: the ES-module build of bson is a second copy', async () => {
    const esm = await import('bson');
    expect(esm.Timestamp).not.toBe(ours.Timestamp);
  });

  it("lint refuses a value import of 'bson' outside contracts/bson.ts and allows a type import", async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    // The path of a real file of the project: type-aware lint needs a file its project service knows; the text is ours.
    const file = 'services/collector/backoff.ts';
    const [value] = await eslint.lintText("import { Timestamp } from 'bson';\nexport const t = new Timestamp({ t: 1, i: 1 });\n", { filePath: file });
    expect(value?.messages.map((m) => m.ruleId)).toContain('@typescript-eslint/no-restricted-imports');
    const [typeOnly] = await eslint.lintText("import type { Timestamp } from 'bson';\nexport type T = Timestamp;\n", { filePath: file });
    expect(typeOnly?.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')).toEqual([]);
  }, 60_000);
});
