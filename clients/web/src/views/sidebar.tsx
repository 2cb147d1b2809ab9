import { useState } from 'preact/hooks';
import type { ChatView } from '@chat/client';
import { shortTime } from '../format.js';
import { peerOf, type AppModel } from '../model.js';
import { nameOf } from '../names.js';
import { useModel } from '../use-model.js';
import { Avatar } from './avatar.js';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

/** Who I am, the connection, a form to start a chat, and every chat by section. */
export function Sidebar({ model, onSignOut }: { model: AppModel; onSignOut(): void }) {
  useModel(model);
  const { requests, chats, archived, other } = model.lists;
  return (
    <nav class="sidebar" aria-label="Chats">
      <header class="me">
        <Avatar userId={model.me} />
        <div class="me-text">
          <strong>{nameOf(model.me)}</strong>
          <small class="mono" title="Your user id: others start a chat with it">
            {model.me}
          </small>
        </div>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <ConnectionState state={model.connection} />
      <NewChat model={model} />
      {!model.listsLoaded && <p class="hint pad">Loading chats…</p>}
      <ChatSection model={model} title="Requests" chats={requests} empty={undefined} />
      <ChatSection model={model} title="Chats" chats={chats} empty={model.listsLoaded ? 'No chats yet.' : undefined} />
      <ChatSection model={model} title="Archived" chats={archived} empty={undefined} />
      <ChatSection model={model} title="Blocked and rejected" chats={other} empty={undefined} />
    </nav>
  );
}

function ConnectionState({ state }: { state: AppModel['connection'] }) {
  const text = { connecting: 'Connecting…', online: 'Connected', offline: 'Offline: reconnecting…' }[state];
  return (
    <p class={`connection ${state}`} role="status">
      <span class="dot" aria-hidden="true" />
      {text}
    </p>
  );
}

function NewChat({ model }: { model: AppModel }) {
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const id = userId.trim();
    if (!OBJECT_ID.test(id)) return setError('A user id is 24 hexadecimal characters.');
    if (id.toLowerCase() === model.me) return setError('That is your own id.');
    setBusy(true);
    try {
      await model.startChat(id);
      setUserId('');
      setError(undefined);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-chat" onSubmit={submit}>
      <label for="new-chat-id">Start a chat with user id</label>
      <div class="row">
        <input
          id="new-chat-id"
          class="mono"
          value={userId}
          placeholder="24-hex user id"
          autocomplete="off"
          spellcheck={false}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'new-chat-error' : undefined}
          onInput={(e) => (setUserId(e.currentTarget.value), setError(undefined))}
        />
        <button type="submit" class="primary" disabled={busy}>
          Start chat
        </button>
      </div>
      {error && (
        <p id="new-chat-error" class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function ChatSection({
  model,
  title,
  chats,
  empty,
}: {
  model: AppModel;
  title: string;
  chats: ChatView[];
  empty: string | undefined;
}) {
  if (chats.length === 0 && !empty) return null;
  const id = `section-${title.toLowerCase().replace(/\W+/g, '-')}`;
  const unread = chats.reduce((n, c) => n + model.unreadOf(c), 0);
  return (
    <section class="chat-section" aria-labelledby={id}>
      <h2 id={id}>
        {title}
        {title === 'Requests' && <span class="count"> ({chats.length})</span>}
        {title !== 'Requests' && unread > 0 && <span class="visually-hidden">, {unread} unread</span>}
      </h2>
      {chats.length === 0 ? (
        <p class="hint pad">{empty}</p>
      ) : (
        <ul class="chat-list">
          {chats.map((chat) => (
            <ChatItem key={chat._id} model={model} chat={chat} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** The status a list shows beside a chat that is not a plain accepted one. */
function statusLabel(chat: ChatView, me: string): string | undefined {
  if (chat.status === 'pending') return chat.requestedBy === me ? 'Request sent' : 'Wants to chat';
  if (chat.status === 'blocked') return chat.blockedBy === me ? 'You blocked' : 'Blocked';
  if (chat.status === 'rejected') return 'Rejected';
  return undefined;
}

function preview(chat: ChatView, me: string): string {
  if (!chat.lastMessageAt) return 'No messages yet';
  const text =
    chat.lastMessageType && chat.lastMessageType !== 'text' ? `[${chat.lastMessageType}]` : (chat.lastMessage ?? '');
  return chat.lastSenderId === me ? `You: ${text}` : text;
}

function ChatItem({ model, chat }: { model: AppModel; chat: ChatView }) {
  const peer = peerOf(chat, model.me);
  const unread = model.unreadOf(chat);
  const online = peer ? model.client.isOnline(peer) : undefined;
  const status = statusLabel(chat, model.me);
  const selected = model.selectedId === chat._id;
  return (
    <li>
      <button
        type="button"
        class={`chat-item${selected ? ' selected' : ''}${unread > 0 ? ' has-unread' : ''}`}
        aria-current={selected ? 'true' : undefined}
        onClick={() => model.select(chat._id)}
      >
        <Avatar userId={peer} online={online} />
        <span class="chat-item-text">
          <span class="chat-item-top">
            <span class="chat-name">{nameOf(peer)}</span>
            <time dateTime={chat.lastMessageAt ?? chat.updatedAt}>
              {shortTime(chat.lastMessageAt ?? chat.updatedAt)}
            </time>
          </span>
          <span class="chat-item-bottom">
            <span class="preview">
              {status ? <em class="status">{status}</em> : null} {preview(chat, model.me)}
            </span>
            {unread > 0 && (
              <span class="badge" aria-label={`${unread} unread`}>
                {unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}
