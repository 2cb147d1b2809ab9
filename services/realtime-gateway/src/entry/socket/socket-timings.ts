import { clientEvents } from '@chat/contracts';
import type { Metrics } from '@chat/platform';
import type { GatewaySocket } from '../../clients/gateway-socket.js';

/** Events that carry a new message to its room, with when message-api numbered it. */
const RECEIVED_EVENTS = new Set(['message_received', 'media_received']);

/** A field of whatever a socket sent or is sent, if it is an object that has it. */
const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? Reflect.get(value, name) : undefined;

/** An ack's outcome label: `ok`, or the error code it carries (the contract's codes: a bounded set). */
function outcomeOf(response: unknown): string {
  if (field(response, 'ok') === true) return 'ok';
  const code = field(response, 'code');
  return typeof code === 'string' ? code : 'error';
}

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
          end({ outcome: outcomeOf(response) });
          Reflect.apply(ack, undefined, [response]);
        };
      }
      next();
    });
    socket.onAnyOutgoing((event: string, payload: unknown) => {
      if (!RECEIVED_EVENTS.has(event)) return;
      const createdAt = field(payload, 'createdAt');
      const at = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
      if (Number.isFinite(at)) received.observe({ event }, Math.max(0, Date.now() - at) / 1000);
    });
  };
}
