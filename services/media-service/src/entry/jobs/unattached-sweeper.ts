import { toAppError } from '@chat/platform';
import type { MediaDeps } from '../../use-cases/deps.js';
import { sweepUnattachedFiles } from '../../use-cases/sweep-unattached-files.js';

export interface Sweeper {
  /** Stops scheduling passes and waits for the one in progress. */
  stop(): Promise<void>;
}

/**
 * Runs the sweep of unattached uploads every `intervalMs`, give or take a quarter (so replicas
 * started together do not sweep in step), until stopped.
 */
export function startUnattachedSweeper(
  deps: MediaDeps,
  opts: { intervalMs: number; onRemoved?: (count: number) => void },
): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const pass = async () => {
    try {
      const removed = await sweepUnattachedFiles(deps, { now: new Date() });
      if (removed > 0) {
        deps.logger.info({ removed }, 'removed uploads no message carries, past MEDIA_UNATTACHED_TTL_MS');
        opts.onRemoved?.(removed);
      }
    } catch (err) {
      toAppError(err, deps.logger); // logged; the next pass tries again
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = pass().finally(() => {
          running = undefined;
          schedule();
        });
      },
      opts.intervalMs * (0.75 + Math.random() / 2),
    );
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
