/** `floorwatch demo` flags: every port is configurable, so a test's demo never meets a user's. */
export interface DemoOptions {
  readonly stateDir: string;
  /** The brain's HTTP API (and the console URL the pages link to). */
  readonly httpPort: number;
  /** The demo's own HTTP side: received pages and mails, the layout drills read. */
  readonly demoPort: number;
  /** UDP, where the plant's health heartbeats go. */
  readonly healthPort: number;
  /** The plant's ports are this base plus fixed offsets (control +0, lines +1/+2, fh +10/+11, tp +20/+21, desks +31/+32). */
  readonly plantPortBase: number;
  readonly snppPort: number;
  readonly smtpPort: number;
  /** Unacknowledged this long, an incident pages the back line too. */
  readonly escalateAfterS: number;
  /** An InfluxDB 1.x to use instead of starting one; "none": keep samples in the brain's spool. */
  readonly influx?: string;
}

export const DEMO_DEFAULTS: DemoOptions = {
  stateDir: '.floorwatch/demo',
  httpPort: 7080,
  demoPort: 7081,
  healthPort: 7390,
  plantPortBase: 7300,
  snppPort: 7444,
  smtpPort: 7025,
  escalateAfterS: 30,
};
