import { redactText } from '../../../personal-data/redact.ts';
import { ageLabel, countLabel, messageHref, timeLabel } from './format.ts';
import { LAG_COUNT_LIMIT } from '../../../message-queries/lag.ts';
import type { SubscriberOverview } from './subscriber-overview.ts';

interface SubscriberView {
  readonly subscriberId: string;
  readonly kind: string;
  readonly category: string;
  readonly member: string | undefined;
  readonly state: string;
  readonly runsHere: boolean;
  readonly position: string;
  readonly positionHref: string | undefined;
  readonly head: string;
  readonly headHref: string | undefined;
  readonly behind: string;
  readonly waiting: string;
  readonly parked: number;
  readonly notes: readonly string[];
  readonly failure:
    | {
        readonly label: string;
        readonly type: string;
        readonly href: string;
        readonly error: string;
        readonly at: string;
        readonly attempts: number;
      }
    | undefined;
}

export const behindLabel = (behind: number): string =>
  behind > LAG_COUNT_LIMIT ? `${countLabel(LAG_COUNT_LIMIT)}+` : countLabel(behind);

function stateOf(subscriber: SubscriberOverview): string {
  const { status } = subscriber;
  if (!status) return 'runs elsewhere';
  if (status.state === 'running' && status.waitingAtGap) return 'running (waiting at a gap)';
  return status.state;
}

function notesOf({ status, storedPosition }: SubscriberOverview): string[] {
  const notes: string[] = [];
  if (!status)
    notes.push(
      storedPosition === undefined
        ? 'not run by this process, and no position stored yet'
        : 'not run by this process: its position is its last checkpoint',
    );
  if (status?.standbyReason) notes.push(`standby: ${status.standbyReason}`);
  if (status?.readError) notes.push(`last read failed: ${redactText(status.readError)}`);
  if (status && status.skipped > 0)
    notes.push(`${countLabel(status.skipped)} skipped since start (data that breaks its contract)`);
  return notes;
}

export function subscriberView(subscriber: SubscriberOverview): SubscriberView {
  const { failure, lag, group } = subscriber;
  return {
    subscriberId: subscriber.subscriberId,
    kind: subscriber.kind,
    category: subscriber.category,
    member: group.size > 1 ? `member ${group.member} of ${group.size}` : undefined,
    state: stateOf(subscriber),
    runsHere: subscriber.status !== undefined,
    position: countLabel(subscriber.position),
    positionHref: subscriber.position > 0 ? messageHref(subscriber.position) : undefined,
    head: countLabel(lag.head),
    headHref: lag.head > 0 ? messageHref(lag.head) : undefined,
    behind: behindLabel(lag.behind),
    waiting: lag.behind > 0 ? ageLabel(lag.waitingSeconds) : '—',
    parked: subscriber.parked,
    notes: notesOf(subscriber),
    // An aggregator's failure is where it stalled; a component's, the last message it parked.
    // Its error may quote the message (an address a mail server refused): masked as the parked page masks it.
    failure: failure && {
      label: subscriber.kind === 'aggregator' ? 'Stopped at' : 'Last parked:',
      type: failure.type,
      href: messageHref(failure.globalPosition),
      error: redactText(failure.error),
      at: timeLabel(failure.at),
      attempts: failure.attempts,
    },
  };
}
