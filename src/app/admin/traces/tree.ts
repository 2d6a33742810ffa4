/** What the tree needs of a message. */
export interface Caused {
  readonly globalPosition: number;
  readonly causedBy: number | undefined;
  readonly time: Date;
}

export interface TraceNode<M extends Caused> {
  readonly message: M;
  readonly children: readonly TraceNode<M>[];
  /** Its metadata names a cause that is not among these messages (another trace, or not stored). */
  readonly causeOutside: boolean;
}

/**
 * Messages as a causation tree: each under the message that caused it, siblings in time
 * order. Messages with no cause among them (the user's command, and writers that do not
 * follow) are the top level, also in time order. A cause must come before its effect in the
 * log, so metadata that says otherwise (a hand-written message) cannot make a cycle: such a
 * message is put at the top level.
 */
export function causationTree<M extends Caused>(messages: readonly M[]): TraceNode<M>[] {
  const byTime = [...messages].sort(
    (a, b) => a.time.getTime() - b.time.getTime() || a.globalPosition - b.globalPosition,
  );
  const present = new Set(byTime.map((message) => message.globalPosition));
  const children = new Map<number, M[]>();
  const roots: M[] = [];
  for (const message of byTime) {
    const cause = message.causedBy;
    if (cause !== undefined && cause < message.globalPosition && present.has(cause)) {
      children.set(cause, [...(children.get(cause) ?? []), message]);
    } else {
      roots.push(message);
    }
  }
  const node = (message: M): TraceNode<M> => ({
    message,
    children: (children.get(message.globalPosition) ?? []).map(node),
    causeOutside:
      message.causedBy !== undefined && !(message.causedBy < message.globalPosition && present.has(message.causedBy)),
  });
  return roots.map(node);
}
