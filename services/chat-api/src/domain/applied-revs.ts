/**
 * Which message events (by their per-chat change number `rev`) a chat has already absorbed, so a
 * redelivered or replayed event changes nothing. Every rev ≤ `floor` counts as applied; `revs`
 * holds the applied revs above it, ascending. Revs of events the projection ignores (reactions)
 * and revs a read spends on its several messages never arrive, so gaps are normal: the list is
 * bounded by raising the floor past its smallest entries, which only drops events later than
 * `REVS_KEPT` newer ones (events of one chat arrive out of order only by a few).
 */
export interface AppliedRevs {
  floor: number;
  revs: number[];
}

export const REVS_KEPT = 100;

export const wasApplied = (applied: AppliedRevs, rev: number): boolean =>
  rev <= applied.floor || applied.revs.includes(rev);

/** `applied` with `rev` added: contiguous revs fold into the floor, the oldest beyond `kept` raise it. */
export function markApplied(applied: AppliedRevs, rev: number, kept: number = REVS_KEPT): AppliedRevs {
  if (wasApplied(applied, rev)) return applied;
  let floor = applied.floor;
  const revs = [...applied.revs, rev].sort((a, b) => a - b);
  for (;;) {
    if (revs[0] === floor + 1 || revs.length > kept) floor = revs.shift()!;
    else return { floor, revs };
  }
}
