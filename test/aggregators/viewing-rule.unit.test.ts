import test from 'tape';
import { applyCountingRule, windowKey, type LastCounted } from '../../src/aggregators/viewing-counts/rule.ts';

const WINDOW = 30 * 60_000;
const at = (minutes: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + minutes * 60_000);
const viewing = (visitorKey: string | null, minutes: number, videoId = 'video-1') => ({
  videoId,
  visitorKey,
  time: at(minutes),
});

test('counting rule: once per visitor and video per window, the window starting at the last one counted', (t) => {
  const { counted, moved } = applyCountingRule(
    [viewing('a', 0), viewing('a', 29.99), viewing('a', 30), viewing('b', 5), viewing('a', 10, 'video-2')],
    new Map(),
    WINDOW,
  );
  t.deepEqual(
    counted,
    [true, false, true, true, true],
    'a at 0 and again at 30; b and a of another video on their own',
  );
  t.deepEqual(
    moved.map((window) => [window.videoId, window.visitorKey, window.countedAt.toISOString()]),
    [
      ['video-1', 'a', at(30).toISOString()],
      ['video-1', 'b', at(5).toISOString()],
      ['video-2', 'a', at(10).toISOString()],
    ],
    'each window that moved, once, at its last counted viewing',
  );
  t.end();
});

test('counting rule: windows carried over from earlier batches; no visitor named, always counted; a viewing dated before the window moves nothing', (t) => {
  const last = new Map<string, LastCounted>([
    [windowKey('video-1', 'a'), { videoId: 'video-1', visitorKey: 'a', countedAt: at(0) }],
  ]);
  const { counted, moved } = applyCountingRule(
    [viewing('a', 20), viewing(null, 20), viewing(null, 20), viewing('a', -5)],
    last,
    WINDOW,
  );
  t.deepEqual(
    counted,
    [false, true, true, false],
    'within the carried window: not counted; unnamed viewings: each counted; one dated earlier (clock skew): not counted',
  );
  t.deepEqual(moved, [], 'and no window moved');
  t.end();
});
