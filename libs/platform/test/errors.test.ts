import { describe, expect, it } from 'vitest';
import { AppError, toAppError } from '../src/errors.js';

describe('toAppError', () => {
  it('turns a store outage into UNAVAILABLE (503), in every service alike', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' });
    expect(toAppError(outage)).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(toAppError(new Error('Operation `messages.find()` buffering timed out after 10000ms'))).toMatchObject({
      code: 'UNAVAILABLE',
    });
    const redisDown = Object.assign(new Error('Reached the max retries per request limit'), {
      name: 'MaxRetriesPerRequestError',
    });
    expect(toAppError(redisDown)).toMatchObject({ code: 'UNAVAILABLE' });
    const network = Object.assign(new Error('read ECONNRESET'), { name: 'MongoNetworkError' });
    const bulk = Object.assign(new Error('read ECONNRESET'), { name: 'MongoBulkWriteError', errorResponse: network });
    expect(toAppError(bulk)).toMatchObject({ code: 'UNAVAILABLE' });
    // What the fault test saw when FerretDB died under an insertMany: the socket's own error.
    const ended = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(
      toAppError(Object.assign(new Error(ended.message), { name: 'MongoBulkWriteError', errorResponse: ended })),
    ).toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('hides anything unexpected behind INTERNAL and an error id, and keeps an AppError as it is', () => {
    const bug = toAppError(new TypeError('x is undefined at /srv/secret.js:1'));
    expect(bug).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal error' });
    expect(JSON.stringify(bug.details)).not.toContain('secret');
    const known = new AppError('NOT_FOUND', 'Chat not found');
    expect(toAppError(known)).toBe(known);
  });
});
