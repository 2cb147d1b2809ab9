import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_JWT_SECRET } from '@chat/platform';
import { spawnService, startTestInfra, type SpawnedService, type TestInfra } from '@chat/testkit';

const WEB_DIST = fileURLToPath(new URL('../../dist', import.meta.url));
/** Six processes start at once, maybe beside other test files: allow them time. */
const slow = { readyTimeoutMs: 45_000 };

export interface Stack {
  /** The edge: the page at `/`, the API and Socket.IO. */
  url: string;
  infra: TestInfra;
  stop(): Promise<void>;
}

/**
 * The real platform as `npm start` runs it, every service a process, two gateway nodes behind
 * the edge, which serves the built web client (clients/web/dist; `npm run build` first) with
 * the `devUsers` that deploy/local/start.mjs would list (in a copy: the build stays as built).
 */
export async function startStack(
  opts: { devUsers?: { name: string; userId: string; token: string }[] } = {},
): Promise<Stack> {
  if (!existsSync(join(WEB_DIST, 'index.html')))
    throw new Error(`no built web client in ${WEB_DIST}: run npm run build`);
  const infra = await startTestInfra();
  const mediaDir = mkdtempSync(join(tmpdir(), 'web-media-'));
  const webDir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  cpSync(WEB_DIST, webDir, { recursive: true });
  if (opts.devUsers) writeFileSync(join(webDir, 'dev-users.json'), JSON.stringify({ users: opts.devUsers }));
  const removeDirs = () => [mediaDir, webDir].forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  const base = infra.env;
  const started: SpawnedService[] = [];
  const track = (s: Promise<SpawnedService>) => s.then((svc) => (started.push(svc), svc));
  try {
    const [chat, message, media, gw1, gw2] = await Promise.all([
      track(spawnService('chat-api', base, slow)),
      track(spawnService('message-api', base, slow)),
      track(spawnService('media-service', { ...base, MEDIA_STORAGE_DIR: mediaDir }, slow)),
      track(spawnService('realtime-gateway', { ...base, GATEWAY_NODE_ID: 'gw1' }, slow)),
      track(spawnService('realtime-gateway', { ...base, GATEWAY_NODE_ID: 'gw2' }, slow)),
    ]);
    const edge = await track(
      spawnService('edge', {
        ...base,
        CHAT_API_URL: chat!.url,
        MESSAGE_API_URL: message!.url,
        MEDIA_SERVICE_URL: media!.url,
        GATEWAY_NODES: `gw1=${gw1!.url},gw2=${gw2!.url}`,
        WEB_CLIENT_DIR: webDir,
        // The edge serves dev-users.json only with the development secret, which it only compares
        // with (the services keep the test secret that signed the tokens).
        ...(opts.devUsers && { JWT_SECRET: DEV_JWT_SECRET }),
      }),
    );
    const stop = async () => {
      await Promise.all(started.map((s) => s.stop()));
      await infra.stop();
      removeDirs();
    };
    return { url: edge.url, infra, stop };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await infra.stop();
    removeDirs();
    throw err;
  }
}
