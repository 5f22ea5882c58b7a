import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/** A JSON route refuses any other body type with a 415 before the body is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) next(new HttpError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
  else next();
};
