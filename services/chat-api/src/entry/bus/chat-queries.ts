import { QUEUE_GROUPS, chatAccessCheck, chatListForUser, chatSubjects } from '@chat/contracts';
import type { Bus, Metrics } from '@chat/platform';
import type { ChatCache } from '../../data/chat-cache.js';
import type { ChatDeps } from '../../use-cases/deps.js';
import { checkChatAccess } from '../../use-cases/check-chat-access.js';
import { listContactChatIds } from '../../use-cases/list-contact-chat-ids.js';

/**
 * The NATS face other services use instead of reading `chats`. The user in question is in the
 * payload (services ask about the user they act for); one indexed lookup per question.
 */
export function serveChatQueries(bus: Bus, deps: ChatDeps, opts: { cache: ChatCache; metrics: Metrics }) {
  const answers = opts.metrics.counter('chat_access_checks_total', 'chat.access.check answers, by action and outcome', [
    'action',
    'outcome',
  ]);
  const subs = [
    bus.handle(chatAccessCheck, QUEUE_GROUPS.chatApi, async ({ chatId, userId, action }) => {
      const reply = await checkChatAccess(deps, { userId, chatId, action });
      answers.inc({ action, outcome: reply.allowed ? 'allowed' : reply.reason });
      return reply;
    }),
    // Every replica hears every chat state change (no queue group): another replica changed
    // that chat. Unread notices change no access and are not subscribed to.
    ...chatSubjects.stateChanges.map((subject) =>
      bus.nc.subscribe(subject, {
        callback: (_err, msg) => {
          const chatId = msg.subject.split('.')[1];
          if (chatId) opts.cache.invalidate(chatId);
        },
      }),
    ),
    bus.handle(chatListForUser, QUEUE_GROUPS.chatApi, async ({ userId }) => ({
      chatIds: await listContactChatIds(deps, { userId }),
    })),
  ];
  return {
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
