/**
 * Counts invalid events of one socket in a sliding window; `strike()` answers true once the
 * socket has sent `limit` of them within `windowMs` and should be cut off.
 */
export class GarbageMeter {
  private strikes: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  strike(): boolean {
    const t = this.now();
    this.strikes = this.strikes.filter((s) => t - s < this.windowMs);
    this.strikes.push(t);
    return this.strikes.length >= this.limit;
  }
}
