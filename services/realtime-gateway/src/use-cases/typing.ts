import { rooms } from '@chat/contracts';
import { forbidden, type Logger, type Redis } from '@chat/platform';
import type { GatewayServer, GatewaySocket } from '../clients/sockets.js';

/**
 * Typing indicators that cannot flood a room: one `user_typing` per user and chat per
 * throttle interval (a Redis key shared by all nodes and the user's devices), and a
 * `user_stop_typing` when the typist stops, goes quiet for `timeoutMs`, leaves or disconnects.
 * Only a user who may send in the chat may type (docs/api-guide.md: never from a pending recipient, a
 * rejected or a blocked chat): `maySend` asks chat-api, whose answer is cached there.
 */
export class TypingTracker {
  /** socket id -> chat id -> timer that ends the typing after silence. */
  private active = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(
    private readonly io: GatewayServer,
    private readonly redis: Redis,
    private readonly maySend: (userId: string, chatId: string) => Promise<boolean>,
    private readonly opts: { throttleMs: number; timeoutMs: number; logger: Logger },
  ) {}

  async typing(socket: GatewaySocket, chatId: string): Promise<void> {
    const room = rooms.chat(chatId);
    if (!socket.rooms.has(room)) throw forbidden('Join the chat before sending typing events');
    const userId = socket.data.userId;
    if (!(await this.maySend(userId, chatId))) throw forbidden('You may not send messages in this chat');
    const chats = this.active.get(socket.id) ?? new Map<string, NodeJS.Timeout>();
    this.active.set(socket.id, chats);
    clearTimeout(chats.get(chatId));
    chats.set(
      chatId,
      setTimeout(() => this.stop(socket, chatId), this.opts.timeoutMs),
    );
    const first = await this.redis.set(`typing:${chatId}:${userId}`, '1', 'PX', this.opts.throttleMs, 'NX');
    if (first === 'OK') {
      this.io
        .to(room)
        .except(rooms.user(userId))
        .emit('user_typing', { userId, chatId, timestamp: new Date().toISOString() });
    }
  }

  /**
   * Ends this socket's typing in `chatId` (if it was typing) and tells the others, if the socket
   * is still in the chat's room: one taken out of it (the chat was blocked, rejected or deleted)
   * says nothing more there, since a blocked or rejected chat hears no typing at all.
   */
  stop(socket: GatewaySocket, chatId: string): void {
    const chats = this.active.get(socket.id);
    const timer = chats?.get(chatId);
    if (!chats || timer === undefined) return;
    clearTimeout(timer);
    chats.delete(chatId);
    if (chats.size === 0) this.active.delete(socket.id);
    if (!socket.rooms.has(rooms.chat(chatId))) return;
    const userId = socket.data.userId;
    this.io
      .to(rooms.chat(chatId))
      .except(rooms.user(userId))
      .emit('user_stop_typing', { userId, chatId, timestamp: new Date().toISOString() });
  }

  /** For `stop_typing`: only a member of the chat may send it. */
  stopFromClient(socket: GatewaySocket, chatId: string): void {
    if (!socket.rooms.has(rooms.chat(chatId)) && !this.active.get(socket.id)?.has(chatId)) {
      throw forbidden('Join the chat before sending typing events');
    }
    this.stop(socket, chatId);
  }

  /** The socket is going away: stop all of its typing. */
  socketGone(socket: GatewaySocket): void {
    for (const chatId of [...(this.active.get(socket.id)?.keys() ?? [])]) this.stop(socket, chatId);
  }

  clear(): void {
    for (const chats of this.active.values()) for (const t of chats.values()) clearTimeout(t);
    this.active.clear();
  }
}
