/**
 * What the demo tells drills about itself (GET /api/demo/layout on the demo's HTTP side): where
 * its fixture trees and watched logs are, which agent has the veth, how to reach its InfluxDB.
 * Drills read the brain's API for everything else, so most of them work on any floor.
 */
export interface DemoLayout {
  readonly stateDir: string;
  readonly brainUrl: string;
  readonly demoUrl: string;
  /** The agent reading fixture /proc and /sys trees that drills rewrite (memory, bond). */
  readonly fixtureHost: { readonly agent: string; readonly procRoot: string; readonly sysRoot: string; readonly bond: string; readonly slaves: readonly [string, string] };
  /** Logs the fixture host's agent tails: errors are counted, FIX round trips measured. */
  readonly logs: { readonly app: string; readonly fix: string };
  /** Absent when the demo did not run as root (no network namespace). */
  readonly veth?: { readonly agent: string; readonly netns: string; readonly local: string; readonly peer: string };
  /** Absent when no influxd was found. */
  readonly influxd?: { readonly url: string; readonly db: string };
  readonly workstations: readonly { readonly agent: string; readonly colour: string; readonly pid: number }[];
}

export const DEFAULT_DEMO_URL = 'http://127.0.0.1:7081';
