import { useEffect, useReducer } from 'preact/hooks';
import type { AppModel } from './model.js';

/** Re-renders the calling view whenever the model changes. */
export function useModel(model: AppModel): void {
  const [, bump] = useReducer((n: number, _: void) => n + 1, 0);
  useEffect(() => model.subscribe(() => bump()), [model]);
}
