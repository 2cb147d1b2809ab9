import { ChatClient, ChatError, type ChatHandle, type ChatView } from '@chat/client';
import type { Session } from './session.js';

export type ChatAction = 'accept' | 'reject' | 'block' | 'unblock' | 'archive' | 'delete';

export interface Lists {
  /** Pending chats others asked me for. */
  requests: ChatView[];
  /** Accepted chats and the requests I sent, newest first. */
  chats: ChatView[];
  archived: ChatView[];
  /** Blocked and rejected chats. */
  other: ChatView[];
}

/** The server announces no chat requests or status changes: lists are re-read this often. */
const POLL_MS = 10_000;
/** Events come in bursts (a message, then its unread count): one list refresh per burst. */
const REFRESH_DEBOUNCE_MS = 250;
const LIST_LIMIT = 100;
/** Messages per page: the newest on opening a chat, then older ones as the user scrolls up. */
export const PAGE_SIZE = 30;

const newestFirst = (a: ChatView, b: ChatView) =>
  (b.lastMessageAt ?? b.updatedAt).localeCompare(a.lastMessageAt ?? a.updatedAt);

/** Whether `me` may send in `chat` (docs/api-guide.md, "Who may send"). */
export function maySend(chat: ChatView, me: string): boolean {
  if (chat.status === 'accepted' || chat.status === 'auto_accepted') return true;
  return chat.status === 'pending' && chat.requestedBy === me;
}

export const peerOf = (chat: ChatView | undefined, me: string): string | undefined =>
  chat?.participants.find((p) => p !== me);

/**
 * The app's state around one SDK client: the chat lists (re-read over REST on events and on a
 * timer), the selected chat, the connection, and the last error to show. Views subscribe and
 * re-render on every change; the messages themselves live in the SDK's chat handles.
 */
export class AppModel {
  readonly client: ChatClient;
  readonly me: string;
  lists: Lists = { requests: [], chats: [], archived: [], other: [] };
  listsLoaded = false;
  selectedId: string | undefined;
  connection: 'connecting' | 'online' | 'offline' = 'connecting';
  notice: { id: number; text: string } | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly wired = new Set<string>();
  private readonly opened = new Set<string>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> | undefined;
  private noticeId = 0;
  private stopped = false;

  constructor(
    readonly session: Session,
    private readonly onUnauthorized: (message: string) => void,
  ) {
    this.me = session.userId;
    this.client = new ChatClient({ token: session.token, userId: session.userId, historyPageSize: PAGE_SIZE });
  }

