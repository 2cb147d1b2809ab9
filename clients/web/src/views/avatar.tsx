import { initialOf } from '../names.js';

/** A coloured initial; with `online` known, a presence dot that screen readers read out. */
export function Avatar({ userId, online }: { userId: string | undefined; online?: boolean | undefined }) {
  // Ids often differ only in their last digits: a large step keeps neighbours' colours apart.
  const hue = (parseInt((userId ?? '0').slice(-6), 16) * 137) % 360;
  return (
    <span class="avatar" style={{ '--hue': String(hue) }}>
      <span aria-hidden="true">{initialOf(userId)}</span>
      {online !== undefined && (
        <span class={`presence ${online ? 'online' : 'offline'}`}>
          <span class="visually-hidden">{online ? 'online' : 'offline'}</span>
        </span>
      )}
    </span>
  );
}
