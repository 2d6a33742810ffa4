import type { Knex } from 'knex';
import type pg from 'pg';
import { createLogger, type Logger } from '../logger.ts';
import { createMessageStorePool } from '../message-store/index.ts';
import { GENESIS_LINK, nextLink, type AuditRecord } from './canonical.ts';
import { lastLink, readHeadsAfter, readLinksAfter, type StoredLink } from './chain-tables.ts';
import { pagedCursor } from './cursor.ts';
import { DEVELOPMENT_AUDIT_KEY } from './key.ts';
import { countRecordsAfter, readRecordsAfter } from '../message-queries/audit-records.ts';
import type {
  AuditProblem,
  AuditReport,
  AuditVerdict,
  HeadProblem,
  MessageProblem,
  TailReport,
  ValidHead,
} from './report.ts';
import { DEFAULT_SIGNING, DEFAULT_TAIL_GRACE_MS, type SigningPolicy } from './signing-policy.ts';
import { checkHead, keyId, type SignedHead } from './signing.ts';

export interface VerifyProgress {
  /** Checked up to this global position… */
  readonly verifiedUpTo: number;
  /** …of this many (the chain's head). */
  readonly chainHead: number;
  readonly linksChecked: number;
}

export type VerifyOptions = {
  /** The app database, where the chain is kept. */
  readonly db: Knex;
  /** Every key a head may be signed with (AUDIT_KEY's list): the signing key and rotated-out ones. */
  readonly auditKey: string | readonly string[];
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Rows per read; memory stays at about two pages whatever the store's size. */
  readonly batchSize?: number;
  /** Problems kept in the report (all are counted). */
  readonly problemsLimit?: number;
  /** The policy the aggregator signs by (DEFAULT_SIGNING unless it was given another): it bounds the unsigned tail. */
  readonly signing?: Partial<SigningPolicy>;
  /** Slack on top of the policy's age before an unsigned tail is overdue. */
  readonly tailGraceMs?: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
} & ({ readonly messageStorePool: pg.Pool } | { readonly messageStoreUrl: string });

const DEFAULT_BATCH_SIZE = 2000;
const DEFAULT_PROBLEMS_LIMIT = 100;
/** How far back a link naming an older predecessor (link rows put in since) is followed. */
const RECENT_LINKS = 256;

/**
 * Recomputes the chain from the store and compares it with the stored links and signed heads,
 * in one pass over both in global order. Each message is checked against its own stored link
 * (from the stored link before it), so every altered message is named, not only the first;
 * the heads then vouch for the stored links themselves: a chain recomputed over an altered
 * store passes message by message but contradicts every head signed after the change.
 */
export async function verifyAuditChain(options: VerifyOptions): Promise<AuditReport> {
  const {
    db,
    onProgress,
    batchSize = DEFAULT_BATCH_SIZE,
    problemsLimit = DEFAULT_PROBLEMS_LIMIT,
    now = () => new Date(),
    tailGraceMs = DEFAULT_TAIL_GRACE_MS,
  } = options;
  const signing = { ...DEFAULT_SIGNING, ...options.signing };
  const keys = typeof options.auditKey === 'string' ? [options.auditKey] : options.auditKey;
  const ownPool =
    'messageStoreUrl' in options
      ? createMessageStorePool(options.messageStoreUrl, { logger: options.logger ?? createLogger('silent'), max: 2 })
      : undefined;
  const pool = ownPool ?? ('messageStorePool' in options ? options.messageStorePool : undefined)!;
  try {
    // Recording the outcome is the caller's (recordVerification): verify only reads.
    return await verify(pool, db, keys, { batchSize, problemsLimit, now, onProgress, signing, tailGraceMs });
  } finally {
    await ownPool?.end();
  }
}

interface PassSettings {
  readonly batchSize: number;
  readonly problemsLimit: number;
  readonly now: () => Date;
  readonly onProgress: ((progress: VerifyProgress) => void) | undefined;
  readonly signing: SigningPolicy;
  readonly tailGraceMs: number;
}

/**
 * The links after the last valid head, judged by the signing policy. The signer signs in the
 * batch's own transaction once `everyMessages` links are unsigned, and otherwise once its last
 * head is `maxAgeMs` old (on the next batch, or on catch-up after `onCatchUpAfterMs`): a running
 * signer never leaves more links, nor leaves them longer. The head's signing time is itself
 * signed, so deleting heads cannot make the last one look younger.
 */
export function judgeTail(
  tail: { readonly links: number; readonly from: number | null },
  lastValid: ValidHead | null,
  startedAt: Date,
  signing: SigningPolicy,
  graceMs: number,
): TailReport {
  const allowedLinks = Math.max(signing.everyMessages - 1, 0);
  const allowedAgeMs = Math.max(signing.maxAgeMs, signing.onCatchUpAfterMs) + graceMs;
  const lastHeadAgeMs = lastValid ? startedAt.getTime() - Date.parse(lastValid.signedAt) : null;
  const judged = (status: TailReport['status'], reason: TailReport['reason']): TailReport => ({
    ...tail,
    status,
    reason,
    allowedLinks,
    allowedAgeMs,
    lastHeadAgeMs,
  });
  if (tail.links === 0) return judged('signed', null);
  if (lastHeadAgeMs === null) return judged('unsigned', 'no-valid-head');
  if (tail.links > allowedLinks) return judged('unsigned', 'too-many');
  if (lastHeadAgeMs > allowedAgeMs) return judged('unsigned', 'overdue');
  return judged('pending', null);
}

