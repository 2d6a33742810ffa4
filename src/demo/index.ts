import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { VIDEO_PUBLISHING_COMMAND_CATEGORY, videoPublishingCommandStreamName } from '../contracts/video-publishing.ts';
import type { Logger } from '../logger.ts';
import { VersionConflictError, type MessageStore } from '../message-store/index.ts';
import { videoKeys, type VideoStore } from '../video-store/index.ts';
import { DEMO_ACCOUNT, demoLogIn, requestDemoAccount } from './account.ts';
import type { AccountLinks } from '../account-links/index.ts';
import { makeSampleVideo } from './make-sample.ts';
import { sampleCommands } from './sample-commands.ts';
import { SAMPLE_VIDEOS, type SampleVideo } from './samples.ts';
import type { WrittenMessage } from './written.ts';

export { DEMO_ACCOUNT, demoLogIn } from './account.ts';
export { SAMPLE_VIDEOS } from './samples.ts';
export type { WrittenMessage } from './written.ts';

export interface SeedDemoDeps {
  readonly messageStore: MessageStore;
  readonly videoStore: VideoStore;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  /** BCRYPT_COST, for the demo account's password hash. */
  readonly bcryptCost: number;
  /** The site's account links, to confirm the demo creator's address (src/demo/account.ts). */
  readonly accountLinks?: AccountLinks;
  /**
   * True (start-up, the default): seed only a store without videos, or finish a seeding begun
   * earlier; a store where creators have published is left alone. False (`npm run seed`): add
   * the samples whatever else is there.
   */
  readonly onlyIntoEmptyStore?: boolean;
}

export interface DemoSeeding {
  /** What this run wrote; empty when an earlier run had written it all. */
  readonly written: readonly WrittenMessage[];
  /** Set when nothing was written because the store has other creators' videos. */
  readonly skipped?: string;
}

/** Has any creator but the demo one sent a video? Only asked before the first demo command. */
async function storeHasVideos(messageStore: MessageStore): Promise<boolean> {
  const [first] = await messageStore.readCategory(VIDEO_PUBLISHING_COMMAND_CATEGORY, { batchSize: 1 });
  return first !== undefined;
}

/**
 * Sends what the stream does not hold yet of the sample's commands, each at the version the
 * one before it left: the file is made and stored only before the PublishVideo. A seeder racing
 * this one meets a version conflict and leaves the rest to it.
 */
async function publishSample(deps: SeedDemoDeps, sample: SampleVideo, workDir: string): Promise<WrittenMessage[]> {
  const { messageStore, videoStore, ffmpegPath } = deps;
  const stream = videoPublishingCommandStreamName(sample.videoId);
  const commands = sampleCommands(sample);
  const written: WrittenMessage[] = [];
  for (let index = (await messageStore.streamVersion(stream)) + 1; index < commands.length; index += 1) {
    const command = commands[index]!;
    if (command.type === 'PublishVideo') {
      const file = path.join(workDir, `${sample.videoId}.mp4`);
      await makeSampleVideo(ffmpegPath, sample, file);
      await videoStore.put(videoKeys.source(sample.videoId), createReadStream(file));
    }
    try {
      await messageStore.write(stream, command, index - 1);
    } catch (error) {
      if (error instanceof VersionConflictError) return written;
      throw error;
    }
    written.push({ streamName: stream, type: command.type });
  }
  return written;
}

/**
 * Demo content for a newcomer: registers the demo creator and publishes three short sample
 * videos, made here with ffmpeg's test sources, through the very commands a creator's upload
 * sends. It only writes them: the identity and video-publishing components, wherever they run,
 * do the rest. Every id is fixed, so running it again writes nothing new.
 */
export async function seedDemo(deps: SeedDemoDeps): Promise<DemoSeeding> {
  const { messageStore, logger, onlyIntoEmptyStore = true } = deps;
  const versions = await Promise.all(
    SAMPLE_VIDEOS.map((sample) => messageStore.streamVersion(videoPublishingCommandStreamName(sample.videoId))),
  );
  const begun = versions.some((version) => version >= 0);
  if (onlyIntoEmptyStore && !begun && (await storeHasVideos(messageStore))) {
    logger.debug('demo content not seeded: the store has videos');
    return { written: [], skipped: 'the store has videos already' };
  }

  const written = await requestDemoAccount(messageStore, deps.bcryptCost, deps.accountLinks);
  if (written.length > 0) logger.info({ email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password }, demoLogIn());
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vt-demo-'));
  try {
    for (const sample of SAMPLE_VIDEOS) written.push(...(await publishSample(deps, sample, workDir)));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const published = written.filter((message) => message.type === 'PublishVideo').length;
  if (published > 0)
    logger.info({ videos: published }, 'demo videos sent for publishing; they appear in the catalog once transcoded');
  return { written };
}
