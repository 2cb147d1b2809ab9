import type { ChatRecord } from '../domain/chat.js';

export interface ChatPage {
  items: ChatRecord[];
  total: number;
}
