import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import {
  api,
  connectSocket,
  emitAck,
  newUserId,
  nextEvent,
  spawnService,
  startTestInfra,
  tokenFor,
  type SpawnedService,
  type TestInfra,
} from '@chat/testkit';

// The chart's dashboard and alerts may only name metrics that the services really export: each
// service is started, and its live /metrics is the list.

const chart = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/helm/chat-platform');

/**
 * Metrics the alerts read that no service of ours exports, each with who does. Nothing else may
 * be missing from the services' /metrics.
 */
const EXTERNAL_METRICS: Record<string, string> = {
  // ChatPodsRestarting: kube-state-metrics (kube-prometheus-stack runs it), per container.
  kube_pod_container_status_restarts_total: 'kube-state-metrics',
};

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords,
 * label names (in matchers and in by/without/on/ignoring/group_* lists) or parts of numbers and
 * durations. `${name}` placeholders (the chart's thresholds, Grafana's variables) are dropped.
 */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/\$\{[^}]*\}/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const before = bare[m.index - 1] ?? ' ';
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (/[\w.$]/.test(before) || after.startsWith('(') || PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every `expr` of the dashboard's panels, and the metric of each `label_values(metric, label)` variable. */
function dashboardMetrics(dashboard: unknown): { exprs: string[]; names: string[] } {
  const exprs: string[] = [];
  const variables: string[] = [];
  const walk = (node: unknown, key = ''): void => {
    if (typeof node === 'string') {
      if (key === 'expr') exprs.push(node);
      if (key === 'definition')
        variables.push(...[...node.matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/g)].map((m) => m[1] as string));
    } else if (Array.isArray(node)) node.forEach((n) => walk(n));
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(dashboard);
  return { exprs, names: [...new Set([...exprs.flatMap(metricNamesOf), ...variables])] };
}

/**
 * Every `expr` of the rules file: inline, or a block scalar (`|`, `>`) of the lines indented
 * deeper than its key. The chart fills in only the `${...}` placeholders (templates/prometheusrule.yaml).
 */
function ruleExprs(rulesYaml: string): string[] {
  const lines = rulesYaml.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, i) => {
    const key = /^(\s*(?:- )?)expr:\s*(.*)$/.exec(line);
    if (!key) return;
    const [, lead = '', rest = ''] = key;
    if (!/^[|>][-+]?$/.test(rest.trim())) {
      exprs.push(rest);
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= lead.length) break;
      block.push(next);
    }
    exprs.push(block.join('\n'));
  });
  return exprs;
}

/** The metric names of samples in a Prometheus text exposition (histograms as their _bucket, _sum and _count). */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)[{\s]/.exec(line);
    if (sample) names.add(sample[1] as string);
  }
  return names;
}

/** Names used and neither exported nor allowed as external. */
const missingFrom = (exported: Set<string>, used: string[]) =>
  used.filter((name) => !exported.has(name) && !Object.hasOwn(EXTERNAL_METRICS, name)).sort();

const dashboardJson = JSON.parse(readFileSync(join(chart, 'files/grafana-dashboard.json'), 'utf8')) as {
  panels: { targets: unknown[] }[];
};
const dashboard = dashboardMetrics(dashboardJson);
const rulesYaml = readFileSync(join(chart, 'files/alert-rules.yaml'), 'utf8');
const rules = ruleExprs(rulesYaml);
const usedNames = [...new Set([...dashboard.names, ...rules.flatMap(metricNamesOf)])].sort();

describe('metric names in PromQL', () => {
  it('are found, and functions, keywords, labels, numbers, durations and placeholders are not', () => {
    const expr = `histogram_quantile(0.99, sum by (namespace, le) (rate(a_seconds_bucket{event="send_message", job=~"x|y"}[5m] offset 1h)))
      > \${sendAckP99Seconds} and on (namespace) b_total / ignoring(pod) group_left () max without (pod) (c:recorded) > 1e3 unless d{le="0.5"} == bool 2`;
    expect(metricNamesOf(expr).sort()).toEqual(['a_seconds_bucket', 'b_total', 'c:recorded', 'd']);
  });

  it('the files yield an expression per panel target and per alert, each naming a metric', () => {
    expect(dashboard.exprs.length).toBe(dashboardJson.panels.flatMap((p) => p.targets).length);
    expect(dashboardJson.panels.length).toBeGreaterThanOrEqual(8);
    expect(rules.length).toBe(rulesYaml.match(/^\s*- alert:/gm)?.length);
    for (const expr of [...dashboard.exprs, ...rules]) expect(metricNamesOf(expr), expr).not.toEqual([]);
  });
});

