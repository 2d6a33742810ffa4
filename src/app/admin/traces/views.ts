import type { MessageSummary } from '../../../message-queries/stored.ts';
import { messageHref } from '../shared/format.ts';
import { summaryView, type SummaryView } from '../shared/message-views.ts';
import type { TraceNode } from './tree.ts';

interface TraceNodeView extends SummaryView {
  /** Since the trace's first message. */
  readonly offset: string;
  readonly causeOutsideHref: string | undefined;
  readonly children: readonly TraceNodeView[];
}

/** `+0 ms`, `+840 ms`, `+2.315 s`: how long after the first message. */
function formatOffset(ms: number): string {
  return ms < 1000 ? `+${Math.round(ms)} ms` : `+${(ms / 1000).toFixed(3)} s`;
}

export function traceNodeView(node: TraceNode<MessageSummary>, start: Date): TraceNodeView {
  const { message } = node;
  return {
    ...summaryView(message),
    offset: formatOffset(message.time.getTime() - start.getTime()),
    causeOutsideHref: node.causeOutside && message.causedBy !== undefined ? messageHref(message.causedBy) : undefined,
    children: node.children.map((child) => traceNodeView(child, start)),
  };
}
