import type {
  ChatView,
  ClientEventName,
  ClientPayload,
  clientEvents,
  Media,
  MessageView,
  Pagination,
  ServerEventPayloads,
  UploadedFile,
} from '@chat/contracts';

export type { ChatView, Media, MessageView, Pagination, UploadedFile };

/** One user's delivery receipt on a message (docs/api-guide.md, "Delivery receipts"). */
export interface DeliveredReceipt {
  userId: string;
  deliveredAt: string;
}

/** A message as the SDK holds it: the REST `MessageView`, always with its `deliveredTo` list. */
export type Message = Omit<MessageView, 'deliveredTo'> & { deliveredTo: DeliveredReceipt[] };

/** A `/changes` entry for a message that is gone for the caller. */
export interface Tombstone {
  _id: string;
  chatId: string;
  rev: number;
  seq: number;
  isDeleted: true;
}

/** `data` of `GET /api/chats/:chatId/changes`. */
export interface Changes {
  changes: (Message | Tombstone)[];
  rev: number;
  hasMore: boolean;
}

/** Every success body: `{ status, message, data }`. */
export interface Envelope<T> {
  status: number;
  message: string;
  data: T;
}
export interface PageOf<T> extends Envelope<T[]> {
  pagination: Pagination;
}
export interface MessagesPage extends PageOf<Message> {
  chatInfo: { chatId: string; status: ChatView['status']; participants: string[] };
}
export interface SearchPage extends PageOf<Message> {
  /** Which seqs this request examined; repeat with `beforeSeq` while `complete` is false. */
  window: { fromSeq: number; toSeq: number; complete: boolean; beforeSeq: number | null };
}
export interface MediaEnvelope<T> extends Envelope<T> {
  success: true;
}
export interface BulkFailure {
  index: number;
  fileName: string;
  status: number;
  message: string;
}
export interface BulkUploadResult extends MediaEnvelope<UploadedFile[]> {
  failed: BulkFailure[];
  summary: { totalAttempted: number; successful: number; failed: number };
}
export interface UploadToken {
  token: string;
  expire: number;
  signature: string;
  publicKey: string;
  urlEndpoint: string;
}

/** Server events the SDK listens to, the delivery-receipt ones included. */
export type ServerEvents = ServerEventPayloads & {
  messages_delivered: { messageIds: string[]; deliveredTo: string; chatId: string; timestamp: string; rev?: number };
  delivered_success: { messageIds: string[] };
  message_received: ServerEventPayloads['message_received'] & { media?: Media | null };
};

/** What a `send_message` / `send_media` acknowledgement carries. */
export interface SendAck {
  messageId: string;
  timestamp: string;
  /** True when the server had already stored this `clientMessageId` (a retry), where the gateway passes it on. */
  duplicate?: boolean;
}

/** A client event's name and payload, as the contract types them. */
export type SocketRequest = ClientEventName;
export type SocketPayload<E extends ClientEventName> = ClientPayload<E>;
/** What a client event's acknowledgement carries on success: its success event's payload (nothing for typing). */
export type SocketAck<E extends ClientEventName> = (typeof clientEvents)[E]['success'] extends infer S extends keyof ServerEvents
  ? ServerEvents[S]
  : Record<string, never>;
