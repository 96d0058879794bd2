// How long image work reports what it is doing: one interface, printed by the CLI or sent to the window.
export interface BuildProgress {
  /** A line about the whole process (resolving the base image, debootstrap stages, …). */
  info(message: string): void;
  /** A build step of one image, e.g. `Step 2/5 : RUN apt-get …`. */
  step(image: string, message: string): void;
  /** Raw build output; shown only in verbose mode. */
  detail(image: string, line: string): void;
}

export const silentProgress: BuildProgress = {
  info: () => {},
  step: () => {},
  detail: () => {},
};
