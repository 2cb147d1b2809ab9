import type { Response } from 'express';

/**
 * Uploads in flight per user, in this replica: each one holds staged bytes on disk, so a user
 * gets a few at once rather than as many as they can open.
 */
export function uploadSlots(max: number) {
  const held = new Map<string, number>();
  return {
    max,
    /** Takes one of `userId`'s slots until `res` is done; false when they hold `max` already. */
    take(userId: string, res: Response): boolean {
      const taken = held.get(userId) ?? 0;
      if (taken >= max) return false;
      held.set(userId, taken + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (held.get(userId) ?? 1) - 1;
        if (left <= 0) held.delete(userId);
        else held.set(userId, left);
      };
      res.once('finish', release);
      res.once('close', release);
      return true;
    },
  };
}
export type UploadSlots = ReturnType<typeof uploadSlots>;
