/** The phases of a trading day (seed 002: Beginning of Day, Intraday, End of Day), plus Closed. */
export const phases = ['bod', 'intraday', 'eod', 'closed'] as const;
export type Phase = (typeof phases)[number];
