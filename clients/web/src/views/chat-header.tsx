import { useState } from 'preact/hooks';
import type { ChatView } from '@chat/client';
import type { AppModel, ChatAction } from '../model.js';
import { nameOf } from '../names.js';
import { Avatar } from './avatar.js';

interface Props {
  model: AppModel;
  chatId: string;
  peer: string | undefined;
  searching: boolean;
  onSearch(): void;
}

/** The other user, their presence or typing, and what can be done with the chat in its status. */
export function ChatHeader({ model, chatId, peer, searching, onSearch }: Props) {
  const chat = model.chat(chatId);
  const handle = model.handle(chatId);
  const online = peer ? (handle.peerOnline ?? model.client.isOnline(peer)) : undefined;
  const typing = peer !== undefined && handle.typingUsers.includes(peer);
  const line = typing ? 'typing…' : online === undefined ? '' : online ? 'online' : 'offline';
  return (
    <header class="chat-header">
      <button type="button" class="icon back" aria-label="Back to chats" onClick={() => model.select(undefined)}>
        ←
      </button>
      <Avatar userId={peer} online={online} />
      <div class="chat-title">
        <h2>{nameOf(peer)}</h2>
        <p class={`presence-line${typing ? ' typing' : ''}`} aria-live="polite" data-testid="presence">
          {line}
        </p>
      </div>
      <div class="chat-actions" role="group" aria-label="Chat actions">
        <button type="button" aria-pressed={searching} onClick={onSearch}>
          Search
        </button>
        {chat && <StatusActions model={model} chat={chat} peer={peer} />}
      </div>
    </header>
  );
}

function StatusActions({ model, chat, peer }: { model: AppModel; chat: ChatView; peer: string | undefined }) {
  const [busy, setBusy] = useState(false);
  const me = model.me;
  const run = async (action: ChatAction, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    await model.act(chat._id, action);
    setBusy(false);
  };
  const button = (label: string, action: ChatAction, confirmText?: string, cls = '') => (
    <button type="button" class={cls} disabled={busy} onClick={() => void run(action, confirmText)}>
      {label}
    </button>
  );
  const incoming = chat.status === 'pending' && chat.requestedBy !== me;
  const name = nameOf(peer);
  return (
    <>
      {incoming && button('Accept', 'accept', undefined, 'primary')}
      {incoming && button('Reject', 'reject')}
      {chat.status === 'rejected' && chat.requestedBy !== me && peer && (
        <button
          type="button"
          disabled={busy}
          onClick={() => void model.startChat(peer).catch((err) => model.report(err))}
        >
          Start again
        </button>
      )}
      {chat.status === 'blocked'
        ? chat.blockedBy === me && button('Unblock', 'unblock')
        : button('Block', 'block', `Block ${name}? Neither of you can write until you unblock.`, 'danger')}
      {button(chat.isArchived ? 'Unarchive' : 'Archive', 'archive')}
      {button('Delete chat', 'delete', `Delete this chat and its history for you? ${name} keeps theirs.`, 'danger')}
    </>
  );
}
