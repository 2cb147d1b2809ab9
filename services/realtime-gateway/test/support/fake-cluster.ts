import type { Socket } from 'socket.io-client';
import { connectSocket, startTestInfra, tokenFor, type TestInfra } from '@chat/testkit';
import { FakeBackend } from './fake-backend.js';
import { startNode, type TestNode } from './cluster.js';

export interface FakeCluster<Id extends string> {
  infra: TestInfra;
  /** NATS stand-ins for chat-api and message-api; a test may replace it (close, then start anew). */
  fake: FakeBackend;
  nodes: Record<Id, TestNode>;
  /** Remembers a socket so that `close` closes it. */
  track<S extends Socket>(socket: S): S;
  /** A connected, tracked socket for `userId` on the node at `url`. */
  connect(url: string, userId: string): Promise<Socket>;
  /** Closes the sockets, the nodes, the current fake backend and the infrastructure. */
  close(): Promise<void>;
}

/**
 * One test file's gateway world: its own NATS, Redis and database, the backend stand-ins, and
 * gateway nodes in this process, each started with its own environment overrides.
 * @example const cluster = await startFakeCluster({ gw1: {}, gw2: { SOCKET_MAX_ROOMS: '2' } });
 */
export async function startFakeCluster<Id extends string>(nodeEnvs: Record<Id, Record<string, string>>): Promise<FakeCluster<Id>> {
  const infra = await startTestInfra();
  const ids = Object.keys(nodeEnvs) as Id[];
  const sockets: Socket[] = [];
  const cluster: FakeCluster<Id> = {
    infra,
    fake: await FakeBackend.start(infra.natsUrl),
    nodes: {} as Record<Id, TestNode>,
    track: (socket) => {
      sockets.push(socket);
      return socket;
    },
    connect: async (url, userId) => cluster.track(await connectSocket(url, tokenFor(userId))),
    close: async () => {
      sockets.forEach((s) => s.close());
      await Promise.all(ids.map((id) => cluster.nodes[id]?.close()));
      await cluster.fake.close();
      await infra.stop();
    },
  };
  const started = await Promise.all(ids.map((id) => startNode(infra, id, nodeEnvs[id])));
  ids.forEach((id, i) => (cluster.nodes[id] = started[i] as TestNode));
  return cluster;
}
