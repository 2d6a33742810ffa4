import { parseArgs } from 'node:util';
import { consumerGroupProblem, MAX_GROUP_SIZE, type ConsumerGroup } from '../message-store/index.ts';
import { ConfigError } from './env.ts';

interface ProcessRole {
  readonly name: 'all-in-one' | 'web' | 'worker';
  /** Serve HTTP (pages, /health, /ready, /status). */
  readonly http: boolean;
  readonly run: { readonly subscribers: 'all' | 'none' | readonly string[]; readonly consumerGroup?: ConsumerGroup };
}

/**
 * What this process does, from its command line: everything (no flags: `npm start`), only the
 * web (`--web`: stateless, any number of them), or only subscribers (`--worker [--only a,b]
 * [--member i --size n]`: workers of one consumer group share each category).
 */
export function parseProcessRole(argv: readonly string[]): ProcessRole {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        web: { type: 'boolean' },
        worker: { type: 'boolean' },
        only: { type: 'string' },
        member: { type: 'string' },
        size: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError(`command line: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (values.web && values.worker) throw new ConfigError('command line: --web and --worker exclude each other');
  const workerOnly = ['only', 'member', 'size'].filter((flag) => values[flag as 'only'] !== undefined);
  if (!values.worker && workerOnly.length > 0)
    throw new ConfigError(`command line: --${workerOnly[0]} is for --worker`);
  if (values.web) return { name: 'web', http: true, run: { subscribers: 'none' } };
  if (!values.worker) return { name: 'all-in-one', http: true, run: { subscribers: 'all' } };

  const subscribers =
    values.only === undefined
      ? 'all'
      : values.only
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean);
  if ((values.member === undefined) !== (values.size === undefined))
    throw new ConfigError('command line: give --member and --size together');
  if (values.member === undefined) return { name: 'worker', http: false, run: { subscribers } };
  const member = Number(values.member);
  const size = Number(values.size);
  if (consumerGroupProblem({ member, size }) !== undefined) {
    throw new ConfigError(
      `command line: --member must be from 0 to --size - 1 and --size from 1 to ${MAX_GROUP_SIZE.toLocaleString('en')} (got ${values.member} of ${values.size})`,
    );
  }
  return { name: 'worker', http: false, run: { subscribers, consumerGroup: { member, size } } };
}
