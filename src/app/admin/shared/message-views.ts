import { redactForDisplay } from '../../../personal-data/redact.ts';
import type { MessageSummary, StoredMessage } from '../../../message-queries/stored.ts';
import { messageHref } from './format.ts';

/** A message's row in any admin list. */
export interface SummaryView {
  readonly globalPosition: number;
  readonly href: string;
  readonly time: string;
  readonly timeIso: string;
  readonly streamName: string;
  readonly streamHref: string;
  readonly position: number;
  readonly type: string;
  readonly traceId: string | undefined;
  readonly traceHref: string | undefined;
  readonly userId: string | undefined;
  readonly userHref: string | undefined;
}

export const traceHref = (traceId: string): string => `/admin/traces/${encodeURIComponent(traceId)}`;

/** `2026-11-30 09:15:02.123 UTC`: exact to the millisecond, as the store keeps it. */
export function displayTime(time: Date): string {
  return `${time.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

export function summaryView(message: MessageSummary): SummaryView {
  return {
    globalPosition: message.globalPosition,
    href: messageHref(message.globalPosition),
    time: displayTime(message.time),
    timeIso: message.time.toISOString(),
    streamName: message.streamName,
    streamHref: `/admin/messages?stream=${encodeURIComponent(message.streamName)}`,
    position: message.position,
    type: message.type,
    traceId: message.traceId,
    traceHref: message.traceId === undefined ? undefined : traceHref(message.traceId),
    userId: message.userId,
    userHref: message.userId === undefined ? undefined : `/admin/messages?userId=${encodeURIComponent(message.userId)}`,
  };
}

interface MessageView extends SummaryView {
  readonly id: string;
  /** Pretty JSON with secrets and personal fields redacted. */
  readonly data: string;
  readonly metadata: string;
}

export function messageView(message: StoredMessage): MessageView {
  return {
    ...summaryView(message),
    id: message.id,
    data: JSON.stringify(redactForDisplay(message.data), null, 2),
    metadata: JSON.stringify(redactForDisplay(message.metadata), null, 2),
  };
}
