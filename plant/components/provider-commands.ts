import { createSocket } from 'node:dgram';
import type { PlantConfig } from '../config.js';

/** Commands the provider takes on its control port (JSON datagrams), validated before use. */
export type ProviderCommand =
  | { cmd: 'burst'; factor: number; ms: number }
  | { cmd: 'rate'; rate: number }
  | { cmd: 'pause' }
  | { cmd: 'resume' }
  | { cmd: 'outage'; line?: string; ms: number }
  | { cmd: 'gap'; line?: string; count: number };

export function parseProviderCommand(msg: Record<string, unknown>, lineNames: string[]): ProviderCommand | string {
  const n = (k: string, min: number): number | string => {
    const v = msg[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : `${k} must be a number >= ${min}`;
  };
  const line = msg['line'];
  if (line !== undefined && (typeof line !== 'string' || !lineNames.includes(line))) return `line must be one of ${lineNames.join(', ')}`;
  const lineField = typeof line === 'string' ? { line } : {};
  switch (msg['cmd']) {
    case 'burst': {
      const factor = n('factor', 1);
      const ms = n('ms', 0);
      return typeof factor === 'string' ? factor : typeof ms === 'string' ? ms : { cmd: 'burst', factor, ms };
    }
    case 'rate': {
      const rate = n('rate', 0);
      return typeof rate === 'string' ? rate : { cmd: 'rate', rate };
    }
    case 'pause':
      return { cmd: 'pause' };
    case 'resume':
      return { cmd: 'resume' };
    case 'outage': {
      const ms = n('ms', 0);
      return typeof ms === 'string' ? ms : { cmd: 'outage', ms, ...lineField };
    }
    case 'gap': {
      const count = n('count', 1);
      return typeof count === 'string' ? count : { cmd: 'gap', count: Math.floor(count), ...lineField };
    }
    default:
      return 'cmd must be one of burst, rate, pause, resume, outage, gap';
  }
}

/**
 * Sends one JSON command to a control port (the provider's by default, or the FIX venue's) and
 * resolves with the answer (`floorwatch plant ctl`, `floorwatch plant fix-ctl`).
 */
export function sendProviderCommand(cfg: PlantConfig, msg: object, port: number = cfg.provider.control_port): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`nothing answered on ${cfg.host}:${port} within 2 s`));
    }, 2000);
    s.on('message', (buf) => {
      clearTimeout(timer);
      s.close();
      resolve(buf.toString('utf8'));
    });
    s.send(JSON.stringify(msg), port, cfg.host);
  });
}