async function verify(pool: pg.Pool, db: Knex, keys: readonly string[], settings: PassSettings): Promise<AuditReport> {
  const startedAt = settings.now();
  const chainHead = (await lastLink(db))?.globalPosition ?? 0;
  const store = pagedCursor(
    (after) => readRecordsAfter(pool, after, chainHead, settings.batchSize),
    (record: AuditRecord) => Number(record.globalPosition),
  );
  const links = pagedCursor(
    (after) => readLinksAfter(db, after, chainHead, settings.batchSize),
    (link: StoredLink) => link.globalPosition,
  );
  const heads = pagedCursor(
    (after) => readHeadsAfter(db, after, settings.batchSize, chainHead),
    (head: SignedHead) => head.globalPosition,
  );
  const developmentKeyId = keyId(DEVELOPMENT_AUDIT_KEY);

  const counts = { altered: 0, inserted: 0, deleted: 0, forged: 0, 'unknown-key': 0, contradicted: 0, unsigned: 0 };
  const first: { altered?: MessageProblem; inserted?: MessageProblem; deleted?: MessageProblem } = {};
  const problems: AuditProblem[] = [];
  const headStats = { checked: 0, valid: 0, developmentKey: 0, lastValid: null as ValidHead | null };
  let linksChecked = 0;
  let unsignedLinks = 0;
  let firstUnsigned: number | null = null;

  function messageProblem(problem: MessageProblem): void {
    counts[problem.kind] += 1;
    first[problem.kind] ??= problem;
    if (problems.length < settings.problemsLimit) problems.push(problem);
  }
  function headProblem(head: SignedHead, kind: HeadProblem['kind']): void {
    counts[kind] += 1;
    if (problems.length < settings.problemsLimit)
      problems.push({
        kind,
        globalPosition: head.globalPosition,
        signedAt: head.signedAt.toISOString(),
        keyId: head.keyId,
      });
  }
  /** A head at `link`'s position is checked against it; one at a position with no link, against nothing. */
  function checkHeadAgainst(head: SignedHead, link: StoredLink | undefined): void {
    headStats.checked += 1;
    const signature = checkHead(keys, head);
    if (signature !== 'valid') return headProblem(head, signature);
    if (!link || link.globalPosition !== head.globalPosition || !link.link.equals(head.link))
      return headProblem(head, 'contradicted');
    headStats.valid += 1;
    if (head.keyId === developmentKeyId) headStats.developmentKey += 1;
    headStats.lastValid = {
      globalPosition: head.globalPosition,
      link: head.link.toString('hex'),
      signedAt: head.signedAt.toISOString(),
      developmentKey: head.keyId === developmentKeyId,
    };
    unsignedLinks = 0;
    firstUnsigned = null;
  }

  /**
   * Heads signed above the chain's head as it was when we began: new ones, signed as the chain
   * grew meanwhile, or old ones whose links were truncated. A head commits with or after its
   * link, so reading the heads first and the chain's head then tells them apart.
   */
  async function checkHeadsBeyond(after: number): Promise<void> {
    for (;;) {
      const page = await readHeadsAfter(db, after, settings.batchSize);
      const current = (await lastLink(db))?.globalPosition ?? 0;
      for (const head of page) {
        if (head.globalPosition > current) {
          headStats.checked += 1;
          const signature = checkHead(keys, head);
          headProblem(head, signature === 'valid' ? 'contradicted' : signature);
        }
      }
      const last = page.at(-1);
      if (!last) return;
      after = last.globalPosition;
    }
  }

  let previous = GENESIS_LINK;
  let previousPosition = 0;
  // The store's last message with no link since the last link: the one a link row may be missing for.
  let unlinked: AuditRecord | undefined;
  // The links just passed, so a link naming an older predecessor can be checked from it.
  const recent: StoredLink[] = new Array<StoredLink>(RECENT_LINKS);
  let recentCount = 0;
  /** The remembered links after `position`, oldest first, and the one at it if remembered. */
  function recentSince(position: number): { after: StoredLink[]; at: StoredLink | undefined } {
    const after: StoredLink[] = [];
    let at: StoredLink | undefined;
    for (let n = Math.max(0, recentCount - RECENT_LINKS); n < recentCount; n += 1) {
      const link = recent[n % RECENT_LINKS]!;
      if (link.globalPosition > position) after.push(link);
      else if (link.globalPosition === position) at = link;
    }
    return { after, at };
  }

  /**
   * The link `stored` was made from, by the predecessor it names (links made before the column
   * existed name none, and are taken to follow the stored link before them). A predecessor
   * beyond the last stored link means link rows were deleted: with their messages (named as
   * deleted by position: the rows that named them are gone), or alone (the message is still
   * there, already reported as inserted, and the chain goes on through it). One before it means
   * link rows were put in since, each named as inserted. Undefined when the link it was made
   * from is gone: then this message cannot be checked, and is not blamed.
   */
  function madeFrom(stored: StoredLink): Buffer | undefined {
    const claimed = stored.previousGlobalPosition;
    if (claimed === null || claimed === previousPosition) return previous;
    if (claimed > previousPosition) {
      if (unlinked && Number(unlinked.globalPosition) === claimed) return nextLink(previous, unlinked);
      messageProblem({
        kind: 'deleted',
        globalPosition: claimed,
        messageId: null,
        streamName: null,
        position: null,
        deletedFrom: previousPosition + 1,
      });
      return undefined;
    }
    const { after, at } = recentSince(claimed);
    for (const extra of after) {
      messageProblem({
        kind: 'inserted',
        globalPosition: extra.globalPosition,
        messageId: extra.messageId,
        streamName: extra.streamName,
        position: extra.position,
      });
    }
    return claimed === 0 ? GENESIS_LINK : at?.link;
  }

  let sinceProgress = 0;
  for (;;) {
    const record = await store.peek();
    const link = await links.peek();
    if (!record && !link) break;
    const recordPosition = record ? Number(record.globalPosition) : Infinity;
    const linkPosition = link ? link.globalPosition : Infinity;
    if (record && recordPosition < linkPosition) {
      messageProblem({
        kind: 'inserted',
        globalPosition: recordPosition,
        messageId: record.id,
        streamName: record.streamName,
        position: Number(record.position),
      });
      unlinked = record;
      store.next();
      continue;
    }
    // Heads below this link name positions the chain has no link for.
    for (let head = await heads.peek(); head && head.globalPosition < linkPosition; head = await heads.peek()) {
      checkHeadAgainst(head, undefined);
      heads.next();
    }
    const stored = link!;
    const from = madeFrom(stored);
    if (!record || recordPosition > linkPosition) {
      messageProblem({
        kind: 'deleted',
        globalPosition: stored.globalPosition,
        messageId: stored.messageId,
        streamName: stored.streamName,
        position: stored.position,
      });
    } else {
      if (from && !nextLink(from, record).equals(stored.link)) {
        messageProblem({
          kind: 'altered',
          globalPosition: recordPosition,
          messageId: record.id,
          streamName: record.streamName,
          position: Number(record.position),
        });
      }
      store.next();
    }
    links.next();
    linksChecked += 1;
    unsignedLinks += 1;
    firstUnsigned ??= stored.globalPosition;
    // Go on from the stored link, not the recomputed one: one altered message then fails
    // alone, and the ones after it are judged on their own content.
    previous = stored.link;
    previousPosition = stored.globalPosition;
    unlinked = undefined;
    recent[recentCount % RECENT_LINKS] = stored;
    recentCount += 1;
    const head = await heads.peek();
    if (head && head.globalPosition === stored.globalPosition) {
      checkHeadAgainst(head, stored);
      heads.next();
    }
    sinceProgress += 1;
    if (sinceProgress >= settings.batchSize) {
      sinceProgress = 0;
      settings.onProgress?.({ verifiedUpTo: stored.globalPosition, chainHead, linksChecked });
    }
  }
  // Heads at the end name positions with no link (the links after them were removed).
  for (let head = await heads.peek(); head; head = await heads.peek()) {
    checkHeadAgainst(head, undefined);
    heads.next();
  }
  await checkHeadsBeyond(chainHead);
  settings.onProgress?.({ verifiedUpTo: chainHead, chainHead, linksChecked });

  const tail = judgeTail(
    { links: unsignedLinks, from: firstUnsigned },
    headStats.lastValid,
    startedAt,
    settings.signing,
    settings.tailGraceMs,
  );
  if (tail.status === 'unsigned' && tail.reason && tail.from !== null) {
    // Always kept: it is the tail's one problem, and what the verdict may rest on.
    counts.unsigned += 1;
    problems.push({ kind: 'unsigned', reason: tail.reason, globalPosition: tail.from, links: tail.links });
  }

  const notYetCovered = await countRecordsAfter(pool, chainHead);
  const problemCount = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const verdict: AuditVerdict =
    problemCount > 0 ? 'failed' : headStats.lastValid?.developmentKey ? 'unproven' : 'intact';
  return {
    ok: problemCount === 0,
    verdict,
    startedAt: startedAt.toISOString(),
    finishedAt: settings.now().toISOString(),
    chainHead,
    linksChecked,
    notYetCovered,
    counts,
    first,
    problems,
    problemsLimit: settings.problemsLimit,
    heads: headStats,
    unsignedLinks,
    tail,
  };
}
