import { type MessageDeps } from './deps.js';
import { ReceiptInput, recordReceipts } from './record-receipts.js';

/**
 * Delivery receipts (docs/api-guide.md, "Delivery receipts"): records `{ userId, deliveredAt }` once
 * in `deliveredTo` of each listed message of this chat that the caller received and can see;
 * ids of other chats, the caller's own messages and messages already delivered or read (a read
 * message counts as delivered) are ignored. Publishes one `delivered` event naming exactly the
 * messages this call recorded (the room gets `messages_delivered`), none when it recorded
 * nothing. Answers the ids it recorded.
 *
 * Each recorded message takes a new rev, as a read does: the change feed then carries the
 * delivery, so a sender who was offline sees the tick after catching up through `/changes`.
 */
export const markMessagesDelivered = (deps: MessageDeps, userId: string, input: ReceiptInput) =>
  recordReceipts(deps, 'delivered', userId, input);
