// Turns the measurements into target rows, the printed table and the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ratio = (value, baseline) => (value === undefined || !baseline ? undefined : value / baseline);
const meets = (r, op, target) => (r === undefined ? false : op === '>=' ? r >= target : op === '<=' ? r <= target : r < target);

/** One figure against its in-run baseline; `pass` is false when either side is missing. */
function row(id, measure, value, unit, baselineLabel, baseline, op, target, baselineUnit = unit) {
  const r = unit === '%core' ? value : ratio(value, baseline);
  return { id, measure, value, unit, baselineLabel, baseline, baselineUnit, ratio: r, target: `${op} ${target}${unit === '%core' ? '' : '×'}`, op, targetValue: target, pass: meets(r, op, target) };
}

/** A figure against a fixed target rather than a baseline: no ratio. */
function absoluteRow(id, measure, value, unit, op, target) {
  return { id, measure, value, unit, baselineLabel: 'absolute target', baseline: undefined, baselineUnit: unit, ratio: undefined, absolute: true, target: `${op} ${fmt(target, unit)}`, op, targetValue: target, pass: meets(value, op, target) };
}

/** Row c1's figure of a send load: CPU ms per message, counted until the backlog drained when it was. */
export const cpuPerMessageOf = (run) => run?.cpuPerMessageSettled ?? run?.cpuPerMessage;

/**
 * The rows of the send path on the small store (rows 1-3, c1, i3), all that `--only sends`
 * measures. Rows 1 and 2b are against the floor (floor-server.mjs, same run), 2a and 3 against
 * raw inserts, c1 is the CPU of every process of the stack per message of the 8 × 4 load.
 */
function sendRows(m) {
  const stackCpu = cpuPerMessageOf(m.send32Small)?.ms;
  const floorCpu = cpuPerMessageOf(m.floor32)?.ms;
  const cpuMeasure = 'stack CPU per msg acked+received, 8 chats × 4';
  return [
    row('1', 'msg/s acked+received via edge, 1 in flight', m.send1Small?.perSecond, '/s', 'floor msg/s, 1 in flight (f1)', m.floor1?.perSecond, '>=', 0.5),
    row('2a', 'msg/s acked+received via edge, 8 chats × 4', m.send32Small?.perSecond, '/s', 'raw insertOne/s, 32 at a time', m.raw32?.perSecond, '>=', 0.45),
    row('2b', 'msg/s acked+received via edge, 8 chats × 4', m.send32Small?.perSecond, '/s', 'floor msg/s, 8 chats × 4 (f2)', m.floor32?.perSecond, '>=', 0.25),
    row('3a', 'send→receive p50, 1 in flight', m.send1Small?.receiveP50, 'ms', 'raw insertOne p50', m.raw1?.p50, '<=', 3.5),
    row('3b', 'send→receive p99, 1 in flight', m.send1Small?.receiveP99, 'ms', 'raw insertOne p99', m.raw1?.p99, '<=', 3.5),
    absoluteRow('c1a', cpuMeasure, stackCpu, 'cpums', '<=', 2.0),
    row('c1b', cpuMeasure, stackCpu, 'cpums', 'floor CPU per msg, 8 chats × 4', floorCpu, '<=', 3.5),
    row('i3', 'msg/s, 10 pairs across 2 gateways', m.twoGateways?.perSecond, '/s', 'same on 1 gateway process', m.oneGateway?.perSecond, '>=', 0.9),
  ];
}

/**
 * The target rows (numbered as in deploy/bench/README.md). `include` says which of the optional
 * phases ran or should have: the second load (rows 4'-6'), the big chat (9), the soak (10);
 * `only: 'sends'` (bench.mjs --only sends) is the send rows alone, the only ones that mode measures.
 */