  start(): void {
    const c = this.client;
    c.on('connect', () => {
      this.connection = 'online';
      this.changed();
      this.scheduleRefresh();
    });
    c.on('disconnect', () => {
      this.connection = 'offline';
      this.changed();
    });
    c.on('error', (err) => (err.code === 'UNAUTHORIZED' ? this.onUnauthorized(err.message) : this.report(err)));
    // A new message (or a message request) changes a list's order, preview or count.
    c.on('unread', () => this.scheduleRefresh());
    c.on('presence', () => this.changed());
    void c.connect().catch(() => undefined);
    void this.refresh();
    const linked = /^#chat=([0-9a-f]{24})$/.exec(location.hash)?.[1];
    if (linked) this.select(linked);
    this.pollTimer = setInterval(() => void this.refresh(), POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.refreshTimer);
    this.client.close();
    this.listeners.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** The chat as the lists (or its handle's last REST answer) show it. */
  chat(chatId: string): ChatView | undefined {
    const { requests, chats, archived, other } = this.lists;
    return (
      [...requests, ...chats, ...archived, ...other].find((c) => c._id === chatId) ?? this.client.chat(chatId).info
    );
  }

  /** My unread count of a chat; none for a closed (rejected or blocked) one, which asks for nothing. */
  unreadOf(chat: ChatView): number {
    if (chat.status === 'rejected' || chat.status === 'blocked') return 0;
    return this.client.unreadCount(chat._id) ?? chat.unreadCount;
  }

  /** Unread messages over every open chat and request, for the tab's title. */
  totalUnread(): number {
    const { requests, chats, archived } = this.lists;
    return [...requests, ...chats, ...archived].reduce((n, c) => n + this.unreadOf(c), 0);
  }

  /**
   * The SDK's handle of a chat, opened (joined, caught up) and wired to re-render the views. It
   * stays open while another chat is shown: its messages are still delivered, its presence known.
   */
  handle(chatId: string): ChatHandle {
    const h = this.client.chat(chatId);
    if (!this.wired.has(chatId)) {
      this.wired.add(chatId);
      for (const event of ['history', 'pending', 'typing', 'presence', 'synced'] as const)
        h.on(event, () => this.changed());
      // A message or a receipt may come with a new preview or status in the lists (the other
      // side accepting shows first as their read receipt).
      h.on('change', () => (this.changed(), this.scheduleRefresh()));
      h.on('error', (err) => this.report(err));
    }
    if (!this.opened.has(chatId)) {
      this.opened.add(chatId);
      void h.open().catch(() => this.opened.delete(chatId));
    }
    return h;
  }

  select(chatId: string | undefined): void {
    this.selectedId = chatId;
    if (chatId) this.handle(chatId);
    // The open chat survives a reload (and can be linked to) through the address.
    history.replaceState(null, '', chatId ? `#chat=${chatId}` : location.pathname + location.search);
    this.changed();
  }

  /** Re-reads the lists now (joins a refresh already running). */
  refresh(): Promise<void> {
    this.refreshing ??= this.loadLists().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  /** Opens the pair's chat (a new request, or the one that exists) and selects it. */
  async startChat(userId: string): Promise<void> {
    const { data } = await this.client.rest.chats.orCreate(userId.toLowerCase());
    await this.refresh();
    this.select(data._id);
  }

  async act(chatId: string, action: ChatAction): Promise<void> {
    try {
      const rest = this.client.rest.chats;
      if (action === 'delete') {
        // The SDK drops the chat's history as the server hides it; a new message brings the chat back.
        await rest.delete(chatId);
        this.client.chat(chatId).close();
        this.opened.delete(chatId);
        if (this.selectedId === chatId) this.selectedId = undefined;
      } else {
        await rest[action](chatId);
      }
      await this.refresh();
    } catch (err) {
      this.report(err);
    }
  }

  report(err: unknown): void {
    if (this.stopped) return;
    if (err instanceof ChatError && err.code === 'UNAUTHORIZED') return this.onUnauthorized(err.message);
    // Offline, requests fail until the connection is back; the banner says so, and sends wait in the SDK.
    if (err instanceof ChatError && err.code === 'UNAVAILABLE' && this.connection === 'offline') return;
    const text = err instanceof Error ? err.message : String(err);
    this.notice = { id: ++this.noticeId, text };
    this.changed();
  }

  dismissNotice(id: number): void {
    if (this.notice?.id !== id) return;
    this.notice = undefined;
    this.changed();
  }

  private async loadLists(): Promise<void> {
    try {
      const rest = this.client.rest.chats;
      const [requests, active, mine] = await Promise.all([
        rest.requests({ limit: LIST_LIMIT }),
        rest.active({ limit: LIST_LIMIT }),
        rest.history(this.me, { limit: LIST_LIMIT, includeArchived: true }),
      ]);
      const all = mine.data;
      const sent = all.filter((c) => c.status === 'pending' && c.requestedBy === this.me && !c.isArchived);
      this.lists = {
        requests: requests.data,
        chats: [...active.data, ...sent].sort(newestFirst),
        archived: all.filter((c) => c.isArchived),
        other: all.filter((c) => !c.isArchived && (c.status === 'blocked' || c.status === 'rejected')),
      };
      this.listsLoaded = true;
      this.changed();
    } catch (err) {
      this.report(err);
    }
  }
}
