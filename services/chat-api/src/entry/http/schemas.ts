import { z } from 'zod';
import { paginationQuery } from '@chat/contracts';

/**
 * Query strings are strict: an unknown key (such as `limit[$gt]`, which the simple query
 * parser keeps as a literal key) is a 400 rather than silently ignored.
 */
export const listQuery = paginationQuery(50).strict();

export const historyQuery = paginationQuery(50)
  .extend({
    includeArchived: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

/** Endpoints without query parameters refuse any (an operator such as `?status[$ne]=x` is a 400, not ignored). */
export const emptyQuery = z.object({}).strict();
