import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  DURABLES,
  NATS_AUTH_FILES,
  natsInboxPrefix,
  natsPasswordVariable,
  natsServiceUsers,
  renderDeployedNatsAuth,
  STREAMS,
  type NatsServiceUser,
} from '@chat/contracts';
import {
  eventually,
  NATS_TEST_CREDENTIALS,
  natsTestPassword,
  startNatsServer,
  type RunningProcess,
} from '@chat/testkit';
import { Bus, createLogger } from '../src/index.js';

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

  /**
   * JetStream: a stream is declared only by its owner, a durable consumer is created, pulled
   * and acked only by its own service, by name. Each refusal is the server's permissions
   * violation, next to the same request by the one allowed to make it, which succeeds.
   */
  describe('JetStream streams and durable consumers', () => {
    /** A durable consumer by stream and name: one of `DURABLES`, or one nobody may create. */
    type DurableRef = { stream: string; name: string };
    const owners = { [STREAMS.chats.name]: 'chat-api', [STREAMS.messages.name]: 'message-api' } as const;
    const durablesOf: Record<NatsServiceUser, DurableRef[]> = {
      'chat-api': [DURABLES.chatProjection],
      'message-api': [DURABLES.textEraser],
      'media-service': [],
      'realtime-gateway': [DURABLES.roomExits],
    };
    const running = [DURABLES.chatProjection, DURABLES.textEraser, DURABLES.roomExits];
    const filterOf = (stream: string) => (stream === STREAMS.chats.name ? 'chats.>' : 'messages.>');
    const buses: Bus[] = [];

    /** The server's answer to a JetStream API request, or `refused` when it rejects it as a permissions violation. */
    const api = async (nc: NatsConnection, subject: string, body: unknown = {}) => {
      try {
        const reply = await nc.request(subject, typeof body === 'string' ? body : JSON.stringify(body), {
          timeout: 3_000,
        });
        return reply.data.length ? (reply.json<{ error?: { description: string } }>() ?? {}) : {};
      } catch (err) {
        if (/permissions violation for publish/i.test((err as Error).message)) return 'refused' as const;
        throw err;
      }
    };
    const busAs = async (user: NatsServiceUser) => {
      const bus = await Bus.connect({
        url: nats.url,
        name: `${user}-permissions-test`,
        logger: createLogger('test', 'silent'),
        timeoutMs: 3_000,
        credentials: { user, pass: natsTestPassword(user) },
      });
      buses.push(bus);
      return bus;
    };
    const createBody = ({ stream, name }: DurableRef) => ({
      stream_name: stream,
      config: { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: filterOf(stream) },
    });
    const consumerNames = async (stream: string) => {
      const names: string[] = [];
      for await (const c of (await jetstreamManager(test)).consumers.list(stream)) names.push(c.name);
      return names.sort();
    };
    /**
     * Pulls one event of `durable` as `nc`, whose inboxes start with `prefix`, and returns its
     * ack subject. (JetStream delivers under the event's own subject, so not as a request's reply.)
     */
    const pullOne = async ({ stream, name }: DurableRef, nc = test, prefix = '_INBOX') => {
      const inbox = createInbox(prefix);
      const sub = nc.subscribe(inbox, { max: 1 });
      nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`, JSON.stringify({ batch: 1, expires: 2e9 }), {
        reply: inbox,
      });
      for await (const m of sub) return m.reply ?? '';
      return '';
    };
    const ackPending = async ({ stream, name }: DurableRef) =>
      (await (await jetstreamManager(test)).consumers.info(stream, name)).num_ack_pending;

    beforeAll(async () => {
      // Each owner declares its stream, each service creates its durable: allowed (the controls).
      await (await busAs('chat-api')).ensureStreams([STREAMS.chats]);
      await (await busAs('message-api')).ensureStreams([STREAMS.messages]);
      for (const [user, durables] of Object.entries(durablesOf)) {
        if (!durables.length) continue;
        const jsm = await jetstreamManager(await as(user as NatsServiceUser));
        for (const d of durables) await jsm.consumers.add(d.stream, createBody(d).config);
      }
      for (let i = 0; i < 3; i++) {
        await (await jetstreamManager(test)).jetstream().publish(`chats.c${i}.accepted`, '{}');
        await (await jetstreamManager(test)).jetstream().publish(`messages.c${i}.deleted.m${i}`, '{}');
      }
    });
    afterAll(async () => {
      await Promise.all(buses.map((b) => b.drain()));
    });

    it('lets only the owner of a stream update or create it (no service seals it, shrinks it, deletes or purges it)', async () => {
      const jsm = await jetstreamManager(test);
      for (const stream of [STREAMS.chats.name, STREAMS.messages.name]) {
        const { config } = await jsm.streams.info(stream);
        const owner = owners[stream];
        for (const user of natsServiceUsers) {
          const nc = await as(user);
          if (user !== owner) {
            expect(
              await api(nc, `$JS.API.STREAM.UPDATE.${stream}`, { ...config, sealed: true }),
              `${user} seals ${stream}`,
            ).toBe('refused');
            expect(
              await api(nc, `$JS.API.STREAM.UPDATE.${stream}`, { ...config, max_msgs: 1 }),
              `${user} shrinks ${stream}`,
            ).toBe('refused');
            expect(await api(nc, `$JS.API.STREAM.CREATE.${stream}`, config), `${user} creates ${stream}`).toBe(
              'refused',
            );
          }
          expect(await api(nc, `$JS.API.STREAM.PURGE.${stream}`), `${user} purges ${stream}`).toBe('refused');
          expect(await api(nc, `$JS.API.STREAM.DELETE.${stream}`), `${user} deletes ${stream}`).toBe('refused');
        }
        // The owner's same requests are answered (it declares the stream at every start).
        expect(await api(await as(owner), `$JS.API.STREAM.UPDATE.${stream}`, config)).not.toHaveProperty('error');
        expect(await api(await as(owner), `$JS.API.STREAM.CREATE.${stream}`, config)).not.toHaveProperty('error');
        const after = await jsm.streams.info(stream);
        expect(after.config.sealed ?? false).toBe(false);
        expect(after.config.max_msgs).toBe(config.max_msgs);
        expect(after.state.messages).toBe(3);
      }
      // media-service uses no stream: no JetStream at all.
      expect(await api(await as('media-service'), '$JS.API.INFO')).toBe('refused');
      expect(await api(await as('chat-api'), '$JS.API.INFO')).not.toHaveProperty('error');
    });

    it("lets a service create, read, pull from or delete only its own durables, by name: not another's, nor a new one", async () => {
      const sniffers = [STREAMS.chats.name, STREAMS.messages.name].map((stream) => ({ stream, name: 'sniffer' }));
      for (const user of natsServiceUsers) {
        const nc = await as(user);
        const others = [...running.filter((d) => !durablesOf[user].includes(d)), ...sniffers];
        for (const d of others) {
          const what = `${user} on ${d.stream}.${d.name}`;
          const create = `$JS.API.CONSUMER.CREATE.${d.stream}.${d.name}`;
          expect(await api(nc, create, createBody(d)), `create ${what}`).toBe('refused');
          expect(await api(nc, `${create}.${filterOf(d.stream)}`, createBody(d)), `create ${what}`).toBe('refused');
          expect(
            await api(nc, `$JS.API.CONSUMER.DURABLE.CREATE.${d.stream}.${d.name}`, createBody(d)),
            `create ${what}`,
          ).toBe('refused');
          expect(await api(nc, `$JS.API.CONSUMER.MSG.NEXT.${d.stream}.${d.name}`, { batch: 1 }), `pull ${what}`).toBe(
            'refused',
          );
          expect(await api(nc, `$JS.API.CONSUMER.INFO.${d.stream}.${d.name}`), `info ${what}`).toBe('refused');
          expect(await api(nc, `$JS.API.CONSUMER.DELETE.${d.stream}.${d.name}`), `delete ${what}`).toBe('refused');
        }
        // Its own: created (updated) in either form of the API, and pulled from.
        for (const d of durablesOf[user]) {
          const create = `$JS.API.CONSUMER.CREATE.${d.stream}.${d.name}.${filterOf(d.stream)}`;
          expect(await api(nc, create, createBody(d)), `${user} updates ${d.name}`).not.toHaveProperty('error');
          const old = `$JS.API.CONSUMER.DURABLE.CREATE.${d.stream}.${d.name}`;
          expect(await api(nc, old, createBody(d)), `${user} updates ${d.name}`).not.toHaveProperty('error');
          const pulled = await pullOne(d, nc, natsInboxPrefix(user));
          expect(pulled, `${user} pulls ${d.name}`).toMatch(new RegExp(`^\\$JS\\.ACK\\.${d.stream}\\.${d.name}\\.`));
        }
        // The subject of its own durable does not create one by another name.
        for (const d of durablesOf[user]) {
          const renamed = { ...createBody(d), config: { ...createBody(d).config, durable_name: 'sniffer' } };
          expect(
            await api(nc, `$JS.API.CONSUMER.CREATE.${d.stream}.${d.name}.${filterOf(d.stream)}`, renamed),
          ).toHaveProperty('error');
          expect(await api(nc, `$JS.API.CONSUMER.DURABLE.CREATE.${d.stream}.${d.name}`, renamed)).toHaveProperty(
            'error',
          );
        }
      }
      expect(await consumerNames(STREAMS.messages.name)).toEqual([
        DURABLES.chatProjection.name,
        DURABLES.textEraser.name,
      ]);
      expect(await consumerNames(STREAMS.chats.name)).toEqual([DURABLES.roomExits.name]);
    });

    it("lets only the durable's own service ack what it delivered", async () => {
      for (const d of running) {
        const ack = await pullOne(d);
        expect(ack, 'a delivered event').toMatch(new RegExp(`^\\$JS\\.ACK\\.${d.stream}\\.${d.name}\\.`));
        const pending = await ackPending(d);
        expect(pending).toBeGreaterThanOrEqual(1);
        const owner = natsServiceUsers.find((u) => durablesOf[u].includes(d)) as NatsServiceUser;
        for (const user of natsServiceUsers.filter((u) => u !== owner))
          expect(await api(await as(user), ack, '+ACK'), `${user} acks ${d.name}`).toBe('refused');
        expect(await ackPending(d)).toBe(pending);
        // Its own service's ack of the same event is taken (an ack with a reply is confirmed).
        expect(await api(await as(owner), ack, '+ACK')).toEqual({});
        expect(await ackPending(d)).toBe(pending - 1);
      }
    });

    it('starts a durable consumer of a stream that its owner declares only later (services start in any order)', async () => {
      const late = await startNatsServer();
      const connectAs = (user: NatsServiceUser) =>
        Bus.connect({
          url: late.url,
          name: `${user}-late`,
          logger: createLogger('test', 'silent'),
          timeoutMs: 3_000,
          credentials: { user, pass: natsTestPassword(user) },
        });
      const [chatApi, messageApi] = await Promise.all([connectAs('chat-api'), connectAs('message-api')]);
      try {
        const seen: string[] = [];
        // Before MESSAGES exists: the consumer starts without it, and does not fail the start.
        await chatApi.consume({
          stream: DURABLES.chatProjection.stream,
          durable: DURABLES.chatProjection.name,
          filterSubjects: ['messages.>'],
          schema: z.object({ eventId: z.string() }),
          handler: async (event) => void seen.push(event.eventId),
        });
        await messageApi.ensureStreams([STREAMS.messages]);
        await messageApi.publish('messages.c1.created.m1', { eventId: 'e1' });
        await eventually(
          async () => seen,
          (s) => s.includes('e1'),
          10_000,
        );
      } finally {
        await Promise.all([chatApi.drain(), messageApi.drain()]);
        await late.stop();
      }
    });
  });
});
