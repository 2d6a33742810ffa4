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

const sample = (slug: string, rest: Omit<SampleVideo, 'videoId'>): SampleVideo => ({ videoId: uuidV5(`video/${slug}`, DEMO_NAMESPACE), ...rest });

/** Three short test patterns, each of its own colours and tone: made on the spot, nothing downloaded. */
export const SAMPLE_VIDEOS: readonly SampleVideo[] = [
  sample('test-pattern', {
    name: 'Welcome: a moving test pattern',
    description: 'A sample video published by the demo creator when the site started empty. It was made on this machine with ffmpeg (testsrc2), then uploaded, transcoded and published like any creator’s video.',
    picture: 'testsrc2',
    toneHz: 440,
  }),
  sample('colour-bars', {
    name: 'Colour bars and a tone',
    description: 'SMPTE colour bars with a steady tone, the way broadcasters check a picture. Made locally with ffmpeg; register and upload your own video to see it go through the same steps.',
    picture: 'smptebars',
    toneHz: 554,
  }),
  sample('mandelbrot', {
    name: 'A zoom into the Mandelbrot set',
    description: 'Five seconds of ffmpeg’s Mandelbrot source. Every view of it is a VideoViewed event; the count under it is a projection of those events.',
    picture: 'mandelbrot',
    toneHz: 659,
  }),
];

/** The id of a demo message (a command, or its trace): the same on every run. */
export const demoMessageId = (videoId: string, what: string): string => uuidV5(`${videoId}/${what}`, DEMO_NAMESPACE);
