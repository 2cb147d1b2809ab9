import type { MessageType } from '@chat/contracts';
import type { Connection } from './connection.js';
import { ChatError } from './errors.js';
import { requestReliably } from './reliable.js';
import type { Media, Message, SendAck } from './types.js';

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

export interface OutgoingMessage {
  messageType: MessageType;
  content: string;
  media?: Media;
  replyToId?: string;
}

/** How long after its acknowledgement a sent message may take to arrive live before the feed is asked. */
const ECHO_WAIT_MS = 700;

/**
 * One chat's sends. Each gets a fresh `clientMessageId` and is repeated with it until the
 * server answers (a repeat is stored once); it stays pending until the message itself shows
 * up in the chat's store (live, or through the feed), so the app never shows it twice.
 */
export class Outbox {
  private readonly pending = new Map<string, PendingMessage>();
  /** Sends waiting for their message to appear, by clientMessageId. */
  private readonly arriving = new Map<string, (m?: Message, err?: ChatError) => void>();

  constructor(
    private readonly chatId: string,
    private readonly ctx: {
      me(): string;
      conn: Connection;
      ackTimeoutMs: number;
      held(messageId: string): Message | undefined;
      /** The message did not arrive live in time: read the feed. */
      catchUp(): void;
      changed(pending: PendingMessage[]): void;
    },
  ) {}

  get list(): PendingMessage[] {
    return [...this.pending.values()];
  }

  /** Resolves with the stored message once it is held; rejects with a refusal that a repeat cannot cure. */
  async send(msg: OutgoingMessage): Promise<Message> {
    const clientMessageId = uuid();
    const entry: PendingMessage = { clientMessageId, ...msg, createdAt: new Date().toISOString(), attempts: 1 };
    const reply = msg.replyToId ? { replyToId: msg.replyToId } : {};
    const [event, payload] =
      msg.messageType === 'text'
        ? (['send_message', { chatId: this.chatId, content: msg.content, clientMessageId, ...reply }] as const)
        : (['send_media', { chatId: this.chatId, messageType: msg.messageType, media: msg.media, clientMessageId, ...reply }] as const);
    this.pending.set(clientMessageId, entry);
    this.ctx.changed(this.list);
    const arrived = new Promise<Message>((resolve, reject) =>
      this.arriving.set(clientMessageId, (m, err) => (m ? resolve(m) : reject(err))),
    );
    let ack: SendAck;
    try {
      ack = await requestReliably<SendAck>(this.ctx.conn, event, payload, {
        ackTimeoutMs: this.ctx.ackTimeoutMs,
        maxAttempts: Infinity,
        onRetry: (attempt) => {
          entry.attempts = attempt + 1;
          this.ctx.changed(this.list);
        },
      });
    } catch (err) {
      this.settle(clientMessageId, undefined, err as ChatError);
      void arrived.catch(() => undefined);
      throw err;
    }
    if (this.arriving.has(clientMessageId)) {
      const held = this.ctx.held(ack.messageId);
      if (held) this.settle(clientMessageId, held);
      // Not seen live (not joined yet, or its broadcast died with a node): the feed has it.
      else setTimeout(() => this.arriving.has(clientMessageId) && this.ctx.catchUp(), ECHO_WAIT_MS);
    }
    return arrived;
  }

  /** A message entered the store: if it is one of mine on its way, that send is done. */
  arrived(m: Message): void {
    if (m.senderId === this.ctx.me()) this.settle(m.clientMessageId, m);
  }

  /** A message was removed before it was ever shown. */
  removed(m: Message): void {
    if (m.senderId === this.ctx.me())
      this.settle(m.clientMessageId, undefined, new ChatError('the message was deleted before it arrived', 'NOT_FOUND'));
  }

  private settle(clientMessageId: string, m?: Message, err?: ChatError): void {
    const done = this.arriving.get(clientMessageId);
    this.arriving.delete(clientMessageId);
    if (this.pending.delete(clientMessageId)) this.ctx.changed(this.list);
    done?.(m, err);
  }
}

/** A v4 UUID: `crypto.randomUUID` where it exists (secure contexts, Node), else from `getRandomValues`. */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
