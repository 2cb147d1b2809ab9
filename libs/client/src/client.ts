import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import { ChatHandle, type ChatContext } from './chat.js';
import { Connection, type ChatSocket } from './connection.js';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import { RestClient } from './rest.js';
import { requestReliably } from './reliable.js';
import type { ChatView, ServerEvents, SocketAck, SocketPayload, SocketRequest } from './types.js';

export interface ChatClientOptions {
  /** The edge's origin (`http://127.0.0.1:8080`); leave out in a page served by the edge. */
  url?: string;
  /** A JWT, or a function returning a current one (called for each request and each connection attempt). */
  token: string | (() => string | Promise<string>);
  /** The caller's user id; read from the token's `sub` / `id` / `userId` when left out. */
  userId?: string;
  /** How long a socket event may go unanswered before it is sent again (default 10 s). */
  ackTimeoutMs?: number;
  /** Messages per page: the newest page on `open()`, older ones on `loadOlder()` (default 50, at most 100). */
  historyPageSize?: number;
  /** At most one `typing` per this many ms while the user keeps typing (default 3 s). */
  typingIntervalMs?: number;
  /** `stop_typing` after this long without a keystroke (default 5 s). */
  typingIdleMs?: number;
  /** Send delivery receipts for the other side's messages as they arrive (default true). */
  autoDeliver?: boolean;
  /** The server's MESSAGE_CONTENT_MAX, checked before sending (default 5,000 code points). */
  maxContentLength?: number;
  /** Passed to socket.io-client (transports, reconnection delays, ...). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  fetch?: typeof fetch;
}

export interface ClientEvents {
  connect: undefined;
  disconnect: string;
  /** Connection refusals (an expired token: `code: 'UNAUTHORIZED'`) and server errors not tied to a request. */
  error: ChatError;
  /** My unread count of a chat changed (live, or from a chat list). */
  unread: { chatId: string; unreadCount: number };
  /** A contact came online or went offline (seen in a chat the client has open). */
  presence: { userId: string; online: boolean };
  [key: string]: unknown;
}

/** The chat-scoped server events, routed to the open chat they name. */
const chatEvents = [
  'message_received',
  'media_received',
  'messages_read',
  'messages_delivered',
  'message_edited',
  'message_deleted',
  'reaction_added',
  'reaction_removed',
  'user_typing',
  'user_stop_typing',
  'user_online',
  'user_offline',
] as const satisfies readonly (keyof ServerEvents)[];
type ChatEventName = (typeof chatEvents)[number];

