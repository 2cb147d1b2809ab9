// Bounded loops and the statistics every figure is made of.
import { performance } from 'node:perf_hooks';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array (undefined when empty). */
export const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : undefined;

/** Count, rate and latency percentiles (ms) of `latencies` collected over `elapsedMs`. */
export function summary(latencies, elapsedMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    seconds: elapsedMs / 1000,
    perSecond: elapsedMs > 0 ? (sorted.length / elapsedMs) * 1000 : 0,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/**
 * Calls `fn(i)` for i < total with `concurrency` calls in flight and no new call after
 * `deadlineMs`; returns what the calls resolved to (fewer than `total` when the deadline hit).
 */
export async function pool(total, concurrency, fn, { deadlineMs = 60_000 } = {}) {
  const results = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < total && performance.now() - started < deadlineMs) results.push(await fn(next++));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}

/**
 * Closed-loop load: `concurrency` workers each await `fn(i)` then start the next, up to
 * `total` calls or `seconds`, after `warmup` untimed calls (JIT, pools, caches).
 * Returns summary() of per-call latencies.
 */
export async function load({ total, seconds, concurrency = 1, warmup = 0 }, fn) {
  await pool(warmup, concurrency, fn, { deadlineMs: seconds * 1000 });
  const latencies = [];
  const started = performance.now();
  await pool(
    total,
    concurrency,
    async (i) => {
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    },
    { deadlineMs: seconds * 1000 },
  );
  return summary(latencies, performance.now() - started);
}

/** Rejects after `ms` with `what` in the message, unless `promise` settles first. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
