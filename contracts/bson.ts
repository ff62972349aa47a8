/**
 * The one bson in the process: the very module instance the mongodb driver
 * loads (its CommonJS build, through require).
 *
 * `import { Timestamp } from 'bson'` in an ES module loads bson's ES-module
 * build instead: a second instance whose classes are not the driver's, so a
 * Timestamp the driver decoded is not `instanceof` that Timestamp (it was why
 * capture refused every event a real server sent). Every value import of bson
 * in this project comes from here — lint refuses `import … from 'bson'`
 * anywhere else (`import type` is fine: types have no instance) — and
 * contracts/bson.test.ts checks that these are the driver's own classes.
 */
import { createRequire } from 'node:module';
import type * as BsonModule from 'bson';

const require = createRequire(import.meta.url);
const bson = require('bson') as typeof BsonModule;

export const {
  BSONError,
  BSONRegExp,
  BSONSymbol,
  Binary,
  Code,
  DBRef,
  Decimal128,
  Double,
  EJSON,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  calculateObjectSize,
  deserialize,
  onDemand,
  serialize,
} = bson;

export type BSONError = BsonModule.BSONError;
export type BSONRegExp = BsonModule.BSONRegExp;
export type BSONSymbol = BsonModule.BSONSymbol;
export type Binary = BsonModule.Binary;
export type Code = BsonModule.Code;
export type DBRef = BsonModule.DBRef;
export type Decimal128 = BsonModule.Decimal128;
export type Double = BsonModule.Double;
export type Int32 = BsonModule.Int32;
export type Long = BsonModule.Long;
export type MaxKey = BsonModule.MaxKey;
export type MinKey = BsonModule.MinKey;
export type ObjectId = BsonModule.ObjectId;
export type Timestamp = BsonModule.Timestamp;
export type UUID = BsonModule.UUID;
export type Document = BsonModule.Document;
