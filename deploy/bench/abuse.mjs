// Row 8, abuse during load: the honest 8 chats × 4 in flight measured clean, then while a few
// abusers (abusers.mjs, a child process) flood malformed payloads, oversized payloads and valid
// events past their per-user rate limit, then clean again. The baseline is the mean of the two
// clean runs, so drift on a busy machine cancels; all three use the same sockets, load and length.
//
// The rest of the bench raises SOCKET_RATE_LIMIT_POINTS so no limit bites. Here the limit must
// bite the abusers and not the honest senders, each of whom sends a whole chat's load: so the
// phase gets an edge and two gateways of its own, whose limit is the production default or
// LIMIT_HEADROOM × an honest sender's measured rate, whichever is higher. Every other limit
// (frame size, garbage cut, content length) is the default.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MESSAGE_CONTENT_MAX } from '@chat/contracts';
import { gatewayConfigSchema } from '@chat/realtime-gateway';
import { stopProcess } from '@chat/testkit';
import { closePairs, measureSends, openPairs } from './messaging.mjs';
import { sleep, within } from './stats.mjs';

const ABUSERS = fileURLToPath(new URL('./abusers.mjs', import.meta.url));
/** One abuser per entry, each its own user in a chat of its own. */
export const ABUSER_KINDS = ['malformed', 'oversized', 'flood', 'flood'];
const LIMIT_HEADROOM = 3;
// The phase's edge and gateways are new processes: an untimed load first, so the first clean run
// does not pay for their JIT warm-up (it measured ~30% lower than the second one without it).
const WARMUP_SECONDS = 3;
// The abusers are flooding before the timed sends start, and the stack has settled before the
// clean run that follows them.
const RAMP_MS = 1_000;
const SETTLE_MS = 2_000;

/** The next IPC message of `child`, or a rejection after `ms`. */
const reply = (child, ms, what) =>
  within(
    new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`abusers exited with ${code}`)));
    }),
    ms,
    what,
  );

/** Totals over the abusers for the table: refusals by code, cuts, and whether each was limited. */
function totalsOf(abusers) {
  const refusedByCode = {};
  for (const a of abusers)
    for (const [code, n] of Object.entries(a.refused)) refusedByCode[code] = (refusedByCode[code] ?? 0) + n;
  const sum = (key) => abusers.reduce((s, a) => s + a[key], 0);
  return {
    abusers: abusers.length,
    sent: sum('sent'),
    admitted: sum('admitted'),
    refused: sum('refusedTotal'),
    refusedByCode,
    cut: sum('cut'),
    cutAbusers: abusers.filter((a) => a.cut > 0).length,
    unanswered: sum('unanswered'),
    limitedAll: abusers.length > 0 && abusers.every((a) => a.sent > 0 && a.limited),
  };
}

/**
 * Runs the phase. `spawn(name, env)` / `stopOne(service)` / `stackPids()` are the bench's;
 * `honestRate` is the msg/s of the same 8 × 4 load measured earlier (it sizes the rate limit).
 * Each run also records the CPU seconds of every process, the clients' included.
 */
export async function abuseDuringLoad({
  spawn,
  stopOne,
  stackPids,
  env,
  upstream,
  honestChats,
  abuserChats,
  honestRate,
  load,
  kinds = ABUSER_KINDS,
}) {
  const defaults = gatewayConfigSchema.parse({ ...env, SOCKET_RATE_LIMIT_POINTS: undefined });
  const perSender = honestRate / honestChats.length;
  const points = Math.max(
    defaults.SOCKET_RATE_LIMIT_POINTS,
    Math.ceil(LIMIT_HEADROOM * perSender * defaults.SOCKET_RATE_LIMIT_WINDOW_S),
  );
  const gatewayEnv = { SOCKET_RATE_LIMIT_POINTS: String(points) };
  const limits = gatewayConfigSchema.parse({ ...env, ...gatewayEnv });
  const started = [];
  let child;
  let pairs = [];
  try {
    const gateways = await Promise.all(
      ['gwa1', 'gwa2'].map((id) => spawn('realtime-gateway', { ...gatewayEnv, GATEWAY_NODE_ID: id })),
    );
    started.push(...gateways);
    const edge = await spawn('edge', {
      CHAT_API_URL: upstream.chatApi.url,
      MESSAGE_API_URL: upstream.messageApi.url,
      MEDIA_SERVICE_URL: upstream.media.url,
      GATEWAY_NODES: gateways.map((g) => `${g.label}=${g.url}`).join(','),
    });
    edge.label = 'edge (phase)';
    started.push(edge);

    child = fork(ABUSERS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const abusers = abuserChats
      .slice(0, kinds.length)
      .map((c, i) => ({ kind: kinds[i], userId: c.a, chatId: c.chatId }));
    // Its own time limit: the timed load, its warm-up and the ramp, with room to spare.
    child.send({ url: edge.url, limits, contentMax: MESSAGE_CONTENT_MAX, seconds: load.seconds + 20, abusers });
    const ready = await reply(child, 30_000, 'abusers connecting');
    if (ready.connected !== abusers.length)
      throw new Error(`only ${ready.connected} of ${abusers.length} abusers connected`);
    pairs = await openPairs(honestChats, edge.url);
    const clients = { 'bench (honest clients)': [process.pid], abusers: [child.pid] };
    /** One timed run, with the CPU of every process and the honest msg/s per core the stack used. */
    const timed = async () => {
      const result = await measureSends(pairs, { ...load, cpuGroups: () => ({ ...stackPids(), ...clients }) });
      const { cpu } = result;
      const clientSeconds = Object.keys(clients).reduce((s, g) => s + (cpu.byGroup[g] ?? 0), 0);
      const stackCores = (cpu.cpuSeconds - clientSeconds) / cpu.seconds;
      return { ...result, cpu, stackCores, perStackCore: stackCores > 0 ? result.perSecond / stackCores : undefined };
    };

    await measureSends(pairs, { ...load, seconds: Math.min(load.seconds, WARMUP_SECONDS) });
    const cleanBefore = await timed();
    // Listening before 'start': past its own time limit the child reports unasked.
    const report = reply(child, (load.seconds + 60) * 1000, 'abuser report');
    report.catch(() => undefined); // awaited below
    child.send('start');
    await sleep(RAMP_MS);
    const abused = await timed();
    child.send('stop');
    const { abusers: seen } = await report;
    await sleep(SETTLE_MS);
    const cleanAfter = await timed();
    return {
      limits: {
        points,
        windowS: limits.SOCKET_RATE_LIMIT_WINDOW_S,
        defaultPoints: defaults.SOCKET_RATE_LIMIT_POINTS,
        frameBytes: limits.SOCKET_MAX_PAYLOAD_BYTES,
        garbage: `${limits.SOCKET_GARBAGE_LIMIT} in ${limits.SOCKET_GARBAGE_WINDOW_MS} ms`,
        contentMax: MESSAGE_CONTENT_MAX,
      },
      honestPerSenderEstimate: perSender,
      cleanBefore,
      abused,
      cleanAfter,
      clean: {
        perSecond: (cleanBefore.perSecond + cleanAfter.perSecond) / 2,
        p99: (cleanBefore.p99 + cleanAfter.p99) / 2,
        perStackCore: (cleanBefore.perStackCore + cleanAfter.perStackCore) / 2,
      },
      abusers: seen,
      totals: totalsOf(seen),
    };
  } finally {
    closePairs(pairs);
    if (child) await stopProcess(child, 'SIGTERM', child.connected ? () => child.send('close') : undefined);
    for (const s of started.reverse()) await stopOne(s);
  }
}
