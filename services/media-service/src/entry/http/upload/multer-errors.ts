import multer from 'multer';
import { AppError, badRequest } from '@chat/platform';
import { tooLarge } from './staging-engine.js';

/** Turns multer and busboy failures into the API's errors: 413 for size, 400 for a malformed form. */
export function uploadErrorOf(
  err: unknown,
  opts: { fileField: string; maxFiles: number; maxFileBytes: number },
): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof multer.MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return tooLarge(opts.maxFileBytes);
      case 'LIMIT_FILE_COUNT':
        return badRequest(`At most ${opts.maxFiles} file(s) per request`);
      case 'LIMIT_UNEXPECTED_FILE':
        return err.field === opts.fileField
          ? badRequest(`At most ${opts.maxFiles} file(s) in '${opts.fileField}'`)
          : badRequest(`Unexpected file field '${err.field ?? ''}': send files as '${opts.fileField}'`);
      case 'LIMIT_PART_COUNT':
      case 'LIMIT_FIELD_COUNT':
        return badRequest('Too many parts in the form');
      case 'LIMIT_FIELD_KEY':
      case 'LIMIT_FIELD_VALUE':
        return badRequest(`Form field too long${err.field ? `: ${err.field}` : ''}`);
      default:
        return badRequest(`Malformed upload: ${err.message}`);
    }
  }
  // busboy: missing boundary, malformed part headers, a body that ends mid-part.
  if (err instanceof Error && /multipart|boundary|unexpected end of form|malformed/i.test(err.message)) {
    return badRequest('Malformed multipart/form-data body');
  }
  if (err instanceof Error && /^Request (aborted|closed)$/.test(err.message)) return badRequest('Upload interrupted');
  return err;
}
