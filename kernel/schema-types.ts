// Schemas as values, types for free: a native plugin passes JSON Schema objects
// (built with TypeBox, or written `as const`) where the wire carries
// `*SchemaJson` text, and what its handlers receive is typed from them.
//
// Wire<S> is what the kernel hands over for schema S, not what JSON.parse would
// give: an integer arrives as bigint (the contract's exact int64; TypeBox's own
// Static<TInteger> says number), a number as number, a string as string. The
// native proxy shapes the values to match (schema-inputs.ts), so the static type
// and the runtime agree (test/typed-schemas.test.ts compares the two).
// It reads the schema's structure only (`type`, `properties`, `required`,
// TypeBox's `~optional` mark), so the kernel does not depend on TypeBox.
import type { JsRecord, JsValue } from './values.ts';

/** What the runtime gives a native plugin for a value of JSON Schema S. */
export type Wire<S> = S extends { anyOf: readonly (infer U)[] }
  ? Wire<U>
  : S extends { const: infer C }
    ? C
    : S extends { enum: readonly (infer E)[] }
      ? E
      : S extends { type: 'integer' }
        ? bigint
        : S extends { type: 'number' }
          ? number
          : S extends { type: 'string' }
            ? string
            : S extends { type: 'boolean' }
              ? boolean
              : S extends { type: 'null' }
                ? null
                : S extends { type: 'array'; items: infer I }
                  ? Wire<I>[]
                  : S extends { type: 'object'; properties: infer P }
                    ? WireObject<P, RequiredOf<S>>
                    : S extends { type: 'object' }
                      ? JsRecord
                      : JsValue;

type RequiredOf<S> = S extends { required: readonly (infer R)[] } ? R : never;
type Optional<P, K extends keyof P, R> = K extends R ? (P[K] extends { '~optional': true } ? true : false) : true;

// Required and optional properties, flattened into one object type so editors show its fields.
type WireObject<P, R> = Flat<{ -readonly [K in keyof P as Optional<P, K, R> extends true ? never : K]: Wire<P[K]> } & { -readonly [K in keyof P as Optional<P, K, R> extends true ? K : never]?: Wire<P[K]> }>;
type Flat<T> = { [K in keyof T]: T[K] };

/** The value of a schema slot a plugin may leave out: without a schema, the untyped wire value. */
export type WireOr<S, Else> = [S] extends [undefined] ? Else : Wire<S>;

/**
 * A bus topic with its schemas, shared by its owner (who declares it) and its
 * consumers (who subscribe to it or request it): one module per domain holds a
 * domain's topics, e.g. domains/orders/topics.ts.
 */
export interface Topic<P = undefined, R = undefined> {
  readonly topic: string;
  readonly payload: P;
  readonly reply: R;
}

/** A topic value: `topic('order.created', { payload: Type.Object({...}) })`. */
export function topic<P extends object | undefined = undefined, R extends object | undefined = undefined>(name: string, schemas: { payload?: P; reply?: R } = {}): Topic<P, R> {
  return Object.freeze({ topic: name, payload: schemas.payload as P, reply: schemas.reply as R });
}

export function isTopic(v: unknown): v is Topic<object | undefined, object | undefined> {
  return typeof v === 'object' && v !== null && typeof (v as { topic?: unknown }).topic === 'string';
}
