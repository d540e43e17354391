/**
 * A pricer's application log for the demo's fixture host: one INFO line a second with the quote
 * latency, which the host's agent extracts as a metric (log rule `pricer_latency`), so the
 * Grafana host dashboard's "extracted metrics" panel has something to plot.
 */
import { appendFileSync } from 'node:fs';

export function startPricerLog(file: string, everyMs = 1000): () => void {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    // A slow wave with a little noise: 300–900 µs.
    const latencyUs = Math.round(600 + 250 * Math.sin(n / 20) + 50 * Math.random());
    appendFileSync(file, `${new Date().toISOString()} [INFO] pricer: quotes published n=${n} latency_us=${latencyUs}\n`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
