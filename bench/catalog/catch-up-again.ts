// npm run bench:catch-up-again -- --json <the seed's file> [--keep]
//
// Times the whole system's catch-up from zero again on a seeded catalog, as the seed timed it,
// after a code change and without seeding anew: a copy of the catalog as its seed left it
// (copy-catalog.ts), and the real system started on it until every subscriber is at the head.
// The copies are dropped at the end unless --keep. Run it under `node --cpu-prof` to see where
// the time goes.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger } from '../../src/logger.ts';
import { catchUpFromZero, catchUpTable, headAt, logCatchUpProgress } from './catch-up.ts';
import { copyCatalogAsSeeded } from './copy-catalog.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = createLogger('silent');

const seedFile = z.object({
  urls: z.object({ messageStoreUrl: z.string(), databaseUrl: z.string() }),
  write: z.array(z.object({ messages: z.number() })),
  /** Written by seeds since this tool came; before it, the seed's messages are 1 to their count, checked. */
  seededHead: z.number().optional(),
});

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'string' }, keep: { type: 'boolean' } },
    strict: true,
  });
  if (values.json === undefined) throw new Error('--json <the seed file> is required');
  const seed = seedFile.parse(JSON.parse(await readFile(values.json, 'utf8')));
  const written = seed.write.reduce((sum, phase) => sum + phase.messages, 0);
  log(`copying the catalog as seeded (${written.toLocaleString('en')} messages)`);
  const copy = await copyCatalogAsSeeded(seed.urls, { seededHead: seed.seededHead ?? written, written, logger });
  try {
    log(`copied ${copy.keys.toLocaleString('en')} personal-data keys from the catalog's app database`);
    const head = await headAt(copy.urls.messageStoreUrl);
    log(`starting the system on the copy, every subscriber from position 0 (head ${head.toLocaleString('en')})`);
    const result = await catchUpFromZero({ urls: copy.urls, logger, onProgress: logCatchUpProgress(log) });
    for (const line of catchUpTable(result)) log(line);
  } finally {
    if (!values.keep) await copy.drop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench:catch-up-again: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
