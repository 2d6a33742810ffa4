import { readFile } from 'node:fs/promises';
import type { DatabaseUrls } from '../../src/config/env.ts';

/** The options that name a catalog, for parseArgs. */
export const CATALOG_OPTIONS = {
  json: { type: 'string' },
  'database-url': { type: 'string' },
  'message-store-url': { type: 'string' },
} as const;

/** The catalog a measurement runs on: the seeder's figures file (--json), or its two URLs given apart. */
export async function catalogUrls(values: {
  json?: string;
  'database-url'?: string;
  'message-store-url'?: string;
}): Promise<DatabaseUrls & { name: string }> {
  if (values.json !== undefined) {
    const figures = JSON.parse(await readFile(values.json, 'utf8')) as { name: string; urls: DatabaseUrls };
    return { ...figures.urls, name: figures.name };
  }
  if (values['database-url'] === undefined || values['message-store-url'] === undefined)
    throw new Error('name the catalog: --json <the seeder’s figures file>, or --database-url and --message-store-url');
  return {
    databaseUrl: values['database-url'],
    messageStoreUrl: values['message-store-url'],
    name: new URL(values['database-url']).pathname.slice(1),
  };
}
