import { isMessageProblem, type AuditProblem, type AuditReport, type MessageProblem } from './report.ts';

const number = (value: number): string => value.toLocaleString('en-US');
const count = (value: number, noun: string): string => `${number(value)} ${noun}${value === 1 ? '' : 's'}`;

const MESSAGE_MEANING: Record<MessageProblem['kind'], string> = {
  altered: 'its content no longer matches its link',
  inserted: 'below the chain\'s head, at a position the chain never saw',
  deleted: 'in the chain, missing from the store',
};

function describeMessage(problem: MessageProblem): string {
  return `global position ${problem.globalPosition}: ${problem.streamName} position ${problem.position} (message ${problem.messageId}): ${MESSAGE_MEANING[problem.kind]}`;
}

function problemLine(problem: AuditProblem): string {
  if (isMessageProblem(problem)) return `    ${problem.kind.padEnd(13)} ${String(problem.globalPosition).padStart(10)}  ${problem.streamName}/${problem.position}  ${problem.messageId}`;
  return `    head ${problem.kind.padEnd(8)} ${String(problem.globalPosition).padStart(10)}  signed ${problem.signedAt} with key ${problem.keyId}`;
}

/** A report as an operator reads it on a terminal: the verdict first, then what it rests on. */
export function formatReport(report: AuditReport): string {
  const problemCount = Object.values(report.counts).reduce((sum, count) => sum + count, 0);
  const lines = [report.ok ? 'Audit chain: INTACT' : `Audit chain: FAILED (${count(problemCount, 'problem')})`];
  lines.push(`  checked        ${count(report.linksChecked, 'message')}, up to global position ${number(report.chainHead)}`);
  for (const kind of ['altered', 'inserted', 'deleted'] as const) {
    const first = report.first[kind];
    if (first) lines.push(`  first ${kind.padEnd(9)}${describeMessage(first)}${report.counts[kind] > 1 ? ` (${number(report.counts[kind])} in all)` : ''}`);
  }
  const { heads } = report;
  const badHeads = report.counts.forged + report.counts['unknown-key'] + report.counts.contradicted;
  lines.push(
    `  signed heads   ${number(heads.checked)} checked, ${number(heads.valid)} valid` +
      (badHeads > 0 ? `; ${report.counts.forged} forged, ${report.counts['unknown-key']} with an unknown key, ${report.counts.contradicted} contradicted by the chain` : ''),
  );
  if (heads.lastValid) lines.push(`  last verified  head at ${number(heads.lastValid.globalPosition)}, signed ${heads.lastValid.signedAt}, link ${heads.lastValid.link}`);
  if (report.unsignedLinks > 0) lines.push(`  unsigned       ${count(report.unsignedLinks, 'link')} after the last verified head (protected by the hash chain alone until the next signature)`);
  if (report.notYetCovered > 0) lines.push(`  not covered    ${count(report.notYetCovered, 'message')} above the chain's head (the audit-chain aggregator has not reached them yet)`);
  if (heads.developmentKey > 0) lines.push('  warning        heads signed with the development key prove nothing: set AUDIT_KEY');
  if (report.linksChecked > 0 && heads.valid === 0) lines.push('  warning        no valid signed head: nothing shows the chain itself was not rebuilt');
  if (report.problems.length > 0) {
    lines.push(`  problems${problemCount > report.problems.length ? ` (the first ${report.problems.length} of ${number(problemCount)})` : ''}:`);
    lines.push(...report.problems.map(problemLine));
  }
  return `${lines.join('\n')}\n`;
}
