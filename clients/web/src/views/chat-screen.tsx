import { useEffect, useMemo } from 'preact/hooks';
import { AppModel } from '../model.js';
import { rememberNames } from '../names.js';
import { fetchDevUsers, type Session } from '../session.js';
import { useModel } from '../use-model.js';
import { Conversation } from './conversation.js';
import { Notice } from './notice.js';
import { Sidebar } from './sidebar.js';

/** Signed in: the chat lists beside the open conversation (one pane at a time on a phone). */
export function ChatScreen({ session, onSignOut }: { session: Session; onSignOut(reason?: string): void }) {
  const model = useMemo(() => new AppModel(session, (reason) => onSignOut(`Signed out: ${reason}`)), [session]);
  useEffect(() => {
    rememberNames(session.name ? [{ userId: session.userId, name: session.name }] : []);
    void fetchDevUsers().then((users) => (rememberNames(users), model.changed()));
    model.start();
    return () => model.stop();
  }, [model]);
  useModel(model);
  const unread = model.totalUnread();
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
    return () => void (document.title = 'Chat');
  }, [unread]);

  const selected = model.selectedId;
  return (
    <div class="layout" data-pane={selected ? 'chat' : 'list'}>
      <Sidebar model={model} onSignOut={() => onSignOut()} />
      <main class="conversation-pane" aria-label="Conversation">
        {selected ? (
          <Conversation key={selected} model={model} chatId={selected} />
        ) : (
          <div class="empty-state">
            <h2>No chat open</h2>
            <p>Pick a chat on the left, or start one with a user id.</p>
          </div>
        )}
      </main>
      <Notice model={model} />
    </div>
  );
}
