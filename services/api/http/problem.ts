import type { Response } from 'express';
import type { ProblemDetails } from '../../problem-details.ts';

export function sendProblem(res: Response, p: ProblemDetails): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const requestId = res.locals.requestId as string | undefined;
  res
    .status(p.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...p, ...(requestId ? { request_id: requestId } : {}) }));
}
