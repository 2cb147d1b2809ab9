import type { z } from 'zod';

/**
 * Some wire shapes are TypeScript interfaces that the services build (ChatView, the server
 * event payloads); the API descriptions need them as zod schemas. A mirror is such a schema,
 * checked at compile time to accept every value of its interface: each field it declares is
 * in the interface with a compatible type. A field the interface gained and the mirror lacks
 * does not break the build (other work may add one at any time); test/mirrors.test.ts finds it.
 *
 * @example export const chatViewSchema = mirrorOf<ChatView>()(z.object({ ... }));
 */
export const mirrorOf =
  <T>() =>
  <S extends z.ZodType>(schema: S & ([T] extends [z.output<S>] ? unknown : MirrorMismatch<T, z.output<S>>)): S =>
    schema;

/** A map of mirrors, one per key of `I` that it names (keys `I` lacks are refused). */
export const mirrorsOf =
  <I>() =>
  <M extends { [K in keyof M]: K extends keyof I ? z.ZodType : never }>(
    schemas: M & {
      [K in keyof M]: K extends keyof I
        ? [I[K]] extends [z.output<M[K]>]
          ? unknown
          : MirrorMismatch<I[K], z.output<M[K]>>
        : never;
    },
  ): M =>
    schemas;

/** Shown in the compiler's message when a mirror does not accept its interface. */
interface MirrorMismatch<Interface, Mirror> {
  interfaceValue: Interface;
  isNotAValidOutputOf: Mirror;
}
