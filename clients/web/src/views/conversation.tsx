import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '@chat/client';
import { maySend, peerOf, type AppModel } from '../model.js';
import { useModel } from '../use-model.js';
import { ChatHeader } from './chat-header.js';
import { Composer, type Draft } from './composer.js';
import { MessageList } from './message-list.js';
import { SearchPanel } from './search-panel.js';

/** One open chat: its header and actions, search, the messages, and the composer. */
export function Conversation({ model, chatId }: { model: AppModel; chatId: string }) {
  useModel(model);
  const chat = model.chat(chatId);
  const handle = model.handle(chatId);
  const [draft, setDraft] = useState<Draft>({ kind: 'new' });
  const [searching, setSearching] = useState(false);
  const [focusId, setFocusId] = useState<string>();
  useMarkRead(model, chatId);

  const me = model.me;
  const peer = peerOf(chat, me) ?? handle.peerId;
  const canSend = chat ? maySend(chat, me) : false;
  const reply = (m: Message) => setDraft({ kind: 'reply', message: m });
  const edit = (m: Message) => setDraft({ kind: 'edit', message: m });

  return (
    <section class="conversation" aria-label="Open chat">
      {model.connection === 'offline' && (
        <p class="offline-banner" role="status">
          You are offline. What you write is sent when the connection is back.
        </p>
      )}
      <ChatHeader
        model={model}
        chatId={chatId}
        peer={peer}
        onSearch={() => setSearching((s) => !s)}
        searching={searching}
      />
      {searching && (
        <SearchPanel model={model} chatId={chatId} onClose={() => setSearching(false)} onJump={setFocusId} />
      )}
      <MessageList model={model} chatId={chatId} canAct={canSend} onReply={reply} onEdit={edit} focusId={focusId} />
      <Composer
        model={model}
        chatId={chatId}
        draft={draft}
        setDraft={setDraft}
        blockedReason={canSend ? undefined : whyNot(model, chatId)}
      />
    </section>
  );
}

function whyNot(model: AppModel, chatId: string): string {
  const chat = model.chat(chatId);
  if (!chat) return 'Loading…';
  if (chat.status === 'pending') return 'Accept the request to reply.';
  if (chat.status === 'blocked')
    return chat.blockedBy === model.me ? 'You blocked this chat. Unblock it to write.' : 'This chat is blocked.';
  if (chat.status === 'rejected') return 'This request was rejected.';
  return 'You cannot write in this chat.';
}

/**
 * Marks the other side's messages read while the chat is open and the page is visible; the
 * server then sends the new unread count and the sender sees the read ticks.
 */
function useMarkRead(model: AppModel, chatId: string): void {
  const handle = model.handle(chatId);
  const status = model.chat(chatId)?.status;
  // A request stays unread until accepted: reading it would tell the requester it was seen.
  const accepted = status === 'accepted' || status === 'auto_accepted';
  const unreadHere = handle.messages.filter(
    (m) => m.senderId !== model.me && !m.readBy.some((r) => r.userId === model.me),
  ).length;
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  // Arrivals within a short window go out as one mark_as_read; leaving the chat sends what was on screen.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  const flush = () => {
    clearTimeout(pending.current);
    pending.current = undefined;
    void handle.markRead().catch((err) => model.report(err));
  };
  useEffect(() => {
    if (accepted && visible && unreadHere > 0 && model.connection === 'online')
      pending.current ??= setTimeout(flush, 300);
  }, [accepted, visible, unreadHere, model.connection]);
  useEffect(() => () => void (pending.current && flush()), []);
}
