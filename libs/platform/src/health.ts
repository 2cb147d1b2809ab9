/** A named readiness probe: true when that link (Mongo, NATS, Redis) is up. */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export async function runReadiness(checks: ReadinessCheck[]): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return [c.name, await c.check()] as const;
      } catch {
        return [c.name, false] as const;
      }
    }),
  );
  return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}
