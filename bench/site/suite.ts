import { performance } from 'node:perf_hooks';
import { cpuShare, peakRssMiB, rssMiB } from '../app-process.ts';
import { percentiles } from '../lag.ts';
import { catchUp, everyViewingApplied } from './catch-up.ts';
import { Figures, type Figure } from './figures.ts';
import { getLoad } from './get-load.ts';
import { openViewingStore, type ViewingStore } from './message-store.ts';
import { pageLag } from './page-lag.ts';
import { postLoad } from './post-load.ts';
import type { Target } from './target.ts';
import { returningVisitor, submit, type Submission } from './visitor.ts';

export interface SiteSuiteOptions {
  readonly loadSeconds: number;
  /** Rounds of the GET and POST loads; the table shows each figure's median. */
  readonly rounds: number;
  readonly catchUps: readonly number[];
  readonly lagSamples: number;
  /** Messages of another category written just before the last lag measure, caught up while it runs. */
  readonly backlog: number;
  readonly idleMs: number;
  readonly log: (line: string) => void;
}

interface Subject {
  readonly target: Target;
  readonly store: ViewingStore;
  readonly submission: Submission;
}

const POST_CONNECTIONS = 10;
const figure = (measure: string, unit: string, better: Figure['better']): Figure => ({ measure, unit, better });

/** Every other round (or sample) the other target goes first, so neither always runs on a warmer machine. */
const inTurn = <T>(items: readonly T[], turn: number): readonly T[] => (turn % 2 === 0 ? items : [...items].reverse());

/**
 * The site-level suite: only the HTTP contract and the message store's URL, so it measures any
 * implementation the same way. With two targets each measure runs on both back to back.
 */
