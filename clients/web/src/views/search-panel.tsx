import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message, SearchPage } from '@chat/client';
import { fullTime } from '../format.js';
import type { AppModel } from '../model.js';
import { nameOf } from '../names.js';

interface Found {
  q: string;
  messages: Message[];
  /** Where to continue when the server examined only part of the chat (SEARCH_WINDOW). */
  beforeSeq: number | null;
}

/** Searches the chat on the server (case-insensitive, literal); a result jumps to its message. */
export function SearchPanel({
  model,
  chatId,
  onClose,
  onJump,
}: {
  model: AppModel;
  chatId: string;
  onClose(): void;
  onJump(id: string): void;
}) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Found>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const run = async (query: string, beforeSeq?: number) => {
    setBusy(true);
    try {
      const page: SearchPage = await model.client.rest.messages.search(chatId, {
        q: query,
        limit: 50,
        ...(beforeSeq ? { beforeSeq } : {}),
      });
      const more = page.window.complete ? null : page.window.beforeSeq;
      setFound((prev) => ({
        q: query,
        messages: [...(beforeSeq && prev ? prev.messages : []), ...page.data],
        beforeSeq: more,
      }));
    } catch (err) {
      model.report(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (q.trim()) void run(q.trim());
  };
  return (
    <div class="search-panel" role="search" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <form onSubmit={submit}>
        <label for="search-q" class="visually-hidden">
          Search this chat
        </label>
        <input
          id="search-q"
          ref={input}
          type="search"
          placeholder="Search this chat"
          maxLength={200}
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Find
        </button>
        <button type="button" class="link" onClick={onClose}>
          Close search
        </button>
      </form>
      {found && (
        <div class="search-results">
          <p role="status">
            {found.messages.length === 0
              ? `No messages match “${found.q}”.`
              : `${found.messages.length} message${found.messages.length === 1 ? '' : 's'} match “${found.q}”.`}
          </p>
          <ul aria-label="Search results">
            {found.messages.map((m) => (
              <li key={m._id}>
                <button type="button" class="result" onClick={() => onJump(m._id)}>
                  <span class="result-meta">
                    {m.senderId === model.me ? 'You' : nameOf(m.senderId)} · {fullTime(m.createdAt)}
                  </span>
                  <Highlight text={m.content} q={found.q} />
                </button>
              </li>
            ))}
          </ul>
          {found.beforeSeq !== null && (
            <button type="button" class="link" disabled={busy} onClick={() => void run(found.q, found.beforeSeq!)}>
              Search older messages
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** The text with each case-insensitive occurrence of `q` marked. */
function Highlight({ text, q }: { text: string; q: string }) {
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  const parts = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0 && needle; at = lower.indexOf(needle, from)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return <span class="result-text">{parts}</span>;
}
