import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool, ToolOutputTooLargeError } from '../../src/components/video-publishing/media/run-tool.ts';
import {
  createSandbox,
  DEFAULT_SANDBOX_TOOLS,
  UNCONFINED,
} from '../../src/components/video-publishing/media/sandbox.ts';
import {
  resolveMediaTools,
  ffmpegPath as bundledFfmpeg,
  ffprobePath as bundledFfprobe,
} from '../../src/media-tools.ts';
import { tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// How ffmpeg and ffprobe are launched on an untrusted upload (issue 14 §2): nothing of our
// environment, kernel limits, no network; and which ffmpeg is used.

/** A stand-in for ffmpeg that reports where it runs: its environment, its limits, its network devices. */
async function inspector(dir: string): Promise<string> {
  const script = path.join(dir, 'inspect.sh');
  await writeFile(
    script,
    '#!/bin/sh\necho "== environment"\nenv\necho "== limits"\ncat /proc/self/limits\necho "== network"\ncat /proc/net/dev\n',
  );
  await chmod(script, 0o755);
  return script;
}

const section = (output: string, name: string): string => output.split(`== ${name}\n`)[1]?.split('\n== ')[0] ?? '';

const SECRETS = {
  DATABASE_URL: 'postgres://app:app-password@db.internal/app',
  MESSAGE_STORE_URL: 'postgres://ms:ms-password@db.internal/message_store',
  COOKIE_SECRET: 'a-cookie-secret-nobody-may-read-0123456789',
  AUDIT_KEY: 'an-audit-key-nobody-may-read-0123456789',
};

scopedTest('media sandbox: a tool gets none of our environment, whatever the process holds', async (t, scope) => {
  const saved = Object.fromEntries(Object.keys(SECRETS).map((name) => [name, process.env[name]]));
  scope.add(saved, (values) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  Object.assign(process.env, SECRETS);
  const tool = await inspector(await tempDir(scope));
  const output = await runTool(tool, [], { signal: new AbortController().signal, sandbox: UNCONFINED });
  const environment = section(output, 'environment');
  for (const [name, value] of Object.entries(SECRETS)) {
    t.notOk(environment.includes(name) || environment.includes(value), `no ${name}`);
  }
  t.deepEqual(
    environment
      .trim()
      .split('\n')
      .map((line) => line.split('=')[0])
      .filter((name) => name !== 'PWD')
      .sort(),
    ['LC_ALL', 'PATH'],
    'only a search path and the C locale',
  );
});

scopedTest(
  'media sandbox: on Linux a tool runs under CPU, memory and file size limits, with no network',
  async (t, scope) => {
    if (process.platform !== 'linux') {
      t.pass('util-linux is Linux only: tools run unconfined elsewhere (its contract says so)');
      return;
    }
    const dir = await tempDir(scope);
    const unavailable: string[] = [];
    const sandbox = createSandbox(DEFAULT_SANDBOX_TOOLS, (layer, why) => unavailable.push(`${layer}: ${why}`));
    const output = await runTool(await inspector(dir), [], {
      signal: new AbortController().signal,
      sandbox,
      limits: { cpuSeconds: 123, memoryBytes: 512 * 1024 * 1024, fileBytes: 7 * 1024 * 1024 },
    });
    // util-linux is part of every Debian system, and the tests run as root here: all three layers must work.
    t.deepEqual(unavailable, [], 'every layer could be used');
    const limits = section(output, 'limits');
    t.match(limits, /^Max cpu time\s+123\s+128\s+seconds/m, 'CPU time: 123 s, then SIGKILL 5 s on');
    t.match(limits, /^Max data size\s+536870912\s+536870912\s+bytes/m, 'writable memory: 512 MiB');
    t.match(limits, /^Max file size\s+7340032\s+7340032\s+bytes/m, 'files: 7 MiB');
    const devices = section(output, 'network')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]?.trim())
      .filter(Boolean);
    t.deepEqual(devices, ['lo'], 'a network of its own with nothing but loopback');
  },
);

scopedTest(
  'media sandbox: a tool that writes past its file size limit is stopped, as output too large',
  async (t, scope) => {
    if (process.platform !== 'linux') {
      t.pass('no prlimit off Linux');
      return;
    }
    const dir = await tempDir(scope);
    const script = path.join(dir, 'writer.sh');
    await writeFile(script, `#!/bin/sh\nexec head -c 1000000 /dev/zero > '${path.join(dir, 'out')}'\n`);
    await chmod(script, 0o755);
    const sandbox = createSandbox(
      { setpriv: null, prlimit: DEFAULT_SANDBOX_TOOLS.prlimit, unshare: null },
      () => undefined,
    );
    const run = runTool(script, [], {
      signal: new AbortController().signal,
      sandbox,
      limits: { cpuSeconds: 10, memoryBytes: 256 * 1024 * 1024, fileBytes: 10_000 },
    });
    const error = await run.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    t.ok(error instanceof ToolOutputTooLargeError, `stopped by the kernel at 10 000 bytes (${String(error)})`);
  },
);

scopedTest(
  'media tools: a setting wins, then the system’s ffmpeg, then npm’s; a setting that names nothing is an error',
  async (t, scope) => {
    const dir = await tempDir(scope);
    const system = { ffmpegPath: path.join(dir, 'usr/bin/ffmpeg'), ffprobePath: path.join(dir, 'usr/bin/ffprobe') };
    t.deepEqual(
      resolveMediaTools({}, system),
      { ffmpegPath: bundledFfmpeg, ffprobePath: bundledFfprobe },
      'no system package: npm’s, which needs no setup',
    );
    await mkdir(path.dirname(system.ffmpegPath), { recursive: true });
    for (const file of Object.values(system)) {
      await writeFile(file, '#!/bin/sh\n');
      await chmod(file, 0o755);
    }
    t.deepEqual(resolveMediaTools({}, system), system, 'a system package: the maintained build');
    const mine = path.join(dir, 'my-ffmpeg');
    await writeFile(mine, '#!/bin/sh\n');
    await chmod(mine, 0o755);
    t.deepEqual(
      resolveMediaTools({ ffmpegPath: mine }, system),
      { ffmpegPath: mine, ffprobePath: system.ffprobePath },
      'FFMPEG_PATH names one, each tool on its own',
    );
    t.throws(
      () => resolveMediaTools({ ffprobePath: path.join(dir, 'nothing') }, system),
      /FFPROBE_PATH names .*nothing, which is not an executable file/,
      'a mistyped setting stops the start',
    );
  },
);
