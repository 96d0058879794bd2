// istioctl's errors and exit codes (istioctl/pkg/util: ExitIncorrectUsage 64, ExitDataError 65, ExitAnalyzerFoundIssues 79).

export const EXIT_UNKNOWN_ERROR = 1;
export const EXIT_INCORRECT_USAGE = 64;
export const EXIT_DATA_ERROR = 65;
export const EXIT_ANALYZER_FOUND_ISSUES = 79;

/** An error istioctl prints as `Error: <message>` and exits with `exitCode`. */
export class IstioctlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_UNKNOWN_ERROR,
  ) {
    super(message);
    this.name = 'IstioctlError';
  }
}

/** A bad command line (unknown command or flag, wrong arguments): exit code 64, as istioctl's CommandParseError. */
export class CommandParseError extends IstioctlError {
  constructor(message: string) {
    super(message, EXIT_INCORRECT_USAGE);
    this.name = 'CommandParseError';
  }
}

/** A command or flag of real istioctl that this lab does not implement: says so, never a silent no-op. */
export class NotImplementedError extends IstioctlError {
  constructor(what: string, instead?: string) {
    super(`${what} is not implemented by the lab's istioctl${instead ? `: ${instead}` : ' (sidecar-lab istioctl --help lists what is)'}`, EXIT_INCORRECT_USAGE);
    this.name = 'NotImplementedError';
  }
}
