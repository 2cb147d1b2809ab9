import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '@chat/client';
import type { AppModel } from '../model.js';
import { nameOf } from '../names.js';
import { PaperclipIcon } from './icons.js';

/** What the composer is writing: a new message, a reply to one, or a new text for one of mine. */
export type Draft = { kind: 'new' } | { kind: 'reply'; message: Message } | { kind: 'edit'; message: Message };

interface Props {
  model: AppModel;
  chatId: string;
  draft: Draft;
  setDraft(d: Draft): void;
  /** Set when I may not write in this chat: why, shown instead of the composer. */
  blockedReason: string | undefined;
}

/** Enter sends, Shift+Enter starts a new line, Escape cancels a reply or an edit. */
export function Composer({ model, chatId, draft, setDraft, blockedReason }: Props) {
  const handle = model.handle(chatId);
  const [text, setText] = useState('');
  const [uploading, setUploading] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  // Before the browser runs anything else: with useEffect, text typed right after "Edit" was
  // replaced by the old text a moment later, and the edit saved nothing (seen in the browser test).
  useLayoutEffect(() => {
    if (draft.kind === 'edit') setText(draft.message.content);
    if (draft.kind !== 'new') area.current?.focus();
  }, [draft]);

  if (blockedReason)
    return (
      <p class="composer-blocked" role="note">
        {blockedReason}
      </p>
    );

  const cancel = () => {
    if (draft.kind === 'edit') setText('');
    setDraft({ kind: 'new' });
  };
  const submit = (e?: Event) => {
    e?.preventDefault();
    const content = text.trim();
    if (!content) return;
    const report = (err: unknown) => model.report(err);
    if (draft.kind === 'edit') {
      if (content !== draft.message.content) void handle.edit(draft.message._id, content).catch(report);
    } else {
      // The SDK shows it as pending at once and retries it across reconnects until stored.
      void handle.send(content, draft.kind === 'reply' ? { replyToId: draft.message._id } : {}).catch(report);
    }
    setText('');
    setDraft({ kind: 'new' });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e);
    else if (e.key === 'Escape' && draft.kind !== 'new') cancel();
  };
  const onFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setUploading(true);
    try {
      await handle.sendFile(file, draft.kind === 'reply' ? { replyToId: draft.message._id } : {});
      if (draft.kind === 'reply') setDraft({ kind: 'new' });
    } catch (err) {
      model.report(err);
    } finally {
      setUploading(false);
    }
  };

  const who =
    draft.kind === 'new' ? '' : draft.message.senderId === model.me ? 'yourself' : nameOf(draft.message.senderId);
  return (
    <form class="composer" onSubmit={submit}>
      {draft.kind !== 'new' && (
        <div class="draft-banner" role="status">
          <span>
            {draft.kind === 'reply' ? `Replying to ${who}: ` : 'Editing: '}
            <q>{draft.message.content || `[${draft.message.messageType}]`}</q>
          </span>
          <button type="button" class="link" onClick={cancel}>
            Cancel {draft.kind === 'reply' ? 'reply' : 'edit'}
          </button>
        </div>
      )}
      <div class="composer-row">
        {draft.kind !== 'edit' && (
          <>
            <input
              id="attach"
              type="file"
              accept="image/*"
              class="visually-hidden"
              disabled={uploading}
              onChange={(e) => void onFile(e)}
            />
            <label for="attach" class={`button icon attach${uploading ? ' busy' : ''}`} title="Attach an image">
              <PaperclipIcon />
              <span class="visually-hidden">{uploading ? 'Uploading image…' : 'Attach image'}</span>
            </label>
          </>
        )}
        <label for="composer-text" class="visually-hidden">
          {draft.kind === 'edit' ? 'Edit message' : 'Message'}
        </label>
        <textarea
          id="composer-text"
          ref={area}
          rows={1}
          placeholder={draft.kind === 'edit' ? 'Edit your message' : 'Write a message'}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (draft.kind !== 'edit') handle.typing();
          }}
          onKeyDown={onKeyDown}
          onBlur={() => handle.stopTyping()}
        />
        <button type="submit" class="primary" disabled={!text.trim()}>
          {draft.kind === 'edit' ? 'Save' : 'Send'}
        </button>
      </div>
    </form>
  );
}
