import { redactText } from '../../../personal-data/redact.ts';
import type { StoredMessage } from '../../../message-queries/stored.ts';
import { messageHref } from '../shared/format.ts';
import { displayTime, summaryView, type SummaryView } from '../shared/message-views.ts';
import type { ParkedEntry } from '../shared/parked-pending.ts';

interface ParkedView {
  readonly parked: SummaryView;
  readonly subscriberId: string;
  readonly original:
    | { readonly type: string; readonly streamName: string; readonly position: number; readonly href: string }
    | undefined;
  /** An error message can quote the data it choked on: shown redacted like everything else. */
  readonly error: string | undefined;
  readonly attempts: number | undefined;
  readonly actionBase: string;
}

export function parkedView(entry: ParkedEntry): ParkedView {
  const { details } = entry;
  return {
    parked: summaryView(entry.parked),
    subscriberId: entry.subscriberId,
    original: details && {
      type: details.message.type,
      streamName: details.message.streamName,
      position: details.message.position,
      href: messageHref(details.message.globalPosition),
    },
    error: details && redactText(details.error),
    attempts: details?.attempts,
    actionBase: `/admin/parked/${entry.parked.globalPosition}`,
  };
}

interface ParkedActionView {
  readonly time: string;
  /** Who acted: their address (or their id, when no projection knows them), linking to their page. */
  readonly admin: { readonly label: string; readonly id: string; readonly href: string | undefined };
  readonly what: string;
  readonly subscriberId: string;
  readonly parkedHref: string | undefined;
  readonly href: string;
}

/** A ParkedMessageReplayed or ParkedMessageDiscarded, as a line in the page's history; `emails` by admin id. */
export function parkedActionView(
  action: StoredMessage,
  emails: ReadonlyMap<string, string> = new Map(),
): ParkedActionView {
  const data = (action.data ?? {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? redactText(value) : '');
  const adminId = text(data.adminId);
  const email = emails.get(adminId);
  return {
    time: displayTime(action.time),
    admin: {
      label: email ?? adminId,
      id: adminId,
      href: email === undefined ? undefined : `/admin/users/${encodeURIComponent(adminId)}`,
    },
    what:
      action.type === 'ParkedMessageReplayed' ? `replayed: ${text(data.outcome)}` : `discarded: ${text(data.reason)}`,
    subscriberId: text(data.subscriberId),
    parkedHref: action.causedBy === undefined ? undefined : messageHref(action.causedBy),
    href: messageHref(action.globalPosition),
  };
}

/** The admins named in these actions, for adminEmails. */
export const actingAdminIds = (actions: readonly StoredMessage[]): string[] =>
  actions
    .map((action) => (action.data as Record<string, unknown> | null)?.adminId)
    .filter((id): id is string => typeof id === 'string');
