// npm run bench:delivery -- [--seconds 10] [--clients 50] [--videos 20] [--video-seconds 60]
//                            [--targets app,nginx,nginx-app] [--tsx] [--json <file>]
//
// Issue 20 §4: viewers seeking in MP4s. Each client asks again and again for 512 KB–1 MB at a
// random offset of a random one of the videos (Range, keep-alive), reading the whole body, for
// --seconds, against
//   app        the app sending the files itself (VIDEO_DELIVERY=app, the default);
//   nginx      Debian's nginx sending the same files as static files;
//   nginx-app  nginx in front of the app with VIDEO_DELIVERY=x-accel-redirect: the app checks, nginx sends.
// Each prints requests/s, MB/s, p50/p99 of a request (first byte asked to last byte read) and
// the CPU seconds each server (its process and every child, from /proc) spent per GB sent. The
// videos (ffmpeg's test pattern, 720p H.264 at ~3 Mb/s, ~20 MB a minute) are made once and kept
// in a temporary folder. The app is compiled and started as bench/run.ts starts it (--tsx: through
// tsx, without building); BENCH_DATABASE_URL names a server where the role may create databases,
// else an embedded PostgreSQL in a temporary folder is used. The clients run in this process, on
// the same machine: on a small one they take a share of the cores the servers would have.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, chmod, link, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify, parseArgs } from 'node:util';
import { benchDatabaseUrls } from './bench-databases.ts';
import { exitOnInterrupt } from '../src/bin/cli.ts';
import { useEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database.ts';
import { installMessageDb } from '../src/db/install-message-db.ts';
import { createLogger } from '../src/logger.ts';
import { resolveMediaTools } from '../src/media-tools.ts';
import { videoKeys } from '../src/video-store/index.ts';
import { buildApp, startApp, type AppProcess } from './app-process.ts';
import { publishBenchVideo } from './published-video.ts';
import { VIA_PROXY } from './site/visitor.ts';

const NGINX = '/usr/sbin/nginx';
const ACCEL_PREFIX = '/protected-videos/';
const MIN_RANGE = 512 * 1024;
const MAX_RANGE = 1024 * 1024;
const TARGETS = ['app', 'nginx', 'nginx-app'] as const;
type TargetName = (typeof TARGETS)[number];
const CLOCK_TICKS_PER_SECOND = 100;
const logger = createLogger('silent');
const log = (line: string) => process.stderr.write(`bench:delivery: ${line}\n`);

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '50' },
    videos: { type: 'string', default: '20' },
    'video-seconds': { type: 'string', default: '60' },
    targets: { type: 'string', default: TARGETS.join(',') },
    tsx: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

function positive(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`--${name} must be a positive whole number, not ${value}`);
  return number;
}

const SECONDS = positive('seconds', options.seconds);
const CLIENTS = positive('clients', options.clients);
const VIDEOS = positive('videos', options.videos);
const VIDEO_SECONDS = positive('video-seconds', options['video-seconds']);
const wanted = (options.targets ?? '').split(',').map((name) => name.trim());
for (const name of wanted)
  if (!TARGETS.includes(name as TargetName)) throw new Error(`--targets takes ${TARGETS.join(', ')}, not ${name}`);
const WANTED = new Set(wanted as TargetName[]);

// ---------------------------------------------------------------- the videos

