/**
 * Type-level reading of an Avro schema written `as const`, so that the schema
 * is the one source of truth and the TypeScript type is derived from it.
 * Covers what rewind's schemas use: primitives, records, enums, arrays, maps,
 * unions, and fixed. Avro `long` is read as a JS number (avsc's default; safe
 * to 2^53, beyond any clusterTime or byte count rewind stores).
 */
import type { Buffer } from 'node:buffer';

interface Primitives {
  null: null;
  boolean: boolean;
  int: number;
  long: number;
  float: number;
  double: number;
  bytes: Buffer;
  string: string;
}

type Field = { readonly name: string; readonly type: unknown };

type InferRecord<F extends readonly Field[]> = {
  -readonly [K in F[number] as K['name']]: InferAvro<K['type']>;
};

export type InferAvro<S> = S extends keyof Primitives
  ? Primitives[S]
  : S extends readonly unknown[]
    ? InferAvro<S[number]>
    : S extends { readonly type: 'record'; readonly fields: infer F extends readonly Field[] }
      ? InferRecord<F>
      : S extends { readonly type: 'enum'; readonly symbols: readonly (infer E)[] }
        ? E
        : S extends { readonly type: 'array'; readonly items: infer I }
          ? InferAvro<I>[]
          : S extends { readonly type: 'map'; readonly values: infer V }
            ? Record<string, InferAvro<V>>
            : S extends { readonly type: 'fixed' }
              ? Buffer
              : S extends { readonly type: infer P extends keyof Primitives }
                ? Primitives[P]
                : never;
