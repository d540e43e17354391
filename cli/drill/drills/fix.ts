/**
 * Drills on the plant's real FIX session (jspurefix, plant/fix/): the venue gateway is told
 * over its control port to misbehave, the floor's order router and its engine log see what a
 * real session would show, and the brain reads that log through the `fix` log rule.
 */
import { createSocket } from 'node:dgram';
import type { DemoLayout } from '../../demo/layout.js';
import { hasAlert, needsDemo, type Drill, type DrillContext } from '../drill.js';

type FixLayout = DemoLayout['fix'];

/** How long a command is re-sent while the venue does not answer (it may still be starting: jspurefix loads for seconds on a busy host). */
const VENUE_ANSWER_MS = 20_000;
const RESEND_MS = 500;

/**
 * One JSON command to the venue's control port; resolves with its answer. Every command is
 * idempotent (a fault set, or normal), so it is sent again every 500 ms until the venue answers
 * or 20 s pass: a venue still starting, or a datagram lost, is not a failed drill.
 */
export function venueCommand(fix: FixLayout, msg: Record<string, unknown>, answerMs = VENUE_ANSWER_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const payload = JSON.stringify(msg);
    let sent = 0;
    const send = () => {
      sent++;
      s.send(payload, fix.controlPort, fix.host, () => undefined);
    };
    const finish = () => {
      clearInterval(again);
      clearTimeout(timer);
      s.close();
    };
    const again = setInterval(send, RESEND_MS);
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`the FIX venue did not answer on ${fix.host}:${fix.controlPort} within ${answerMs / 1000} s (${sent} tries)`));
    }, answerMs);
    // A port nobody listens on yet answers with ICMP: an error on the socket, not the end of trying.
    s.on('error', () => undefined);
    s.on('message', (buf) => {
      finish();
      resolve(buf.toString('utf8'));
    });
    send();
  });
}

function fixDrill(o: { name: string; what: string; alert: string; fault: Record<string, unknown>; says: string }): Drill {
  return {
    name: o.name,
    what: o.what,
    expected: { describe: `${o.alert} naming the FIX session`, matches: hasAlert(o.alert) },
    unavailable: needsDemo('its FIX venue'),
    async inject(ctx: DrillContext) {
      const fix = ctx.demo!.fix;
      await venueCommand(fix, o.fault);
      ctx.step(`venue: ${o.says} (session ${fix.session})`);
      return async () => {
        await venueCommand(fix, { cmd: 'normal' });
        ctx.step('venue back to normal');
      };
    },
  };
}

export const fixSlowdown = fixDrill({
  name: 'fix-slowdown',
  what: "the FIX venue answers TestRequests 400 ms late (the order router's round trip grows)",
  alert: 'FixRoundTripSlow',
  fault: { cmd: 'slow', ms: 400 },
  says: 'Heartbeats answering TestRequests 400 ms late',
});

export const fixLogout = fixDrill({
  name: 'fix-logout',
  what: 'the FIX venue logs the session out and refuses logons until restored',
  alert: 'FixSessionDown',
  fault: { cmd: 'logout' },
  says: 'session logged out, logons refused',
});

export const fixGap = fixDrill({
  name: 'fix-gap',
  what: 'the FIX venue loses an inbound message every 1.5 s and asks for a resend each time',
  alert: 'FixResendStorm',
  fault: { cmd: 'gap', every_ms: 1500 },
  says: 'losing an inbound message every 1.5 s',
});
