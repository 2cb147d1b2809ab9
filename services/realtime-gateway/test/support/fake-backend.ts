import { NATS_TEST_CREDENTIALS } from '@chat/testkit';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chatAccessCheck,
  chatListForUser,
  chatSubjects,
  messageContent,
  messageDelete,
  messageEdit,
  messageRead,
  messageReact,
  messageSend,
  messageSendMedia,
  messageSubjects,
  messageUnreact,
  noticeSubjects,
  QUEUE_GROUPS,
  STREAMS,
  type ChatEventType,
  type ChatStatus,
  type Media,
  type MessageEventType,
} from '@chat/contracts';
import { Bus, createLogger, forbidden, notFound, parseInput, unauthorized, type RequestContext } from '@chat/platform';

/**
 * Stands in for chat-api and message-api on the test's own NATS: answers their request
 * subjects with the same rules (docs/api-guide.md) and publishes their events in the contract schemas,
 * so the gateway can be tested before (and independently of) the real services.
 */
export interface FakeChat {
  chatId: string;
  participants: [string, string];
  status: ChatStatus;
  requestedBy: string;
  blockedBy: string | null;
  deletedFor: Set<string>;
}
export interface FakeMessage {
  messageId: string;
  chatId: string;
  senderId: string;
  receiverId: string;
  content: string;
  messageType: 'text' | 'image' | 'video' | 'file';
  media: Media | null;
  clientMessageId: string;
  readBy: Set<string>;
  reactions: { userId: string; emoji: string }[];
  deleted: boolean;
  hiddenFor: Set<string>;
  createdAt: string;
}

const oid = () => randomBytes(12).toString('hex');

export class FakeBackend {
  readonly chats = new Map<string, FakeChat>();
  readonly messages = new Map<string, FakeMessage>();
  /** Every request the fake answered, for "nothing reached another chat" assertions. */
  readonly calls: { subject: string; userId?: string; data: unknown }[] = [];
  private seq = 0;

  private constructor(readonly bus: Bus) {}

  static async start(natsUrl: string): Promise<FakeBackend> {
    const bus = await Bus.connect({
      credentials: NATS_TEST_CREDENTIALS,
      url: natsUrl,
      name: 'fake-backend',
      logger: createLogger('fake', 'silent'),
      timeoutMs: 3000,
    });
    await bus.ensureStreams([STREAMS.chats, STREAMS.messages]);
    const fake = new FakeBackend(bus);
    fake.serve();
    return fake;
  }

  close(): Promise<void> {
    return this.bus.drain();
  }

  addChat(a: string, b: string, status: ChatStatus = 'accepted'): string {
    const chatId = oid();
    this.chats.set(chatId, {
      chatId,
      participants: [a, b],
      status,
      requestedBy: a,
      blockedBy: null,
      deletedFor: new Set(),
    });
    return chatId;
  }

  /** Changes a chat's status as chat-api would, and publishes the chat event. */
  async setStatus(
    chatId: string,
    type: 'blocked' | 'rejected' | 'unblocked' | 'accepted',
    actorId: string,
  ): Promise<void> {
    const chat = this.chats.get(chatId)!;
    chat.status = type === 'unblocked' ? 'accepted' : type;
    chat.blockedBy = type === 'blocked' ? actorId : null;
    await this.publishChatEvent(chat, type, actorId);
  }

  async deleteChatFor(chatId: string, userId: string): Promise<void> {
    const chat = this.chats.get(chatId)!;
    chat.deletedFor.add(userId);
    await this.publishChatEvent(chat, 'deleted', userId);
  }

  /** Publishes an edit of a made-up message of the chat: whoever is in the room hears `message_edited`. */
  async probeRoom(chatId: string): Promise<string> {
    const messageId = randomUUID().replace(/-/g, '').slice(0, 24);
    await this.publishMessageEvent(chatId, 'edited', {
      messageId,
      rev: 1,
      newContent: 'probe',
      editedAt: new Date().toISOString(),
      editedBy: randomUUID().replace(/-/g, '').slice(0, 24),
    });
    return messageId;
  }

  /** A snapshot of the stored messages, to prove a refused command changed nothing. */
  snapshot(): string {
    return JSON.stringify(
      [...this.messages.values()].map((m) => ({ ...m, readBy: [...m.readBy], hiddenFor: [...m.hiddenFor] })),
    );
  }

  private async publishChatEvent(chat: FakeChat, type: ChatEventType, actorId: string) {
    await this.bus.publish(chatSubjects.event(chat.chatId, type), {
      eventId: randomUUID(),
      type,
      chatId: chat.chatId,
      occurredAt: new Date().toISOString(),
      data: {
        chatId: chat.chatId,
        participants: chat.participants,
        status: chat.status,
        requestedBy: chat.requestedBy,
        blockedBy: chat.blockedBy,
        actorId,
      },
    });
  }

