/**
 * The agent benchmarks' sampler config (agent, agent-parts, sampler-cost): the four samplers of
 * issue #3 as a floor would run them — NIC + bond watch, memory/disks, three process watches,
 * a log with five trading-application rules — and the local socket for wrapped processes.
 */
export const BENCH_SAMPLERS = ['nic', 'memory', 'local', 'process', 'log'] as const;

export function samplerYaml(name: string, o: { socket: string; logFile: string }): string {
  switch (name) {
    case 'local':
      return `  local: {path: ${o.socket}}`;
    case 'process':
      return '  process:\n    watches:\n      - {name: sshd, comm: sshd}\n      - {name: node, comm: node}\n      - {name: influx, cmdline: "influxd run"}';
    case 'log':
      return (
        `  log:\n    files: ["${o.logFile}"]\n    rules:\n` +
        '      - {name: errors, action: count, pattern: "\\\\[(?:ERROR|FATAL)\\\\]"}\n' +
        '      - {name: latency, action: metric, pattern: "latency_us=(?P<latency_us>\\\\d+)"}\n' +
        '      - {name: rejects, action: count, pattern: "35=3\\\\|"}\n' +
        '      - {name: disconnects, action: event, pattern: "connection (?:lost|reset)"}\n' +
        '      - {name: heartbeats, action: count, pattern: "35=0\\\\|"}'
      );
    default:
      return `  ${name}: {}`;
  }
}

/** A `samplers:` section with the given samplers (all of them by default). */
export function samplersYaml(o: { socket: string; logFile: string }, names: readonly string[] = BENCH_SAMPLERS): string {
  return `samplers:\n${names.map((n) => samplerYaml(n, o)).join('\n')}\n`;
}
