import type { Knex } from 'knex';

// Issue 19, search: the video-search projection's tables (src/aggregators/video-search), and what
// its queries need. unaccent and pg_trgm ship with PostgreSQL (the system's and the embedded one);
// both are trusted extensions, so a database owner may create them without being a superuser.
//
// unaccent() is not IMMUTABLE (its dictionary could change), so it cannot sit in a generated
// column or an index as it is. Two immutable wrappers name their dictionary and configuration by
// schema, so they mean the same whatever the caller's search_path (a rebuild's shadow schema):
// * the text search configuration `video_search`: English, with unaccent before the stemmer, so
//   "Café" and "cafe" are one lexeme in the stored vector, in a query and in ts_headline;
// * video_search_document(title, creator, description): the weighted vector (A, B, C), and the
//   same of title and creator alone (`head`);
// * video_search_fold(text): lower-case, unaccented text for trigram matching.

const identifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

async function schemaOf(knex: Knex, extension: string): Promise<string> {
  const result = await knex.raw<{ rows: Array<{ nspname: string }> }>(
    'SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ?',
    [extension],
  );
  const schema = result.rows[0]?.nspname;
  if (!schema) throw new Error(`the ${extension} extension is not installed`);
  return schema;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS unaccent');
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  const unaccent = await schemaOf(knex, 'unaccent');
  const trgm = await schemaOf(knex, 'pg_trgm');
  const here = (await knex.raw<{ rows: Array<{ schema: string }> }>('SELECT current_schema() AS schema')).rows[0]!
    .schema;
  // Function bodies are dollar-quoted text: bindings cannot reach into them, so names are quoted here.
  const config = `${identifier(here)}.video_search`;
  const configLiteral = literal(config);
  await knex.raw(`CREATE TEXT SEARCH CONFIGURATION ${config} (COPY = pg_catalog.english)`);
  await knex.raw(
    `ALTER TEXT SEARCH CONFIGURATION ${config} ALTER MAPPING FOR hword, hword_part, word WITH ${identifier(unaccent)}.unaccent, english_stem`,
  );
  await knex.raw(
    `CREATE FUNCTION video_search_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
     AS $$ SELECT lower(${identifier(unaccent)}.unaccent(${literal(`${identifier(unaccent)}.unaccent`)}::regdictionary, value)) $$`,
  );
  await knex.raw(
    `CREATE FUNCTION video_search_document(title text, creator text, description text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
     AS $$ SELECT setweight(to_tsvector(${configLiteral}::regconfig, coalesce(title, '')), 'A')
               || setweight(to_tsvector(${configLiteral}::regconfig, coalesce(creator, '')), 'B')
               || setweight(to_tsvector(${configLiteral}::regconfig, coalesce(description, '')), 'C') $$`,
  );

  await knex.schema.createTable('video_search', (table) => {
    table.uuid('video_id').primary();
    table.uuid('owner_id').index('video_search_owner');
    table.text('title');
    table.text('description').notNullable().defaultTo('');
    // The creator's display name, kept by the projection's identity part (video_search_creators).
    table.text('creator_name');
    table.text('status');
    table.text('visibility');
    table.timestamp('published_at', { useTz: true });
    table.bigInteger('publishing_position');
  });
  await knex.raw(`ALTER TABLE video_search
    ADD COLUMN listed boolean GENERATED ALWAYS AS (coalesce(status = 'published' AND visibility = 'public' AND published_at IS NOT NULL, false)) STORED,
    ADD COLUMN document tsvector GENERATED ALWAYS AS (video_search_document(title, creator_name, description)) STORED,
    ADD COLUMN head tsvector GENERATED ALWAYS AS (video_search_document(title, creator_name, NULL)) STORED,
    ADD COLUMN trigram_text text GENERATED ALWAYS AS (video_search_fold(coalesce(title, '') || ' ' || coalesce(creator_name, ''))) STORED`);
  // Only listed videos are ever searched: partial indexes, so drafts and tombstones cost nothing.
  await knex.raw('CREATE INDEX video_search_document ON video_search USING gin (document) WHERE listed');
  // Title and creator only: a common word is in a few titles and many descriptions, and the
  // title matches, which rank first, are found and ranked without the rest (docs/search.md).
  await knex.raw('CREATE INDEX video_search_head ON video_search USING gin (head) WHERE listed');
  await knex.raw(
    `CREATE INDEX video_search_trigrams ON video_search USING gin (trigram_text ??.gin_trgm_ops) WHERE listed`,
    [trgm],
  );

  await knex.schema.createTable('video_search_creators', (table) => {
    table.uuid('user_id').primary();
    table.text('display_name').notNullable();
    // The global position of the name's event: an older one applied again changes nothing.
    table.bigInteger('name_position').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('video_search_creators');
  await knex.schema.dropTableIfExists('video_search');
  await knex.raw('DROP FUNCTION IF EXISTS video_search_document(text, text, text)');
  await knex.raw('DROP FUNCTION IF EXISTS video_search_fold(text)');
  await knex.raw('DROP TEXT SEARCH CONFIGURATION IF EXISTS video_search');
  // The extensions stay: dropping them could take another's objects with them.
}
