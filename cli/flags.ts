/**
 * Parsers for CLI flag values, for commander: a bad value is an error naming the flag
 * ("option '--for <duration>' argument '30x' is invalid. not a duration: ..."), never a NaN that
 * quietly means something else (`--for 30m` once meant "until resolved": review S4).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../lib/duration.js';

/** `30m`, `2h`, `1d`, `1h30m` in milliseconds; a unit is required. */
export function durationFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A duration in whole seconds, at least 1: `90s`, `2m`, or a bare number of seconds. */
export function secondsFlag(value: string): number {
  const ms = /^[0-9]+$/.test(value) ? Number(value) * 1000 : durationFlag(value);
  if (ms < 1000) throw new InvalidArgumentError('must be at least 1s');
  return Math.round(ms / 1000);
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return n;
}
