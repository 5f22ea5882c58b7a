/** An error with a status and a stable code, answered as `{error: {code, message}}` or an HTML page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** Maps body-parser's errors (and our own) to a status, a code and a message safe to show. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  switch (e.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', 'The request body encoding is not supported.');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'The request was aborted.');
    case 'parameters.too.many':
      return new HttpError(413, 'too_many_parameters', 'The form has too many fields.');
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', 'The request could not be read.');
  }
  return new HttpError(500, 'internal_error', 'Something went wrong on our side.');
}
