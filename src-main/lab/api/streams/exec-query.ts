// The exec/attach request's query (PodExecOptions) as the API server decodes it.

/** What the client asked for. */
export interface ExecQuery {
  command: string[];
  container: string | undefined;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** runtime.Convert_Slice_string_To_bool: absent is false, "0" and "false" are false, all else true. */
function queryBool(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}

export function parseExecQuery(url: string | undefined): ExecQuery | { error: string } {
  const params = new URL(url ?? '/', 'http://localhost').searchParams;
  const tty = queryBool(params, 'tty');
  const query: ExecQuery = {
    command: params.getAll('command'),
    container: params.get('container') ?? undefined,
    stdin: queryBool(params, 'stdin'),
    stdout: queryBool(params, 'stdout'),
    // The kubelet drops stderr under a tty: the terminal merges it into stdout.
    stderr: queryBool(params, 'stderr') && !tty,
    tty,
  };
  if (!query.stdin && !query.stdout && !query.stderr) {
    return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  }
  return query;
}
