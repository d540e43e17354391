/**
 * The unguessable token that makes a reply to a page mail an acknowledgement. A page mail's
 * Message-ID is derived from its outbox key (`<INC-0042.0.page.alice@…>`, so a crash between
 * the mail server's 250 and our "sent" record leaves a duplicate the receiver can drop); alone it
 * is predictable, so anyone could forge a reply to it (review S3). The brain appends an
 * HMAC-SHA256 of that id, keyed by a secret from its state directory:
 * `<INC-0042.0.page.alice.Q2x1ZUluVGhlTWFjaA@…>`. Only someone who received the page mail knows
 * it, and a reply's In-Reply-To or References carries it back.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** 22 base64url characters: 132 bits. */
const TOKEN_CHARS = 22;

export function replyToken(key: Buffer, messageIdLocal: string): string {
  return createHmac('sha256', key).update(messageIdLocal).digest('base64url').slice(0, TOKEN_CHARS);
}

export function tokenMatches(key: Buffer, messageIdLocal: string, token: string): boolean {
  const want = Buffer.from(replyToken(key, messageIdLocal));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A page mail's Message-ID as a reply quotes it; `token` is undefined when it carries none. */
export interface PageReference {
  readonly incidentId: string;
  readonly step: number;
  /** The paged person's id, as the Message-ID spells it (characters outside [A-Za-z0-9._-] become "."). */
  readonly person: string;
  /** The part the token signs: `INC-0042.0.page.alice`. */
  readonly local: string;
  readonly token: string | undefined;
}

const SIGNED = new RegExp(`^([A-Za-z0-9_-]+)\\.(\\d{1,6})\\.page\\.([A-Za-z0-9._-]+)\\.([A-Za-z0-9_-]{${TOKEN_CHARS}})$`);
const UNSIGNED = /^([A-Za-z0-9_-]+)\.(\d{1,6})\.page\.([A-Za-z0-9._-]+)$/;

/** The page mail a reply answers, from its In-Reply-To, else References (the first page id found). */
export function pageReference(headerText: string): PageReference | undefined {
  const lines = headerText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  for (const field of ['in-reply-to:', 'references:']) {
    for (const line of lines) {
      if (!line.toLowerCase().startsWith(field)) continue;
      for (const id of line.slice(field.length).matchAll(/<([^<>@\s]{1,300})@[^<>\s]{1,255}>/g)) {
        const ref = parsePageId(id[1]!);
        if (ref) return ref;
      }
    }
  }
  return undefined;
}

function parsePageId(local: string): PageReference | undefined {
  const signed = SIGNED.exec(local);
  if (signed)
    return {
      incidentId: signed[1]!,
      step: Number(signed[2]),
      person: signed[3]!,
      local: local.slice(0, -TOKEN_CHARS - 1),
      token: signed[4]!,
    };
  const bare = UNSIGNED.exec(local);
  return bare ? { incidentId: bare[1]!, step: Number(bare[2]), person: bare[3]!, local, token: undefined } : undefined;
}

/** A person id as a Message-ID spells it (the outbox key's escaping, then anything else as "."). */
export function messageIdSpelling(personId: string): string {
  return encodeURIComponent(personId).replace(/[^A-Za-z0-9._-]/g, '.');
}