/** The cached test videos, made once per size and length: ffmpeg takes a while for 20 of them. */
async function testVideos(): Promise<string[]> {
  const dir = path.join(os.tmpdir(), `vt-bench-delivery-cbr-videos-${VIDEO_SECONDS}s`);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let index = 0; index < VIDEOS; index += 1) {
    const file = path.join(dir, `video-${index}.mp4`);
    files.push(file);
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      continue;
    log(`making test video ${index + 1} of ${VIDEOS} (${VIDEO_SECONDS} s of 720p, kept in ${dir})`);
    const partial = `${file}.partial.mp4`;
    // A pattern and a moving timestamp a video apart, so no two files are the same bytes.
    await promisify(execFile)(resolveMediaTools({}).ffmpegPath, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc=size=1280x720:rate=30:duration=${VIDEO_SECONDS}`],
      ...['-vf', `hue=h=${index * 17}`, '-c:v', 'libx264', '-preset', 'ultrafast'],
      // Constant 3 Mb/s: the test pattern alone compresses to half that, and the files would be small.
      ...['-b:v', '3M', '-minrate', '3M', '-maxrate', '3M', '-bufsize', '3M', '-x264-params', 'nal-hrd=cbr'],
      ...['-pix_fmt', 'yuv420p', '-movflags', '+faststart', partial],
    ]);
    await rename(partial, file);
  }
  return files;
}

/** The files in a video folder of this run, each at its video's key (hard links, copies where a link fails). */
async function placeVideos(videoDir: string, sources: readonly string[], videoIds: readonly string[]) {
  const placed: { videoId: string; bytes: number }[] = [];
  for (const [index, videoId] of videoIds.entries()) {
    const target = path.join(videoDir, ...videoKeys.transcoded(videoId).split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    const source = sources[index]!;
    await link(source, target).catch(async () => writeFile(target, await readFile(source)));
    placed.push({ videoId, bytes: (await stat(target)).size });
  }
  return placed;
}

/** nginx's workers run as nobody: every folder on the way to the videos must let them through. */
async function openToNginx(...dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let current = dir; current !== path.dirname(current); current = path.dirname(current))
      if (current.startsWith(os.tmpdir()) && current !== os.tmpdir()) await chmod(current, 0o755);
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
      await chmod(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

// ---------------------------------------------------------------- nginx

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

interface Nginx {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * nginx on a free port with a configuration of its own in a temporary folder: the video folder
 * as static files under /static-videos/, and, given an app, /videos/ proxied to it with the
 * internal location docs/video-delivery.md describes.
 */
async function startNginx(videoDir: string, appUrl: string | undefined): Promise<Nginx> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-nginx-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const app = appUrl === undefined ? undefined : new URL(appUrl);
  const config = `daemon off;
master_process on;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { video/mp4 mp4; image/jpeg jpg; }
  default_type application/octet-stream;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${
  app === undefined
    ? ''
    : `  upstream app {
    server ${app.host};
    keepalive 64;
  }
`
}  server {
    listen 127.0.0.1:${port};
    location /static-videos/ {
      alias ${videoDir}/transcoded/;
    }
${
  app === undefined
    ? ''
    : `    location /videos/ {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }
    location ${ACCEL_PREFIX} {
      internal;
      alias ${videoDir}/;
    }
`
}  }
}
`;
  const configFile = path.join(dir, 'nginx.conf');
  await writeFile(configFile, config);
  const child = spawn(NGINX, ['-c', configFile, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let tries = 0; ; tries += 1) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nginx exited (${child.exitCode}) before listening; its configuration was:\n${config}`);
    }
    const up = await fetch(`${url}/`).then(
      async (answer) => (await answer.arrayBuffer(), true),
      () => false,
    );
    if (up) return { child, url, stop };
    if (tries > 100) {
      await stop();
      throw new Error('nginx did not answer within 5 s');
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------- measuring

/** CPU time (user + system) of a process and all its descendants (nginx's workers), in ms, from /proc. */
async function treeCpuMs(root: number): Promise<number> {
  const processes: { pid: number; ppid: number; ms: number }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
    processes.push({
      pid: Number(name),
      ppid: Number(fields[1]),
      ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND,
    });
  }
  const inTree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const each of processes)
      if (!inTree.has(each.pid) && inTree.has(each.ppid)) {
        inTree.add(each.pid);
        grew = true;
      }
  }
  return processes.filter((each) => inTree.has(each.pid)).reduce((sum, each) => sum + each.ms, 0);
}

interface Server {
  readonly name: string;
  readonly pid: number;
}

interface Figures {
  readonly target: TargetName;
  readonly requests: number;
  readonly failed: number;
  readonly firstFailure: string | undefined;
  readonly requestsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU seconds per GB sent, each server process with its children. */
  readonly cpuSecondsPerGB: Record<string, number>;
  /** The headers of one answer, to see what reached the viewer (nginx keeps the app's type and caching rule). */
  readonly sampleHeaders: http.IncomingHttpHeaders | undefined;
}

interface Video {
  readonly videoId: string;
  readonly bytes: number;
}

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