describe('the dashboard and the alerts name only metrics the running services export', () => {
  let infra: TestInfra;
  let mediaDir: string;
  const services: SpawnedService[] = [];
  const sockets: Socket[] = [];

  /** Every running service's /metrics, scraped now. */
  const scrape = async () => {
    const expositions = await Promise.all(services.map((s) => fetch(`${s.probeUrl}/metrics`).then((r) => r.text())));
    return exportedNames(expositions.join('\n'));
  };

  beforeAll(async () => {
    infra = await startTestInfra();
    mediaDir = mkdtempSync(join(tmpdir(), 'dashboard-media-'));
    const slow = { readyTimeoutMs: 45_000 };
    const [chat, message, media, gateway] = await Promise.all([
      spawnService('chat-api', infra.env, slow),
      spawnService('message-api', infra.env, slow),
      spawnService('media-service', { ...infra.env, MEDIA_STORAGE_DIR: mediaDir }, slow),
      spawnService('realtime-gateway', { ...infra.env, GATEWAY_NODE_ID: 'gw1' }, slow),
    ]);
    services.push(chat, message, media, gateway);
    services.push(
      await spawnService('edge', {
        ...infra.env,
        CHAT_API_URL: chat.url,
        MESSAGE_API_URL: message.url,
        MEDIA_SERVICE_URL: media.url,
        GATEWAY_NODES: `gw1=${gateway.url}`,
      }),
    );

    // One message from one socket to another, so that the latencies and counters have samples.
    const [alice, bob] = [newUserId(), newUserId()];
    const created = await api(chat.url, tokenFor(alice)).post('/api/chats/or-create', { recipientId: bob });
    const chatId = created.body.data._id as string;
    expect((await api(chat.url, tokenFor(bob)).post(`/api/chats/${chatId}/accept`)).status).toBe(200);
    const [a, b] = await Promise.all([
      connectSocket(gateway.url, tokenFor(alice)),
      connectSocket(gateway.url, tokenFor(bob)),
    ]);
    sockets.push(a, b);
    for (const s of sockets) expect(await emitAck(s, 'join_chat', { chatId })).toMatchObject({ ok: true });
    const received = nextEvent(b, 'message_received');
    expect(await emitAck(a, 'send_message', { chatId, content: 'metrics', clientMessageId: 'm-1' })).toMatchObject({
      ok: true,
    });
    await received;
  }, 120_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await infra?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('every metric of the dashboard and of the alerts is on a live /metrics, or is an allowed external one', async () => {
    // The consumer-lag gauges get their first samples once the durables exist (read every 5 s).
    const deadline = Date.now() + 20_000;
    let missing = missingFrom(await scrape(), usedNames);
    while (missing.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      missing = missingFrom(await scrape(), usedNames);
    }
    expect(missing).toEqual([]);
    expect(usedNames.length).toBeGreaterThanOrEqual(10);
  }, 30_000);

  it("the gateway timed the send to its ack and the message's emit to both sockets of the room", async () => {
    const gateway = services.find((s) => s.name === 'realtime-gateway') as SpawnedService;
    const text = await fetch(`${gateway.probeUrl}/metrics`).then((r) => r.text());
    const count = (name: string, labels: string[]) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)))
        .map((line) => Number(line.split(' ').pop()))
        .reduce((a, b) => a + b, 0);
    expect(count('socket_event_duration_seconds_count', ['event="send_message"', 'outcome="ok"'])).toBe(1);
    expect(count('socket_event_duration_seconds_count', ['event="join_chat"', 'outcome="ok"'])).toBe(2);
    expect(count('message_receive_delay_seconds_count', ['event="message_received"'])).toBe(2);
  });

  it('a made-up metric name in an expression is reported missing', async () => {
    const exported = await scrape();
    const used = metricNamesOf(
      'sum(rate(chat_made_up_messages_total{outcome="ok"}[5m])) / sum(rate(socket_events_total[5m]))',
    );
    expect(missingFrom(exported, used)).toEqual(['chat_made_up_messages_total']);
  });

  it('every allowed external metric is one the alerts use, and no service exports it', async () => {
    const exported = await scrape();
    for (const name of Object.keys(EXTERNAL_METRICS)) {
      expect(usedNames).toContain(name);
      expect(exported.has(name)).toBe(false);
    }
  });
});