  private async publishMessageEvent(chatId: string, type: MessageEventType, data: object) {
    const event = { eventId: randomUUID(), type, chatId, occurredAt: new Date().toISOString(), data };
    await this.bus.publish(messageSubjects.forEvent(event), event);
  }

  private async publishUnread(chatId: string, userId: string, lastMessage: string | null, senderId: string | null) {
    const unreadCount = [...this.messages.values()].filter(
      (m) => m.chatId === chatId && m.receiverId === userId && !m.readBy.has(userId) && !m.deleted,
    ).length;
    this.bus.notify(noticeSubjects.unread(userId), {
      eventId: randomUUID(),
      type: 'unread_changed',
      chatId,
      occurredAt: new Date().toISOString(),
      data: { userId, unreadCount, lastMessage, senderId },
    });
  }

  private access(chatId: string, userId: string, action: 'read' | 'send') {
    const chat = this.chats.get(chatId);
    if (!chat) return { allowed: false as const, reason: 'NOT_FOUND' as const, message: 'Chat not found' };
    if (!chat.participants.includes(userId))
      return {
        allowed: false as const,
        reason: 'NOT_PARTICIPANT' as const,
        message: 'You are not a participant of this chat',
      };
    const view = {
      chatId,
      participants: chat.participants,
      otherUserId: chat.participants.find((p) => p !== userId)!,
      status: chat.status,
      requestedBy: chat.requestedBy,
      blockedBy: chat.blockedBy,
      clearedAt: null,
    };
    const open =
      chat.status === 'accepted' ||
      chat.status === 'auto_accepted' ||
      (chat.status === 'pending' && (action === 'read' || chat.requestedBy === userId));
    if (!open || (action === 'read' && chat.deletedFor.has(userId))) {
      return { allowed: false as const, reason: 'STATUS' as const, message: `Chat is ${chat.status}`, chat: view };
    }
    return { allowed: true as const, chat: view };
  }

  private requireAccess(chatId: string, userId: string, action: 'read' | 'send') {
    const a = this.access(chatId, userId, action);
    if (!a.allowed) throw a.reason === 'NOT_FOUND' ? notFound(a.message) : forbidden(a.message);
    return a.chat;
  }

  private messageOf(chatId: string, messageId: string): FakeMessage {
    const m = this.messages.get(messageId);
    if (!m || m.chatId !== chatId || m.deleted) throw notFound('Message not found');
    return m;
  }

