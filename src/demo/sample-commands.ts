import type { DescribeVideo, NameVideo, PublishVideo } from '../contracts/video-publishing.ts';
import { uriOfKey, videoKeys } from '../video-store/index.ts';
import { DEMO_ACCOUNT } from './account.ts';
import { demoMessageId, type SampleVideo } from './samples.ts';

export type SampleCommand = PublishVideo | NameVideo | DescribeVideo;

/**
 * What a creator's upload of the sample sends, in order: publish, name, describe. Each has its
 * own trace (one operation each, as the portal's requests would) and, like its id, the same one
 * on every run: the seeder finds how many a stream holds and writes the rest.
 */
export function sampleCommands({
  videoId,
  name,
  description,
}: SampleVideo): readonly [PublishVideo, NameVideo, DescribeVideo] {
  const metadata = (type: SampleCommand['type']) => ({
    traceId: demoMessageId(videoId, `${type}/trace`),
    userId: DEMO_ACCOUNT.userId,
  });
  return [
    {
      id: demoMessageId(videoId, 'PublishVideo'),
      type: 'PublishVideo',
      data: {
        ownerId: DEMO_ACCOUNT.userId,
        videoId,
        sourceUri: uriOfKey(videoKeys.source(videoId)),
        visibility: 'public',
      },
      metadata: metadata('PublishVideo'),
    },
    {
      id: demoMessageId(videoId, 'NameVideo'),
      type: 'NameVideo',
      data: { videoId, name },
      metadata: metadata('NameVideo'),
    },
    {
      id: demoMessageId(videoId, 'DescribeVideo'),
      type: 'DescribeVideo',
      data: { videoId, description },
      metadata: metadata('DescribeVideo'),
    },
  ];
}
