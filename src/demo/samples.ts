import { v5 as uuidV5 } from 'uuid';

// Fixed: the demo videos' ids, and their commands' ids and traces, derive from it, so a second
// run finds what the first one wrote. Changing it would publish the samples again.
const DEMO_NAMESPACE = '0f4b8d62-7a1e-4e53-b9c8-2d6a5f3e1c97';

export interface SampleVideo {
  readonly videoId: string;
  readonly name: string;
  readonly description: string;
  /** An ffmpeg lavfi video source, sized by the maker. */
  readonly picture: string;
  /** The pitch of its tone, so each also sounds different. */
  readonly toneHz: number;
}

const sample = (slug: string, rest: Omit<SampleVideo, 'videoId'>): SampleVideo => ({
  videoId: uuidV5(`video/${slug}`, DEMO_NAMESPACE),
  ...rest,
});

/** Three short test patterns, each of its own colours and tone: made on the spot, nothing downloaded. */
export const SAMPLE_VIDEOS: readonly SampleVideo[] = [
  sample('test-pattern', {
    name: 'Welcome: a moving test pattern',
    description:
      'A short clip to try the player with: press play, pause, drag along the timeline and go full screen. When you are ready to share what you know, register and publish a tutorial of your own from “Your videos”.',
    picture: 'testsrc2',
    toneHz: 440,
  }),
  sample('colour-bars', {
    name: 'Colour bars and a tone',
    description:
      'Why broadcasts start with colour bars and a steady tone: in a few seconds they show whether a screen’s colours and a speaker’s volume are right. Pause on the bars and compare them on your own screens.',
    picture: 'smptebars',
    toneHz: 554,
  }),
  sample('mandelbrot', {
    name: 'A zoom into the Mandelbrot set',
    description:
      'Five seconds of zooming into the Mandelbrot set, the shape drawn by repeating z² + c. Watch its edge: however far you zoom, new detail appears.',
    picture: 'mandelbrot',
    toneHz: 659,
  }),
];

/** The id of a demo message (a command, or its trace): the same on every run. */
export const demoMessageId = (videoId: string, what: string): string => uuidV5(`${videoId}/${what}`, DEMO_NAMESPACE);
