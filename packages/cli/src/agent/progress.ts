/** Where a waiting line is drawn: a terminal stream (a non-TTY one gets nothing: logs stay clean). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Starts a line showing what the CLI waits for and the seconds left; returns the function that clears it. */
export type StartWaiting = (label: string, deadlineMs: number) => () => void;

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR_LINE = "\r\x1b[2K";

/** A spinner line redrawn in place, e.g. `⠹ Waiting for the browser (83 s left)`, only on a terminal. */
export function waitingLine(stream: ProgressStream, now: () => number = Date.now, intervalMs = 120): StartWaiting {
  return (label, deadlineMs) => {
    if (!stream.isTTY) return () => undefined;
    let frame = 0;
    const draw = () => {
      const left = Math.max(0, Math.ceil((deadlineMs - now()) / 1000));
      stream.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label} (${left} s left)`);
    };
    draw();
    const timer = setInterval(draw, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      stream.write(CLEAR_LINE);
    };
  };
}
