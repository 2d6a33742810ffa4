import { randomUUID } from 'node:crypto';
import test from 'tape';
import { parseMessage } from '../../src/contracts/parse.ts';
import { messageVersions } from '../../src/contracts/versions.ts';
import { viewingSchemas } from '../../src/contracts/viewing.ts';
import {
  createVersionRegistry,
  MessageDataError,
  type Metadata,
  type RawMessage,
} from '../../src/message-store/index.ts';
import { fromRow } from '../../src/message-store/rows.ts';

function stored(type: string, data: unknown, metadata: Metadata = {}): RawMessage {
  return {
    id: randomUUID(),
    type,
    data,
    metadata,
    streamName: `viewing-${randomUUID()}`,
    position: 0,
    globalPosition: 1,
    time: new Date(),
  };
}

const videoId = randomUUID();

test('versions: VideoViewed version 1 (no schemaVersion, or "1") is read as version 3 with source unknown and no visitor', (t) => {
  for (const metadata of [{}, { schemaVersion: '1' }] satisfies Metadata[]) {
    const upcast = messageVersions.upcast(stored('VideoViewed', { videoId, userId: null }, metadata));
    t.deepEqual(
      upcast.data,
      { videoId, userId: null, source: 'unknown', visitorKey: null },
      `written with ${JSON.stringify(metadata)}: gains source unknown and a null visitor key`,
    );
    t.equal(upcast.metadata.schemaVersion, '3', 'and says it is version 3 now');
    const parsed = parseMessage(viewingSchemas, stored('VideoViewed', { videoId, userId: 'u-1' }, metadata));
    t.equal(parsed?.data.source, 'unknown', 'parseMessage applies it before the contract checks the data');
  }
  t.end();
});

test('versions: a version 2 viewing gains a null visitor key; a version 3 one passes as written; others keep their data', (t) => {
  const v2 = stored('VideoViewed', { videoId, userId: null, source: 'button' }, { schemaVersion: '2' });
  t.deepEqual(
    messageVersions.upcast(v2).data,
    { videoId, userId: null, source: 'button', visitorKey: null },
    'version 2 named no visitor',
  );
  t.deepEqual(
    parseMessage(viewingSchemas, v2)?.data,
    { videoId, userId: null, source: 'button', visitorKey: null },
    'and reads so through the contract',
  );
  const v3 = stored(
    'VideoViewed',
    { videoId, userId: null, source: 'button', visitorKey: 'k' },
    { schemaVersion: '3' },
  );
  t.equal(messageVersions.upcast(v3), v3, 'the current version is left alone');
  t.equal(parseMessage(viewingSchemas, v3)?.data.visitorKey, 'k');
  const keyless = stored('VideoViewed', { videoId, userId: null, source: 'button' }, { schemaVersion: '3' });
  t.equal(
    parseMessage(viewingSchemas, keyless)?.data.visitorKey,
    null,
    'a version 3 viewing without a key reads as naming nobody (counted like an old one)',
  );
  const tick = stored('Tick', { n: 1 });
  t.equal(messageVersions.upcast(tick), tick, 'a type that never changed is version 1 and untouched');
  t.equal(messageVersions.currentVersion('VideoViewed'), '3');
  t.equal(messageVersions.currentVersion('Registered'), '1', 'a type not in the table is at version 1');
  t.end();
});

test('versions: a version newer than this code knows, or no version at all, breaks the contract like bad data', (t) => {
  for (const [type, version] of [
    ['VideoViewed', '4'],
    ['Registered', '2'],
    ['VideoViewed', 'two'],
    ['VideoViewed', '0'],
    ['VideoViewed', ''],
  ] as const) {
    const message = stored(type, { videoId, userId: null, source: 'button' }, { schemaVersion: version });
    try {
      messageVersions.upcast(message);
      t.fail(`${type} at ${JSON.stringify(version)} was accepted`);
    } catch (error) {
      t.ok(
        error instanceof MessageDataError && error.permanent,
        `${type} at ${JSON.stringify(version)}: MessageDataError (skipped or parked, never retried)`,
      );
    }
  }
  t.throws(
    () => parseMessage(viewingSchemas, stored('VideoViewed', {}, { schemaVersion: '4' })),
    /newer than this code reads/,
    'through parseMessage too',
  );
  t.end();
});

test('versions: a registry must have a step out of every older version', (t) => {
  t.throws(
    () => createVersionRegistry([{ type: 'A', current: '3', steps: { '1': (data) => data } }]),
    /no step from version 2/,
  );
  t.throws(
    () => createVersionRegistry([{ type: 'A', current: '2', steps: { '1': (data) => data, '2': (data) => data } }]),
    /not before 2/,
  );
  t.throws(() => createVersionRegistry([{ type: 'A', current: 'v2', steps: {} }]), /not a whole number/);
  const registry = createVersionRegistry([
    {
      type: 'A',
      current: '3',
      steps: { '1': (data) => ({ ...(data as object), b: 1 }), '2': (data) => ({ ...(data as object), c: 2 }) },
    },
  ]);
  t.deepEqual(
    registry.upcast(stored('A', { a: 0 })).data,
    { a: 0, b: 1, c: 2 },
    'steps run in order, from the version written',
  );
  t.deepEqual(
    registry.upcast(stored('A', { a: 0, b: 1 }, { schemaVersion: '2' })).data,
    { a: 0, b: 1, c: 2 },
    'from version 2, only the last step',
  );
  t.end();
});

test('versions: a schemaVersion stored as a number or another non-text value is judged, not read as version 1', (t) => {
  const row = (metadata: string) => ({
    id: randomUUID(),
    stream_name: `viewing-${videoId}`,
    type: 'VideoViewed',
    position: 0,
    global_position: 1,
    data: JSON.stringify({ videoId, userId: null }),
    metadata,
    time: new Date(),
  });
  const four = fromRow(row('{"schemaVersion": 4}'));
  t.equal(four.metadata.schemaVersion, '4', 'the number is kept, as text');
  t.throws(
    () => messageVersions.upcast(four),
    /schemaVersion 4 is newer than this code reads/,
    'and a version 4 is refused like "4" would be',
  );
  t.throws(
    () => messageVersions.upcast(fromRow(row('{"schemaVersion": {"v": 1}}'))),
    /is not a version/,
    'an object is no version',
  );
  t.throws(() => messageVersions.upcast(fromRow(row('{"schemaVersion": null}'))), /is not a version/, 'nor is null');
  t.equal(
    messageVersions.upcast(fromRow(row('{"schemaVersion": 3}'))).metadata.schemaVersion,
    '3',
    'a numeric current version reads as that version',
  );
  t.equal(
    messageVersions.upcast(fromRow(row('{}'))).metadata.schemaVersion,
    '3',
    'no schemaVersion at all is still version 1, upcast',
  );
  t.end();
});