export function targetRows(m, labels, include = { second: true, big: true, soak: true }) {
  const { small, large } = labels;
  if (include.only === 'sends') return sendRows(m);
  return [
    ...sendRows(m),
    row('4a', `msg/s 1 in flight, ${large} stored`, m.send1Large?.perSecond, '/s', `same, ${small} stored`, m.send1Small?.perSecond, '>=', 0.9),
    row('4b', `msg/s 8 × 4, ${large} stored`, m.send32Large?.perSecond, '/s', `same, ${small} stored`, m.send32Small?.perSecond, '>=', 0.9),
    row('5a', `GET /messages p50, ${large} stored`, m.readsLarge?.messages.p50, 'ms', `same, ${small} stored`, m.readsSmall?.messages.p50, '<=', 1.5),
    row('5b', `GET /changes?since=0 p50, ${large} stored`, m.readsLarge?.changes.p50, 'ms', `same, ${small} stored`, m.readsSmall?.changes.p50, '<=', 1.5),
    row('5c', `GET /search p50, ${large} stored`, m.readsLarge?.search.p50, 'ms', `same, ${small} stored`, m.readsSmall?.search.p50, '<=', 1.5),
    row('6', `idle stack CPU over ${m.idle?.seconds ?? '?'} s, ${large} stored`, m.idle?.coreFraction, '%core', 'one core', 1, '<', 0.05),
    row('7', `RSS per idle socket, ${m.gatewayRss?.sockets ?? '?'} on 1 gateway`, m.gatewayRss?.perSocketBytes, 'KiB', `bare socket.io, ${m.bareRss?.sockets ?? '?'} sockets`, m.bareRss?.perSocketBytes, '<=', 1.3),
    ...abuseRows(m.abuse),
    ...(include.second ? secondLoadRows(m, labels) : []),
    ...(include.big ? bigChatRows(m.bigChat, labels) : []),
    ...(include.soak ? soakRows(m, labels) : []),
  ];
}

/** Rows 4-6 again after the second load (to `--stored2`), against the same baselines. */
function secondLoadRows(m, { small, second }) {
  return [
    row("4a'", `msg/s 1 in flight, ${second} stored`, m.send1Second?.perSecond, '/s', `same, ${small} stored`, m.send1Small?.perSecond, '>=', 0.9),
    row("4b'", `msg/s 8 × 4, ${second} stored`, m.send32Second?.perSecond, '/s', `same, ${small} stored`, m.send32Small?.perSecond, '>=', 0.9),
    row("5a'", `GET /messages p50, ${second} stored`, m.readsSecond?.messages.p50, 'ms', `same, ${small} stored`, m.readsSmall?.messages.p50, '<=', 1.5),
    row("5b'", `GET /changes?since=0 p50, ${second} stored`, m.readsSecond?.changes.p50, 'ms', `same, ${small} stored`, m.readsSmall?.changes.p50, '<=', 1.5),
    row("5c'", `GET /search p50, ${second} stored`, m.readsSecond?.search.p50, 'ms', `same, ${small} stored`, m.readsSmall?.search.p50, '<=', 1.5),
    row("6'", `idle stack CPU over ${m.idleSecond?.seconds ?? '?'} s, ${second} stored`, m.idleSecond?.coreFraction, '%core', 'one core', 1, '<', 0.05),
  ];
}

/** Row 9: the calls of a client in ONE chat of `--big` messages against a chat of 100, medians of alternating calls. */
export const BIG_CHAT_CALLS = [
  ['9a', 'first', 'GET /messages?limit=50'],
  ['9b', 'before', 'GET /messages?before=<middle>'],
  ['9c', 'after', 'GET /messages?after=<middle>'],
  ['9d', 'page3', 'GET /messages?limit=25&page=3'],
  ['9e', 'tail', 'GET /changes, last 100'],
  ['9f', 'since0', 'GET /changes?since=0'],
  ['9g', 'search', 'GET /search?q=<word>'],
  ['9h', 'edit', 'edit + add_reaction acks, middle msg'],
  ['9i', 'read', 'mark_as_read of 3 old msgs, ack'],
  ['9j', 'reply', 'send_message replying to an old one, ack'],
];

function bigChatRows(big, { big: size, twin }) {
  return BIG_CHAT_CALLS.map(([id, key, what]) => {
    const r = big?.[key];
    const value = r?.error ? undefined : r?.big.p50;
    return {
      ...row(id, `${what} p50, chat of ${size}`, value, 'ms', `same, chat of ${twin}`, r?.error ? undefined : r?.small.p50, '<=', 1.5),
      lowerBound: r?.big.lowerBound === true,
    };
  });
}

/** Row 10: rows 5a-5c's reads after the soak against the same just before it; dead rows per table after it. */
function soakRows(m, { soakMinutes }) {
  const reads = [
    ['10a', 'messages', 'GET /messages'],
    ['10b', 'changes', 'GET /changes?since=0'],
    ['10c', 'search', 'GET /search'],
  ].map(([id, key, what]) =>
    row(id, `${what} p50 after a ${soakMinutes} min soak`, m.readsAfterSoak?.[key].p50, 'ms', 'same, just before it', m.readsBeforeSoak?.[key].p50, '<=', 1.2),
  );
  const d = m.deadRows;
  const dead = ['chats', 'messages', 'send_outbox', 'read_outbox'].map((c, i) => {
    const t = d?.tables?.[c];
    const r = row(`10${'defg'[i]}`, `dead rows of ${c}' table after the soak`, t?.dead, 'rows', 'live rows', t?.live, '<=', d?.ratio ?? 2);
    // Within ratio × live plus the server's own autovacuum threshold (see dead-rows.mjs).
    const ok = t !== undefined && t.dead !== null && t.live !== null && t.dead <= d.ratio * t.live + d.threshold;
    return {
      ...r,
      ratio: t ? (t.live > 0 ? t.dead / t.live : t.dead > 0 ? Infinity : 0) : undefined,
      target: `<= ${r.targetValue}× + ${d?.threshold ?? '?'}`,
      pass: ok,
      slackRows: d?.threshold,
    };
  });
  return [...reads, ...dead];
}