/** One Range request, its body read whole: the bytes read, or why it failed. */
function rangeRequest(
  agent: http.Agent,
  url: URL,
  start: number,
  end: number,
  seen: (headers: http.IncomingHttpHeaders) => void,
): Promise<number | string> {
  return new Promise((resolve) => {
    const asked = http.get(url, { agent, headers: { ...VIA_PROXY, Range: `bytes=${start}-${end}` } }, (answer) => {
      seen(answer.headers);
      let bytes = 0;
      answer.on('data', (chunk: Buffer) => (bytes += chunk.length));
      answer.on('end', () => {
        const expected = end - start + 1;
        if (answer.statusCode !== 206) resolve(`HTTP ${answer.statusCode} for ${url.pathname}`);
        else if (bytes !== expected) resolve(`${bytes} bytes instead of ${expected} from ${url.pathname}`);
        else resolve(bytes);
      });
      answer.on('error', (error) => resolve(error.message));
    });
    asked.on('error', (error) => resolve(error.message));
  });
}

async function measure(
  target: TargetName,
  videos: readonly Video[],
  urlOf: (video: Video) => URL,
  servers: readonly Server[],
): Promise<Figures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  // A short warm-up: connections open, the files in the page cache, the app's code compiled.
  const warmUntil = performance.now() + Math.min(2_000, SECONDS * 200);
  const latencies: number[] = [];
  let bytes = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let counting = false;
  let stopAt = Infinity;
  let sampleHeaders: http.IncomingHttpHeaders | undefined;
  const seen = (headers: http.IncomingHttpHeaders) => (sampleHeaders ??= headers);

  async function client(): Promise<void> {
    while (performance.now() < stopAt) {
      const video = videos[Math.floor(Math.random() * videos.length)]!;
      const length = MIN_RANGE + Math.floor(Math.random() * (MAX_RANGE - MIN_RANGE + 1));
      const start = Math.floor(Math.random() * Math.max(1, video.bytes - length));
      const end = Math.min(video.bytes - 1, start + length - 1);
      const began = performance.now();
      const counted = counting;
      const outcome = await rangeRequest(agent, urlOf(video), start, end, seen);
      if (!counted || !counting) continue;
      if (typeof outcome === 'string') {
        failed += 1;
        firstFailure ??= outcome;
        continue;
      }
      latencies.push(performance.now() - began);
      bytes += outcome;
    }
  }

  const clients = Array.from({ length: CLIENTS }, () => client());
  await sleep(Math.max(0, warmUntil - performance.now()));
  const cpuBefore = await Promise.all(servers.map((server) => treeCpuMs(server.pid)));
  counting = true;
  const began = performance.now();
  await sleep(SECONDS * 1000);
  counting = false;
  const elapsedS = (performance.now() - began) / 1000;
  const cpuAfter = await Promise.all(servers.map((server) => treeCpuMs(server.pid)));
  stopAt = 0;
  await Promise.all(clients);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const gigabytes = bytes / 1e9;
  return {
    target,
    requests: latencies.length,
    failed,
    firstFailure,
    requestsPerSecond: latencies.length / elapsedS,
    megabytesPerSecond: bytes / 1e6 / elapsedS,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuSecondsPerGB: Object.fromEntries(
      servers.map((server, index) => [server.name, (cpuAfter[index]! - cpuBefore[index]!) / 1000 / gigabytes]),
    ),
    sampleHeaders,
  };
}

