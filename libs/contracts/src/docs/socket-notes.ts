import type { ClientEventName, ServerEventName } from '../socket.js';

/**
 * Prose for the AsyncAPI description. Optional: an event without a note is still described
 * from its schema; the rules themselves live in the services (docs/api-guide.md).
 */
export const clientEventNotes: Partial<Record<ClientEventName, string>> = {
  join_chat:
    "Subscribe to the chat's live events. Any participant, any status; CONFLICT past SOCKET_MAX_ROOMS (200) rooms.",
  leave_chat: "Unsubscribe from the chat's live events; also stops your typing there.",
  send_message:
    'Content is trimmed, then 1 to MESSAGE_CONTENT_MAX (5,000) code points. A repeated clientMessageId stores nothing ' +
    'and answers with the first message.',
  send_media: 'media.fileId must be a file you uploaded to this chat; messageType must be the one the upload answered.',
  mark_as_read: 'Ids not in the chat, sent by you or already read are ignored; the answer lists the newly read ones.',
  mark_as_delivered:
    'The receiver records which messages reached it. Ids not in the chat, sent by you or already recorded are ignored.',
  typing: 'You must have joined the chat and be allowed to send in it. No success event; the ack is { ok: true }.',
  stop_typing: 'No success event; the ack is { ok: true }.',
  edit_message: 'Sender only, text messages only, in a chat where you may send.',
  delete_message: 'Default scope: everyone for the sender, me for the receiver (who may not ask for everyone).',
  add_reaction: 'One emoji (1 to 16 code points). CONFLICT past 20 distinct emoji per message or 10 per user.',
  remove_reaction: 'Removing a reaction that is not there changes nothing.',
};

/** Who receives each server event. */
export const serverEventAudience: Partial<Record<ServerEventName, string>> = {
  message_received: 'the chat room',
  media_received: 'the chat room',
  messages_read: 'the chat room',
  messages_delivered: 'the chat room',
  message_edited: 'the chat room',
  message_deleted: "the chat room (scope everyone), or only the deleter's own sockets (scope me)",
  reaction_added: 'the chat room',
  reaction_removed: 'the chat room',
  user_typing: "the chat room, except the typist's own sockets",
  user_stop_typing: "the chat room, except the typist's own sockets",
  user_online: "the rooms of the user's accepted chats, except the user's own sockets",
  user_offline: "the rooms of the user's accepted chats, except the user's own sockets",
  unread_message: "the receiver's user room: their new count for the chat (no message text: `lastMessage` is null)",
  error: 'the calling socket: a client event failed, or the token expired (then the socket is closed)',
  server_shutdown: 'every socket of a draining node, just before it closes them: reconnect',
};
