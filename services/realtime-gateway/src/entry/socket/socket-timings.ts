import { clientEvents } from '@chat/contracts';
import type { Metrics } from '@chat/platform';
import type { GatewaySocket } from '../../clients/gateway-socket.js';

/** Events that carry a new message to its room, with when message-api numbered it. */
const RECEIVED_EVENTS = new Set(['message_received', 'media_received']);

/**
 * Two latencies, timed per socket from outside the event handlers:
 * - `socket_event_duration_seconds` {event, outcome}: from a client event's arrival to its
 *   acknowledgement (`ok` or the error code), for events sent with an ack callback. For
 *   `send_message` this is send -> ack as the sender sees it, less the network.
 * - `message_receive_delay_seconds` {event}: from a message's `createdAt` (message-api's clock,
 *   when it numbered the message) to its `message_received` / `media_received` to a socket here.
 * Labels are event names of the contract and error codes only: bounded.
 * @example const time = socketTimings(metrics); io.on('connection', (socket) => time(socket));
 */
export function socketTimings(metrics: Metrics): (socket: GatewaySocket) => void {
  const answered = metrics.histogram(
    'socket_event_duration_seconds',
    'From a client event to its acknowledgement, by event and outcome (ok or the error code)',
    ['event', 'outcome'],
  );
  const received = metrics.histogram(
    'message_receive_delay_seconds',
    "From a message's createdAt to its emit to a receiving socket, by event",
    ['event'],
  );
  return (socket) => {
    // Middleware runs as the event arrives, before its handler: the ack it wraps is Socket.IO's own.
    socket.use((packet, next) => {
      const ack = packet[packet.length - 1];
      const event = packet[0];
      if (typeof ack === 'function' && typeof event === 'string' && Object.hasOwn(clientEvents, event)) {
        const end = answered.startTimer({ event });
        packet[packet.length - 1] = (response: unknown) => {
          const { ok, code } = (response ?? {}) as { ok?: unknown; code?: unknown };
          end({ outcome: ok === true ? 'ok' : typeof code === 'string' ? code : 'error' });
          (ack as (response: unknown) => void)(response);
        };
      }
      next();
    });
    socket.onAnyOutgoing((event: string, payload: unknown) => {
      if (!RECEIVED_EVENTS.has(event)) return;
      const createdAt = Date.parse((payload as { createdAt?: string } | undefined)?.createdAt ?? '');
      if (Number.isFinite(createdAt)) received.observe({ event }, Math.max(0, Date.now() - createdAt) / 1000);
    });
  };
}
