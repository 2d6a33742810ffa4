import test from 'tape';
import { minuteChart } from '../../src/app/admin/dashboard/chart.ts';

test('admin dashboard chart: times at the ends and every quarter hour, a summary to read out, and the busy minutes as numbers', (t) => {
  const start = Date.parse('2026-12-06T10:05:00Z');
  const minutes = Array.from({ length: 60 }, (_, n) => ({
    minute: new Date(start + n * 60_000),
    messages: n === 20 ? 7 : n === 59 ? 2 : 0,
  }));
  const chart = minuteChart(minutes);
  t.deepEqual(chart.ticks, ['10:05', '10:20', '10:35', '10:49', '11:04'], 'the first minute, each quarter, the last');
  t.equal(
    chart.summary,
    'Messages per minute from 10:05 to 11:04 UTC: 9 in all, the busiest minute 10:25 with 7.',
    'what the drawing says, in words',
  );
  t.deepEqual(
    chart.busyMinutes,
    [
      { time: '11:04 UTC', messages: '2' },
      { time: '10:25 UTC', messages: '7' },
    ],
    'the minutes with messages, newest first',
  );
  t.equal(
    minuteChart(minutes.map((minute) => ({ ...minute, messages: 0 }))).summary,
    'Messages per minute from 10:05 to 11:04 UTC: 0 in all, none in any minute.',
    'a quiet hour says so',
  );
  t.end();
});
