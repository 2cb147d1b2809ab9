import { type MessageDeps } from './deps.js';
import { ReceiptInput, recordReceipts } from './record-receipts.js';

/**
 * Adds the reader once to `readBy` of each listed message of this chat that they received,
 * can see and have not read; other ids are ignored. Publishes one `read` event naming
 * exactly the messages this call marked (chat-api takes them off the unread count). Answers
 * the ids it marked.
 */
export const markMessagesRead = (deps: MessageDeps, userId: string, input: ReceiptInput) =>
  recordReceipts(deps, 'read', userId, input);
