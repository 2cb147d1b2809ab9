import { isObjectId, type MessageEvent } from '@chat/contracts';
import type { ProjectedEvent } from './message-effects.js';
import { previewOf } from './projection.js';

/** Why an event cannot be projected, worded to follow "message event ...". */
export type Malformed = { malformed: string };

/**
 * A message event as the domain takes it (ids checked and lowercased, preview cut), or why it is
 * malformed. Events nothing on the chat depends on (deliveries, reactions) still come through as
 * `other`, so their revs are recorded as applied.
 */
export function toProjectedEvent(event: MessageEvent): { projected: ProjectedEvent } | Malformed {
  if (!isObjectId(event.chatId)) return { malformed: 'for a malformed chat id' };
  switch (event.type) {
    case 'created': {
      const d = event.data;
      if (!isObjectId(d.senderId) || !isObjectId(d.receiverId)) return { malformed: 'with malformed user ids' };
      return {
        projected: {
          type: 'created',
          rev: d.rev,
          messageId: d.messageId,
          seq: d.seq,
          senderId: d.senderId.toLowerCase(),
          receiverId: d.receiverId.toLowerCase(),
          preview: previewOf(d.messageType, d.content),
          messageType: d.messageType,
          createdAt: new Date(d.createdAt),
        },
      };
    }
    case 'read': {
      const d = event.data;
      if (!isObjectId(d.readBy)) return { malformed: 'with a malformed reader id' };
      return {
        projected: {
          type: 'read',
          rev: d.rev,
          revs: d.revs ?? [],
          readBy: d.readBy.toLowerCase(),
          count: new Set(d.messageIds).size,
          readAt: new Date(d.timestamp),
        },
      };
    }
    case 'deleted': {
      const d = event.data;
      return {
        projected: {
          type: 'deleted',
          rev: d.rev,
          messageId: d.messageId,
          scope: d.scope,
          deletedBy: d.deletedBy.toLowerCase(),
          senderId: d.senderId.toLowerCase(),
          receiverId: d.receiverId.toLowerCase(),
          wasUnread: d.wasUnread,
          ...(d.createdAt ? { createdAt: d.createdAt } : {}),
          ...(d.alreadyHiddenFor ? { alreadyHiddenFor: d.alreadyHiddenFor.map((u) => u.toLowerCase()) } : {}),
          ...(d.seq !== undefined ? { seq: d.seq } : {}),
          ...(d.messageType ? { messageType: d.messageType } : {}),
        },
      };
    }
    case 'edited': {
      const d = event.data;
      return {
        projected: { type: 'edited', rev: d.rev, messageId: d.messageId, preview: previewOf('text', d.newContent) },
      };
    }
    case 'delivered': {
      // Nothing on the chat depends on deliveries; every rev one spent is recorded as applied.
      const d = event.data;
      return { projected: { type: 'other', rev: d.rev, revs: d.revs } };
    }
    default:
      // Nothing on the chat depends on reactions; their revs are recorded as applied all the same.
      return { projected: { type: 'other', rev: event.data.rev } };
  }
}
