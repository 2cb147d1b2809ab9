import type { DeleteScope, MessageType } from '@chat/contracts';
import { CatchUp } from './catch-up.js';
import type { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { ChatError } from './errors.js';
import { messageFromEvent, normalize } from './live.js';
import { MessageStore, type Delta, type StoreChange } from './message-store.js';
import { Outbox, type PendingMessage } from './outbox.js';
import { DeliveryReceipts } from './receipts.js';
import { backoff, requestReliably, sleep } from './reliable.js';
import type { FileInput, RestClient } from './rest.js';
import { PeerTyping, TypingSender } from './typing.js';
import type { BulkFailure, ChatView, Media, Message, ServerEvents, UploadedFile } from './types.js';

export type { PendingMessage };

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

/**
 * One chat: its messages kept complete and in order across reconnects, and every action on it.
 * Get it with `client.chat(chatId)`; `open()` joins the room, loads the newest page and catches
 * up, and from then on the client rejoins and catches up after every reconnect by itself.
 */
export class ChatHandle extends Emitter<ChatEvents> {
  private readonly store = new MessageStore((c) => this.onStoreChange(c));
  private opening: Promise<void> | undefined;
  private tracked = false;
  private readonly catchUp: CatchUp;
  private readonly outbox: Outbox;
  private readonly receipts: DeliveryReceipts;
  private readonly typingSender: TypingSender;
  private readonly peerTyping: PeerTyping;
  /** The other participant's presence as last announced; undefined until an event says (there is no query). */
  peerOnline: boolean | undefined;
  participants: string[] = [];
  /** The chat as the last REST answer showed it (status, unreadCount at that time, ...). */
  info: ChatView | undefined;
  /** Messages of the other side that reached this handle since the last `unread_message` that counted one. */
  private peerArrivals = 0;

  constructor(
    readonly id: string,
    private readonly ctx: ChatContext,
  ) {
    super();
    const o = ctx.options;
    this.catchUp = new CatchUp(id, this.store, {
      rest: ctx.rest,
      pageSize: o.historyPageSize,
      active: () => this.tracked,
      onParticipants: (ids) => (this.participants = ids),
      onError: (err) => this.emit('error', err),
      onSynced: (rev) => this.emit('synced', { rev }),
    });
    this.outbox = new Outbox(id, {
      me: ctx.me,
      conn: ctx.conn,
      ackTimeoutMs: o.ackTimeoutMs,
      held: (messageId) => this.store.get(messageId),
      catchUp: () => this.catchUp.soon(),
      changed: (pending) => this.emit('pending', pending),
    });
    this.receipts = new DeliveryReceipts(id, {
      me: ctx.me,
      conn: ctx.conn,
      ackTimeoutMs: o.ackTimeoutMs,
      enabled: o.autoDeliver,
      delivery: ctx.delivery,
      onError: (err) => this.emit('error', err),
    });
    this.typingSender = new TypingSender(
      (event) => this.ctx.conn.fire(event, { chatId: id }),
      o.typingIntervalMs,
      o.typingIdleMs,
    );
    this.peerTyping = new PeerTyping((userId, typing) => this.emit('typing', { userId, typing }), 8_000);
  }

  /** Messages in seq order (a new array after each change). */
  get messages(): readonly Message[] {
    return this.store.messages;
  }
  get pending(): PendingMessage[] {
    return this.outbox.list;
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
      this.opening = joined
        .then(() => this.catchUp.request(true))
        .catch((err: unknown) => {
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
    this.catchUp.stop();
    if (this.ctx.conn.connected)
      this.ctx.conn.request('leave_chat', { chatId: this.id }, this.ctx.options.ackTimeoutMs).catch(() => undefined);
  }

  /** Joins again and catches up: after an unblock, or when a deleted chat came back (the server removed us from the room). */
  async rejoin(): Promise<void> {
    if (this.ctx.conn.connected) await this.join();
    await this.catchUp.request();
  }

  /** Catches up through `/changes` now (the SDK does it after reconnects and gaps by itself). */
  sync(): Promise<void> {
    return this.opening ? this.catchUp.request() : this.open().then(() => undefined);
  }

  /** Loads the page of messages before the oldest held one; resolves with what was added. */
  async loadOlder(limit = this.ctx.options.historyPageSize): Promise<Message[]> {
    await this.open();
    if (!this.hasOlder || !this.store.oldestId) return [];
    const page = await this.ctx.rest.messages.list(this.id, { before: this.store.oldestId, limit });
    const added = this.store.addHistory(page.data.map(normalize), page.data.length < limit);
    this.receipts.arrived(added);
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
      return Promise.reject(
        new ChatError(`content must be 1 to ${this.ctx.options.maxContentLength} characters`, 'VALIDATION', {
          event: 'send_message',
        }),
      );
    this.typingSender.stop();
    return this.sendReliably({ messageType: 'text', content: text, replyToId: opts.replyToId });
  }

  /** Posts a file uploaded to this chat (`rest.media.upload`) as a message, with the type the upload detected. */
  sendUploaded(file: UploadedFile, opts: { replyToId?: string } = {}): Promise<Message> {
    const { url, fileId, fileName, fileSize, mimeType, duration } = file;
    const media: Media = { url, fileId, fileName, fileSize, mimeType, ...(duration === undefined ? {} : { duration }) };
    return this.sendReliably({ messageType: file.messageType, content: '', media, replyToId: opts.replyToId });
  }

  /** Uploads one file, then sends it. */
  async sendFile(file: FileInput, opts: { replyToId?: string } = {}): Promise<Message> {
    const { data } = await this.ctx.rest.media.upload(this.id, file);
    return this.sendUploaded(data, opts);
  }

  /** Uploads up to 10 files in one request, then sends each that was accepted, in order. */
  async sendFiles(
    files: FileInput[],
    opts: { replyToId?: string } = {},
  ): Promise<{ messages: Message[]; failed: BulkFailure[] }> {
    const res = await this.ctx.rest.media.bulkUpload(this.id, files);
    const messages: Message[] = [];
    for (const uploaded of res.data) messages.push(await this.sendUploaded(uploaded, opts));
    return { messages, failed: res.failed };
  }

  edit(messageId: string, newContent: string): Promise<void> {
    const text = newContent.trim();
    if (text.length === 0 || [...text].length > this.ctx.options.maxContentLength)
      return Promise.reject(
        new ChatError(`content must be 1 to ${this.ctx.options.maxContentLength} characters`, 'VALIDATION', {
          event: 'edit_message',
        }),
      );
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
    const ids =
      messageIds ??
      this.messages.filter((m) => m.senderId !== me && !m.readBy.some((r) => r.userId === me)).map((m) => m._id);
    const marked: string[] = [];
    for (let i = 0; i < ids.length; i += MARK_READ_MAX) {
      const ack = await this.request<{ messageIds: string[] }>(
        'mark_as_read',
        { chatId: this.id, messageIds: ids.slice(i, i + MARK_READ_MAX) },
        3,
      );
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
    await this.catchUp.request().catch(() => undefined);
    this.receipts.resume();
  }

  onDisconnect(): void {
    this.typingSender.reset();
    this.peerTyping.clear();
  }

  onUnread(count: number): void {
    this.emit('unread', count);
  }

  /**
   * A new message of the other side was counted for me (`unread_message`). If no message of
   * theirs reached this handle around it, the server took my sockets out of the room (a block
   * and unblock, my delete of the chat) without a word: join again and catch up.
   */
  onCountedFromPeer(): void {
    if (!this.tracked) return;
    // The message comes up to ~100 ms before its count (PROJECTION_LINGER_MS), sometimes after: give it a second.
    const check = () => {
      const arrived = this.peerArrivals > 0;
      this.peerArrivals = 0;
      return arrived;
    };
    if (check()) return;
    setTimeout(() => {
      if (!check() && this.tracked) void this.rejoin().catch(() => undefined);
    }, 1_000);
  }

  /** The chat as a REST answer shows it; leaving a blocked or rejected state means the room must be joined again. */
  onInfo(view: ChatView): void {
    const closed = (status?: string) => status === 'blocked' || status === 'rejected';
    const before = this.info?.status;
    this.info = view;
    if (this.tracked && closed(before) && !closed(view.status)) void this.rejoin().catch(() => undefined);
  }

  /** I deleted the chat: its history so far is gone for me (a later message brings the chat back). */
  onDeletedByMe(): void {
    this.peerArrivals = 0;
    this.store.clear();
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
        this.store.applyLive(m, !p.replyTo || replied !== undefined);
        this.catchUp.afterGap();
        if (p.senderId !== me) this.peerTyping.set(p.senderId, false);
        return;
      }
      case 'message_edited':
        return this.delta(p.messageId, { type: 'edit', rev: p.rev, content: p.newContent, editedAt: p.editedAt });
      case 'reaction_added':
      case 'reaction_removed':
        return this.delta(p.messageId, {
          type: 'reaction',
          rev: p.rev,
          userId: p.userId,
          emoji: p.emoji,
          added: event === 'reaction_added',
          at: p.timestamp,
        });
      case 'message_deleted':
        this.store.remove(p.messageId, p.rev);
        return this.appliedLive([p.rev]);
      case 'messages_read':
      case 'messages_delivered': {
        const type = event === 'messages_read' ? 'read' : 'delivered';
        const userId: string = type === 'read' ? p.readBy : p.deliveredTo;
        const ids: string[] = p.messageIds;
        // Receipts of unheld messages need no catch-up: a message loaded later comes with them.
        const missing = ids.filter(
          (id) => this.store.applyDelta(id, { type, rev: p.rev ?? 0, userId, at: p.timestamp }) === 'unknown',
        );
        if (missing.some((id) => this.store.knows(id))) this.catchUp.soon();
        // A receipt of k messages takes k revs (`rev` the highest): without `revs` the others look missing, and the feed settles them.
        else this.appliedLive(Array.isArray(p.revs) ? p.revs : [p.rev]);
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
    if (this.store.applyDelta(messageId, delta) === 'unknown') this.catchUp.soon();
    else this.appliedLive([delta.rev]);
  }

  /** A live change was applied: its revs may move the cursor, or show one missing (the catch-up then follows). */
  private appliedLive(revs: number[]): void {
    this.store.noteLive(revs);
    this.catchUp.afterGap();
  }

  private onStoreChange(c: StoreChange): void {
    const m = c.message;
    if (c.kind === 'message') {
      if (m.senderId !== this.ctx.me()) this.peerArrivals++;
      this.receipts.arrived([m]);
      this.outbox.arrived(m);
    } else if (c.kind === 'remove') this.outbox.removed(m);
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

  private request<T extends object>(event: string, payload: Record<string, unknown>, maxAttempts: number) {
    return requestReliably<T>(this.ctx.conn, event, payload, {
      ackTimeoutMs: this.ctx.options.ackTimeoutMs,
      maxAttempts,
    });
  }

  private async act(event: string, payload: Record<string, unknown>): Promise<void> {
    await this.request(event, payload, 3);
  }

  private sendReliably(msg: {
    messageType: MessageType;
    content: string;
    media?: Media;
    replyToId?: string;
  }): Promise<Message> {
    void this.open().catch(() => undefined); // its echo and catch-up need the room
    return this.outbox.send(msg);
  }
}
