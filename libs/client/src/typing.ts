/**
 * The local user's typing state for one chat. Call `typing()` on every keystroke: it emits
 * `typing` at most once per `intervalMs` (the server keeps the indicator up for 6 s after the
 * last one, so a steady typist stays shown), and `stop_typing` after `idleMs` without keystrokes.
 */
export class TypingSender {
  private active = false;
  private lastSent = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly emit: (event: 'typing' | 'stop_typing') => void,
    private readonly intervalMs: number,
    private readonly idleMs: number,
  ) {}

  typing(): void {
    const now = Date.now();
    if (!this.active || now - this.lastSent >= this.intervalMs) {
      this.emit('typing');
      this.lastSent = now;
    }
    this.active = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    if (!this.active) return;
    this.active = false;
    this.emit('stop_typing');
  }

  /** The connection is gone: the server has stopped our typing itself. */
  reset(): void {
    clearTimeout(this.idleTimer);
    this.active = false;
  }
}

/**
 * Who else is typing in a chat. The server sends `user_stop_typing` itself after 6 s of
 * silence; the local expiry covers a stop lost with a dead gateway node.
 */
export class PeerTyping {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly changed: (userId: string, typing: boolean) => void,
    private readonly expireMs: number,
  ) {}

  get userIds(): string[] {
    return [...this.timers.keys()];
  }

  set(userId: string, typing: boolean): void {
    const had = this.timers.has(userId);
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
    if (typing) this.timers.set(userId, setTimeout(() => this.set(userId, false), this.expireMs));
    if (had !== typing) this.changed(userId, typing);
  }

  clear(): void {
    for (const userId of [...this.timers.keys()]) this.set(userId, false);
  }
}
