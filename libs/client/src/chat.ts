import { clientEvents, type DeleteScope, type MessageType } from '@chat/contracts';
import type { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import { messageFromEvent, normalize } from './live.js';
import { MessageStore, type Delta, type StoreChange } from './message-store.js';
import { backoff, requestReliably, sleep } from './reliable.js';
import type { FileInput, RestClient } from './rest.js';
import { PeerTyping, TypingSender } from './typing.js';
import type { BulkFailure, ChatView, Media, Message, SendAck, ServerEvents, UploadedFile } from './types.js';

/** An own message on its way: shown by the app until it appears in `chat.messages`. */
export interface PendingMessage {
  clientMessageId: string;
  messageType: MessageType;
  content: string;
  media?: Media;
  replyToId?: string;
  createdAt: string;
  /** Sends so far; more than one after a lost answer or connection. */
  attempts: number;
}

export interface ChatEvents {
  /** A message entered `messages` (live or caught up), once, in seq order. */
  message: Message;
  /** A held message changed (edit, reaction, read, delivered). */
  update: Message;
  /** A held message was deleted for everyone or hidden for me. */
  remove: Message;
  /** Each of the three above, in the order applied. */
  change: StoreChange;
  /** Older messages `loadOlder()` added, in seq order. */
  history: Message[];
  typing: { userId: string; typing: boolean };
  presence: { userId: string; online: boolean };
  read: { messageIds: string[]; userId: string; at: string };
  delivered: { messageIds: string[]; userId: string; at: string };
  unread: number;
  pending: PendingMessage[];
  /** A catch-up finished: everything up to `rev` is applied. */
  synced: { rev: number };
  error: ChatError;
  [key: string]: unknown;
}

/** What a chat needs from its client. */
export interface ChatContext {
  me(): string;
  conn: Connection;
  rest: RestClient;
  unreadOf(chatId: string): number | undefined;
  /** Shared: the server answered `mark_as_delivered` with "Unknown event" on this connection. */
  delivery: { unsupported: boolean };
  options: {
    ackTimeoutMs: number;
    historyPageSize: number;
    typingIntervalMs: number;
    typingIdleMs: number;
    autoDeliver: boolean;
    maxContentLength: number;
  };
}

const MARK_READ_MAX = 200;
const MARK_DELIVERED_MAX = 500;
/** How long a live message that skipped a seq waits for the missing one before the feed is asked. */
const GAP_WAIT_MS = 150;
/** How long after its acknowledgement a sent message may take to arrive live before the feed is asked. */
const ECHO_WAIT_MS = 700;

/**
 * One chat: its messages kept complete and in order across reconnects, and every action on it.
 * Get it with `client.chat(chatId)`; `open()` joins the room, loads the newest page and catches
 * up, and from then on the client rejoins and catches up after every reconnect by itself.
 */
export class ChatHandle extends Emitter<ChatEvents> {
  private readonly store = new MessageStore((c) => this.onStoreChange(c));
  private opening: Promise<void> | undefined;
  private tracked = false;
  private syncRun: Promise<void> | undefined;
  private syncAgain = false;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pendingSends = new Map<string, PendingMessage>();
  /** Sends acknowledged whose message has not appeared yet, by clientMessageId. */
  private readonly arriving = new Map<string, { messageId?: string; settle: (m?: Message, err?: ChatError) => void }>();
  private readonly toDeliver = new Set<string>();
  private delivering = false;
  private deliverTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typingSender: TypingSender;
  private readonly peerTyping: PeerTyping;
  /** The other participant's presence as last announced; undefined until an event says (there is no query). */
  peerOnline: boolean | undefined;
  participants: string[] = [];
  /** The chat as the last REST answer showed it (status, unreadCount at that time, ...). */
  info: ChatView | undefined;

  constructor(
    readonly id: string,
    private readonly ctx: ChatContext,
  ) {
    super();
    const o = ctx.options;
    this.typingSender = new TypingSender((event) => this.ctx.conn.fire(event, { chatId: id }), o.typingIntervalMs, o.typingIdleMs);
    this.peerTyping = new PeerTyping((userId, typing) => this.emit('typing', { userId, typing }), 8_000);
  }

  /** Messages in seq order (a new array after each change). */
  get messages(): readonly Message[] {
    return this.store.messages;
  }
  get pending(): PendingMessage[] {
    return [...this.pendingSends.values()];
  }
  get unreadCount(): number {
    return this.ctx.unreadOf(this.id) ?? 0;
  }
  get typingUsers(): string[] {
    return this.peerTyping.userIds;
  }
  /** False once `loadOlder()` reached the first message. */
  get hasOlder(): boolean {
    return this.store.floorSeq > 0;
  }
  get peerId(): string | undefined {
    return this.participants.find((p) => p !== this.ctx.me());
  }
  getMessage(messageId: string): Message | undefined {
    return this.store.get(messageId);
  }

  /** Joins the room, loads the newest page and catches up. Safe to call again; resolves when done. */
  open(): Promise<this> {
    if (!this.opening) {
      this.tracked = true;
      const joined = this.ctx.conn.connected ? this.join() : Promise.resolve();
      this.opening = joined.then(() => this.requestSync(true)).catch((err: unknown) => {
        this.opening = undefined;
        throw err;
      });
    }
    return this.opening.then(() => this);
  }

  /** Leaves the room; the client stops catching this chat up. */
  close(): void {
    this.tracked = false;
    this.opening = undefined;
    this.typingSender.stop();
    this.peerTyping.clear();
    clearTimeout(this.gapTimer);
    if (this.ctx.conn.connected) this.ctx.conn.request('leave_chat', { chatId: this.id }, this.ctx.options.ackTimeoutMs).catch(() => undefined);
  }

  /** Joins again and catches up: after an unblock, or when a deleted chat came back (the server removed us from the room). */
  async rejoin(): Promise<void> {
    if (this.ctx.conn.connected) await this.join();
    await this.requestSync();
  }

  /** Catches up through `/changes` now (the SDK does it after reconnects and gaps by itself). */
  sync(): Promise<void> {
    return this.opening ? this.requestSync() : this.open().then(() => undefined);
  }

  /** Loads the page of messages before the oldest held one; resolves with what was added. */
  async loadOlder(limit = this.ctx.options.historyPageSize): Promise<Message[]> {
    await this.open();
    if (!this.hasOlder || !this.store.oldestId) return [];
    const page = await this.ctx.rest.messages.list(this.id, { before: this.store.oldestId, limit });
    const added = this.store.addHistory(page.data.map(normalize), page.data.length < limit);
    this.queueDelivered(added);
    if (added.length > 0) this.emit('history', added);
    return added;
  }

  /**
   * Sends a text message with a fresh `clientMessageId`, repeated with the same id after a lost
   * answer or connection until the server answers (a repeat is stored once). Resolves with the
   * message once it is in `messages`; meanwhile it is in `pending`.
   */
  send(content: string, opts: { replyToId?: string } = {}): Promise<Message> {
    const text = content.trim();
    if (text.length === 0 || [...text].length > this.ctx.options.maxContentLength)
      return Promise.reject(new ChatError(`content must be 1 to ${this.ctx.options.maxContentLength} characters`, 'VALIDATION', { event: 'send_message' }));
    this.typingSender.stop();
    return this.sendReliably('send_message', { messageType: 'text', content: text, replyToId: opts.replyToId });
  }

  /** Posts a file uploaded to this chat (`rest.media.upload`) as a message, with the type the upload detected. */
  sendUploaded(file: UploadedFile, opts: { replyToId?: string } = {}): Promise<Message> {
    const { url, fileId, fileName, fileSize, mimeType, duration } = file;
    const media: Media = { url, fileId, fileName, fileSize, mimeType, ...(duration === undefined ? {} : { duration }) };
    return this.sendReliably('send_media', { messageType: file.messageType, content: '', media, replyToId: opts.replyToId });
  }

  /** Uploads one file, then sends it. */
  async sendFile(file: FileInput, opts: { replyToId?: string } = {}): Promise<Message> {
    const { data } = await this.ctx.rest.media.upload(this.id, file);
    return this.sendUploaded(data, opts);
  }

  /** Uploads up to 10 files in one request, then sends each that was accepted, in order. */
  async sendFiles(files: FileInput[], opts: { replyToId?: string } = {}): Promise<{ messages: Message[]; failed: BulkFailure[] }> {
    const res = await this.ctx.rest.media.bulkUpload(this.id, files);
    const messages: Message[] = [];
    for (const uploaded of res.data) messages.push(await this.sendUploaded(uploaded, opts));
    return { messages, failed: res.failed };
  }

  edit(messageId: string, newContent: string): Promise<void> {
    const text = newContent.trim();
    if (text.length === 0 || [...text].length > this.ctx.options.maxContentLength)
      return Promise.reject(new ChatError(`content must be 1 to ${this.ctx.options.maxContentLength} characters`, 'VALIDATION', { event: 'edit_message' }));
    return this.act('edit_message', { chatId: this.id, messageId, newContent: text });
  }
  /** Default scope: `everyone` for my own messages, `me` (hide) for the other's. */
  delete(messageId: string, scope?: DeleteScope): Promise<void> {
    return this.act('delete_message', { chatId: this.id, messageId, ...(scope ? { scope } : {}) });
  }
  react(messageId: string, emoji: string): Promise<void> {
    return this.act('add_reaction', { chatId: this.id, messageId, emoji });
  }
  unreact(messageId: string, emoji: string): Promise<void> {
    return this.act('remove_reaction', { chatId: this.id, messageId, emoji });
  }

  /** Marks messages read (default: every held message from the other side I have not read); resolves with the ids newly marked. */
  async markRead(messageIds?: string[]): Promise<string[]> {
    const me = this.ctx.me();
    const ids = messageIds ?? this.messages.filter((m) => m.senderId !== me && !m.readBy.some((r) => r.userId === me)).map((m) => m._id);
    const marked: string[] = [];
    for (let i = 0; i < ids.length; i += MARK_READ_MAX) {
      const ack = await this.request<{ messageIds: string[] }>('mark_as_read', { chatId: this.id, messageIds: ids.slice(i, i + MARK_READ_MAX) }, 3);
      marked.push(...ack.messageIds);
    }
    return marked;
  }

  /** Call on each keystroke: sends `typing` at most once per `typingIntervalMs`, and `stop_typing` when idle. */
  typing(): void {
    if (this.tracked) this.typingSender.typing();
  }
  stopTyping(): void {
    this.typingSender.stop();
  }

  // ---- called by the client ----

  /** After every (re)connect: join first, so nothing falls between the catch-up and live events. */
  async onConnect(): Promise<void> {
    if (!this.tracked) return;
    await this.join();
    await this.requestSync().catch(() => undefined);
    this.scheduleDeliver(0);
  }

  onDisconnect(): void {
    this.typingSender.reset();
    this.peerTyping.clear();
  }

  onUnread(count: number): void {
    this.emit('unread', count);
  }

  onEvent<E extends keyof ServerEvents>(event: E, payload: ServerEvents[E]): void {
    if (!this.tracked) return;
    const p = payload as Record<string, any>;
    const me = this.ctx.me();
    switch (event) {
      case 'message_received':
      case 'media_received': {
        const replied = p.replyTo ? this.store.get(p.replyTo) : undefined;
        const m = messageFromEvent(payload as ServerEvents['message_received'], replied);
        if (this.store.applyLive(m, !p.replyTo || replied !== undefined) === 'gap') this.scheduleGapSync();
        if (p.senderId !== me) this.peerTyping.set(p.senderId, false);
        return;
      }
      case 'message_edited':
        return this.delta(p.messageId, { type: 'edit', rev: p.rev, content: p.newContent, editedAt: p.editedAt });
      case 'reaction_added':
      case 'reaction_removed':
        return this.delta(p.messageId, { type: 'reaction', rev: p.rev, userId: p.userId, emoji: p.emoji, added: event === 'reaction_added', at: p.timestamp });
      case 'message_deleted':
        return this.store.remove(p.messageId, p.rev);
      case 'messages_read':
      case 'messages_delivered': {
        const type = event === 'messages_read' ? 'read' : 'delivered';
        const userId: string = type === 'read' ? p.readBy : p.deliveredTo;
        const ids: string[] = p.messageIds;
        // Receipts of unheld messages need no catch-up: a message loaded later comes with them.
        const missing = ids.filter((id) => this.store.applyDelta(id, { type, rev: p.rev ?? 0, userId, at: p.timestamp }) === 'unknown');
        if (missing.some((id) => this.store.knows(id))) void this.requestSync().catch(() => undefined);
        this.emit(type, { messageIds: ids, userId, at: p.timestamp });
        return;
      }
      case 'user_typing':
      case 'user_stop_typing':
        if (p.userId !== me) this.peerTyping.set(p.userId, event === 'user_typing');
        return;
      case 'user_online':
      case 'user_offline':
        if (p.userId === me) return;
        this.peerOnline = event === 'user_online';
        this.emit('presence', { userId: p.userId, online: this.peerOnline });
        return;
    }
  }

  // ---- internals ----

  private delta(messageId: string, delta: Delta): void {
    if (this.store.applyDelta(messageId, delta) === 'unknown') void this.requestSync().catch(() => undefined);
  }

  private onStoreChange(c: StoreChange): void {
    const m = c.message;
    if (c.kind === 'message') {
      this.queueDelivered([m]);
      this.settleOwn(m);
    } else if (c.kind === 'remove') this.settleOwn(undefined, m);
    this.emit(c.kind, m);
    this.emit('change', c);
  }

  private async join(): Promise<void> {
    for (let attempt = 0; this.tracked && this.ctx.conn.connected; attempt++) {
      try {
        await this.ctx.conn.request('join_chat', { chatId: this.id }, this.ctx.options.ackTimeoutMs);
        return;
      } catch (err) {
        const error = err as ChatError;
        if (!error.retryable) return void this.emit('error', error);
        await sleep(backoff(attempt));
      }
    }
  }

  /** Runs a catch-up, or asks the running one to go round again (a change may have landed after its last page). */
  private requestSync(initial = false): Promise<void> {
    if (this.syncRun) {
      this.syncAgain = true;
      return this.syncRun;
    }
    this.syncRun = this.runSync(initial).finally(() => (this.syncRun = undefined));
    return this.syncRun;
  }

  private async runSync(initial: boolean): Promise<void> {
    this.store.beginSync();
    try {
      if (initial) {
        const limit = this.ctx.options.historyPageSize;
        const page = await this.retrying(() => this.ctx.rest.messages.list(this.id, { limit }), 3);
        this.participants = page.chatInfo.participants;
        this.store.loadNewest(page.data.map(normalize), page.data.length < limit);
      }
      do {
        this.syncAgain = false;
        for (;;) {
          const since = this.store.cursor;
          const { data } = await this.retrying(() => this.ctx.rest.messages.changes(this.id, { since, limit: 100 }), initial ? 3 : Infinity);
          for (const change of data.changes) this.store.applyChange('isDeleted' in change ? change : normalize(change));
          this.store.cursor = Math.max(this.store.cursor, data.rev);
          if (!data.hasMore) break;
          // A lower rev is still being written: the feed holds below it for a moment.
          if (data.changes.length === 0) await sleep(250);
        }
      } while (this.syncAgain && this.tracked);
    } finally {
      this.store.endSync();
    }
    this.emit('synced', { rev: this.store.cursor });
  }

  /** A REST call repeated while it fails with a retryable error (up to `attempts`), while the chat is open. */
  private async retrying<T>(call: () => Promise<T>, attempts: number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const error = err instanceof ChatError ? err : new ChatError(String(err), 'INTERNAL');
        if (!error.retryable || attempt + 1 >= attempts || !this.tracked) {
          this.emit('error', error);
          throw error;
        }
        await sleep(backoff(attempt));
      }
    }
  }

  private scheduleGapSync(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = setTimeout(() => {
      if (this.store.hasWaiting) void this.requestSync().catch(() => undefined);
    }, GAP_WAIT_MS);
  }

  private request<T extends object>(event: string, payload: Record<string, unknown>, maxAttempts: number) {
    const schema = (clientEvents as Record<string, { schema: { safeParse(p: unknown): { success: boolean; error?: { message: string } } } }>)[event]?.schema;
    const checked = schema?.safeParse(payload);
    // Refused here, not by the server: invalid events count towards a disconnect there.
    if (checked && !checked.success) return Promise.reject(new ChatError(`invalid ${event}: ${checked.error?.message}`, 'VALIDATION', { event }));
    return requestReliably<T>(this.ctx.conn, event, payload, { ackTimeoutMs: this.ctx.options.ackTimeoutMs, maxAttempts });
  }

  private async act(event: string, payload: Record<string, unknown>): Promise<void> {
    await this.request(event, payload, 3);
  }

  private async sendReliably(
    event: 'send_message' | 'send_media',
    msg: { messageType: MessageType; content: string; media?: Media; replyToId?: string },
  ): Promise<Message> {
    void this.open().catch(() => undefined); // its echo and catch-up need the room
    const clientMessageId = uuid();
    const pending: PendingMessage = { clientMessageId, ...msg, createdAt: new Date().toISOString(), attempts: 0 };
    const payload =
      event === 'send_message'
        ? { chatId: this.id, content: msg.content, clientMessageId, ...(msg.replyToId ? { replyToId: msg.replyToId } : {}) }
        : { chatId: this.id, messageType: msg.messageType, media: msg.media, clientMessageId, ...(msg.replyToId ? { replyToId: msg.replyToId } : {}) };
    this.pendingSends.set(clientMessageId, pending);
    this.emit('pending', this.pending);
    const arrived = new Promise<Message>((resolve, reject) => {
      this.arriving.set(clientMessageId, { settle: (m, err) => (m ? resolve(m) : reject(err)) });
    });
    try {
      pending.attempts = 1;
      const ack = await requestReliably<SendAck>(this.ctx.conn, event, payload, {
        ackTimeoutMs: this.ctx.options.ackTimeoutMs,
        maxAttempts: Infinity,
        onRetry: (attempt) => {
          pending.attempts = attempt + 1;
          this.emit('pending', this.pending);
        },
      }).catch((err: ChatError) => {
        this.dropPending(clientMessageId);
        this.arriving.get(clientMessageId)?.settle(undefined, err);
        throw err;
      });
      const waiting = this.arriving.get(clientMessageId);
      if (waiting) {
        waiting.messageId = ack.messageId;
        const held = this.store.get(ack.messageId);
        if (held) this.settleOwn(held);
        // Not seen live (not joined yet, or its broadcast was lost with a node): the feed has it.
        else setTimeout(() => this.arriving.has(clientMessageId) && void this.requestSync().catch(() => undefined), ECHO_WAIT_MS);
      }
    } catch (err) {
      void arrived.catch(() => undefined);
      throw err;
    }
    return arrived;
  }

  /** My message arrived (or was removed before it did): the pending entry ends, its send settles. */
  private settleOwn(arrivedMessage?: Message, removed?: Message): void {
    const m = arrivedMessage ?? removed!;
    if (m.senderId !== this.ctx.me()) return;
    const entry = this.arriving.get(m.clientMessageId);
    if (!entry) return;
    this.arriving.delete(m.clientMessageId);
    this.dropPending(m.clientMessageId);
    entry.settle(arrivedMessage, new ChatError('the message was deleted before it arrived', 'NOT_FOUND'));
  }

  private dropPending(clientMessageId: string): void {
    if (this.pendingSends.delete(clientMessageId)) this.emit('pending', this.pending);
  }

  private queueDelivered(messages: Message[]): void {
    if (!this.ctx.options.autoDeliver) return;
    const me = this.ctx.me();
    for (const m of messages)
      if (m.receiverId === me && !m.deliveredTo.some((d) => d.userId === me) && !m.readBy.some((r) => r.userId === me)) this.toDeliver.add(m._id);
    if (this.toDeliver.size > 0) this.scheduleDeliver(30);
  }

  private scheduleDeliver(delayMs: number): void {
    if (this.deliverTimer !== undefined || this.toDeliver.size === 0) return;
    this.deliverTimer = setTimeout(() => {
      this.deliverTimer = undefined;
      void this.flushDelivered();
    }, delayMs);
  }

  /** Receipts go out in batches of up to 500; kept for the next connect when the connection is down. */
  private async flushDelivered(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.toDeliver.size > 0 && this.ctx.conn.connected && !this.ctx.delivery.unsupported) {
        const messageIds = [...this.toDeliver].slice(0, MARK_DELIVERED_MAX);
        try {
          await this.ctx.conn.request('mark_as_delivered', { chatId: this.id, messageIds }, this.ctx.options.ackTimeoutMs);
        } catch (err) {
          const error = err as ChatError;
          if (error.retryable) return this.scheduleDeliver(backoff(1));
          // A server without delivery receipts: unknown events count towards a disconnect, so stop.
          if (/unknown event/i.test(error.message)) this.ctx.delivery.unsupported = true;
          else this.emit('error', error);
        }
        for (const id of messageIds) this.toDeliver.delete(id);
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** A v4 UUID: `crypto.randomUUID` where it exists (secure contexts, Node), else from `getRandomValues`. */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
