/**
 * The brain's HTTP part: the API, the wall board and /metrics (brain/http/api.ts), on its own port,
 * with its access control (users, tokens, sessions: brain/access/) and HTTPS when configured.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { shortHash } from '../../lib/short-hash.js';
import { VERSION } from '../../lib/version.js';
import type { BrainConfig } from '../config.js';
import { startApi, type ApiDeps } from '../http/api.js';
import { splitAddress } from '../ingest/server.js';
import { httpAccess, httpTls } from '../http/http-access.js';
import type { Clock } from '../../lib/clock.js';

export interface HttpPart {
  readonly port: number;
  close(): Promise<void>;
}

type Deps = Omit<ApiDeps, 'brainId' | 'version' | 'access' | 'hosts' | 'origins' | 'config' | 'agentConfigHash'>;

/** `secret`: the state directory's (lib/secret-file.ts), keying the wall board's sessions. */
export async function startHttp(config: BrainConfig, deps: Deps, secret: Buffer, clock: Clock): Promise<HttpPart> {
  const access = httpAccess(config, secret, clock);
  // The digest of the agent configuration this brain pushes (read as the ingest part reads it, at start).
  const agentConfigHash = config.agent_config ? shortHash(readFileSync(config.agent_config, 'utf8')) : '';
  const api: Server = await startApi(
    splitAddress(config.http),
    { brainId: config.brain.id, version: VERSION, agentConfigHash, ...deps, ...access },
    httpTls(config),
  );
  const addr = api.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: async () => {
      await new Promise<void>((r) => api.close(() => r()));
      api.closeAllConnections();
    },
  };
}
