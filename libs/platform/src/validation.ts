import type { z } from 'zod';
import { badRequest } from './errors.js';

/**
 * Parses untrusted input; on failure throws a 400 AppError whose details name the fields.
 * @example const { chatId } = parseInput(chatIdParams, req.params);
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.join('.') || what, message: i.message }));
  throw badRequest(`Invalid ${what}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, fields);
}
