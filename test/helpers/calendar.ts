/**
 * A trading-day calendar for tests and benchmarks that page: LDN trades all day, every day, with
 * no maintenance and no phase policy. The packaged calendar mutes non-critical pages while London
 * is closed and during Saturday plant patching, and a test must not pass or fail by the hour.
 */
export function alwaysOpenCalendar(silences = '[]'): string {
  return `default_market: LDN
markets:
  LDN:
    time_zone: UTC
    days: [mon, tue, wed, thu, fri, sat, sun]
    bod: "00:00"
    intraday: "00:01"
    eod: "23:58"
    closed: "23:59"
silences: ${silences}
`;
}