  private serve() {
    const bus = this.bus;
    const user = (ctx: RequestContext, subject: string, data: unknown) => {
      if (!ctx.userId) throw unauthorized();
      this.calls.push({ subject, userId: ctx.userId, data });
      return ctx.userId;
    };
    bus.handle(chatAccessCheck, QUEUE_GROUPS.chatApi, async (d, ctx) => {
      this.calls.push({ subject: chatAccessCheck.subject, userId: ctx.userId, data: d });
      return this.access(d.chatId, d.userId, d.action);
    });
    bus.handle(chatListForUser, QUEUE_GROUPS.chatApi, async (d) => ({
      chatIds: [...this.chats.values()]
        .filter(
          (c) =>
            c.participants.includes(d.userId) &&
            !c.deletedFor.has(d.userId) &&
            (c.status === 'accepted' || c.status === 'auto_accepted'),
        )
        .map((c) => c.chatId),
    }));

    const store = async (
      userId: string,
      d: { chatId: string; replyToId?: string; clientMessageId?: string },
      body: Pick<FakeMessage, 'content' | 'messageType' | 'media'>,
    ) => {
      const chat = this.requireAccess(d.chatId, userId, 'send');
      const dup = [...this.messages.values()].find(
        (m) =>
          m.chatId === d.chatId &&
          m.senderId === userId &&
          d.clientMessageId &&
          m.clientMessageId === d.clientMessageId,
      );
      if (dup) return { messageId: dup.messageId, chatId: d.chatId, timestamp: dup.createdAt, duplicate: true };
      if (d.replyToId) this.messageOf(d.chatId, d.replyToId);
      const m: FakeMessage = {
        messageId: oid(),
        chatId: d.chatId,
        senderId: userId,
        receiverId: chat.otherUserId,
        ...body,
        clientMessageId: d.clientMessageId ?? randomUUID(),
        readBy: new Set(),
        reactions: [],
        deleted: false,
        hiddenFor: new Set(),
        createdAt: new Date().toISOString(),
      };
      this.messages.set(m.messageId, m);
      await this.publishMessageEvent(d.chatId, 'created', {
        messageId: m.messageId,
        rev: 1,
        seq: ++this.seq,
        senderId: m.senderId,
        receiverId: m.receiverId,
        content: m.content,
        messageType: m.messageType,
        media: m.media,
        clientMessageId: m.clientMessageId,
        replyTo: d.replyToId ?? null,
        createdAt: m.createdAt,
      });
      await this.publishUnread(d.chatId, m.receiverId, m.content || m.messageType, userId);
      return { messageId: m.messageId, chatId: d.chatId, timestamp: m.createdAt };
    };

    bus.handle(messageSend, QUEUE_GROUPS.messageApi, async (d, ctx) => {
      const userId = user(ctx, messageSend.subject, d);
      const content = parseInput(messageContent(), d.content, 'content');
      return store(userId, d, { content, messageType: 'text', media: null });
    });
    bus.handle(messageSendMedia, QUEUE_GROUPS.messageApi, async (d, ctx) => {
      const userId = user(ctx, messageSendMedia.subject, d);
      return store(userId, d, { content: d.content ?? '', messageType: d.messageType, media: d.media });
    });
    bus.handle(messageEdit, QUEUE_GROUPS.messageApi, async (d, ctx) => {
      const userId = user(ctx, messageEdit.subject, d);
      this.requireAccess(d.chatId, userId, 'send');
      const m = this.messageOf(d.chatId, d.messageId);
      if (m.senderId !== userId) throw forbidden('Only the sender may edit a message');
      m.content = parseInput(messageContent(), d.newContent, 'newContent');
      const editedAt = new Date().toISOString();
      await this.publishMessageEvent(d.chatId, 'edited', {
        messageId: m.messageId,
        rev: 2,
        newContent: m.content,
        editedAt,
        editedBy: userId,
      });
      return { messageId: m.messageId, chatId: d.chatId, timestamp: editedAt, newContent: m.content, editedAt };
    });
    bus.handle(messageDelete, QUEUE_GROUPS.messageApi, async (d, ctx) => {
      const userId = user(ctx, messageDelete.subject, d);
      this.requireAccess(d.chatId, userId, 'read');
      const m = this.messageOf(d.chatId, d.messageId);
      const scope = d.scope ?? (m.senderId === userId ? 'everyone' : 'me');
      if (scope === 'everyone' && m.senderId !== userId)
        throw forbidden('Only the sender may delete a message for everyone');
      if (scope === 'everyone') m.deleted = true;
      else m.hiddenFor.add(userId);
      const wasUnread = !m.readBy.has(m.receiverId);
      await this.publishMessageEvent(d.chatId, 'deleted', {
        messageId: m.messageId,
        rev: 3,
        deletedBy: userId,
        scope,
        senderId: m.senderId,
        receiverId: m.receiverId,
        wasUnread,
      });
      return { messageId: m.messageId, chatId: d.chatId, timestamp: new Date().toISOString(), scope };
    });
    const react =
      (add: boolean) => async (d: { chatId: string; messageId: string; emoji: string }, ctx: RequestContext) => {
        const userId = user(ctx, add ? messageReact.subject : messageUnreact.subject, d);
        this.requireAccess(d.chatId, userId, 'send');
        const m = this.messageOf(d.chatId, d.messageId);
        const has = m.reactions.findIndex((r) => r.userId === userId && r.emoji === d.emoji);
        const timestamp = new Date().toISOString();
        if (add && has < 0) m.reactions.push({ userId, emoji: d.emoji });
        if (!add && has >= 0) m.reactions.splice(has, 1);
        if (add ? has < 0 : has >= 0) {
          await this.publishMessageEvent(d.chatId, add ? 'reaction_added' : 'reaction_removed', {
            messageId: m.messageId,
            rev: 4,
            userId,
            emoji: d.emoji,
            timestamp,
          });
        }
        return { messageId: m.messageId, chatId: d.chatId, timestamp, emoji: d.emoji };
      };
    bus.handle(messageReact, QUEUE_GROUPS.messageApi, react(true));
    bus.handle(messageUnreact, QUEUE_GROUPS.messageApi, react(false));
    bus.handle(messageRead, QUEUE_GROUPS.messageApi, async (d, ctx) => {
      const userId = user(ctx, messageRead.subject, d);
      this.requireAccess(d.chatId, userId, 'read');
      const ids = d.messageIds.filter((id) => {
        const m = this.messages.get(id);
        return m && m.chatId === d.chatId && m.senderId !== userId && !m.readBy.has(userId);
      });
      ids.forEach((id) => this.messages.get(id)!.readBy.add(userId));
      const timestamp = new Date().toISOString();
      await this.publishMessageEvent(d.chatId, 'read', { rev: 5, messageIds: ids, readBy: userId, timestamp });
      await this.publishUnread(d.chatId, userId, null, null);
      return { chatId: d.chatId, messageIds: ids, timestamp };
    });
  }
}
