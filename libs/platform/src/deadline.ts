import { pastDeadline } from './context.js';
import { unavailable } from './errors.js';

/**
 * Throws UNAVAILABLE when the current request's caller has already given up: call it before a
 * write that waited (for a lock, a queue), so that a caller told "timed out" finds nothing stored.
 */
export function checkDeadline(): void {
  if (pastDeadline()) throw unavailable('The request timed out before it could be applied, try again');
}
