import type { MediaFileRecord } from './media-file.js';

/**
 * How long an upload that no message carries is kept. At `ttlMs` after its upload it can no
 * longer be attached to a message (`media.file.check` answers not found); the sweep removes it
 * only a grace period later (a tenth of the TTL, at most a minute). So a check that read the file
 * just before its TTL has finished before the sweep may look at it: the sweep never deletes a
 * file a message has just been given, on MongoDB or on FerretDB (whose conditional delete does
 * not re-check the condition against a concurrent update).
 */
export const sweepGraceMs = (ttlMs: number): number => Math.min(60_000, Math.ceil(ttlMs / 10));

/** Whether a message may still carry this file (attached already, or uploaded less than `ttlMs` ago). */
export const canAttach = (record: Pick<MediaFileRecord, 'attached' | 'createdAt'>, now: Date, ttlMs: number) =>
  record.attached || now.getTime() - record.createdAt.getTime() < ttlMs;

/** Unattached uploads made before this instant are removed by the sweep. */
export const sweepCutoff = (now: Date, ttlMs: number): Date => new Date(now.getTime() - ttlMs - sweepGraceMs(ttlMs));
