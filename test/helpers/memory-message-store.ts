import { createHash } from 'node:crypto';
import {
  ANY_CATEGORY,
  assertConsumerGroup,
  consumerGroupProblem,
  DuplicateMessageIdError,
  VersionConflictError,
  type AllMessagesReader,
  type ClaimResult,
  type ConsumerGroup,
  type Membership,
  type MessageStore,
  type RawMessage,
} from '../../src/message-store/index.ts';
import { fromRow, type MessageRow } from '../../src/message-store/rows.ts';
import { assertCategory, assertStreamName, categoryOf } from '../../src/message-store/stream-name.ts';
import { messageVersions } from '../../src/contracts/versions.ts';
import type { VersionRegistry } from '../../src/message-store/index.ts';
import type { Scope } from './scope.ts';

/**
 * The message store in memory, for the unit tier (`npm run test:unit`): handlers and projections
 * run against it with no PostgreSQL. It keeps Message DB's contract — positions, expected
 * versions, idempotent retries, category and consumer-group reads, correlation, the metadata a
 * reader is given — and test/message-store/store-contract.ts runs the same cases against it and
 * the real store, so the two cannot drift apart. What it does not imitate: locks between
 * processes, gaps in global positions (a write here is atomic, so allMessagesReader never waits),
 * and jsonb's reordering of keys. Tests about those stay on PostgreSQL.
 *
 * Like Eventide's substitute writer, it can also be asked what was written: `written()`.
 */
export interface MemoryMessageStore extends MessageStore {
  /** Every message written so far, in global order. */
  written(): RawMessage[];
}

const DEFAULT_BATCH = 1000;

/** Message DB's `@hash_64(cardinal_id(stream_name))`: the first 64 bits of the id's md5, as a signed integer, made positive. */
function streamHash(streamName: string): bigint {
  const id = streamName.slice(streamName.indexOf('-') + 1);
  const cardinalId = id.split('+')[0] ?? id;
  const hash = BigInt.asIntN(64, BigInt(`0x${createHash('md5').update(cardinalId).digest('hex').slice(0, 16)}`));
  return hash < 0n ? -hash : hash;
}

/**
 * The id as Message DB keeps it (a uuid column): refused unless PostgreSQL reads it as a UUID,
 * and in its canonical text, lower case, so an id in capitals is the same id.
 */
function uuidOf(id: string): string {
  const braced = id.startsWith('{') && id.endsWith('}');
  const hex = (braced ? id.slice(1, -1) : id).toLowerCase();
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/.test(hex))
    throw new Error(`invalid input syntax for type uuid: "${id}"`);
  const digits = hex.replaceAll('-', '');
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

function batch(rows: readonly MessageRow[], batchSize: number): RawMessage[] {
  return (batchSize === -1 ? rows : rows.slice(0, batchSize)).map(fromRow);
}

// Claims live for the store's lifetime, as session advisory locks live for a connection's.
function createMemoryMembership(): Membership {
  const running = new Map<string, ConsumerGroup>();
  return {
    async claim(subscriberId, group): Promise<ClaimResult> {
      const problem = consumerGroupProblem(group);
      if (problem) return { ok: false, reason: problem };
      const name = `${subscriberId}#${group.size}#${group.member}`;
      if (running.has(name))
        return { ok: false, reason: `member ${group.member} of ${group.size} already runs in this process` };
      const clash = [...running.entries()].find(
        ([key, other]) => key.startsWith(`${subscriberId}#`) && other.size !== group.size,
      );
      if (clash)
        return {
          ok: false,
          reason: `another process runs member ${clash[1].member} of ${clash[1].size}: every member must use one group size`,
        };
      running.set(name, group);
      const lost = new AbortController();
      let held = true;
      return {
        ok: true,
        claim: {
          get held() {
            return held;
          },
          lost: lost.signal,
          async release() {
            if (!held) return;
            held = false;
            running.delete(name);
          },
        },
      };
    },
  };
}