/** Row 8: honest 8 × 4 while abusers flood, against the same load clean; missed unless every abuser was limited or cut off. */
function abuseRows(abuse) {
  const n = abuse?.totals?.abusers ?? '?';
  const baseline = 'same, no abusers (mean of runs before and after)';
  const limited = abuse?.totals?.limitedAll === true;
  return [
    row('8a', `honest msg/s 8 × 4, ${n} abusers flooding`, abuse?.abused?.perSecond, '/s', baseline, abuse?.clean?.perSecond, '>=', 0.8),
    row('8b', `honest send→ack+receive p99 8 × 4, ${n} abusers`, abuse?.abused?.p99, 'ms', baseline, abuse?.clean?.p99, '<=', 1.25),
  ].map((r) => ({ ...r, pass: r.pass && limited, abusersLimited: limited }));
}

const counts = (byCode) =>
  Object.entries(byCode ?? {})
    .sort((x, y) => y[1] - x[1])
    .map(([code, k]) => `${code} ${k.toLocaleString('en')}`)
    .join(', ');

const machine = (run) => run?.cpu?.machineBusyCores?.toFixed(2) ?? '?';

/** `group before→after` in cores for every process group that used 0.01 core or more. */
function cpuShift(before, after) {
  if (!before || !after) return 'n/a';
  const cores = (run, g) => (run.byGroup[g] ?? 0) / run.seconds;
  const groups = [...new Set([...Object.keys(before.byGroup), ...Object.keys(after.byGroup)])];
  return groups
    .filter((g) => Math.max(cores(before, g), cores(after, g)) >= 0.01)
    .map((g) => `${g} ${cores(before, g).toFixed(2)}→${cores(after, g).toFixed(2)}`)
    .join(', ');
}

/** The abusers' side of row 8, for the table's footer: what each one sent and what it got back. */
export function abuseLines(abuse) {
  if (!abuse?.totals) return ['abusers: did not run'];
  const t = abuse.totals;
  const l = abuse.limits;
  return [
    `abusers: ${t.abusers}, refused ${t.refused.toLocaleString('en')} of ${t.sent.toLocaleString('en')} events (${counts(t.refusedByCode)}), admitted ${t.admitted.toLocaleString('en')}, disconnected ${t.cutAbusers} (${t.cut.toLocaleString('en')} times)` +
      `${t.limitedAll ? '' : ' -- NOT every abuser was limited or disconnected: rows 8a/8b missed'}; limits: ${l.points} events/${l.windowS} s per user (default ${l.defaultPoints}), frame ${l.frameBytes} B, garbage cut ${l.garbage}, content ${l.contentMax}`,
    `  CPU in cores, clean before → abused: ${cpuShift(abuse.cleanBefore?.cpu, abuse.abused?.cpu)}; the whole machine ${machine(abuse.cleanBefore)} → ${machine(abuse.abused)} (clean after: ${machine(abuse.cleanAfter)})`,
    ...abuse.abusers.map(
      (a) =>
        `  ${a.kind.padEnd(9)} sent ${a.sent.toLocaleString('en')} (${(a.sent / Math.max(a.floodSeconds, 0.001)).toFixed(0)}/s): refused ${a.refusedTotal.toLocaleString('en')}${a.refusedTotal ? ` (${counts(a.refused)})` : ''}, ok ${a.admitted.toLocaleString('en')}, unanswered ${a.unanswered}; disconnected ${counts(a.disconnects) || 'never'}; ${a.connects} connects${Object.keys(a.connectErrors).length ? ` (failed: ${counts(a.connectErrors)})` : ''} on ${Object.keys(a.nodes).join('+')}`,
    ),
  ];
}

