// CPU time and memory of processes, read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sleep } from './stats.mjs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid` in seconds, or undefined once it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)", which may itself hold spaces: state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};
const allPids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

/** The FerretDB (or mongod) process listening on the port of `mongoUrl`. */
export function mongoServerPids(mongoUrl) {
  const port = new URL(mongoUrl).port || '27017';
  return allPids().filter((pid) => {
    const args = cmdline(pid);
    const exe = args[0] ?? '';
    if (/ferretdb$/.test(exe)) return args.some((a) => a.startsWith('--listen-addr=') && a.endsWith(`:${port}`));
    if (/mongod$/.test(exe)) return port === '27017' || args.includes(port) || args.includes(`--port=${port}`);
    return false;
  });
}

/** Busy and total CPU seconds of the whole machine, all cores (/proc/stat), or undefined. */
function machineCpu() {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = ticks[3] + (ticks[4] ?? 0); // idle + iowait
    const total = ticks.slice(0, 8).reduce((s, t) => s + t, 0); // without guest time, counted in user
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** cutime + cstime of `pid` in seconds: the CPU of its children that exited and were reaped. */
function reapedChildrenSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * Starts counting the CPU seconds each group of processes uses; the returned function stops and
 * answers { seconds, cpuSeconds, coreFraction, byGroup, machineBusyCores }: the last is what the
 * whole machine used meanwhile, ours and everyone else's, in cores. `groups()` is evaluated at the start
 * and at each stop (the function may be called again later: it counts from the same start), so
 * processes that appear meanwhile (a new PostgreSQL backend) count from zero, and those that exit
 * count until they were last seen.
 * A process that starts and exits between two looks is not seen at all: PostgreSQL starts an
 * autovacuum worker every naptime, and a worker often lives less than a second. `reapers()`
 * (`{ group: pid }`, e.g. `{ postgres: <postmaster> }`) catches those: the CPU of the children
 * that pid reaped meanwhile (its cutime + cstime) counts as group `<group> (exited)`, less what
 * that group's own processes that exited meanwhile had used before the start and until last seen
 * (counted already, or not ours to count), so each exited process counts once, from the start.
 * The parent reaps every child, ours or not: the figure also holds other clients' exited
 * backends of the same PostgreSQL, an upper bound.
 */
export function cpuMeter(groups, { reapers = () => ({}) } = {}) {
  const snapshot = () => {
    const byPid = new Map();
    for (const [group, pids] of Object.entries(groups())) for (const pid of pids) byPid.set(pid, { group, cpu: cpuSeconds(pid) });
    return byPid;
  };
  const reaped = () => Object.entries(reapers()).map(([group, pid]) => ({ group, pid, cpu: reapedChildrenSeconds(pid) }));
  const before = snapshot();
  const reapedBefore = reaped();
  const seen = new Map([...before].filter(([, v]) => v.cpu !== undefined)); // pid -> its group and CPU when last seen alive
  const machineBefore = machineCpu();
  const t0 = performance.now();
  return () => {
    const after = snapshot();
    const reapedAfter = reaped();
    const machineAfter = machineCpu();
    const seconds = (performance.now() - t0) / 1000;
    for (const [pid, v] of after) if (v.cpu !== undefined) seen.set(pid, v);
    const used = {};
    for (const [pid, { group, cpu }] of seen) {
      const start = before.get(pid)?.cpu ?? 0;
      used[group] = (used[group] ?? 0) + Math.max(0, cpu - start);
    }
    for (const { group, pid, cpu } of reapedBefore) {
      const now = reapedAfter.find((r) => r.group === group && r.pid === pid)?.cpu;
      if (cpu === undefined || now === undefined) continue;
      let counted = 0;
      for (const [p, v] of seen) if (v.group === group && cpuSeconds(p) === undefined) counted += v.cpu;
      used[`${group} (exited)`] = Math.max(0, now - cpu - counted);
    }
    const total = Object.values(used).reduce((s, v) => s + v, 0);
    const machineBusyCores = machineBefore && machineAfter ? (machineAfter.busy - machineBefore.busy) / seconds : undefined;
    return { seconds, cpuSeconds: total, coreFraction: total / seconds, byGroup: used, machineBusyCores };
  };
}

/** CPU seconds each group of processes used during `seconds` of idling (see cpuMeter). */
export async function idleCpu(groups, seconds) {
  const stop = cpuMeter(groups);
  await sleep(seconds * 1000);
  return { ...stop(), seconds };
}

/**
 * A cpuMeter result spread over `count` messages: milliseconds of CPU per message, in all and
 * per group (undefined when nothing was counted).
 */
export function cpuPerMessage(cpu, count) {
  if (!cpu || !(count > 0)) return undefined;
  const ms = (s) => (s * 1000) / count;
  return {
    messages: count,
    ms: ms(cpu.cpuSeconds),
    byGroup: Object.fromEntries(Object.entries(cpu.byGroup).map(([g, s]) => [g, ms(s)])),
  };
}
