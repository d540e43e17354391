/**
 * The fleet inventory: what the host is (OS, kernel, CPU, memory, NICs with speed and driver),
 * collected once at agent start with systeminformation and sent to the brain after each Welcome
 * (proto HostInventory). Never on the sampling path: one collection per process, in a child
 * process, measured (collect_ms), bounded (at most MAX_NICS interfaces, strings cut at MAX_TEXT).
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { IHostInventory } from '../proto/wire.js';

export const MAX_NICS = 64;
const MAX_TEXT = 200;

export { shortHash } from '../lib/short-hash.js';

const cut = (s: unknown): string => String(s ?? '').slice(0, MAX_TEXT);

/** The kernel driver bound to a NIC (`/sys/class/net/<if>/device/driver`), "" for virtual ones. */
function driverOf(sysRoot: string, iface: string): string {
  try {
    return basename(readlinkSync(join(sysRoot, 'class/net', iface, 'device/driver')));
  } catch {
    return '';
  }
}

/** What the child prints: systeminformation's answers, trimmed to what the inventory uses. */
interface Raw {
  os: { distro?: string; release?: string; codename?: string; kernel?: string; arch?: string };
  cpu: { manufacturer?: string; brand?: string; cores?: number; physicalCores?: number };
  mem: { total?: number };
  nics: { iface?: string; mac?: string; speed?: number | null }[];
}

// systeminformation runs in a short-lived child: loaded into the agent it would stay in its RSS
// for good (+13.5 MB measured, docs/benchmarks.md), for answers needed once.
const CHILD = `
const si = (await import(process.argv[1])).default;
const [os, cpu, mem, nics] = await Promise.all([si.osInfo(), si.cpu(), si.mem(), si.networkInterfaces()]);
process.stdout.write(JSON.stringify({ os, cpu, mem: { total: mem.total }, nics: (Array.isArray(nics) ? nics : [nics]).map((n) => ({ iface: n.iface, mac: n.mac, speed: n.speed })) }));
`;

function collectRaw(timeoutMs: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD, import.meta.resolve('systeminformation')],
      {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 1024 * 1024,
        env: { PATH: [process.env['PATH'], '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'].filter(Boolean).join(':'), LANG: 'C' },
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message.split('\n')[0]} ${stderr.slice(0, 300)}`));
        try {
          resolve(JSON.parse(stdout) as Raw);
        } catch (parseErr) {
          reject(parseErr as Error);
        }
      },
    );
  });
}

export async function collectInventory(opts: {
  sysRoot: string;
  configHash: string;
  timeoutMs?: number;
  now?: () => number;
}): Promise<IHostInventory> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const { os, cpu, mem, nics } = await collectRaw(opts.timeoutMs ?? 30_000);
  return {
    os: cut([os.distro, os.release, os.codename ? `(${os.codename})` : ''].filter(Boolean).join(' ')),
    kernel: cut(os.kernel),
    arch: cut(os.arch),
    cpuModel: cut([cpu.manufacturer, cpu.brand].filter(Boolean).join(' ')),
    cpuCores: cpu.cores ?? 0,
    cpuPhysicalCores: cpu.physicalCores ?? 0,
    memoryBytes: mem.total ?? 0,
    nics: nics.slice(0, MAX_NICS).map((n) => ({
      name: cut(n.iface),
      mac: cut(n.mac),
      speedMbps: typeof n.speed === 'number' ? Math.round(n.speed) : -1,
      driver: cut(driverOf(opts.sysRoot, String(n.iface ?? ''))),
    })),
    configHash: opts.configHash,
    pushedConfigHash: '',
    nodeVersion: process.version,
    collectMs: Math.round(now() - started),
  };
}
