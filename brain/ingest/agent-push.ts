/** The agents' pushable configuration (`agent_config`), sent after Welcome. */
import { readFileSync } from 'node:fs';
import type { BrainConfig } from '../config.js';

export function loadAgentPush(config: BrainConfig): { version: number; yaml: string } | undefined {
  if (!config.agent_config) return undefined;
  const yaml = readFileSync(config.agent_config, 'utf8');
  // The version is a content hash, so every brain of a pair pushes the same version for a file.
  let h = 0;
  for (let i = 0; i < yaml.length; i++) h = (Math.imul(h, 31) + yaml.charCodeAt(i)) >>> 0;
  return { version: h || 1, yaml };
}
