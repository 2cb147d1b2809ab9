import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  NATS_AUTH_FILES,
  natsInboxPrefix,
  natsPasswordVariable,
  natsServiceUsers,
  renderDeployedNatsAuth,
  type NatsServiceUser,
} from '@chat/contracts';
import { NATS_TEST_CREDENTIALS, natsTestPassword, startNatsServer, type RunningProcess } from '@chat/testkit';

/**
 * The NATS server as every environment configures it (natsPermissions): each service its own
 * user, allowed only its own subjects. Each case tries a forgery and checks it against a
 * control that is allowed, so the test cannot pass because nothing was delivered at all.
 */
describe('NATS users and subject permissions', () => {
  let nats: RunningProcess;
  let test: NatsConnection;
  const open: NatsConnection[] = [];
  const as = async (user: NatsServiceUser) => {
    const nc = await connect({
      servers: nats.url,
      user,
      pass: natsTestPassword(user),
      inboxPrefix: natsInboxPrefix(user),
    });
    open.push(nc);
    return nc;
  };
  /** Whether a message `from` publishes on `subject` reaches a subscriber that may hear it. */
  const delivered = async (from: NatsConnection, subject: string) => {
    const got = new Promise<boolean>((resolve) => {
      const sub = test.subscribe(subject, { max: 1, callback: (err) => resolve(!err) });
      setTimeout(() => {
        sub.unsubscribe();
        resolve(false);
      }, 400);
    });
    await test.flush();
    from.publish(subject, '{}');
    await from.flush().catch(() => undefined);
    return got;
  };
  /** Whether `to` hears what the test publishes on `subject`. */
  const heard = async (to: NatsConnection, subject: string) => {
    const got = new Promise<boolean>((resolve) => {
      // A refused subscription calls back once with the permissions violation.
      to.subscribe(subject, { max: 1, callback: (err) => resolve(!err) });
      setTimeout(() => resolve(false), 400);
    });
    await to.flush().catch(() => undefined);
    test.publish(subject, '{}');
    return got;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    test = await connect({ servers: nats.url, ...NATS_TEST_CREDENTIALS });
  });
  afterAll(async () => {
    await Promise.all([test, ...open].map((nc) => nc.close().catch(() => undefined)));
    await nats.stop();
  });

  it("refuses a client without a password, or with another service's password", async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(
      connect({ servers: nats.url, user: 'chat-api', pass: natsTestPassword('realtime-gateway'), reconnect: false }),
    ).rejects.toThrow(/Authorization/i);
  });

  it('lets only chat-api publish chat events and only message-api message events', async () => {
    expect(await delivered(await as('chat-api'), 'chats.c1.accepted')).toBe(true);
    expect(await delivered(await as('realtime-gateway'), 'chats.c1.accepted')).toBe(false);
    expect(await delivered(await as('media-service'), 'chats.c1.unread_changed')).toBe(false);
    expect(await delivered(await as('message-api'), 'messages.c1.created')).toBe(true);
    expect(await delivered(await as('chat-api'), 'messages.c1.created')).toBe(false);
  });

  it("lets only the gateway send message commands (they trust the caller's user id) and only message-api serve them", async () => {
    expect(await delivered(await as('realtime-gateway'), 'message.send')).toBe(true);
    expect(await delivered(await as('media-service'), 'message.send')).toBe(false);
    expect(await delivered(await as('chat-api'), 'message.delete')).toBe(false);
    expect(await heard(await as('message-api'), 'message.send')).toBe(true);
    expect(await heard(await as('realtime-gateway'), 'message.send')).toBe(false);
    expect(await heard(await as('media-service'), 'chat.access.check')).toBe(false);
  });

  it('lets a service answer only the services it serves, in their inboxes', async () => {
    const gatewayInbox = `${natsInboxPrefix('realtime-gateway')}.x`;
    expect(await delivered(await as('message-api'), gatewayInbox)).toBe(true);
    expect(await delivered(await as('chat-api'), `${natsInboxPrefix('message-api')}.x`)).toBe(true);
    expect(await delivered(await as('media-service'), gatewayInbox)).toBe(false);
    expect(await delivered(await as('message-api'), `${natsInboxPrefix('chat-api')}.x`)).toBe(false);
    expect(await delivered(await as('realtime-gateway'), `${natsInboxPrefix('message-api')}.x`)).toBe(false);
  });

  it("keeps each service's replies to itself", async () => {
    expect(await heard(await as('realtime-gateway'), `${natsInboxPrefix('realtime-gateway')}.x`)).toBe(true);
    expect(await heard(await as('media-service'), `${natsInboxPrefix('realtime-gateway')}.x`)).toBe(false);
    expect(await heard(await as('media-service'), '_INBOX.>')).toBe(false);
  });

  it('ships to every deployment the users it tests: each copy of auth.conf is rendered from natsPermissions, and nats-server accepts it', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    for (const file of NATS_AUTH_FILES) {
      expect(readFileSync(root + file, 'utf8'), `${file} is out of date: node deploy/nats/render-auth.mjs`).toBe(
        renderDeployedNatsAuth(),
      );
    }
    const passwords = Object.fromEntries(natsServiceUsers.map((u) => [natsPasswordVariable(u), 'x']));
    const checked = execFileSync(
      process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server',
      ['-c', root + NATS_AUTH_FILES[0], '-t'],
      {
        env: { ...passwords, PATH: process.env.PATH },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(checked + '').not.toMatch(/error/i);
  });
});
