/** The signals that stop a long-running command: Ctrl-C, and a supervisor (or npx) stopping us. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell convention, as the engines follow it: 128 + the signal's number (130 after Ctrl-C, 143 after SIGTERM). */
export function interruptedExitCode(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** A long-running command's stop switch: SIGINT and SIGTERM (or a call to `stop`) abort `signal`, once. */
export interface Interrupt {
  /** Aborted by the first stop; hand it to the work so that it ends its children and cleans up. */
  readonly signal: AbortSignal;
  /** The signal that stopped the command, if one did. */
  readonly by: StopSignal | undefined;
  /** 130 or 143 once stopped, else undefined. */
  readonly exitCode: number | undefined;
  /** Stops as if `signal` had arrived; `why` is what the command tells the user (default: the signal's name). */
  stop(signal: StopSignal, why?: string): void;
  /** Removes the signal handlers (in a `finally`, so a later signal acts as usual again). */
  dispose(): void;
}

/**
 * Catches SIGINT and SIGTERM until `dispose`: the first stop calls `onStop(signal, why)` (to tell the user what is
 * being cleaned up) and aborts the interrupt's signal; later ones are ignored, so cleanup is not started twice.
 */
export function interruptOnSignals(onStop: (signal: StopSignal, why: string) => void): Interrupt {
  const controller = new AbortController();
  let by: StopSignal | undefined;
  const stop = (signal: StopSignal, why: string = signal) => {
    if (by) return;
    by = signal;
    onStop(signal, why);
    controller.abort();
  };
  // Node passes the signal's number as a second argument: keep it out of `why`.
  const onSignal = (signal: NodeJS.Signals) => stop(signal as StopSignal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get by() {
      return by;
    },
    get exitCode() {
      return by ? interruptedExitCode(by) : undefined;
    },
    stop,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
