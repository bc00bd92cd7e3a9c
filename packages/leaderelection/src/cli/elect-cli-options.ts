import { parseArgs } from 'node:util';
import { LeaderElectionError } from '../leader-election-error.js';
import { parseDuration } from './parse-duration.js';

/** Which kind of lock `kubekit-elect` campaigns on. */
export type CliLockKind = 'leases' | 'configmaps' | 'leader-for-life';

/** The parsed command line of `kubekit-elect`. Durations are in milliseconds. */
export interface ElectCliOptions {
  readonly name: string;
  readonly namespace?: string;
  readonly lock: CliLockKind;
  readonly identity?: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly releaseOnCancel: boolean;
  /** Followers watch the lock (default); false: they poll every retryPeriod, as client-go does. */
  readonly watch: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly json: boolean;
  /** The program to run while leader, and its arguments; empty for none. */
  readonly command: readonly string[];
  /**
   * Run the command even where it cannot be made to die with `kubekit-elect` (no `setpriv`, not
   * Linux): if `kubekit-elect` is then killed, the command keeps running without the lock.
   */
  readonly allowOrphans: boolean;
}

export const electUsage = `Usage: kubekit-elect --name NAME [options] [-- COMMAND ARGS...]

Campaigns for leadership of one lock and reports what happens. With a COMMAND, runs it (in its
own process group) only while this process leads: on loss it is sent SIGTERM, then SIGKILL
before the lease can expire at any follower (at once when another replica holds the lock); when
it exits by itself, the lock is released and kubekit-elect exits with its code. The lock is
released only once every process of the command's group is dead. If kubekit-elect itself dies
(even by SIGKILL), the command's process group is killed within milliseconds: this needs Linux
and util-linux's setpriv, without which a COMMAND is refused unless --allow-orphans is given.

Options:
  --name NAME               lock name (required)
  --namespace NS            lock namespace (default: the service account's namespace)
  --lock KIND               leases (default), configmaps or leader-for-life
  --identity ID             identity written into the lock (default: <hostname>_<random>)
  --lease-duration D        default 15s
  --renew-deadline D        default 10s
  --retry-period D          default 2s
  --release-on-cancel       release the lock on SIGTERM/SIGINT so a follower takes over at once
  --no-watch                followers poll every jittered retry period instead of watching, as
                            client-go does (for comparisons; leases and configmaps only)
  --kubeconfig PATH         default: $KUBECONFIG, ~/.kube/config, or in-cluster
  --context NAME            kubeconfig context to use
  --allow-orphans           run COMMAND even where it cannot be made to die with kubekit-elect
                            (not Linux, no setpriv): if kubekit-elect is killed, it runs on
                            without the lock
  --json                    one JSON object per line on stdout
  -h, --help                show this text`;

const lockKinds: readonly CliLockKind[] = ['leases', 'configmaps', 'leader-for-life'];

function invalid(message: string): LeaderElectionError {
  return new LeaderElectionError('invalidConfig', `kubekit-elect: ${message}\n\n${electUsage}`);
}

/**
 * Parses `kubekit-elect`'s arguments (without the node and script paths). Returns `'help'` for
 * `--help`. Throws a `LeaderElectionError` of kind `invalidConfig`, whose message includes the
 * usage, for anything it cannot accept.
 */
export function parseElectCliArgs(args: readonly string[]): ElectCliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        namespace: { type: 'string' },
        lock: { type: 'string', default: 'leases' },
        identity: { type: 'string' },
        'lease-duration': { type: 'string', default: '15s' },
        'renew-deadline': { type: 'string', default: '10s' },
        'retry-period': { type: 'string', default: '2s' },
        'release-on-cancel': { type: 'boolean', default: false },
        'no-watch': { type: 'boolean', default: false },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        json: { type: 'boolean', default: false },
        'allow-orphans': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      tokens: true,
    });
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return 'help';
  const terminator = tokens.find((token) => token.kind === 'option-terminator');
  if (positionals.length > 0 && terminator === undefined) {
    throw invalid(`unexpected argument ${JSON.stringify(positionals[0])}: put the command after --`);
  }
  if (values.name === undefined || values.name === '') throw invalid('--name is required');
  const lock = values.lock as CliLockKind;
  if (!lockKinds.includes(lock)) {
    throw invalid(`--lock must be one of ${lockKinds.join(', ')}, not ${JSON.stringify(values.lock)}`);
  }
  const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
    value === undefined ? {} : ({ [key]: value } as Record<K, string>);
  try {
    return {
      name: values.name,
      lock,
      leaseDurationMs: parseDuration(values['lease-duration'], '--lease-duration'),
      renewDeadlineMs: parseDuration(values['renew-deadline'], '--renew-deadline'),
      retryPeriodMs: parseDuration(values['retry-period'], '--retry-period'),
      releaseOnCancel: values['release-on-cancel'],
      watch: !values['no-watch'],
      json: values.json,
      command: positionals,
      allowOrphans: values['allow-orphans'],
      ...optional('namespace', values.namespace),
      ...optional('identity', values.identity),
      ...optional('kubeconfig', values.kubeconfig),
      ...optional('context', values.context),
    };
  } catch (error) {
    throw invalid((error as Error).message);
  }
}
