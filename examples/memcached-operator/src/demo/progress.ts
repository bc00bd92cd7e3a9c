/** One line per replica on the live board. */
export interface ReplicaStatus {
  readonly name: string;
  readonly pid: number | undefined;
  readonly state: string;
  readonly reconciles: number;
}

/** Where the demo reports what happens: a live board in a terminal, plain lines otherwise. */
export interface Progress {
  /** A timeline entry (`at`: ms since the demo started). */
  event(at: number, text: string): void;
  /** The current state of the replicas and the phase. */
  status(phase: string, replicas: readonly ReplicaStatus[]): void;
  /** Leaves the last board on screen. */
  close(): void;
}

/** Plain lines, one per event: for logs and CI. Status updates print only when the phase changes. */
export function plainProgress(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Progress {
  let lastPhase = '';
  return {
    event: (at, text) => {
      write(`[${seconds(at)}] ${text}`);
    },
    status: (phase) => {
      if (phase !== lastPhase) write(`== ${phase}`);
      lastPhase = phase;
    },
    close: () => undefined,
  };
}

/** A board redrawn in place (ANSI cursor movement): who leads, reconciles done, the running timeline. */
export function ttyProgress(
  header: readonly string[],
  stream: NodeJS.WriteStream = process.stdout,
): Progress {
  const timeline: string[] = [];
  let phase = '';
  let replicas: readonly ReplicaStatus[] = [];
  let drawn = 0;
  const draw = (): void => {
    const lines = [
      ...header,
      `phase: ${phase}`,
      '',
      ...replicas.map((r) => {
        const state = r.state.startsWith('LEADER')
          ? `\x1b[1;32m${r.state.padEnd(22)}\x1b[0m`
          : r.state.padEnd(22);
        return `  ${r.name.padEnd(10)} pid ${String(r.pid ?? '-').padEnd(7)} ${state} reconciles ${String(r.reconciles)}`;
      }),
      '',
      'timeline:',
      ...timeline.slice(-12),
    ];
    const up = drawn > 0 ? `\x1b[${String(drawn)}F` : '';
    // One screen line per board line (a wrapped line would break the redraw): cut to the width.
    const width = Math.max(20, stream.columns - 1);
    const fit = (l: string): string =>
      l.includes('\x1b') || l.length <= width ? l : `${l.slice(0, width - 1)}…`;
    stream.write(`${up}${lines.map((l) => `\x1b[2K${fit(l)}`).join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    event: (at, text) => {
      timeline.push(`  ${seconds(at).padStart(8)}  ${text}`);
      draw();
    },
    status: (p, r) => {
      phase = p;
      replicas = r;
      draw();
    },
    close: () => {
      draw();
    },
  };
}

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}