/** The user id a JWT names (`sub`, else `id`, else `userId`), read without verifying: the server verifies. */
export function userIdOfToken(token: string): string | undefined {
  try {
    const part = token.replace(/^Bearer\s+/i, '').split('.')[1] ?? '';
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const id = [claims.sub, claims.id, claims.userId].find((v) => typeof v === 'string');
    return typeof id === 'string' ? id.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The chat platform from a browser or Node: typed REST (`rest`), one socket that comes back by
 * itself, and per-chat handles that keep messages complete and in order.
 * @example
 * const client = new ChatClient({ url: 'http://127.0.0.1:8080', token });
 * await client.connect();
 * const chat = await client.openChat(chatId);
 * chat.on('message', (m) => console.log(m.senderId, m.content));
 * await chat.send('hello');
 */
export class ChatClient extends Emitter<ClientEvents> {
  readonly rest: RestClient;
  private readonly conn: Connection;
  private readonly handles = new Map<string, ChatHandle>();
  private readonly unread = new Map<string, number>();
  /** When each chat's count last changed live, on the same clock as REST requests start. */
  private readonly unreadStamp = new Map<string, number>();
  private clock = 0;
  private readonly presence = new Map<string, boolean>();
  private me: string | undefined;
  private readonly ctx: Omit<ChatContext, 'options'> & { options: ChatContext['options'] };

  constructor(opts: ChatClientOptions) {
    super();
    const url = (opts.url ?? '').replace(/\/+$/, '');
    const source = opts.token;
    this.me = opts.userId?.toLowerCase() ?? (typeof source === 'string' ? userIdOfToken(source) : undefined);
    const token = async () => {
      const t = typeof source === 'string' ? source : await source();
      this.me ??= userIdOfToken(t);
      return t.replace(/^Bearer\s+/i, '');
    };
    this.rest = new RestClient({
      baseUrl: url,
      token,
      fetch: opts.fetch,
      stamp: () => ++this.clock,
      onChats: (chats, stamp) => this.onChats(chats, stamp),
      onDeleted: (chatId) => {
        // Its history and its count are gone for me; a new message starts them again.
        this.unreadStamp.set(chatId, ++this.clock);
        this.setUnread(chatId, 0);
        this.handles.get(chatId)?.onDeletedByMe();
      },
    });
    this.conn = new Connection({
      url,
      token,
      tokenRenews: typeof source !== 'string',
      socketOptions: opts.socketOptions,
    });
    this.ctx = {
      me: () => this.me ?? '',
      conn: this.conn,
      rest: this.rest,
      unreadOf: (chatId) => this.unread.get(chatId),
      delivery: { unsupported: false },
      options: {
        ackTimeoutMs: opts.ackTimeoutMs ?? 10_000,
        historyPageSize: Math.min(100, opts.historyPageSize ?? 50),
        typingIntervalMs: opts.typingIntervalMs ?? 3_000,
        typingIdleMs: opts.typingIdleMs ?? 5_000,
        autoDeliver: opts.autoDeliver ?? true,
        maxContentLength: opts.maxContentLength ?? 5_000,
      },
    };
    this.wire();
  }

  /** The caller's user id (known once a token has been read). */
  get userId(): string | undefined {
    return this.me;
  }
  get connected(): boolean {
    return this.conn.connected;
  }
  /** The underlying socket.io socket, for what the SDK does not cover. */
  get socket(): ChatSocket {
    return this.conn.socket;
  }
  /** The chats opened so far. */
  get chats(): ChatHandle[] {
    return [...this.handles.values()];
  }

  /** Connects (then reconnects by itself until `close()`); resolves at the first connection. */
  connect(): Promise<void> {
    this.conn.connect();
    return this.conn.whenConnected();
  }

  /** Goes offline until `connect()` (sends wait in `pending`; chats catch up on the next connect). */
  disconnect(): void {
    this.conn.disconnect();
  }

  /** Disconnects for good: leaves every chat; unfinished sends reject. */
  close(): void {
    for (const chat of this.handles.values()) chat.close();
    this.conn.close();
  }

  /** The handle of a chat (one per id). Call `open()` on it, or use `openChat`. */
  chat(chatId: string): ChatHandle {
    const id = chatId.toLowerCase();
    let handle = this.handles.get(id);
    if (!handle) this.handles.set(id, (handle = new ChatHandle(id, this.ctx)));
    return handle;
  }

  /** `chat(chatId).open()`: joined, newest page loaded, caught up. */
  openChat(chatId: string): Promise<ChatHandle> {
    return this.chat(chatId).open();
  }

  /**
   * Any client event, typed by the contract, answered through its acknowledgement; refusals
   * reject with a `ChatError`. `attempts` > 1 repeats it after a lost answer or connection
   * (only for events safe to repeat). The chat handles cover every event; this is for the rest.
   * @example const { messageIds } = await client.request('mark_as_read', { chatId, messageIds: [id] });
   */
  request<E extends SocketRequest>(
    event: E,
    payload: SocketPayload<E>,
    opts: { attempts?: number } = {},
  ): Promise<SocketAck<E>> {
    return requestReliably<SocketAck<E>>(this.conn, event, payload, {
      ackTimeoutMs: this.ctx.options.ackTimeoutMs,
      maxAttempts: opts.attempts ?? 1,
    });
  }

  /** My unread count of a chat, as last seen in a chat list or an `unread_message` event. */
  unreadCount(chatId: string): number | undefined {
    return this.unread.get(chatId.toLowerCase());
  }

  /** A contact's presence as last announced; undefined until an event says (there is no query). */
  isOnline(userId: string): boolean | undefined {
    return this.presence.get(userId.toLowerCase());
  }

  private wire(): void {
    const socket = this.conn.socket;
    this.conn.on('connect', () => {
      this.ctx.delivery.unsupported = false;
      this.emit('connect', undefined);
      for (const chat of this.handles.values()) void chat.onConnect();
    });
    this.conn.on('disconnect', (reason) => {
      for (const chat of this.handles.values()) chat.onDisconnect();
      this.emit('disconnect', reason);
    });
    this.conn.on('error', (err) => this.emit('error', err));
    // Before the chat handles' listener: the client's presence is current when a handle hears the event.
    socket.on('user_online', (p) => this.onPresence(p.userId, true));
    socket.on('user_offline', (p) => this.onPresence(p.userId, false));
    for (const event of chatEvents) {
      socket.on(event, (payload: ServerEvents[ChatEventName]) =>
        this.handles.get(payload.chatId)?.onEvent(event, payload),
      );
    }
    socket.on('unread_message', (p) => {
      const before = this.unread.get(p.chatId) ?? 0;
      this.unreadStamp.set(p.chatId, ++this.clock);
      this.setUnread(p.chatId, p.unreadCount);
      if (p.senderId && p.senderId !== this.me && p.unreadCount > before)
        this.handles.get(p.chatId)?.onCountedFromPeer();
    });
    // Errors of requests come back in their acknowledgements too; the rest are the client's to know.
    socket.on('error', (p) => {
      if (!p.event) this.emit('error', new ChatError(p.message, p.code));
    });
  }

  private onChats(chats: ChatView[], stamp: number): void {
    for (const chat of chats) {
      this.handles.get(chat._id)?.onInfo(chat);
      // A live count newer than this request wins over the list.
      if ((this.unreadStamp.get(chat._id) ?? 0) > stamp) continue;
      if (typeof chat.unreadCount === 'number') this.setUnread(chat._id, chat.unreadCount);
    }
  }

  private setUnread(chatId: string, unreadCount: number): void {
    if (this.unread.get(chatId) === unreadCount) return;
    this.unread.set(chatId, unreadCount);
    this.emit('unread', { chatId, unreadCount });
    this.handles.get(chatId)?.onUnread(unreadCount);
  }

  private onPresence(userId: string, online: boolean): void {
    if (userId === this.me || this.presence.get(userId) === online) return;
    this.presence.set(userId, online);
    this.emit('presence', { userId, online });
  }
}
