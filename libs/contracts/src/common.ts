import { z } from 'zod';

const OBJECT_ID_PATTERN = /^[0-9a-fA-F]{24}$/;
/** Whether a string is an ObjectId's 24 hex characters (any case). */
export const isObjectId = (id: string): boolean => OBJECT_ID_PATTERN.test(id);

/** A MongoDB ObjectId as 24 hex characters. Only strings pass, so `{"$gt": ""}` is refused. */
export const objectId = z
  .string()
  .regex(OBJECT_ID_PATTERN, 'must be a 24-hex ObjectId')
  .transform((s) => s.toLowerCase());
export type ObjectIdString = z.output<typeof objectId>;

/** Counts Unicode code points, not UTF-16 units, so an emoji counts once. */
export const codePoints = (s: string): number => [...s].length;

/** A query-string integer: digits only, so arrays, objects and `1e3` are refused. */
export const queryInt = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const PAGE_LIMIT_MAX = 100;
/** A page costs a skip over every row before it: deeper than this, page with cursors (`before`). */
export const PAGE_MAX = 1_000;

/** `?limit=&page=` as the specification names them: limit 1..100, page 1..1,000. */
export const paginationQuery = (defaultLimit = 50) =>
  z.object({
    limit: queryInt(1, PAGE_LIMIT_MAX)
      .optional()
      .transform((v) => v ?? defaultLimit),
    page: queryInt(1, PAGE_MAX)
      .optional()
      .transform((v) => v ?? 1),
  });
export type PaginationQuery = z.output<ReturnType<typeof paginationQuery>>;

export const paginationSchema = z.object({ total: z.number(), page: z.number(), limit: z.number() });
export type Pagination = z.infer<typeof paginationSchema>;

export const isoDate = z.string().datetime({ offset: true });
