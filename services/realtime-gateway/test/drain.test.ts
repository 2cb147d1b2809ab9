import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { connectSocket, newUserId, nextEvent, startTestInfra, tokenFor, type TestInfra } from '@chat/testkit';
import { FakeBackend } from './support/fake-backend.js';
import { startNode, type TestNode } from './support/cluster.js';

describe('realtime-gateway: graceful drain', () => {
  let infra: TestInfra;
  let fake: FakeBackend;
  let node: TestNode;

  beforeAll(async () => {
    infra = await startTestInfra();
    fake = await FakeBackend.start(infra.natsUrl);
    node = await startNode(infra, 'drainme', { DRAIN_TIMEOUT_MS: '3000' });
  });
  afterAll(async () => {
    await fake?.close();
    await infra?.stop();
  });

  it('on close, the node refuses new sockets, tells its clients to reconnect (transport close, not a server kick), and finishes once they are gone', async () => {
    const user = newUserId();
    // A client that would reconnect on its own (as browsers do).
    const client = io(node.url, {
      auth: { token: tokenFor(user) },
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 60_000,
    });
    await nextEvent(client, 'connect');
    expect(node.socketCount()).toBe(1);
    const notice = nextEvent(client, 'server_shutdown');
    const disconnected = nextEvent(client, 'disconnect');
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(200);

    const closing = node.close();
    expect(await notice).toMatchObject({ reconnect: true, message: expect.any(String) });
    // "transport close" is a reason Socket.IO clients reconnect after; "io server disconnect" is not.
    expect(await disconnected).toBe('transport close');
    expect(client.active).toBe(true);
    await expect(connectSocket(node.url, tokenFor(newUserId()))).rejects.toThrow();
    await closing;
    expect(node.socketCount()).toBe(0);
    client.close();
  });
});
