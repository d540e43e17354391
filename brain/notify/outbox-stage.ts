/**
 * The deliver half's first stage: the notification is made durable in the outbox (deduplicated
 * by its key) and handed to retry/fallback over its route's channels (dispatcher.ts → retry.ts
 * → the channel). A key already known stops here quietly: that is the exactly-once at work.
 * A refusal (the outbox is full) stops here loudly: `onRefused` puts it in the incident's
 * timeline as FW_ERR_PAGING_OUTBOX_FULL and counts it.
 */
import type { Dispatcher } from './dispatcher.js';
import type { EnqueueResult } from './outbox.js';
import type { DeliveryContext, Stage } from './stage.js';

export function outboxStage(o: {
  readonly dispatcher: Pick<Dispatcher, 'dispatch'>;
  readonly onRefused: (ctx: DeliveryContext, result: Extract<EnqueueResult, { status: 'dropped' }>) => void;
}): Stage<DeliveryContext> {
  return {
    name: 'outbox',
    exec(ctx) {
      const result = o.dispatcher.dispatch({ ...ctx.notification, reason: ctx.reason });
      if (result.status === 'dropped') o.onRefused(ctx, result);
      return result.status === 'enqueued' ? ctx : undefined;
    },
  };
}
