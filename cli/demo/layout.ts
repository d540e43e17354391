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
  readonly fixtureHost: {
    readonly agent: string;
    readonly procRoot: string;
    readonly sysRoot: string;
    readonly bond: string;
    readonly slaves: readonly [string, string];
  };
  /** The log the fixture host's agent tails: errors are counted. */
  readonly logs: { readonly app: string };
  /** The plant's FIX session: the venue's drill control port, the session's name, each side's engine log. */
  readonly fix: {
    readonly host: string;
    readonly controlPort: number;
    readonly session: string;
    readonly logs: { readonly router: string; readonly venue: string };
  };
  /** Absent when the demo did not run as root (no network namespace). */
  readonly veth?: { readonly agent: string; readonly netns: string; readonly local: string; readonly peer: string };
  /** Absent when no influxd was found. */
  readonly influxd?: { readonly url: string; readonly db: string };
  readonly workstations: readonly { readonly agent: string; readonly colour: string; readonly pid: number }[];
  /**
   * The brain pair (docs/brain-pair.md): `vip` is the printed address, which follows the primary;
   * each leg's own URL, gRPC and pair addresses, state directory and role log, and its pid while
   * it runs (absent: down, until POST /api/demo/brains/start?id=...). Absent on older demos.
   */
  readonly brains?: {
    readonly vip: string;
    readonly legs: readonly DemoLayoutLeg[];
    readonly witness: { readonly id: string; readonly pair: string; readonly pid?: number };
    /** A config naming the pair (for `floorwatch brain pair-status -c`). */
    readonly config: string;
  };
}

export interface DemoLayoutLeg {
  readonly id: string;
  readonly url: string;
  readonly grpc: string;
  readonly pair: string;
  readonly stateDir: string;
  readonly roleLog: string;
  readonly pid?: number;
}

export const DEFAULT_DEMO_URL = 'http://127.0.0.1:7081';
