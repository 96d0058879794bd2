// Errors cross the boundary packed as `{name, message}` and are rebuilt as real Errors on the other side.

export interface PackedError {
  name: string;
  message: string;
}

export function packError(err: unknown): PackedError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function isPackedError(value: unknown): value is PackedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['name'] === 'string' && typeof v['message'] === 'string';
}

/** A real Error with the sender's name and message, so `err.message` is what main said. */
export function unpackError(packed: PackedError): Error {
  const err = new Error(packed.message);
  err.name = packed.name;
  return err;
}
