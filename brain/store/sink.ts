/**
 * Where the brain's samples end up: a time-series store that accepts InfluxDB line protocol.
 * The brain's spool forwarder is the only caller; it sends one request at a time per sink, in
 * order, and replays after a failure, so a Sink never buffers or retries on its own.
 */
export interface Sink {
  /** For logs and metrics, e.g. "influx-v1 http://127.0.0.1:8086 db=floorwatch". */
  readonly name: string;
  /**
   * Writes newline-separated line-protocol lines with microsecond timestamps.
   * Resolves, never rejects: `retryable` failures (unreachable, timeout, 5xx, 429) are retried
   * by the caller later with the same body; permanent ones (4xx: bad lines) name what was wrong.
   */
  write(body: string, lineCount: number): Promise<WriteResult>;
  /** Cheap liveness probe (e.g. GET /ping), used to decide when to resume after an outage. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type WriteResult = { ok: true } | { ok: false; retryable: boolean; status?: number; error: string };