/** Like the real store, it is handed its version table; the site's is the default. */
export function createMemoryMessageStore(versions: VersionRegistry = messageVersions): MemoryMessageStore {
  const all: MessageRow[] = [];
  const streams = new Map<string, MessageRow[]>();
  const byId = new Map<string, MessageRow>();
  const listeners = new Map<string, Set<() => void>>();

  function streamRows(stream: string): MessageRow[] {
    return streams.get(stream) ?? [];
  }

  function version(stream: string): number {
    return streamRows(stream).length - 1;
  }

  // The real store is woken by a notification after the commit, never inside write(): so here.
  function announce(category: string): void {
    for (const key of [category, ANY_CATEGORY]) {
      for (const listener of listeners.get(key) ?? []) setImmediate(listener);
    }
  }

  const store: MemoryMessageStore = {
    async write(stream, message, expectedVersion) {
      assertStreamName(stream);
      const id = uuidOf(message.id);
      // A retried write of the same id: its first position, or a writer's bug (write.ts).
      const earlier = byId.get(id);
      if (earlier) {
        if (earlier.stream_name === stream) return Number(earlier.position);
        throw new DuplicateMessageIdError(message.id, stream, earlier.stream_name);
      }
      const current = version(stream);
      if (expectedVersion !== undefined && expectedVersion !== current)
        throw new VersionConflictError(stream, expectedVersion, current);
      const metadata = {
        ...message.metadata,
        schemaVersion: message.metadata.schemaVersion ?? versions.currentVersion(message.type),
      };
      const row: MessageRow = {
        id,
        stream_name: stream,
        type: message.type,
        position: current + 1,
        global_position: all.length + 1,
        // Stored as text and read back through the real row reader: callers get copies, shaped as the real store gives them.
        data: JSON.stringify(message.data ?? {}),
        metadata: JSON.stringify(metadata),
        time: new Date(),
      };
      all.push(row);
      byId.set(row.id, row);
      streams.set(stream, [...streamRows(stream), row]);
      announce(categoryOf(stream));
      return current + 1;
    },
    async readStream(stream, { fromPosition = 0, batchSize = DEFAULT_BATCH } = {}) {
      assertStreamName(stream);
      return batch(
        streamRows(stream).filter((row) => Number(row.position) >= fromPosition),
        batchSize,
      );
    },
    async readCategory(category, { fromPosition = 1, batchSize = DEFAULT_BATCH, correlation, consumerGroup } = {}) {
      assertCategory(category);
      if (correlation !== undefined) assertCategory(correlation);
      if (consumerGroup) assertConsumerGroup(consumerGroup);
      const rows = all.filter((row) => {
        if (categoryOf(row.stream_name) !== category || Number(row.global_position) < fromPosition) return false;
        if (correlation !== undefined && categoryOf(fromRow(row).metadata.correlationStreamName ?? '') !== correlation)
          return false;
        if (consumerGroup && streamHash(row.stream_name) % BigInt(consumerGroup.size) !== BigInt(consumerGroup.member))
          return false;
        return true;
      });
      return batch(rows, batchSize);
    },
    allMessagesReader(): AllMessagesReader {
      return {
        async read(fromPosition, batchSize) {
          return {
            messages: batch(
              all.filter((row) => Number(row.global_position) >= fromPosition),
              batchSize,
            ),
            waiting: false,
          };
        },
      };
    },
    async readLastMessage(stream, type) {
      assertStreamName(stream);
      const rows = streamRows(stream).filter((row) => type === undefined || row.type === type);
      const last = rows.at(-1);
      return last ? fromRow(last) : undefined;
    },
    async streamNames(category, idPrefix) {
      assertCategory(category);
      return [...streams.keys()]
        .filter((name) => categoryOf(name) === category && name.startsWith(`${category}-${idPrefix}`))
        .sort();
    },
    async streamVersion(stream) {
      assertStreamName(stream);
      return version(stream);
    },
    async project(stream, projection) {
      let state = projection.init();
      let position = -1;
      for (const message of await store.readStream(stream, { batchSize: -1 })) {
        const apply = projection.apply[message.type];
        if (apply) state = apply(state, message);
        position = message.position;
      }
      return { state, version: position };
    },
    async projectEach(names, projection) {
      const folded = new Map<string, { state: ReturnType<typeof projection.init>; version: number }>();
      for (const stream of names) folded.set(stream, await store.project(stream, projection));
      return folded;
    },
    onWrite(category, listener) {
      const set = listeners.get(category) ?? new Set();
      listeners.set(category, set);
      set.add(listener);
      return () => void set.delete(listener);
    },
    membership: createMemoryMembership(),
    async version() {
      return 'memory';
    },
    async close() {
      listeners.clear();
    },
    written: () => all.map(fromRow),
  };
  return store;
}

/** An in-memory store closed with the scope: openTestStore's shape for the unit tier, where there is no pool and no database. */
export function openMemoryStore(scope: Scope): { readonly store: MemoryMessageStore } {
  return { store: scope.add(createMemoryMessageStore(), (store) => store.close()) };
}
