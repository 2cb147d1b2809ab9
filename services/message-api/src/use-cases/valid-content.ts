import { messageContent } from '@chat/contracts';
import { badRequest } from '@chat/platform';

/** Trimmed text of 1..contentMax code points, else a 400 naming the field. */
export function validContent(text: string, max: number, field: string): string {
  const parsed = messageContent(max).safeParse(text);
  if (!parsed.success)
    throw badRequest(`Invalid ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, [
      { field, message: parsed.error.issues[0]?.message },
    ]);
  return parsed.data;
}
