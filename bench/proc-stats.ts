// What Linux says a process and the machine spent, from /proc: a process's CPU time split by
// thread (the JS main thread, libuv's pool where Node runs async crypto, V8's GC helpers), its
// resident memory, and the whole machine's busy time, so a bench can say how much of the box
// others were using while it measured.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on). */
export const CLOCK_TICKS = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one /proc stat line, in ms. The command name may hold spaces: split after ')'. */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15 (proc(5)).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export function processCpuMs(pid: number): number {
  return statCpuMs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU ms per thread group: the main thread ("main"), and others by their kernel name. */
export function threadCpuMs(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const name = tid === String(pid) ? 'main' : comm.replace(/\d+$/, '').trim() || comm;
      out[name] = (out[name] ?? 0) + statCpuMs(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export function diffThreads(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) out[name] = Math.round(ms - (before[name] ?? 0));
  return out;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 'NaN');
}

export const rssMb = (pid: number) => Math.round(statusKb(pid, 'VmRSS') / 1024);
/** The process's peak resident set since it started. */
export const peakRssMb = (pid: number) => Math.round(statusKb(pid, 'VmHWM') / 1024);

/**
 * The peaks of a process and of its children, summed: with ORCHARD_PROCESSES above 1 the
 * server is a supervisor and its processes, and the sum is what the box needs at worst.
 */
export function peakRssWithChildrenMb(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const kb = [pid, ...children.map(Number)].reduce((sum, p) => sum + statusKb(p, 'VmHWM'), 0);
  return Math.round(kb / 1024);
}

/**
 * The machine's CPU time so far, in ms summed over every core (/proc/stat): busy (user, nice,
 * system, irq), steal (taken by the hypervisor for other guests) and the total.
 */
export function machineCpuMs(): { busy: number; steal: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  const busy = user + nice + system + irq + softirq;
  const ms = (t: number) => (t * 1000) / CLOCK_TICKS;
  return { busy: ms(busy), steal: ms(steal), total: ms(busy + steal + idle + iowait) };
}
