import { afterEach, describe, expect, it } from 'vitest';
import { interruptedExitCode, interruptOnSignals, type Interrupt } from '../../../bin/cli/interrupt';

describe('interruptOnSignals', () => {
  let interrupt: Interrupt | undefined;
  afterEach(() => interrupt?.dispose());

  it('stops once on SIGINT: tells why, aborts the signal, exits 130', () => {
    // GIVEN a command that catches the stop signals
    const stops: string[][] = [];
    interrupt = interruptOnSignals((signal, why) => stops.push([signal, why]));
    expect(interrupt.signal.aborted).toBe(false);
    expect(interrupt.exitCode).toBeUndefined();

    // WHEN Ctrl-C arrives, then a SIGTERM
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');

    // THEN the first stop wins and cleanup starts only once
    expect(stops).toEqual([['SIGINT', 'SIGINT']]);
    expect(interrupt.signal.aborted).toBe(true);
    expect(interrupt.by).toBe('SIGINT');
    expect(interrupt.exitCode).toBe(130);
  });

  it('stops on SIGTERM with exit 143', () => {
    const stops: string[] = [];
    interrupt = interruptOnSignals((signal) => stops.push(signal));

    process.emit('SIGTERM', 'SIGTERM');

    expect(stops).toEqual(['SIGTERM']);
    expect(interrupt.exitCode).toBe(143);
  });

  it('stops by a call, with the reason the caller gives', () => {
    const stops: string[][] = [];
    interrupt = interruptOnSignals((signal, why) => stops.push([signal, why]));

    interrupt.stop('SIGTERM', 'the parent process went away');

    expect(stops).toEqual([['SIGTERM', 'the parent process went away']]);
    expect(interrupt.signal.aborted).toBe(true);
    expect(interrupt.exitCode).toBe(143);
  });

  it('removes its handlers on dispose, so a later signal acts as usual', () => {
    // GIVEN the handlers that were there before
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
    const stops: string[] = [];
    const disposed = interruptOnSignals((signal) => stops.push(signal));
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);

    // WHEN the command is done
    disposed.dispose();

    // THEN none of its handlers is left, and a signal no longer reaches it
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    expect(disposed.signal.aborted).toBe(false);
    expect(stops).toEqual([]);
  });
});

describe('interruptedExitCode', () => {
  it('follows the shell convention: 128 + the signal number', () => {
    expect(interruptedExitCode('SIGINT')).toBe(130);
    expect(interruptedExitCode('SIGTERM')).toBe(143);
  });
});