export async function siteSuite(targets: readonly Target[], options: SiteSuiteOptions): Promise<Figures> {
  const figures = new Figures(targets.map((target) => target.name));
  const stores: ViewingStore[] = [];
  const subjects: Subject[] = [];
  try {
    for (const target of targets) {
      const store = openViewingStore(target.messageStoreUrl);
      stores.push(store);
      subjects.push({ target, store, submission: await returningVisitor(target) });
    }
    for (const { target } of subjects) {
      if (target.pid !== undefined)
        figures.record(target.name, figure('before the loads', 'RSS MiB', 'lower'), await rssMiB(target.pid));
    }
    for (let round = 0; round < options.rounds; round += 1) {
      options.log(`site round ${round + 1} of ${options.rounds}`);
      for (const connections of [10, 50]) {
        for (const { target } of inTurn(subjects, round)) {
          await untilSettled(subjects, options.log);
          const load = await getLoad(target, connections, options.loadSeconds);
          const measure = `GET /, ${connections} connections`;
          figures.record(target.name, figure(measure, 'req/s', 'higher'), load.requestsPerSecond);
          figures.record(target.name, figure(measure, 'p99 ms', 'lower'), load.p99Ms);
          if (load.cpuMsPerRequest !== undefined)
            figures.record(target.name, figure(measure, 'app CPU ms/request', 'lower'), load.cpuMsPerRequest);
          figures.record(target.name, figure(measure, 'failed', 'lower'), load.failed);
        }
      }
      for (const { target, store, submission } of inTurn(subjects, round)) {
        await untilSettled(subjects, options.log);
        const load = await postLoad(target, store, submission, POST_CONNECTIONS, options.loadSeconds);
        const measure = `POST record-viewing, ${POST_CONNECTIONS} connections`;
        figures.record(target.name, figure(measure, 'posts/s', 'higher'), load.postsPerSecond);
        figures.record(target.name, figure(measure, 'p99 ms', 'lower'), load.p99Ms);
        figures.record(target.name, figure(measure, 'failed', 'lower'), load.failed);
        figures.record(target.name, figure(measure, 'written/s (message store)', 'higher'), load.writtenPerSecond);
        figures.record(target.name, figure(measure, 'counted/s (page)', 'higher'), load.countedPerSecond);
        figures.record(target.name, figure(measure, 'count trailed by at most', 'lower'), load.mostTrailed);
        figures.record(target.name, figure(measure, 'caught up after the load, ms', 'lower'), load.caughtUpMs);
        if (load.cpuMsPerPost !== undefined)
          figures.record(
            target.name,
            figure(measure, 'app CPU ms/post, until every subscriber applied it', 'lower'),
            load.cpuMsPerPost,
          );
      }
    }
    for (const [index, events] of options.catchUps.entries()) {
      for (const { target, store } of inTurn(subjects, index)) {
        await untilSettled(subjects, options.log);
        options.log(`catch-up of ${events} events: ${target.name}`);
        const result = await catchUp(target, store, events);
        figures.record(
          target.name,
          figure(`catch-up of ${events.toLocaleString('en')} events`, 'events/s', 'higher'),
          result.eventsPerSecond,
        );
        if (result.everySubscriberEventsPerSecond !== undefined)
          figures.record(
            target.name,
            figure(`catch-up of ${events.toLocaleString('en')} events, every subscriber`, 'events/s', 'higher'),
            result.everySubscriberEventsPerSecond,
          );
        if (result.counted < events)
          figures.note(target.name, `catch-up of ${events}: stopped waiting with ${result.counted} counted`);
      }
    }
    await untilSettled(subjects, options.log);
    await lags(subjects, figures, options);
    await idle(subjects, figures, options);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
  return figures;
}

const SETTLE_LIMIT_MS = 5 * 60_000;

/**
 * Waits until every site whose /status we may read has applied every viewing it holds, with
 * all its subscribers of viewings and of every category: a site still applying the last load's
 * viewings (one of its projections slower than its page) would take CPU from the next load,
 * whichever site that load is for.
 */
async function untilSettled(subjects: readonly Subject[], log: (line: string) => void): Promise<void> {
  const began = performance.now();
  for (const { target, store } of subjects) {
    if (target.statusToken === undefined) continue;
    const last = await store.lastViewing();
    // A /status that fails to answer once is asked again, until the limit.
    const applied = () => everyViewingApplied(target.url, target.statusToken!, last).catch(() => false);
    while (!(await applied())) {
      if (performance.now() - began > SETTLE_LIMIT_MS) {
        log(`${target.name} had not applied every viewing after ${SETTLE_LIMIT_MS / 1000} s; going on`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const waited = performance.now() - began;
  if (waited > 1_000) log(`waited ${(waited / 1000).toFixed(1)} s for every site's subscribers to catch up`);
}

/**
 * Idle CPU of every target with a known process, over the same stretch (nothing else runs), and
 * its RSS. Measured after the loads, when every target has been through the same work: measured
 * just after start, ours (3 s old) idled at twice the CPU of an identical copy started minutes
 * before.
 */
async function idle(subjects: readonly Subject[], figures: Figures, { idleMs, log }: SiteSuiteOptions): Promise<void> {
  const known = subjects.flatMap(({ target }) =>
    target.pid === undefined ? [] : [{ name: target.name, pid: target.pid }],
  );
  if (known.length === 0) return;
  log(`idle for ${idleMs / 1000} s`);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // the last page reads' own work
  const shares = await Promise.all(known.map(({ pid }) => cpuShare(pid, idleMs)));
  for (const [index, { name, pid }] of known.entries()) {
    figures.record(name, figure('idle after the loads', 'CPU, % of one core', 'lower'), shares[index]! * 100);
    figures.record(name, figure('after the loads', 'RSS MiB', 'lower'), await rssMiB(pid));
    // Every load above, the catch-ups' backlogs included, and the start before them.
    figures.record(name, figure('peak since the start', 'RSS MiB', 'lower'), await peakRssMiB(pid));
  }
}

/** Write → page, one viewing at a time, the targets taking turns sample by sample. */
async function lags(
  subjects: readonly Subject[],
  figures: Figures,
  { lagSamples, backlog, log }: SiteSuiteOptions,
): Promise<void> {
  const writers = [
    {
      measure: "write → page, through the site's POST",
      write:
        ({ target, submission }: Subject) =>
        async () => {
          const status = await submit(submission);
          if (status >= 400) throw new Error(`${target.name} refused a viewing: HTTP ${status}`);
        },
    },
    {
      measure: 'write → page, another program (SQL write_message)',
      write:
        ({ store }: Subject) =>
        () =>
          store.writeViewing(),
    },
  ];
  for (const { measure, write } of writers) {
    log(`${measure}: ${lagSamples} samples`);
    const samples = new Map<string, number[]>(subjects.map(({ target }) => [target.name, []]));
    for (let n = 0; n < lagSamples; n += 1) {
      for (const subject of inTurn(subjects, n))
        samples.get(subject.target.name)!.push(await pageLag(subject.target, write(subject)));
    }
    record(figures, measure, samples);
  }
  // One target at a time: a backlog being caught up by one would slow the other's samples too.
  const measure = `write → page, another program, while ${backlog.toLocaleString('en')} messages of another category catch up`;
  log(`${measure}: ${lagSamples} samples`);
  const samples = new Map<string, number[]>(subjects.map(({ target }) => [target.name, []]));
  for (const { target, store } of subjects) {
    await store.writeBacklog(backlog);
    for (let n = 0; n < lagSamples; n += 1) samples.get(target.name)!.push(await pageLag(target, store.writeViewing));
  }
  record(figures, measure, samples);
}

function record(figures: Figures, measure: string, samples: ReadonlyMap<string, number[]>): void {
  for (const [name, values] of samples) {
    const { p50, p95 } = percentiles(values);
    figures.record(name, figure(measure, 'p50 ms', 'lower'), p50);
    figures.record(name, figure(measure, 'p95 ms', 'lower'), p95);
  }
}
