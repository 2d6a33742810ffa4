import test from 'tape';
import { transcodeArguments, transcodeThreads } from '../../src/components/video-publishing/media/transcode.ts';

test('transcode arguments: the decoder and the encoder get a bounded number of threads, whatever the machine', (t) => {
  const args = transcodeArguments('in.mkv', 'out.mp4', { seconds: 10, maxPixels: 320 * 240 * 2, maxOutputBytes: 1024 });
  const threads = args.flatMap((arg, index) => (arg === '-threads' ? [Number(args[index + 1])] : []));
  t.equal(threads.length, 2, 'set twice: before the input (decoding) and after it (encoding)');
  t.ok(
    threads.every((count) => count === transcodeThreads() && count >= 1 && count <= 8),
    `each ${transcodeThreads()}, at most 8`,
  );
  t.ok(
    args.indexOf('-threads') < args.indexOf('-i') && args.lastIndexOf('-threads') > args.indexOf('-i'),
    'one on each side of -i',
  );
  t.end();
});
