/**
 * Runs `pass` now and then in the background: the first time after a random delay (up to a
 * minute, or the interval if shorter) so instances started together spread out, then
 * `intervalMs` after each pass ends, never two passes at once. A failing pass goes to
 * `onError` and the schedule goes on. stop() waits for a pass in progress.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.schedule(Math.floor(Math.random() * Math.min(this.intervalMs, 60_000)));
  }

  /** The next pass now rather than at its time, unless one is running (it will see the work). */
  runSoon(): void {
    if (this.timer === undefined || this.running !== undefined) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
