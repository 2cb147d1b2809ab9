import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatHandle, Message, PendingMessage } from '@chat/client';
import { clock, fullTime } from '../format.js';
import type { AppModel } from '../model.js';
import { nameOf } from '../names.js';
import { ClockIcon } from './icons.js';
import type { ViewedImage } from './image-viewer.js';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

interface Props {
  model: AppModel;
  handle: ChatHandle;
  message: Message;
  /** False in a chat where I may not write: reactions and edits are refused there. */
  canAct: boolean;
  onReply(m: Message): void;
  onEdit(m: Message): void;
  onView(image: ViewedImage): void;
}

export function MessageItem({ model, handle, message: m, canAct, onReply, onEdit, onView }: Props) {
  const me = model.me;
  const mine = m.senderId === me;
  const [menuOpen, setMenuOpen] = useState(false);
  const act = (p: Promise<unknown>) => void p.catch((err) => model.report(err));
  const toggleReaction = (emoji: string) => {
    const reacted = m.reactions.some((r) => r.userId === me && r.emoji === emoji);
    act(reacted ? handle.unreact(m._id, emoji) : handle.react(m._id, emoji));
  };
  const remove = () => {
    const question = mine ? 'Delete this message for everyone?' : 'Hide this message for you? The sender keeps it.';
    if (window.confirm(question)) act(handle.delete(m._id));
  };
  const who = mine ? 'You' : nameOf(m.senderId);
  return (
    <li id={`msg-${m._id}`} class={`msg ${mine ? 'mine' : 'theirs'}`} tabIndex={-1} data-seq={m.seq}>
      <article class="bubble" aria-label={`${who} at ${clock(m.createdAt)}`}>
        {m.replyTo && (
          <blockquote class="reply-quote">
            <span class="reply-name">{m.replyTo.senderId === me ? 'You' : nameOf(m.replyTo.senderId)}</span>
            <span class="reply-text">
              {m.replyTo.isDeleted ? 'Deleted message' : m.replyTo.content || `[${m.replyTo.messageType}]`}
            </span>
          </blockquote>
        )}
        <Body model={model} message={m} onView={onView} />
        <footer class="meta">
          {m.isEdited && <span class="edited">edited</span>}
          <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
            {clock(m.createdAt)}
          </time>
          {mine && <Ticks message={m} me={me} />}
        </footer>
        {m.reactions.length > 0 && <Reactions message={m} me={me} disabled={!canAct} onToggle={toggleReaction} />}
      </article>
      <div class="msg-tools">
        <button
          type="button"
          class="icon tools-toggle"
          aria-label="Message actions"
          aria-haspopup="true"
          aria-expanded={menuOpen}
          onClick={() => setMenuOpen((o) => !o)}
        >
          ⋯
        </button>
        {menuOpen && (
          <ActionMenu
            close={() => setMenuOpen(false)}
            canAct={canAct}
            canEdit={mine && m.messageType === 'text' && canAct}
            deleteLabel={mine ? 'Delete for everyone' : 'Delete for me'}
            onReply={() => onReply(m)}
            onEdit={() => onEdit(m)}
            onDelete={remove}
            onReact={toggleReaction}
          />
        )}
      </div>
    </li>
  );
}

function Body({ model, message: m, onView }: { model: AppModel; message: Message; onView(image: ViewedImage): void }) {
  if (m.messageType === 'text' || !m.media) return <p class="text">{m.content}</p>;
  const url = model.client.rest.media.fileUrl(m.media.url);
  const name = m.media.fileName ?? 'file';
  if (m.messageType === 'image')
    return (
      <button
        type="button"
        class="image-button"
        aria-label={`View image ${name}`}
        onClick={() => onView({ url, name })}
      >
        <img src={url} alt={name} loading="lazy" />
      </button>
    );
  if (m.messageType === 'video') return <video src={url} controls preload="metadata" aria-label={name} />;
  return (
    <a class="file" href={url} download={name}>
      {name}
    </a>
  );
}

/** ✓ stored, ✓✓ delivered to the other side, blue ✓✓ read by them. */
function Ticks({ message: m, me }: { message: Message; me: string }) {
  const read = m.readBy.some((r) => r.userId !== me);
  const delivered = read || m.deliveredTo.some((d) => d.userId !== me);
  const state = read ? 'read' : delivered ? 'delivered' : 'sent';
  return (
    <span class={`ticks ${state}`} title={state[0]!.toUpperCase() + state.slice(1)} data-state={state}>
      <span aria-hidden="true">{state === 'sent' ? '✓' : '✓✓'}</span>
      <span class="visually-hidden">{state}</span>
    </span>
  );
}

function Reactions({
  message: m,
  me,
  disabled,
  onToggle,
}: {
  message: Message;
  me: string;
  disabled: boolean;
  onToggle(e: string): void;
}) {
  const groups = new Map<string, string[]>();
  for (const r of m.reactions) groups.set(r.emoji, [...(groups.get(r.emoji) ?? []), r.userId]);
  return (
    <ul class="reactions" aria-label="Reactions">
      {[...groups].map(([emoji, users]) => {
        const mineToo = users.includes(me);
        const names = users.map((u) => (u === me ? 'you' : nameOf(u))).join(', ');
        return (
          <li key={emoji}>
            <button
              type="button"
              class={`reaction${mineToo ? ' mine' : ''}`}
              aria-pressed={mineToo}
              aria-label={`${emoji} ${users.length}, from ${names}`}
              disabled={disabled}
              onClick={() => onToggle(emoji)}
            >
              {emoji} <span class="n">{users.length}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

interface MenuProps {
  close(): void;
  canAct: boolean;
  canEdit: boolean;
  deleteLabel: string;
  onReply(): void;
  onEdit(): void;
  onDelete(): void;
  onReact(emoji: string): void;
}

/** The actions of one message; Escape or a choice closes it and gives focus back. */
function ActionMenu({ close, canAct, canEdit, deleteLabel, onReply, onEdit, onDelete, onReact }: MenuProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
  }, []);
  const pick = (fn: () => void) => () => {
    const toggle = ref.current?.parentElement?.querySelector<HTMLButtonElement>('.tools-toggle');
    close();
    fn();
    toggle?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    pick(() => undefined)();
  };
  return (
    <div class="action-menu" ref={ref} role="group" aria-label="Message actions" onKeyDown={onKeyDown}>
      {canAct && (
        <div class="quick-reactions" role="group" aria-label="React">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              class="icon"
              aria-label={`React with ${emoji}`}
              onClick={pick(() => onReact(emoji))}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
      {canAct && (
        <button type="button" onClick={pick(onReply)}>
          Reply
        </button>
      )}
      {canEdit && (
        <button type="button" onClick={pick(onEdit)}>
          Edit
        </button>
      )}
      <button type="button" class="danger" onClick={pick(onDelete)}>
        {deleteLabel}
      </button>
    </div>
  );
}

/** My message on its way: shown until the server has it (after retries over reconnects, too). */
export function PendingItem({ pending: p }: { pending: PendingMessage }) {
  return (
    <li class="msg mine pending">
      <article class="bubble" aria-label="You, sending">
        <p class="text">{p.messageType === 'text' ? p.content : `[${p.messageType}] ${p.media?.fileName ?? ''}`}</p>
        <footer class="meta">
          <span class="ticks pending" data-state="pending">
            <ClockIcon />
            <span class="visually-hidden">{p.attempts > 1 ? 'retrying' : 'sending'}</span>
          </span>
        </footer>
      </article>
    </li>
  );
}
