import {
  isHeadProblem,
  isMessageProblem,
  type AuditProblem,
  type AuditReport,
  type MessageProblem,
  type TailReport,
} from './report.ts';

const number = (value: number): string => value.toLocaleString('en-US');
const count = (value: number, noun: string): string => `${number(value)} ${noun}${value === 1 ? '' : 's'}`;

/** A duration as people say it: 45 s, 3 min, 2 h, 4 d. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 120 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

const MESSAGE_MEANING: Record<MessageProblem['kind'], string> = {
  altered: 'its content no longer matches its link',
  inserted: "below the chain's head, at a position the chain never saw",
  deleted: 'in the chain, missing from the store',
};

function describeMessage(problem: MessageProblem): string {
  if (problem.messageId === null) {
    const where =
      problem.deletedFrom !== undefined && problem.deletedFrom < problem.globalPosition
        ? `global positions ${problem.deletedFrom}-${problem.globalPosition}`
        : `global position ${problem.globalPosition}`;
    return `${where}: deleted from the store with its link (the next link names ${problem.globalPosition} as the one before it)`;
  }
  return `global position ${problem.globalPosition}: ${problem.streamName} position ${problem.position} (message ${problem.messageId}): ${MESSAGE_MEANING[problem.kind]}`;
}

function problemLine(problem: AuditProblem): string {
  if (isMessageProblem(problem)) {
    const where =
      problem.messageId === null
        ? `(gone with its link${problem.deletedFrom !== undefined && problem.deletedFrom < problem.globalPosition ? `, from ${problem.deletedFrom}` : ''})`
        : `${problem.streamName}/${problem.position}  ${problem.messageId}`;
    return `    ${problem.kind.padEnd(13)} ${String(problem.globalPosition).padStart(10)}  ${where}`;
  }
  if (isHeadProblem(problem))
    return `    head ${problem.kind.padEnd(8)} ${String(problem.globalPosition).padStart(10)}  signed ${problem.signedAt} with key ${problem.keyId}`;
  return `    ${problem.kind.padEnd(13)} ${String(problem.globalPosition).padStart(10)}  ${count(problem.links, 'link')} from here with no valid head (${problem.reason})`;
}

/** What the tail after the last verified head means, in one line; nothing when every link is signed. */
function tailLine(tail: TailReport, report: AuditReport): string | undefined {
  if (tail.status === 'signed' || tail.from === null) return undefined;
  const links = `${count(tail.links, 'link')} from global position ${number(tail.from)}`;
  const head = report.heads.lastValid;
  const age = tail.lastHeadAgeMs === null ? '' : `, signed ${duration(tail.lastHeadAgeMs)} before this check`;
  if (tail.status === 'pending') {
    return `  unsigned       ${links}, after the last verified head${age}: not signed yet (the signer signs within ${count(tail.allowedLinks + 1, 'link')} or ${duration(tail.allowedAgeMs)}, grace included); until then they rest on the hash chain alone`;
  }
  switch (tail.reason) {
    case 'no-valid-head':
      return `  UNSIGNED       ${links} and no valid signed head at all: heads were deleted or altered (or the audit-chain aggregator never signed), so nothing shows these links were not recomputed over an altered store`;
    case 'too-many':
      return `  UNSIGNED       ${links}, after the last verified head at ${number(head?.globalPosition ?? 0)}: the signer never leaves more than ${number(tail.allowedLinks)} unsigned, so heads after it were deleted; these links may have been recomputed over an altered store`;
    case 'overdue':
    case null:
      return `  UNSIGNED       ${links}, after the last verified head at ${number(head?.globalPosition ?? 0)}${age}: the signer signs within ${duration(tail.allowedAgeMs)}, so heads after it were deleted, or the audit-chain aggregator is not running (once running it signs on catch-up: verify again); until then these links may have been recomputed over an altered store`;
  }
}

function verdictLine(report: AuditReport, problemCount: number): string {
  switch (report.verdict) {
    case 'failed':
      return `Audit chain: FAILED (${count(problemCount, 'problem')})`;
    case 'unproven':
      return 'Audit chain: CONSISTENT, NOT PROVEN (heads signed with the public development key prove nothing: anyone can re-sign a rewritten chain; set AUDIT_KEY)';
    case 'intact':
    default:
      return 'Audit chain: INTACT';
  }
}

/** A report as an operator reads it on a terminal: the verdict first, then what it rests on. */
export function formatReport(report: AuditReport): string {
  const problemCount = Object.values(report.counts).reduce((sum, count) => sum + count, 0);
  const lines = [verdictLine(report, problemCount)];
  lines.push(
    `  checked        ${count(report.linksChecked, 'message')}, up to global position ${number(report.chainHead)}`,
  );
  for (const kind of ['altered', 'inserted', 'deleted'] as const) {
    const first = report.first[kind];
    if (first)
      lines.push(
        `  first ${kind.padEnd(9)}${describeMessage(first)}${report.counts[kind] > 1 ? ` (${number(report.counts[kind])} in all)` : ''}`,
      );
  }
  const { heads } = report;
  const badHeads = report.counts.forged + report.counts['unknown-key'] + report.counts.contradicted;
  lines.push(
    `  signed heads   ${number(heads.checked)} checked, ${number(heads.valid)} valid` +
      (badHeads > 0
        ? `; ${report.counts.forged} forged, ${report.counts['unknown-key']} with an unknown key, ${report.counts.contradicted} contradicted by the chain`
        : ''),
  );
  if (heads.lastValid) {
    lines.push(
      `  last verified  head at ${number(heads.lastValid.globalPosition)}, signed ${heads.lastValid.signedAt}${heads.lastValid.developmentKey ? ' with the development key' : ''}, link ${heads.lastValid.link}`,
    );
  }
  const tail = tailLine(report.tail, report);
  if (tail) lines.push(tail);
  if (report.notYetCovered > 0)
    lines.push(
      `  not covered    ${count(report.notYetCovered, 'message')} above the chain's head (the audit-chain aggregator has not reached them yet)`,
    );
  if (heads.developmentKey > 0)
    lines.push(
      `  warning        ${count(heads.developmentKey, 'head')} signed with the development key, which is public: they prove nothing (anyone can re-sign); set AUDIT_KEY`,
    );
  if (report.problems.length > 0) {
    lines.push(
      `  problems${problemCount > report.problems.length ? ` (the first ${report.problems.length} of ${number(problemCount)})` : ''}:`,
    );
    lines.push(...report.problems.map(problemLine));
  }
  return `${lines.join('\n')}\n`;
}
