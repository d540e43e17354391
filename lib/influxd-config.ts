/**
 * A config for Debian's influxd 1.x with every port on 127.0.0.1 and every background job off
 * (demo, tests, benchmarks) except continuous queries, which the brain creates for downsampling
 * (brain/store/retention.ts): they run every second, so a CQ's interval is its only delay.
 */
export function influxdConfig(dataDir: string, httpPort: number, rpcPort: number): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dataDir}/meta"
[data]
  dir = "${dataDir}/data"
  wal-dir = "${dataDir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = "1s"
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
[ifql]
  enabled = false
[logging]
  level = "warn"
`;
}