/** The old comparisons, kept for information (no target); with `only: 'sends'` the floor's alone. */
export function infoRows(m, { only } = {}) {
  const info = (id, measure, value, unit, baselineLabel, baseline) => ({ id, measure, value, unit, baselineLabel, baseline, baselineUnit: unit, ratio: ratio(value, baseline), target: '', pass: undefined });
  const floor = [
    // The floor (floor-server.mjs): Socket.IO + group-committed inserts + emit in one process, nothing else.
    info('f1', 'floor msg/s, 1 in flight', m.floor1?.perSecond, '/s', 'raw insertOne/s, 1 at a time', m.raw1?.perSecond),
    info('f2', 'floor msg/s, 8 chats × 4', m.floor32?.perSecond, '/s', 'raw insertOne/s, 32 at a time', m.raw32?.perSecond),
    info('f3', 'floor send→receive p50, 1 in flight', m.floor1?.receiveP50, 'ms', 'raw insertOne p50', m.raw1?.p50),
  ];
  if (only === 'sends') return floor;
  return [
    info('i1', 'REST GET /api/chats/:id via edge, msg/s', m.restEdge?.perSecond, '/s', 'straight at chat-api', m.restDirect?.perSecond),
    info('i2', 'REST GET /api/chats/:id via edge, p95', m.restEdge?.p95, 'ms', 'straight at chat-api', m.restDirect?.p95),
    info('i4', 'raw insertOne/s, 1 at a time, large store', m.raw1Large?.perSecond, '/s', 'same, small store', m.raw1?.perSecond),
    // Row 8 in a form other work on the machine does not skew: both sides shrink when others take CPU.
    info('i5', 'honest msg per core the stack used, abusers', m.abuse?.abused?.perStackCore, '/core', 'same, no abusers', m.abuse?.clean?.perStackCore),
    ...floor,
  ];
}

const fmt = (v, unit) => {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (unit === '/s') return `${v.toFixed(0)}/s`;
  if (unit === '/core') return `${v.toFixed(0)}/core·s`;
  if (unit === 'ms') return `${v.toFixed(1)} ms`;
  if (unit === 'cpums') return `${v.toFixed(2)} ms`;
  if (unit === 'KiB') return `${(v / 1024).toFixed(1)} KiB`;
  if (unit === '%core') return `${(v * 100).toFixed(2)}% core`;
  if (unit === 'rows') return `${v.toLocaleString('en')} rows`;
  return String(v);
};

export function printTable(rows, info, extra) {
  const head = ['#', 'measure', 'value', 'baseline (same run)', 'ratio', 'target', 'result'];
  const cells = (r) => [
    r.id,
    r.measure,
    `${r.lowerBound ? '≥ ' : ''}${fmt(r.value, r.unit)}`,
    r.absolute ? r.baselineLabel : `${fmt(r.baseline, r.baselineUnit === '%core' ? '' : r.baselineUnit)}  ${r.baselineLabel}`,
    r.absolute ? '' : r.ratio === undefined || Number.isNaN(r.ratio) ? 'n/a' : r.ratio === Infinity ? '∞' : r.unit === '%core' ? `${(r.ratio * 100).toFixed(2)}%` : `${r.lowerBound ? '≥ ' : ''}${r.ratio.toFixed(2)}×`,
    r.target,
    r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED',
  ];
  const lines = [head, ...rows.map(cells), null, ...info.map(cells)];
  const widths = head.map((_, i) => Math.max(...lines.filter(Boolean).map((l) => String(l[i]).length)));
  const out = lines.map((l) => (l ? l.map((c, i) => String(c).padEnd(widths[i])).join('  ') : '-'.repeat(widths.reduce((s, w) => s + w + 2, 0))));
  console.log(['', ...out, '', ...extra].join('\n'));
}

/** Writes `<dir>/<timestamp>.json` and returns its path. */
export function writeJson(dir, startedAt, result) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

const seconds1 = (v) => (v === undefined ? '?' : v.toFixed(1));

/** How the store was filled: rates of the bulk loads and of setting the chats' counters. */
export function seedingLines(m) {
  const line = (name, r) =>
    r ? `  ${name}: ${r.written.toLocaleString('en')} messages in ${seconds1(r.seconds)} s (${r.perSecond.toFixed(0)}/s), the counters of ${r.chats} chats in ${seconds1(r.countersSeconds)} s` : undefined;
  return [line('first load', m.seeding), line('second load', m.seeding2)].filter(Boolean);
}

/** CPU seconds per process group of an idle window, for the footer. */
export const idleGroups = (idle) => JSON.stringify(Object.fromEntries(Object.entries(idle?.byGroup ?? {}).map(([k, v]) => [k, Number(v.toFixed(2))])));