function table(rows: readonly Figures[]): string {
  const lines = [
    '| target | requests/s | MB/s | p50 ms | p99 ms | CPU s per GB | failed |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const cpu = Object.entries(row.cpuSecondsPerGB)
      .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
      .join(', ');
    lines.push(
      `| ${row.target} | ${row.requestsPerSecond.toFixed(0)} | ${row.megabytesPerSecond.toFixed(1)} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ${cpu} | ${row.failed}${row.firstFailure === undefined ? '' : ` (first: ${row.firstFailure})`} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const nginxInstalled = await access(NGINX).then(
    () => true,
    () => false,
  );
  if (!nginxInstalled && (WANTED.has('nginx') || WANTED.has('nginx-app'))) {
    log(
      `${NGINX} is not installed: skipping the nginx and nginx-app targets (DEBIAN_FRONTEND=noninteractive apt-get install -y nginx)`,
    );
    WANTED.delete('nginx');
    WANTED.delete('nginx-app');
  }
  const sources = await testVideos();
  const configured = process.env.BENCH_DATABASE_URL;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-delivery-'));
  // Ctrl-C ends through process.exit, so an embedded server (in a process group of its own) is stopped after us.
  exitOnInterrupt();
  const embedded = configured ? undefined : await useEmbeddedPostgres({ dir: path.join(tmp, 'data'), port: 0, logger });
  const urls = benchDatabaseUrls(configured, embedded);
  const videoDir = path.join(tmp, 'videos');
  await mkdir(videoDir, { recursive: true });
  const results: Figures[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    await ensureDatabase(urls.messageStoreUrl, logger);
    await ensureDatabase(urls.databaseUrl, logger);
    await installMessageDb(urls.messageStoreUrl, logger);
    if (!options.tsx && (WANTED.has('app') || WANTED.has('nginx-app'))) buildApp();
    const start = async (mode: 'app' | 'x-accel-redirect'): Promise<AppProcess> => {
      const app = await startApp(urls, {
        compiled: !options.tsx,
        env: { VIDEO_DIR: videoDir, VIDEO_DELIVERY: mode, VIDEO_ACCEL_PREFIX: ACCEL_PREFIX },
      });
      stops.push(() => app.stop());
      return app;
    };

    // The videos are published once, through the store as the component publishes them; both app runs read the same catalog.
    let app = await start('app');
    log(`publishing ${VIDEOS} videos`);
    const videoIds: string[] = [];
    for (let index = 0; index < VIDEOS; index += 1)
      videoIds.push(await publishBenchVideo(app.url, urls.messageStoreUrl, `Seeking ${index + 1}`));
    const videos = await placeVideos(videoDir, sources, videoIds);
    await openToNginx(videoDir);
    const total = videos.reduce((sum, video) => sum + video.bytes, 0);
    log(`${VIDEOS} videos, ${(total / 1e6).toFixed(0)} MB in all; ${CLIENTS} clients for ${SECONDS} s a target`);

    if (WANTED.has('app')) {
      log('app: the app sends the files itself');
      results.push(
        await measure('app', videos, (video) => new URL(`${app.url}/videos/${video.videoId}/video.mp4`), [
          { name: 'app', pid: app.child.pid! },
        ]),
      );
    }
    await app.stop();

    if (WANTED.has('nginx')) {
      log('nginx: static files');
      const nginx = await startNginx(videoDir, undefined);
      stops.push(() => nginx.stop());
      results.push(
        await measure('nginx', videos, (video) => new URL(`${nginx.url}/static-videos/${video.videoId}.mp4`), [
          { name: 'nginx', pid: nginx.child.pid! },
        ]),
      );
      await nginx.stop();
    }

    if (WANTED.has('nginx-app')) {
      log('nginx-app: the app checks, nginx sends (X-Accel-Redirect)');
      app = await start('x-accel-redirect');
      const nginx = await startNginx(videoDir, app.url);
      stops.push(() => nginx.stop());
      results.push(
        await measure('nginx-app', videos, (video) => new URL(`${nginx.url}/videos/${video.videoId}/video.mp4`), [
          { name: 'nginx', pid: nginx.child.pid! },
          { name: 'app', pid: app.child.pid! },
        ]),
      );
      await nginx.stop();
      await app.stop();
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await dropDatabase(urls.messageStoreUrl).catch(() => undefined);
    await dropDatabase(urls.databaseUrl).catch(() => undefined);
    await embedded?.release();
    await rm(tmp, { recursive: true, force: true });
  }

  const machine = `${os.cpus().length} cores, load ${os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`;
  process.stdout.write(
    `Video delivery: ${CLIENTS} clients seeking (${MIN_RANGE / 1024}–${MAX_RANGE / 1024} KB Range requests) in ${VIDEOS} videos of ${VIDEO_SECONDS} s, ${SECONDS} s a target, app ${options.tsx ? 'through tsx' : 'compiled'}; ${machine}\n\n${table(results)}\n`,
  );
  if (options.json)
    await writeFile(
      options.json,
      `${JSON.stringify({ clients: CLIENTS, seconds: SECONDS, videos: VIDEOS, videoSeconds: VIDEO_SECONDS, compiled: !options.tsx, machine, results }, null, 2)}\n`,
    );
}

await main();
