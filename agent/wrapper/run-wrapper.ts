/** Wires a Supervisor to the process's signals and to a ReportClient: the body of `floorwatch run`. */
import { MessageChannel } from 'node:worker_threads';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { ReportClient } from './report-client.js';
import { droppedSample } from './reports.js';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { FORWARDED_SIGNALS, Supervisor } from './supervise.js';

export interface RunWrapperOptions {
  name: string;
  command: string;
  args: readonly string[];
  policy: RestartPolicyOptions;
  logFile: string;
  agentSocket: string;
  reportQueue: number;
  clock?: Clock;
  log?: Logger;
  procRoot?: string;
}

/** How long a finishing wrapper waits for its last reports (the exit event) to reach the agent. */
const FINAL_FLUSH_MS = 2_000;

/** Supervises until the child is finally done; resolves to the wrapper's exit status. */
export async function runWrapper(o: RunWrapperOptions): Promise<number> {
  const clock = o.clock ?? systemClock;
  const log = o.log ?? createLogger({ name: 'floorwatch-run' });
  const client = new ReportClient({
    path: o.agentSocket,
    clock,
    maxQueue: o.reportQueue,
    dropReport: (dropped) => droppedSample(o.name, clock.nowUs(), dropped),
  });
  const supervisor = new Supervisor({
    ...o,
    policy: new RestartPolicy(o.policy),
    clock,
    log,
    reporter: client,
    ...(o.procRoot ? { procRoot: o.procRoot } : {}),
  });
  const forwarders = FORWARDED_SIGNALS.map((sig) => [sig, () => supervisor.signal(sig)] as const);
  for (const [sig, fn] of forwarders) process.on(sig, fn);
  const release = keepAlive();
  try {
    client.start();
    supervisor.start();
    return await supervisor.done;
  } catch (err) {
    log.error({ component: 'wrapper', process: o.name, err: (err as Error).message }, 'cannot supervise');
    return 1;
  } finally {
    for (const [sig, fn] of forwarders) process.off(sig, fn);
    await client.close(FINAL_FLUSH_MS);
    release();
  }
}

/**
 * The Clock's timers are unref'd by design, so during a restart backoff with no agent connected
 * nothing would hold the event loop open; a listening message port does, without a timer.
 */
function keepAlive(): () => void {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', () => undefined);
  return () => {
    port1.close();
    port2.close();
  };
}
