/**
 * Which message events (by their per-chat change number `rev`) a chat has already absorbed, so a
 * redelivered or replayed event changes nothing. Every rev ≤ `floor` counts as applied; `revs`
 * holds the applied revs above it, ascending. Every event's revs are recorded (reactions and
 * each rev of a read too), so a gap means an event still to come: one redelivered after its
 * replica died, or a rev that was taken and never written. The list is bounded by raising the
 * floor past its smallest entries, which only drops an event that comes later than `REVS_KEPT`
 * newer ones of its chat (the projection's redelivery wait keeps that far off).
 */
export interface AppliedRevs {
  floor: number;
  revs: number[];
}

export const REVS_KEPT = 1_000;

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
