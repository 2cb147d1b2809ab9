import type { ReceivedSpan } from './otlp-receiver.js';

const ROW = 22;
const WIDTH = 1100;
const NAME_X = 200;
const BAR_X = 560;
const BAR_W = WIDTH - BAR_X - 80;
const COLORS = ['#4e79a7', '#59a14f', '#f28e2b', '#b07aa1', '#e15759', '#76b7b2', '#edc948', '#9c755f'];

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const who = (s: ReceivedSpan) => (s.instance ? `${s.service} ${s.instance}` : s.service);
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** A trace's spans, parents before children, siblings by start time, each with its depth. */
function treeOrder(spans: ReceivedSpan[]): { span: ReceivedSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  const rows: { span: ReceivedSpan; depth: number }[] = [];
  const visit = (s: ReceivedSpan, depth: number) => {
    rows.push({ span: s, depth });
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => a.startMs - b.startMs)) visit(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startMs - b.startMs)) visit(r, 0);
  return rows;
}

/**
 * A waterfall of one message's trace and the traces linked to it (the socket's upgrade at the
 * edge, the consumers of its event), as SVG: a row per span with its service (and gateway node),
 * its name, and a bar for when it ran, each trace on its own time scale.
 */
export function traceWaterfallSvg(spans: ReceivedSpan[], mainTraceId: string, title: string): string {
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const start = (list: ReceivedSpan[]) => Math.min(...list.map((s) => s.startMs));
  const traces = [...byTrace.entries()].sort(
    ([a, x], [b, y]) => Number(b === mainTraceId) - Number(a === mainTraceId) || start(x) - start(y),
  );
  const mainStart = start(byTrace.get(mainTraceId) ?? spans);
  const colorOf = new Map<string, string>();
  const color = (s: ReceivedSpan) => {
    if (!colorOf.has(who(s))) colorOf.set(who(s), COLORS[colorOf.size % COLORS.length] as string);
    return colorOf.get(who(s)) as string;
  };

  const out: string[] = [];
  let y = 50;
  for (const [traceId, list] of traces) {
    const t0 = start(list);
    const t1 = Math.max(...list.map((s) => s.startMs + s.durationMs));
    const range = Math.max(t1 - t0, 0.001);
    const offset = t0 - mainStart;
    const heading =
      traceId === mainTraceId
        ? `the message's trace ${traceId.slice(0, 8)}…: ${ms(range)} ms`
        : `linked trace ${traceId.slice(0, 8)}…: ${ms(range)} ms, starting ${ms(Math.abs(offset))} ms ${offset < 0 ? 'before' : 'after'} it`;
    out.push(`<rect x="0" y="${y - 15}" width="${WIDTH}" height="${ROW}" fill="#eef1f5"/>`);
    out.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(heading)}</text>`);
    for (let i = 0; i <= 4; i++) {
      const x = BAR_X + (BAR_W * i) / 4;
      out.push(`<text x="${x}" y="${y}" text-anchor="middle" fill="#555">${ms((range * i) / 4)}</text>`);
    }
    y += ROW;
    for (const { span, depth } of treeOrder(list)) {
      const x = BAR_X + ((span.startMs - t0) / range) * BAR_W;
      const w = Math.max(1, (span.durationMs / range) * BAR_W);
      const name = `${span.name} (${span.kind})`;
      out.push(`<text x="10" y="${y}" fill="${color(span)}">${escapeXml(who(span))}</text>`);
      out.push(`<text x="${NAME_X + depth * 12}" y="${y}">${escapeXml(name)}</text>`);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y - 12}" width="${w.toFixed(1)}" height="14" rx="2" fill="${color(span)}"/>`,
      );
      out.push(`<text x="${(x + w + 4).toFixed(1)}" y="${y}" fill="#333">${ms(span.durationMs)} ms</text>`);
      y += ROW;
    }
    y += 8;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...out,
    `</svg>`,
    '',
  ].join('\n');
}