/** Row 9's footer: per row the calls timed on each side, and what timed out or failed. */
export function bigChatLines(big, cfg) {
  if (cfg.big <= 0) return ['one big chat (row 9): skipped (--big 0)'];
  if (!big) return ['one big chat (row 9): did not run'];
  return [
    `one big chat (row 9): ${cfg.big.toLocaleString('en')} messages against 100, calls alternating; a call is given up after ${(big.callTimeoutMs ?? 0) / 1000} s`,
    ...BIG_CHAT_CALLS.map(([id, key]) => {
      const r = big[key];
      if (!r) return `  ${id}: did not run`;
      const side = (x) => `${x.count} timed, p50 ${x.p50 === undefined ? 'n/a' : `${x.p50.toFixed(1)} ms`}, p95 ${x.p95 === undefined ? 'n/a' : `${x.p95.toFixed(1)} ms`}`;
      return `  ${id} ${key.padEnd(6)} big: ${side(r.big)}; small: ${side(r.small)}; ${seconds1(r.seconds)} s${r.timedOut ? `; TIMED OUT (${r.timedOut.side})` : ''}${r.error ? `; ERROR ${r.error}` : ''}`;
    }),
  ];
}

/** Row 10's footer: what the soak did, its rate minute by minute, and every table's rows. */
export function soakLines(m, cfg) {
  if (cfg.soakMinutes <= 0) return ['soak (row 10): skipped (--soak-minutes 0)'];
  const s = m.soak;
  if (!s) return ['soak (row 10): did not run'];
  const lines = [
    `soak (row 10): ${s.seconds.toFixed(0)} s, ${s.sent.toLocaleString('en')} messages (${s.perSecond.toFixed(0)}/s), ${s.edits.toLocaleString('en')} edits, ${s.reactions.toLocaleString('en')} reactions, ${s.reads.toLocaleString('en')} mark_as_read, ${s.errors} errors; backlog ${m.quietSoak?.settled ? 'drained' : 'NOT drained'} after ${seconds1(m.quietSoak?.seconds)} s`,
    `  msg/s minute by minute: ${s.perMinuteRates.map((r) => r.toFixed(0)).join(' ')}`,
  ];
  const d = m.deadRows;
  if (!d) return [...lines, '  dead rows: not measured'];
  const st = d.settings ?? {};
  lines.push(
    `  PostgreSQL tables of ${d.database} (pg_stat_user_tables, read ${seconds1(d.waitedSeconds)} s after the backlog drained): autovacuum ${st.autovacuum}, naptime ${st.autovacuum_naptime}, threshold ${st.autovacuum_vacuum_threshold} + ${st.autovacuum_vacuum_scale_factor} × live; target dead ≤ ${d.ratio} × live + ${d.threshold}`,
    ...Object.values(d.tables).map(
      (t) =>
        `    ${t.collection.padEnd(12)} ${t.table}: dead/live ${t.dead?.toLocaleString('en')}/${t.live?.toLocaleString('en')}; autovacuum ${t.autovacuums}×, autoanalyze ${t.autoanalyzes}×; by hand: vacuum ${t.vacuums}×, analyze ${t.analyzes}×`,
    ),
  );
  return lines;
}

/**
 * Row c1's footer: the CPU per message of each 8 × 4 load that counted it, split per process
 * group (ms of utime+stime per message acked and received), and what the whole machine used.
 */
export function cpuLines(m, labels) {
  const line = (name, run) => {
    const c = cpuPerMessageOf(run);
    if (!c) return `  ${name}: not measured`;
    const split = Object.entries(c.byGroup)
      .map(([g, ms]) => `${g} ${ms.toFixed(2)}`)
      .join(' + ');
    const settled = run.cpuPerMessageSettled
      ? `; ${run.cpuPerMessage.ms.toFixed(2)} of it during the load, the rest until the event backlog ${run.afterLoad?.settled ? 'drained' : 'was given up on (NOT drained)'} ${seconds1(run.afterLoad?.seconds)} s later`
      : '';
    return `  ${name}: ${c.ms.toFixed(2)} = ${split}; ${c.messages.toLocaleString('en')} messages in ${seconds1(run.seconds)} s${settled}; the whole machine ${machine(run)} cores busy during the load`;
  };
  const lines = ['CPU per message acked+received, 8 chats × 4 (ms of utime+stime per message, by process group):', line(`stack, ${labels.small} stored (c1)`, m.send32Small), line('floor (c1b\u2019s baseline)', m.floor32)];
  if (m.send32Large) lines.push(line(`stack, ${labels.large} stored`, m.send32Large));
  if (m.send32Second) lines.push(line(`stack, ${labels.second} stored`, m.send32Second));
  return lines;
}
