import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '@chat/client';
import { dayLabel } from '../format.js';
import type { AppModel } from '../model.js';
import { nameOf } from '../names.js';
import { ImageViewer, type ViewedImage } from './image-viewer.js';
import { MessageItem, PendingItem } from './message-item.js';

interface Props {
  model: AppModel;
  chatId: string;
  canAct: boolean;
  focusId: string | undefined;
  onReply(m: Message): void;
  onEdit(m: Message): void;
}

/** Closer than this to the bottom, new messages keep the view at the bottom. */
const STICK_PX = 80;

/**
 * The conversation, oldest at the top. Scrolling to the top (or the button there) loads older
 * pages while keeping what was on screen in place; new messages scroll into view only when the
 * reader was already at the bottom.
 */
export function MessageList({ model, chatId, canAct, focusId, onReply, onEdit }: Props) {
  const handle = model.handle(chatId);
  const messages = handle.messages;
  const pending = handle.pending;
  const ref = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  const heightBeforeOlder = useRef<number | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [viewed, setViewed] = useState<ViewedImage>();

  const loadOlder = async () => {
    if (loadingOlder || !handle.hasOlder) return;
    setLoadingOlder(true);
    heightBeforeOlder.current = ref.current?.scrollHeight;
    try {
      await handle.loadOlder();
    } catch (err) {
      model.report(err);
    } finally {
      setLoadingOlder(false);
    }
  };

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (heightBeforeOlder.current !== undefined) {
      // Older messages went in above: keep the same messages under the reader's eyes.
      el.scrollTop += el.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = undefined;
    } else if (atBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, pending.length]);

  // A search result: bring it in (loading older pages until it is held), then show it.
  useEffect(() => {
    if (!focusId) return;
    let cancelled = false;
    void (async () => {
      while (!cancelled && !handle.getMessage(focusId) && handle.hasOlder) await handle.loadOlder();
      const el = document.getElementById(`msg-${focusId}`);
      if (cancelled || !el) return;
      atBottom.current = false;
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash');
      el.focus();
      setTimeout(() => el.classList.remove('flash'), 2_000);
    })().catch((err) => model.report(err));
    return () => void (cancelled = true);
  }, [focusId]);

  const onScroll = () => {
    const el = ref.current!;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (el.scrollTop < 40) void loadOlder();
  };

  const typing = handle.typingUsers;
  return (
    <div class="messages-wrap">
      <ol class="messages" ref={ref} onScroll={onScroll} aria-label="Messages" tabIndex={0}>
        <li class="history-edge">
          {handle.hasOlder ? (
            <button type="button" class="link" disabled={loadingOlder} onClick={() => void loadOlder()}>
              {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
            </button>
          ) : (
            <span class="hint">
              {messages.length === 0 ? 'No messages yet. Say hello!' : 'This is the start of the chat.'}
            </span>
          )}
        </li>
        {messages.map((m, i) => {
          const label = dayLabel(m.createdAt);
          const showDay = i === 0 || dayLabel(messages[i - 1]!.createdAt) !== label;
          return (
            <Fragment key={m._id}>
              {showDay && (
                <li class="day" role="separator">
                  {label}
                </li>
              )}
              <MessageItem
                model={model}
                handle={handle}
                message={m}
                canAct={canAct}
                onReply={onReply}
                onEdit={onEdit}
                onView={setViewed}
              />
            </Fragment>
          );
        })}
        {pending.map((p) => (
          <PendingItem key={p.clientMessageId} pending={p} />
        ))}
      </ol>
      <p class="typing-indicator" aria-live="polite">
        {typing.length > 0 ? `${typing.map(nameOf).join(', ')} is typing…` : ''}
      </p>
      {viewed && <ImageViewer image={viewed} onClose={() => setViewed(undefined)} />}
    </div>
  );
}
