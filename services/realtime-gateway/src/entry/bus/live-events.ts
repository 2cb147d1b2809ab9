import type { Msg, Subscription } from '@nats-io/transport-node';
import { messageSubjects, noticeSubjects, rooms, type MessageEvent, type UnreadChangedEvent } from '@chat/contracts';
import { annotateSpan, inSpan, traceOf, tracingOn, type Bus, type Logger, type SpanAttributes } from '@chat/platform';
import { broadcastForUnread, broadcastsForMessageEvent, type Emission } from '../../domain/broadcasts.js';
import { emitEvent } from '../../clients/emit-event.js';
import type { GatewayServer } from '../../clients/gateway-socket.js';
import type { LiveRooms } from '../../use-cases/deps.js';

/** This node's live subscriptions; `ready(room)` resolves once the room's is in force at the server. */
export interface LiveEvents extends LiveRooms {
  stop(): void;
}

const CHAT_ROOM = rooms.chat('');
const USER_ROOM = rooms.user('');

/** A room's span attributes: a chat room's chat id (a user's room names no one). */
const roomAttributes = (room: string): SpanAttributes =>
  room.startsWith(CHAT_ROOM) ? { 'chat.id': room.slice(CHAT_ROOM.length) } : {};

/**
 * Live fan-out on core NATS. A node subscribes to the events of the chat rooms its own sockets
 * are in (the chat's message events, which reach core subscribers as message-api publishes them
 * to the stream), and to users' notices, and emits them to its local sockets only,
 * so a message costs no durable consumer, no ack and no Redis adapter hop, and a node receives
 * only its own chats' events however many nodes there are. NATS does not redeliver: a node that
 * misses an event leaves a gap in the chat's revs, which clients close through `/changes`.
 */
export function startLiveEvents(io: GatewayServer, bus: Bus, logger: Logger): LiveEvents {
  const adapter = io.of('/').adapter;
  const local = io.local;
  const emit = (e: Emission) => {
    const target = local.to(e.to);
    emitEvent(e.except ? target.except(e.except) : target, e.event, e.payload);
  };
  const emitHere = (emissions: Emission[], toRoom: (room: string) => boolean) => {
    for (const e of emissions) {
      if (!toRoom(e.to)) continue;
      if (tracingOn()) inSpan(`emit ${e.event}`, { kind: 'producer', attributes: roomAttributes(e.to) }, () => emit(e));
      else emit(e);
    }
  };
  const parsed = <T>(msg: Msg): T | undefined => {
    try {
      return msg.json<T>();
    } catch (err) {
      logger.error({ err, subject: msg.subject }, 'malformed live event dropped');
      return undefined;
    }
  };
  // Each delivery is a span of its publisher's trace (the event's `traceparent`): one message's
  // trace reaches the sockets that receive it.
  const delivering = (name: string, deliver: (msg: Msg) => void) => {
    const safely = (msg: Msg) => {
      try {
        deliver(msg);
      } catch (err) {
        logger.error({ err, subject: msg.subject }, 'live event not delivered');
      }
    };
    return (err: Error | null, msg: Msg) => {
      if (err) return logger.error({ err }, 'live subscription error');
      if (!tracingOn()) return safely(msg);
      const span = {
        kind: 'consumer' as const,
        parent: traceOf(msg) ?? ('root' as const),
        attributes: { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject },
      };
      inSpan(name, span, () => safely(msg));
    };
  };

  const fromChat = delivering('deliver chat event', (msg) => {
    const event = parsed<MessageEvent>(msg);
    if (event && tracingOn()) annotateSpan({ 'chat.id': event.chatId });
    // A delete for one user goes to their own room, through `ownDeletes` below.
    if (event) emitHere(broadcastsForMessageEvent(event), (room) => room.startsWith(CHAT_ROOM));
  });
  // Users' own rooms hear two node-wide subscriptions rather than one each: every socket is in
  // its user's room, and a subscription per connected user would cost every socket its memory.
  // A notice for a user with no socket here is dropped by its subject, before it is parsed.
  const userHere = (userId: string | undefined) => userId !== undefined && adapter.rooms.has(rooms.user(userId));
  const notices = bus.nc.subscribe(noticeSubjects.all, {
    callback: delivering('deliver unread notice', (msg) => {
      const notice = userHere(noticeSubjects.userOf(msg.subject)) ? parsed<UnreadChangedEvent>(msg) : undefined;
      if (notice) emitHere([broadcastForUnread(notice)], () => true);
    }),
  });
  // Deletes are rare, and a deleter's sockets need not be in the chat's room.
  const ownDeletes = bus.nc.subscribe(messageSubjects.deleted, {
    callback: delivering('deliver own delete', (msg) => {
      const event = parsed<MessageEvent>(msg);
      if (event) emitHere(broadcastsForMessageEvent(event), (room) => room.startsWith(USER_ROOM));
    }),
  });

  const subscriptions = new Map<string, { sub: Subscription; ready: Promise<void> }>();
  const subscribe = (room: string) => {
    if (!room.startsWith(CHAT_ROOM) || subscriptions.has(room)) return;
    const sub = bus.nc.subscribe(messageSubjects.ofChat(room.slice(CHAT_ROOM.length)), { callback: fromChat });
    // Once the server has the subscription, every later publish reaches it.
    const ready = bus.nc.flush().catch((err: unknown) => logger.warn({ err, room }, 'live subscription not confirmed'));
    subscriptions.set(room, { sub, ready });
  };
  const unsubscribe = (room: string) => {
    subscriptions.get(room)?.sub.unsubscribe();
    subscriptions.delete(room);
  };
  adapter.on('create-room', subscribe);
  adapter.on('delete-room', unsubscribe);
  for (const room of adapter.rooms.keys()) subscribe(room);

  return {
    ready: async (room) => {
      await subscriptions.get(room)?.ready;
    },
    stop: () => {
      adapter.off('create-room', subscribe);
      adapter.off('delete-room', unsubscribe);
      ownDeletes.unsubscribe();
      notices.unsubscribe();
      for (const room of [...subscriptions.keys()]) unsubscribe(room);
    },
  };
}
