import type { Redis } from '@chat/platform';

/**
 * Who is typing where: this node's sockets, each with a timer per chat that ends its typing
 * after `timeoutMs` of silence (in memory: a socket lives on one node), and a throttle key per
 * user and chat in Redis, shared by every node and the user's devices, so that a room hears
 * one `user_typing` per `throttleMs` at most.
 */
export class TypingStore {
  /** socket id -> chat id -> timer that ends the typing after silence. */
  private readonly active = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: { throttleMs: number; timeoutMs: number },
  ) {}

  /** Marks the socket typing in the chat until `onSilence` runs, `timeoutMs` after its last keystroke. */
  keepTyping(socketId: string, chatId: string, onSilence: () => void): void {
    const chats = this.active.get(socketId) ?? new Map<string, NodeJS.Timeout>();
    this.active.set(socketId, chats);
    clearTimeout(chats.get(chatId));
    chats.set(chatId, setTimeout(onSilence, this.opts.timeoutMs));
  }

  /** Forgets the socket's typing in the chat; false when it was not typing there. */
  endTyping(socketId: string, chatId: string): boolean {
    const chats = this.active.get(socketId);
    const timer = chats?.get(chatId);
    if (!chats || timer === undefined) return false;
    clearTimeout(timer);
    chats.delete(chatId);
    if (chats.size === 0) this.active.delete(socketId);
    return true;
  }

  isTyping(socketId: string, chatId: string): boolean {
    return this.active.get(socketId)?.has(chatId) ?? false;
  }

  /** The chats the socket is typing in. */
  chatsOf(socketId: string): string[] {
    return [...(this.active.get(socketId)?.keys() ?? [])];
  }

  /** True for the user's first keystroke in the chat within the throttle interval, over every node. */
  async firstInInterval(userId: string, chatId: string): Promise<boolean> {
    return (await this.redis.set(`typing:${chatId}:${userId}`, '1', 'PX', this.opts.throttleMs, 'NX')) === 'OK';
  }

  /** Stops every timer (the node is shutting down). */
  clear(): void {
    for (const chats of this.active.values()) for (const t of chats.values()) clearTimeout(t);
    this.active.clear();
  }
}
