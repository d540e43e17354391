/**
 * The topology file: hosts (floor, desk, checkerboard colour, role, NICs) and plant components
 * (kind, host, fault-tolerant pair, dependencies), validated with file:line:field errors
 * (issue #5, item 3). The example is docs/examples/topology.yaml.
 */
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../lib/config-file.js';
import { ConfigError, FloorwatchError } from '../../lib/errors.js';
import { lineOfPath } from '../../lib/yaml-lines.js';

export const componentKinds = ['provider', 'feed_handler', 'ticker_plant', 'subscriber'] as const;
export type ComponentKind = (typeof componentKinds)[number];

export interface HostSpec {
  floor?: string;
  desk?: string;
  colour?: string;
  role?: string;
  nics?: string[];
}

export interface ComponentSpec {
  kind: ComponentKind;
  host: string;
  /** The fault-tolerant pair it is a leg of (fh, tp); absent for a single component. */
  pair?: string;
  /** The process name the agent's wrapper reports (`floorwatch run --name`); defaults to the component name. */
  process?: string;
  depends_on?: string[];
}

export interface TopologySpec {
  hosts: Record<string, HostSpec>;
  components: Record<string, ComponentSpec>;
}

const name = { type: 'string', minLength: 1 };
export const topologySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['hosts'],
  properties: {
    hosts: {
      type: 'object',
      additionalProperties: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { floor: name, desk: name, colour: name, role: name, nics: { type: 'array', items: name } },
      },
    },
    components: {
      type: 'object',
      default: {},
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'host'],
        properties: {
          kind: { enum: [...componentKinds] },
          host: name,
          pair: name,
          process: name,
          depends_on: { type: 'array', items: name },
        },
      },
    },
  },
} as const;

/** Loads and validates a topology file; throws ConfigError (file:line:field). */
export function loadTopologyFile(file: string): TopologySpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  return parseTopologyText(text, file);
}

/** Same, from text (tests, pushed config); `file` names the source in errors. */
export function parseTopologyText(text: string, file: string): TopologySpec {
  return checkReferences(normalise(parseConfigText<TopologySpec>(text, topologySchema, file)), text, file);
}

function normalise(spec: TopologySpec): TopologySpec {
  // `tp-host-a:` with no fields is a host with no labels yet (the agent may announce them).
  for (const [h, v] of Object.entries(spec.hosts)) if (v === null) spec.hosts[h] = {};
  spec.components ??= {};
  return spec;
}

/** Cross-references the schema cannot check. */
function checkReferences(spec: TopologySpec, text: string, file: string): TopologySpec {
  for (const [c, comp] of Object.entries(spec.components)) {
    if (!(comp.host in spec.hosts))
      throw new ConfigError(
        file,
        lineOfPath(text, ['components', c, 'host']),
        `components.${c}.host`,
        `unknown host ${JSON.stringify(comp.host)}`,
      );
    for (const [i, d] of (comp.depends_on ?? []).entries()) {
      if (!(d in spec.components))
        throw new ConfigError(
          file,
          lineOfPath(text, ['components', c, 'depends_on', i]),
          `components.${c}.depends_on.${i}`,
          `unknown component ${JSON.stringify(d)}`,
        );
    }
  }
  return spec;
}
